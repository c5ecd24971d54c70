-- The audit chain keyed with HMAC-SHA256 under CHEMGUARD_AUDIT_KEY, and the
-- application's own database role.
--
-- chain_version says how a row's hash was computed: 1 for the rows written
-- before this migration (plain SHA-256, still verifiable), 2 for keyed rows.
-- Once a keyed row exists an unkeyed one may not follow (the verifier refuses
-- it), so the cut-over is the first row with chain_version 2.
--
-- chemguard_app is the role the application runs as: it reads and writes the
-- business tables but may only INSERT and SELECT the audit log, and owns
-- nothing, so it cannot disable the log's triggers, truncate it or alter it.
-- The role that runs these migrations (the owner) stays separate. A deployment
-- either logs in as a LOGIN role that is a member of chemguard_app (see
-- deploy/production/database-roles.sql) or, in development, connects as the
-- owner and switches with SET ROLE (CHEMGUARD_DATABASE_ROLE).

-- +goose Up
ALTER TABLE audit_log ADD COLUMN chain_version smallint NOT NULL DEFAULT 1;
ALTER TABLE audit_log ALTER COLUMN chain_version SET DEFAULT 2;

-- Roles are shared by every database of the cluster: several databases (tests)
-- may migrate at once, so creating it tolerates losing the race.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chemguard_app') THEN
        BEGIN
            CREATE ROLE chemguard_app NOLOGIN;
        EXCEPTION WHEN OTHERS THEN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chemguard_app') THEN
                RAISE;
            END IF;
        END;
    END IF;
END $$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO chemguard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO chemguard_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO chemguard_app;
-- Tables and sequences later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chemguard_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO chemguard_app;
-- The audit log: append and read only.
REVOKE ALL ON audit_log FROM chemguard_app;
GRANT SELECT, INSERT ON audit_log TO chemguard_app;
-- The migration history is the owner's.
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM chemguard_app;

-- Monthly history partitions are created at run time too (the daily
-- maintenance); creating a partition needs the parent's owner, so the function
-- runs with its owner's rights, on a fixed search path.
ALTER FUNCTION chemguard_ensure_partitions(text, timestamptz, timestamptz) SECURITY DEFINER SET search_path = public, pg_temp;

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
