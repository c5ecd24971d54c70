package validate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// TestFixturesAccepted feeds every table its valid fixture: it must be accepted as
// is, and the record handed on must marshal to JSON that is accepted again unchanged.
func TestFixturesAccepted(t *testing.T) {
	require.Len(t, schemas.SeedTables(), 14)
	for _, table := range schemas.Tables() {
		t.Run(table.Slug, func(t *testing.T) {
			body := readTestdata(t, "valid/"+table.Slug+".json")
			vs, err := validate.Batch(table, body, opts())
			require.NoError(t, err)
			require.Len(t, vs, 1)
			requireAccepted(t, table, vs[0])
			assert.Empty(t, vs[0].Warnings)
			assert.Equal(t, fixture(t, table.Slug)[table.Key], vs[0].ID)

			again, err := json.Marshal([]any{vs[0].Record})
			require.NoError(t, err)
			vs2, err := validate.Batch(table, again, opts())
			require.NoError(t, err)
			requireAccepted(t, table, vs2[0])
			assert.Equal(t, vs[0].Record, vs2[0].Record)
		})
	}
}

// TestFieldRules derives, from each field's seed tag, the cases every field of every
// table must pass and fail: required (missing, null, blank), JSON type, length in
// characters, code table, UUID, date/time layout and future event times. The
// seed-specific examples are in TestSeedExamples.
func TestFieldRules(t *testing.T) {
	for _, table := range schemas.Tables() {
		t.Run(table.Slug, func(t *testing.T) {
			base := fixture(t, table.Slug)
			for i := range table.Fields {
				f := &table.Fields[i]
				t.Run(f.ID, func(t *testing.T) {
					runCases(t, table, fieldCases(t, table, f, base))
				})
			}
		})
	}
}

func fieldCases(tb testing.TB, table *schemas.Table, f *schemas.Field, base map[string]any) []ruleCase {
	tb.Helper()
	id := f.ID
	c := func(name string, v any, rule validate.Rule) ruleCase {
		set := fields{id: v}
		if rule == "" {
			companions(table, f, v, base, set)
		}
		return ruleCase{name: name, set: set, rule: rule, field: id}
	}
	// Emptying a field that is not required is accepted, unless the fixture meets
	// the condition that makes it required.
	emptyRule := validate.RuleRequired
	if !f.Required {
		emptyRule = ""
		for _, r := range table.RequiredWhen {
			if r.Field == id && fmt.Sprint(base[r.When]) == r.Equals {
				emptyRule = validate.RuleRequiredWhen
			}
		}
	}
	cases := []ruleCase{
		c("missing", absent, emptyRule),
		c("null", nil, emptyRule),
	}
	switch f.Kind {
	case schemas.KindNumber, schemas.KindDecimal:
		cases = append(cases,
			c("blank string", " ", emptyRule),
			c("object", map[string]any{"value": 1}, validate.RuleType),
			c("array", []any{1}, validate.RuleType),
			c("bool", true, validate.RuleType),
			c("not a number", "壹", validate.RuleNumber),
			c("exponent", "1e0", validate.RuleNumber),
			c("as a numeric string", fmt.Sprint(base[id]), ""),
		)
		if f.Kind == schemas.KindNumber {
			cases = append(cases, c("fraction", "1.5", validate.RuleNumber))
		}
		if f.Length > 0 && f.Scale == 0 {
			cases = append(cases, c(fmt.Sprintf("%d digits", f.Length+1), strings.Repeat("1", f.Length+1), validate.RuleLength))
		}
	default:
		cases = append(cases,
			c("blank", "", emptyRule),
			c("spaces", "   ", emptyRule),
			c("number", 12, validate.RuleType),
			c("object", map[string]any{"a": "b"}, validate.RuleType),
			c("bool", false, validate.RuleType),
		)
	}
	if f.Kind == schemas.KindChar && f.Length > 0 {
		cases = append(cases, c(fmt.Sprintf("%d characters", f.Length+1), chars(f.Length+1), validate.RuleLength))
		if f.Code == nil && f.Format == "" {
			cases = append(cases, c(fmt.Sprintf("%d Chinese characters fit", f.Length), chars(f.Length), ""))
		}
	}
	if f.Code != nil {
		cases = append(cases, c("outside code table "+f.Code.ID, outsideCode(tb, f), validate.RuleCode))
		if f.Parent == "" && !isParent(table, id) {
			for _, code := range f.Code.Codes {
				cases = append(cases, c("code "+code.Value+" "+code.NameZH, code.Value, ""))
			}
		}
	}
	if f.Format == schemas.FormatUUID {
		cases = append(cases,
			c("short", "12345", validate.RuleUUID),
			c("non-hex", "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6g", validate.RuleUUID),
			c("dash misplaced", "3f2b8c1e5-a4d-4e6f-9b7a-1c2d3e4f5a6b", validate.RuleUUID),
			c("upper case", "3F2B8C1E-5A4D-4E6F-9B7A-1C2D3E4F5A6B", ""),
		)
	}
	switch f.Kind {
	case schemas.KindDateTime:
		cases = append(cases,
			c("slashes, no seconds", "2021/09/10 08:30", validate.RuleDateTime),
			c("30 February", "2021-02-30 00:00:00", validate.RuleDateTime),
			c("date only", "2021-09-10", validate.RuleDateTime),
			c("ISO T", "2021-09-10T08:30:00", validate.RuleDateTime),
		)
		if f.Event {
			cases = append(cases,
				c("in the future", "2021-09-10 12:30:00", validate.RuleFuture),
				c("within the clock skew", "2021-09-10 12:05:00", ""),
			)
		} else {
			cases = append(cases, c("in the future, not an event", "2021-12-31 18:00:00", ""))
		}
	case schemas.KindDate:
		cases = append(cases,
			c("slashes", "2021/09/10", validate.RuleDate),
			c("date-time", "2021-09-10 08:00:00", validate.RuleDate),
			c("30 February", "2021-02-30", validate.RuleDate),
		)
	}
	return cases
}

// outsideCode is a short value, of the field's kind, that its code table lacks.
func outsideCode(tb testing.TB, f *schemas.Field) string {
	tb.Helper()
	for _, v := range []string{"9", "7", "0", "5"} {
		if _, ok := f.Code.Lookup(v); !ok {
			return v
		}
	}
	require.FailNow(tb, "no value outside "+f.Code.ID)
	return ""
}

func isParent(table *schemas.Table, id string) bool {
	for _, f := range table.Fields {
		if f.Parent == id {
			return true
		}
	}
	return false
}

// companions adds to set what a valid value v of f needs from other fields to stay
// valid: a later time that must not precede it, a reason that becomes required.
func companions(table *schemas.Table, f *schemas.Field, v any, base map[string]any, set fields) {
	for _, o := range table.Orders {
		if o.Earlier == f.ID && v != absent && v != nil {
			if _, ok := base[o.Later]; ok {
				set[o.Later] = v
			}
		}
	}
	for _, r := range table.RequiredWhen {
		if r.When != f.ID || fmt.Sprint(v) != r.Equals {
			continue
		}
		if _, ok := base[r.Field]; !ok || base[r.Field] == "" {
			set[r.Field] = "原因：计划调整"
		}
	}
}
