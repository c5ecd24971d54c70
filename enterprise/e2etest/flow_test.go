// Package e2etest_test is issue 15's end-to-end test of the hosted base system:
// one company's 双重预防 list, a check on a phone that finds a hidden danger,
// its rectification and acceptance, and the province regulator reading those
// very records back through the exchange API and the portal — all on the real
// platform (PostgreSQL, the embedded Kafka broker, the sink).
package e2etest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web/browsertest"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

const (
	company = "370102001"
	county  = "370102"
	hazard  = "370102001001"
	regPass = "Jianguan#Shengji2026"
)

// TestEndToEnd drives e2e/flow.mjs in Debian's Chromium (playwright-core from
// portal/e2e, as the other browser tests; CHEMGUARD_SKIP_BROWSER=1 skips it):
// the company administrator builds the list and generates tasks at /e/, an
// employee checks the unit on a 390×844 page opened by its QR URL and finds a
// hidden danger with a photo, the 安全管理员 assigns it, the rectifier closes it
// on his phone and the 安全管理员 accepts it. Then the province regulator
// (with MFA) reads the six records back by id through the sharing API and the
// company's 双重预防 figures in the portal. CHEMGUARD_SCREENSHOTS=1 writes
// docs/screenshots/e2e-*.png and the regulator pages the docs show.
func TestEndToEnd(t *testing.T) {
	tools := browsertest.Require(t)

	clk := testclock.New(t)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Now: clk.Now,
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond}}})
	base := app.URL()
	co := enttest.Setup(t, app.App, company, county)

	// The company's registry data reaches the platform through the exchange
	// API, as it would from the company's own system.
	up := platformtest.Upload(t, app.App, co.Key, schemas.HazardSources, simulate.Record{"HAZARD_CODE": hazard, "COMPANY_CODE": company,
		"HAZARD_NAME": "液氨储罐区", "HAZARD_KIND": "1", "HAZARD_GRADE": "2", "SUBSTANCES": "液氨", "KEY_SUBSTANCE": "", "DELETED": "0"})
	require.Equal(t, http.StatusOK, up.Status, "register the hazard source: %s", up.Body)
	eventually(t, "the hazard source stored", func() bool {
		return pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM x_hazard_sources WHERE company_code = $1 AND record_key = $2`, company, hazard) == 1
	})

	cookie := func(role policy.Role) map[string]string { return sessionCookie(t, base, co, role) }
	photo := filepath.Join(t.TempDir(), "液位计.png")
	require.NoError(t, os.WriteFile(photo, scenePNG(t), 0o600))
	shots := tools.Screenshots(t)
	rectifier := co.Members[policy.EnterpriseDeptHead]
	env := map[string]any{"phase": "company", "baseURL": base, "chromium": tools.Chromium, "playwright": tools.Playwright, "shots": shots,
		"admin": co.Members[policy.EnterpriseAdmin].Username, "password": enttest.Password, "hazard": hazard,
		"department": co.Department.Name, "post": co.Post.ID, "liable": rectifier.DisplayName,
		"worker": cookie(policy.EnterpriseStaff), "workerName": co.Members[policy.EnterpriseStaff].DisplayName, "safety": cookie(policy.EnterpriseSafety), "rectifier": cookie(policy.EnterpriseDeptHead),
		"deadline": clk.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 7).Format("2006-01-02"), "photo": photo}
	var out struct{ Unit, Danger string }
	runNode(t, tools, env, &out)

	ids := map[string]string{"risk-units": out.Unit}
	for slug, sql := range map[string]string{"risk-events": `SELECT id::text FROM dp_events WHERE company = $1`,
		"control-measures": `SELECT id::text FROM dp_measures WHERE company = $1`, "check-tasks": `SELECT id::text FROM dp_tasks WHERE company = $1`,
		"check-records": `SELECT id::text FROM dp_checks WHERE company = $1`} {
		require.Equal(t, 1, pgtest.Scalar[int](t, app.Pool, strings.Replace(sql, "id::text", "count(*)", 1), company), slug)
		ids[slug] = pgtest.Scalar[string](t, app.Pool, sql, company)
	}
	ids["hidden-dangers"] = out.Danger

	// The province regulator (MFA) reads exactly those records back.
	created, err := app.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: "prov_e2e", DisplayName: "省厅监管员",
		Password: regPass, Role: policy.ProvinceStaff, Domain: "370000"}, identity.Actor{Name: "e2etest"})
	require.NoError(t, err)
	require.NotEmpty(t, created.TOTPSecret, "province staff log in with a second factor")
	token := apiLogin(t, base, clk, created.TOTPSecret)
	want := map[string]map[string]string{
		"risk-units":       {"RISK_UNIT_NAME": "液氨储罐区 2 号罐组", "HAZARD_CODE": hazard},
		"risk-events":      {"RISK_EVENT_NAME": "液氨泄漏中毒", "RISK_UNIT_ID": ids["risk-units"]},
		"control-measures": {"RISK_EVENT_ID": ids["risk-events"], "TROUBLESHOOT_CONTENT": "检查液位计显示与高高液位联锁投用情况"},
		"check-tasks":      {"RISK_MEASURE_ID": ids["control-measures"]},
		"check-records":    {"CHECK_TASK_ID": ids["check-tasks"], "CHECK_STATUS": "1"},
		"hidden-dangers":   {"DANGER_NAME": "液位计失准", "DANGER_STATE": "9", "HAZARD_CODE": hazard, "RISK_MEASURE_ID": ids["control-measures"]},
	}
	var danger map[string]any
	for slug, fields := range want {
		eventually(t, "read back "+slug, func() bool {
			status, rec := call(t, http.MethodGet, fmt.Sprintf("%s/api/v1/enterprises/%s/records/%s/%s", base, company, slug, ids[slug]), token, nil)
			if status != http.StatusOK {
				return false
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal(rec, &m))
			if r, ok := m["record"].(map[string]any); ok {
				m = r
			}
			for k, v := range fields {
				if fmt.Sprint(m[k]) != v {
					t.Logf("%s %s: %s = %v, want %s", slug, ids[slug], k, m[k], v)
					return false
				}
			}
			if slug == "hidden-dangers" {
				danger = m
			}
			return true
		})
	}
	for _, f := range []string{"CHECK_ACCEPT_COMMENT", "CHECK_ACCEPT_TIME", "CHECK_ACCEPT_PERSON"} {
		require.NotEmpty(t, danger[f], "the accepted hidden danger carries %s: %v", f, danger)
	}

	// The portal: the company page's 双重预防 section and /portal/dual.
	clk.Add(31 * time.Second) // each TOTP code is accepted once
	session := portalLogin(t, base, clk, created.TOTPSecret)
	kpis := map[string]string{"风险分析单元": "1", "风险事件": "1", "管控措施": "1", "排查任务": "1", "一般隐患 未验收 / 超期": "0 / 0"}
	eventually(t, "the company page's 双重预防 figures", func() bool {
		page := portalGet(t, base, session, "/portal/companies/"+company)
		got := dlPairs(page)
		for k, v := range kpis {
			if got[k] != v {
				t.Logf("company page %s = %q, want %q", k, got[k], v)
				return false
			}
		}
		return true
	})
	eventually(t, "/portal/dual's row of the company", func() bool {
		page := portalGet(t, base, session, "/portal/dual?region="+county)
		row := rowOf(page, co.Name)
		// 企业数 已接入 单元 任务 超期 断裂 一般 重大 已验收
		if len(row) < 10 || row[3] != "1" || row[4] != "1" || row[6] != "0" || row[7] != "0/0" || row[9] != "1" {
			t.Logf("/portal/dual row: %q", row)
			return false
		}
		return true
	})
	runNode(t, tools, map[string]any{"phase": "portal", "baseURL": base, "chromium": tools.Chromium, "playwright": tools.Playwright, "shots": shots,
		"regulator": map[string]string{"name": identity.CookieName, "value": session}, "company": company, "county": county}, nil)
}

// sessionCookie is the session cookie of co's member with role, for a browser.
func sessionCookie(t *testing.T, base string, co *enttest.Company, role policy.Role) map[string]string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	for _, k := range co.Clients[role].HTTP.Jar.Cookies(u) {
		if k.Name == identity.CookieName {
			return map[string]string{"name": k.Name, "value": k.Value}
		}
	}
	t.Fatalf("no session cookie for %s", role)
	return nil
}

// runNode runs e2e/flow.mjs (or env["script"]) with env and decodes its last
// output line into out.
func runNode(t *testing.T, tools browsertest.Tools, env map[string]any, out any) {
	t.Helper()
	script := "e2e/flow.mjs"
	if s, ok := env["script"].(string); ok {
		script = s
	}
	stdout := tools.Run(t, 5*time.Minute, env, script)
	if out != nil {
		lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
		require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), out), string(stdout))
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !ok() {
		require.True(t, time.Now().Before(deadline), "%s: not within 90 s", what)
		time.Sleep(300 * time.Millisecond)
	}
}

func call(t *testing.T, method, u, bearer string, payload any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if payload != nil {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func apiLogin(t *testing.T, base string, clk *testclock.Clock, secret string) string {
	t.Helper()
	otp, err := identity.TOTPCode(secret, clk.Now())
	require.NoError(t, err)
	b, _ := json.Marshal(map[string]string{"username": "prov_e2e", "password": regPass, "otp": otp})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var r struct{ Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, r.Token)
	return r.Token
}

// portalLogin posts the portal's login form as a browser would (pre-session
// cookie and its form token) and returns the session cookie's value.
func portalLogin(t *testing.T, base string, clk *testclock.Clock, secret string) string {
	t.Helper()
	otp, err := identity.TOTPCode(secret, clk.Now())
	require.NoError(t, err)
	pre := fmt.Sprintf("pre-e2e-%d", time.Now().UnixNano())
	form := url.Values{"username": {"prov_e2e"}, "password": {regPass}, "otp": {otp}, "next": {"/portal/"}, csrf.FieldName: {csrf.Token(pre)}}
	req, err := http.NewRequest(http.MethodPost, base+"/portal/login", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: pre})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, string(b))
	for _, c := range resp.Cookies() {
		if c.Name == identity.CookieName {
			return c.Value
		}
	}
	t.Fatal("the portal login set no session cookie")
	return ""
}

func portalGet(t *testing.T, base, session, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: session})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %.500s", path, b)
	return string(b)
}

var (
	tags   = regexp.MustCompile(`<[^>]+>`)
	dlPair = regexp.MustCompile(`(?s)<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>`)
	trRow  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cell   = regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)
	spaces = regexp.MustCompile(`\s+`)
)

func text(html string) string {
	return strings.TrimSpace(spaces.ReplaceAllString(tags.ReplaceAllString(html, ""), " "))
}

// dlPairs are the figures of the company page's #dual-kpis, by label.
func dlPairs(page string) map[string]string {
	i := strings.Index(page, `id="dual-kpis"`)
	if i < 0 {
		return nil
	}
	page = page[i:]
	if j := strings.Index(page, "</dl>"); j > 0 {
		page = page[:j]
	}
	m := map[string]string{}
	for _, p := range dlPair.FindAllStringSubmatch(page, -1) {
		m[text(p[1])] = text(p[2])
	}
	return m
}

// rowOf is the text of each cell of the first table row naming name.
func rowOf(page, name string) []string {
	for _, r := range trRow.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(r[1], name) {
			continue
		}
		var cells []string
		for _, c := range cell.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, strings.ReplaceAll(text(c[1]), " ", ""))
		}
		return cells
	}
	return nil
}

// scenePNG is a 480×360 picture (sky, a grey tank, a red gauge) standing in
// for the phone's photo.
func scenePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 360))
	for y := 0; y < 360; y++ {
		for x := 0; x < 480; x++ {
			c := color.RGBA{R: 170, G: 200, B: 230, A: 255}
			switch {
			case x > 220 && x < 250 && y > 160 && y < 190:
				c = color.RGBA{R: 200, G: 40, B: 40, A: 255}
			case x > 140 && x < 340 && y > 120 && y <= 300:
				c = color.RGBA{R: 150, G: 150, B: 155, A: 255}
			case y > 300:
				c = color.RGBA{R: 110, G: 110, B: 100, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}
