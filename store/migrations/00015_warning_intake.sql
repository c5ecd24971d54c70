-- The platform's intake of sensor readings as the warning consumer has stored it:
-- the newest received_at (ingest's receive time) of the readings applied, and when
-- the current uninterrupted intake began (after a gap longer than the model file's
-- alarms.intake_gap). The tick judges 数据中断 on this clock, so a platform-side
-- outage (ingest down, the broker or the consumer lagging, the platform stopped)
-- raises no 数据中断 alarm for every company. One row, written in the same
-- transaction as the readings it describes.

-- +goose Up
CREATE TABLE warning_intake (
    id          smallint PRIMARY KEY CHECK (id = 1),
    received_at timestamptz NOT NULL,
    since       timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE warning_intake;
