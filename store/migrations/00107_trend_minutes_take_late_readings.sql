-- The per-minute trend (ts_sensor_readings_1m) takes in readings up to 3 days late, as
-- the hourly one always did; it took them only up to 3 hours late (00060).
--
-- A minute is materialized once it is older than the settle (10 minutes by default),
-- whether or not its readings have come: a company's buffer sent after a 5-hour outage
-- logs its minutes as changed, but the refresh policy only looked 3 hours back, so
-- those minutes stayed materialized empty and the 24-hour trend showed a gap where the
-- readings were. Looking 3 days back costs nothing while no reading is late: the
-- refresh redoes only the minutes logged as changed, beside the new ones.
--
-- On plain PostgreSQL the trend is a view over the readings and needs nothing.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        PERFORM alter_job(job_id, config => jsonb_set(config, '{start_offset}', to_jsonb('3 days'::text)))
        FROM timescaledb_information.jobs
        WHERE hypertable_name = 'ts_sensor_readings_1m' AND proc_name = 'policy_refresh_continuous_aggregate';
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
