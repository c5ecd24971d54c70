-- The base system's 智能视频 / 加油站视频 module (附件5, 附件7): the company's
-- video-platform setting, its analysis devices (视频智能分析设备, each an AI box
-- holding a signing credential) and cameras (GB28181 channels, bound to an
-- area), the alarms the boxes post with their images, and each alarm's
-- closed-loop handling. Every row is keyed by company; nothing is physically
-- deleted (devices and cameras carry deleted_at, alarms are never removed).

-- +goose Up
CREATE TABLE video_settings (
    company            text PRIMARY KEY REFERENCES enterprises (code),
    live_template      text NOT NULL DEFAULT '',  -- VMS live view: {code}
    playback_template  text NOT NULL DEFAULT '',  -- VMS recording: {code} {start} {end}
    before_seconds     int NOT NULL DEFAULT 30,   -- the recording opens this long before the alarm
    after_seconds      int NOT NULL DEFAULT 120,  -- … and runs this long after it (or to the clear)
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- An analysis device (表2). key_hash identifies the box's credential (the
-- SHA-256 of its key, as the exchange keys are kept); secret is the HMAC key
-- it signs with, sealed with the data key (enc:v1:…) like enterprise_keys'. auto_clear_minutes > 0: the vendor's box never sends a 销警,
-- the module clears its alarms after that long.
CREATE TABLE video_devices (
    id                  uuid PRIMARY KEY,
    company             text NOT NULL REFERENCES enterprises (code),
    code                text NOT NULL,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    vendor              text NOT NULL DEFAULT '',
    auto_clear_minutes  int NOT NULL DEFAULT 0,
    key_hash            bytea UNIQUE,
    secret              text NOT NULL DEFAULT '',
    key_issued_at       timestamptz,
    last_heartbeat      timestamptz,
    status_reported_at  timestamptz,              -- when 表3 was last staged for it
    created_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX video_devices_code ON video_devices (company, code) WHERE deleted_at IS NULL;

-- A camera (视频监控信息): its GB28181 channel code, where it is and the area
-- it watches; device_id is the analysis device that analyses its stream.
CREATE TABLE video_cameras (
    company        text NOT NULL REFERENCES enterprises (code),
    code           text NOT NULL,
    name           text NOT NULL,
    place          text NOT NULL,
    area           text NOT NULL DEFAULT '',
    key_area_kind  text NOT NULL,
    device_id      uuid REFERENCES video_devices (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    PRIMARY KEY (company, code)
);

-- An alarm (表4) from raise to clear, and its handling:
-- received → assigned → handled → confirmed.
CREATE TABLE video_alarms (
    id               uuid PRIMARY KEY,
    company          text NOT NULL REFERENCES enterprises (code),
    device_id        uuid NOT NULL REFERENCES video_devices (id),
    camera_code      text NOT NULL,
    alarm_type       text NOT NULL,
    vendor_event     text NOT NULL DEFAULT '',  -- the box's own id of the event, for pairing its 销警
    raised_at        timestamptz NOT NULL,
    image_ref        text NOT NULL,
    cleared_at       timestamptz,
    clear_image_ref  text NOT NULL DEFAULT '',
    cleared_by       text NOT NULL DEFAULT '',  -- box | auto
    state            text NOT NULL DEFAULT 'received',
    assignee_id      bigint,
    assignee_name    text NOT NULL DEFAULT '',
    handle_note      text NOT NULL DEFAULT '',
    handle_photo     text NOT NULL DEFAULT '',
    handled_at       timestamptz,
    handled_by       text NOT NULL DEFAULT '',
    confirmed_at     timestamptz,
    confirmed_by     text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_alarms_company ON video_alarms (company, raised_at DESC);
CREATE UNIQUE INDEX video_alarms_vendor_event ON video_alarms (device_id, vendor_event) WHERE vendor_event <> '';

-- Each step of an alarm's handling, who took it and why.
CREATE TABLE video_alarm_steps (
    id        bigserial PRIMARY KEY,
    alarm_id  uuid NOT NULL REFERENCES video_alarms (id),
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    step      text NOT NULL,
    note      text NOT NULL DEFAULT ''
);
CREATE INDEX video_alarm_steps_alarm ON video_alarm_steps (alarm_id, at);

-- +goose Down
DROP TABLE video_alarm_steps;
DROP TABLE video_alarms;
DROP TABLE video_cameras;
DROP TABLE video_devices;
DROP TABLE video_settings;
