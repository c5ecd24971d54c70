-- Who was told what and when (issue 5, notifications): one row per warning event
-- and notification target (webhook:URL, log, …), with the attempts made. Nothing is
-- physically deleted.

-- +goose Up
CREATE TABLE warning_notifications (
    id         bigserial PRIMARY KEY,
    event_id   bigint NOT NULL REFERENCES warning_events (id),
    target     text NOT NULL,                  -- the notifier's target, e.g. webhook:https://…
    status     text NOT NULL,                  -- sent, failed (retried until the attempts run out)
    attempts   integer NOT NULL,
    last_error text NOT NULL DEFAULT '',
    sent_at    timestamptz,
    updated_at timestamptz NOT NULL,
    UNIQUE (event_id, target)
);
CREATE INDEX warning_events_recorded ON warning_events (recorded_at, id);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
