package inspect

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

//go:generate go run icons_gen.go

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the app is mounted; the service worker's scope.
const Prefix = "/m"

// Permissions answers whether a subject may do something without auditing a
// refusal (for showing buttons); policy.Authorizer implements it.
type Permissions interface {
	Allowed(sub, dom, obj, act, res string) bool
}

// Exchange publishes records through the exchange pipeline; ingest.Handler implements it.
type Exchange interface {
	Submit(ctx context.Context, t *schemas.Table, company string, body []byte, now time.Time) (*ingest.BatchReply, error)
}

// Files stores photos; filestore.Dir implements it.
type Files interface {
	Put(data []byte) (string, error)
	Get(ref string) ([]byte, error)
}

// Config tunes the app. Zero fields take the defaults.
type Config struct {
	// Plans are the 在线巡查 plans per tier (CHEMGUARD_PATROL_PLANS; DefaultPlans).
	Plans map[Tier]Plan
	// InsecureCookie drops the session cookie's Secure attribute (plain-HTTP development).
	InsecureCookie bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnlineWindow: a company that uploaded anything within it is online (30 min).
	OnlineWindow time.Duration
	// MaxPhotos and MaxPhotoBytes bound one record's photos (6, 10 MB each).
	MaxPhotos, MaxPhotoBytes int
	// PageSize is the rows per page of 检查记录 (20).
	PageSize int
}

// Defaults for Config.
const (
	DefaultMaxPhotos     = 6
	DefaultMaxPhotoBytes = 10 << 20
)

// ErrConfig is returned by New for an invalid plan.
var ErrConfig = errors.New("inspect: invalid configuration")

// App serves the inspector mobile app. It is safe for concurrent use.
type App struct {
	cfg      Config
	guard    web.Guard
	perms    Permissions
	sessions web.Sessions
	exchange Exchange
	files    Files
	audit    audit.Recorder
	store    *Store
	forms    csrf.Secrets
	pages    *web.Templates
}

// New returns the app on pool; every write is recorded on rec.
func New(cfg Config, pool *pgxpool.Pool, guard web.Guard, perms Permissions, sessions web.Sessions,
	exchange Exchange, files Files, rec audit.Recorder) (*App, error) {
	if cfg.Plans == nil {
		cfg.Plans = DefaultPlans()
	}
	for t, p := range cfg.Plans {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%w: plan %s: %w", ErrConfig, t, err)
		}
	}
	for t, p := range DefaultPlans() {
		if _, ok := cfg.Plans[t]; !ok {
			cfg.Plans[t] = p
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnlineWindow <= 0 {
		cfg.OnlineWindow = web.DefaultOnlineWindow
	}
	if cfg.MaxPhotos <= 0 {
		cfg.MaxPhotos = DefaultMaxPhotos
	}
	if cfg.MaxPhotoBytes <= 0 {
		cfg.MaxPhotoBytes = DefaultMaxPhotoBytes
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = web.DefaultPageSize
	}
	pages, err := web.ParseTemplates(templateFS, funcs,
		[]string{"login", "error", "home", "patrol", "check", "spot", "supervise", "warnings", "records", "record", "offline"}, nil)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	return &App{cfg: cfg, guard: guard, perms: perms, sessions: sessions, exchange: exchange, files: files, audit: rec,
		store: NewStore(pool), pages: pages,
		forms: csrf.Secrets{SessionCookie: identity.CookieName, InsecureCookie: cfg.InsecureCookie}}, nil
}

// Register mounts the app under /m: the manifest, service worker and static
// files; /m/login, /m/logout and /m/offline; every other page needs a session.
func (a *App) Register(app fiber.Router) {
	app.Get(Prefix+"/static/outbox.js", web.Outbox)
	web.Static(app, Prefix+"/static", staticFS, "static")
	app.Get(Prefix+"/manifest.webmanifest", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/manifest+json")
		return c.Send(mustRead("static/manifest.webmanifest"))
	})
	// The worker is served from /m/ so that its scope is the whole app.
	app.Get(Prefix+"/sw.js", web.ServiceWorker(mustRead("static/sw.js"), "chemguard-m-shell", staticFS, templateFS))
	r := web.PageApp{Prefix: Prefix, CSP: csp, Forms: a.forms, Sessions: a.sessions, InsecureCookie: a.cfg.InsecureCookie,
		Render:  func(c *fiber.Ctx, f web.LoginForm) error { return a.render(c, "login", "登录", "", f) },
		Fail:    a.fail,
		Public:  map[string]fiber.Handler{"/offline": func(c *fiber.Ctx) error { return a.render(c, "offline", "离线", "", nil) }},
		Session: []fiber.Handler{a.session}}.Mount(app)
	r.Get("/", a.home)
	r.Get("/patrol", a.patrol)
	r.Get("/patrol/:code", a.patrolForm)
	r.Get("/spot", a.spots)
	r.Post("/spot/draw", a.draw)
	r.Get("/spot/:id", a.spotForm)
	r.Get("/supervise", a.supervise)
	r.Get("/supervise/:code", a.superviseForm)
	r.Get("/warnings", a.warnings)
	r.Get("/records", a.records)
	r.Post("/records", a.submit)
	r.Get("/records/:id", a.record)
	r.Get("/records/:id/photos/:n", a.photo)
}

func mustRead(name string) []byte {
	b, err := staticFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// csp lets pages load scripts, styles and workers only from the binary (images
// also from data: and blob:, the photos being taken), be framed by no one and
// post forms only here. The offline queue's replays carry the current page's
// CSRF token, so web.PageHeaders checks them like any form.
const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; " +
	"script-src 'self'; worker-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// wantsJSON: the offline queue's replays ask for JSON answers.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
}

// session loads the session user and runs the page; without one it redirects
// to the login page (a JSON caller gets 401).
func (a *App) session(c *fiber.Ctx) error {
	err := a.guard.Authenticate(c)
	if identity.UserFrom(c) == nil && chemguard.ErrorCode(err) == chemguard.EUnauthorized && !wantsJSON(c) {
		return c.Redirect(Prefix+"/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	if errors.Is(err, identity.ErrPending) && !wantsJSON(c) {
		// The password must be changed or a second factor enrolled first, on the
		// portal's 账号安全 page (the app has no account page of its own).
		return c.Redirect(web.AccountPath, fiber.StatusSeeOther)
	}
	if err != nil {
		return a.fail(c, err)
	}
	return nil
}

// fail answers err: JSON (the platform's error body) to the offline queue, an
// error page to a browser.
func (a *App) fail(c *fiber.Ctx, err error) error {
	if wantsJSON(c) {
		return web.ErrorHandler(c, err)
	}
	status, msg := web.ErrorMessage(c, err)
	var ae *chemguard.Error
	if errors.As(err, &ae) {
		if d, ok := ae.Details.([]FieldMessage); ok {
			for _, f := range d {
				msg += "；" + f.MessageZH
			}
		}
	}
	return a.render(c.Status(status), "error", "出错了", "", map[string]any{"Status": status, "Message": msg})
}

type view struct {
	Title, Nav, Prefix string
	CSRF               string // the token every post form carries (csrf.FieldName)
	User               *identity.User
	UserName, Region   string
	Page               any
}

func (a *App) render(c *fiber.Ctx, page, title, nav string, data any) error {
	v := view{Title: title, Nav: nav, Prefix: Prefix, Page: data}
	tok, err := a.forms.FormToken(c)
	if err != nil {
		return fmt.Errorf("inspect: render %s: %w", page, err)
	}
	v.CSRF = tok
	if u := identity.UserFrom(c); u != nil {
		v.User, v.UserName, v.Region = u, displayName(u), readmodel.RegionName(u.Domain)
	}
	return a.pages.Render(c, page, v)
}

func displayName(u *identity.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

var funcs = template.FuncMap{
	"region": readmodel.RegionName,
	"kindzh": KindZH,
	"spotzh": SpotKindZH,
	"codezh": func(tableID, v string) string {
		if t, ok := schemas.CodeTableByID(tableID); ok {
			if c, ok := t.Lookup(v); ok {
				return c.NameZH
			}
		}
		return v
	},
	"add": func(a, b int) int { return a + b },
	"dt": func(d schemas.DateTime) string {
		if d.IsZero() {
			return ""
		}
		return d.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	},
}
