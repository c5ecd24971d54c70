-- Fewer writes per record in the sink's transaction, with nothing a reader sees changed
-- (docs/performance.md, "The sink's statements").
--
-- 1. On TimescaleDB, create_hypertable gave every exchange history an index on
--    received_at alone. No query reads a history by receipt time alone: the dedup probes
--    the primary key (msg_id, received_at), read-your-writes and the history reads go
--    through (company_code, record_key, received_at), the alarm statistics filter on
--    event_time. The index cost a third index entry per stored version (WAL records of
--    the history insert +33 %, bytes +16 %). Chunk exclusion uses the chunks'
--    constraints, not this index. Plain PostgreSQL never had it.
-- 2. The current state of the time series (readings and device status) is rewritten by
--    every reading of a point, so its pages fill with dead versions. Half-empty pages
--    let the new version stay on its page, which prunes the dead ones itself: half the
--    pages dirtied per batch and 14 % less WAL for the upsert. These tables hold one
--    row per point or device, so doubling their size costs little. The setting applies
--    to pages written from now on: no rewrite, no long lock.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    idx regclass;
BEGIN
    FOR idx IN
        SELECT i.indexrelid::regclass
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
        WHERE t.relname LIKE 'x\_%\_history' AND t.relkind IN ('r', 'p')
          AND t.relnamespace = 'public'::regnamespace
          AND i.indnatts = 1 AND a.attname = 'received_at' AND NOT i.indisunique
    LOOP
        EXECUTE format('DROP INDEX %s', idx);
    END LOOP;
END $$;
-- +goose StatementEnd
ALTER TABLE x_sensor_readings SET (fillfactor = 50);
ALTER TABLE x_video_device_status SET (fillfactor = 50);
ALTER TABLE x_gas_station_video_device_status SET (fillfactor = 50);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
