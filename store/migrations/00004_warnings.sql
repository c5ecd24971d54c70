-- Alarms, warnings and their disposal (issue 5), written by the warning consumer
-- (package alerting) in the same transaction as the engine state that produced them.
-- Nothing is physically deleted: alarms are cleared, warnings settled, and every
-- change of a warning is a row of warning_events.

-- +goose Up
-- 报警/销警: one row per alarm from raising to clearing, keyed by the engine's alarm id.
CREATE TABLE alarms (
    id             bigserial PRIMARY KEY,
    alarm_key      text NOT NULL,                -- the engine's id: company/indicator/start or source:ALARM_ID
    company_code   text NOT NULL,
    source         text NOT NULL,                -- indicator, or the company table: video, gas-station-video, positioning
    indicator_code text NOT NULL DEFAULT '',
    hazard_code    text NOT NULL DEFAULT '',
    area           text NOT NULL DEFAULT '',
    kind           text NOT NULL DEFAULT '',     -- INDICATOR_KIND
    alarm_type     text NOT NULL DEFAULT '',     -- the company's 报警类型 code
    severity       text NOT NULL,                -- high_high, high, low, low_low, no_data, company
    max_severity   text NOT NULL,
    limit_value    double precision,
    started_at     timestamptz NOT NULL,
    raised_at      timestamptz NOT NULL,
    peak           double precision,
    peak_at        timestamptz,
    cleared_at     timestamptz,                  -- NULL while active
    clear_reason   text NOT NULL DEFAULT '',
    doc            jsonb NOT NULL,               -- the engine's alarm as last seen
    updated_at     timestamptz NOT NULL,
    UNIQUE (company_code, alarm_key)
);
CREATE INDEX alarms_company ON alarms (company_code, started_at DESC);
CREATE INDEX alarms_active ON alarms (started_at DESC) WHERE cleared_at IS NULL;

-- 预警: one row per warning from 发布 until its disposal ends (status settled).
CREATE TABLE warnings (
    id             bigserial PRIMARY KEY,
    warning_key    text NOT NULL UNIQUE,         -- the engine's id
    company_code   text NOT NULL,
    model          text NOT NULL,                -- enterprise, warehouse, leak
    subject        text NOT NULL DEFAULT '',     -- warehouse HAZARD_CODE, or AREA/gas kind
    subject_name   text NOT NULL DEFAULT '',
    area           text NOT NULL DEFAULT '',
    level          text NOT NULL,                -- red, orange, yellow, blue, none
    score          double precision NOT NULL,
    status         text NOT NULL,                -- open, settled
    step           text NOT NULL,                -- disposal step: published … closed, downgraded, false_alarm
    tier           text NOT NULL,                -- tier watching: county, city, province
    deadline       timestamptz,                  -- of the awaited step
    overdue_at     timestamptz,
    config_version text NOT NULL,
    raised_at      timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    settled_at     timestamptz,
    factors        jsonb NOT NULL,
    doc            jsonb NOT NULL                -- the engine's warning: history, disposal
);
CREATE INDEX warnings_company ON warnings (company_code, raised_at DESC);
CREATE INDEX warnings_raised ON warnings (raised_at DESC);
CREATE INDEX warnings_open ON warnings (raised_at DESC) WHERE status = 'open';

-- Every change of a warning: raised, escalated, lowered, cleared, disposal actions,
-- escalations up the tiers, settlement — with the reason, who and when.
CREATE TABLE warning_events (
    id          bigserial PRIMARY KEY,
    warning_id  bigint NOT NULL REFERENCES warnings (id),
    kind        text NOT NULL,                   -- warning.ChangeKind
    at          timestamptz NOT NULL,
    level       text NOT NULL,
    step        text NOT NULL,
    tier        text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    actor_id    text NOT NULL DEFAULT '',        -- '' for the models and the clock
    actor_name  text NOT NULL DEFAULT '',
    actor_role  text NOT NULL DEFAULT '',
    action      jsonb,
    escalation  jsonb,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warning_events_warning ON warning_events (warning_id, id);

-- The warning engine's memory, one row per company, versioned: whoever changes a
-- company's state locks its row and checks the version, so a process whose copy is
-- stale (its partitions moved, another process acted) reloads it first.
CREATE TABLE warning_engine_state (
    company_code text PRIMARY KEY,
    version      bigint NOT NULL,
    state        jsonb NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
