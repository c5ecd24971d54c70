-- The base system's 人员定位 module (人员自动定位系统建设与应用指南): the people
-- who carry tags (employees, contractors' people, visitors, vehicles with their
-- drivers and escorts) and the history of which tag each carried; the plant's
-- floor plans with their coordinate frame; electronic fences; the positioning
-- gateways' credentials; every fix as a track (a hypertable with TimescaleDB, a
-- plain table without it — the same queries work on both); the alarms with
-- their handling and confirmation. Rows are keyed by company and carry
-- deleted_at/unbound_at/revoked_at instead of being deleted — only fixes older
-- than the retention window (≥ 30 days, 指南 4.3) are purged.

-- +goose Up
CREATE TABLE pos_people (
    id            bigserial PRIMARY KEY,
    company       text NOT NULL REFERENCES enterprises (code),
    kind          text NOT NULL CHECK (kind IN ('employee', 'contractor', 'visitor', 'vehicle', 'driver', 'escort')),
    user_id       bigint REFERENCES users (id),            -- an employee: the member
    worker_id     bigint REFERENCES permit_workers (id),   -- a contractor's person: the permit module's worker
    name          text NOT NULL,                           -- 姓名, or a vehicle's 车牌号
    unit          text NOT NULL DEFAULT '',                -- 单位名称
    age           int CHECK (age IS NULL OR age BETWEEN 14 AND 100),
    trade         text NOT NULL DEFAULT '',                -- 工种
    training      text NOT NULL DEFAULT '',                -- 培训情况
    mobile        text NOT NULL DEFAULT '',
    post_fence_id bigint,                                  -- the 岗位区域 whose leaving is 离岗
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX pos_people_company ON pos_people (company) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX pos_people_user ON pos_people (company, user_id) WHERE deleted_at IS NULL AND user_id IS NOT NULL;

-- Which person carried which tag (定位卡), when: a tag is bound to at most one
-- person at a time; unbinding closes the row.
CREATE TABLE pos_tags (
    id          bigserial PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    card_no     text NOT NULL CHECK (length(card_no) BETWEEN 1 AND 36),
    person_id   bigint NOT NULL REFERENCES pos_people (id),
    bound_at    timestamptz NOT NULL,
    bound_by    bigint REFERENCES users (id),
    unbound_at  timestamptz,
    unbound_by  bigint REFERENCES users (id)
);
CREATE UNIQUE INDEX pos_tags_card ON pos_tags (company, card_no) WHERE unbound_at IS NULL;
CREATE UNIQUE INDEX pos_tags_person ON pos_tags (company, person_id) WHERE unbound_at IS NULL;

-- A floor's plan image and its frame: the image spans width_m × height_m metres
-- from the plant's origin, x to the right and y up; fixes are in metres.
CREATE TABLE pos_floors (
    company    text NOT NULL REFERENCES enterprises (code),
    floor      text NOT NULL CHECK (length(floor) BETWEEN 1 AND 5),   -- 楼层号 (表1 floorNo)
    name       text NOT NULL DEFAULT '',
    image_ref  text NOT NULL DEFAULT '',
    image_type text NOT NULL DEFAULT '',
    width_m    float8 NOT NULL CHECK (width_m > 0),
    height_m   float8 NOT NULL CHECK (height_m > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company, floor)
);

CREATE TABLE pos_fences (
    id            bigserial PRIMARY KEY,
    company       text NOT NULL REFERENCES enterprises (code),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 36),  -- 报警位置 (表1 alarmLocation)
    floor         text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('hazard', 'area', 'control', 'post', 'work')),
    polygon       jsonb NOT NULL,            -- [[x, y], …] in metres, ≥ 3 points
    max_people    int NOT NULL DEFAULT 0,    -- 超员: raised when this many are inside (0: none)
    min_people    int NOT NULL DEFAULT 0,    -- 缺员: raised when fewer are inside (0: none)
    max_stay_s    int NOT NULL DEFAULT 0,    -- 滞留: seconds one person may stay (0: none)
    still_s       int NOT NULL DEFAULT 0,    -- 静止: seconds without moving (0: none)
    active_from   int NOT NULL DEFAULT 0,    -- 生效时间: minutes after midnight, Asia/Shanghai
    active_to     int NOT NULL DEFAULT 1440,
    suspended     boolean NOT NULL DEFAULT false, -- 停用 (停产检修, 指南 4.8)
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE INDEX pos_fences_company ON pos_fences (company) WHERE deleted_at IS NULL;

CREATE TABLE pos_settings (
    company    text PRIMARY KEY REFERENCES enterprises (code),
    suspended  boolean NOT NULL DEFAULT false,   -- the whole plant's positioning stopped (停产检修)
    reason     text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A positioning gateway's credential: its key (stored as SHA-256) and the HMAC
-- secret it signs with, as the exchange API's keys.
CREATE TABLE pos_gateways (
    id         bigserial PRIMARY KEY,
    company    text NOT NULL REFERENCES enterprises (code),
    name       text NOT NULL,
    key_hash   bytea NOT NULL UNIQUE,
    secret     text NOT NULL,
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- The last fix of each tag and what the rules need of its past: since when it
-- has not moved, and since when it has been inside each fence.
CREATE TABLE pos_last (
    company     text NOT NULL REFERENCES enterprises (code),
    card_no     text NOT NULL,
    fix_time    timestamptz NOT NULL,
    x           float8 NOT NULL,
    y           float8 NOT NULL,
    floor       text NOT NULL,
    still_since timestamptz NOT NULL,
    entered     jsonb NOT NULL DEFAULT '{}',   -- {"fence id": "RFC 3339 time entered"}
    PRIMARY KEY (company, card_no)
);

-- An alarm (表1): raised once per episode of its condition (key), handled
-- (销警, published as alarm:handle under the same id) and confirmed.
CREATE TABLE pos_alarms (
    id            uuid PRIMARY KEY,
    company       text NOT NULL REFERENCES enterprises (code),
    key           text NOT NULL,              -- type/fence/card: one open episode per key
    alarm_type    text NOT NULL,              -- 表2 code
    card_no       text NOT NULL,
    real_name     text NOT NULL,
    info          text NOT NULL,
    fence_id      bigint REFERENCES pos_fences (id),
    location      text NOT NULL,
    floor         text NOT NULL,
    x             float8 NOT NULL,
    y             float8 NOT NULL,
    permit_id     uuid,
    raised_at     timestamptz NOT NULL,
    ended_at      timestamptz,                -- the condition is over
    handled_at    timestamptz,
    handled_by    bigint REFERENCES users (id),
    handle_info   text NOT NULL DEFAULT '',
    confirmed_at  timestamptz,
    confirmed_by  bigint REFERENCES users (id)
);
CREATE UNIQUE INDEX pos_alarms_open ON pos_alarms (company, key) WHERE ended_at IS NULL;
CREATE INDEX pos_alarms_company ON pos_alarms (company, raised_at DESC);

-- +goose StatementBegin
DO $$
DECLARE
    timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb');
BEGIN
    CREATE TABLE pos_fixes (
        company   text NOT NULL,
        card_no   text NOT NULL,
        fix_time  timestamptz NOT NULL,
        x         float8 NOT NULL,
        y         float8 NOT NULL,
        floor     text NOT NULL,
        person_id bigint,
        sos       boolean NOT NULL DEFAULT false,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (company, card_no, fix_time)
    );
    IF timescale THEN
        PERFORM create_hypertable('pos_fixes', by_range('fix_time', interval '1 day'));
        ALTER TABLE pos_fixes SET (timescaledb.compress,
            timescaledb.compress_segmentby = 'company, card_no',
            timescaledb.compress_orderby = 'fix_time');
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE pos_fixes;
DROP TABLE pos_alarms;
DROP TABLE pos_last;
DROP TABLE pos_gateways;
DROP TABLE pos_settings;
DROP TABLE pos_fences;
DROP TABLE pos_floors;
DROP TABLE pos_tags;
DROP TABLE pos_people;
