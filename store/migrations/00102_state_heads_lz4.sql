-- The engines' state heads (governance_state, warning_engine_state) are rewritten at
-- every batch that touches a company, and a head holds every indicator and device of
-- the company: 80–160 kB of JSON for a company with 500 points, which PostgreSQL
-- compresses into TOAST at each write. pglz took about 2.5 ms of statement time per
-- 170 kB head, lz4 about 1 ms for the same size on disk (docs/performance.md, "The
-- sink's history insert, the warning engine's 隐患 and the state heads"). Only new
-- values are compressed with lz4; rows already stored are read as they are. A server
-- built without lz4 keeps pglz.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE governance_state ALTER COLUMN state SET COMPRESSION lz4;
    ALTER TABLE warning_engine_state ALTER COLUMN state SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not supported by this server: the state heads stay compressed with pglz';
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
