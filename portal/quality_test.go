package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/testclock"
)

// qualityRegion is the platform with four companies in 历下区 (2), 市中区 (济南) and
// 市南区 (青岛), each with a 指标未设报警阈值 fact from the governance service and
// today's scores, and regulators of 历下区, 济南, 青岛.
func qualityRegion(t *testing.T) (*env, map[string]string) {
	t.Helper()
	e := start(t)
	names := map[string]string{"370102001": "历下甲化工有限公司", "370102002": "历下乙石化有限公司",
		"370103001": "市中丙新材料有限公司", "370202001": "市南丁氯碱有限公司"}
	for code, name := range names {
		e.company(code, code[:6], name, "生产")
	}
	e.noThreshold(t, "370102001", "370102002", "370103001", "370202001")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	e.user("lixia_leader", policy.CountyLeader, "370102")
	e.user("jinan_staff", policy.CityStaff, "370100")
	e.user("qd_staff", policy.CityStaff, "370200")
	return e, names
}

// noThreshold gives each company an indicator without thresholds through the
// governance service, ticks until its 指标未设报警阈值 fact opens (two ticks) and
// stores today's scores.
func (e *env) noThreshold(tb testing.TB, codes ...string) {
	tb.Helper()
	ctx := context.Background()
	var evs []governance.Event
	for _, code := range codes {
		lo, hi := 0.0, 100.0
		evs = append(evs, events.IndicatorDef{Code: code + "-TI01", Company: code, Name: "温度" + code, Kind: events.KindTemperature,
			RangeLow: &lo, RangeHigh: &hi})
	}
	require.NoError(tb, e.App.Governance.Apply(ctx, evs))
	// Base data is judged at ticks: a finding seen at two ticks opens a fact.
	require.NoError(tb, e.App.Governance.Tick(ctx))
	require.NoError(tb, e.App.Governance.Tick(ctx))
	now := e.Clock.Now()
	_, err := e.App.Governance.Recompute(ctx, now, now)
	require.NoError(tb, err)
}

func factID(t testing.TB, e *env, code string) string {
	t.Helper()
	var id string
	require.NoError(t, e.App.Pool.QueryRow(context.Background(), `SELECT fact_id FROM governance_facts
		WHERE company_code = $1 AND kind = 'indicator_no_threshold' AND ended_at IS NULL`, code).Scan(&id))
	return id
}

// 数据质量 shows a county regulator its own companies only, a city regulator the
// ranking of its counties only, and refuses regions and companies outside.
func TestQualityPagesScopedByRegion(t *testing.T) {
	e, names := qualityRegion(t)
	lixia, jinan := e.login("lixia_staff"), e.login("jinan_staff")

	p := lixia.Get("/portal/quality")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, names["370102001"])
	assert.Contains(t, p.Body, names["370102002"])
	assert.Contains(t, p.Body, "共 2 家")
	for _, other := range []string{"370103001", "370202001"} {
		assert.NotContains(t, p.Body, names[other])
		assert.NotContains(t, p.Body, other)
	}
	assert.Contains(t, p.Body, `aria-current="page">数据质量</a>`, "the nav entry")

	p = jinan.Get("/portal/quality")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	rank := section(p.Body, `id="rankings"`)
	assert.Contains(t, rank, "历下区")
	assert.Contains(t, rank, "市中区")
	assert.NotContains(t, rank, "市南区")
	assert.NotContains(t, p.Body, names["370202001"])
	assert.Contains(t, p.Body, "共 3 家")

	for _, path := range []string{"/portal/quality?region=370200", "/portal/quality?region=370103",
		"/portal/quality?region=370000", "/portal/quality/companies/370202001", "/portal/quality/companies/370103001",
		"/portal/quality/report.xlsx?region=370100", "/portal/quality/notices?company=370103001"} {
		p := lixia.Get(path)
		assert.Equal(t, http.StatusForbidden, p.Status, path)
		assert.NotContains(t, p.Body, names["370103001"], path)
	}
	assert.Equal(t, http.StatusForbidden, jinan.Get("/portal/quality?region=370202").Status)

	// A company's breakdown with its facts and evidence.
	p = lixia.Get("/portal/quality/companies/370102001")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "指标未设报警阈值")
	assert.Contains(t, p.Body, "370102001-TI01")
	assert.Contains(t, p.Body, "得分构成")
	assert.Contains(t, p.Body, `id="issue-form"`)

	// The Excel report of the county.
	x := lixia.Get("/portal/quality/report.xlsx")
	require.Equal(t, http.StatusOK, x.Status, x.Body)
	assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", x.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(x.Body, "PK"), "a zip (xlsx) file")
	// Its cells: the county's companies, no other county's.
	book, err := excelize.OpenReader(strings.NewReader(x.Body))
	require.NoError(t, err)
	var cells strings.Builder
	for _, sheet := range book.GetSheetList() {
		rows, err := book.GetRows(sheet)
		require.NoError(t, err)
		for _, r := range rows {
			cells.WriteString(strings.Join(r, "|") + "\n")
		}
	}
	assert.True(t, strings.Contains(cells.String(), "370102001"), "the county's company is in the report")
	for _, other := range []string{"370103001", "370202001"} {
		assert.False(t, strings.Contains(cells.String(), other), "%s of another county is in the report", other)
		assert.False(t, strings.Contains(cells.String(), names[other]), "%s of another county is in the report", names[other])
	}

	// 首页 and 企业一张图 show the governance score and facts.
	home := lixia.Get("/portal/")
	require.Equal(t, http.StatusOK, home.Status)
	assert.Contains(t, home.Body, `id="kpi-quality"`)
	co := lixia.Get("/portal/companies/370102001")
	require.Equal(t, http.StatusOK, co.Status)
	assert.Contains(t, section(co.Body, `id="gov-facts"`), "指标未设报警阈值")
}

// section is the part of body from marker to the end of its table.
func section(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	s := body[i:]
	if j := strings.Index(s, "</table>"); j >= 0 {
		s = s[:j]
	}
	return s
}

// A county regulator issues a 整改通知 from a fact on the company page and follows
// it; a city regulator of another city neither sees nor opens it; a leader role
// without inspection:write gets no form and is refused.
func TestQualityNoticeFromTheCompanyPage(t *testing.T) {
	e, names := qualityRegion(t)
	lixia := e.login("lixia_staff")
	lixia.Origin = e.App.URL()
	fact := factID(t, e, "370102001")
	deadline := e.Clock.Now().In(testclock.Shanghai).AddDate(0, 0, 7).Format("2006-01-02")
	p := lixia.PostForm("/portal/quality/notices", url.Values{"company_code": {"370102001"}, "fact_id": {fact},
		"requirement": {"请补充1号罐温度报警阈值"}, "deadline": {deadline}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, p.Location, "/portal/quality/notices/")
	notice := strings.SplitN(p.Location, "?", 2)[0]

	p = lixia.Get(p.Location)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "整改通知已下达")
	assert.Contains(t, p.Body, "已下达")
	assert.Contains(t, p.Body, "请补充1号罐温度报警阈值")
	assert.Contains(t, p.Body, "指标未设报警阈值")
	assert.Contains(t, section(p.Body, `id="notice-steps"`), "lixia_staff（县级监管人员）", "the role by its Chinese name")
	accessible(t, p)

	list := e.login("jinan_staff").Get("/portal/quality/notices?status=open")
	assert.Contains(t, list.Body, names["370102001"], "the city sees its county's notice")
	qd := e.login("qd_staff")
	assert.NotContains(t, qd.Get("/portal/quality/notices").Body, names["370102001"])
	assert.Equal(t, http.StatusForbidden, qd.Get(notice).Status)
	qd.Origin = e.App.URL()
	assert.Equal(t, http.StatusForbidden, qd.PostForm(notice+"/close", url.Values{"reason": {"x"}}).Status)
	assert.Equal(t, http.StatusForbidden, qd.PostForm("/portal/quality/notices", url.Values{"company_code": {"370102001"},
		"fact_id": {fact}, "requirement": {"x"}, "deadline": {deadline}}).Status)

	leader := e.login("lixia_leader")
	leader.Origin = e.App.URL()
	assert.NotContains(t, leader.Get("/portal/quality/companies/370102001").Body, `id="issue-form"`)
	assert.Equal(t, http.StatusForbidden, leader.PostForm("/portal/quality/notices", url.Values{"company_code": {"370102001"},
		"fact_id": {fact}, "requirement": {"x"}, "deadline": {deadline}}).Status)

	// A bad deadline is an error page naming the field.
	p = lixia.PostForm("/portal/quality/notices", url.Values{"company_code": {"370102001"}, "fact_id": {fact},
		"requirement": {"x"}, "deadline": {"明天"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "deadline")

	// The regulator closes it with a reason, then reopens it.
	p = lixia.PostForm(notice+"/close", url.Values{"reason": {"企业已当面说明"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	p = lixia.Get(notice)
	assert.Contains(t, p.Body, "企业已当面说明")
	assert.Contains(t, p.Body, "重新打开原因")
	p = lixia.PostForm(notice+"/reopen", url.Values{"reason": {"复查仍未设置阈值"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Contains(t, lixia.Get(notice).Body, "已签收")
	assert.Equal(t, 3, e.audited("governance_notice", "governance_notice:"+notice[strings.LastIndex(notice, "/")+1:], "ok"))
}

// The 数据质量 pages are keyboard-usable, every control labelled.
func TestQualityPagesAccessible(t *testing.T) {
	e, _ := qualityRegion(t)
	b := e.login("lixia_staff")
	for _, path := range []string{"/portal/quality", "/portal/quality?day=2026-01-01", "/portal/quality/companies/370102001",
		"/portal/quality/notices", "/portal/quality/notices?status=overdue"} {
		t.Run(path, func(t *testing.T) { accessible(t, b.Get(path)) })
	}
}

// 各表校验拒收情况: the company page shows its tables' rejected shares by rule, the
// region page the region's highest shares from its own companies only; another
// county's company page is refused.
func TestQualityRejectedSharesScoped(t *testing.T) {
	e, names := qualityRegion(t)
	up := func(code string, accepted int, rule string, n int) governance.Event {
		return governance.Upload{Company: code, Table: "sensor-readings", Accepted: accepted, Rejected: map[string]int{rule: n}}
	}
	require.NoError(t, e.App.Governance.Apply(context.Background(), []governance.Event{
		up("370102001", 3, "range", 1), up("370102002", 3, "required", 2),
		up("370103001", 7, "future", 3), up("370202001", 1, "gb28181", 4)}))
	lixia, jinan := e.login("lixia_staff"), e.login("jinan_staff")

	p := lixia.Get("/portal/quality/companies/370102001")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	rej := section(p.Body, `id="rejected-shares"`)
	assert.Contains(t, rej, "<td>感知数据</td><td>超出取值范围（range）</td><td>4</td><td>1</td><td>25.0%</td>")
	assert.NotContains(t, rej, "required", "another company's rule")

	// 历下区: 9 readings received, 2 and 1 refused; the highest share first.
	rej = section(lixia.Get("/portal/quality").Body, `id="rejected-shares"`)
	assert.Contains(t, rej, "<td>感知数据</td><td>必填项缺失（required）</td><td>9</td><td>2</td><td>22.2%</td>")
	assert.Contains(t, rej, "<td>9</td><td>1</td><td>11.1%</td>")
	assert.Less(t, strings.Index(rej, "required"), strings.Index(rej, "range"))
	for _, other := range []string{"future", "gb28181"} {
		assert.NotContains(t, rej, other, "another county's rejections")
	}
	// 济南: its three companies, 青岛's not.
	rej = section(jinan.Get("/portal/quality").Body, `id="rejected-shares"`)
	assert.Contains(t, rej, "<td>19</td><td>3</td><td>15.8%</td>", "future: 3 of 4+5+10")
	assert.NotContains(t, rej, "gb28181")

	p = lixia.Get("/portal/quality/companies/370103001")
	assert.Equal(t, http.StatusForbidden, p.Status)
	assert.NotContains(t, p.Body, names["370103001"])
}
