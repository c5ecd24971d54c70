-- The current state of the time series (readings and device status) loses its last
-- index on updated_at, so that the row a reading rewrites can be updated in place
-- (a heap-only tuple) on the half-empty pages 00104 left (docs/performance.md, "The
-- time series' current state updated in place").
--
-- Every reading rewrites its point's row with a new updated_at. While updated_at was
-- indexed, no such update could be heap-only: each one wrote a new row version and an
-- entry in every index, the primary key's included. On the sink's batch of 2,500
-- readings at 20,000 points (BenchmarkApplyReadings) the index was 45 % of the upsert
-- and 18 % of the whole write.
--
-- Its one reader across companies is the sharing feed's order (share.Store.Feed),
-- which now sorts these tables' rows instead: one row per point or device, a few
-- milliseconds per page at the province's 20,000 points. Every other reader of them
-- reads by the primary key (company_code, record_key) or its company prefix (00105).

-- +goose Up
DROP INDEX IF EXISTS x_sensor_readings_updated_all;
DROP INDEX IF EXISTS x_video_device_status_updated_all;
DROP INDEX IF EXISTS x_gas_station_video_device_status_updated_all;

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
