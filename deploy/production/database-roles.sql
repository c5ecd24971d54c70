-- chemguard's database roles in production. Run once as the cluster's
-- administrator, before the first `chemguard migrate`:
--
--   psql -v owner_password="$(cat owner.pw)" -v app_password="$(cat app.pw)" \
--        -f deploy/production/database-roles.sql
--
-- chemguard_owner owns the schema and runs the migrations
--   (CHEMGUARD_MIGRATE_DATABASE_URL=postgres://chemguard_owner@…/chemguard?sslmode=verify-full).
-- chemguard_app is what the application logs in as
--   (CHEMGUARD_DATABASE_URL=postgres://chemguard_app@…/chemguard?sslmode=verify-full).
--   Migration 00031 grants it the business tables and only INSERT and SELECT on
--   audit_log; it owns nothing, so it cannot disable the audit log's triggers,
--   truncate, alter or drop it. Logging in as it (rather than SET ROLE from the
--   owner, as `make run` does) means even an SQL injection cannot RESET ROLE
--   back to more rights.
-- Neither role is a superuser. The TimescaleDB extension needs one to create, so
-- it is created here.

CREATE ROLE chemguard_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE chemguard_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE chemguard OWNER chemguard_owner;
\connect chemguard
ALTER SCHEMA public OWNER TO chemguard_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS timescaledb;
-- The audit administrators' read-only role for their own tools (optional).
CREATE ROLE chemguard_auditor NOLOGIN;
GRANT USAGE ON SCHEMA public TO chemguard_auditor;
ALTER DEFAULT PRIVILEGES FOR ROLE chemguard_owner IN SCHEMA public GRANT SELECT ON TABLES TO chemguard_auditor;
