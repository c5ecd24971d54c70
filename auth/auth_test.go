package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
)

func loginBody(user, pw, otp string) map[string]string {
	return map[string]string{"username": user, "password": pw, "otp": otp}
}

func TestLoginIssuesTokenAndCookie(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, ""))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	tok := r.Body["token"].(string)
	exp, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, e.clock.Now().Add(12*time.Hour), exp, time.Second)
	cookie := r.Header.Get("Set-Cookie")
	assert.Contains(t, cookie, identity.CookieName+"="+tok)
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, cookie, "SameSite=Strict")

	// A second login rotates: a new token, both valid until logged out.
	tok2 := e.login("lx_staff")
	assert.NotEqual(t, tok, tok2)

	// The token is stored only hashed.
	var n int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token_hash = $1::bytea OR encode(token_hash, 'escape') LIKE '%cgs_%'`, []byte(tok)).Scan(&n))
	assert.Zero(t, n)

	me := e.do(http.MethodGet, "/api/v1/auth/me", tok, nil)
	require.Equal(t, http.StatusOK, me.Status)
	assert.Equal(t, "370102", me.Body["domain"])
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	for i := 0; i < 5; i++ {
		r := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", "Wrong-pass-1", ""))
		require.Equal(t, http.StatusUnauthorized, r.Status)
	}
	// Locked: even the right password is refused for 30 minutes, with the same
	// answer as a wrong password (no account oracle).
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, ""))
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	assert.Equal(t, "用户名、密码或动态口令错误", r.Body["error"].(map[string]any)["message_zh"])
	e.clock.Add(29 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)
	e.clock.Add(2 * time.Minute)
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)

	acts := e.auditActions(t)
	assert.Contains(t, acts, "lockout:denied:lx_staff")
	assert.Contains(t, acts, "login_failed:failed:lx_staff")
	assert.Contains(t, acts, "login:ok:lx_staff")

	// Four failures then a success reset the count.
	for i := 0; i < 4; i++ {
		e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", "Wrong-pass-1", ""))
	}
	e.login("lx_staff")
	e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", "Wrong-pass-1", ""))
	e.login("lx_staff")
}

func TestSecurityAdminUnlocks(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	for i := 0; i < 5; i++ {
		e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", "Wrong-pass-1", ""))
	}
	sec := e.login("secadmin")
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/unlock", sec, nil).Status)
	e.login("lx_staff")
}

func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	me := func(tok string) int { return e.do(http.MethodGet, "/api/v1/auth/me", tok, nil).Status }

	t.Run("idle 30 minutes", func(t *testing.T) {
		tok := e.login("lx_staff")
		e.clock.Add(29 * time.Minute)
		assert.Equal(t, http.StatusOK, me(tok), "29 min idle")
		e.clock.Add(29 * time.Minute)
		assert.Equal(t, http.StatusOK, me(tok), "activity extends the window")
		e.clock.Add(31 * time.Minute)
		assert.Equal(t, http.StatusUnauthorized, me(tok), "31 min idle")
	})
	t.Run("absolute 12 hours", func(t *testing.T) {
		tok := e.login("lx_staff")
		for i := 0; i < 24; i++ {
			e.clock.Add(29*time.Minute + 50*time.Second)
			require.Equal(t, http.StatusOK, me(tok), "step %d", i)
		}
		e.clock.Add(20 * time.Minute) // 12h10m since login, 20 min idle
		assert.Equal(t, http.StatusUnauthorized, me(tok))
	})
	t.Run("logout revokes", func(t *testing.T) {
		tok := e.login("lx_staff")
		other := e.login("lx_staff")
		require.Equal(t, http.StatusOK, me(tok))
		require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/auth/logout", tok, nil).Status)
		assert.Equal(t, http.StatusUnauthorized, me(tok))
		assert.Equal(t, http.StatusOK, me(other), "only that session ends")
		assert.Contains(t, e.auditActions(t), "logout:ok:lx_staff")
	})
}

func TestTOTP(t *testing.T) {
	e := newEnv(t)
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	require.NotEmpty(t, e.secrets["secadmin"], "an administrator is enrolled at creation")
	require.Empty(t, e.secrets["lx_staff"])

	t.Run("administrators need a code", func(t *testing.T) {
		r := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("secadmin", testPassword, ""))
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.Equal(t, "用户名、密码或动态口令错误", r.Body["error"].(map[string]any)["message_zh"],
			"the right password without the code is not confirmed")
		assert.Nil(t, r.Body["error"].(map[string]any)["details"])
		assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("secadmin", testPassword, "000000")).Status)
		e.clock.Add(31 * time.Second)
		code := e.otp("secadmin")
		assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("secadmin", testPassword, code)).Status)
		assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("secadmin", testPassword, code)).Status,
			"a code is accepted once")
	})

	t.Run("a role the security administrator marks needs a code", func(t *testing.T) {
		sec := e.login("secadmin")
		require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)
		mark := map[string]string{"subject": "county_staff", "object": "mfa", "action": "required"}
		r := e.do(http.MethodPost, "/api/v1/admin/policy", sec, mark)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Raw)

		// Marked without an enrolment: the password opens a session that can only enrol.
		tok := e.login("lx_staff")
		me := e.do(http.MethodGet, "/api/v1/auth/me", tok, nil)
		require.Equal(t, http.StatusOK, me.Status)
		assert.Equal(t, true, me.Body["must_enrol_totp"])
		r = e.do(http.MethodGet, "/api/v1/enterprises", tok, nil)
		assert.Equal(t, http.StatusForbidden, r.Status, "nothing else before enrolling: %s", r.Raw)
		assert.Equal(t, true, r.Body["error"].(map[string]any)["details"].(map[string]any)["must_enrol_totp"])

		r = e.do(http.MethodPost, "/api/v1/auth/totp", tok, map[string]string{"password": testPassword})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		secret := r.Body["secret"].(string)
		assert.Contains(t, r.Body["otpauth_url"], "otpauth://totp/")
		assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v1/auth/totp/confirm", tok, map[string]string{"otp": "123456"}).Status)
		code, err := identity.TOTPCode(secret, e.clock.Now())
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/auth/totp/confirm", tok, map[string]string{"otp": code}).Status)
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/enterprises", tok, nil).Status, "enrolled: the session works")
		assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)
		e.clock.Add(31 * time.Second)
		code, err = identity.TOTPCode(secret, e.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, code)).Status)
	})
}
