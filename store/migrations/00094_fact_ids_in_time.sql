-- Time-series facts get time-ordered message ids (ingest's factID: the event time's
-- milliseconds, then the content hash) instead of the content hash alone (a UUIDv5),
-- so the histories' primary key grows at its right edge. A fact is still stored once
-- when it is re-sent: the same content gets the same id. What changes is a fact first
-- stored under its UUIDv5 and re-sent after the upgrade (or the reverse, from an ingest
-- node not yet upgraded): the sink then also looks for the fact's id under the other
-- scheme, for every fact whose event time is before prior_ids_until.
--
-- prior_ids_until: on a database that holds exchange versions, two days after this
-- migration — ingest nodes of the older binary are gone within a day, and a fact is
-- received no earlier than 10 minutes before its event time (validation refuses an
-- event time further in the future), so a fact stored under its earlier id has an
-- event time before then. On a new database there is no earlier id to find.

-- +goose Up
CREATE TABLE sink_fact_ids (
    prior_ids_until timestamptz NOT NULL
);
-- +goose StatementBegin
DO $$
DECLARE
    h regclass;
    stored boolean := false;
BEGIN
    FOR h IN SELECT c.oid::regclass FROM pg_class c
        WHERE c.relname LIKE 'x\_%\_history' AND c.relkind IN ('r', 'p')
          AND c.relnamespace = 'public'::regnamespace
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', h) INTO stored;
        EXIT WHEN stored;
    END LOOP;
    INSERT INTO sink_fact_ids VALUES (CASE WHEN stored THEN now() + interval '2 days' ELSE '-infinity' END);
END $$;
-- +goose StatementEnd

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
