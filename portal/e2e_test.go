package portal_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// e2eEnv is what the browser tests get as CHEMGUARD_E2E_ENV (portal/e2e/README.md).
type e2eEnv struct {
	BaseURL     string                `json:"baseURL"`
	Chromium    string                `json:"chromium"`
	Screenshots string                `json:"screenshots,omitempty"` // docs/screenshots when CHEMGUARD_SCREENSHOTS=1
	Artifacts   string                `json:"artifacts"`
	Users       map[string]e2eUser    `json:"users"`
	Counties    []e2eCounty           `json:"counties"` // [0] is the county regulator's own county
	Warnings    map[string]e2eWarning `json:"warnings"`
	Quality     e2eQuality            `json:"quality"`
	Hostile     e2eHostile            `json:"hostile"`
}

// e2eHostile is a company whose registered name is an HTML payload, in a county of
// its own, placed on the county map by its 企业信息 (security.spec.mjs).
type e2eHostile struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	County string  `json:"county"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
}

// e2eQuality is a company of counties[0] with an open 指标未设报警阈值 fact (quality.spec.mjs).
type e2eQuality struct {
	Company string `json:"company"`
	Name    string `json:"name"`
}

type e2eUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
	RoleZH   string `json:"roleZH"`
	Domain   string `json:"domain"`
	TOTP     string `json:"totp,omitempty"` // base32 secret for roles that need a one-time code
}

type e2eCounty struct {
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	CityName  string       `json:"cityName"`
	Companies []e2eCompany `json:"companies"`
}

type e2eCompany struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Hazard    string `json:"hazard"`    // a hazard source name its page shows
	Indicator string `json:"indicator"` // code of an indicator with a reading
}

type e2eWarning struct {
	ID      int64  `json:"id"`
	Company string `json:"company"`
	Level   string `json:"level"`
	Subject string `json:"subject"`
}

// TestBrowser runs the browser tests, every portal/e2e/*.spec.mjs, in Debian's
// headless Chromium against the whole platform started here on a fresh database,
// seeded through the exchange API with simulated companies in two counties and
// simulated gas readings that the warning engine turns into red leak warnings.
// Without node, Chromium or portal/e2e/node_modules it fails: `make test`
// installs them; CHEMGUARD_SKIP_BROWSER=1 skips it on purpose.
func TestBrowser(t *testing.T) {
	tools := browsertest.Require(t)

	// Chromium judges a session cookie's expiry by the machine's clock, so the platform
	// under it runs on that clock, whatever CHEMGUARD_TEST_NOW says.
	e := startOn(t, testclock.At(time.Now()), nil)
	out := e2eEnv{BaseURL: e.App.URL(), Chromium: tools.Chromium, Screenshots: tools.Screenshots(t), Users: map[string]e2eUser{},
		Warnings: map[string]e2eWarning{}}
	out.Artifacts = filepath.Join(tools.Root, "portal", "e2e", "artifacts")

	// Two counties of two cities; the first holds the county regulator.
	counties := []struct {
		code      string
		companies []simulate.Company
	}{
		{"370102", []simulate.Company{
			{Code: "370102101", County: "370102", Name: "历下泉城化工有限公司"},
			{Code: "370102102", County: "370102", Name: "历下华山石化有限公司"},
			{Code: "370102103", County: "370102", Name: "历下千佛新材料有限公司"},
		}},
		{"370211", []simulate.Company{
			{Code: "370211101", County: "370211", Name: "黄岛海港氯碱有限公司"},
			{Code: "370211102", County: "370211", Name: "黄岛琅琊精细化工有限公司"},
		}},
	}
	taskTypes := []string{"11", "21", "44", "C1", "11"}
	var codes []string
	for _, cy := range counties {
		d, ok := tiers.DivisionByCode(cy.code)
		require.True(t, ok, cy.code)
		city, _ := tiers.DivisionByCode(d.ParentCode)
		ec := e2eCounty{Code: cy.code, Name: city.NameZH + d.NameZH, CityName: city.NameZH}
		for _, c := range cy.companies {
			e.company(c.Code, c.County, c.Name, "生产")
			f := e.seed(c, taskTypes[len(codes)])
			codes = append(codes, c.Code)
			ec.Companies = append(ec.Companies, e2eCompany{Code: c.Code, Name: c.Name, Hazard: f.Hazard, Indicator: c.Code + "-T01"})
		}
		out.Counties = append(out.Counties, ec)
	}
	e.stored(codes...)

	// A day of the second company's plant readings (every 10 minutes, the simulated
	// plant's ordinary day), for the 24-hour trend of its gas detectors.
	hist := counties[0].companies[1]
	require.Equal(t, len(simulate.IndicatorRecords(hist)), e.upload(hist.Code, schemas.Indicators, simulate.IndicatorRecords(hist)...))
	for at := time.Now().Add(-24 * time.Hour); at.Before(time.Now().Add(-10 * time.Minute)); at = at.Add(10 * time.Minute) {
		recs := simulate.Readings(hist, at, at)
		require.Equal(t, len(recs), e.upload(hist.Code, schemas.SensorReadings, recs...))
	}

	// Red warnings from the simulated plant's own leaks: one for the portal's
	// sign-off, one left open for other specs.
	for key, c := range map[string]simulate.Company{"signoff": counties[0].companies[0], "open": counties[0].companies[1]} {
		out.Warnings[key] = e.leak(c)
	}

	// 数据质量: counties[0].companies[2] gets an indicator without thresholds.
	qc := counties[0].companies[2]
	e.noThreshold(t, qc.Code)
	out.Quality = e2eQuality{Company: qc.Code, Name: qc.Name}

	// A company named with an HTML payload, on 淄博市淄川区's map: names reach the
	// map's tooltips, and company data is not trusted.
	hc := simulate.Company{Code: "370302901", County: "370302", Name: "<img src=x onerror=alert(1)>"}
	e.company(hc.Code, hc.County, hc.Name, "生产")
	info := simulate.NewRecord(rand.New(rand.NewPCG(9, 9)), schemas.EnterpriseInfos, hc, time.Now())
	require.Equal(t, 1, e.upload(hc.Code, schemas.EnterpriseInfos, info))
	e.eventually("the hostile company's 企业信息", func() bool {
		var n int
		require.NoError(t, e.App.Pool.QueryRow(context.Background(),
			`SELECT count(*) FROM x_enterprise_info WHERE company_code = $1`, hc.Code).Scan(&n))
		return n > 0
	})
	lon, lat := simulate.Position(hc)
	out.Hostile = e2eHostile{Code: hc.Code, Name: hc.Name, County: hc.County, Lon: lon, Lat: lat}

	users := []struct {
		key    string
		role   policy.Role
		domain string
	}{
		{"county", policy.CountyStaff, "370102"},
		{"countyLeader", policy.CountyLeader, "370102"},
		{"otherCounty", policy.CountyStaff, "370211"},
		{"city", policy.CityStaff, "370100"},
		{"province", policy.ProvinceStaff, tiers.ProvinceCode},
		{"company", policy.EnterpriseAdmin, tiers.EnterpriseDomain(counties[0].companies[0].Code)},
		{"company2", policy.EnterpriseAdmin, tiers.EnterpriseDomain(counties[0].companies[1].Code)},
		{"inspector", policy.Inspector, "370102"},
		{"cityInspector", policy.Inspector, "370100"},
		{"sysadmin", policy.SystemAdmin, tiers.ProvinceCode},
		{"security", policy.SecurityAdmin, tiers.ProvinceCode},
		{"auditor", policy.AuditAdmin, tiers.ProvinceCode},
	}
	for _, u := range users {
		name := "e2e_" + strings.ToLower(u.key)
		created, err := e.App.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: name,
			DisplayName: "测试" + u.role.Label(), Password: testPassword, Role: u.role, Domain: u.domain}, identity.Actor{Name: "test"})
		require.NoError(t, err, u.key)
		out.Users[u.key] = e2eUser{Username: name, Password: testPassword, Role: string(u.role), RoleZH: u.role.Label(),
			Domain: u.domain, TOTP: created.TOTPSecret}
	}

	var args []string
	if g := os.Getenv("CHEMGUARD_E2E_GREP"); g != "" {
		args = append(args, "--grep", g)
	}
	// A failing spec leaves its page and trace in portal/e2e/artifacts/failures.
	tools.Run(t, 8*time.Minute, out, "e2e/run.mjs", args...)
}

// leak sends company c's indicators and then its simulated plant's readings at a
// moment of a leak spreading over three gas detectors, as the simulator would, and
// returns the red warning the engine raises.
func (e *env) leak(c simulate.Company) e2eWarning {
	e.TB.Helper()
	inds := simulate.IndicatorRecords(c)
	require.Equal(e.TB, len(inds), e.upload(c.Code, schemas.Indicators, inds...))
	// Indicators and readings travel on different topics: send readings once the
	// engine knows the limits.
	e.eventually("the indicators in the engine state", func() bool {
		var n int
		require.NoError(e.TB, e.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM warning_engine_state_items
			WHERE company_code = $1 AND item LIKE 'indicator|%-G03'`, c.Code).Scan(&n))
		return n > 0
	})
	area := map[string]string{}
	for _, r := range inds {
		if r["INDICATOR_KIND"] == "5" {
			area[r["INDICATOR_CODE"].(string)] = r["AREA"].(string)
		}
	}
	// A whole-area leak of the simulated plant (rare: found in its past), its
	// readings 30 minutes in — all three detectors in alarm — stamped now.
	now := e.Clock.Now()
	start, leakArea, ok := simulate.FindLeak(c, now, 3)
	require.True(e.TB, ok, "no whole-area leak in the simulated plant of %s", c.Code)
	var readings []simulate.Record
	alarming := 0
	for _, r := range simulate.Readings(c, start.Add(30*time.Minute), now) {
		if a, ok := area[r["INDICATOR_CODE"].(string)]; ok && a == leakArea {
			readings = append(readings, r)
			if v, _ := r["VALUE"].(json.Number).Float64(); v >= 20 {
				alarming++
			}
		}
	}
	require.Equal(e.TB, 3, alarming, "the leak's three detectors in alarm")
	require.Equal(e.TB, len(readings), e.upload(c.Code, schemas.SensorReadings, readings...))
	var w e2eWarning
	e.eventually("a red leak warning", func() bool {
		err := e.App.Pool.QueryRow(context.Background(), `SELECT id, company_code, level, subject_name FROM warnings
			WHERE company_code = $1 AND status = 'open' AND level = 'red' AND model = 'leak' ORDER BY id LIMIT 1`, c.Code).
			Scan(&w.ID, &w.Company, &w.Level, &w.Subject)
		return err == nil
	})
	return w
}

// eventually polls cond for up to 30 s.
func (e *env) eventually(what string, cond func() bool) {
	e.TB.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.TB.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
