package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
)

// 三员分立: the system administrator cannot read or alter audit records, the audit
// administrator cannot change policy, nobody holds two of the three roles, nobody
// deletes audit records, and an edited row is found by the verifier.
func TestThreeRoleSeparation(t *testing.T) {
	e, sys, sec := newAdminEnv(t, account{"auditadmin", policy.AuditAdmin, "370000"}, lxStaff)
	aud := e.login("auditadmin")
	perm := map[string]string{"subject": "county_staff", "object": "audit", "action": "read"}
	grant := func(user, role string) map[string]string {
		return map[string]string{"username": user, "role": role, "domain": "370000"}
	}

	t.Run("system administrator cannot read or alter audit records", func(t *testing.T) {
		for _, p := range []string{"/api/v1/audit", "/api/v1/audit/export", "/api/v1/audit/verify"} {
			assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, p, sys, nil).Status, p)
		}
		for _, m := range []string{http.MethodDelete, http.MethodPut, http.MethodPost, http.MethodPatch} {
			assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed},
				e.do(m, "/api/v1/audit", sys, nil).Status, m)
		}
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/policy", sys, perm).Status, "nor set policy")
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/grants", sys, grant("sysadmin", "audit_admin")).Status)
	})
	t.Run("audit administrator cannot change policy or roles", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/policy", aud, perm).Status)
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodDelete, "/api/v1/admin/policy", aud,
			map[string]string{"subject": "audit_admin", "object": "audit", "action": "read"}).Status)
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/grants", aud, grant("lx_staff", "audit_admin")).Status)
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/admin/policy", aud, nil).Status)
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/audit", aud, nil).Status)
	})
	t.Run("security administrator cannot read the audit log", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/audit", sec, nil).Status)
	})
	t.Run("no account holds two administrator roles", func(t *testing.T) {
		for _, g := range []map[string]string{grant("sysadmin", "audit_admin"), grant("sysadmin", "security_admin"),
			grant("auditadmin", "system_admin"), grant("secadmin", "audit_admin")} {
			r := e.do(http.MethodPost, "/api/v1/admin/grants", sec, g)
			assert.Equal(t, http.StatusForbidden, r.Status, "administrator accounts are not managed through the API: %v: %s", g, r.Raw)
		}
		// The database refuses it too, whoever writes the rule.
		_, err := e.pool.Exec(context.Background(), `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, 'audit_admin', '370000')`,
			e.subject("sysadmin"))
		assert.ErrorContains(t, err, "three-role separation")
		// The security administrator cannot hand itself the audit role either.
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/grants", sec, grant("secadmin", "audit_admin")).Status)
	})
	t.Run("nobody deletes or edits audit records", func(t *testing.T) {
		ctx := context.Background()
		for _, sql := range []string{`DELETE FROM audit_log`, `UPDATE audit_log SET result = 'ok'`, `TRUNCATE audit_log`} {
			_, err := e.pool.Exec(ctx, sql)
			assert.ErrorContains(t, err, "append-only", sql)
		}
	})
	t.Run("an edited row is found by the verifier", func(t *testing.T) {
		ctx := context.Background()
		v, err := e.svc.Audit.Verify(ctx)
		require.NoError(t, err)
		require.True(t, v.OK(), "%+v", v)
		require.Greater(t, v.Rows, int64(5))
		r := e.do(http.MethodGet, "/api/v1/audit/verify", aud, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, true, r.Body["ok"])

		// As the database superuser, bypassing the trigger: rewrite who logged in.
		_, err = e.pool.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
		require.NoError(t, err)
		var seq int64
		require.NoError(t, e.pool.QueryRow(ctx, `UPDATE audit_log SET actor = 'someone_else'
			WHERE seq = (SELECT min(seq) FROM audit_log WHERE action = 'login') RETURNING seq`).Scan(&seq))
		_, err = e.pool.Exec(ctx, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
		require.NoError(t, err)

		v, err = e.svc.Audit.Verify(ctx)
		require.NoError(t, err)
		assert.False(t, v.OK())
		assert.Equal(t, seq, v.BadSeq)
		assert.Equal(t, "content does not match its MAC (edited, or written without the audit key)", v.Problem)

		// Recomputing the row's own hash without the audit key does not help.
		_, err = e.pool.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
		require.NoError(t, err)
		recs, err := e.svc.Audit.List(ctx, audit.Filter{AfterSeq: seq - 1, Limit: 1})
		require.NoError(t, err)
		_, err = e.pool.Exec(ctx, `UPDATE audit_log SET hash = $2 WHERE seq = $1`, seq,
			audit.Hash([]byte("a key the attacker guessed"), recs[0].PrevHash, recs[0]))
		require.NoError(t, err)
		_, err = e.pool.Exec(ctx, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
		require.NoError(t, err)
		v, err = e.svc.Audit.Verify(ctx)
		require.NoError(t, err)
		assert.Equal(t, seq, v.BadSeq)
	})
}

func (e *env) subject(username string) string {
	e.tb.Helper()
	u, err := e.svc.Identity.UserByName(context.Background(), username)
	require.NoError(e.tb, err)
	return u.Subject()
}

// A change by the 安全管理员 takes effect at once in this process and, after a
// reload, in another process, without a restart.
func TestPolicyChangeWithoutRestart(t *testing.T) {
	e := newEnv(t)
	e.addEnterprise("A", "370102", "")
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	other, err := policy.NewAuthorizer(context.Background(), policy.NewPGPolicy(e.pool)) // a second process
	require.NoError(t, err)
	lx, sec := e.login("lx_staff"), e.login("secadmin")
	sub := e.subject("lx_staff")
	path := tiers.EnterprisePath("370102", "", "A")
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/enterprises/A", lx, nil).Status)
	require.True(t, other.Allowed(sub, "370102", policy.ObjData, policy.ActRead, path))

	rule := map[string]string{"subject": "county_staff", "object": "data", "action": "read"}
	require.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v1/admin/policy", sec, rule).Status)
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/enterprises/A", lx, nil).Status)
	changed, err := other.Reload(context.Background())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.False(t, other.Allowed(sub, "370102", policy.ObjData, policy.ActRead, path))

	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/policy", sec, rule).Status)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/enterprises/A", lx, nil).Status)
	// The removed rule is kept, marked.
	var removed int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM casbin_rules WHERE removed_at IS NOT NULL AND removed_by = 'secadmin'`).Scan(&removed))
	assert.Equal(t, 1, removed)
	acts := e.auditActions(t)
	assert.Contains(t, acts, "policy_change:ok:secadmin")

	// Role grants and revocations by the security administrator.
	g := map[string]string{"username": "lx_staff", "role": "county_leader"}
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/admin/grants", sec, g).Status)
	assert.ElementsMatch(t, []policy.Role{policy.CountyStaff, policy.CountyLeader}, e.svc.Authz.RolesOf(sub, "370102"))
	require.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v1/admin/grants", sec, g).Status)
	assert.Equal(t, []policy.Role{policy.CountyStaff}, e.svc.Authz.RolesOf(sub, "370102"))
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v1/admin/grants", sec,
		map[string]string{"username": "lx_staff", "role": "city_staff", "domain": "370100"}).Status, "only in the account's domain")
	assert.Contains(t, e.auditActions(t), "role_grant:ok:secadmin")
	assert.Contains(t, e.auditActions(t), "role_revoke:ok:secadmin")
}
