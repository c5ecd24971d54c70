package auth_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The matrix world: 济南 (370100) with 历下区 370102 (park P1) and 市中区 370103,
// 青岛 (370200) with 市南区 370202; enterprise A in 历下 and P1, B in 市中, C in 市南,
// each with one hidden-danger record "rec-A" …
func matrixEnv(t *testing.T) *env {
	e := newEnv(t)
	e.addPark("P1", "370102")
	e.addEnterprise("A", "370102", "P1")
	e.addEnterprise("B", "370103", "")
	e.addEnterprise("C", "370202", "")
	past := time.Now().Add(-time.Hour)
	for i, c := range []string{"A", "B", "C"} {
		e.addRecord(c, "rec-"+c, past.Add(time.Duration(i)*time.Second))
	}
	return e
}

type matrixUser struct {
	name   string
	role   policy.Role
	domain string
	reach  []string // enterprises whose data it reads
	admin  map[string]int
}

var adminRoutes = []struct{ method, path string }{
	{http.MethodGet, "/api/v1/audit"},
	{http.MethodGet, "/api/v1/audit/export"},
	{http.MethodGet, "/api/v1/admin/policy"},
	{http.MethodGet, "/api/v1/system/status"},
}

// adminOnly gives the status of each admin route for a caller allowed only `ok`.
func adminOnly(ok ...string) map[string]int {
	m := map[string]int{}
	for _, r := range adminRoutes {
		m[r.path] = http.StatusForbidden
	}
	for _, p := range ok {
		m[p] = http.StatusOK
	}
	return m
}

func TestAuthorizationMatrix(t *testing.T) {
	e := matrixEnv(t)
	users := []matrixUser{
		{"prov_leader", policy.ProvinceLeader, "370000", []string{"A", "B", "C"}, adminOnly()},
		{"prov_staff", policy.ProvinceStaff, "370000", []string{"A", "B", "C"}, adminOnly()},
		{"jn_leader", policy.CityLeader, "370100", []string{"A", "B"}, adminOnly()},
		{"jn_staff", policy.CityStaff, "370100", []string{"A", "B"}, adminOnly()},
		{"qd_staff", policy.CityStaff, "370200", []string{"C"}, adminOnly()},
		{"lx_leader", policy.CountyLeader, "370102", []string{"A"}, adminOnly()},
		{"lx_staff", policy.CountyStaff, "370102", []string{"A"}, adminOnly()},
		{"sz_staff", policy.CountyStaff, "370103", []string{"B"}, adminOnly()},
		{"p1_leader", policy.ParkLeader, "park:P1", []string{"A"}, adminOnly()},
		{"p1_staff", policy.ParkStaff, "park:P1", []string{"A"}, adminOnly()},
		{"lx_inspector", policy.Inspector, "370102", []string{"A"}, adminOnly()},
		{"a_admin", policy.EnterpriseAdmin, "ent:A", []string{"A"}, adminOnly()},
		{"b_user", policy.EnterpriseUser, "ent:B", []string{"B"}, adminOnly()},
		{"sysadmin", policy.SystemAdmin, "370000", nil, adminOnly("/api/v1/system/status")},
		{"secadmin", policy.SecurityAdmin, "370000", nil, adminOnly("/api/v1/admin/policy")},
		{"auditadmin", policy.AuditAdmin, "370000", nil, adminOnly("/api/v1/audit", "/api/v1/audit/export")},
		{"jn_share", policy.ShareService, "370100", nil, adminOnly()},
	}
	for _, u := range users {
		e.addUser(u.name, u.role, u.domain)
	}
	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			tok := e.login(u.name)
			reach := map[string]bool{}
			for _, c := range u.reach {
				reach[c] = true
			}
			list := e.do(http.MethodGet, "/api/v1/enterprises", tok, nil)
			if len(u.reach) == 0 {
				assert.Equal(t, http.StatusForbidden, list.Status, "list: %s", list.Raw)
			} else {
				require.Equal(t, http.StatusOK, list.Status, "list: %s", list.Raw)
				var got []string
				for _, x := range list.Body["enterprises"].([]any) {
					got = append(got, x.(map[string]any)["code"].(string))
				}
				sort.Strings(got)
				assert.Equal(t, u.reach, got, "enterprises listed")
			}
			for _, c := range []string{"A", "B", "C"} {
				want := http.StatusForbidden
				if reach[c] {
					want = http.StatusOK
				}
				r := e.do(http.MethodGet, "/api/v1/enterprises/"+c, tok, nil)
				assert.Equal(t, want, r.Status, "enterprise %s: %s", c, r.Raw)
				r = e.do(http.MethodGet, "/api/v1/enterprises/"+c+"/records/hidden-dangers/rec-"+c, tok, nil)
				assert.Equal(t, want, r.Status, "record of %s: %s", c, r.Raw)
			}
			for _, ar := range adminRoutes {
				r := e.do(ar.method, ar.path, tok, nil)
				assert.Equal(t, u.admin[ar.path], r.Status, "%s %s: %s", ar.method, ar.path, r.Raw)
			}
			feed := e.do(http.MethodGet, "/api/v1/share/hidden-dangers", tok, nil)
			if u.role == policy.ShareService {
				assert.Equal(t, http.StatusOK, feed.Status, "%s", feed.Raw)
			} else {
				assert.Equal(t, http.StatusForbidden, feed.Status, "%s", feed.Raw)
			}
		})
	}
	t.Run("unauthenticated", func(t *testing.T) {
		for _, p := range []string{"/api/v1/enterprises", "/api/v1/enterprises/A", "/api/v1/audit", "/api/v1/share/hidden-dangers"} {
			assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, p, "", nil).Status, p)
			assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, p, "cgs_forged", nil).Status, p)
		}
	})
	t.Run("denials are audited", func(t *testing.T) {
		var n int
		require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'deny' AND actor = 'lx_staff'`).Scan(&n))
		assert.GreaterOrEqual(t, n, 4)
	})
}

// A county user asking for a neighbouring county's record by its ID, directly or
// through path tricks, never gets it.
func TestNeighbourCountyAndPathTricks(t *testing.T) {
	e := matrixEnv(t)
	e.addUser("lx_staff", policy.CountyStaff, "370102")
	tok := e.login("lx_staff")
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/enterprises/A/records/hidden-dangers/rec-A", tok, nil).Status)

	paths := []string{
		"/api/v1/enterprises/B/records/hidden-dangers/rec-B", // neighbouring county by ID
		"/api/v1/enterprises/A/records/hidden-dangers/rec-B", // own company, the neighbour's record ID
		"/api/v1/enterprises/B",                              // the neighbour itself
		"/api/v1/enterprises/B/",                             // trailing slash
		"/api/v1//enterprises/B",                             // double slash
		"/api/v1/enterprises//B",                             // double slash inside
		"/api/v1/enterprises/A/../B",                         // dot segments
		"/api/v1/enterprises/A%2F..%2FB",                     // encoded slashes
		"/api/v1/enterprises/A%2f..%2fB/records/hidden-dangers/rec-B",
		"/api/v1/enterprises/%42",                                  // encoded B
		"/api/v1/enterprises/A/records/hidden-dangers/rec-A/extra", // trailing segment
		"/api/v1/enterprises/A/records/hidden-dangers/..%2F..%2F..%2FB%2Frecords%2Fhidden-dangers%2Frec-B",
		"/api/v1/audit/",
		"/api/v1//audit",
		"/api/v1/audit/export/",
		"/api/v1/admin/policy/",
		"/api/v1/share/hidden-dangers/",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			r := e.do(http.MethodGet, p, tok, nil)
			assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, r.Status, "%s", r.Raw)
			assert.NotContains(t, string(r.Raw), `"COMPANY_CODE":"B"`, "B's record leaked")
		})
	}
}
