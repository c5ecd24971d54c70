package policy_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
)

func TestCheckGrant(t *testing.T) {
	tests := []struct {
		role   policy.Role
		domain string
		ok     bool
	}{
		{policy.ProvinceLeader, "370000", true},
		{policy.ProvinceLeader, "370100", false},
		{policy.CityStaff, "370100", true},
		{policy.CityStaff, "370102", false},
		{policy.CountyStaff, "370102", true},
		{policy.CountyStaff, "370100", false},
		{policy.ParkStaff, "park:P1", true},
		{policy.ParkStaff, "370102", false},
		{policy.Inspector, "370102", true},
		{policy.Inspector, "park:P1", true},
		{policy.Inspector, "ent:C1", false},
		{policy.EnterpriseAdmin, "ent:C1", true},
		{policy.EnterpriseUser, "370102", false},
		{policy.SystemAdmin, "370000", true},
		{policy.AuditAdmin, "370100", false},
		{policy.ShareService, "370100", true},
		{policy.ShareService, "370102", true},
		{policy.ShareService, "370000", false},
		{policy.Role("root"), "370000", false},
		{policy.CountyStaff, "371200", false}, // abolished code
	}
	for _, tt := range tests {
		t.Run(string(tt.role)+"@"+tt.domain, func(t *testing.T) {
			err := policy.CheckGrant(tt.role, tt.domain)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// A domain with a "/" in its park code, or a space in its company code, is one
// tiers.Within could be fooled by: no role may be granted it (tiers.TestWithinIsStructural
// shows such a domain reaches nothing).
func TestCheckGrantRefusesMalformedDomains(t *testing.T) {
	assert.Error(t, policy.CheckGrant(policy.ParkStaff, "park:HD/370102"))
	assert.Error(t, policy.CheckGrant(policy.EnterpriseUser, "ent:C 1"))
}

func TestCheckSeparation(t *testing.T) {
	admins := []policy.Role{policy.SystemAdmin, policy.SecurityAdmin, policy.AuditAdmin}
	for _, held := range admins {
		for _, asked := range admins {
			err := policy.CheckSeparation([]policy.Role{held}, asked)
			if held == asked {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, policy.ErrSeparation, "%s + %s", held, asked)
			}
		}
		// No administrator holds a business role, nor a business account an administrator role.
		assert.ErrorIs(t, policy.CheckSeparation([]policy.Role{held}, policy.ProvinceLeader), policy.ErrSeparation)
		assert.ErrorIs(t, policy.CheckSeparation([]policy.Role{policy.CountyStaff}, held), policy.ErrSeparation)
	}
	assert.NoError(t, policy.CheckSeparation([]policy.Role{policy.CountyStaff}, policy.CountyLeader))
}

// The stored policy cannot speak for the three administrators: rows naming them
// or the administrative objects are ignored, and their permissions are exactly
// FixedPolicy's, whatever the store holds.
func TestFixedPolicyOverridesStoredRows(t *testing.T) {
	stored := append(policy.DefaultPolicy(),
		policy.Permission("security_admin", policy.ObjAudit, policy.ActRead), // secadmin reading the audit log
		policy.Permission("county_staff", policy.ObjAudit, policy.ActExport), // a business role on an admin object
		policy.Permission("u:7", policy.ObjData, policy.ActRead),             // a user subject
		policy.Permission("security_admin", policy.ObjEnterprise, policy.ActRegister),
		policy.Grant("u:1", policy.SecurityAdmin, "370000"),
		policy.Grant("u:2", policy.AuditAdmin, "370000"),
		policy.Grant("u:3", policy.CountyStaff, "370102"),
		policy.Grant("u:7", policy.CountyStaff, "370102"),
	)
	e, err := policy.NewEnforcer(stored)
	require.NoError(t, err)
	allowed := func(sub, dom, obj, act string) bool {
		ok, err := e.Allowed(sub, dom, obj, act, "")
		require.NoError(t, err)
		return ok
	}
	assert.False(t, allowed("u:1", "370000", policy.ObjAudit, policy.ActRead))
	assert.False(t, allowed("u:1", "370000", policy.ObjEnterprise, policy.ActRegister))
	assert.True(t, allowed("u:1", "370000", policy.ObjPolicy, policy.ActWrite))
	assert.True(t, allowed("u:2", "370000", policy.ObjAudit, policy.ActExport))
	assert.False(t, allowed("u:3", "370102", policy.ObjAudit, policy.ActExport))
	assert.True(t, allowed("u:3", "370102", policy.ObjData, policy.ActRead))
}

func TestCheckPolicyEdit(t *testing.T) {
	tests := []struct {
		sub, obj, act string
		code          string // "" allowed, else the chemguard error code
	}{
		{"county_staff", policy.ObjData, policy.ActRead, ""},
		{"province_staff", policy.ObjMFA, policy.ActRequired, ""},
		{"city_leader", policy.ObjWarning, policy.ActApprove, ""},
		{"security_admin", policy.ObjAudit, policy.ActRead, "forbidden"},        // grant itself the audit log
		{"security_admin", policy.ObjData, policy.ActRead, "forbidden"},         // read everything
		{"audit_admin", policy.ObjAudit, policy.ActRead, "forbidden"},           // remove the auditor's permission
		{"system_admin", policy.ObjMFA, policy.ActRequired, "forbidden"},        // the admins' MFA is fixed
		{"county_staff", policy.ObjAudit, policy.ActRead, "forbidden"},          // admin objects to business roles
		{"county_staff", policy.ObjEnterprise, policy.ActRegister, "forbidden"}, // register companies
		{"province_leader", policy.ObjPolicy, policy.ActWrite, "forbidden"},
		{"u:5", policy.ObjData, policy.ActRead, "invalid"}, // a user subject
		{"nobody", policy.ObjData, policy.ActRead, "invalid"},
		{"county_staff", policy.ObjData, policy.ActApprove, "invalid"},
		{"county_staff", "secrets", policy.ActRead, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.sub+"/"+tt.obj+"/"+tt.act, func(t *testing.T) {
			err := policy.CheckPolicyEdit(tt.sub, tt.obj, tt.act)
			if tt.code == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.code, chemguard.ErrorCode(err))
		})
	}
}

func TestRolesHaveLabels(t *testing.T) {
	for _, r := range policy.Roles() {
		assert.NotEmpty(t, r.Label(), r)
		got, ok := policy.ParseRole(string(r))
		assert.True(t, ok)
		assert.Equal(t, r, got)
	}
	_, ok := policy.ParseRole("superuser")
	assert.False(t, ok)
}

// provincePolicy is a realistic province: the default permissions, 5,000
// enterprises spread over every county (one in five in one of 40 parks) and
// 2,000 users at every tier.
type provincePolicy struct {
	rules    []policy.Rule
	users    []benchUser
	entPaths []string
}

type benchUser struct{ sub, dom string }

func newProvincePolicy(tb testing.TB) provincePolicy {
	tb.Helper()
	r := rand.New(rand.NewPCG(4, 4))
	var counties, cities []string
	for _, d := range tiers.Divisions() {
		switch d.Level {
		case tiers.County:
			counties = append(counties, d.Code)
		case tiers.City:
			cities = append(cities, d.Code)
		}
	}
	p := provincePolicy{rules: policy.DefaultPolicy()}
	var ents []string
	for i := 0; i < 5000; i++ {
		code := fmt.Sprintf("E%05d", i)
		park := ""
		if i%5 == 0 {
			park = fmt.Sprintf("P%02d", i%40)
		}
		ents = append(ents, code)
		p.entPaths = append(p.entPaths, tiers.EnterprisePath(counties[r.IntN(len(counties))], park, code))
	}
	grant := func(role policy.Role, dom string) {
		sub := policy.UserSubject(int64(len(p.users) + 1))
		p.rules = append(p.rules, policy.Grant(sub, role, dom))
		p.users = append(p.users, benchUser{sub, dom})
	}
	for i := 0; i < 10; i++ {
		grant(policy.ProvinceStaff, tiers.ProvinceCode)
	}
	for _, c := range cities {
		grant(policy.CityLeader, c)
		for i := 0; i < 6; i++ {
			grant(policy.CityStaff, c)
		}
	}
	for _, c := range counties {
		grant(policy.CountyLeader, c)
		for i := 0; i < 5; i++ {
			grant(policy.CountyStaff, c)
		}
		grant(policy.Inspector, c)
	}
	for i := 0; i < 40; i++ {
		grant(policy.ParkStaff, tiers.ParkDomain(fmt.Sprintf("P%02d", i)))
	}
	for len(p.users) < 2000 {
		grant(policy.EnterpriseUser, tiers.EnterpriseDomain(ents[r.IntN(len(ents))]))
	}
	return p
}

func TestProvincePolicyShape(t *testing.T) {
	p := newProvincePolicy(t)
	require.Len(t, p.users, 2000)
	e, err := policy.NewEnforcer(p.rules)
	require.NoError(t, err)
	// The first province user reaches every enterprise; an enterprise user only its own.
	for _, path := range p.entPaths[:50] {
		ok, err := e.Allowed(p.users[0].sub, p.users[0].dom, policy.ObjData, policy.ActRead, path)
		require.NoError(t, err)
		assert.True(t, ok)
	}
	last := p.users[len(p.users)-1]
	var reached int
	for _, path := range p.entPaths {
		if ok, _ := e.Allowed(last.sub, last.dom, policy.ObjData, policy.ActRead, path); ok {
			reached++
		}
	}
	assert.Equal(t, 1, reached)
}

// BenchmarkAuthorize measures one authorization check against the full
// province policy (all divisions, 5,000 enterprises, 2,000 users). The target is
// under 20 µs per check.
//
//   - mixed: a random user asks to read a random enterprise's data; most are
//     refused by region without evaluating the policy, as in real traffic of
//     scoped users probing IDs.
//   - allowed: each user reads an enterprise in its own region, so casbin
//     evaluates the policy lines and the role links until one matches.
//   - denied_by_role: an administrator (no data role) asks for data in the
//     province: every policy line of the object is evaluated and none matches.
func BenchmarkAuthorize(b *testing.B) {
	p := newProvincePolicy(b)
	e, err := policy.NewEnforcer(p.rules)
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(1, 2))
	type req struct{ sub, dom, res string }
	mixed := make([]req, 4096)
	for i := range mixed {
		u := p.users[r.IntN(len(p.users))]
		mixed[i] = req{u.sub, u.dom, p.entPaths[r.IntN(len(p.entPaths))]}
	}
	var allowed []req
	for len(allowed) < 4096 {
		u := p.users[r.IntN(len(p.users))]
		res := p.entPaths[r.IntN(len(p.entPaths))]
		if tiers.Within(u.dom, res) {
			allowed = append(allowed, req{u.sub, u.dom, res})
		}
	}
	denied := make([]req, 4096)
	for i := range denied {
		denied[i] = req{"u:999999", tiers.ProvinceCode, p.entPaths[r.IntN(len(p.entPaths))]}
	}
	for _, bc := range []struct {
		name string
		reqs []req
		want bool
	}{{"mixed", mixed, false}, {"allowed", allowed, true}, {"denied_by_role", denied, false}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.want {
				ok, err := e.Allowed(bc.reqs[0].sub, bc.reqs[0].dom, policy.ObjData, policy.ActRead, bc.reqs[0].res)
				require.NoError(b, err)
				require.True(b, ok)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := bc.reqs[i%len(bc.reqs)]
				if _, err := e.Allowed(q.sub, q.dom, policy.ObjData, policy.ActRead, q.res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
