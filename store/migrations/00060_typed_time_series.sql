-- Typed time series: the high-rate facts (感知数据 readings, 视频智能分析设备运行状态 of
-- companies and gas stations) as typed columns beside their exchange tables, which keep
-- their current-state + history semantics unchanged. The sink writes both in one
-- transaction; the keys below make a replayed batch store nothing twice.
--
-- With TimescaleDB preloaded (see 00001) each table is a hypertable, compressed by
-- (company, point) ordered by time, and the readings have continuous aggregates per
-- minute and per hour. Without it the tables are native monthly range partitions and
-- the aggregates are ordinary views of the same name and columns, so every query is
-- the same on both. Compression and retention policies come from the configuration
-- (store.ApplyTimeSeriesPolicies at start), not from here.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb');
    t record;
BEGIN
    -- value is float8, not numeric: the seed's decimal(12,4) has at most 12 significant
    -- digits, which float8 round-trips exactly, and TimescaleDB compresses float8 with
    -- Gorilla (a few bits for a slowly changing process value) but numeric hardly at all.
    -- A correction of a reading (same point and time, received later) replaces it.
    EXECUTE $t$
        CREATE TABLE ts_sensor_readings (
            company_code   text NOT NULL,
            indicator_code text NOT NULL,        -- 指标编码
            collect_time   timestamptz NOT NULL, -- 采集时间
            value          float8 NOT NULL,      -- 采集值
            received_at    timestamptz NOT NULL, -- when the platform accepted it: lateness is a data-quality fact
            PRIMARY KEY (company_code, indicator_code, collect_time)
        )$t$ || CASE WHEN timescale THEN '' ELSE ' PARTITION BY RANGE (collect_time)' END;
    FOR t IN SELECT * FROM (VALUES ('ts_video_device_status'), ('ts_gas_station_video_device_status')) v(name) LOOP
        EXECUTE format($t$
            CREATE TABLE %I (
                company_code text NOT NULL,
                device_code  text NOT NULL,        -- 设备编码
                status_time  timestamptz NOT NULL, -- 上报时间
                running      boolean NOT NULL,     -- 运行状态: 1 正常 (true), 0 异常 (false)
                received_at  timestamptz NOT NULL,
                PRIMARY KEY (company_code, device_code, status_time)
            )$t$, t.name) || CASE WHEN timescale THEN '' ELSE ' PARTITION BY RANGE (status_time)' END;
    END LOOP;

    IF timescale THEN
        -- A day per chunk for readings (the province's day of readings is one chunk to
        -- compress or drop), a week for the 10-minute device status.
        PERFORM create_hypertable('ts_sensor_readings', by_range('collect_time', interval '1 day'));
        PERFORM create_hypertable('ts_video_device_status', by_range('status_time', interval '7 days'));
        PERFORM create_hypertable('ts_gas_station_video_device_status', by_range('status_time', interval '7 days'));
        -- Every query names one company and one point and a time range: the segment is
        -- (company, point), ordered by time, so a compressed batch is one point's run.
        ALTER TABLE ts_sensor_readings SET (timescaledb.compress,
            timescaledb.compress_segmentby = 'company_code, indicator_code',
            timescaledb.compress_orderby = 'collect_time');
        ALTER TABLE ts_video_device_status SET (timescaledb.compress,
            timescaledb.compress_segmentby = 'company_code, device_code',
            timescaledb.compress_orderby = 'status_time');
        ALTER TABLE ts_gas_station_video_device_status SET (timescaledb.compress,
            timescaledb.compress_segmentby = 'company_code, device_code',
            timescaledb.compress_orderby = 'status_time');
        -- Real-time aggregates (materialized_only = false): the minutes not yet
        -- materialised are computed from the readings, so a trend ends at the last reading.
        FOR t IN SELECT * FROM (VALUES ('1m', '1 minute'), ('1h', '1 hour')) v(suffix, width) LOOP
            EXECUTE format($v$
                CREATE MATERIALIZED VIEW %I
                WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                SELECT time_bucket(interval %L, collect_time) AS bucket, company_code, indicator_code,
                       min(value) AS lo, max(value) AS hi, avg(value) AS mean, count(*) AS n
                FROM ts_sensor_readings GROUP BY 1, 2, 3 WITH NO DATA$v$, 'ts_sensor_readings_' || t.suffix, t.width);
        END LOOP;
        -- Readings arrive late (a company's buffer after an outage): refresh the last
        -- 3 hours every minute and the last 3 days every hour.
        -- The per-minute policy is created off: whether it runs (or the platform
        -- refreshes, store.TrendMinutes) and with what settle is the configuration's
        -- (store.ApplyTrendRefresh at start). Created on, it ran once at once, a minute
        -- behind now, and moved the point materialized up to ahead of the platform's
        -- settle (10 minutes): every reading of a new platform's first 9 minutes then
        -- counted as late, and its minutes were redone, some twice (edited 2026-12-07;
        -- databases migrated before are past that run).
        PERFORM alter_job(add_continuous_aggregate_policy('ts_sensor_readings_1m',
            start_offset => interval '3 hours', end_offset => interval '1 minute', schedule_interval => interval '1 minute'),
            scheduled => false);
        PERFORM add_continuous_aggregate_policy('ts_sensor_readings_1h',
            start_offset => interval '3 days', end_offset => interval '1 hour', schedule_interval => interval '1 hour');
    ELSE
        FOR t IN SELECT * FROM (VALUES ('ts_sensor_readings'), ('ts_video_device_status'),
                                       ('ts_gas_station_video_device_status')) v(name) LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_default', t.name);
            PERFORM chemguard_ensure_partitions(t.name, now() - interval '1 month', now() + interval '2 months');
        END LOOP;
        -- The same names and columns, computed when read: the trend's query is one
        -- company's one point over a range, which the primary key serves.
        FOR t IN SELECT * FROM (VALUES ('1m', '1 minute'), ('1h', '1 hour')) v(suffix, width) LOOP
            EXECUTE format($v$
                CREATE VIEW %I AS
                SELECT date_bin(interval %L, collect_time, timestamptz '2000-01-01 00:00:00+00') AS bucket,
                       company_code, indicator_code,
                       min(value) AS lo, max(value) AS hi, avg(value) AS mean, count(*) AS n
                FROM ts_sensor_readings GROUP BY 1, 2, 3$v$, 'ts_sensor_readings_' || t.suffix, t.width);
        END LOOP;
    END IF;
END $$;
-- +goose StatementEnd

-- The application role reads and writes them like the exchange tables.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chemguard_app') THEN
        GRANT SELECT, INSERT, UPDATE ON ts_sensor_readings, ts_video_device_status,
            ts_gas_station_video_device_status TO chemguard_app;
        GRANT SELECT ON ts_sensor_readings_1m, ts_sensor_readings_1h TO chemguard_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
