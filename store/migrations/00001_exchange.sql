-- Enterprises, their API keys, and one current-state table plus one append-only
-- history table per exchange table of the seed. History is a TimescaleDB hypertable
-- when the extension is installed, native monthly range partitions otherwise; the
-- queries are the same either way.

-- +goose Up
CREATE TABLE enterprises (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    division_code text NOT NULL,          -- GB/T 2260 county the company belongs to
    park_code     text,                   -- 化工园区, optional
    kind          text NOT NULL DEFAULT '', -- 生产/经营/使用/加油站
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);
CREATE INDEX enterprises_division ON enterprises (division_code, code);

CREATE TABLE enterprise_keys (
    id              uuid PRIMARY KEY,
    enterprise_code text NOT NULL REFERENCES enterprises (code),
    key_hash        bytea NOT NULL UNIQUE,   -- SHA-256 of the key; the key itself is never stored
    key_prefix      text NOT NULL,           -- first characters, to tell keys apart in lists
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
CREATE INDEX enterprise_keys_enterprise ON enterprise_keys (enterprise_code);

-- Every rejected record, kept as governance evidence; never dropped.
CREATE TABLE exchange_rejections (
    msg_id       uuid PRIMARY KEY,
    table_slug   text NOT NULL,
    company_code text NOT NULL,
    received_at  timestamptz NOT NULL,
    batch_index  integer NOT NULL,
    record_key   text NOT NULL DEFAULT '',
    errors       jsonb NOT NULL,
    raw          text NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exchange_rejections_company ON exchange_rejections (company_code, received_at);
CREATE INDEX exchange_rejections_table ON exchange_rejections (table_slug, received_at);

-- Creates the monthly partitions of a partitioned history table for the months that
-- contain [from_ts, to_ts]. A no-op for hypertables and existing partitions.
-- +goose StatementBegin
CREATE FUNCTION chemguard_ensure_partitions(parent text, from_ts timestamptz, to_ts timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', from_ts AT TIME ZONE 'UTC')::date;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
                   WHERE c.relname = parent) THEN
        RETURN;
    END IF;
    WHILE m <= (to_ts AT TIME ZONE 'UTC')::date LOOP
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       parent || '_p' || to_char(m, 'YYYYMM'), parent,
                       m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        m := (m + interval '1 month')::date;
    END LOOP;
END $$;
-- +goose StatementEnd

-- CREATE EXTENSION on a server that has the extension's files but does not preload
-- its library is not an error but a FATAL that ends the connection, which no
-- EXCEPTION block catches: try it only when the files are there AND preloaded.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
       AND 'timescaledb' = ANY (string_to_array(
               regexp_replace(current_setting('shared_preload_libraries'), '[\s"]', '', 'g'), ',')) THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS timescaledb;
        EXCEPTION WHEN OTHERS THEN
            NULL; -- e.g. a role that may not create it: native partitioning below
        END;
    END IF;
END $$;
-- +goose StatementEnd

-- Creates one exchange table: its current state and its append-only history. Every
-- exchange table is made by it, the seed's here and the platform-defined ones in
-- 00003, so that they share one layout.
-- +goose StatementBegin
CREATE FUNCTION chemguard_create_exchange_table(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Current state: one row per (company, key), the newest version wins.
    EXECUTE format($f$
        CREATE TABLE %I (
            company_code text NOT NULL,
            record_key   text NOT NULL,
            deleted      boolean NOT NULL DEFAULT false,
            event_time   timestamptz,          -- orders versions when the table has such a time
            version      bigint NOT NULL,      -- receipt order, assigned at ingest
            msg_id       uuid NOT NULL,
            received_at  timestamptz NOT NULL,
            updated_at   timestamptz NOT NULL DEFAULT now(),
            doc          jsonb NOT NULL,       -- the record, keys exactly the seed's
            PRIMARY KEY (company_code, record_key)
        )$f$, t);
    EXECUTE format('CREATE INDEX %I ON %I (company_code, updated_at, record_key)', t || '_updated', t);
    EXECUTE format('CREATE INDEX %I ON %I (updated_at)', t || '_updated_all', t);
    -- History: every accepted version, append-only.
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

-- The seed's 14 exchange tables.
SELECT chemguard_create_exchange_table(t) FROM unnest(ARRAY['x_risk_units', 'x_risk_events',
    'x_control_measures', 'x_check_tasks', 'x_check_records', 'x_hidden_dangers',
    'x_special_operations', 'x_positioning_alarms', 'x_video_devices', 'x_video_device_status',
    'x_video_alarms', 'x_gas_station_video_devices', 'x_gas_station_video_device_status',
    'x_gas_station_video_alarms']) AS t;


-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
