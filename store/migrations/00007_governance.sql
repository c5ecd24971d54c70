-- Data-quality governance (数据质量治理, issue 6), written by the governance consumer
-- (package quality) from the pure rules of package governance; the formula and every
-- fact's rule are in docs/governance.md. Facts and tracker state are written in the
-- same transaction, before the Kafka offsets are committed; scores and rollups are
-- recomputed from the stored facts alone, so they can always be rebuilt.
-- Nothing is physically deleted: facts close (ended_at), scores of a past day are
-- final.

-- +goose Up
-- 质量事实: one row per fact, upserted by the tracker's deterministic fact id as it
-- opens, gathers evidence and closes. A notice (整改通知) or a page refers to a fact
-- by fact_id.
CREATE TABLE governance_facts (
    fact_id      text PRIMARY KEY,               -- governance.Fact.ID: family/company/subject/start
    company_code text NOT NULL,
    kind         text NOT NULL,                  -- governance.Kind, e.g. offline_readings
    dimension    text NOT NULL,                  -- commitment, alarm, disposal, online, data
    subject      text NOT NULL DEFAULT '',       -- indicator, device, table, hazard source, date …
    severity     text NOT NULL,                  -- low, medium, high
    day          date,                           -- the local day of a day-bound fact
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,                    -- NULL while open
    open         boolean GENERATED ALWAYS AS (ended_at IS NULL) STORED,
    count        integer NOT NULL,               -- occurrences seen while open
    detail       text NOT NULL,                  -- what was found, in Chinese
    evidence     jsonb NOT NULL,                 -- []governance.Evidence: the records or absences
    doc          jsonb NOT NULL,                 -- the whole governance.Fact
    updated_at   timestamptz NOT NULL            -- processing time of the last change
);
CREATE INDEX governance_facts_company ON governance_facts (company_code, started_at DESC);
CREATE INDEX governance_facts_open ON governance_facts (company_code) WHERE ended_at IS NULL;
CREATE INDEX governance_facts_span ON governance_facts (started_at, ended_at);
CREATE INDEX governance_facts_updated ON governance_facts (updated_at);

-- The tracker's memory, one row per company (governance.Tracker.MarshalState of a
-- one-company tracker), versioned like warning_engine_state: whoever changes a
-- company locks its row and reloads a stale copy first.
CREATE TABLE governance_state (
    company_code text PRIMARY KEY,
    version      bigint NOT NULL,
    state        jsonb NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- Where the governance consumer has read the warning engine's stored changes up to
-- (alarms and warning_events): a transaction-id position, advanced in the same
-- transaction as the facts those changes made.
CREATE TABLE governance_cursors (
    name       text PRIMARY KEY,                 -- 'alerting'
    position   bigint NOT NULL,                  -- 64-bit transaction id (xid8): rows committed below it are read
    updated_at timestamptz NOT NULL
);

-- 数据质量得分: a company's 0–100 score for one local day, recomputed from
-- governance_facts (governance.ScoreDay). Today's row is provisional (final false,
-- as_of the time of the recomputation); once the day is over it is finalised.
CREATE TABLE governance_scores (
    company_code   text NOT NULL,
    day            date NOT NULL,                -- Asia/Shanghai
    score          double precision NOT NULL,    -- 0–100, one decimal
    dimensions     jsonb NOT NULL,               -- []governance.DimensionScore: the breakdown
    deductions     jsonb NOT NULL,               -- []governance.Deduction: what each fact took
    as_of          timestamptz NOT NULL,
    final          boolean NOT NULL,
    config_version text NOT NULL,
    computed_at    timestamptz NOT NULL,
    PRIMARY KEY (day, company_code)
);
CREATE INDEX governance_scores_company ON governance_scores (company_code, day DESC);

-- 地区汇总: park, county, city and province scores of a day (governance.Rollup): the
-- mean of the day's scores of the companies in each, with their count, min and max.
CREATE TABLE governance_region_scores (
    region      text NOT NULL,                   -- GB/T 2260 code, or a park code
    level       text NOT NULL,                   -- province, city, county, park
    parent      text NOT NULL DEFAULT '',        -- the enclosing division
    day         date NOT NULL,
    score       double precision NOT NULL,
    companies   integer NOT NULL,
    min_score   double precision NOT NULL,
    max_score   double precision NOT NULL,
    as_of       timestamptz NOT NULL,
    final       boolean NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (day, level, region)
);
CREATE INDEX governance_region_scores_parent ON governance_region_scores (day, parent, level);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
