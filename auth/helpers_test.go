package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// env is access control on a fresh database, served by an in-process fiber app.
type env struct {
	tb    testing.TB
	pool  *pgxpool.Pool
	svc   *auth.Service
	app   *fiber.App
	clock *testclock.Clock // frozen: lockout and session windows move only by Add
	// secrets holds the TOTP secret of each user created with one.
	secrets map[string]string
}

const testPassword = "Chemguard-2026"

// newEnv gives the test the access service on a database of its own, mounted on an
// in-memory app, and runs the test in parallel with the package's others
// (pgtest.Parallel).
func newEnv(tb testing.TB) *env {
	tb.Helper()
	pgtest.Parallel(tb)
	return newEnvAlone(tb)
}

// newEnvAlone is newEnv for a test that must run alone: one that measures time.
func newEnvAlone(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(tb)
	clk := testclock.Frozen(testclock.Start(tb))
	svc, err := auth.New(ctx, pool, auth.Config{Clock: clk, InsecureCookie: true, ShareLag: time.Nanosecond})
	require.NoError(tb, err)
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	api := app.Group("/api/v1")
	api.Use("/exchange", svc.Signing())
	api.Post("/exchange/:slug", func(c *fiber.Ctx) error { return c.SendString("accepted") })
	svc.Mount(api)
	return &env{tb: tb, pool: pool, svc: svc, app: app, clock: clk, secrets: map[string]string{}}
}

// account is an account a test creates: its username, role and domain.
type account struct {
	username string
	role     policy.Role
	domain   string
}

// lxStaff is 历下's county staff, the suite's everyday regulator: the one whose
// region a test's attack tries to leave, or who may not do what an administrator may.
var lxStaff = account{"lx_staff", policy.CountyStaff, "370102"}

// newAdminEnv is the opening of the admin API's tests: newEnv with the province's
// system administrator ("sysadmin") and security administrator ("secadmin")
// created, then the accounts more, and the two administrators signed in (in that
// order) — the one who may and the one who may not. It returns their tokens.
func newAdminEnv(tb testing.TB, more ...account) (e *env, sys, sec string) {
	tb.Helper()
	e = newEnv(tb)
	e.addUser("sysadmin", policy.SystemAdmin, "370000")
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	for _, a := range more {
		e.addUser(a.username, a.role, a.domain)
	}
	return e, e.login("sysadmin"), e.login("secadmin")
}

func (e *env) addEnterprise(code, county, park string) {
	e.tb.Helper()
	require.NoError(e.tb, store.NewEnterprises(e.pool).Add(context.Background(),
		store.Enterprise{Code: code, Name: "测试化工" + code, DivisionCode: county, ParkCode: park, Kind: "生产"}))
}

func (e *env) addPark(code, division string) {
	e.tb.Helper()
	require.NoError(e.tb, e.svc.Parks.Add(context.Background(), tiers.Park{Code: code, Name: "化工园区" + code, DivisionCode: division}))
}

// addRecord stores a current hidden-danger record of company, as the sink would.
func (e *env) addRecord(company, key string, updated time.Time) {
	e.tb.Helper()
	_, err := e.pool.Exec(context.Background(), `INSERT INTO x_hidden_dangers
		(company_code, record_key, deleted, version, msg_id, received_at, updated_at, doc)
		VALUES ($1, $2, false, 1, $3, $4, $4, $5)`, company, key, uuid.New(), updated,
		`{"ID":"`+key+`","COMPANY_CODE":"`+company+`"}`)
	require.NoError(e.tb, err)
}

func (e *env) addUser(username string, role policy.Role, domain string) {
	e.tb.Helper()
	c, err := e.svc.Identity.CreateUser(context.Background(), identity.NewUser{Username: username, Password: testPassword,
		Role: role, Domain: domain}, identity.Actor{Name: "cli:test"})
	require.NoError(e.tb, err)
	if c.TOTPSecret != "" {
		e.secrets[username] = c.TOTPSecret
	}
}

func (e *env) otp(username string) string {
	e.tb.Helper()
	code, err := identity.TOTPCode(e.secrets[username], e.clock.Now())
	require.NoError(e.tb, err)
	return code
}

type reply struct {
	Status int
	Body   map[string]any
	Raw    []byte
	Header http.Header
}

func (e *env) do(method, path, token string, body any) reply {
	e.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.tb, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "http://chemguard.test"+path, rd)
	req.RequestURI = path // keep the path exactly as written (//, %2F)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	require.NoError(e.tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.tb, err)
	r := reply{Status: resp.StatusCode, Raw: raw, Header: resp.Header}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// login logs username in (with a TOTP code if it has a secret) and returns the token.
func (e *env) login(username string) string {
	e.tb.Helper()
	body := map[string]string{"username": username, "password": testPassword}
	if _, ok := e.secrets[username]; ok {
		e.clock.Add(31 * time.Second) // a TOTP code is accepted once: use a fresh step
		body["otp"] = e.otp(username)
	}
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", body)
	require.Equal(e.tb, http.StatusOK, r.Status, "login %s: %s", username, r.Raw)
	tok, _ := r.Body["token"].(string)
	require.NotEmpty(e.tb, tok)
	return tok
}

func (e *env) auditActions(tb testing.TB) []string {
	tb.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT action || ':' || result || ':' || actor FROM audit_log ORDER BY seq`)
	require.NoError(tb, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(tb, rows.Scan(&s))
		out = append(out, s)
	}
	return out
}
