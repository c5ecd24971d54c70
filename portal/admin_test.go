package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/tiers"
)

// admin creates a province administrator (the role needs TOTP) and logs it in
// with password and one-time code.
func (e *env) admin(username string, role policy.Role) *browser {
	e.TB.Helper()
	created, err := e.App.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: username,
		DisplayName: username, Password: testPassword, Role: role, Domain: tiers.ProvinceCode}, identity.Actor{Name: "test"})
	require.NoError(e.TB, err)
	require.NotEmpty(e.TB, created.TOTPSecret)
	return e.loginOTP(username, testPassword, created.TOTPSecret)
}

func (e *env) loginOTP(username, password, secret string) *browser {
	e.TB.Helper()
	otp := ""
	if secret != "" {
		var err error
		otp, err = identity.TOTPCode(secret, e.Clock.Now())
		require.NoError(e.TB, err)
	}
	b := &browser{&platformtest.Session{TB: e.TB, Base: e.App.URL(), Origin: e.App.URL()}}
	p := b.Login("/portal/login", url.Values{"username": {username}, "password": {password}, "otp": {otp}})
	require.Equal(e.TB, http.StatusSeeOther, p.Status, p.Body)
	require.NotEmpty(e.TB, b.Cookie)
	return b
}

// audited counts audit rows of action on object with result.
func (e *env) audited(action, object, result string) int {
	e.TB.Helper()
	var n int
	require.NoError(e.TB, e.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE action = $1 AND object = $2 AND result = $3`, action, object, result).Scan(&n))
	return n
}

// Each 系统管理 and 审计 page opens only for the roles allowed; every other role
// gets 403 (and the refusal is audited), for reading and for writing, and sees
// no menu entry for it.
func TestAdminPagesOnlyForTheirRoles(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	browsers := map[string]*browser{
		"county":   e.login("lixia_staff"),
		"system":   e.admin("sys1", policy.SystemAdmin),
		"security": e.admin("sec1", policy.SecurityAdmin),
		"audit":    e.admin("aud1", policy.AuditAdmin),
	}
	browsers["county"].Origin = e.App.URL()
	pages := []struct {
		method, path string
		form         url.Values
		allowed      []string
	}{
		{"GET", "/portal/admin/users", nil, []string{"security"}},
		{"GET", "/portal/admin/users/lixia_staff", nil, []string{"security"}},
		{"POST", "/portal/admin/users", url.Values{"username": {"x_new"}, "password": {testPassword},
			"role": {"county_staff"}, "domain": {"370102"}}, nil},
		{"POST", "/portal/admin/users/lixia_staff/unlock", nil, nil},
		{"POST", "/portal/admin/users/lixia_staff/password", url.Values{"password": {"Other-Pass-2026"}, "password2": {"Other-Pass-2026"}}, nil},
		{"POST", "/portal/admin/users/lixia_staff/mobile", url.Values{"mobile": {"13800000000"}}, nil},
		{"POST", "/portal/admin/users/lixia_staff/grants", url.Values{"role": {"county_leader"}}, nil},
		{"GET", "/portal/admin/parks", nil, []string{"system", "security"}},
		{"POST", "/portal/admin/parks", url.Values{"code": {"P9"}, "name": {"九号园区"}, "division_code": {"370102"}}, nil},
		{"GET", "/portal/admin/companies", nil, []string{"system"}},
		{"GET", "/portal/admin/companies/370102001", nil, []string{"system"}},
		{"POST", "/portal/admin/companies", url.Values{"code": {"X1"}, "name": {"某公司"}, "division_code": {"370102"}}, nil},
		{"POST", "/portal/admin/companies/370102001/rotate", nil, nil},
		{"POST", "/portal/admin/companies/370102001/revoke", nil, nil},
		{"GET", "/portal/audit", nil, []string{"audit"}},
		{"GET", "/portal/audit/verify", nil, []string{"audit"}},
	}
	writers := map[string]string{"/portal/admin/users": "security", "/portal/admin/parks": "system", "/portal/admin/companies": "system"}
	for _, pg := range pages {
		allowed := pg.allowed
		if pg.method == "POST" {
			for prefix, who := range writers {
				if strings.HasPrefix(pg.path, prefix) {
					allowed = []string{who}
				}
			}
		}
		for who, b := range browsers {
			if slices.Contains(allowed, who) {
				continue
			}
			t.Run(pg.method+" "+pg.path+" as "+who, func(t *testing.T) {
				p := b.Do(pg.method, pg.path, pg.form)
				assert.Equal(t, http.StatusForbidden, p.Status, p.Body)
				assert.Contains(t, p.Body, "无权访问")
			})
		}
	}
	// Nothing was changed by the refused posts.
	_, err := e.App.Access.Identity.UserByName(context.Background(), "x_new")
	assert.Error(t, err)
	keys, err := e.App.Access.Enterprises.Keys(context.Background(), "370102001")
	require.NoError(t, err)
	assert.Len(t, keys, 1)
	assert.Nil(t, keys[0].RevokedAt)
	var denials int
	require.NoError(t, e.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'deny'`).Scan(&denials))
	assert.GreaterOrEqual(t, denials, 30)

	// The menu shows each role its own entries.
	home := func(who string) string { return browsers[who].Get("/portal/").Body }
	assert.NotContains(t, home("county"), `href="/portal/admin"`)
	assert.NotContains(t, home("county"), `href="/portal/audit"`)
	assert.Contains(t, home("security"), `href="/portal/admin"`)
	assert.NotContains(t, home("security"), `href="/portal/audit"`)
	assert.Contains(t, home("system"), `href="/portal/admin"`)
	assert.Contains(t, home("audit"), `href="/portal/audit"`)
	assert.NotContains(t, home("audit"), `href="/portal/admin"`)
	assert.Equal(t, http.StatusSeeOther, browsers["security"].Get("/portal/admin").Status)
	assert.Equal(t, http.StatusForbidden, browsers["audit"].Get("/portal/admin").Status)
}

var secretValue = regexp.MustCompile(`id="secret" type="text" readonly value="([^"]+)"`)

// The 安全管理员 creates, unlocks and resets accounts and grants and revokes
// roles through the pages; 三员分立 holds there as in the API; every change is
// in the audit log.
func TestSecurityAdminManagesUsers(t *testing.T) {
	e := start(t)
	sec := e.admin("sec1", policy.SecurityAdmin)
	ctx := context.Background()

	p := sec.PostForm("/portal/admin/users", url.Values{"username": {"lixia_new"}, "display_name": {"历下新人"},
		"password": {testPassword}, "role": {"county_staff"}, "domain": {"370102"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, "/portal/admin/users/lixia_new?ok=created", p.Location)
	list := sec.Get("/portal/admin/users?q=lixia")
	accessible(t, list)
	assert.Contains(t, list.Body, "历下新人")
	assert.Contains(t, list.Body, "县级监管人员")
	assert.Contains(t, list.Body, `<th scope="row">审计管理员</th><td>查看审计日志、导出审计日志</td>`, "roles and their permissions")
	detail := sec.Get("/portal/admin/users/lixia_new?ok=created")
	accessible(t, detail)
	assert.Contains(t, detail.Body, "账号已创建")
	assert.Equal(t, 1, e.audited("user_create", "user:lixia_new", "ok"))

	// A bad password or a role in the wrong kind of domain is refused, audited.
	p = sec.PostForm("/portal/admin/users", url.Values{"username": {"weak"}, "password": {"short"}, "role": {"county_staff"}, "domain": {"370102"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "密码至少 8 位")
	p = sec.PostForm("/portal/admin/users", url.Values{"username": {"wrongdom"}, "password": {testPassword}, "role": {"city_staff"}, "domain": {"370102"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Equal(t, 1, e.audited("user_create", "user:wrongdom", "failed"))

	// 三员分立: administrator accounts are not created here (only on the host),
	// the forms do not offer their roles, and no administrator role is granted.
	p = sec.PostForm("/portal/admin/users", url.Values{"username": {"aud2"}, "password": {testPassword}, "role": {"audit_admin"}, "domain": {"370000"}})
	assert.Equal(t, http.StatusForbidden, p.Status, p.Body)
	assert.Contains(t, p.Body, "三员分立")
	assert.Equal(t, 1, e.audited("user_create", "user:aud2", "failed"))
	assert.NotContains(t, sec.Get("/portal/admin/users").Body, `<option value="audit_admin">`)
	for _, role := range []string{"security_admin", "system_admin", "audit_admin"} {
		p = sec.PostForm("/portal/admin/users/lixia_new/grants", url.Values{"role": {role}})
		assert.Equal(t, http.StatusForbidden, p.Status, p.Body)
		assert.Contains(t, p.Body, "三员分立")
	}
	// Company people are made by the company's administrator in the base
	// system: the forms offer no company role and the server refuses one.
	usersForm := sec.Get("/portal/admin/users").Body
	for _, role := range []string{"enterprise_user", "enterprise_admin", "enterprise_staff", "enterprise_principal"} {
		assert.NotContains(t, usersForm, `<option value="`+role+`">`)
		p = sec.PostForm("/portal/admin/users", url.Values{"username": {"ent_new"}, "password": {testPassword}, "role": {role}, "domain": {"ent:370102001"}})
		assert.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
		assert.Contains(t, p.Body, "企业的账号由企业管理员在企业安全生产基础系统")
	}
	assert.Equal(t, 4, e.audited("user_create", "user:ent_new", "failed"))
	p = sec.PostForm("/portal/admin/users/lixia_new/grants", url.Values{"role": {"enterprise_user"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
	p = sec.PostForm("/portal/admin/users/sec1/grants", url.Values{"role": {"province_leader"}})
	assert.Equal(t, http.StatusForbidden, p.Status, "an administrator holds no business role: %s", p.Body)
	assert.Equal(t, 4, e.audited("role_grant", "user:lixia_new", "failed"))
	u, err := e.App.Access.Identity.UserByName(ctx, "sec1")
	require.NoError(t, err)
	assert.Equal(t, []policy.Role{policy.SecurityAdmin}, u.Roles)

	// The new account must change the password its creator typed before anything else.
	first := e.login("lixia_new")
	p = first.Get("/portal/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/portal/account", p.Location)
	acct := first.Get("/portal/account")
	require.Equal(t, http.StatusOK, acct.Status)
	accessible(t, acct)
	assert.Contains(t, acct.Body, "请先修改密码")
	p = first.PostForm("/portal/account/password", url.Values{"current": {testPassword}, "new": {"Admin@123"}, "new2": {"Admin@123"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "密码过于常见")
	p = first.PostForm("/portal/account/password", url.Values{"current": {testPassword}, "new": {"Kx7#mQ2vLp9w"}, "new2": {"Kx7#mQ2vLp9w"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, http.StatusOK, first.Get("/portal/").Status)
	// Back to the shared test password, as the account's owner would.
	p = first.PostForm("/portal/account/password", url.Values{"current": {"Kx7#mQ2vLp9w"}, "new": {testPassword}, "new2": {testPassword}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	// Grant and revoke a second role.
	p = sec.PostForm("/portal/admin/users/lixia_new/grants", url.Values{"role": {"county_leader"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Contains(t, sec.Get("/portal/admin/users/lixia_new").Body, "<td>县级监管领导</td>")
	p = sec.PostForm("/portal/admin/users/lixia_new/grants/revoke", url.Values{"role": {"county_leader"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.NotContains(t, sec.Get("/portal/admin/users/lixia_new").Body, "<td>县级监管领导</td>")
	assert.Equal(t, 1, e.audited("role_grant", "user:lixia_new", "ok"))
	assert.Equal(t, 1, e.audited("role_revoke", "user:lixia_new", "ok"))

	// Lockout, unlock.
	for i := 0; i < 5; i++ {
		_, _ = e.App.Access.Identity.Login(ctx, "lixia_new", "wrong-Password-1", "", "127.0.0.1")
	}
	assert.Contains(t, sec.Get("/portal/admin/users/lixia_new").Body, "已锁定")
	p = sec.PostForm("/portal/admin/users/lixia_new/unlock", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.NotContains(t, sec.Get("/portal/admin/users/lixia_new").Body, "已锁定")
	assert.Equal(t, 1, e.audited("user_unlock", "user:lixia_new", "ok"))

	// Reset: the old session ends at once, the new password works.
	old := e.login("lixia_new")
	require.Equal(t, http.StatusOK, old.Get("/portal/").Status)
	p = sec.PostForm("/portal/admin/users/lixia_new/password", url.Values{"password": {"New-Pass-2026"}, "password2": {"Other-2026-x"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	p = sec.PostForm("/portal/admin/users/lixia_new/password", url.Values{"password": {"New-Pass-2026"}, "password2": {"New-Pass-2026"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	assert.Equal(t, http.StatusSeeOther, old.Get("/portal/").Status, "the old session must end")
	again := e.loginOTP("lixia_new", "New-Pass-2026", "")
	assert.Equal(t, "/portal/account", again.Get("/portal/").Location, "a reset password must be changed first")
	assert.Equal(t, 1, e.audited("password_reset", "user:lixia_new", "ok"))

	// The mobile warning SMS go to: a wrong number is refused and audited as such,
	// a right one is shown on the account.
	p = sec.PostForm("/portal/admin/users/lixia_new/mobile", url.Values{"mobile": {"12345"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "手机号「12345」格式不正确")
	assert.Equal(t, 1, e.audited("user_mobile", "user:lixia_new", "failed"))
	p = sec.PostForm("/portal/admin/users/lixia_new/mobile", url.Values{"mobile": {"13912345678"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	page := sec.Get("/portal/admin/users/lixia_new").Body
	assert.Contains(t, page, "139****5678", "the mobile is shown masked")
	assert.NotContains(t, page, "13912345678")
	assert.Equal(t, 1, e.audited("user_mobile", "user:lixia_new", "ok"))

	// A cross-origin post is refused before it reaches the operation.
	evil := &browser{&platformtest.Session{TB: t, Base: e.App.URL(), Cookie: sec.Cookie, Origin: "http://evil.example"}}
	assert.Equal(t, http.StatusForbidden, evil.PostForm("/portal/admin/users/lixia_new/unlock", nil).Status)
}

// The administrators' powers cannot be delegated to a business role (三员分立:
// the 安全管理员 could otherwise hand them to an account it controls): the
// policy refuses user or registration permissions for a city leader, and the
// city leader's 系统管理 pages and actions stay closed.
func TestAdminPagesNotDelegable(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.user("lixia_staff", policy.CountyStaff, "370102")
	for _, perm := range [][2]string{{policy.ObjUser, policy.ActRead}, {policy.ObjUser, policy.ActWrite}, {policy.ObjEnterprise, policy.ActRegister}} {
		err := e.App.Access.Authz.AddPermission(ctx, string(policy.CityLeader), perm[0], perm[1], "test")
		assert.ErrorIs(t, err, policy.ErrFixedPolicy, perm)
	}
	e.user("jinan_lead", policy.CityLeader, "370100")
	b := e.login("jinan_lead")
	b.Origin = e.App.URL()
	for _, path := range []string{"/portal/admin/users", "/portal/admin/users/lixia_staff", "/portal/admin/companies"} {
		assert.Equal(t, http.StatusForbidden, b.Get(path).Status, path)
	}
	assert.Equal(t, http.StatusForbidden, b.PostForm("/portal/admin/users", url.Values{"username": {"jn_new"},
		"password": {testPassword}, "role": {"county_staff"}, "domain": {"370103"}}).Status)
	assert.Equal(t, http.StatusForbidden, b.PostForm("/portal/admin/users/lixia_staff/disable", nil).Status)
}

// The 系统管理员 registers a park and a company; the company's API key is shown
// once and works; rotating issues a new one and revokes the old; revoking
// stops every key. Each change is audited.
func TestSystemAdminRegistersCompaniesAndKeys(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sys := e.admin("sys1", policy.SystemAdmin)

	p := sys.PostForm("/portal/admin/parks", url.Values{"code": {"JNP1"}, "name": {"济南新材料产业园"}, "division_code": {"370102"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	parks := sys.Get("/portal/admin/parks?ok=park")
	accessible(t, parks)
	assert.Contains(t, parks.Body, "济南新材料产业园（JNP1）")
	assert.Contains(t, parks.Body, "化工园区已登记")
	assert.Equal(t, 1, e.audited("park.add", "park:JNP1", "ok"))
	assert.Equal(t, http.StatusConflict, sys.PostForm("/portal/admin/parks", url.Values{"code": {"JNP1"}, "name": {"重复"}, "division_code": {"370102"}}).Status)

	p = sys.PostForm("/portal/admin/companies", url.Values{"code": {"JN0001"}, "name": {"济南某化工有限公司"},
		"division_code": {"370102"}, "park_code": {"JNP1"}, "kind": {"生产"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	accessible(t, p)
	m := secretValue.FindStringSubmatch(p.Body)
	require.NotNil(t, m, p.Body)
	first := m[1]
	code, err := e.App.Enterprises.Authenticate(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, "JN0001", code)
	// The signing secret is shown once beside the key, and is what the platform verifies with.
	sm := regexp.MustCompile(`id="signing-secret" type="text" readonly value="([^"]+)"`).FindStringSubmatch(p.Body)
	require.NotNil(t, sm, p.Body)
	_, secret, err := e.App.Enterprises.SigningSecret(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, sm[1], string(secret))
	assert.Equal(t, 1, e.audited("enterprise.register", "ent:JN0001", "ok"))
	detail := sys.Get("/portal/admin/companies/JN0001")
	accessible(t, detail)
	assert.Contains(t, detail.Body, first[:10])
	assert.NotContains(t, detail.Body, first, "the key is shown only once")
	companies := sys.Get("/portal/admin/companies?q=JN0001")
	accessible(t, companies)
	assert.Contains(t, companies.Body, "济南某化工有限公司")

	// Bad registrations are refused with the rule named.
	for _, bad := range []url.Values{
		{"code": {"JN0001"}, "name": {"重复"}, "division_code": {"370102"}},
		{"code": {"JN0002"}, "name": {"无区县"}, "division_code": {"370100"}},
		{"code": {"JN0003"}, "name": {"错园区"}, "division_code": {"370202"}, "park_code": {"JNP1"}},
		{"code": {"JN0004"}, "name": {"错类型"}, "division_code": {"370102"}, "kind": {"其他"}},
	} {
		p := sys.PostForm("/portal/admin/companies", bad)
		assert.Contains(t, []int{http.StatusConflict, http.StatusUnprocessableEntity}, p.Status, p.Body)
		assert.Equal(t, 1, e.audited("enterprise.register", "ent:"+bad.Get("code"), "failed"))
	}

	p = sys.PostForm("/portal/admin/companies/JN0001/rotate", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	m = secretValue.FindStringSubmatch(p.Body)
	require.NotNil(t, m)
	second := m[1]
	_, err = e.App.Enterprises.Authenticate(ctx, first)
	assert.Error(t, err, "the old key is revoked")
	_, err = e.App.Enterprises.Authenticate(ctx, second)
	assert.NoError(t, err)
	assert.Equal(t, 1, e.audited("enterprise.key_rotate", "ent:JN0001", "ok"))

	p = sys.PostForm("/portal/admin/companies/JN0001/revoke", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	_, err = e.App.Enterprises.Authenticate(ctx, second)
	assert.Error(t, err)
	assert.Contains(t, sys.Get(p.Location).Body, `<dd id="active-keys">0</dd>`)
	assert.Equal(t, 1, e.audited("enterprise.keys_revoke", "ent:JN0001", "ok"))
}

// The 审计管理员 lists the log with filters, pages back through it, verifies
// the chain and exports; reading is itself recorded.
func TestAuditPage(t *testing.T) {
	e := start(t)
	e.user("lixia_staff", policy.CountyStaff, "370102")
	for i := 0; i < 3; i++ {
		e.login("lixia_staff")
	}
	aud := e.admin("aud1", policy.AuditAdmin)
	p := aud.Get("/portal/audit")
	accessible(t, p)
	assert.Contains(t, p.Body, "lixia_staff")

	p = aud.Get("/portal/audit?actor=lixia_staff&action=login&result=ok")
	require.Equal(t, http.StatusOK, p.Status)
	rows := regexp.MustCompile(`<tr><td>\d+</td>`).FindAllString(p.Body, -1)
	assert.Len(t, rows, 3)
	assert.NotContains(t, p.Body, "<td>aud1</td>")
	assert.Contains(t, p.Body, "<td>lixia_staff</td><td>县级监管人员</td>", "the role by its Chinese name")

	// Pages of 20, newest first: more than a page of records pages back.
	for i := 0; i < 20; i++ {
		aud.Get("/portal/audit?action=logout")
	}
	p = aud.Get("/portal/audit")
	next := regexp.MustCompile(`href="(/portal/audit\?before=\d+)" rel="next"`).FindStringSubmatch(p.Body)
	require.NotNil(t, next, p.Body)
	older := aud.Get(strings.ReplaceAll(next[1], "&amp;", "&"))
	require.Equal(t, http.StatusOK, older.Status)
	assert.Contains(t, older.Body, "最新")

	v := aud.Get("/portal/audit/verify")
	require.Equal(t, http.StatusOK, v.Status)
	assert.Contains(t, v.Body, "哈希链完整")

	p = aud.Get("/portal/audit?from=2026-13-01")
	assert.Equal(t, http.StatusUnprocessableEntity, p.Status)
	assert.Contains(t, p.Body, "起始日期")

	ex := regexp.MustCompile(`href="(/api/v1/audit/export\?[^"]*)" id="export"`).FindStringSubmatch(aud.Get("/portal/audit?actor=lixia_staff").Body)
	require.NotNil(t, ex)
	nd := aud.Get(strings.ReplaceAll(ex[1], "&amp;", "&"))
	require.Equal(t, http.StatusOK, nd.Status, nd.Body)
	assert.Equal(t, 3, strings.Count(nd.Body, `"actor":"lixia_staff"`))
	assert.Positive(t, e.audited("audit_read", "audit_log", "ok"))
	assert.Equal(t, 1, e.audited("audit_export", "audit_log", "ok"))
}
