package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

const testPassword = "Chemguard-2026"

// env is the whole platform started in-process with the portal mounted.
type env struct {
	tb    testing.TB
	app   *platform.App
	clock *testclock.Clock  // the platform's clock (CHEMGUARD_TEST_NOW); Add moves it for session expiry
	keys  map[string]string // company code → exchange API key
	// totp is the TOTP secret of each user created with one (roles that need a
	// second factor: the administrators, the province's).
	totp map[string]string
}

// start runs the platform on the test clock (CHEMGUARD_TEST_NOW).
func start(tb testing.TB) *env { tb.Helper(); return startOn(tb, testclock.New(tb), nil) }

// startWith is start with the platform's configuration changed by tune first.
func startWith(tb testing.TB, tune func(*platform.Config)) *env {
	tb.Helper()
	return startOn(tb, testclock.New(tb), tune)
}

// startOn runs the platform on clk, its configuration changed by tune (if any) first.
// The test then runs in parallel with the package's others (pgtest.Parallel): it has
// its own database, platform, port and clock.
func startOn(tb testing.TB, clk *testclock.Clock, tune func(*platform.Config)) *env {
	tb.Helper()
	pgtest.Parallel(tb)
	cfg := platform.Config{Now: clk.Now}
	cfg.Access.ShareLag = time.Nanosecond
	if tune != nil {
		tune(&cfg)
	}
	app := platformtest.Start(tb, cfg).App
	return &env{tb: tb, app: app, clock: clk, keys: map[string]string{}, totp: map[string]string{}}
}

// company registers a company in county and returns its code.
func (e *env) company(code, county, name, kind string) string {
	e.tb.Helper()
	e.keys[code] = platformtest.Company(e.tb, e.app, store.Enterprise{Code: code, Name: name, DivisionCode: county, Kind: kind})
	return code
}

// user creates an account holding role in domain.
func (e *env) user(username string, role policy.Role, domain string) {
	e.tb.Helper()
	c, err := e.app.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: username,
		DisplayName: username, Password: testPassword, Role: role, Domain: domain}, identity.Actor{Name: "test"})
	require.NoError(e.tb, err)
	if c.TOTPSecret != "" {
		e.totp[username] = c.TOTPSecret
	}
}

// upload sends records of table t as company code through the exchange API and
// returns how many were accepted.
func (e *env) upload(code string, t *schemas.Table, recs ...simulate.Record) int {
	e.tb.Helper()
	up := platformtest.Upload(e.tb, e.app, e.keys[code], t, recs...)
	require.Containsf(e.tb, []int{200, 422}, up.Status, "upload %s: %s", t.Slug, up.Body)
	return up.Accepted
}

// fixture is what seed uploads for one company: values a page must show.
type fixture struct {
	Code, Name                 string
	Hazard, Indicator, Reading string
	Danger, Committer          string
	TaskType                   string // 细类 code of its one special operation today
	RejectedKey                string
	WarningSubject             string // subject of its open red warning (warn)
	WarningID                  int64
}

// seed uploads a day of simulated data for company c through the real
// pipeline: every table, with known values, plus one rejected record.
func (e *env) seed(c simulate.Company, taskType string) fixture {
	e.tb.Helper()
	r := rand.New(rand.NewPCG(uint64(len(c.Code)), 7))
	now := e.clock.Now()
	f := fixture{Code: c.Code, Name: c.Name, TaskType: taskType}
	one := func(t *schemas.Table) simulate.Record { return simulate.NewRecord(r, t, c, now) }

	for _, t := range schemas.Tables() {
		switch t {
		case schemas.HazardSources:
			rec := one(t)
			rec["HAZARD_NAME"] = "危险源" + c.Code
			f.Hazard = rec["HAZARD_NAME"].(string)
			require.Equal(e.tb, 1, e.upload(c.Code, t, rec))
			ind := one(schemas.Indicators)
			ind["HAZARD_CODE"], ind["INDICATOR_CODE"], ind["INDICATOR_NAME"] = rec["HAZARD_CODE"], c.Code+"-T01", "指标"+c.Code
			f.Indicator = ind["INDICATOR_NAME"].(string)
			require.Equal(e.tb, 1, e.upload(c.Code, schemas.Indicators, ind))
			rd := one(schemas.SensorReadings)
			rd["INDICATOR_CODE"], rd["VALUE"] = ind["INDICATOR_CODE"], json.Number("12.34")
			f.Reading = "12.34"
			require.Equal(e.tb, 1, e.upload(c.Code, schemas.SensorReadings, rd))
		case schemas.Indicators, schemas.SensorReadings:
		case schemas.HiddenDangers:
			rec := one(t)
			rec["DANGER_NAME"] = "隐患" + c.Code
			f.Danger = rec["DANGER_NAME"].(string)
			require.Equal(e.tb, 1, e.upload(c.Code, t, rec))
		case schemas.SpecialOperations:
			rec := one(t)
			rec["TASK_TYPE"] = taskType
			require.Equal(e.tb, 1, e.upload(c.Code, t, rec))
		case schemas.Commitments:
			rec := one(t)
			rec["COMMIT_PERSON"] = "承诺人" + c.Code
			f.Committer = rec["COMMIT_PERSON"].(string)
			require.Equal(e.tb, 1, e.upload(c.Code, t, rec))
		default:
			require.Equal(e.tb, 1, e.upload(c.Code, t, one(t)), t.Slug)
		}
	}
	bad, _ := simulate.Corrupt(r, schemas.HiddenDangers, one(schemas.HiddenDangers))
	f.RejectedKey = fmt.Sprint(bad["ID"])
	require.Equal(e.tb, 0, e.upload(c.Code, schemas.HiddenDangers, bad))
	return f
}

// stored waits until the sink has stored everything seed sent for the companies.
func (e *env) stored(codes ...string) {
	e.tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var tables, rejected int
		err := e.app.Pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM x_commitments WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_hazard_sources WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_sensor_readings WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_special_operations WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_video_alarms WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_hidden_dangers WHERE company_code = ANY($1)),
			(SELECT count(*) FROM exchange_rejections WHERE company_code = ANY($1))`, codes).Scan(&tables, &rejected)
		require.NoError(e.tb, err)
		if tables == 6*len(codes) && rejected == len(codes) {
			return
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("the sink stored %d of %d records and %d of %d rejections", tables, 6*len(codes), rejected, len(codes))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// browser is a client holding a portal session cookie, like a browser would
// (sent by hand: the cookie is Secure and the test server plain HTTP).
type browser struct {
	tb      testing.TB
	base    string
	session string
	origin  string // sent as Origin on posts when set
	// pre is the pre-session cookie a login page would have set; forms carry
	// the token of the session (or of pre before login) unless noToken.
	pre     string
	noToken bool
}

type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(method, path string, form url.Values) page {
	b.tb.Helper()
	var body io.Reader
	if b.session == "" && b.pre == "" {
		b.pre = fmt.Sprintf("pre-%d-%d", time.Now().UnixNano(), rand.Int64())
	}
	if form != nil {
		if !b.noToken {
			secret := b.session
			if secret == "" {
				secret = b.pre
			}
			form.Set(csrf.FieldName, csrf.Token(secret))
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(b.tb, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.origin != "" && form != nil {
		req.Header.Set("Origin", b.origin)
	}
	if b.session != "" {
		req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: b.session})
	} else {
		req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: b.pre})
	}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(b.tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.tb, err)
	return page{Status: resp.StatusCode, Body: string(raw), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (b *browser) get(path string) page { b.tb.Helper(); return b.do(http.MethodGet, path, nil) }

// login posts the login form and keeps the session cookie it sets.
func (e *env) login(username string) *browser {
	e.tb.Helper()
	b := &browser{tb: e.tb, base: e.app.URL()}
	otp := ""
	if secret, ok := e.totp[username]; ok {
		e.clock.Add(31 * time.Second) // a code is accepted once: use a fresh step
		var err error
		otp, err = identity.TOTPCode(secret, e.clock.Now())
		require.NoError(e.tb, err)
	}
	p := b.do(http.MethodPost, "/portal/login", url.Values{"username": {username}, "password": {testPassword}, "otp": {otp}, "next": {"/portal/"}})
	require.Equal(e.tb, http.StatusSeeOther, p.Status, p.Body)
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == identity.CookieName {
			b.session = c.Value
		}
	}
	require.NotEmpty(e.tb, b.session, "no session cookie")
	return b
}

// warn records an open red warning for f's company in issue 5's warnings table,
// as the warning consumer would.
func (e *env) warn(f *fixture) {
	e.tb.Helper()
	f.WarningSubject = "预警对象" + f.Code
	ctx := context.Background()
	require.NoError(e.tb, e.app.Pool.QueryRow(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ($1, $2, 'warehouse', $3, $4, 'red', 91.5, 'open', 'published', 'county', 'test', now(), now(),
		'[{"code":"alarm_high_high","name_zh":"高高报报警","count":2,"weight":20,"points":40}]', '{}') RETURNING id`,
		"test:"+f.Code, f.Code, f.Code+"-W", f.WarningSubject).Scan(&f.WarningID))
	_, err := e.app.Pool.Exec(ctx, `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason)
		VALUES ($1, 'warning_raised', now(), 'red', 'published', 'county', $2)`, f.WarningID, "原因"+f.Code)
	require.NoError(e.tb, err)
}
