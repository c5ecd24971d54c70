-- 推广应用进度 (rollout of the six systems, seed 正文 二 and 三(三)1).
--
-- rollout_connections: which exchange tables each company has sent, through which
-- system — 'base' for the platform's hosted base system (the envelope's source),
-- 'own' for the company's own — since when and until when, written by the
-- governance consumer in the transaction of the batch's facts and Kafka offsets, so a
-- replayed batch counts nothing twice. Times are ingest's receive times.
--
-- rollout_acceptances: the county's 验收 of a company's system, one row per act
-- (never updated, never deleted: a new act supersedes the previous one).
-- +goose Up
CREATE TABLE rollout_connections (
    company_code text NOT NULL,
    table_name   text NOT NULL,
    source       text NOT NULL CHECK (source IN ('own', 'base')),
    first_at     timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    records      bigint NOT NULL,
    PRIMARY KEY (company_code, table_name, source)
);

-- What was received before this table existed: every accepted version is in the
-- history tables, all from the companies' own systems (the base system publishes
-- with a source from its first record on).
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['risk_units', 'risk_events', 'control_measures', 'check_tasks',
        'check_records', 'hidden_dangers', 'special_operations', 'positioning_alarms',
        'video_devices', 'video_device_status', 'video_alarms', 'gas_station_video_devices',
        'gas_station_video_device_status', 'gas_station_video_alarms'] LOOP
        EXECUTE format($f$
            INSERT INTO rollout_connections (company_code, table_name, source, first_at, last_at, records)
            SELECT company_code, %L, 'own', min(received_at), max(received_at), count(*)
            FROM %I GROUP BY company_code
            ON CONFLICT DO NOTHING$f$, replace(t, '_', '-'), 'x_' || t || '_history');
    END LOOP;
END $$;
-- +goose StatementEnd

CREATE TABLE rollout_acceptances (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_code text NOT NULL REFERENCES enterprises (code),
    system       text NOT NULL,              -- governance.System.Key
    result       text NOT NULL CHECK (result IN ('passed', 'failed')),
    accepted_on  date NOT NULL,              -- the day of the 验收 on site
    note         text NOT NULL DEFAULT '',
    recorded_by  text NOT NULL,              -- username of the county regulator
    division_code text NOT NULL,             -- the county it acted for
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX rollout_acceptances_company ON rollout_acceptances (company_code, system, id DESC);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
