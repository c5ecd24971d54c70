-- The warning engine's state in two parts, as the governance trackers' (00100): the
-- head stays in warning_engine_state (warning.MarshalHead, layout version 2); the
-- open 隐患 of a company — which grow with what it sends, one per 隐患 until it is
-- accepted or deleted — are rows here, written only when they change, in the
-- transaction that bumps the company's warning_engine_state version. A row stored
-- whole before (layout version 1) is read as it is and moves its 隐患 here at its
-- next write.

-- +goose Up
CREATE TABLE warning_engine_state_items (
    company_code text NOT NULL,
    item         text NOT NULL,  -- danger|<ID>
    doc          jsonb NOT NULL, -- the item as warning.Engine.ChangedItems encodes it
    PRIMARY KEY (company_code, item)
);

-- +goose Down
DROP TABLE warning_engine_state_items;
