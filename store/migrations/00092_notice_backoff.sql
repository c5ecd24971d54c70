-- A failed urgent text of the base system is retried with exponential backoff
-- (1, 2, 4 … minutes, at most an hour apart) rather than every minute: a
-- gateway that is down is not hammered, a short outage still delivers soon.

-- +goose Up
ALTER TABLE enterprise_notifications ADD COLUMN sms_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE enterprise_notifications ADD COLUMN sms_next_at timestamptz; -- the earliest retry of a failed text
UPDATE enterprise_notifications SET sms_attempts = 1 WHERE sms_error IS NOT NULL;

-- +goose Down
ALTER TABLE enterprise_notifications DROP COLUMN sms_next_at;
ALTER TABLE enterprise_notifications DROP COLUMN sms_attempts;
