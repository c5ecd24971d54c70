-- The engines' state heads (governance_state, warning_engine_state) held, beside
-- what changes rarely (definitions, alarms, open warnings, base data), what changes
-- with nearly every record: each point's last-seen time and last value, a company's
-- last upload and its batch counts. A batch that touched a company rewrote its whole
-- head (80–160 kB of JSON for 500 points), parsed and TOASTed by PostgreSQL, whatever
-- the number of its records in the batch. Those fast-changing parts now live in
-- `fresh`: a compact binary encoding (package statebin, written by the engines'
-- MarshalFresh), rewritten alone when only they changed; the jsonb head is rewritten
-- only when it changed itself. A row without `fresh` (written before) holds those
-- parts in its head and is read as it is.

-- +goose Up
ALTER TABLE governance_state ADD COLUMN fresh bytea;
ALTER TABLE warning_engine_state ADD COLUMN fresh bytea;
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE governance_state ALTER COLUMN fresh SET COMPRESSION lz4;
    ALTER TABLE warning_engine_state ALTER COLUMN fresh SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not supported by this server: the fresh parts are compressed with pglz';
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
