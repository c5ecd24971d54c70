-- Each company's own IM group robot (企业微信群机器人 or 钉钉自定义机器人), set by
-- its 企业管理员 in the base system: urgent notices also go to that group,
-- @-mentioning the people concerned by mobile. The webhook (which holds the
-- robot's key) and DingTalk's 加签 secret are sealed (sealed.Box); target is
-- the unkeyed name (kind and a hash of the webhook) shown and logged instead.
-- A robot switched off keeps its row (disabled_at), nothing is deleted.

-- +goose Up
CREATE TABLE enterprise_im_robots (
    company     text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    webhook     text NOT NULL,
    secret      text NOT NULL DEFAULT '',
    target      text NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL,
    tested_at   timestamptz,
    test_result text,
    disabled_at timestamptz
);
-- The group delivery of an urgent notice, beside its SMS, with the same backoff.
ALTER TABLE enterprise_notifications ADD COLUMN im_at timestamptz;
ALTER TABLE enterprise_notifications ADD COLUMN im_error text;
ALTER TABLE enterprise_notifications ADD COLUMN im_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE enterprise_notifications ADD COLUMN im_next_at timestamptz;
CREATE INDEX enterprise_notifications_im_sent ON enterprise_notifications (company, im_at) WHERE im_at IS NOT NULL;

-- +goose Down
DROP INDEX enterprise_notifications_im_sent;
ALTER TABLE enterprise_notifications DROP COLUMN im_next_at;
ALTER TABLE enterprise_notifications DROP COLUMN im_attempts;
ALTER TABLE enterprise_notifications DROP COLUMN im_error;
ALTER TABLE enterprise_notifications DROP COLUMN im_at;
DROP TABLE enterprise_im_robots;
