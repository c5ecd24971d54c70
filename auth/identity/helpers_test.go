package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

const testPassword = "Chemguard-2026"

// world is the identity service alone on a fresh database: the default policy, a
// keyed audit log and a frozen clock, so lockout and session windows move only when
// a test moves them. No HTTP: auth's tests cover the routes.
type world struct {
	tb    testing.TB
	pool  *pgxpool.Pool
	svc   *identity.Service
	clock *testclock.Clock
	// secrets holds the TOTP secret of each user created with one.
	secrets map[string]string
}

func newWorld(tb testing.TB, cfg identity.Config) *world {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(tb)
	clk := testclock.Frozen(testclock.Start(tb))
	rules := policy.NewPGPolicy(pool)
	_, err := rules.SeedDefaults(ctx, policy.DefaultPolicy())
	require.NoError(tb, err)
	authz, err := policy.NewAuthorizer(ctx, rules)
	require.NoError(tb, err)
	log, err := audit.New(pool, audit.Config{Key: []byte("0123456789abcdef0123456789abcdef"), Now: clk.Now})
	require.NoError(tb, err)
	return &world{tb: tb, pool: pool, svc: identity.NewService(cfg, pool, authz, log, clk), clock: clk, secrets: map[string]string{}}
}

func (w *world) addUser(username string, role policy.Role, domain string) *identity.Created {
	w.tb.Helper()
	c, err := w.svc.CreateUser(context.Background(), identity.NewUser{Username: username, Password: testPassword,
		Role: role, Domain: domain}, identity.Actor{Name: "cli:test"})
	require.NoError(w.tb, err)
	if c.TOTPSecret != "" {
		w.secrets[username] = c.TOTPSecret
	}
	return c
}

// code returns a current code of secret on a fresh 30-second step: a code is
// accepted once, so each use moves the clock past the last one's step.
func (w *world) code(secret string) string {
	w.tb.Helper()
	w.clock.Add(31 * time.Second)
	c, err := identity.TOTPCode(secret, w.clock.Now())
	require.NoError(w.tb, err)
	return c
}

// login logs username in with the test password (and a code when it has a
// secret) and returns the session token.
func (w *world) login(username string) string {
	w.tb.Helper()
	otp := ""
	if secret, ok := w.secrets[username]; ok {
		otp = w.code(secret)
	}
	s, err := w.svc.Login(context.Background(), username, testPassword, otp, "203.0.113.9")
	require.NoError(w.tb, err, "login %s", username)
	return s.Token
}

// failed counts the failed logins of username the audit log recorded with
// reason ("" counts them all).
func (w *world) failed(username, reason string) int {
	w.tb.Helper()
	return w.count(`SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND actor = $1
		AND ($2 = '' OR detail::jsonb->>'reason' = $2)`, username, reason)
}

// count runs a count query.
func (w *world) count(sql string, args ...any) int {
	w.tb.Helper()
	var n int
	require.NoError(w.tb, w.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}
