-- 三员分立 under concurrency: two transactions granting the same subject two
-- different administrator roles at the same moment could each miss the other's
-- uncommitted row. The check now first takes a transaction lock per subject, so the
-- second waits for the first to commit and then sees its grant.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chemguard_separate_admins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ptype = 'g' AND NEW.removed_at IS NULL
       AND NEW.v1 IN ('system_admin', 'security_admin', 'audit_admin') THEN
        PERFORM pg_advisory_xact_lock(hashtext('chemguard_separate_admins'), hashtext(NEW.v0));
        IF EXISTS (SELECT 1 FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
                   AND c.v0 = NEW.v0 AND c.v1 <> NEW.v1
                   AND c.v1 IN ('system_admin', 'security_admin', 'audit_admin')) THEN
            RAISE EXCEPTION 'three-role separation: % already holds another administrator role', NEW.v0
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose Down
SELECT 1;
