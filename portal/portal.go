// Package portal owns the regulator portal (监管端门户): server-rendered pages in
// Chinese for 登录, 首页/综合分析, 风险预警, 企业列表, 企业一张图 and 数据浏览, every one scoped to
// the logged-in user's region in SQL (tiers.Scope) and checked per enterprise by the
// access service. Templates, styles, scripts and the echarts map are embedded in the
// binary: government networks are often closed, so nothing comes from a CDN.
package portal

import (
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the portal. Zero fields take the defaults.
type Config struct {
	// InsecureCookie drops the session cookie's Secure attribute, as
	// CHEMGUARD_INSECURE_COOKIE does for the API's login (plain-HTTP development).
	InsecureCookie bool
	// Now is the clock ("today", "online"); time.Now when nil.
	Now func() time.Time
	// PageSize is the rows per page of every list (web.DefaultPageSize).
	PageSize int
	// OnlineWindow: a company that uploaded anything within it is online
	// (web.DefaultOnlineWindow).
	OnlineWindow time.Duration
	// LiveEvery is how often /portal/live sends the home page's figures (15s);
	// LiveFor how long one stream lasts before the browser reconnects (5m).
	LiveEvery, LiveFor time.Duration
}

// Prefix is where the portal is mounted.
const Prefix = "/portal"

// Portal serves the regulator pages. It is safe for concurrent use.
type Portal struct {
	cfg            Config
	guard          web.Guard
	sessions       web.Sessions
	companyQueries *readmodel.Companies
	warningQueries *readmodel.Warnings
	forms          csrf.Secrets
	files          Files
	admin          *Admin   // nil until EnableAdmin
	quality        *Quality // nil until EnableQuality
	rollout        *Rollout // nil until EnableRollout
	apiDocs        APIDocs  // nil until EnableAPIDocs
	pages          *web.Templates
}

// New parses the embedded templates and returns the portal on pool; files holds
// the exchange records' files (alarm images), nil for none.
func New(cfg Config, pool *pgxpool.Pool, guard web.Guard, sessions web.Sessions, files Files) (*Portal, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = web.DefaultPageSize
	}
	if cfg.OnlineWindow <= 0 {
		cfg.OnlineWindow = web.DefaultOnlineWindow
	}
	if cfg.LiveEvery <= 0 {
		cfg.LiveEvery = DefaultLiveEvery
	}
	if cfg.LiveFor <= 0 {
		cfg.LiveFor = DefaultLiveFor
	}
	pages, err := web.ParseTemplates(templateFS, funcs, []string{"login", "error", "home", "companies", "company", "data",
		"rejections", "warnings", "warning", "trend", "admin_users", "admin_user", "admin_parks", "admin_companies",
		"admin_company", "admin_secret", "audit", "quality", "quality_company", "quality_notices", "quality_notice",
		"account", "apidocs", "rollout", "rollout_company", "dual", "statistics_alarms", "permits", "permit"}, adminNav)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	return &Portal{cfg: cfg, guard: guard, sessions: sessions, files: files, pages: pages,
		companyQueries: readmodel.NewCompanies(pool), warningQueries: readmodel.NewWarnings(pool),
		forms: csrf.Secrets{SessionCookie: identity.CookieName, InsecureCookie: cfg.InsecureCookie}}, nil
}

// adminNav adds the 系统管理 navigation to its pages.
func adminNav(name string) []string {
	if strings.HasPrefix(name, "admin_") {
		return []string{"templates/admin_nav.html"}
	}
	return nil
}

// Register mounts the portal on app: GET / redirects to /portal/; the static
// files under /portal/static/; /portal/login and /portal/logout; every other
// page requires a session and otherwise redirects to the login page.
func (p *Portal) Register(app fiber.Router) {
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect(Prefix+"/", fiber.StatusFound) })
	web.Static(app, Prefix+"/static", staticFS, "static")
	r := web.PageApp{Prefix: Prefix, CSP: csp, Forms: p.forms, Sessions: p.sessions, InsecureCookie: p.cfg.InsecureCookie,
		Render: func(c *fiber.Ctx, f web.LoginForm) error { return p.render(c, "login", "登录", "", f) },
		Fail:   p.errorPage, Session: []fiber.Handler{p.session}}.Mount(app)
	r.Get("/", p.home)
	r.Get("/live", p.live)
	r.Get("/companies", p.companies)
	r.Get("/companies/:code", p.company)
	r.Get("/companies/:code/indicators/:indicator", p.trend)
	r.Get("/companies/:code/video-alarms/:table/:alarm/image", p.alarmImage)
	r.Get("/data", p.data)
	r.Get("/rejections", p.rejections)
	r.Get("/warnings", p.warnings)
	r.Get("/warnings/:id", p.warning)
	r.Get("/statistics/alarms", p.alarmStats)
	r.Get("/statistics/alarms.xlsx", p.alarmStatsXLSX)
	p.registerPermits(r)
	p.registerAdmin(r)
	p.registerQuality(r)
	p.registerRollout(r)
	p.registerAccount(r)
	r.Get("/api", p.apiDocsPage)
}

// csp lets pages load scripts and styles only from the binary, be framed by
// no one and post forms only here.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; " +
	"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// session loads the session user and runs the page; without a valid session it
// redirects to the login page, and a page's error becomes an error page.
func (p *Portal) session(c *fiber.Ctx) error {
	if c.Path() == Prefix+"/live" {
		c.SetUserContext(identity.Passive(c.UserContext())) // not the user's activity
	}
	if web.IsAccountPath(c.Path()) {
		c.SetUserContext(identity.AllowPending(c.UserContext()))
	}
	err := p.guard.Authenticate(c)
	if errors.Is(err, identity.ErrPending) {
		// The account must change its password or enrol a second factor first.
		return c.Redirect(web.AccountPath, fiber.StatusSeeOther)
	}
	if identity.UserFrom(c) == nil {
		if chemguard.ErrorCode(err) == chemguard.EUnauthorized {
			web.ClearSessionCookie(c, p.cfg.InsecureCookie)
			return c.Redirect(Prefix+"/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
	}
	if err != nil {
		return p.errorPage(c, err)
	}
	return nil
}

func (p *Portal) errorPage(c *fiber.Ctx, err error) error {
	status, msg := web.ErrorMessage(c, err)
	return p.render(c.Status(status), "error", "出错了", "", map[string]any{"Status": status, "Message": msg})
}

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string // the active navigation entry
	User   *userView
	Admin  bool // the caller may open 系统管理
	Audit  bool // the caller may read the audit log (审计管理员)
	Page   any
	Now    time.Time
	Prefix string
	CSRF   string // the token every post form carries (csrf.FieldName)
}

type userView struct {
	Name   string
	Roles  string
	Region string
}

func (p *Portal) render(c *fiber.Ctx, page, title, nav string, data any) error {
	v := view{Title: title, Nav: nav, Page: data, Now: p.cfg.Now(), Prefix: Prefix}
	tok, err := p.forms.FormToken(c)
	if err != nil {
		return fmt.Errorf("portal: render %s: %w", page, err)
	}
	v.CSRF = tok
	if u := identity.UserFrom(c); u != nil {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		labels := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			labels[i] = r.Label()
		}
		v.User = &userView{Name: name, Roles: strings.Join(labels, "、"), Region: readmodel.RegionName(u.Domain)}
		if p.admin != nil {
			v.Admin = p.sections(c).any()
			v.Audit = p.admin.Ops.Can(c, policy.ObjAudit, policy.ActRead)
		}
	}
	return p.pages.Render(c, page, v)
}
