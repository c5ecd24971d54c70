-- The base system's 特殊作业 module: bookings (作业活动预约), electronic permits
-- (作业票) with their approval chain, gas analyses, signatures, process events
-- and photos; contractors and their qualified people; the risk/measure
-- knowledge base; cameras bound to work areas. Every row is keyed by company;
-- nothing is physically deleted (revoked/voided permits keep their rows,
-- contractors and people carry deleted_at).

-- +goose Up
CREATE TABLE permit_contractors (
    id          bigserial PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    name        text NOT NULL,
    contact     text NOT NULL DEFAULT '',
    mobile      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX permit_contractors_name ON permit_contractors (company, name) WHERE deleted_at IS NULL;

-- A worker of the company or of a contractor, with the 特种作业操作证 the
-- permit checks when it names them.
CREATE TABLE permit_workers (
    id             bigserial PRIMARY KEY,
    company        text NOT NULL REFERENCES enterprises (code),
    contractor_id  bigint REFERENCES permit_contractors (id),
    name           text NOT NULL,
    mobile         text NOT NULL DEFAULT '',
    cert_no        text NOT NULL DEFAULT '',
    cert_kind      text NOT NULL DEFAULT '',   -- e.g. 焊接与热切割作业
    cert_valid_to  date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX permit_workers_company ON permit_workers (company) WHERE deleted_at IS NULL;

-- The equipment and gas library (设备、检测气体库).
CREATE TABLE permit_library (
    id         bigserial PRIMARY KEY,
    company    text NOT NULL REFERENCES enterprises (code),
    kind       text NOT NULL CHECK (kind IN ('equipment', 'gas')),
    name       text NOT NULL,
    unit       text NOT NULL DEFAULT '',       -- gas: %LEL, %VOL, ppm, mg/m3
    limit_low  double precision,               -- gas: lowest qualified value (氧含量)
    limit_high double precision,               -- gas: highest qualified value
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE UNIQUE INDEX permit_library_name ON permit_library (company, kind, name) WHERE deleted_at IS NULL;

CREATE TABLE permit_bookings (
    id             bigserial PRIMARY KEY,
    company        text NOT NULL REFERENCES enterprises (code),
    task_type      text NOT NULL,               -- 表2 细类编码
    content        text NOT NULL,
    place          text NOT NULL,
    unit           text NOT NULL,               -- 作业单位
    contractor_id  bigint REFERENCES permit_contractors (id),
    planned_start  timestamptz NOT NULL,
    planned_end    timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    applicant_id   bigint NOT NULL REFERENCES users (id),
    reviewer_id    bigint REFERENCES users (id),
    review_note    text NOT NULL DEFAULT '',
    reviewed_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX permit_bookings_company ON permit_bookings (company, planned_start);

CREATE TABLE permits (
    id              uuid PRIMARY KEY,            -- 表1 ID
    company         text NOT NULL REFERENCES enterprises (code),
    booking_id      bigint NOT NULL REFERENCES permit_bookings (id),
    number          text NOT NULL,               -- 票号, per company
    task_type       text NOT NULL,
    status          text NOT NULL,
    place           text NOT NULL,
    content         text NOT NULL,
    unit            text NOT NULL,
    contractor_id   bigint REFERENCES permit_contractors (id),
    major_person    text NOT NULL,               -- 作业负责人
    major_mobile    text NOT NULL,
    guardian_id     bigint REFERENCES users (id),-- 监护人
    guardian_name   text NOT NULL DEFAULT '',
    planned_start   timestamptz NOT NULL,
    planned_end     timestamptz NOT NULL,
    issue_mode      text NOT NULL DEFAULT 'routed' CHECK (issue_mode IN ('routed', 'onsite')),
    risks           text NOT NULL DEFAULT '',    -- 风险辨识
    measures        jsonb NOT NULL DEFAULT '[]', -- [{text, confirmed_by, confirmed_at}]
    workers         bigint[] NOT NULL DEFAULT '{}',
    issued_at       timestamptz,
    valid_until     timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    accepted_at     timestamptz,
    archived_at     timestamptz,
    changed_reason  text NOT NULL DEFAULT '',
    cancelled_reason text NOT NULL DEFAULT '',
    pdf_ref         text NOT NULL DEFAULT '',
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX permits_number ON permits (company, number);
CREATE INDEX permits_company ON permits (company, planned_start);

-- The approval chain, one row per step as signed; a rejected step sends the
-- permit back to the applicant.
CREATE TABLE permit_approvals (
    id          bigserial PRIMARY KEY,
    permit_id   uuid NOT NULL REFERENCES permits (id),
    step        integer NOT NULL,
    step_label  text NOT NULL,
    user_id     bigint NOT NULL REFERENCES users (id),
    user_name   text NOT NULL,
    approved    boolean NOT NULL,
    note        text NOT NULL DEFAULT '',
    signature   text NOT NULL DEFAULT '',   -- filestore ref of the drawn PNG
    signed_at   timestamptz NOT NULL
);
CREATE INDEX permit_approvals_permit ON permit_approvals (permit_id, id);

CREATE TABLE permit_gas_analyses (
    id           bigserial PRIMARY KEY,
    permit_id    uuid NOT NULL REFERENCES permits (id),
    sampled_at   timestamptz NOT NULL,
    point        text NOT NULL,             -- 取样点
    gas          text NOT NULL,
    value        double precision NOT NULL,
    unit         text NOT NULL,
    qualified    boolean NOT NULL,
    source       text NOT NULL CHECK (source IN ('manual', 'detector')),
    indicator    text NOT NULL DEFAULT '',  -- INDICATOR_CODE when taken from a fixed detector
    analyst_id   bigint NOT NULL REFERENCES users (id),
    analyst_name text NOT NULL,
    signature    text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX permit_gas_permit ON permit_gas_analyses (permit_id, sampled_at);

-- The permit's history: each step someone took (briefing signatures,
-- interruptions, guardian changes, photos, revoke/void) with who and when.
CREATE TABLE permit_events (
    id          bigserial PRIMARY KEY,
    permit_id   uuid NOT NULL REFERENCES permits (id),
    kind        text NOT NULL,
    actor_id    bigint NOT NULL REFERENCES users (id),
    actor_name  text NOT NULL,
    note        text NOT NULL DEFAULT '',
    file_ref    text NOT NULL DEFAULT '',  -- signature PNG or photo
    at          timestamptz NOT NULL
);
CREATE INDEX permit_events_permit ON permit_events (permit_id, id);

-- The risk/measure knowledge base: grows from every permit issued.
CREATE TABLE permit_knowledge (
    company    text NOT NULL REFERENCES enterprises (code),
    category   text NOT NULL,              -- 大类编码
    kind       text NOT NULL CHECK (kind IN ('risk', 'measure')),
    text       text NOT NULL,
    uses       integer NOT NULL DEFAULT 1,
    last_used  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company, category, kind, text)
);

-- Cameras (the company's registered 视频监控信息) bound to a work area; the
-- permit page links them through the company's URL template.
CREATE TABLE permit_cameras (
    company    text NOT NULL REFERENCES enterprises (code),
    area       text NOT NULL,
    video_code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz
);
CREATE UNIQUE INDEX permit_cameras_bound ON permit_cameras (company, area, video_code) WHERE removed_at IS NULL;

CREATE TABLE permit_settings (
    company        text PRIMARY KEY REFERENCES enterprises (code),
    video_template text NOT NULL DEFAULT '',  -- e.g. https://vms.example/{code}?start={start}&end={end}
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE permit_settings;
DROP TABLE permit_cameras;
DROP TABLE permit_knowledge;
DROP TABLE permit_events;
DROP TABLE permit_gas_analyses;
DROP TABLE permit_approvals;
DROP TABLE permits;
DROP TABLE permit_bookings;
DROP TABLE permit_library;
DROP TABLE permit_workers;
DROP TABLE permit_contractors;
