-- The device status series (ts_video_device_status, ts_gas_station_video_device_status)
-- lose the index on their time column alone that create_hypertable added on TimescaleDB
-- (plain PostgreSQL never had it). Nothing reads these series by time alone: no query
-- of the platform reads them at all but the bench's and the tests' counts; compression
-- orders each (company, device) segment by time through the primary key
-- (company_code, device_code, status_time); retention drops whole chunks by their
-- ranges. The index cost every stored status a third WAL record and a third index
-- descent in the sink's transaction (docs/performance.md, "PostgreSQL per reading, by
-- statement").
--
-- The readings' index on collect_time stays: the per-minute and per-hour aggregates'
-- refresh reads a time range of every point through it.

-- +goose Up
-- The names create_hypertable gives (dropped with their chunks' indexes); on plain
-- PostgreSQL there is nothing to drop.
DROP INDEX IF EXISTS ts_video_device_status_status_time_idx;
DROP INDEX IF EXISTS ts_gas_station_video_device_status_status_time_idx;

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
