package governancesvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// rejectionBatch is a recorded batch as ingest publishes it: per company, accepted
// sensor readings and refused ones by the rule of their first error.
func rejectionBatch(t *testing.T, e *env, counts map[string]map[validate.Rule]int) []bus.Message {
	t.Helper()
	var out []bus.Message
	off := int64(0)
	for _, code := range []string{"370102001", "370102002", "370103001", "370211001"} {
		for rule, n := range counts[code] {
			for i := 0; i < n; i++ {
				var topic string
				var v any
				if rule == "" {
					rec, _ := json.Marshal(map[string]any{"INDICATOR_CODE": code + "-T1", "COMPANY_CODE": code, "VALUE": 20,
						"COLLECT_TIME": e.clk.Now().Format(schemas.DateTimeLayout)})
					topic, v = schemas.SensorReadings.Topic(), events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: schemas.SensorReadings.Slug,
						Company: code, Key: code + "-T1", Version: off + 1, ReceivedAt: e.clk.Now()}, Record: rec}
				} else {
					topic, v = events.RejectionsTopic, events.RejectionEnvelope{MsgID: uuid.New(), Table: schemas.SensorReadings.Slug,
						Company: code, ReceivedAt: e.clk.Now(), Index: i, Raw: "{}",
						Errors: []validate.FieldError{{Index: i, Field: "VALUE", Rule: rule, MessageZH: "错", MessageEN: "wrong"},
							{Index: i, Field: "COLLECT_TIME", Rule: validate.RuleDateTime}}} // the first rule counts
				}
				b, err := json.Marshal(v)
				require.NoError(t, err)
				out = append(out, bus.Message{Topic: topic, Offset: off, Value: b, Time: e.clk.Now()})
				off++
			}
		}
	}
	return out
}

// 各表校验拒收情况: the consumer counts a recorded batch's records per company, day,
// table and rule once (a replay counts nothing), and GET /governance/rejections
// gives a region's or a company's received, rejected and share, within the caller's
// region only.
func TestRejectedSharesPerTableAndRule(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// newEnv's last upload, at 2021-06-03 00:01, was one accepted reading per company.
	batch := rejectionBatch(t, e, map[string]map[validate.Rule]int{
		"370102001": {"": 17, validate.RuleRange: 2, validate.RuleFuture: 1},
		"370102002": {"": 4, validate.RuleRange: 5},
		"370211001": {validate.RuleRequired: 9},
	})
	require.NoError(t, e.svc.ApplyMessages(ctx, batch))
	require.NoError(t, e.svc.ApplyMessages(ctx, batch), "replayed")

	lixia, qingdao, company := e.Login("lixia"), e.Login("qingdao"), e.Login("company")
	rows := func(tok, path string) []governancesvc.RejectionRow {
		t.Helper()
		r := e.Get(tok, path)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		var v governancesvc.RejectionsView
		require.NoError(t, json.Unmarshal(r.Raw, &v))
		return v.Rows
	}
	// 历下区: 18+3 and 5+5 readings received, 1+2+5 refused.
	assert.Equal(t, []governancesvc.RejectionRow{
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "future", RuleZH: "时间晚于当前（future）", Received: 31, Rejected: 1, Share: 1.0 / 31},
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "range", RuleZH: "超出取值范围（range）", Received: 31, Rejected: 7, Share: 7.0 / 31},
	}, rows(lixia, "/api/v1/governance/rejections?day=2021-06-03"))
	assert.Equal(t, []governancesvc.RejectionRow{
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "range", RuleZH: "超出取值范围（range）", Received: 10, Rejected: 5, Share: 0.5},
	}, rows(lixia, "/api/v1/governance/rejections?company=370102002&day=2021-06-03"))
	assert.Equal(t, []governancesvc.RejectionRow{
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "future", RuleZH: "时间晚于当前（future）", Received: 21, Rejected: 1, Share: 1.0 / 21},
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "range", RuleZH: "超出取值范围（range）", Received: 21, Rejected: 2, Share: 2.0 / 21},
	}, rows(company, "/api/v1/governance/rejections?company=370102001&day=2021-06-03"), "a company sees its own")
	assert.Equal(t, []governancesvc.RejectionRow{
		{Table: "sensor-readings", TableZH: "感知数据", Rule: "required", RuleZH: "必填项缺失（required）", Received: 10, Rejected: 9, Share: 0.9},
	}, rows(qingdao, "/api/v1/governance/rejections?day=2021-06-03"), "青岛: its own company only")
	assert.Empty(t, rows(lixia, "/api/v1/governance/rejections?day=2021-06-01"), "nothing refused that day")

	// The daily report's sheet 各表校验拒收情况 and its JSON: the county's rows only.
	x := e.Get(lixia, "/api/v1/governance/report.xlsx?day=2021-06-03")
	require.Equal(t, http.StatusOK, x.Status, string(x.Raw))
	book, err := excelize.OpenReader(bytes.NewReader(x.Raw))
	require.NoError(t, err)
	sheet, err := book.GetRows(governancesvc.SheetRejected)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"表", "表编码", "规则", "接收", "拒收", "拒收比例"},
		{"感知数据", "sensor-readings", "时间晚于当前（future）", "31", "1", "0.0323"},
		{"感知数据", "sensor-readings", "超出取值范围（range）", "31", "7", "0.2258"}}, sheet)
	rep := e.Get(lixia, "/api/v1/governance/report?day=2021-06-03")
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	assert.Len(t, rep.Body["rejections"], 2)

	for _, c := range []struct {
		tok, path string
		status    int
	}{
		{lixia, "/api/v1/governance/rejections?region=370103&day=2021-06-03", http.StatusForbidden},
		{lixia, "/api/v1/governance/rejections?company=370211001&day=2021-06-03", http.StatusForbidden},
		{qingdao, "/api/v1/governance/rejections?company=370102001", http.StatusForbidden},
		{company, "/api/v1/governance/rejections?company=370102002", http.StatusForbidden},
		{company, "/api/v1/governance/rejections", http.StatusForbidden},
		{lixia, "/api/v1/governance/rejections?company=370102001&region=370102", http.StatusUnprocessableEntity},
		{lixia, "/api/v1/governance/rejections?day=2099-01-01", http.StatusUnprocessableEntity},
		{"", "/api/v1/governance/rejections", http.StatusUnauthorized},
	} {
		r := e.Get(c.tok, c.path)
		assert.Equal(t, c.status, r.Status, "%s: %s", c.path, r.Raw)
		if c.status == http.StatusUnprocessableEntity {
			e := r.Body["error"].(map[string]any)
			assert.NotEmpty(t, e["message_zh"], "bilingual")
			assert.NotEmpty(t, e["message_en"], "bilingual")
		}
	}
}
