package auth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
)

// separationTable is the 三员分立 table of docs/security.md for the
// administrative routes: which role may call each. Every other role is refused
// (403). A route missing here fails TestAdminAuthorizationMatrix, so a new
// administrative route cannot be added without deciding who may call it.
var separationTable = map[string]policy.Role{
	"POST /api/v1/admin/users":                     policy.SecurityAdmin,
	"POST /api/v1/admin/users/:username/unlock":    policy.SecurityAdmin,
	"POST /api/v1/admin/users/:username/password":  policy.SecurityAdmin,
	"POST /api/v1/admin/users/:username/disable":   policy.SecurityAdmin,
	"POST /api/v1/admin/users/:username/enable":    policy.SecurityAdmin,
	"POST /api/v1/admin/grants":                    policy.SecurityAdmin,
	"DELETE /api/v1/admin/grants":                  policy.SecurityAdmin,
	"GET /api/v1/admin/policy":                     policy.SecurityAdmin,
	"POST /api/v1/admin/policy":                    policy.SecurityAdmin,
	"DELETE /api/v1/admin/policy":                  policy.SecurityAdmin,
	"GET /api/v1/system/status":                    policy.SystemAdmin,
	"POST /api/v1/admin/parks":                     policy.SystemAdmin,
	"POST /api/v1/admin/enterprises":               policy.SystemAdmin,
	"POST /api/v1/admin/enterprises/:code/keys":    policy.SystemAdmin,
	"DELETE /api/v1/admin/enterprises/:code/keys":  policy.SystemAdmin,
	"POST /api/v1/admin/enterprises/:code/disable": policy.SystemAdmin,
	"POST /api/v1/admin/enterprises/:code/enable":  policy.SystemAdmin,
	"POST /api/v1/admin/enterprises/:code/admin":   policy.SystemAdmin,
	"GET /api/v1/audit":                            policy.AuditAdmin,
	"GET /api/v1/audit/export":                     policy.AuditAdmin,
	"GET /api/v1/audit/verify":                     policy.AuditAdmin,
}

// isAdminRoute reports whether path is an administrative or policy route.
func isAdminRoute(path string) bool {
	for _, p := range []string{"/api/v1/admin/", "/api/v1/system/", "/api/v1/audit"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Every role × every administrative route of the app's route table: the role
// the table names passes authorization (whatever the handler then says about
// the empty body), every other role gets 403.
func TestAdminAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	e.addPark("P1", "370102")
	e.addEnterprise("A", "370102", "P1")
	domains := map[policy.Role]string{policy.CityLeader: "370100", policy.CityStaff: "370100", policy.CountyLeader: "370102",
		policy.CountyStaff: "370102", policy.ParkLeader: "park:P1", policy.ParkStaff: "park:P1", policy.Inspector: "370102",
		policy.EnterpriseAdmin: "ent:A", policy.EnterpriseUser: "ent:A", policy.ShareService: "370100",
		policy.EnterprisePrincipal: "ent:A", policy.EnterpriseSafety: "ent:A", policy.EnterpriseDeptHead: "ent:A",
		policy.EnterpriseStaff: "ent:A", policy.EnterpriseContractor: "ent:A"}
	tokens := map[policy.Role]string{}
	for _, r := range policy.Roles() {
		d, ok := domains[r]
		if !ok {
			d = tiers.ProvinceCode
		}
		e.addUser("m_"+string(r), r, d)
		tokens[r] = e.login("m_" + string(r))
	}
	e.addUser("target", policy.CountyStaff, "370102") // the business account user routes act on

	var routes []string
	for _, rt := range e.app.GetRoutes(true) {
		if rt.Method == http.MethodHead || !isAdminRoute(rt.Path) {
			continue
		}
		key := rt.Method + " " + rt.Path
		if !slices.Contains(routes, key) {
			routes = append(routes, key)
		}
	}
	require.NotEmpty(t, routes)
	for key := range separationTable {
		assert.Contains(t, routes, key, "the table names a route the app no longer has")
	}
	for _, key := range routes {
		owner, ok := separationTable[key]
		if !assert.True(t, ok, "route %s is not in the 三员分立 table", key) {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = strings.NewReplacer(":username", "target", ":code", "A").Replace(path)
		for _, r := range policy.Roles() {
			var body any
			if method != http.MethodGet {
				body = map[string]string{}
			}
			got := e.do(method, path, tokens[r], body)
			if r == owner {
				assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, got.Status,
					"%s may call %s: %s", r, key, got.Raw)
			} else {
				assert.Equal(t, http.StatusForbidden, got.Status, "%s must not call %s: %s", r, key, got.Raw)
			}
		}
	}
}

// The escalations of the assessment: the security administrator used the policy
// and user routes to take the other administrators' powers. Each is refused,
// audited, and changes nothing.
func TestSecurityAdminCannotEscalate(t *testing.T) {
	e := newEnv(t)
	e.addEnterprise("A", "370102", "")
	e.addUser("secadmin", policy.SecurityAdmin, "370000")
	e.addUser("auditadmin", policy.AuditAdmin, "370000")
	e.addUser("sysadmin", policy.SystemAdmin, "370000")
	sec, aud := e.login("secadmin"), e.login("auditadmin")
	perm := func(sub, obj, act string) map[string]string {
		return map[string]string{"subject": sub, "object": obj, "action": act}
	}
	refused := []struct {
		name         string
		method, path string
		body         any
	}{
		{"read the audit log", http.MethodPost, "/api/v1/admin/policy", perm("security_admin", "audit", "read")},
		{"export the audit log", http.MethodPost, "/api/v1/admin/policy", perm("security_admin", "audit", "export")},
		{"register companies", http.MethodPost, "/api/v1/admin/policy", perm("security_admin", "enterprise", "register")},
		{"operate the system", http.MethodPost, "/api/v1/admin/policy", perm("security_admin", "system", "operate")},
		{"read everything", http.MethodPost, "/api/v1/admin/policy", perm("security_admin", "data", "read")},
		{"its own user subject (refused as invalid: only roles hold permissions)", http.MethodPost, "/api/v1/admin/policy",
			perm(e.subject("secadmin"), "data", "read")},
		{"an admin object to a business role", http.MethodPost, "/api/v1/admin/policy", perm("province_leader", "audit", "read")},
		{"remove the auditor's permission", http.MethodDelete, "/api/v1/admin/policy", perm("audit_admin", "audit", "read")},
		{"remove the system administrator's", http.MethodDelete, "/api/v1/admin/policy", perm("system_admin", "system", "operate")},
		{"remove its own fixed permission", http.MethodDelete, "/api/v1/admin/policy", perm("security_admin", "policy", "write")},
		{"grant itself province_leader", http.MethodPost, "/api/v1/admin/grants",
			map[string]string{"username": "secadmin", "role": "province_leader", "domain": "370000"}},
		{"grant the auditor a business role", http.MethodPost, "/api/v1/admin/grants",
			map[string]string{"username": "auditadmin", "role": "province_staff"}},
		{"revoke the auditor's role", http.MethodDelete, "/api/v1/admin/grants",
			map[string]string{"username": "auditadmin", "role": "audit_admin"}},
		{"create an audit administrator", http.MethodPost, "/api/v1/admin/users",
			map[string]string{"username": "aud2", "password": "Kx7#mQ2vLp9w", "role": "audit_admin", "domain": "370000"}},
		{"create a system administrator", http.MethodPost, "/api/v1/admin/users",
			map[string]string{"username": "sys2", "password": "Kx7#mQ2vLp9w", "role": "system_admin", "domain": "370000"}},
		{"reset the auditor's password", http.MethodPost, "/api/v1/admin/users/auditadmin/password",
			map[string]string{"password": "Kx7#mQ2vLp9w"}},
		{"disable the auditor", http.MethodPost, "/api/v1/admin/users/auditadmin/disable", map[string]string{}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, sec, tt.body)
			want := http.StatusForbidden
			if strings.Contains(tt.name, "invalid") {
				want = http.StatusUnprocessableEntity
			}
			assert.Equal(t, want, r.Status, "%s", r.Raw)
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/audit", sec, nil).Status)
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/enterprises/A", sec, nil).Status)
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/audit", aud, nil).Status)
		assert.Equal(t, []policy.Role{policy.SecurityAdmin}, e.svc.Authz.RolesOf(e.subject("secadmin"), "370000"))
		assert.Equal(t, []policy.Role{policy.AuditAdmin}, e.svc.Authz.RolesOf(e.subject("auditadmin"), "370000"))
		var n int
		require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE username IN ('aud2', 'sys2')`).Scan(&n))
		assert.Zero(t, n)
		acts := e.auditActions(t)
		assert.Contains(t, acts, "policy_change:failed:secadmin")
		assert.Contains(t, acts, "role_grant:failed:secadmin")
		assert.Contains(t, acts, "user_create:failed:secadmin")
	})
	t.Run("a stored row cannot speak for the administrators either", func(t *testing.T) {
		_, err := e.pool.Exec(context.Background(), `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('p', 'security_admin', 'audit', 'read')`)
		require.NoError(t, err)
		_, err = e.svc.Authz.Reload(context.Background())
		require.NoError(t, err)
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/audit", sec, nil).Status)
	})
	// Company people are the company administrator's to make in the base
	// system; the regulators' account management refuses every company role.
	t.Run("no company account is made or granted by a regulator", func(t *testing.T) {
		e.addUser("legacy_ent", policy.EnterpriseUser, "ent:A") // as migration 00090 found them
		for _, tt := range []struct{ name, path, role, domain string }{
			{"a legacy 企业用户", "/api/v1/admin/users", "enterprise_user", "ent:A"},
			{"a 企业管理员 outside the registration", "/api/v1/admin/users", "enterprise_admin", "ent:A"},
			{"a 岗位员工", "/api/v1/admin/users", "enterprise_staff", "ent:A"},
			{"a regulator's role in a company domain", "/api/v1/admin/users", "county_staff", "ent:A"},
			{"grant a company role", "/api/v1/admin/grants", "enterprise_admin", ""},
		} {
			body := map[string]string{"username": "ent_new", "password": "Kx7#mQ2vLp9w", "role": tt.role, "domain": tt.domain}
			if strings.HasSuffix(tt.path, "grants") {
				body = map[string]string{"username": "legacy_ent", "role": tt.role}
			}
			r := e.do(http.MethodPost, tt.path, sec, body)
			assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", tt.name, r.Raw)
			assert.Contains(t, string(r.Raw), "企业管理员在企业安全生产基础系统", tt.name)
			assert.Contains(t, string(r.Raw), "created and granted by its administrator", tt.name)
		}
		var n int
		require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE username = 'ent_new'`).Scan(&n))
		assert.Zero(t, n)
		assert.Equal(t, []policy.Role{policy.EnterpriseUser}, e.svc.Authz.RolesOf(e.subject("legacy_ent"), "ent:A"))
		assert.Contains(t, e.auditActions(t), "role_grant:failed:secadmin")
		e.login("legacy_ent") // the existing account keeps working
	})
	t.Run("an account it creates gets no TOTP secret to the creator", func(t *testing.T) {
		r := e.do(http.MethodPost, "/api/v1/admin/users", sec, map[string]string{"username": "prov_new",
			"password": "Kx7#mQ2vLp9w", "role": "province_leader", "domain": "370000"})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
		assert.Empty(t, r.Body["totp_secret"])
		assert.Empty(t, r.Body["otpauth_url"])
		// Its owner must change the password and enrol a second factor before anything else.
		lr := e.do(http.MethodPost, "/api/v1/auth/login", "", loginBody("prov_new", "Kx7#mQ2vLp9w", ""))
		require.Equal(t, http.StatusOK, lr.Status, "%s", lr.Raw)
		tok := lr.Body["token"].(string)
		me := e.do(http.MethodGet, "/api/v1/auth/me", tok, nil)
		assert.Equal(t, true, me.Body["must_change_password"])
		assert.Equal(t, true, me.Body["must_enrol_totp"])
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodGet, "/api/v1/enterprises", tok, nil).Status)
	})
}
