// Package validate checks exchange batches against the tables in schemas. It is pure:
// raw JSON bytes and a clock reading in, per-record verdicts out; no I/O. Every error
// names the record (index and key), the field, the rule broken, and says so in Chinese
// and English, and one bad record never costs the good ones beside it.
package validate

import "fmt"

// Rule names a validation rule. The set is fixed so metrics and governance can count
// by it.
type Rule string

// The rules.
const (
	RuleMalformed      Rule = "malformed_json" // batch: the body is not JSON
	RuleNotArray       Rule = "not_array"      // batch: the body is not a JSON array
	RuleEmptyBatch     Rule = "empty_batch"    // batch: the array holds no records
	RuleTooMany        Rule = "too_many_records"
	RuleNotObject      Rule = "not_object"      // record: not a JSON object
	RuleRequired       Rule = "required"        // 是否必填 = 是
	RuleRequiredWhen   Rule = "required_when"   // required because of another field
	RuleType           Rule = "type"            // wrong JSON type
	RuleLength         Rule = "length"          // longer than 数据长度 in characters
	RuleEncoding       Rule = "text_encoding"   // invalid UTF-8 or a control character
	RuleUUID           Rule = "uuid"            // not a 36-character UUID
	RuleCode           Rule = "code"            // not in the code table
	RuleCodeParent     Rule = "code_parent"     // 分类2 not under 分类1
	RuleNumber         Rule = "number"          // not a decimal number
	RulePrecision      Rule = "precision"       // too many digits for (p,s)
	RuleRange          Rule = "range"           // outside the allowed range
	RuleDateTime       Rule = "datetime"        // not yyyy-MM-dd HH:mm:ss
	RuleDate           Rule = "date"            // not yyyy-MM-dd
	RuleFuture         Rule = "future"          // an event time in the future
	RuleOrder          Rule = "order"           // an end before its start
	RuleThresholdOrder Rule = "threshold_order" // thresholds not increasing or outside the range
	RuleGB28181        Rule = "gb28181"         // not a GB28181 channel code
	RulePhone          Rule = "phone"           // not a phone number
	RuleMobile         Rule = "mobile"          // not a mobile number where the seed asks for 手机号
	RuleBase64         Rule = "base64"          // a file that is not base64
	RuleFileFormat     Rule = "file_format"     // bytes of the wrong format
	RuleFileSize       Rule = "file_size"       // decoded file too large
	RuleUnknownField   Rule = "unknown_field"   // a key the table does not have (warning)
	RuleCompanyCode    Rule = "company_code"    // another company's code (ingest)
)

// FieldError is one broken rule in one record. Index is the record's position in the
// batch (-1 for batch-level errors), ID its key value when it had one.
type FieldError struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Field     string `json:"field,omitempty"`
	Rule      Rule   `json:"rule"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
}

// BatchError is returned when the body as a whole cannot be read as a batch.
// Its messages are the error's own (the HTTP reply carries them once, at the top);
// the JSON form holds the rule and, for malformed JSON, where parsing stopped.
type BatchError struct {
	Rule      Rule      `json:"rule"`
	Position  *Position `json:"position,omitempty"`
	MessageZH string    `json:"-"`
	MessageEN string    `json:"-"`
}

func (e *BatchError) Error() string { return fmt.Sprintf("validate: %s: %s", e.Rule, e.MessageEN) }
