-- The governance consumer (package quality) keeps, in the same transaction as the
-- facts and its trackers' state, the next offset of every topic partition it has
-- applied. A batch stored but not committed to Kafka (a crash, a failed commit, a
-- rebalance) is delivered again; the records below the stored offset are skipped, so
-- a replay neither counts uploads twice nor makes a replayed reading look like a
-- reading the company sent twice (重复数据). A record below the stored offset but
-- appended after the last one applied is not a replay but a new log (the broker's
-- topics recreated): it is applied and the offsets start again from it.

-- +goose Up
CREATE TABLE governance_offsets (
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,  -- the first offset not yet applied
    last_time   timestamptz NOT NULL,  -- the append time of the last record applied
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- +goose Down
DROP TABLE governance_offsets;
