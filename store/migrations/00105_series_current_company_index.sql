-- The current state of the time series (readings and device status) loses its index on
-- (company_code, updated_at, record_key) (docs/performance.md, "The time series' current
-- state without its company index").
--
-- Every reading rewrites its point's row with a new updated_at, so every reading added an
-- entry to this index at its company's end of the range, and the entries it replaced
-- stayed until a vacuum: over ten minutes at 20,000 readings/s it grew to 173 MB for
-- 10,482 rows (the primary key: 1.9 MB), and its entry was a sixth of the upsert's CPU.
-- Its readers — a company's listing (store.Exchange.List), its last upload
-- (readmodel.LastSeen) and whether it is online — read the company's rows by the
-- primary key's prefix instead: one row per point or device, so a few hundred to a few
-- thousand rows, sorted. The index on updated_at alone stays: the sharing feed and the
-- portal's record list order by it across companies.

-- +goose Up
DROP INDEX IF EXISTS x_sensor_readings_updated;
DROP INDEX IF EXISTS x_video_device_status_updated;
DROP INDEX IF EXISTS x_gas_station_video_device_status_updated;

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
