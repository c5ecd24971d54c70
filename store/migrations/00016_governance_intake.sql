-- The platform's intake of exchange records as the governance consumer
-- (chemguard-governance) has applied them, from every company: the newest
-- received_at (ingest's receive time) of the records and rejections applied, and
-- when the current uninterrupted intake began (after a pause longer than the
-- governance limits' intake_gap). The governance tick judges facts from absence
-- (未承诺, 数据采集离线, 企业系统离线, …) on this clock, so a platform-side outage
-- (ingest down, the broker or the consumer lagging, the platform stopped) is not
-- charged to the companies. One row, written in the same transaction as the batch
-- it describes (docs/governance.md §1, 平台接入中断).

-- +goose Up
CREATE TABLE governance_intake (
    id          smallint PRIMARY KEY CHECK (id = 1),
    received_at timestamptz NOT NULL,
    since       timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE governance_intake;
