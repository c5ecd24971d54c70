-- The platform-defined exchange tables (企业信息, 重大危险源与储存单元, 指标信息, 感知数据,
-- 视频监控信息, 安全承诺): the same current-state + history layout as 00001, created by
-- a function so later tables need one line each. History rows of the time-series
-- tables are deduplicated by message id across partitions (see store.applyVersions).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION chemguard_create_exchange_table(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($f$
        CREATE TABLE %I (
            company_code text NOT NULL,
            record_key   text NOT NULL,
            deleted      boolean NOT NULL DEFAULT false,
            event_time   timestamptz,
            version      bigint NOT NULL,
            msg_id       uuid NOT NULL,
            received_at  timestamptz NOT NULL,
            updated_at   timestamptz NOT NULL DEFAULT now(),
            doc          jsonb NOT NULL,
            PRIMARY KEY (company_code, record_key)
        )$f$, t);
    EXECUTE format('CREATE INDEX %I ON %I (company_code, updated_at, record_key)', t || '_updated', t);
    EXECUTE format('CREATE INDEX %I ON %I (updated_at)', t || '_updated_all', t);
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        EXECUTE format($f$
            CREATE TABLE %I (
                msg_id uuid NOT NULL, company_code text NOT NULL, record_key text NOT NULL,
                deleted boolean NOT NULL, event_time timestamptz, version bigint NOT NULL,
                received_at timestamptz NOT NULL, doc jsonb NOT NULL,
                PRIMARY KEY (msg_id, received_at))$f$, t || '_history');
        PERFORM create_hypertable(t || '_history', 'received_at', chunk_time_interval => interval '7 days');
    ELSE
        EXECUTE format($f$
            CREATE TABLE %I (
                msg_id uuid NOT NULL, company_code text NOT NULL, record_key text NOT NULL,
                deleted boolean NOT NULL, event_time timestamptz, version bigint NOT NULL,
                received_at timestamptz NOT NULL, doc jsonb NOT NULL,
                PRIMARY KEY (msg_id, received_at)) PARTITION BY RANGE (received_at)$f$, t || '_history');
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_history_default', t || '_history');
        PERFORM chemguard_ensure_partitions(t || '_history', now() - interval '1 month', now() + interval '2 months');
    END IF;
    EXECUTE format('CREATE INDEX %I ON %I (company_code, record_key, received_at)', t || '_history_key', t || '_history');
END $$;
-- +goose StatementEnd

SELECT chemguard_create_exchange_table('x_enterprise_info');
SELECT chemguard_create_exchange_table('x_hazard_sources');
SELECT chemguard_create_exchange_table('x_indicators');
SELECT chemguard_create_exchange_table('x_sensor_readings');
SELECT chemguard_create_exchange_table('x_cameras');
SELECT chemguard_create_exchange_table('x_commitments');

-- +goose Down
SELECT 1;
