package platform_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

const warnPassword = "Chemguard-2026"

// totpSecrets holds the TOTP secret of each test account created with one (the
// roles that need a second factor: administrators, province accounts), by
// server address and username, for login.
var totpSecrets sync.Map

func addUser(tb testing.TB, app *platform.App, username string, role policy.Role, domain string) {
	tb.Helper()
	created, err := app.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: username,
		Password: warnPassword, Role: role, Domain: domain}, identity.Actor{Name: "cli:test"})
	require.NoError(tb, err)
	if created.TOTPSecret != "" {
		totpSecrets.Store(app.Addr()+"|"+username, created.TOTPSecret)
	}
}

// login logs username in with the test password and, for an account that needs
// one, the current TOTP code (each code is accepted once: one login per account
// and 30 s).
func login(tb testing.TB, base, username string) string {
	tb.Helper()
	body := map[string]string{"username": username, "password": warnPassword}
	if secret, ok := totpSecrets.Load(strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://") + "|" + username); ok {
		otp, err := identity.TOTPCode(secret.(string), clockOf(tb, base))
		require.NoError(tb, err)
		body["otp"] = otp
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(b))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	r := do(tb, req)
	require.Equal(tb, http.StatusOK, r.Status, "login %s: %s", username, r.Raw)
	tok, _ := r.Body["token"].(string)
	require.NotEmpty(tb, tok)
	return tok
}

func act(tb testing.TB, base, token string, id any, body map[string]string) reply {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/warnings/%v/actions", base, id), bytes.NewReader(b))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return do(tb, req)
}

func stamp(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout) }

func list(tb testing.TB, r reply, field string) []map[string]any {
	tb.Helper()
	require.Equal(tb, http.StatusOK, r.Status, string(r.Raw))
	var out []map[string]any
	for _, x := range r.Body[field].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func factorCodes(w map[string]any) []string {
	var out []string
	fs, _ := w["factors"].([]any)
	for _, f := range fs {
		out = append(out, f.(map[string]any)["code"].(string))
	}
	return out
}

// A pressure indicator crossing HIGH_HIGH, sent through the exchange API, becomes a
// 高高报 alarm and an enterprise warning that the county's regulator reads and
// another county's does not; disposal actions move the warning, and a restart in
// the middle of the alarm keeps the alarm and the disposal where they were.
func TestWarningFromReadingsScopedActedAndKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	told := map[int64]string{} // event id → kind, as the webhook received them
	var dup int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n warningsvc.Notice
		_ = json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		defer mu.Unlock()
		if _, ok := told[n.Event]; ok {
			dup++
		}
		told[n.Event] = n.Kind
	}))
	defer hook.Close()
	// The sharing feed holds back rows changed within its lag of the DATABASE's clock,
	// while a warning's updated_at comes from the platform's: on a clock set ahead by
	// CHEMGUARD_TEST_NOW the warning would never leave the feed's hold. So the platform
	// here keeps the machine's time (an injected clock all the same).
	cfg := platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), DataDir: t.TempDir(), Now: testclock.At(time.Now()).Now,
		Warnings: warningsvc.Config{Tick: 200 * time.Millisecond, Notifiers: []warningsvc.Notifier{warningsvc.Webhook{URL: hook.URL}}}}
	app := startApp(t, cfg)
	const code, county = "370102901", "370102"
	key := addCompany(t, app.App, code, county)
	addCompany(t, app.App, "370211901", "370211")
	addUser(t, app.App, "lixia", policy.CountyStaff, county)
	addUser(t, app.App, "lixia_lead", policy.CountyLeader, county)
	addUser(t, app.App, "huangdao", policy.CountyStaff, "370211")
	addUser(t, app.App, "jinan", policy.CityStaff, "370100")
	addUser(t, app.App, "company", policy.EnterpriseAdmin, tiers.EnterpriseDomain(code))
	addUser(t, app.App, "lixia_share", policy.ShareService, county)
	addUser(t, app.App, "huangdao_share", policy.ShareService, "370211")
	lixia, other := login(t, app.URL(), "lixia"), login(t, app.URL(), "huangdao")
	// The company acts in the base system (/e); its session never reaches /api/v1.
	companyToken := login(t, app.URL(), "company")
	company := enttest.Login(t, app.URL(), "company", warnPassword)
	companyAct := func(id any, form url.Values) enttest.Reply {
		t.Helper()
		company.Get(fmt.Sprintf("/e/warnings/%v", id))
		return company.Post(fmt.Sprintf("/e/warnings/%v/act", id), form)
	}

	ind := map[string]any{"INDICATOR_CODE": code + "001-PT01", "COMPANY_CODE": code, "HAZARD_CODE": code + "001",
		"INDICATOR_NAME": "1号储罐压力", "INDICATOR_KIND": "2", "UNIT": "MPa", "RANGE_LOW": json.Number("0"),
		"RANGE_HIGH": json.Number("4"), "HIGH": json.Number("1.6"), "HIGH_HIGH": json.Number("2"), "AREA": "罐区", "DELETED": "0"}
	rep := post(t, app.URL(), key, "indicators", []any{ind})
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	require.EqualValues(t, 1, rep.Body["accepted"], string(rep.Raw))
	// Indicators and readings travel on different topics: send readings once the
	// engine knows the limits.
	eventually(t, 20*time.Second, "the indicator in the engine state", func() bool {
		return count(t, app.App, `SELECT count(*) FROM warning_engine_state_items WHERE company_code = $1
			AND item = 'indicator|' || $1 || '001-PT01'`, code) == 1
	})
	now := app.now()
	reading := func(v string, at time.Time) map[string]any {
		return map[string]any{"INDICATOR_CODE": code + "001-PT01", "VALUE": json.Number(v), "COLLECT_TIME": stamp(at)}
	}
	rep = post(t, app.URL(), key, "sensor-readings", []any{reading("1.0", now.Add(-90*time.Second)),
		reading("2.3", now.Add(-80*time.Second)), reading("2.6", now.Add(-60*time.Second))})
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	require.EqualValues(t, 3, rep.Body["accepted"], string(rep.Raw))

	var alarm, warn map[string]any
	eventually(t, 20*time.Second, "a 高高报 alarm and a warning", func() bool {
		alarms := list(t, get(t, app.URL(), lixia, "/api/v1/alarms?company="+code), "alarms")
		warns := list(t, get(t, app.URL(), lixia, "/api/v1/warnings?status=open"), "warnings")
		if len(alarms) != 1 || len(warns) != 1 {
			return false
		}
		alarm, warn = alarms[0], warns[0]
		return assert.ObjectsAreEqual(true, contains(factorCodes(warn), "alarm_high_high"))
	})
	assert.Equal(t, "high_high", alarm["severity"])
	assert.EqualValues(t, 2.6, alarm["peak"])
	assert.Nil(t, alarm["cleared_at"])
	assert.Equal(t, code, warn["company_code"])
	assert.Equal(t, "enterprise", warn["model"])
	assert.Equal(t, "published", warn["step"])
	assert.Equal(t, "county", warn["tier"])
	id := warn["id"]

	// The sharing feed carries the warning to the county's system, not to another's.
	lixiaShare, otherShare := login(t, app.URL(), "lixia_share"), login(t, app.URL(), "huangdao_share")
	eventually(t, 20*time.Second, "the warning in the county's sharing feed", func() bool {
		recs := list(t, get(t, app.URL(), lixiaShare, "/api/v1/share/warnings"), "records")
		return len(recs) == 1 && recs[0]["company_code"] == code &&
			recs[0]["record"].(map[string]any)["level"] == warn["level"]
	})
	assert.Empty(t, list(t, get(t, app.URL(), otherShare, "/api/v1/share/warnings"), "records"))

	// Another county sees nothing and may not open it.
	assert.Empty(t, list(t, get(t, app.URL(), other, "/api/v1/warnings"), "warnings"))
	assert.Empty(t, list(t, get(t, app.URL(), other, "/api/v1/alarms"), "alarms"))
	assert.Equal(t, http.StatusForbidden, get(t, app.URL(), other, fmt.Sprintf("/api/v1/warnings/%v", id)).Status)
	assert.Equal(t, http.StatusForbidden, act(t, app.URL(), other, id, map[string]string{"action": "false_alarm", "reason": "x"}).Status)
	// The city sees its counties' warnings, and may narrow to one region.
	city := login(t, app.URL(), "jinan")
	assert.Len(t, list(t, get(t, app.URL(), city, "/api/v1/warnings"), "warnings"), 1)
	assert.Len(t, list(t, get(t, app.URL(), city, "/api/v1/warnings?region="+county), "warnings"), 1)
	assert.Empty(t, list(t, get(t, app.URL(), city, "/api/v1/warnings?region=370103"), "warnings"))
	assert.Equal(t, http.StatusUnprocessableEntity, get(t, app.URL(), city, "/api/v1/warnings?region=x").Status)

	// A false alarm needs a reason.
	assert.Equal(t, http.StatusUnprocessableEntity, act(t, app.URL(), lixia, id, map[string]string{"action": "false_alarm"}).Status)
	// The company acknowledges; a regulator may not acknowledge for it. The county's
	// live stream announces it, the other county's does not.
	mine, closeMine := openStream(t, app.URL(), lixia)
	theirs, closeTheirs := openStream(t, app.URL(), other)
	defer closeMine()
	defer closeTheirs()
	assert.Equal(t, http.StatusForbidden, act(t, app.URL(), lixia, id, map[string]string{"action": "acknowledge"}).Status)
	assert.Equal(t, http.StatusForbidden, act(t, app.URL(), companyToken, id, map[string]string{"action": "acknowledge"}).Status,
		"a company session is refused on the regulators' API")
	cr := companyAct(id, url.Values{"action": {"acknowledge"}})
	require.Equal(t, http.StatusSeeOther, cr.Status, cr.Body)
	select {
	case ev := <-mine:
		assert.True(t, strings.HasPrefix(ev, "disposal_acted "), ev)
		assert.Contains(t, ev, `"step":"acknowledged"`)
		assert.Contains(t, ev, fmt.Sprintf(`"id":%v`, id))
	case <-time.After(10 * time.Second):
		t.Fatal("no event on the county's live stream")
	}
	select {
	case ev := <-theirs:
		t.Fatalf("another county's stream got %s", ev)
	case <-time.After(300 * time.Millisecond):
	}
	assert.Equal(t, http.StatusConflict, companyAct(id, url.Values{"action": {"acknowledge"}}).Status)

	// Restart in the middle of the alarm.
	app.stop()
	app = startApp(t, cfg)
	rep = post(t, app.URL(), key, "sensor-readings", []any{reading("1.0", now.Add(-10*time.Second))})
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	eventually(t, 20*time.Second, "the same alarm cleared after the restart", func() bool {
		alarms := list(t, get(t, app.URL(), lixia, "/api/v1/alarms?company="+code), "alarms")
		return len(alarms) == 1 && alarms[0]["id"] == alarm["id"] && alarms[0]["cleared_at"] != nil
	})
	// The disposal continues where it was.
	company = enttest.Login(t, app.URL(), "company", warnPassword) // the restart kept the session, but not the page's token
	cr = companyAct(id, url.Values{"action": {"feedback"}, "note": {"已泄压，压力恢复正常"}})
	require.Equal(t, http.StatusSeeOther, cr.Status, cr.Body)
	r := act(t, app.URL(), lixia, id, map[string]string{"action": "verify", "note": "现场核查属实"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, http.StatusForbidden, act(t, app.URL(), lixia, id, map[string]string{"action": "close"}).Status,
		"closing needs a leader")
	lead := login(t, app.URL(), "lixia_lead")
	r = act(t, app.URL(), lead, id, map[string]string{"action": "close"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "settled", r.Body["status"])
	assert.Equal(t, "closed", r.Body["step"])

	d := get(t, app.URL(), lixia, fmt.Sprintf("/api/v1/warnings/%v", id))
	require.Equal(t, http.StatusOK, d.Status, string(d.Raw))
	var kinds, actors []string
	for _, e := range d.Body["events"].([]any) {
		e := e.(map[string]any)
		kinds = append(kinds, e["kind"].(string))
		if n, _ := e["actor_name"].(string); n != "" {
			actors = append(actors, n)
		}
	}
	assert.Equal(t, "warning_raised", kinds[0])
	assert.Equal(t, "warning_settled", kinds[len(kinds)-1])
	assert.Equal(t, []string{"company", "company", "lixia", "lixia_lead"}, actors)
	assert.NotEmpty(t, d.Body["history"])
	assert.Equal(t, 4, count(t, app.App, `SELECT count(*) FROM audit_log WHERE action = 'warning_action' AND result = 'ok'`))
	// The webhook was told every change once, across the restart.
	events := count(t, app.App, `SELECT count(*) FROM warning_events`)
	eventually(t, 10*time.Second, "every event told to the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) == events
	})
	mu.Lock()
	assert.Zero(t, dup)
	mu.Unlock()
	m := get(t, app.URL(), "", "/metrics")
	assert.Contains(t, string(m.Raw), `chemguard_warning_changes_total{kind="alarm_cleared"} 1`)
}

// openStream opens GET /api/v1/warnings/stream and returns its events as
// "kind data" strings.
func openStream(tb testing.TB, base, token string) (<-chan string, func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/warnings/stream", nil)
	require.NoError(tb, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	require.Equal(tb, http.StatusOK, resp.StatusCode)
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				ch <- event + " " + v
			}
		}
	}()
	return ch, func() { cancel(); resp.Body.Close() }
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
