package validate_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

func TestBatchErrors(t *testing.T) {
	rec := string(body(t, fixture(t, "risk-units")))
	three := "[" + strings.Repeat(rec[1:len(rec)-1]+",", 2) + rec[1:]
	cases := []struct {
		name string
		body string
		max  int
		rule validate.Rule
	}{
		{"invalid JSON", `[{"ID":`, 0, validate.RuleMalformed},
		{"trailing garbage", rec + "]", 0, validate.RuleMalformed},
		{"empty body", ``, 0, validate.RuleMalformed},
		{"an object instead of an array", rec[1 : len(rec)-1], 0, validate.RuleNotArray},
		{"a string", `"[]"`, 0, validate.RuleNotArray},
		{"null", `null`, 0, validate.RuleNotArray},
		{"empty array", ` [ ] `, 0, validate.RuleEmptyBatch},
		{"MaxRecords exceeded", three, 2, validate.RuleTooMany},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs, err := validate.Batch(schemas.RiskUnits, []byte(c.body), validate.Options{Now: now, MaxRecords: c.max})
			require.Error(t, err)
			assert.Nil(t, vs)
			var be *validate.BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, c.rule, be.Rule)
			assert.NotEmpty(t, be.MessageZH)
			assert.NotEmpty(t, be.MessageEN)
			assert.Contains(t, be.Error(), string(c.rule))
		})
	}
	t.Run("MaxRecords reached exactly", func(t *testing.T) {
		vs, err := validate.Batch(schemas.RiskUnits, []byte(three), validate.Options{Now: now, MaxRecords: 3})
		require.NoError(t, err)
		assert.Len(t, vs, 3)
	})
}

// TestBatchKeepsGoodRecords: one bad record costs only itself.
func TestBatchKeepsGoodRecords(t *testing.T) {
	good := fixture(t, "hidden-dangers")
	second := mutate(good, fields{"ID": "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d"})
	bad := mutate(good, fields{"ID": "11111111-2222-4333-8444-555555555555", "DANGER_SRC": "12", "DANGER_NAME": 7})
	vs, err := validate.Batch(schemas.HiddenDangers, body(t, good, bad, second), opts())
	require.NoError(t, err)
	require.Len(t, vs, 3)

	for _, i := range []int{0, 2} {
		assert.Equal(t, i, vs[i].Index)
		requireAccepted(t, schemas.HiddenDangers, vs[i])
	}
	assert.Equal(t, "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d", vs[2].Record.(*schemas.HiddenDanger).ID)

	v := vs[1]
	assert.False(t, v.OK())
	assert.Nil(t, v.Record)
	assert.Equal(t, "11111111-2222-4333-8444-555555555555", v.ID)
	assert.Contains(t, string(v.Raw), `"DANGER_SRC":"12"`)
	require.Len(t, v.Errors, 2, "every broken rule of the record is reported")
	got := map[string]validate.Rule{}
	for _, e := range v.Errors {
		assert.Equal(t, 1, e.Index)
		assert.Equal(t, v.ID, e.ID)
		assertMessages(t, e, e.Field)
		got[e.Field] = e.Rule
	}
	assert.Equal(t, map[string]validate.Rule{"DANGER_SRC": validate.RuleCode, "DANGER_NAME": validate.RuleType}, got)
}

func TestNotAnObject(t *testing.T) {
	rec := string(body(t, fixture(t, "risk-units")))
	vs, err := validate.Batch(schemas.RiskUnits, []byte(`[1, "x", `+rec[1:]), opts())
	require.NoError(t, err)
	require.Len(t, vs, 3)
	for i, typ := range []string{"数字", "字符串"} {
		require.Len(t, vs[i].Errors, 1)
		e := vs[i].Errors[0]
		assert.Equal(t, validate.RuleNotObject, e.Rule)
		assert.Equal(t, i, e.Index)
		assert.Contains(t, e.MessageZH, typ)
		assert.NotEmpty(t, e.MessageEN)
		assert.Nil(t, vs[i].Record)
	}
	requireAccepted(t, schemas.RiskUnits, vs[2])
}

// TestUnknownKeys: keys the table lacks are warned about and ignored, never errors.
func TestUnknownKeys(t *testing.T) {
	rec := mutate(fixture(t, "video-device-status"), fields{"REMARK": "备注", "device_code": "lower case is another key"})
	v := one(t, schemas.VideoDeviceStatuses, rec)
	requireAccepted(t, schemas.VideoDeviceStatuses, v)
	require.Len(t, v.Warnings, 2)
	warned := []string{}
	for _, w := range v.Warnings {
		assert.Equal(t, validate.RuleUnknownField, w.Rule)
		assertMessages(t, w, w.Field)
		warned = append(warned, w.Field)
	}
	assert.ElementsMatch(t, []string{"REMARK", "device_code"}, warned)
}

// TestRecordValues checks what an accepted record holds, in Go types.
func TestRecordValues(t *testing.T) {
	v := one(t, schemas.HiddenDangers, mutate(fixture(t, "hidden-dangers"), fields{"DANGER_LEVEL": "01", "DANGER_REASON": absent}))
	requireAccepted(t, schemas.HiddenDangers, v)
	hd := v.Record.(*schemas.HiddenDanger)
	assert.Equal(t, "f0e1d2c3-b4a5-4968-8776-655443322110", hd.ID)
	assert.Equal(t, "液氨储罐液位计显示失准", hd.DangerName)
	assert.Equal(t, schemas.Number("1"), hd.DangerLevel, "numbers are kept in canonical text")
	assert.Equal(t, schemas.Number("9"), hd.DangerState)
	assert.Equal(t, "", hd.DangerReason)
	assert.True(t, hd.RegistTime.Equal(time.Date(2021, 9, 8, 9, 15, 0, 0, schemas.Shanghai)))
	assert.True(t, hd.CheckAcceptTime.Equal(time.Date(2021, 9, 10, 2, 0, 0, 0, time.UTC)), "Asia/Shanghai is UTC+8")

	pa := one(t, schemas.PositioningAlarms, fixture(t, "positioning-alarms")).Record.(*schemas.PositioningAlarm)
	assert.Equal(t, schemas.Number("117.123456"), pa.Longitude)
	assert.Equal(t, schemas.Number("36.654321"), pa.Latitude)

	ct := one(t, schemas.CheckTasks, mutate(fixture(t, "check-tasks"), fields{"CHECK_CYCLE": "+008"})).Record.(*schemas.CheckTask)
	assert.Equal(t, schemas.Number("8"), ct.CheckCycle)

	op := one(t, schemas.SpecialOperations, fixture(t, "special-operations")).Record.(*schemas.SpecialOperation)
	assert.Equal(t, "2021-09-10", op.TaskDate.Format(schemas.DateLayout))
}

// TestFutureSkew: an event time may lead Now by the skew, not more; a zero Now
// skips the check.
func TestFutureSkew(t *testing.T) {
	rec := mutate(fixture(t, "video-device-status"), fields{"DATE_TIME": "2021-09-10 12:20:00"})
	b := body(t, rec)
	for _, c := range []struct {
		name string
		opts validate.Options
		ok   bool
	}{
		{"default skew 10 minutes", validate.Options{Now: now}, false},
		{"skew 30 minutes", validate.Options{Now: now, FutureSkew: 30 * time.Minute}, true},
		{"skew exactly 20 minutes", validate.Options{Now: now, FutureSkew: 20 * time.Minute}, true},
		{"no clock", validate.Options{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			vs, err := validate.Batch(schemas.VideoDeviceStatuses, b, c.opts)
			require.NoError(t, err)
			if c.ok {
				requireAccepted(t, schemas.VideoDeviceStatuses, vs[0])
			} else {
				requireRejected(t, vs[0], validate.RuleFuture, "DATE_TIME")
			}
		})
	}
}

// TestNonStringKey: a key that is not a string leaves Verdict.ID empty and is
// reported on the key field.
func TestNonStringKey(t *testing.T) {
	v := one(t, schemas.RiskUnits, mutate(fixture(t, "risk-units"), fields{"ID": 42}))
	requireRejected(t, v, validate.RuleType, "ID")
	assert.Empty(t, v.ID)
}

// TestTextEncoding: PostgreSQL refuses \u0000 in text, so a record carrying it (or
// other control characters) is rejected here rather than acknowledged and then
// stuck in the sink. Tabs and line breaks are ordinary text.
func TestTextEncoding(t *testing.T) {
	for _, c := range []ruleCase{
		{name: "NUL", set: fields{"RISK_UNIT_NAME": "常减压\u0000装置"}, rule: validate.RuleEncoding, field: "RISK_UNIT_NAME"},
		{name: "bell", set: fields{"HAZARD_DEP": "生产\u0007运行部"}, rule: validate.RuleEncoding, field: "HAZARD_DEP"},
		{name: "line breaks fine", set: fields{"RISK_UNIT_NAME": "常减压装置\r\n一期\t北区"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := one(t, schemas.RiskUnits, mutate(fixture(t, "risk-units"), c.set))
			if c.rule == "" {
				require.True(t, v.OK(), "%+v", v.Errors)
				return
			}
			requireRejected(t, v, c.rule, c.field)
		})
	}
	// Invalid UTF-8 bytes straight in the body.
	body := []byte(`[{"ID":"6f1c2b9e-8a3d-4c5e-9f70-1a2b3c4d5e6f","HAZARD_CODE":"370100001","HAZARD_DEP":"` + "\xff\xfe" + `","HAZARD_LIABLE_PERSON":"张三","RISK_UNIT_NAME":"罐区","DELETED":"0"}]`)
	vs, err := validate.Batch(schemas.RiskUnits, body, opts())
	require.NoError(t, err)
	requireRejected(t, vs[0], validate.RuleEncoding, "HAZARD_DEP")
}

// TestByteOrderMark: a body that starts with a UTF-8 BOM (Windows tooling writes one)
// is read as if it had none.
func TestByteOrderMark(t *testing.T) {
	rec := body(t, fixture(t, "risk-units"))
	vs, err := validate.Batch(schemas.RiskUnits, append([]byte("\xEF\xBB\xBF"), rec...), validate.Options{Now: now})
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assert.True(t, vs[0].OK(), "%v", vs[0].Errors)
}

// TestMalformedJSONNamesWhere: the Chinese message is Chinese, says where parsing
// stopped (line, column, byte) once, and the English one carries the parser's text.
func TestMalformedJSONNamesWhere(t *testing.T) {
	cases := []struct {
		name               string
		body               string
		line, column, byte int
		zh                 string
	}{
		{"missing comma", "[\n  {\"ID\": \"a\"\n   \"NAME\": 1}\n]", 3, 4, 18, "非法字符「\"」（对象的键值对之后应为 , 或 }）"},
		{"truncated", `[{"ID":`, 1, 8, 7, "意外结束"},
		{"trailing comma", `[{"ID":"中文"},]`, 1, 14, 17, "非法字符「]」（此处应为一个值）"},
		{"after a BOM", "\xEF\xBB\xBF[x]", 1, 2, 4, "非法字符「x」"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := validate.Batch(schemas.RiskUnits, []byte(c.body), validate.Options{Now: now})
			var be *validate.BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, validate.RuleMalformed, be.Rule)
			require.NotNil(t, be.Position)
			assert.Equal(t, validate.Position{Offset: c.byte, Line: c.line, Column: c.column}, *be.Position)
			where := fmt.Sprintf("第 %d 行第 %d 列（第 %d 字节）", c.line, c.column, c.byte)
			assert.Contains(t, be.MessageZH, where)
			assert.Equal(t, 1, strings.Count(be.MessageZH, "第 "+strconv.Itoa(c.line)+" 行"), "position said once: %s", be.MessageZH)
			assert.Contains(t, be.MessageZH, c.zh)
			assert.NotRegexp(t, `invalid|unexpected|cannot|parse`, be.MessageZH, "no parser English in message_zh")
			assert.Contains(t, be.MessageEN, fmt.Sprintf("line %d, column %d", c.line, c.column))
		})
	}
}
