package permits

import (
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Module is the 特殊作业 module of the base system (enterprise.Module).
type Module struct {
	svc   *Service
	pc    *web.Templates
	phone *web.Templates
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"hm":     hm,
	"status": StatusName,
	"event":  EventName,
	"inc":    func(i int) int { return i + 1 },
	"date":   func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02") },
	"local": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format("2006-01-02T15:04")
	},
	"statuses": func() []string {
		return []string{StatusApproving, StatusRejected, StatusIssued, StatusWorking, StatusInterrupted, StatusFinished, StatusAccepted,
			StatusArchived, StatusRevoked, StatusVoided}
	},
	"expired": func(t, now time.Time) bool { return !t.IsZero() && t.Before(now) },
	"limit": func(l GasLimit) string {
		var parts []string
		if l.Low != nil {
			parts = append(parts, fmt.Sprintf("≥ %g", *l.Low))
		}
		if l.High != nil {
			parts = append(parts, fmt.Sprintf("≤ %g", *l.High))
		}
		return strings.Join(parts, " 且 ") + " " + l.Unit
	},
}

// New returns the module on svc.
func New(svc *Service) (*Module, error) {
	pc, phone, err := enterprise.ModulePages(templateFS, funcs,
		[]string{"index", "booking_form", "booking", "permit", "base", "stats"},
		[]string{"m_index", "permit"})
	if err != nil {
		return nil, fmt.Errorf("permits: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone}, nil
}

// Factory builds the module from the base system's foundation (for
// platform.BaseSystemConfig.Modules). started, when not nil, is handed the
// service so that the platform runs its sweep and the day's plan (Service.Run).
func Factory(cfg Config, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, f.Files)
		mod, err := New(svc)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/permits", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "特殊作业"},
			{Label: "作业预约", Path: "bookings/new"},
			{Label: "作业统计", Path: "stats", Roles: enterprise.Supervisors},
			{Label: "承包商与基础数据", Path: "base", Roles: enterprise.Managers},
		},
		Phone: []enterprise.NavItem{{Label: "今日作业"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	p := pc.Group("/permits")
	p.Get("", enterprise.WithMember(mod.index))
	p.Get("/list.pdf", enterprise.WithMember(mod.listPDF))
	p.Get("/stats", mod.stats)
	p.Get("/stats.xlsx", mod.statsXLSX)
	// 作业预约: booked, reviewed, and a permit opened from it.
	bookings := p.Group("/bookings")
	bookings.Get("/new", mod.bookingForm)
	bookings.Post("", enterprise.WithMember(mod.bookingSave))
	bookings.Get("/:id", mod.booking)
	bookings.Post("/:id/review", enterprise.WithMember(mod.bookingReview))
	bookings.Post("/:id/permits", enterprise.WithMember(mod.permitCreate))
	// 承包商与基础数据: every change redraws the page with its refusal or 已保存.
	base := p.Group("/base")
	base.Get("", mod.base)
	for path, fn := range map[string]func(*fiber.Ctx, *enterprise.Member) error{
		"/contractors": mod.addContractor, "/workers": mod.addWorker, "/workers/:id/delete": mod.removeWorker,
		"/library": mod.addLibrary, "/cameras": mod.bindCamera, "/video": mod.videoTemplate,
	} {
		base.Post(path, mod.baseAction(fn))
	}
	mod.permitRoutes(pc, enterprise.Prefix, false)
	phone.Get("/permits", enterprise.WithMember(mod.phoneIndex))
	mod.permitRoutes(phone, enterprise.PhonePrefix, true)
}

// permitRoutes mounts a permit's page and actions under prefix; the phone
// and the PC share them (on-site issuing, gas analysis, checks, signatures and
// photos on the phone).
func (mod *Module) permitRoutes(r fiber.Router, prefix string, phone bool) {
	page := func(c *fiber.Ctx) error { return mod.permitPage(c, phone, nil) }
	r.Get("/permits/:id", page)
	r.Get("/permits/:id/permit.pdf", mod.pdf(false))
	r.Get("/permits/:id/risk.pdf", mod.pdf(true))
	r.Get("/permits/:id/files/:ref", enterprise.WithMember(mod.file))
	for _, a := range mod.permitActions() {
		r.Post("/permits/:id/"+a.name, enterprise.FormAction(func(c *fiber.Ctx, m *enterprise.Member) error { return a.do(c, m, c.Params("id")) },
			permitRefusal, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.permitPage(c, phone, e) },
			func(c *fiber.Ctx) string {
				return prefix + "/permits/" + c.Params("id") + "?ok=" + url.QueryEscape(a.name)
			}))
	}
}
