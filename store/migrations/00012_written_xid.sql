-- The governance consumer (package quality) follows alarms and warning_events by the
-- transaction that last wrote each row: it reads the rows written by transactions
-- from its cursor up to the oldest one still running (pg_snapshot_xmin), so a row
-- committed late by a long transaction is still read once. The writing transaction's
-- id is kept in a column of its own so that read is an index range, not a scan of
-- the whole, ever-growing tables (the system column xmin cannot be indexed).
-- alerting sets it again whenever it updates an alarm; warning_events are only
-- inserted. Rows that existed before this migration carry the migration's id: the
-- consumer reads them once more, which its tracker takes as the same alarm again.

-- +goose Up
ALTER TABLE alarms ADD COLUMN written_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX alarms_written ON alarms (written_xid) WHERE source = 'indicator';
ALTER TABLE warning_events ADD COLUMN written_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX warning_events_written ON warning_events (written_xid);

-- +goose Down
ALTER TABLE warning_events DROP COLUMN written_xid;
ALTER TABLE alarms DROP COLUMN written_xid;
