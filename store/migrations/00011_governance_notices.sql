-- 整改通知 (governance notices, issue 6 item 4): a regulator's notice to a company to
-- fix one or more data-quality facts (governance_facts), with a requirement and a
-- deadline. The company signs (签收) and answers (整改反馈) through its API key; the
-- notice closes by itself once every fact it names has ended in the data, or a
-- regulator closes or reopens it with a reason. Written by package quality
-- (notice.go); every step is also in the audit log.
-- Nothing is physically deleted: a notice's steps are appended to
-- governance_notice_steps and DELETE is refused on all three tables.

-- +goose Up
CREATE TABLE governance_notices (
    id              bigserial PRIMARY KEY,
    company_code    text NOT NULL REFERENCES enterprises (code),
    division_code   text NOT NULL,                 -- the company's county when issued
    park_code       text NOT NULL DEFAULT '',
    requirement     text NOT NULL,                 -- 整改要求
    deadline        timestamptz NOT NULL,          -- 整改期限
    status          text NOT NULL CHECK (status IN ('issued', 'acknowledged', 'answered', 'closed')),
    -- auto_close: the notice closes by itself when its facts end; a regulator's
    -- reopening turns it off (facts never reopen, so only a person closes it then).
    auto_close      boolean NOT NULL DEFAULT true,
    issued_by       text NOT NULL,                 -- username
    issuer_domain   text NOT NULL,                 -- the issuer's region
    issued_at       timestamptz NOT NULL,
    acknowledged_at timestamptz,
    answer          text NOT NULL DEFAULT '',      -- the company's latest 整改反馈
    answered_at     timestamptz,
    closed_at       timestamptz,
    closed_by       text NOT NULL DEFAULT '',      -- username, or 'system' when the data showed the facts fixed
    close_reason    text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL
);
CREATE INDEX governance_notices_company ON governance_notices (company_code, issued_at DESC);
CREATE INDEX governance_notices_division ON governance_notices (division_code, issued_at DESC);
CREATE INDEX governance_notices_open ON governance_notices (deadline) WHERE status <> 'closed';

-- The facts a notice names.
CREATE TABLE governance_notice_facts (
    notice_id bigint NOT NULL REFERENCES governance_notices (id),
    fact_id   text NOT NULL REFERENCES governance_facts (fact_id),
    PRIMARY KEY (notice_id, fact_id)
);
CREATE INDEX governance_notice_facts_fact ON governance_notice_facts (fact_id);

-- 状态历史: one row per step, in order.
CREATE TABLE governance_notice_steps (
    id          bigserial PRIMARY KEY,
    notice_id   bigint NOT NULL REFERENCES governance_notices (id),
    action      text NOT NULL,                     -- issue, acknowledge, answer, close, auto_close, reopen
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL,
    actor       text NOT NULL,                     -- username, ent:CODE, or system
    actor_role  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',          -- requirement, answer or reason
    at          timestamptz NOT NULL
);
CREATE INDEX governance_notice_steps_notice ON governance_notice_steps (notice_id, id);

-- +goose StatementBegin
CREATE FUNCTION chemguard_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is never physically deleted: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER governance_notices_no_delete BEFORE DELETE ON governance_notices
    FOR EACH ROW EXECUTE FUNCTION chemguard_no_delete();
CREATE TRIGGER governance_notice_facts_no_delete BEFORE DELETE ON governance_notice_facts
    FOR EACH ROW EXECUTE FUNCTION chemguard_no_delete();
CREATE TRIGGER governance_notice_steps_no_change BEFORE UPDATE OR DELETE ON governance_notice_steps
    FOR EACH ROW EXECUTE FUNCTION chemguard_no_delete();

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
