// Package schemas owns what each exchange table of the Shandong seed is: one Go type
// per table whose JSON keys are the seed's 标识符号 exactly as printed, the code tables
// (管控方式, 隐患来源, 作业类型 …), and the registry that gives every table its URL
// slug, Kafka topic, key, upload frequency and seed reference.
//
// The field metadata (Chinese name, data type, length, required, code table) lives in
// one `seed` struct tag per field and is read once at start-up into Table.Fields, so
// the Go type, the validator and the generated reference (docs/exchange-tables.md)
// can never disagree. The code tables are data transcribed from the seed, kept in
// codes.yaml (embedded, loaded once at start-up) so that a reader can check them
// against the seed's printed tables line by line. The package does no I/O.
package schemas
