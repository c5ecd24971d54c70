-- Tiers, identity, authorization and audit (issue 4): chemical parks, users and
-- their sessions, the casbin policy, request-signing nonces, and the append-only,
-- hash-chained audit log. Nothing here is physically deleted: users are disabled,
-- sessions revoked, policy rules marked removed.

-- +goose Up
CREATE TABLE parks (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    division_code text NOT NULL,            -- GB/T 2260 county or city the park is under
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,          -- argon2id, PHC string format
    domain          text NOT NULL,          -- division code, park:CODE or ent:CODE
    totp_secret     text,                   -- base32; NULL until enrolled
    totp_pending    text,                   -- secret offered by enrolment, not yet confirmed
    totp_last_step  bigint NOT NULL DEFAULT 0, -- last accepted 30-second step: a code is used once
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz
);

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,     -- SHA-256 of the token; the token is never stored
    user_id      bigint NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,      -- absolute lifetime
    revoked_at   timestamptz,
    client_ip    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- casbin rules: ptype 'p' (subject, object, action) or 'g' (subject, role, domain).
-- Removing a rule marks it; every change bumps policy_version, which each process
-- polls to reload.
CREATE TABLE casbin_rules (
    id         bigserial PRIMARY KEY,
    ptype      text NOT NULL,
    v0         text NOT NULL DEFAULT '',
    v1         text NOT NULL DEFAULT '',
    v2         text NOT NULL DEFAULT '',
    v3         text NOT NULL DEFAULT '',
    v4         text NOT NULL DEFAULT '',
    v5         text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT '',
    removed_at timestamptz,
    removed_by text
);
CREATE UNIQUE INDEX casbin_rules_active ON casbin_rules (ptype, v0, v1, v2, v3, v4, v5) WHERE removed_at IS NULL;

CREATE TABLE policy_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO policy_version VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION chemguard_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE policy_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER casbin_rules_changed AFTER INSERT OR UPDATE ON casbin_rules
    FOR EACH STATEMENT EXECUTE FUNCTION chemguard_policy_changed();

-- 三员分立: no subject may hold two of the three administrator roles, whoever
-- writes the rule.
-- +goose StatementBegin
CREATE FUNCTION chemguard_separate_admins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ptype = 'g' AND NEW.removed_at IS NULL
       AND NEW.v1 IN ('system_admin', 'security_admin', 'audit_admin')
       AND EXISTS (SELECT 1 FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
                   AND c.v0 = NEW.v0 AND c.v1 <> NEW.v1
                   AND c.v1 IN ('system_admin', 'security_admin', 'audit_admin')) THEN
        RAISE EXCEPTION 'three-role separation: % already holds another administrator role', NEW.v0
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER casbin_rules_separation BEFORE INSERT OR UPDATE ON casbin_rules
    FOR EACH ROW EXECUTE FUNCTION chemguard_separate_admins();

-- Nonces of signed enterprise requests, kept for the signing window to refuse
-- replays. Expired nonces carry no information and are purged.
CREATE TABLE request_nonces (
    key_hash   bytea NOT NULL,
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (key_hash, nonce)
);
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

-- The audit log: append-only and hash-chained. hash = SHA-256(prev_hash ||
-- canonical content of the row); seq has no gaps. Retained at least 180 days
-- (in practice never deleted). Updates, deletes and truncation are refused by
-- triggers, so not even the table's owner changes a row without first disabling
-- them, which the verifier then exposes.
CREATE TABLE audit_log (
    seq        bigint PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,              -- username, "u:ID", "ent:CODE" or "system"
    actor_role text NOT NULL DEFAULT '',
    client_ip  text NOT NULL DEFAULT '',
    action     text NOT NULL,              -- login, logout, login_failed, lockout, deny, grant, …
    object     text NOT NULL DEFAULT '',
    result     text NOT NULL,              -- ok, failed, denied
    detail     text NOT NULL DEFAULT '',   -- JSON text, hashed as stored
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);

-- +goose StatementBegin
CREATE FUNCTION chemguard_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION chemguard_audit_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION chemguard_audit_immutable();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
