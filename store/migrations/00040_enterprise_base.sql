-- The hosted base system's foundation (issue 15): a company's departments, posts
-- and the people in them, notifications to those people, and the outbox through
-- which whatever a module records is published to the platform as the seed's
-- exchange tables. Rows are keyed by company; nothing is physically deleted.
-- Accounts themselves stay in users (domain ent:CODE), with login, lockout, MFA
-- and audit as for regulators.

-- +goose Up
CREATE TABLE enterprise_departments (
    id          bigserial PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    name        text NOT NULL,
    head_id     bigint REFERENCES users (id),   -- 部门负责人
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX enterprise_departments_name ON enterprise_departments (company, name) WHERE deleted_at IS NULL;

CREATE TABLE enterprise_posts (
    id            bigserial PRIMARY KEY,
    company       text NOT NULL REFERENCES enterprises (code),
    department_id bigint NOT NULL REFERENCES enterprise_departments (id),
    name          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX enterprise_posts_name ON enterprise_posts (company, department_id, name) WHERE deleted_at IS NULL;

-- One row per company account: which company, which department.
CREATE TABLE enterprise_members (
    user_id       bigint PRIMARY KEY REFERENCES users (id),
    company       text NOT NULL REFERENCES enterprises (code),
    department_id bigint REFERENCES enterprise_departments (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprise_members_company ON enterprise_members (company);

CREATE TABLE enterprise_member_posts (
    user_id    bigint NOT NULL REFERENCES enterprise_members (user_id),
    post_id    bigint NOT NULL REFERENCES enterprise_posts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz
);
CREATE UNIQUE INDEX enterprise_member_posts_held ON enterprise_member_posts (user_id, post_id) WHERE removed_at IS NULL;
CREATE INDEX enterprise_member_posts_post ON enterprise_member_posts (post_id) WHERE removed_at IS NULL;

-- In-app notifications (the inbox); SMS/IM deliveries are recorded beside them.
CREATE TABLE enterprise_notifications (
    id         bigserial PRIMARY KEY,
    company    text NOT NULL REFERENCES enterprises (code),
    user_id    bigint NOT NULL REFERENCES users (id),
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    urgent     boolean NOT NULL DEFAULT false,
    dedup_key  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz,
    sms_at     timestamptz,                  -- when the SMS/IM gateway accepted it
    sms_error  text
);
CREATE INDEX enterprise_notifications_inbox ON enterprise_notifications (user_id, created_at DESC);
CREATE UNIQUE INDEX enterprise_notifications_dedup ON enterprise_notifications (user_id, dedup_key) WHERE dedup_key IS NOT NULL;

-- Exchange records staged by the base system, published in id order through
-- ingest. A row is staged in the same transaction as the module's change and
-- marked sent when the exchange pipeline acknowledged it.
CREATE TABLE enterprise_outbox (
    id          bigserial PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    slug        text NOT NULL,               -- the exchange table (schemas slug)
    record      jsonb NOT NULL,              -- the record, keys = the seed's 标识符号
    staged_at   timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX enterprise_outbox_pending ON enterprise_outbox (id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE enterprise_outbox;
DROP TABLE enterprise_notifications;
DROP TABLE enterprise_member_posts;
DROP TABLE enterprise_members;
DROP TABLE enterprise_posts;
DROP TABLE enterprise_departments;
