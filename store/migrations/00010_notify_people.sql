-- SMS and IM notifications (issue 5, item 1): a regulator's mobile for SMS, and
-- deliveries recorded per recipient. An SMS notifier tells each person separately:
-- one warning_notifications row per event, target and recipient (mobile), plus one
-- row with recipient '' that closes the event for that target once every recipient
-- was told (or given up on). Webhooks and group robots keep recipient ''.

-- +goose Up
ALTER TABLE users ADD COLUMN IF NOT EXISTS mobile text NOT NULL DEFAULT '';
ALTER TABLE warning_notifications ADD COLUMN recipient text NOT NULL DEFAULT '';
ALTER TABLE warning_notifications ADD COLUMN recipient_name text NOT NULL DEFAULT '';
ALTER TABLE warning_notifications DROP CONSTRAINT warning_notifications_event_id_target_key;
ALTER TABLE warning_notifications ADD CONSTRAINT warning_notifications_event_target_recipient
    UNIQUE (event_id, target, recipient);
CREATE INDEX warning_notifications_recent ON warning_notifications (target, recipient, sent_at);
CREATE INDEX warning_notifications_failed ON warning_notifications (target, updated_at) WHERE status = 'failed';

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
