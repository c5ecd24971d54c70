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

const newPassword = "Hx7$kQ9mZ2-new"

func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	tok, other := e.login("lx_staff"), e.login("lx_staff")
	change := func(current, next string) reply {
		return e.do(http.MethodPost, "/api/v1/auth/password", tok, map[string]string{"current": current, "new": next})
	}
	assert.Equal(t, http.StatusUnprocessableEntity, change("Wrong-guess-7", newPassword).Status, "needs the current password")
	r := change(testPassword, "Admin@123")
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body["error"].(map[string]any)["message_zh"], "常见")
	assert.Equal(t, http.StatusUnprocessableEntity, change(testPassword, testPassword).Status, "the same one")
	require.Equal(t, http.StatusNoContent, change(testPassword, newPassword).Status)

	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/auth/me", tok, nil).Status, "this session goes on")
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v1/auth/me", other, nil).Status, "the others end")
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", newPassword, "")).Status)
	acts := e.auditActions(t)
	assert.Contains(t, acts, "password_change:ok:lx_staff")
	assert.Contains(t, acts, "password_change:failed:lx_staff")
}

// Wrong current passwords on the change route count towards the lockout like
// logins: a stolen session cannot be used to guess the password.
func TestChangePasswordGuessesLockTheAccount(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	tok := e.login("lx_staff")
	for i := 0; i < identity.DefaultMaxFailures; i++ {
		e.do(http.MethodPost, "/api/v1/auth/password", tok, map[string]string{"current": "Wrong-guess-7", "new": newPassword})
	}
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/password", tok,
		map[string]string{"current": testPassword, "new": newPassword}).Status, "locked: the session ends too")
	assert.Contains(t, e.auditActions(t), "lockout:denied:lx_staff")
}

// An administrator's password lasts AdminPasswordMaxAge (90 days by default);
// then the account can only change it. Business accounts do not expire.
func TestAdminPasswordExpiry(t *testing.T) {
	e := newEnv(t)
	e.addUser("sysadmin", policy.SystemAdmin, "370000")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	e.clock.Add(89 * 24 * time.Hour)
	tok := e.login("sysadmin")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/system/status", tok, nil).Status, "89 days: fine")

	e.clock.Add(2 * 24 * time.Hour)
	tok = e.login("sysadmin")
	r := e.do(http.MethodGet, "/api/v1/system/status", tok, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "91 days: nothing before the change")
	assert.Equal(t, true, r.Body["error"].(map[string]any)["details"].(map[string]any)["must_change_password"])
	me := e.do(http.MethodGet, "/api/v1/auth/me", tok, nil)
	assert.Equal(t, true, me.Body["must_change_password"])
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/auth/password", tok,
		map[string]string{"current": testPassword, "new": newPassword}).Status)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/system/status", tok, nil).Status)

	lx := e.login("lx_staff")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/auth/me", lx, nil).Status, "business accounts do not expire")
	assert.Equal(t, false, e.do(http.MethodGet, "/api/v1/auth/me", lx, nil).Body["must_change_password"])
}

// A password an administrator sets must be changed by its owner at the next login.
func TestResetPasswordMustBeChanged(t *testing.T) {
	e := newEnv(t)
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	sec := e.login("secadmin")
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/password", sec,
		map[string]string{"password": "Kx7#mQ2vLp9w"}).Status)
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/password", sec,
		map[string]string{"password": "Admin@123"}).Status, "weak passwords are refused here too")
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", "Kx7#mQ2vLp9w", ""))
	require.Equal(t, http.StatusOK, r.Status)
	tok := r.Body["token"].(string)
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/enterprises", tok, nil).Status)
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/auth/password", tok,
		map[string]string{"current": "Kx7#mQ2vLp9w", "new": newPassword}).Status)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/enterprises", tok, nil).Status)
}

func TestDisableAndEnableUser(t *testing.T) {
	e := newEnv(t)
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	sec, lx := e.login("secadmin"), e.login("lx_staff")
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/disable", sec, nil).Status)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v1/auth/me", lx, nil).Status, "its sessions end")
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("lx_staff", testPassword, "")).Status)
	var kept int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE username = 'lx_staff' AND disabled_at IS NOT NULL`).Scan(&kept))
	assert.Equal(t, 1, kept, "disabled, not deleted")
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/users/secadmin/disable", sec, nil).Status,
		"administrator accounts (its own included) are managed on the host")

	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/enable", sec, nil).Status)
	e.login("lx_staff")
	acts := e.auditActions(t)
	assert.Contains(t, acts, "user_disable:ok:secadmin")
	assert.Contains(t, acts, "user_enable:ok:secadmin")
}

// At most MaxSessions (3) sessions per account: a fourth login ends the oldest.
func TestConcurrentSessionLimit(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	var toks []string
	for i := 0; i < 4; i++ {
		toks = append(toks, e.login("lx_staff"))
		e.clock.Add(time.Second)
	}
	me := func(tok string) int { return e.do(http.MethodGet, "/api/v1/auth/me", tok, nil).Status }
	assert.Equal(t, http.StatusUnauthorized, me(toks[0]), "the oldest ended")
	for _, tok := range toks[1:] {
		assert.Equal(t, http.StatusOK, me(tok))
	}
	var reason string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT end_reason FROM sessions WHERE revoked_at IS NOT NULL`).Scan(&reason))
	assert.Equal(t, "session_limit", reason)
}

// Expired and idle sessions are marked ended by the purge; rows are kept.
func TestPurgeExpiredSessions(t *testing.T) {
	e := newEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	e.addUser("lx_leader", policy.CountyLeader, "370102")
	e.login("lx_staff")
	e.clock.Add(20 * time.Minute)
	live := e.login("lx_leader")
	e.clock.Add(15 * time.Minute) // lx_staff idle 35 min, lx_leader 15 min
	n, err := e.svc.Identity.PurgeSessions(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/auth/me", live, nil).Status)
	var open, all int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE revoked_at IS NULL), count(*) FROM sessions`).Scan(&open, &all))
	assert.Equal(t, 1, open)
	assert.Equal(t, 2, all)
}

// Province-level accounts need a second factor by default, like the three
// administrators; the policy can mark or unmark other business roles.
func TestMFADefaultsPerRole(t *testing.T) {
	e := newEnv(t)
	for _, r := range policy.Roles() {
		want := r.IsSeparatedAdmin() || r == policy.ProvinceLeader || r == policy.ProvinceStaff
		assert.Equal(t, want, e.svc.Authz.MFARequired([]policy.Role{r}), r)
	}
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	sec := e.login("secadmin")
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodDelete, "/api/v1/admin/policy", sec,
		map[string]string{"subject": "audit_admin", "object": "mfa", "action": "required"}).Status, "the administrators' is fixed")
	require.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v1/admin/policy", sec,
		map[string]string{"subject": "province_staff", "object": "mfa", "action": "required"}).Status)
	assert.False(t, e.svc.Authz.MFARequired([]policy.Role{policy.ProvinceStaff}))
}

// A company is disabled, not deleted: its API key stops working at once and
// works again once it is enabled.
func TestDisableAndEnableEnterprise(t *testing.T) {
	e := newEnv(t)
	e.addEnterprise("A", "370102", "")
	key, err := e.svc.Enterprises.IssueKey(context.Background(), "A")
	require.NoError(t, err)
	e.addUser("sysadmin", policy.SystemAdmin, "370000")
	sys := e.login("sysadmin")
	_, err = e.svc.Enterprises.Authenticate(context.Background(), key)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/enterprises/A/disable", sys, nil).Status)
	_, err = e.svc.Enterprises.Authenticate(context.Background(), key)
	assert.Error(t, err, "a disabled company's key is refused")
	var kept int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM enterprises WHERE code = 'A' AND disabled_at IS NOT NULL`).Scan(&kept))
	assert.Equal(t, 1, kept)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v1/admin/enterprises/NOPE/disable", sys, nil).Status)
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/enterprises/A/enable", sys, nil).Status)
	_, err = e.svc.Enterprises.Authenticate(context.Background(), key)
	assert.NoError(t, err)
	acts := e.auditActions(t)
	assert.Contains(t, acts, "enterprise.disable:ok:sysadmin")
	assert.Contains(t, acts, "enterprise.enable:ok:sysadmin")
}
