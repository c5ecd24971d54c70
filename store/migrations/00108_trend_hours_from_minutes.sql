-- +goose NO TRANSACTION
-- The hourly trend (ts_sensor_readings_1h, behind the portal's 7-day and 30-day trends)
-- is built from the per-minute one instead of from the readings: a continuous aggregate
-- on a continuous aggregate (TimescaleDB 2.9 and later).
--
-- Its hourly refresh aggregated every reading of the hour again: at 20,000 readings/s,
-- 72 million readings once an hour, twelve times the work of the per-minute refresh's
-- five minutes, in one job holding a core. From the minutes it reads one row per point
-- and minute: a sixtieth of that for a point read every second, a sixth for one read
-- every 10 seconds. The columns and their meaning are unchanged: lo and hi are the
-- minutes' extremes, mean the minutes' means weighted by their counts, n their sum.
--
-- The minutes took in readings as late as the hours did (00107: 3 days), so the hours
-- lose nothing: a minute redone for a late reading is logged as changed for the hour
-- above it, which its next refresh redoes. The hour is materialized an hour after it
-- ended, when its minutes are (the per-minute trend settles in 10 minutes by default);
-- should an hour be materialized before a minute of it, that minute's refresh marks the
-- hour to be redone.
--
-- Without a transaction: refilling the rebuilt aggregate (CALL
-- refresh_continuous_aggregate) cannot run inside one. Each statement stands alone and
-- the first one does nothing when the hourly trend is already built from the minutes,
-- so a migration cut short runs again whole. On plain PostgreSQL the trend is a view
-- over the readings and nothing changes.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    -- Two tests, not one OR: the second names a schema only TimescaleDB has.
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
               WHERE view_name = 'ts_sensor_readings_1h' AND view_definition LIKE '%ts_sensor_readings_1m%') THEN
        RETURN;
    END IF;
    -- Derived rows only: every reading stays in ts_sensor_readings, and the hours are
    -- refilled from the minutes below.
    DROP MATERIALIZED VIEW ts_sensor_readings_1h;
    CREATE MATERIALIZED VIEW ts_sensor_readings_1h
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket(interval '1 hour', bucket) AS bucket, company_code, indicator_code,
               min(lo) AS lo, max(hi) AS hi, sum(mean * n) / sum(n)::float8 AS mean, sum(n)::bigint AS n
        FROM ts_sensor_readings_1m GROUP BY 1, 2, 3 WITH NO DATA;
    PERFORM add_continuous_aggregate_policy('ts_sensor_readings_1h',
        start_offset => interval '3 days', end_offset => interval '1 hour', schedule_interval => interval '1 hour');
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chemguard_app') THEN
        GRANT SELECT ON ts_sensor_readings_1h TO chemguard_app;
    END IF;
END $$;
-- +goose StatementEnd

-- The hours up to the last one ended an hour ago, from the minutes materialized so far;
-- the newer ones are computed when read, as before. A CALL in a DO block outside a
-- transaction may commit, which the refresh does between its steps.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        CALL refresh_continuous_aggregate('ts_sensor_readings_1h', NULL, date_trunc('hour', now()) - interval '1 hour');
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
