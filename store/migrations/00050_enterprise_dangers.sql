-- The hidden-danger ledger (隐患清单) of the hosted base system: one row per danger
-- (its id is the 表6 隐患信息 UUID published to the platform), every step of its
-- governance (登记→整改→验收, sent back, edited, deleted) kept as an event with
-- who, when, what and the photos taken. Keyed by company; nothing is physically
-- deleted.

-- +goose Up
CREATE TABLE enterprise_dangers (
    id               uuid PRIMARY KEY,
    company          text NOT NULL REFERENCES enterprises (code),
    state            text NOT NULL CHECK (state IN ('registered', 'rectifying', 'pending', 'accepted')),
    hazard_code      text NOT NULL,             -- 表6 HAZARD_CODE, the registered 危险源编码
    risk_measure_id  text NOT NULL DEFAULT '',  -- 表6 RISK_MEASURE_ID when found by a task
    check_record_id  text NOT NULL DEFAULT '',  -- 表5 ID of the check that found it
    name             text NOT NULL,             -- 隐患名称
    description      text NOT NULL,             -- 隐患内容 (DANGER_DESC)
    place            text NOT NULL DEFAULT '',  -- 隐患地点
    level            smallint NOT NULL,         -- DANGER_LEVEL 0/1
    danger_type      smallint NOT NULL,         -- HAZARD_DANGER_TYPE 1–8
    source           text NOT NULL,             -- DANGER_SRC 1–11
    manage_type      smallint NOT NULL,         -- DANGER_MANAGE_TYPE 0 即查即改 / 1 限期整改
    basis            text NOT NULL DEFAULT '',  -- 判定依据
    reason           text NOT NULL DEFAULT '',  -- 原因分析
    found_on         date NOT NULL,             -- 排查日期
    department_id    bigint REFERENCES enterprise_departments (id), -- 实施部门
    inspectors       text NOT NULL DEFAULT '',  -- 排查人员
    registrant_id    bigint REFERENCES users (id),
    registrant_name  text NOT NULL,
    registered_at    timestamptz NOT NULL,      -- REGIST_TIME
    deadline         timestamptz,               -- 整改期限 (DANGER_MANAGE_DEADLINE)
    liable_unit      text NOT NULL DEFAULT '',  -- 整改责任单位
    liable_id        bigint REFERENCES users (id),
    liable_name      text NOT NULL DEFAULT '',  -- 整改责任人
    funds            numeric(14, 2),            -- 整改资金（元）
    funds_source     text NOT NULL DEFAULT '',  -- 资金来源
    rectification    text NOT NULL DEFAULT '',  -- 整改落实情况
    completed_on     date,                      -- 整改完成日期
    accept_unit      text NOT NULL DEFAULT '',  -- 评估验收单位
    acceptor_id      bigint REFERENCES users (id), -- the assigned 验收人员; NULL: any manager
    acceptor_name    text NOT NULL DEFAULT '',  -- CHECK_ACCEPT_PERSON once accepted (or the assigned one)
    accepted_at      timestamptz,
    accept_comment   text NOT NULL DEFAULT '',
    origin           text NOT NULL DEFAULT 'ledger' CHECK (origin IN ('ledger', 'check', 'phone', 'import', 'inspect')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    deleted_by       bigint REFERENCES users (id),
    delete_reason    text NOT NULL DEFAULT ''
);
CREATE INDEX enterprise_dangers_company ON enterprise_dangers (company, registered_at DESC);
CREATE INDEX enterprise_dangers_open ON enterprise_dangers (deadline) WHERE deleted_at IS NULL AND state IN ('registered', 'rectifying');
CREATE INDEX enterprise_dangers_liable ON enterprise_dangers (company, liable_id) WHERE deleted_at IS NULL;

-- Every step of a danger's governance; a phone submission carries the client's
-- id so a form the offline queue sends twice is applied once.
CREATE TABLE enterprise_danger_events (
    id         bigserial PRIMARY KEY,
    danger_id  uuid NOT NULL REFERENCES enterprise_dangers (id),
    company    text NOT NULL REFERENCES enterprises (code),
    at         timestamptz NOT NULL,
    actor_id   bigint REFERENCES users (id),
    actor_name text NOT NULL,
    action     text NOT NULL,   -- register, assign, rectify, accept, return, edit, delete, import, sync
    note       text NOT NULL DEFAULT '',
    photos     text[] NOT NULL DEFAULT '{}', -- filestore references
    client_id  text
);
CREATE INDEX enterprise_danger_events_danger ON enterprise_danger_events (danger_id, id);
CREATE UNIQUE INDEX enterprise_danger_events_client ON enterprise_danger_events (company, client_id) WHERE client_id IS NOT NULL;

-- How far each company's 表6 records on the platform were read for the
-- dangers the regulators issued (DANGER_SRC 11).
CREATE TABLE enterprise_danger_sync (
    company      text PRIMARY KEY REFERENCES enterprises (code),
    synced_until timestamptz NOT NULL
);

-- +goose Down
DROP TABLE enterprise_danger_sync;
DROP TABLE enterprise_danger_events;
DROP TABLE enterprise_dangers;
