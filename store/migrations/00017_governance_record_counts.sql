-- 各表校验拒收情况 (issue 6: the share of rejected records per table and rule),
-- written by the governance consumer (package quality) in the same transaction as
-- the facts and Kafka offsets of the batch that carried the records, so a replayed
-- batch counts nothing twice. One row per company, local day (Asia/Shanghai, of the
-- time the consumer applied the batch, the same day the 校验拒收比例过高 fact uses),
-- exchange table and rule: rule '' counts the accepted records, any other the
-- records refused by that validate.Rule (their first error's rule).
-- +goose Up
CREATE TABLE governance_record_counts (
    company_code text NOT NULL,
    day          date NOT NULL,
    table_name   text NOT NULL,
    rule         text NOT NULL,                  -- '' accepted, else the rule that refused
    records      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (day, company_code, table_name, rule)
);
CREATE INDEX governance_record_counts_company ON governance_record_counts (company_code, day);

-- +goose Down
-- Nothing is physically deleted on this platform: migrations only go forward.
SELECT 1;
