-- The governance trackers' memory in two parts: the head stays in governance_state
-- (governance.Tracker.MarshalHead, layout version 2); the parts that grow with what
-- a company sends — one item per open fact, pending base-data condition and
-- 双重预防 record (risk unit, event, measure, task, orphaned check record, open
-- 隐患) — are rows here, written only when they change, in the transaction that
-- bumps the company's governance_state version. A row stored whole before (layout
-- version 1) is read as it is and moves its items here at its next write.

-- +goose Up
CREATE TABLE governance_state_items (
    company_code text NOT NULL,
    item         text NOT NULL,  -- kind|identity: fact|<kind>|<subject>, danger|<ID>, task|<ID> …
    doc          jsonb NOT NULL, -- the item as governance.Tracker.ChangedItems encodes it
    PRIMARY KEY (company_code, item)
);

-- +goose Down
DROP TABLE governance_state_items;
