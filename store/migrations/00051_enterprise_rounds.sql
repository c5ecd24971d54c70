-- 日常巡检 of the hosted base system: a company's patrol routes (巡检路线), the points
-- on them with the key operating parameter read at each and its expected range,
-- and every patrol's readings, from which the 巡检记录表 is produced. Keyed by
-- company; nothing is physically deleted.

-- +goose Up
CREATE TABLE enterprise_round_routes (
    id            bigserial PRIMARY KEY,
    company       text NOT NULL REFERENCES enterprises (code),
    name          text NOT NULL,
    department_id bigint REFERENCES enterprise_departments (id),
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX enterprise_round_routes_name ON enterprise_round_routes (company, name) WHERE deleted_at IS NULL;

CREATE TABLE enterprise_round_points (
    id          bigserial PRIMARY KEY,
    route_id    bigint NOT NULL REFERENCES enterprise_round_routes (id),
    company     text NOT NULL REFERENCES enterprises (code),
    seq         integer NOT NULL,
    name        text NOT NULL,             -- 巡检点, e.g. 1 号液氨储罐
    parameter   text NOT NULL,             -- 参数, e.g. 压力
    unit        text NOT NULL DEFAULT '',  -- MPa, ℃, %
    min_value   numeric,                   -- expected range; NULL: open
    max_value   numeric,
    hazard_code text NOT NULL DEFAULT '',  -- the 危险源编码 a danger found here is bound to
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE INDEX enterprise_round_points_route ON enterprise_round_points (route_id, seq);

-- One patrol of a route; client_id makes a phone's offline resend a replay.
CREATE TABLE enterprise_round_records (
    id          bigserial PRIMARY KEY,
    company     text NOT NULL REFERENCES enterprises (code),
    route_id    bigint NOT NULL REFERENCES enterprise_round_routes (id),
    user_id     bigint REFERENCES users (id),
    user_name   text NOT NULL,
    recorded_at timestamptz NOT NULL,
    note        text NOT NULL DEFAULT '',
    client_id   text,
    created_at  timestamptz NOT NULL
);
CREATE INDEX enterprise_round_records_route ON enterprise_round_records (route_id, recorded_at);
CREATE UNIQUE INDEX enterprise_round_records_client ON enterprise_round_records (company, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE enterprise_round_values (
    record_id bigint NOT NULL REFERENCES enterprise_round_records (id),
    point_id  bigint NOT NULL REFERENCES enterprise_round_points (id),
    value     numeric NOT NULL,
    in_range  boolean NOT NULL,
    PRIMARY KEY (record_id, point_id)
);

-- +goose Down
DROP TABLE enterprise_round_values;
DROP TABLE enterprise_round_records;
DROP TABLE enterprise_round_points;
DROP TABLE enterprise_round_routes;
