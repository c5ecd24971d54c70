-- The inspector mobile app (issue 7 item 2): 在线巡查, 抽查 and 检查督导 records, and
-- the spot checks the system drew. Each record carries the client-generated UUID
-- of the form that made it, so an offline form replayed twice is stored once.
-- Nothing is physically deleted.

-- +goose Up
CREATE TABLE spot_checks (
    id             bigserial PRIMARY KEY,
    client_id      uuid NOT NULL UNIQUE,        -- the drawing form's UUID (a double submit draws once)
    kind           text NOT NULL,               -- company, warning, commitment, permit
    company_code   text NOT NULL REFERENCES enterprises (code),
    target_key     text NOT NULL,               -- the company code, warning id, or the record's key
    target_label   text NOT NULL,
    drawn_by       text NOT NULL,               -- username
    drawn_domain   text NOT NULL,               -- the drawer's domain (division, park:CODE)
    drawn_at       timestamptz NOT NULL
);
CREATE INDEX spot_checks_domain ON spot_checks (drawn_domain, drawn_at DESC);

CREATE TABLE inspections (
    id             bigserial PRIMARY KEY,
    client_id      uuid NOT NULL UNIQUE,        -- the form's UUID: replays are answered with the stored record
    kind           text NOT NULL,               -- patrol 在线巡查, spot 抽查, supervision 检查督导
    company_code   text NOT NULL REFERENCES enterprises (code),
    spot_check_id  bigint REFERENCES spot_checks (id),
    inspector      text NOT NULL,               -- username
    inspector_name text NOT NULL,
    domain         text NOT NULL,               -- the inspector's domain when recording
    tier           text NOT NULL,               -- county, city, province (park counts as county)
    checklist      jsonb NOT NULL DEFAULT '[]', -- [{item, label, status, ok}] against the live status
    result         text NOT NULL,               -- ok 合格, issues 发现问题
    note           text NOT NULL DEFAULT '',
    photos         jsonb NOT NULL DEFAULT '[]', -- [{ref, content_type, size}] in the file store
    danger_id      uuid,                        -- 隐患信息 ID issued through the exchange pipeline (DANGER_SRC 11)
    danger         jsonb,                       -- the issued 隐患信息 record as sent
    recorded_at    timestamptz NOT NULL,        -- when the form was filled in (the phone's clock, bounded)
    received_at    timestamptz NOT NULL
);
CREATE INDEX inspections_company ON inspections (company_code, kind, received_at DESC);
CREATE INDEX inspections_received ON inspections (received_at DESC, id DESC);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
