// Package governance owns data-quality governance (数据质量治理): the quality facts
// the platform derives from what companies send — commitments missing, late or
// contradicting the data, alarms left uncleared, disposal steps overdue, systems,
// data collection and devices offline, tables uploaded less often than the seed
// requires, missing or wrong base data, insane sensor data, rejected records — and
// the 0–100 daily score per company built from them, with its rollups by park,
// county, city and province, rankings and day-over-day trends.
//
// Everything here is pure, in the style of package warning: a [Tracker] is fed
// decoded events ([Decode], or the warning engine's changes) with the time they are
// processed, and returns the facts that opened, changed or closed; [Tick] advances
// time for the facts that come from absence (no commitment by 10:00, no data). It
// reads no clock and opens no connection. Scores ([ScoreDay]) are a pure function of
// stored facts, so recomputing a day from the same facts gives the same numbers.
// The formula and every fact's rule are written for regulators in
// docs/governance.md; a test checks the document against [DefaultConfig].
//
// A Tracker is not safe for concurrent use; all of a company's state lives under its
// company code, so consumers co-partitioned by company can run one per partition.
package governance
