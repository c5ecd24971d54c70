package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The system administrator registers companies and rotates and revokes their
// exchange API keys through the admin API; nobody else may; each call is audited.
func TestEnterpriseRegistrationAndKeys(t *testing.T) {
	e, sys, sec := newAdminEnv(t)
	ctx := context.Background()
	ent := map[string]string{"code": "DY0001", "name": "东营某石化有限公司", "division_code": "370522", "kind": "生产"}

	assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/enterprises", sec, ent).Status)
	r := e.do(http.MethodPost, "/api/v1/admin/enterprises", sys, ent)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	first, _ := r.Body["api_key"].(string)
	code, err := e.svc.Enterprises.Authenticate(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, "DY0001", code)
	for _, bad := range []map[string]string{
		{"code": "DY0002", "name": "某公司", "division_code": "370500"}, // a city, not a county
		{"code": "DY0003", "name": "", "division_code": "370522"},
		{"code": "DY0004", "name": "某公司", "division_code": "370522", "kind": "贸易"},
		{"code": "DY0005", "name": "某公司", "division_code": "370522", "park_code": "NOPARK"},
	} {
		r := e.do(http.MethodPost, "/api/v1/admin/enterprises", sys, bad)
		assert.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusNotFound}, r.Status, "%v: %s", bad, r.Raw)
	}
	assert.Equal(t, http.StatusConflict, e.do(http.MethodPost, "/api/v1/admin/enterprises", sys, ent).Status)

	assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/enterprises/DY0001/keys", sec, nil).Status)
	r = e.do(http.MethodPost, "/api/v1/admin/enterprises/DY0001/keys", sys, nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	second, _ := r.Body["api_key"].(string)
	assert.EqualValues(t, 1, r.Body["revoked"])
	_, err = e.svc.Enterprises.Authenticate(ctx, first)
	assert.Error(t, err)
	_, err = e.svc.Enterprises.Authenticate(ctx, second)
	assert.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v1/admin/enterprises/NONE/keys", sys, nil).Status)

	r = e.do(http.MethodDelete, "/api/v1/admin/enterprises/DY0001/keys", sys, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.EqualValues(t, 1, r.Body["revoked"])
	_, err = e.svc.Enterprises.Authenticate(ctx, second)
	assert.Error(t, err)

	var ok, failed int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE result = 'ok'), count(*) FILTER (WHERE result = 'failed')
		FROM audit_log WHERE object = 'ent:DY0001' AND action LIKE 'enterprise.%'`).Scan(&ok, &failed))
	assert.Equal(t, 3, ok, "register, rotate, revoke")
	assert.Equal(t, 1, failed, "the duplicate registration")
}

// The security administrator resets a password through the API: the old
// sessions end, the new password works, a weak one is refused.
func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	sec, staff := e.login("secadmin"), e.login("lx_staff")
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/users/secadmin/password", staff,
		map[string]string{"password": "Another-Pass-1"}).Status)
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/password", sec,
		map[string]string{"password": "weak"}).Status)
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/users/lx_staff/password", sec,
		map[string]string{"password": "Another-Pass-1"}).Status)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v1/auth/me", staff, nil).Status, "old session ended")
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "lx_staff", "password": "Another-Pass-1"})
	assert.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v1/admin/users/nobody/password", sec,
		map[string]string{"password": "Another-Pass-1"}).Status)
}
