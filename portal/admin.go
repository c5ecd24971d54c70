package portal

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
	webform "github.com/shandong-emergency/chemguard/web/form"
)

// Operations are the administrators' changes, each checking role and region and
// recording itself in the audit log; access.Service implements them, and its
// admin API calls the same methods.
type Operations interface {
	// Can reports, without recording anything, whether the caller's roles
	// allow act on obj somewhere in its domain.
	Can(c *fiber.Ctx, obj, act string) bool
	// Actor is an audit event naming the caller.
	Actor(c *fiber.Ctx) audit.Event
	// DomainPath is the authorizer's resource path of an account's domain.
	DomainPath(ctx context.Context, domain string) string
	CreateUser(c *fiber.Ctx, nu identity.NewUser) (*identity.Created, error)
	UnlockUser(c *fiber.Ctx, username string) error
	ResetPassword(c *fiber.Ctx, username, password string) error
	// SetDisabled disables (true) or re-enables an account; its sessions end.
	SetDisabled(c *fiber.Ctx, username string, disabled bool) error
	SetMobile(c *fiber.Ctx, username, mobile string) error
	GrantRole(c *fiber.Ctx, username string, role policy.Role, domain string) error
	RevokeRole(c *fiber.Ctx, username string, role policy.Role, domain string) error
	AddPark(c *fiber.Ctx, p tiers.Park) error
	RegisterEnterprise(c *fiber.Ctx, e store.Enterprise) (store.Credentials, error)
	RotateKey(c *fiber.Ctx, code string) (store.Credentials, int64, error)
	RevokeKeys(c *fiber.Ctx, code string) (int64, error)
	// IssueCompanyAdmin creates the company's 企业管理员 for the base system with
	// a one-time password, returned once.
	IssueCompanyAdmin(c *fiber.Ctx, code, username, displayName string) (password string, err error)
}

// Admin is what the 系统管理 and 审计 pages use: the operations and the stores
// they read (accounts, parks, API keys, the audit log).
type Admin struct {
	Ops         Operations
	Identity    *identity.Service
	Parks       *store.Parks
	Enterprises *store.Enterprises
	Audit       *audit.Log
	// Policy returns the permission rules in force (policy.Authorizer.Policy).
	Policy func() []policy.Rule
}

// EnableAdmin mounts nothing itself: it gives the portal what the 系统管理
// (/portal/admin/*) and 审计 (/portal/audit) pages need; without it those pages
// answer 404. Call it before Register.
func (p *Portal) EnableAdmin(a Admin) { p.admin = &a }

func (p *Portal) registerAdmin(r fiber.Router) {
	r.Get("/admin", p.adminHome)
	p.accountActions().Mount(r, "/admin/users", ":username")
	r.Post("/admin/users/:username/mobile", p.adminSetMobile)
	r.Post("/admin/users/:username/grants", p.adminGrant)
	r.Post("/admin/users/:username/grants/revoke", p.adminRevoke)
	r.Get("/admin/parks", p.adminParks)
	r.Post("/admin/parks", p.adminAddPark)
	r.Get("/admin/companies", p.adminCompanies)
	r.Post("/admin/companies", p.adminRegister)
	r.Get("/admin/companies/:code", p.adminCompany)
	r.Post("/admin/companies/:code/rotate", p.adminRotate)
	r.Post("/admin/companies/:code/revoke", p.adminRevokeKeys)
	r.Post("/admin/companies/:code/admin", p.adminIssueCompanyAdmin)
	r.Get("/audit", p.auditPage)
	r.Get("/audit/verify", p.auditVerify)
}

var errNoAdmin = chemguard.Errorf(chemguard.ENotFound, "页面不存在", "not found")

// adminSections are the 系统管理 sections the caller may open.
type adminSections struct {
	Users, Parks, Companies bool
}

func (p *Portal) sections(c *fiber.Ctx) adminSections {
	if p.admin == nil {
		return adminSections{}
	}
	ops := p.admin.Ops
	reg := ops.Can(c, policy.ObjEnterprise, policy.ActRegister)
	users := ops.Can(c, policy.ObjUser, policy.ActRead)
	return adminSections{Users: users, Parks: reg || users, Companies: reg}
}

func (s adminSections) any() bool { return s.Users || s.Parks || s.Companies }

// requireAdmin checks the caller may do act on obj (a refusal is audited, 403).
func (p *Portal) requireAdmin(c *fiber.Ctx, obj, act string) error {
	if p.admin == nil {
		return errNoAdmin
	}
	return p.guard.Check(c, obj, act, "")
}

func (p *Portal) adminHome(c *fiber.Ctx) error {
	s := p.sections(c)
	switch {
	case s.Users:
		return c.Redirect(Prefix+"/admin/users", fiber.StatusSeeOther)
	case s.Companies:
		return c.Redirect(Prefix+"/admin/companies", fiber.StatusSeeOther)
	}
	return p.requireAdmin(c, policy.ObjUser, policy.ActRead)
}

// adminPage is what every 系统管理 template gets.
type adminPage struct {
	Sections adminSections
	Section  string
	Notice   string // what the last change did
	Data     any
}

// notices are the confirmations a change redirects with (?ok=).
var notices = map[string]string{
	"created": "账号已创建。", "unlocked": "账号已解锁。", "reset": "密码已重置，该账号的登录会话已全部失效。",
	"mobile": "预警短信手机号已保存。", "disabled": "账号已停用，其登录会话已全部失效。", "enabled": "账号已启用。",
	"granted": "角色已授予。", "revoked": "角色已撤销。", "park": "化工园区已登记。",
	"keys_revoked": "该企业的 API 密钥已全部吊销，企业须待轮换新密钥后才能上报数据。",
}

func (p *Portal) renderAdmin(c *fiber.Ctx, page, title, section string, data any) error {
	return p.render(c, page, title, "admin", adminPage{Sections: p.sections(c), Section: section,
		Notice: notices[c.Query("ok")], Data: data})
}

// done redirects after a change (post/redirect/get) with its confirmation.
func done(c *fiber.Ctx, path, ok string) error {
	return c.Redirect(path+"?ok="+ok, fiber.StatusSeeOther)
}

// form returns a trimmed copy of a form field (fiber's values die with the request).
func form(c *fiber.Ctx, name string) string {
	return strings.TrimSpace(strings.Clone(c.FormValue(name)))
}

// roleOption is a role in a form's select.
type roleOption struct {
	Code, Label string
}

// roleOptions are the roles the 系统管理 forms offer: the regulators' business
// ones (三员分立: administrator accounts are created and granted only on the
// host; a company's accounts by its own administrator in the base system).
func roleOptions() []roleOption {
	var out []roleOption
	for _, r := range policy.Roles() {
		if r.IsSeparatedAdmin() || r.IsCompany() {
			continue
		}
		out = append(out, roleOption{string(r), r.Label()})
	}
	return out
}

type usersPage struct {
	Q      string
	Users  []identity.Account
	Pager  web.Pager
	Roles  []roleOption
	Now    time.Time
	Region string
	Perms  []rolePerms
}

// rolePerms is a role with what the policy in force lets it do.
type rolePerms struct {
	Label string
	Perms []string
}

var (
	permObjectZH = map[string]string{policy.ObjData: "企业数据", policy.ObjWarning: "预警", policy.ObjInspection: "巡查检查记录",
		policy.ObjShare: "共享数据", policy.ObjEnterprise: "企业与园区登记", policy.ObjSystem: "系统运行", policy.ObjUser: "账号与角色",
		policy.ObjPolicy: "权限策略", policy.ObjAudit: "审计日志", policy.ObjMFA: "动态口令"}
	permActionZH = map[string]string{policy.ActRead: "查看", policy.ActWrite: "修改", policy.ActHandle: "处置", policy.ActApprove: "审批",
		policy.ActExport: "导出", policy.ActRegister: "登记", policy.ActOperate: "运维", policy.ActRequired: "必须使用"}
)

// rolePermissions lists every role with its permissions from the policy.
func rolePermissions(rules []policy.Rule) []rolePerms {
	by := map[string][]string{}
	for _, r := range rules {
		if r.PType == "p" && len(r.V) == 3 {
			by[r.V[0]] = append(by[r.V[0]], permActionZH[r.V[2]]+permObjectZH[r.V[1]])
		}
	}
	var out []rolePerms
	for _, r := range policy.Roles() {
		out = append(out, rolePerms{Label: r.Label(), Perms: by[string(r)]})
	}
	return out
}

func (p *Portal) adminUsers(c *fiber.Ctx) error {
	if err := p.requireAdmin(c, policy.ObjUser, policy.ActRead); err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	region := identity.UserFrom(c).Domain
	list, total, err := p.admin.Identity.Users(c.UserContext(), identity.UserFilter{Region: region, Q: q,
		Offset: offset, Limit: p.cfg.PageSize})
	if err != nil {
		return err
	}
	var perms []rolePerms
	if p.admin.Policy != nil {
		perms = rolePermissions(p.admin.Policy())
	}
	return p.renderAdmin(c, "admin_users", "用户与角色", "users", usersPage{Q: q, Users: list, Roles: roleOptions(), Perms: perms,
		Now: p.cfg.Now(), Region: region, Pager: p.pager(Prefix+"/admin/users", url.Values{"q": {q}}, number, total)})
}

// secretPage shows a secret once: a new account's TOTP key or a company's API key.
type secretPage struct {
	Heading, What, Secret, URL, Back string
	// SigningSecret is a company's request-signing secret, shown with its API key.
	SigningSecret string
}

func (p *Portal) adminCreateUser(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	created, err := p.admin.Ops.CreateUser(c, identity.NewUser{Username: form(c, "username"),
		DisplayName: form(c, "display_name"), Password: strings.Clone(c.FormValue("password")),
		Role: policy.Role(form(c, "role")), Domain: form(c, "domain")})
	if err != nil {
		return err
	}
	// The account changes this password and enrols its own second factor at the
	// first login: nothing secret is shown to the administrator.
	return done(c, Prefix+"/admin/users/"+url.PathEscape(created.User.Username), "created")
}

type userPage struct {
	Account identity.Account
	Locked  bool
	Roles   []roleOption
}

// userInRegion loads the account and checks the caller manages users of its
// domain: outside the caller's region 403 (audited); an unknown name is 404
// only for a caller reaching the province.
func (p *Portal) userInRegion(c *fiber.Ctx) (identity.Account, error) {
	if err := p.requireAdmin(c, policy.ObjUser, policy.ActRead); err != nil {
		return identity.Account{}, err
	}
	a, err := p.admin.Identity.Account(c.UserContext(), strings.Clone(c.Params("username")))
	res := p.admin.Ops.DomainPath(c.UserContext(), a.Domain)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		res = tiers.ProvinceCode
	} else if err != nil {
		return a, err
	}
	if cerr := p.guard.Check(c, policy.ObjUser, policy.ActRead, res); cerr != nil {
		return a, cerr
	}
	return a, err
}

func (p *Portal) adminUser(c *fiber.Ctx) error {
	a, err := p.userInRegion(c)
	if err != nil {
		return err
	}
	return p.renderAdmin(c, "admin_user", "账号 "+a.Username, "users", userPage{Account: a,
		Locked: a.Locked(p.cfg.Now()), Roles: roleOptions()})
}

func userPath(c *fiber.Ctx) string {
	return Prefix + "/admin/users/" + url.PathEscape(c.Params("username"))
}

// accountActions are 用户与角色's list, creation and account page, and 解锁,
// 重置密码, 停用 and 启用 of an account: the operations check the caller's role
// and region (and audit), as the admin API's do.
func (p *Portal) accountActions() web.AccountActions {
	ops := func() Operations { return p.admin.Ops } // nil admin (pages off): Account refuses first
	return web.AccountActions{List: p.adminUsers, Create: p.adminCreateUser, Show: p.adminUser,
		Account: func(c *fiber.Ctx) (string, error) {
			if p.admin == nil {
				return "", errNoAdmin
			}
			return strings.Clone(c.Params("username")), nil
		},
		Password: func(c *fiber.Ctx) (string, error) {
			f := resetForm{Password: strings.Clone(c.FormValue("password")), Password2: strings.Clone(c.FormValue("password2"))}
			return f.Password, webform.Check(&f)
		},
		Unlock:        func(c *fiber.Ctx, username string) error { return ops().UnlockUser(c, username) },
		ResetPassword: func(c *fiber.Ctx, username, password string) error { return ops().ResetPassword(c, username, password) },
		SetDisabled: func(c *fiber.Ctx, username string, disabled bool) error {
			return ops().SetDisabled(c, username, disabled)
		},
		Done: func(c *fiber.Ctx, action web.AccountAction) error { return done(c, userPath(c), string(action)) },
	}
}

// resetForm is the 重置密码 form; the password policy is identity's.
type resetForm struct {
	Password  string `form:"password" label:"新密码" validate:"required"`
	Password2 string `form:"password2" label:"确认新密码" validate:"eqfield=Password"`
}

func (p *Portal) adminSetMobile(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	if err := p.admin.Ops.SetMobile(c, strings.Clone(c.Params("username")), form(c, "mobile")); err != nil {
		return err
	}
	return done(c, userPath(c), "mobile")
}

func (p *Portal) adminGrant(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	if err := p.admin.Ops.GrantRole(c, strings.Clone(c.Params("username")), policy.Role(form(c, "role")), ""); err != nil {
		return err
	}
	return done(c, userPath(c), "granted")
}

func (p *Portal) adminRevoke(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	if err := p.admin.Ops.RevokeRole(c, strings.Clone(c.Params("username")), policy.Role(form(c, "role")), ""); err != nil {
		return err
	}
	return done(c, userPath(c), "revoked")
}

// regionDivisions are the divisions the caller's domain covers: the province
// every one, a city itself and its counties, a county itself; nil for a park
// or enterprise domain.
func regionDivisions(domain string) []tiers.Division {
	d, ok := tiers.DivisionByCode(domain)
	if !ok {
		return nil
	}
	if d.Level == tiers.Province {
		return tiers.Divisions()
	}
	return append([]tiers.Division{d}, tiers.Children(d.Code)...)
}

type divisionRow struct {
	tiers.Division
	Parks []tiers.Park
}

type parksPage struct {
	Divisions []divisionRow
	Parks     int
	CanAdd    bool
}

func (p *Portal) adminParks(c *fiber.Ctx) error {
	if !p.sections(c).Parks {
		return p.requireAdmin(c, policy.ObjEnterprise, policy.ActRegister)
	}
	divs := regionDivisions(identity.UserFrom(c).Domain)
	codes := make([]string, 0, len(divs))
	for _, d := range divs {
		codes = append(codes, d.Code)
	}
	parks, err := p.admin.Parks.List(c.UserContext(), codes)
	if err != nil {
		return err
	}
	byDiv := map[string][]tiers.Park{}
	for _, pk := range parks {
		byDiv[pk.DivisionCode] = append(byDiv[pk.DivisionCode], pk)
	}
	page := parksPage{Parks: len(parks), CanAdd: p.admin.Ops.Can(c, policy.ObjEnterprise, policy.ActRegister)}
	for _, d := range divs {
		if d.Level != tiers.Province {
			page.Divisions = append(page.Divisions, divisionRow{Division: d, Parks: byDiv[d.Code]})
		}
	}
	return p.renderAdmin(c, "admin_parks", "区划与园区", "parks", page)
}

func (p *Portal) adminAddPark(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	if err := p.admin.Ops.AddPark(c, tiers.Park{Code: form(c, "code"), Name: form(c, "name"),
		DivisionCode: form(c, "division_code")}); err != nil {
		return err
	}
	return done(c, Prefix+"/admin/parks", "park")
}

type adminCompaniesPage struct {
	Q         string
	Companies []readmodel.Enterprise
	Pager     web.Pager
	Counties  []tiers.Division
	Kinds     []string
}

// registrarScope is the enterprises a 系统管理员 manages: those of its domain.
func registrarScope(c *fiber.Ctx) tiers.Scope { return tiers.ScopeOf(identity.UserFrom(c).Domain) }

func (p *Portal) adminCompanies(c *fiber.Ctx) error {
	if err := p.requireAdmin(c, policy.ObjEnterprise, policy.ActRegister); err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	list, total, err := p.companyQueries.Enterprises(c.UserContext(), registrarScope(c), q, nil, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	var counties []tiers.Division
	for _, d := range regionDivisions(identity.UserFrom(c).Domain) {
		if d.Level == tiers.County {
			counties = append(counties, d)
		}
	}
	return p.renderAdmin(c, "admin_companies", "企业与密钥", "companies", adminCompaniesPage{Q: q, Companies: list,
		Counties: counties, Kinds: store.EnterpriseKinds,
		Pager: p.pager(Prefix+"/admin/companies", url.Values{"q": {q}}, number, total)})
}

func (p *Portal) adminRegister(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	e := store.Enterprise{Code: form(c, "code"), Name: form(c, "name"), DivisionCode: form(c, "division_code"),
		ParkCode: form(c, "park_code"), Kind: form(c, "kind")}
	cred, err := p.admin.Ops.RegisterEnterprise(c, e)
	if err != nil {
		return err
	}
	return p.renderAdmin(c, "admin_secret", "企业已登记", "companies", secretPage{Heading: "企业已登记：" + e.Name + "（" + e.Code + "）",
		What:   "这是该企业上报数据用的 API 密钥（Authorization: Bearer …）和请求签名密钥。两者只显示这一次，平台只保存密钥的摘要；遗失时请轮换密钥。",
		Secret: cred.Key, SigningSecret: cred.SigningSecret, Back: Prefix + "/admin/companies/" + url.PathEscape(e.Code)})
}

// adminIssueCompanyAdmin issues the company's 企业管理员 account; its one-time
// password is shown once, like a key.
func (p *Portal) adminIssueCompanyAdmin(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	code := strings.Clone(c.Params("code"))
	username := form(c, "username")
	password, err := p.admin.Ops.IssueCompanyAdmin(c, code, username, form(c, "display_name"))
	if err != nil {
		return err
	}
	return p.renderAdmin(c, "admin_secret", "企业管理员已开通", "companies", secretPage{
		Heading: "企业 " + code + " 的企业管理员：" + username,
		What: "这是该账号的一次性初始密码，只显示这一次，平台只保存其摘要。请当面或以安全方式交给企业，" +
			"企业管理员在企业端基础系统（/e/login）首次登录时必须修改密码，之后由其创建本企业的其他账号。",
		Secret: password, Back: Prefix + "/admin/companies/" + url.PathEscape(code)})
}

type adminCompanyPage struct {
	Company readmodel.Enterprise
	Keys    []store.Key
	Active  int
}

func (p *Portal) adminCompany(c *fiber.Ctx) error {
	if err := p.requireAdmin(c, policy.ObjEnterprise, policy.ActRegister); err != nil {
		return err
	}
	e, err := p.companyQueries.Enterprise(c.UserContext(), strings.Clone(c.Params("code")))
	res := e.Path()
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		res = tiers.ProvinceCode
	} else if err != nil {
		return err
	}
	if cerr := p.guard.Check(c, policy.ObjEnterprise, policy.ActRegister, res); cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	keys, err := p.admin.Enterprises.Keys(c.UserContext(), e.Code)
	if err != nil {
		return err
	}
	page := adminCompanyPage{Company: e, Keys: keys}
	for _, k := range keys {
		if k.RevokedAt == nil {
			page.Active++
		}
	}
	return p.renderAdmin(c, "admin_company", e.Name, "companies", page)
}

func (p *Portal) adminRotate(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	code := strings.Clone(c.Params("code"))
	cred, n, err := p.admin.Ops.RotateKey(c, code)
	if err != nil {
		return err
	}
	return p.renderAdmin(c, "admin_secret", "密钥已轮换", "companies", secretPage{Heading: "企业 " + code + " 的新 API 密钥",
		What:   "已吊销旧密钥 " + strconv.FormatInt(n, 10) + " 个。新密钥和签名密钥只显示这一次，请交给企业替换；平台只保存密钥的摘要。",
		Secret: cred.Key, SigningSecret: cred.SigningSecret, Back: Prefix + "/admin/companies/" + url.PathEscape(code)})
}

func (p *Portal) adminRevokeKeys(c *fiber.Ctx) error {
	if p.admin == nil {
		return errNoAdmin
	}
	code := strings.Clone(c.Params("code"))
	if _, err := p.admin.Ops.RevokeKeys(c, code); err != nil {
		return err
	}
	return done(c, Prefix+"/admin/companies/"+url.PathEscape(code), "keys_revoked")
}
