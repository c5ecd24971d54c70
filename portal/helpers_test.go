package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

const testPassword = platformtest.Password

// env is the whole platform started in-process with the portal mounted
// (platformtest.Env).
type env struct{ *platformtest.Env }

// start runs the platform on the test clock (CHEMGUARD_TEST_NOW).
func start(tb testing.TB) *env { tb.Helper(); return startOn(tb, testclock.New(tb), nil) }

// startWith is start with the platform's configuration changed by tune first.
func startWith(tb testing.TB, tune func(*platform.Config)) *env {
	tb.Helper()
	return startOn(tb, testclock.New(tb), tune)
}

// startOn runs the platform on clk, its configuration changed by tune (if any)
// first, in parallel with the package's other tests. Sharing is not delayed: a
// page shows what was just shared.
func startOn(tb testing.TB, clk *testclock.Clock, tune func(*platform.Config)) *env {
	tb.Helper()
	return &env{platformtest.StartPlatform(tb, clk, func(cfg *platform.Config) {
		cfg.Access.ShareLag = time.Nanosecond
		if tune != nil {
			tune(cfg)
		}
	})}
}

// company registers a company in county and returns its code.
func (e *env) company(code, county, name, kind string) string {
	e.TB.Helper()
	e.Company(store.Enterprise{Code: code, Name: name, DivisionCode: county, Kind: kind})
	return code
}

// user creates an account holding role in domain.
func (e *env) user(username string, role policy.Role, domain string) {
	e.TB.Helper()
	e.User(identity.NewUser{Username: username, DisplayName: username, Role: role, Domain: domain})
}

// upload sends records of table t as company code through the exchange API and
// returns how many were accepted.
func (e *env) upload(code string, t *schemas.Table, recs ...simulate.Record) int {
	e.TB.Helper()
	up := platformtest.Upload(e.TB, e.App, e.Keys[code], t, recs...)
	require.Containsf(e.TB, []int{200, 422}, up.Status, "upload %s: %s", t.Slug, up.Body)
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
	e.TB.Helper()
	r := rand.New(rand.NewPCG(uint64(len(c.Code)), 7))
	now := e.Clock.Now()
	f := fixture{Code: c.Code, Name: c.Name, TaskType: taskType}
	one := func(t *schemas.Table) simulate.Record { return simulate.NewRecord(r, t, c, now) }

	for _, t := range schemas.Tables() {
		switch t {
		case schemas.HazardSources:
			rec := one(t)
			rec["HAZARD_NAME"] = "危险源" + c.Code
			f.Hazard = rec["HAZARD_NAME"].(string)
			require.Equal(e.TB, 1, e.upload(c.Code, t, rec))
			ind := one(schemas.Indicators)
			ind["HAZARD_CODE"], ind["INDICATOR_CODE"], ind["INDICATOR_NAME"] = rec["HAZARD_CODE"], c.Code+"-T01", "指标"+c.Code
			f.Indicator = ind["INDICATOR_NAME"].(string)
			require.Equal(e.TB, 1, e.upload(c.Code, schemas.Indicators, ind))
			rd := one(schemas.SensorReadings)
			rd["INDICATOR_CODE"], rd["VALUE"] = ind["INDICATOR_CODE"], json.Number("12.34")
			f.Reading = "12.34"
			require.Equal(e.TB, 1, e.upload(c.Code, schemas.SensorReadings, rd))
		case schemas.Indicators, schemas.SensorReadings:
		case schemas.HiddenDangers:
			rec := one(t)
			rec["DANGER_NAME"] = "隐患" + c.Code
			f.Danger = rec["DANGER_NAME"].(string)
			require.Equal(e.TB, 1, e.upload(c.Code, t, rec))
		case schemas.SpecialOperations:
			rec := one(t)
			rec["TASK_TYPE"] = taskType
			require.Equal(e.TB, 1, e.upload(c.Code, t, rec))
		case schemas.Commitments:
			rec := one(t)
			rec["COMMIT_PERSON"] = "承诺人" + c.Code
			f.Committer = rec["COMMIT_PERSON"].(string)
			require.Equal(e.TB, 1, e.upload(c.Code, t, rec))
		default:
			require.Equal(e.TB, 1, e.upload(c.Code, t, one(t)), t.Slug)
		}
	}
	bad, _ := simulate.Corrupt(r, schemas.HiddenDangers, one(schemas.HiddenDangers))
	f.RejectedKey = fmt.Sprint(bad["ID"])
	require.Equal(e.TB, 0, e.upload(c.Code, schemas.HiddenDangers, bad))
	return f
}

// stored waits until the sink has stored everything seed sent for the companies.
func (e *env) stored(codes ...string) {
	e.TB.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var tables, rejected int
		err := e.App.Pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM x_commitments WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_hazard_sources WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_sensor_readings WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_special_operations WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_video_alarms WHERE company_code = ANY($1)) +
			(SELECT count(*) FROM x_hidden_dangers WHERE company_code = ANY($1)),
			(SELECT count(*) FROM exchange_rejections WHERE company_code = ANY($1))`, codes).Scan(&tables, &rejected)
		require.NoError(e.TB, err)
		if tables == 6*len(codes) && rejected == len(codes) {
			return
		}
		if time.Now().After(deadline) {
			e.TB.Fatalf("the sink stored %d of %d records and %d of %d rejections", tables, 6*len(codes), rejected, len(codes))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// browser is a regulator's browser: a portal session.
type browser struct{ *platformtest.Session }

type page = platformtest.Page

// login posts the login form and keeps the session cookie it sets.
func (e *env) login(username string) *browser {
	e.TB.Helper()
	s, _ := e.Login("/portal/login", username, "/portal/")
	return &browser{s}
}

// warn records an open red warning for f's company in issue 5's warnings table,
// as the warning consumer would.
func (e *env) warn(f *fixture) {
	e.TB.Helper()
	f.WarningSubject = "预警对象" + f.Code
	ctx := context.Background()
	require.NoError(e.TB, e.App.Pool.QueryRow(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ($1, $2, 'warehouse', $3, $4, 'red', 91.5, 'open', 'published', 'county', 'test', now(), now(),
		'[{"code":"alarm_high_high","name_zh":"高高报报警","count":2,"weight":20,"points":40}]', '{}') RETURNING id`,
		"test:"+f.Code, f.Code, f.Code+"-W", f.WarningSubject).Scan(&f.WarningID))
	_, err := e.App.Pool.Exec(ctx, `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason)
		VALUES ($1, 'warning_raised', now(), 'red', 'published', 'county', $2)`, f.WarningID, "原因"+f.Code)
	require.NoError(e.TB, err)
}
