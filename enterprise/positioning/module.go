package positioning

import (
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// APIPath is where the plant's positioning gateway posts its fixes.
const APIPath = "/api/v1/positioning/fixes"

// Module is the 人员定位 module of the base system (enterprise.Module).
type Module struct {
	svc   *Service
	pc    *web.Templates
	phone *web.Templates
	// nonces remembers the gateways' signed requests: a replayed batch of
	// fixes is refused.
	nonces signing.NonceStore
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"kind":       KindName,
	"personKind": PersonKindName,
	"alarmName":  AlarmName,
	"hm": func(m int) string {
		return fmt.Sprintf("%02d:%02d", m/60, m%60)
	},
	"minutes":      func(d time.Duration) int { return int(d.Minutes()) },
	"speedDefault": func() float64 { return DefaultSpeedLimit },
	"when":         fmtTime,
	"local":        func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02T15:04") },
}

// New returns the module on svc.
func New(svc *Service) (*Module, error) {
	pc, phone, err := enterprise.ModulePages(templateFS, funcs,
		[]string{"index", "setup", "people", "person", "alarms", "alarm"},
		[]string{"m_index", "m_alarm"})
	if err != nil {
		return nil, fmt.Errorf("positioning: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone, nonces: signing.NewPGNonces(svc.pool, svc.cfg.Now)}, nil
}

// Factory builds the module from the base system's foundation. started, when
// not nil, is handed the service so that the platform runs its sweep
// (Service.Run).
func Factory(cfg Config, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc, err := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, f.Files)
		if err != nil {
			return nil, nil, err
		}
		mod, err := New(svc)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/positioning", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "人员定位"},
			{Label: "定位报警与统计", Path: "alarms"},
			{Label: "人员与定位卡", Path: "people", Roles: enterprise.Managers},
			{Label: "地图与电子围栏", Path: "setup", Roles: enterprise.Managers},
		},
		Phone: []enterprise.NavItem{{Label: "人员定位"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/positioning", enterprise.WithMember(mod.index))
	pc.Get("/positioning/live.json", enterprise.WithMember(mod.liveJSON))
	pc.Get("/positioning/live", enterprise.WithMember(mod.liveStream))
	pc.Get("/positioning/floors/:floor/plan", enterprise.WithMember(mod.plan))
	pc.Get("/positioning/setup", mod.setup)
	pc.Post("/positioning/floors", mod.setupAction(mod.saveFloor))
	pc.Post("/positioning/fences", mod.setupAction(mod.saveFence))
	pc.Post("/positioning/fences/:id/delete", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemoveFence(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Post("/positioning/fences/:id/suspend", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.SuspendFence(c.Context(), m, paramInt(c, "id"), c.FormValue("suspended") == "1")
	}))
	pc.Post("/positioning/suspend", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Suspend(c.Context(), m, c.FormValue("suspended") == "1", c.FormValue("reason"))
	}))
	pc.Post("/positioning/speed-limit", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		kmh, err := formFloat(c, "speed_limit", "厂内限速", "speed limit")
		if err != nil {
			return err
		}
		return mod.svc.SetSpeedLimit(c.Context(), m, kmh)
	}))
	pc.Post("/positioning/gateways", enterprise.WithMember(mod.issueGateway))
	pc.Post("/positioning/gateways/:id/revoke", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RevokeGateway(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Get("/positioning/people", mod.people)
	pc.Post("/positioning/people", mod.peopleAction(mod.addPerson))
	pc.Get("/positioning/people/template.xlsx", mod.peopleTemplate)
	pc.Post("/positioning/people/import", enterprise.WithMember(mod.importPeople))
	pc.Post("/positioning/people/:id/delete", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemovePerson(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Post("/positioning/people/:id/bind", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Bind(c.Context(), m, paramInt(c, "id"), c.FormValue("card_no"))
	}))
	pc.Post("/positioning/people/:id/post", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.SetPost(c.Context(), m, paramInt(c, "id"), form.Int(c, "fence"))
	}))
	pc.Post("/positioning/tags/unbind", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Unbind(c.Context(), m, c.FormValue("card_no"))
	}))
	pc.Get("/positioning/people/:id", mod.person)
	pc.Get("/positioning/people/:id/track.json", mod.trackJSON)
	pc.Get("/positioning/alarms", mod.alarms)
	pc.Get("/positioning/alarms.xlsx", enterprise.WithMember(mod.alarmsXLSX))
	pc.Get("/positioning/alarms/:id", mod.alarm)
	pc.Post("/positioning/alarms/:id/handle", mod.alarmAction(mod.handleAlarm))
	pc.Post("/positioning/alarms/:id/confirm", mod.alarmAction(mod.confirmAlarm))
	pc.Post("/positioning/evacuate", enterprise.WithMember(mod.evacuate))
	mod.registerPhone(phone)
}

// RegisterIntake mounts the gateway's batch API on the platform's router,
// outside the member guard: the gateway signs each request with its
// credential (the exchange API's HMAC scheme, always required here).
func (mod *Module) RegisterIntake(r fiber.Router) {
	r.Post(APIPath, signing.Middleware(signing.Config{Required: true, Nonces: mod.nonces, Secrets: mod.svc, Now: mod.svc.cfg.Now}), mod.fixes)
}

func (mod *Module) fixes(c *fiber.Ctx) error {
	key, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	company, _, err := mod.svc.SigningSecret(c.UserContext(), strings.TrimSpace(key))
	if err != nil {
		return err
	}
	received := time.Now()
	res, err := mod.svc.Ingest(c.UserContext(), company, c.Body())
	mod.svc.cfg.Metrics.Observe(TransportHTTP, res, err, received)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if res.Accepted == 0 {
		status = fiber.StatusUnprocessableEntity
	}
	if res.Errors == nil {
		res.Errors = []validate.FieldError{}
	}
	return c.Status(status).JSON(res)
}
