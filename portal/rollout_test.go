package portal_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// dualCompany uploads a linked 双重预防 chain for code through the exchange API — a
// unit, its event, measure and task, and a major 隐患 past its deadline — and waits
// until the governance consumer has noted the tables.
func (e *env) dualCompany(tb testing.TB, code string) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	c := simulate.Company{Code: code, County: code[:6]}
	now := e.Clock.Now()
	unit := simulate.NewRecord(r, schemas.RiskUnits, c, now)
	event := simulate.NewRecord(r, schemas.RiskEvents, c, now)
	event["RISK_UNIT_ID"] = unit["ID"]
	measure := simulate.NewRecord(r, schemas.ControlMeasures, c, now)
	measure["RISK_EVENT_ID"] = event["ID"]
	task := simulate.NewRecord(r, schemas.CheckTasks, c, now)
	task["RISK_MEASURE_ID"] = measure["ID"]
	danger := simulate.NewRecord(r, schemas.HiddenDangers, c, now)
	danger["RISK_MEASURE_ID"], danger["DANGER_LEVEL"], danger["DANGER_STATE"] = measure["ID"], 1, 0
	danger["DANGER_MANAGE_DEADLINE"] = now.Add(-time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	delete(danger, "CHECK_ACCEPT_PERSON")
	delete(danger, "CHECK_ACCEPT_TIME")
	for _, x := range []struct {
		t   *schemas.Table
		rec simulate.Record
	}{{schemas.RiskUnits, unit}, {schemas.RiskEvents, event}, {schemas.ControlMeasures, measure},
		{schemas.CheckTasks, task}, {schemas.HiddenDangers, danger}} {
		require.Equal(tb, 1, e.upload(code, x.t, x.rec), x.t.Slug)
	}
	require.Eventually(tb, func() bool {
		return pgtest.Scalar[int](tb, e.App.Pool, `SELECT count(*) FROM rollout_connections WHERE company_code = $1`, code) == 5 &&
			pgtest.Scalar[int](tb, e.App.Pool, `SELECT count(*) FROM x_hidden_dangers WHERE company_code = $1`, code) == 1
	}, 60*time.Second, 200*time.Millisecond)
}

func TestRolloutPagesScopeAndAcceptance(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.company("370102002", "370102", "历下加油站", "加油站")
	e.company("370103001", "370103", "市中丙新材料有限公司", "生产")
	e.company("370202001", "370202", "市南丁氯碱有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	e.user("shizhong_staff", policy.CountyStaff, "370103")
	e.user("jinan_staff", policy.CityStaff, "370100")
	e.dualCompany(t, "370102001")

	lixia := e.login("lixia_staff")
	p := lixia.Get("/portal/rollout")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "历下甲化工有限公司")
	assert.Contains(t, p.Body, "历下加油站")
	assert.NotContains(t, p.Body, "市中丙新材料", "a county sees only its companies")
	assert.NotContains(t, p.Body, "市南丁氯碱")
	assert.Contains(t, p.Body, "企业自建系统")
	assert.Equal(t, http.StatusForbidden, lixia.Get("/portal/rollout?region=370103").Status)
	assert.Equal(t, http.StatusForbidden, lixia.Get("/portal/dual?region=370100").Status)
	assert.Equal(t, http.StatusForbidden, lixia.Get("/portal/rollout/companies/370103001").Status)
	assert.Equal(t, http.StatusForbidden, lixia.Get("/portal/rollout.xlsx?region=370200").Status)

	jinan := e.login("jinan_staff")
	p = jinan.Get("/portal/rollout")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, "市中丙新材料")
	assert.NotContains(t, p.Body, "市南丁氯碱", "a city sees only its counties")
	assert.Equal(t, http.StatusForbidden, jinan.Get("/portal/dual?region=370200").Status)

	// The 双重预防 figures on 企业一张图 and the region statistics.
	p = lixia.Get("/portal/companies/370102001")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, `id="dual"`)
	assert.Regexp(t, `重大隐患 未验收 / 超期</dt><dd>1 / <span class="bad">1</span>`, p.Body)
	p = jinan.Get("/portal/dual")
	require.Equal(t, http.StatusOK, p.Status)
	assert.Contains(t, p.Body, "历下区")
	assert.NotContains(t, p.Body, "市南区")

	// Excel: the region's rows, the company's systems.
	x := jinan.Get("/portal/rollout.xlsx")
	require.Equal(t, http.StatusOK, x.Status)
	f, err := excelize.OpenReader(strings.NewReader(x.Body))
	require.NoError(t, err)
	rows, err := f.GetRows("企业明细")
	require.NoError(t, err)
	var dual []string
	for _, r := range rows {
		if r[0] == "370102001" && r[4] == "双重预防机制信息化" {
			dual = r
		}
		assert.NotEqual(t, "370202001", r[0], "outside the city")
	}
	require.NotNil(t, dual)
	assert.Equal(t, "已接入·数据不全", dual[6], "check-records never sent")
	assert.Equal(t, "企业自建系统", dual[7])
	assert.Contains(t, dual[10], "隐患排查记录")
	regions, err := f.GetRows("按地区")
	require.NoError(t, err)
	assert.Equal(t, "合计（济南市）", regions[len(regions)-1][0])
	x = jinan.Get("/portal/dual.xlsx")
	require.Equal(t, http.StatusOK, x.Status)
	f, err = excelize.OpenReader(strings.NewReader(x.Body))
	require.NoError(t, err)
	rows, err = f.GetRows("双重预防统计")
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	last := rows[len(rows)-1]
	assert.Equal(t, []string{"合计（济南市）", "3", "1", "1", "1"}, last[:5])
	assert.Equal(t, "1", last[10], "one major 隐患 overdue")

	// 验收: the company's county records it; the city and another county are refused.
	form := url.Values{"system": {"dual-prevention"}, "result": {"passed"}, "accepted_on": {e.Clock.Now().In(schemas.Shanghai).Format(schemas.DateLayout)},
		"note": {"现场核验，数据接入正常"}}
	page := lixia.Get("/portal/rollout/companies/370102001")
	assert.Contains(t, page.Body, `id="acceptance-form"`)
	assert.NotContains(t, jinan.Get("/portal/rollout/companies/370102001").Body, `id="acceptance-form"`)
	assert.Equal(t, http.StatusForbidden, jinan.Do(http.MethodPost, "/portal/rollout/companies/370102001/acceptances", form).Status)
	shizhong := e.login("shizhong_staff")
	assert.Equal(t, http.StatusForbidden, shizhong.Do(http.MethodPost, "/portal/rollout/companies/370102001/acceptances", form).Status)
	bad := url.Values{"system": {"gas-station-video"}, "result": {"passed"}, "accepted_on": {"2020-01-01"}}
	p = lixia.Do(http.MethodPost, "/portal/rollout/companies/370102001/acceptances", bad)
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "不需建设")
	p = lixia.Do(http.MethodPost, "/portal/rollout/companies/370102001/acceptances", url.Values{"system": {"dual-prevention"},
		"result": {"failed"}, "accepted_on": {"2020-01-01"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status, "a failed 验收 needs its reason")
	p = lixia.Do(http.MethodPost, "/portal/rollout/companies/370102001/acceptances", form)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	p = lixia.Get("/portal/rollout/companies/370102001")
	assert.Contains(t, p.Body, "现场核验，数据接入正常")
	assert.Contains(t, p.Body, "验收通过")
	assert.Equal(t, 1, pgtest.Scalar[int](t, e.App.Pool, `SELECT count(*) FROM rollout_acceptances`))
	assert.Positive(t, pgtest.Scalar[int](t, e.App.Pool,
		`SELECT count(*) FROM audit_log WHERE action = 'rollout_acceptance' AND result = 'denied'`), "refusals are audited")
}
