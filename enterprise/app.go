package enterprise

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

//go:embed static
var staticFS embed.FS

// Identity is what the base system asks of the platform's identity service
// (identity.Service implements it): the same login, lockout, second factor,
// password rules and audit as for regulators.
type Identity interface {
	web.Sessions
	CreateUser(ctx context.Context, nu identity.NewUser, actor identity.Actor) (*identity.Created, error)
	Unlock(ctx context.Context, username string, actor identity.Actor) error
	SetDisabled(ctx context.Context, username string, disabled bool, actor identity.Actor) error
	ResetPassword(ctx context.Context, username, password string, actor identity.Actor) error
	SetMobile(ctx context.Context, username, mobile string, actor identity.Actor) error
}

// Grants changes a company account's role (policy.Authorizer implements it).
type Grants interface {
	GrantRole(ctx context.Context, sub string, role policy.Role, domain, actor string) error
	RevokeRole(ctx context.Context, sub string, role policy.Role, domain, actor string) (bool, error)
}

// Config tunes the App.
type Config struct {
	// InsecureCookie drops the cookies' Secure attribute (plain-HTTP development).
	InsecureCookie bool
	// Now is the clock (time.Now when nil).
	Now Clock
}

// App is the base system's web app: the shell at Prefix and PhonePrefix, the
// member guard, accounts, the inbox, the 数据上报 page and the modules. It is
// safe for concurrent use.
type App struct {
	cfg      Config
	pool     *pgxpool.Pool
	guard    web.Guard
	ident    Identity
	grants   Grants
	audit    audit.Recorder
	members  *Members
	outbox   *Outbox
	inbox    *Inbox
	systems  *Systems
	forms    csrf.Secrets
	pages    *web.Templates
	phone    *web.Templates
	modules  []Module
	warnings *readmodel.Warnings
	actions  WarningActions
	im       *IMRobots
	pcNav    []NavItem
	phoneNav []NavItem
}

// Deps are the App's collaborators.
type Deps struct {
	Pool     *pgxpool.Pool
	Guard    web.Guard // loads the session (auth.Service)
	Identity Identity
	Grants   Grants
	Audit    audit.Recorder
	Members  *Members
	Outbox   *Outbox
	Inbox    *Inbox
	Modules  []Module
	// IM is the companies' own group robots (the 群机器人 page); nil: no page.
	IM *IMRobots
	// Warnings signs for and answers the company's 预警 (the warning engine's
	// service); the 风险预警 pages read them through the platform's read model.
	Warnings WarningActions
}

// New returns the app; its pages are parsed here, so a template error stops
// the start.
func New(cfg Config, d Deps) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if d.Pool == nil || d.Guard == nil || d.Identity == nil || d.Grants == nil || d.Audit == nil ||
		d.Members == nil || d.Outbox == nil || d.Inbox == nil || d.Warnings == nil {
		return nil, errors.New("enterprise: New: a dependency is missing")
	}
	a := &App{cfg: cfg, pool: d.Pool, guard: d.Guard, ident: d.Identity, grants: d.Grants, audit: d.Audit,
		members: d.Members, outbox: d.Outbox, inbox: d.Inbox, systems: NewSystems(d.Pool), modules: d.Modules,
		warnings: readmodel.NewWarnings(d.Pool), actions: d.Warnings, im: d.IM,
		forms: csrf.Secrets{SessionCookie: identity.CookieName, InsecureCookie: cfg.InsecureCookie}}
	var err error
	if a.pages, err = Pages(shellFS, shellFuncs, "login", "error", "home", "account", "inbox", "exchange",
		"accounts", "account_edit", "departments", "warnings", "warning", "im"); err != nil {
		return nil, fmt.Errorf("enterprise: %w", err)
	}
	if a.phone, err = PhonePages(shellFS, shellFuncs, "phone_home", "phone_inbox", "phone_offline", "phone_error",
		"phone_warnings", "phone_warning"); err != nil {
		return nil, fmt.Errorf("enterprise: %w", err)
	}
	a.pcNav = []NavItem{
		{Label: "首页", Path: Prefix + "/"},
		{Label: "消息", Path: Prefix + "/inbox"},
		{Label: "风险预警", Path: Prefix + "/warnings", Roles: warningReaders},
	}
	a.phoneNav = []NavItem{{Label: "首页", Path: PhonePrefix + "/"}, {Label: "消息", Path: PhonePrefix + "/inbox"},
		{Label: "预警", Path: PhonePrefix + "/warnings", Roles: warningReaders}}
	for _, m := range d.Modules {
		pc, phone := ModuleNav(m)
		a.pcNav = append(a.pcNav, pc...)
		a.phoneNav = append(a.phoneNav, phone...)
	}
	a.pcNav = append(a.pcNav,
		NavItem{Label: "数据上报", Path: Prefix + "/exchange", Roles: Managers},
		NavItem{Label: "人员账号", Path: Prefix + "/admin/accounts", Roles: []policy.Role{policy.EnterpriseAdmin}},
		NavItem{Label: "部门与岗位", Path: Prefix + "/admin/departments", Roles: []policy.Role{policy.EnterpriseAdmin}})
	if a.im != nil {
		a.pcNav = append(a.pcNav, NavItem{Label: "群机器人", Path: Prefix + "/admin/im", Roles: []policy.Role{policy.EnterpriseAdmin}})
	}
	a.pcNav = append(a.pcNav, NavItem{Label: "账户安全", Path: Prefix + "/account"})
	return a, nil
}

// csp lets pages load scripts, styles and workers only from the binary.
const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; " +
	"script-src 'self'; worker-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// Register mounts the app: static files, the PWA's manifest and worker, the
// login, and behind the member guard and the CSRF check the foundation's
// pages and every module's.
func (a *App) Register(app fiber.Router) {
	app.Get(Prefix+"/static/outbox.js", web.Outbox)
	web.Static(app, Prefix+"/static", staticFS, "static")
	app.Get(PhonePrefix+"/manifest.webmanifest", a.asset("static/manifest.webmanifest", "application/manifest+json"))
	// The worker is served from /e/m/ so that its scope is the phone pages.
	sw, err := staticFS.ReadFile("static/sw.js")
	if err != nil {
		panic(err) // embedded at build time
	}
	app.Get(PhonePrefix+"/sw.js", web.ServiceWorker(sw, "chemguard-e-shell", staticFS, shellFS))
	// A regulator's credentials sign in too and are then refused by the member
	// guard: the login answers alike for every account, so it tells nothing
	// about one. Signing out clears the phone pages' cached copies on a shared
	// phone (the worker drops them too; this covers a browser without it).
	e := web.PageApp{Prefix: Prefix, CSP: csp, Forms: a.forms, Sessions: a.ident, InsecureCookie: a.cfg.InsecureCookie,
		Render: a.loginPage, Fail: a.fail, ClearCache: true, Before: []fiber.Handler{legacyFormField},
		Public: map[string]fiber.Handler{"/m/offline": func(c *fiber.Ctx) error {
			return a.phone.Render(c, "phone_offline", NewPage(c, "离线", true))
		}},
		Session: []fiber.Handler{a.session, a.member, a.dedup}}.Mount(app)
	e.Get("/", a.home)
	e.Get("/account", a.accountPage)
	e.Post("/account/password", a.changePassword)
	e.Post("/account/totp", a.beginTOTP)
	e.Post("/account/totp/confirm", a.confirmTOTP)
	e.Get("/inbox", a.inboxPage(false))
	e.Post("/inbox/read", a.markRead)
	e.Get("/m/", a.phoneHome)
	e.Get("/m/inbox", a.inboxPage(true))
	e.Get("/warnings", a.require(warningReaders...), a.warningsList(false))
	e.Get("/warnings/:id", a.require(warningReaders...), a.warningDetail(false))
	e.Post("/warnings/:id/act", a.require(warningHandlers...), a.warningAct)
	e.Get("/m/warnings", a.require(warningReaders...), a.warningsList(true))
	e.Get("/m/warnings/:id", a.require(warningReaders...), a.warningDetail(true))
	e.Get("/exchange", a.require(Managers...), a.exchangePage)
	e.Post("/exchange/system", a.require(policy.EnterpriseAdmin), a.chooseSystem)
	adm := e.Group("/admin", a.require(policy.EnterpriseAdmin))
	a.accountActions().Mount(adm, "/accounts", ":id")
	adm.Get("/departments", a.departmentsPage)
	adm.Post("/departments", a.addDepartment)
	adm.Post("/departments/:id", a.updateDepartment)
	adm.Post("/departments/:id/delete", a.deleteDepartment)
	adm.Post("/posts", a.addPost)
	adm.Post("/posts/:id/delete", a.deletePost)
	if a.im != nil {
		adm.Get("/im", a.imSettings)
		adm.Post("/im", a.imSave)
		adm.Post("/im/test", a.imTest)
		adm.Post("/im/disable", a.imDisable(true))
		adm.Post("/im/enable", a.imDisable(false))
	}
	pc, phone := app.Group(Prefix), app.Group(PhonePrefix)
	for _, m := range a.modules {
		MountModule(m, pc, phone)
	}
}

func (a *App) asset(name, contentType string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(b)
	}
}

// legacyFormField accepts the form token under the field name the shell's
// contract documents (_csrf, which Page.CSRF's forms carry) as well as under
// csrf.FieldName: it copies it into the header CheckForm reads, before the check.
func legacyFormField(c *fiber.Ctx) error {
	if !csrf.Safe(c.Method()) && c.Get(csrf.HeaderName) == "" && c.FormValue(csrf.FieldName) == "" {
		if v := c.FormValue("_csrf"); v != "" {
			c.Request().Header.Set(csrf.HeaderName, v)
		}
	}
	return c.Next()
}

// wantsJSON: the offline queue's replays ask for JSON answers.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
}

// isAccountPath reports whether path is one a pending account may use.
func isAccountPath(path string) bool {
	return path == Prefix+"/account" || strings.HasPrefix(path, Prefix+"/account/")
}

// session loads the session user; without one a page redirects to the login
// (a JSON caller gets 401). An account that must first change its password or
// enrol a second factor may open only /e/account, and is sent there.
func (a *App) session(c *fiber.Ctx) error {
	if isAccountPath(c.Path()) {
		c.SetUserContext(identity.AllowPending(c.UserContext()))
	}
	err := a.guard.Authenticate(c)
	if identity.UserFrom(c) == nil && chemguard.ErrorCode(err) == chemguard.EUnauthorized && !wantsJSON(c) {
		return c.Redirect(Prefix+"/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if errors.Is(err, identity.ErrPending) && identity.UserFrom(c) == nil && !wantsJSON(c) {
		return c.Redirect(Prefix+"/account", fiber.StatusSeeOther)
	}
	if err != nil {
		return a.fail(c, err)
	}
	return nil
}

// errNotCompany is the refusal of an account that is not a company's.
var errNotCompany = chemguard.Errorf(chemguard.EForbidden,
	"企业安全生产基础系统仅供企业人员使用；监管部门请在监管门户查看企业上报的数据",
	"the base system is for company accounts only; regulators read a company's data through the portal")

// member builds the request's Member from the session user: only accounts of
// a company's domain pass (a regulator is refused and the refusal audited).
func (a *App) member(c *fiber.Ctx) error {
	u := identity.UserFrom(c)
	company, ok := strings.CutPrefix(u.Domain, tiers.EnterprisePrefix)
	if !ok {
		ev := a.guard.Actor(c)
		ev.Action, ev.Object, ev.Result = audit.ActionDeny, c.Method()+" "+c.OriginalURL(), audit.ResultDenied
		ev.Detail = map[string]string{"reason": "not a company account"}
		if err := a.audit.Record(c.UserContext(), ev); err != nil {
			return err
		}
		return a.fail(c, errNotCompany)
	}
	dep, posts, err := a.members.Membership(c.UserContext(), company, u.ID)
	if err != nil {
		return err
	}
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	m := &Member{UserID: u.ID, Username: u.Username, DisplayName: name, Company: company,
		Roles: u.Roles, Department: dep, Posts: posts}
	SetMember(c, m)
	tok, err := a.forms.FormToken(c)
	if err != nil {
		return err
	}
	SetPageContext(c, tok, visible(m, a.pcNav), visible(m, a.phoneNav))
	if !u.Pending() {
		n, err := a.inbox.Unread(c.UserContext(), company, u.ID)
		if err != nil {
			return err
		}
		setUnread(c, n)
	}
	return c.Next()
}

// visible is the navigation m may see.
func visible(m *Member, nav []NavItem) []NavItem {
	var out []NavItem
	for _, it := range nav {
		if len(it.Roles) == 0 || m.Has(it.Roles...) {
			out = append(out, it)
		}
	}
	return out
}

// errRole is the refusal of a page the member's roles do not open.
var errRole = chemguard.Errorf(chemguard.EForbidden, "本账号的角色无权使用此功能", "your role may not use this function")

// require lets only members holding one of roles through; a refusal is audited.
func (a *App) require(roles ...policy.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if m := MemberFrom(c); m != nil && m.Has(roles...) {
			return c.Next()
		}
		ev := a.guard.Actor(c)
		ev.Action, ev.Object, ev.Result = audit.ActionDeny, c.Method()+" "+c.OriginalURL(), audit.ResultDenied
		if err := a.audit.Record(c.UserContext(), ev); err != nil {
			return err
		}
		return errRole
	}
}

// fail answers err: JSON to script callers, the error page to a browser.
func (a *App) fail(c *fiber.Ctx, err error) error {
	if wantsJSON(c) {
		return web.ErrorHandler(c, err)
	}
	status, msg := web.ErrorMessage(c, err)
	phone := strings.HasPrefix(c.Path(), PhonePrefix+"/")
	p := struct {
		Page
		Status  int
		Message string
	}{NewPage(c, "出错了", phone), status, msg}
	if p.CSRF == "" {
		p.CSRF, _ = a.forms.FormToken(c)
	}
	if phone {
		return a.phone.Render(c.Status(status), "phone_error", p)
	}
	return a.pages.Render(c.Status(status), "error", p)
}

// audited records what a member did.
func (a *App) audited(c *fiber.Ctx, action, object string, detail any, err error) error {
	ev := a.guard.Actor(c)
	ev.Action, ev.Object, ev.Result, ev.Detail = action, object, audit.ResultOK, detail
	if err != nil {
		ev.Result = "failed"
	}
	if aerr := a.audit.Record(c.UserContext(), ev); aerr != nil {
		return aerr
	}
	return err
}

func (a *App) actor(c *fiber.Ctx) identity.Actor {
	return identity.ActorOf(identity.UserFrom(c), c.IP())
}

var shellFuncs = template.FuncMap{
	"region": readmodel.RegionName,
	"rolezh": func(r policy.Role) string { return r.Label() },
	"roleszh": func(rs []policy.Role) string {
		s := make([]string, len(rs))
		for i, r := range rs {
			s[i] = r.Label()
		}
		return strings.Join(s, "、")
	},
	"join":  strings.Join,
	"has":   func(ids []int64, id int64) bool { return slices.Contains(ids, id) },
	"whenz": func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02 15:04:05") },
}
