-- The base system's foundation, beyond the contract of 00040: the outbox's
-- retry schedule and refusals, which system a company publishes from, and the
-- dedup of the phone pages' offline queue.

-- +goose Up
-- A row the broker could not take waits until next_attempt_at (backoff); a row
-- the exchange refused at publish time is kept with refused_at and last_error
-- and shown on the company's 数据上报 page — never dropped, never retried
-- blindly.
ALTER TABLE enterprise_outbox ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE enterprise_outbox ADD COLUMN refused_at timestamptz;
CREATE INDEX enterprise_outbox_group ON enterprise_outbox (company, slug, id) WHERE sent_at IS NULL AND refused_at IS NULL;

-- Which system publishes a company's exchange tables: 'base' (the hosted base
-- system) or 'own' (the company's own system, by API key). Every change is a
-- new row, so when and by whom it switched stays on record.
CREATE TABLE enterprise_system_choice (
    id         bigserial PRIMARY KEY,
    company    text NOT NULL REFERENCES enterprises (code),
    system     text NOT NULL CHECK (system IN ('base', 'own')),
    reason     text NOT NULL DEFAULT '',
    chosen_by  bigint REFERENCES users (id),
    chosen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprise_system_choice_company ON enterprise_system_choice (company, id DESC);

-- The phone pages' offline queue replays a POST until it gets an answer; the
-- client's UUID makes the replay of a POST that already succeeded answer the
-- same redirect instead of recording twice.
CREATE TABLE enterprise_client_requests (
    user_id    bigint NOT NULL REFERENCES users (id),
    client_id  uuid NOT NULL,
    method     text NOT NULL,
    path       text NOT NULL,
    status     integer,                     -- NULL while the first attempt runs
    location   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id)
);

-- +goose Down
DROP TABLE enterprise_client_requests;
DROP TABLE enterprise_system_choice;
DROP INDEX enterprise_outbox_group;
ALTER TABLE enterprise_outbox DROP COLUMN refused_at;
ALTER TABLE enterprise_outbox DROP COLUMN next_attempt_at;
