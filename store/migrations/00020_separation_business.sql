-- 三员分立, second half: an account holding one of the three administrator roles
-- may hold no business role (an administrator who is also province_leader reads
-- everything it administers), and a business account may not be given an
-- administrator role. The check keeps the per-subject transaction lock of 00006 so
-- two concurrent grants still serialise.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION chemguard_separate_admins() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    admins CONSTANT text[] := ARRAY['system_admin', 'security_admin', 'audit_admin'];
BEGIN
    IF NEW.ptype = 'g' AND NEW.removed_at IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('chemguard_separate_admins'), hashtext(NEW.v0));
        IF EXISTS (SELECT 1 FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
                   AND c.v0 = NEW.v0 AND c.v1 <> NEW.v1
                   AND (c.v1 = ANY (admins) OR NEW.v1 = ANY (admins))) THEN
            RAISE EXCEPTION 'three-role separation: % already holds a role that cannot be combined with %', NEW.v0, NEW.v1
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose Down
SELECT 1;
