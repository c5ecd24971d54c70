package governancesvc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// env is the governance API on a fresh database with two days of scores: on
// 2021-06-01 company 370102001 commits on time and the others never do; on
// 2021-06-02 nobody commits.
type env struct {
	govtest.Client
	pool *pgxpool.Pool
	acc  *auth.Service
	svc  *governancesvc.Service
	clk  *testclock.Clock
}

// Companies: two in 历下区 370102 and one in 市中区 370103 (济南 370100), one in
// 黄岛区 370211 (青岛 370200).
var companies = map[string]string{"370102001": "370102", "370102002": "370102", "370103001": "370103", "370211001": "370211"}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(tb)
	for code, county := range companies {
		govtest.AddEnterprise(tb, pool, code, county, "")
	}
	clk := testclock.Frozen(time.Time{})
	s := govtest.Service(tb, pool, clk)
	// Every company's system is online: it uploads before each check (a registered
	// system never heard from would be 企业系统离线).
	tick := func() {
		var evs []governance.Event
		for code := range companies {
			evs = append(evs, governance.Upload{Company: code, Table: events.TableSensorReadings, Accepted: 1})
		}
		require.NoError(tb, s.Apply(ctx, evs))
		require.NoError(tb, s.Tick(ctx))
	}
	for _, d := range []struct {
		day        string
		committers []string
	}{{"2021-06-01", []string{"370102001"}}, {"2021-06-02", nil}} {
		clk.Set(govtest.At(tb, d.day+" 08:00:00"))
		tick()
		clk.Set(govtest.At(tb, d.day+" 09:00:00"))
		var evs []governance.Event
		for i, c := range d.committers {
			evs = append(evs, events.Commitment{ID: d.day + c + string(rune('a'+i)), Company: c,
				Date: govtest.At(tb, d.day+" 00:00:00"), Person: "张三", At: clk.Now()})
		}
		require.NoError(tb, s.Apply(ctx, evs))
		clk.Set(govtest.At(tb, d.day+" 11:00:00"))
		tick()
		start, end := governance.DayBounds(clk.Now())
		clk.Set(end.Add(time.Minute))
		tick()
		_, err := s.Recompute(ctx, start, end)
		require.NoError(tb, err)
	}
	acc, err := auth.New(ctx, pool, auth.Config{InsecureCookie: true})
	require.NoError(tb, err)
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	api := app.Group("/api/v1")
	acc.Mount(api)
	governancesvc.NewHandler(s, acc).Register(api)
	e := &env{Client: govtest.Client{TB: tb, App: app}, pool: pool, acc: acc, svc: s, clk: clk}
	govtest.AddUsers(tb, acc, govtest.User{Name: "jinan", Role: policy.CityStaff, Domain: "370100"},
		govtest.User{Name: "lixia", Role: policy.CountyStaff, Domain: "370102"},
		govtest.User{Name: "qingdao", Role: policy.CityStaff, Domain: "370200"},
		govtest.User{Name: "province", Role: policy.ProvinceStaff, Domain: tiers.ProvinceCode},
		govtest.User{Name: "lixia_share", Role: policy.ShareService, Domain: "370102"},
		govtest.User{Name: "company", Role: policy.EnterpriseAdmin, Domain: tiers.EnterpriseDomain("370102001")})
	return e
}

func codes(xs []map[string]any, key string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x[key].(string))
	}
	return out
}

// A city user sees the ranking of its own counties only, each county's score is the
// mean of exactly its companies, and a region or company outside the caller's
// region is refused.
func TestRegionsAndScoresScopedByTier(t *testing.T) {
	e := newEnv(t)
	jinan, lixia, qingdao, company := e.Login("jinan"), e.Login("lixia"), e.Login("qingdao"), e.Login("company")

	r := e.Get(jinan, "/api/v1/governance/regions?day=2021-06-01")
	kids := govtest.Field(t, r, "children")
	assert.Equal(t, []string{"370102", "370103"}, codes(kids, "region"), "a city's ranking holds only its counties")
	assert.Equal(t, "历下区", kids[0]["name"])
	assert.EqualValues(t, 1, kids[0]["rank"])
	assert.EqualValues(t, 90.5, kids[0]["score"], "历下区: mean of 100 and 81")
	assert.EqualValues(t, 2, kids[0]["companies"])
	assert.EqualValues(t, 81, kids[1]["score"])
	assert.EqualValues(t, 1, kids[1]["companies"])
	score := r.Body["score"].(map[string]any)
	assert.EqualValues(t, 3, score["companies"], "济南: its three companies, not 青岛's")
	assert.InDelta(t, (100+81+81)/3.0, score["score"], 0.05)

	// Day over day: 历下区 fell from 90.5 to 81.
	kids = govtest.Field(t, e.Get(jinan, "/api/v1/governance/regions?day=2021-06-02"), "children")
	assert.EqualValues(t, -9.5, kids[0]["trend"].(map[string]any)["change"])

	assert.Equal(t, []string{"370211"}, codes(govtest.Field(t, e.Get(qingdao, "/api/v1/governance/regions?day=2021-06-01"), "children"), "region"))
	for _, path := range []string{"/api/v1/governance/regions?region=370000", "/api/v1/governance/regions?region=370200",
		"/api/v1/governance/scores?region=370211", "/api/v1/governance/report?region=370103",
		"/api/v1/governance/companies/370211001", "/api/v1/governance/fallers?region=370100"} {
		tok := jinan
		if path == "/api/v1/governance/report?region=370103" || path == "/api/v1/governance/fallers?region=370100" {
			tok = lixia
		}
		assert.Equal(t, http.StatusForbidden, e.Get(tok, path).Status, path)
	}
	assert.Equal(t, http.StatusForbidden, e.Get(company, "/api/v1/governance/regions").Status)
	assert.Equal(t, http.StatusOK, e.Get(company, "/api/v1/governance/companies/370102001").Status)
	assert.Equal(t, http.StatusForbidden, e.Get(company, "/api/v1/governance/companies/370102002").Status)
	assert.Equal(t, http.StatusUnauthorized, e.Get("", "/api/v1/governance/scores").Status)
	assert.Equal(t, http.StatusUnprocessableEntity, e.Get(jinan, "/api/v1/governance/scores?day=june").Status)

	// Scores of a county: exactly its companies, paginated by code.
	s := govtest.Field(t, e.Get(lixia, "/api/v1/governance/scores?day=2021-06-01"), "scores")
	assert.Equal(t, []string{"370102001", "370102002"}, codes(s, "company_code"))
	p := e.Get(jinan, "/api/v1/governance/scores?day=2021-06-01&limit=2")
	assert.Equal(t, []string{"370102001", "370102002"}, codes(govtest.Field(t, p, "scores"), "company_code"))
	p = e.Get(jinan, "/api/v1/governance/scores?day=2021-06-01&limit=2&after="+p.Body["next_after"].(string))
	assert.Equal(t, []string{"370103001"}, codes(govtest.Field(t, p, "scores"), "company_code"))

	// A company's breakdown, facts and evidence.
	c := e.Get(lixia, "/api/v1/governance/companies/370102002?day=2021-06-01")
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	assert.EqualValues(t, 81, c.Body["score"].(map[string]any)["score"])
	dims := c.Body["score"].(map[string]any)["dimensions"].([]any)
	assert.EqualValues(t, 1, dims[0].(map[string]any)["score"], "安全承诺 20 − 19")
	recent := govtest.Field(t, c, "recent_facts")
	require.NotEmpty(t, recent)
	assert.Equal(t, "commitment_missing", recent[0]["kind"])
	assert.Equal(t, "未承诺", recent[0]["name_zh"])
	assert.NotEmpty(t, recent[0]["evidence"])

	// Facts, fallers.
	f := govtest.Field(t, e.Get(qingdao, "/api/v1/governance/facts?kind=commitment_missing"), "facts")
	assert.Equal(t, []string{"370211001", "370211001"}, codes(f, "company"))
	f = govtest.Field(t, e.Get(jinan, "/api/v1/governance/facts?day=2021-06-01&region=370102"), "facts")
	assert.Equal(t, []string{"370102002"}, codes(f, "company"))
	assert.Equal(t, http.StatusUnprocessableEntity, e.Get(jinan, "/api/v1/governance/facts?kind=nonsense").Status)
	fl := govtest.Field(t, e.Get(jinan, "/api/v1/governance/fallers?day=2021-06-02"), "fallers")
	assert.Equal(t, []string{"370102001"}, codes(fl, "key"))
	assert.EqualValues(t, -19, fl[0]["change"])
}

// The daily report holds only the region's companies; as Excel it has the five
// sheets with Chinese headers; the sharing API gives it to the region's share
// service account only.
func TestDailyReportJSONExcelAndShare(t *testing.T) {
	e := newEnv(t)
	lixia, jinan := e.Login("lixia"), e.Login("jinan")

	r := e.Get(lixia, "/api/v1/governance/report?day=2021-06-02")
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "370102", r.Body["region"])
	assert.Equal(t, "county", r.Body["level"])
	assert.Equal(t, []string{"370102001", "370102002"}, codes(govtest.Field(t, r, "companies"), "company"))
	assert.EqualValues(t, 81, r.Body["score"].(map[string]any)["score"])
	assert.Equal(t, []string{"370102001"}, codes(govtest.Field(t, r, "fallers"), "key"))
	assert.Len(t, govtest.Field(t, r, "offenders"), 2)
	assert.Equal(t, "历下区", r.Body["region_name"])

	req := httptest.NewRequest(http.MethodGet, "http://chemguard.test/api/v1/governance/report.xlsx?region=370100&day=2021-06-01", nil)
	req.Header.Set("Authorization", "Bearer "+jinan)
	resp, err := e.App.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	x, err := excelize.OpenReader(resp.Body)
	require.NoError(t, err)
	defer x.Close()
	assert.Equal(t, []string{governancesvc.SheetOverview, governancesvc.SheetCompanies, governancesvc.SheetRegions, governancesvc.SheetOffenders,
		governancesvc.SheetFacts, governancesvc.SheetRejected}, x.GetSheetList())
	rows, err := x.GetRows(governancesvc.SheetCompanies)
	require.NoError(t, err)
	require.Len(t, rows, 4, "header and 济南's three companies")
	assert.Equal(t, []string{"排名", "企业编码", "企业名称", "得分"}, rows[0][:4])
	assert.Equal(t, []string{"1", "370102001", "测试化工370102001", "100"}, rows[1][:4])
	rows, err = x.GetRows(governancesvc.SheetRegions)
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "历下区", rows[1][2])
	rows, err = x.GetRows(governancesvc.SheetOffenders)
	require.NoError(t, err)
	require.Len(t, rows, 3, "the two companies that never committed")
	assert.Equal(t, "未承诺", rows[1][3])
	assert.Contains(t, rows[1][9], "commitments")

	// The sharing API: the county's share account, not another region's.
	shareTok := e.Login("lixia_share")
	r = e.Get(shareTok, "/api/v1/share/governance/report?day=2021-06-01")
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "370102", r.Body["region"])
	assert.Equal(t, http.StatusForbidden, e.Get(shareTok, "/api/v1/share/governance/report?region=370103").Status)
	assert.Equal(t, http.StatusForbidden, e.Get(lixia, "/api/v1/share/governance/report").Status, "a regulator is not a share account")

	// A day that has not begun has no report: its scores would be invented from
	// the facts open now (the service's clock is at 2021-06-03 00:01).
	for _, path := range []string{"/api/v1/governance/report?day=2021-06-04", "/api/v1/governance/report.xlsx?day=2021-06-04",
		"/api/v1/governance/scores?day=2021-06-04", "/api/v1/governance/facts?day=2021-06-04"} {
		r := e.Get(lixia, path)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, path)
		assert.Contains(t, string(r.Raw), "晚于今天", path)
	}
	assert.Equal(t, http.StatusOK, e.Get(lixia, "/api/v1/governance/report?day=2021-06-03").Status)
}
