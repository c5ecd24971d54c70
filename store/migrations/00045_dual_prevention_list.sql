-- 双重预防 in the hosted base system: the company's 风险分级管控及隐患排查清单
-- (risk units → risk events → control measures), the check tasks generated from
-- it, and the checks performed. Every row is keyed by company; nothing is
-- physically deleted (deleted_at, published as DELETED=1). The UUIDs are the
-- exchange tables' IDs (表1–表5), so what the platform holds is these rows.

-- +goose Up
-- no is the short number printed under a unit's QR label, for typing it in
-- where the camera cannot scan.
CREATE TABLE dp_units (
    id             uuid PRIMARY KEY,
    no             bigserial UNIQUE,
    company        text NOT NULL REFERENCES enterprises (code),
    object_kind    text NOT NULL CHECK (object_kind IN ('生产装置', '罐区', '库区')),
    hazard_code    text NOT NULL,
    department_id  bigint NOT NULL REFERENCES enterprise_departments (id),
    liable_user_id bigint NOT NULL REFERENCES users (id),
    name           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX dp_units_company ON dp_units (company) WHERE deleted_at IS NULL;

-- risk_level is the 风险等级 of the event: 1 重大 (红), 2 较大 (橙), 3 一般 (黄), 4 低 (蓝).
-- seq keeps the order entries were written in (an import writes many at one
-- instant).
CREATE TABLE dp_events (
    id         uuid PRIMARY KEY,
    seq        bigserial,
    company    text NOT NULL REFERENCES enterprises (code),
    unit_id    uuid NOT NULL REFERENCES dp_units (id),
    name       text NOT NULL,
    risk_level smallint NOT NULL CHECK (risk_level BETWEEN 1 AND 4),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX dp_events_unit ON dp_events (unit_id) WHERE deleted_at IS NULL;

-- cycle_unit keeps the list's own unit (周 included); the exchange record maps
-- it to the seed's 小时/天/月/年.
CREATE TABLE dp_measures (
    id           uuid PRIMARY KEY,
    seq          bigserial,
    company      text NOT NULL REFERENCES enterprises (code),
    event_id     uuid NOT NULL REFERENCES dp_events (id),
    control_mode text NOT NULL DEFAULT '',
    description  text NOT NULL,
    class1       text NOT NULL,
    class2       text NOT NULL,
    class3       text NOT NULL DEFAULT '',
    content      text NOT NULL,
    post_id      bigint NOT NULL REFERENCES enterprise_posts (id),
    cycle_n      integer NOT NULL CHECK (cycle_n BETWEEN 1 AND 9999),
    cycle_unit   text NOT NULL CHECK (cycle_unit IN ('小时', '天', '周', '月', '年')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX dp_measures_event ON dp_measures (event_id) WHERE deleted_at IS NULL;

-- Which 风险等级 generate tasks, per company (all four until configured).
CREATE TABLE dp_task_settings (
    company    text PRIMARY KEY REFERENCES enterprises (code),
    levels     smallint[] NOT NULL DEFAULT '{1,2,3,4}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One task per measure. anchor is where its periods start counting; the
-- post and cycle start as the measure's and may be changed on the task.
CREATE TABLE dp_tasks (
    id          uuid PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    measure_id  uuid NOT NULL UNIQUE REFERENCES dp_measures (id),
    post_id     bigint NOT NULL REFERENCES enterprise_posts (id),
    cycle_n     integer NOT NULL CHECK (cycle_n BETWEEN 1 AND 9999),
    cycle_unit  text NOT NULL CHECK (cycle_unit IN ('小时', '天', '周', '月', '年')),
    enabled     boolean NOT NULL DEFAULT true,
    anchor      timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX dp_tasks_company ON dp_tasks (company) WHERE deleted_at IS NULL;

-- status is the seed's CHECK_STATUS: 0 正常, 1 存在隐患, 2 未排查, 3 其他.
-- client_id makes a phone's retried submission (the offline queue) land once.
CREATE TABLE dp_checks (
    id           uuid PRIMARY KEY,
    company      text NOT NULL REFERENCES enterprises (code),
    task_id      uuid NOT NULL REFERENCES dp_tasks (id),
    client_id    uuid NOT NULL UNIQUE,
    checker_id   bigint NOT NULL REFERENCES users (id),
    checker_name text NOT NULL,
    checked_at   timestamptz NOT NULL,
    status       text NOT NULL CHECK (status IN ('0', '1', '2', '3')),
    note         text NOT NULL DEFAULT '',
    photos       jsonb NOT NULL DEFAULT '[]',
    danger_id    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX dp_checks_task ON dp_checks (task_id, checked_at) WHERE deleted_at IS NULL;
CREATE INDEX dp_checks_company ON dp_checks (company, checked_at) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE dp_checks;
DROP TABLE dp_tasks;
DROP TABLE dp_task_settings;
DROP TABLE dp_measures;
DROP TABLE dp_events;
DROP TABLE dp_units;
