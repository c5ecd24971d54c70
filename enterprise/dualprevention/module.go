package dualprevention

import (
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Module is the 双重预防 module of the base system: the list, tasks and
// checks (enterprise.Module).
type Module struct {
	svc   *Service
	audit audit.Recorder
	pc    *web.Templates
	phone *web.Templates
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"levelName": LevelName,
	"percent":   func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
	"date":      func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02") },
	"hm":        func(t time.Time) string { return t.In(schemas.Shanghai).Format("01-02 15:04") },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"has": func(xs []int, x int) bool {
		for _, v := range xs {
			if v == x {
				return true
			}
		}
		return false
	},
	"times": func(a, b int) int { return a * b },
	"bar":   func(f float64) string { return strconv.FormatFloat(f*3, 'f', 1, 64) },
}

// New returns the module on svc; every change a member attempts is recorded
// on rec (ok, failed or denied).
func New(svc *Service, rec audit.Recorder) (*Module, error) {
	pc, phone, err := enterprise.ModulePages(templateFS, funcs,
		[]string{"list", "unit_form", "event_form", "measure_form", "import", "tasks", "task", "checks", "stats"},
		[]string{"m_tasks", "m_unit", "m_check", "m_scan", "m_done"})
	if err != nil {
		return nil, fmt.Errorf("dualprevention: %w", err)
	}
	return &Module{svc: svc, audit: rec, pc: pc, phone: phone}, nil
}

// Factory builds the module from the base system's foundation (for
// platform.BaseSystemConfig.Modules). dangers is the hidden-danger ledger a
// check's finding is entered in (enterprise/dangers). started, when not nil,
// is handed the service so that the platform runs its pushes (Service.Run).
func Factory(cfg Config, dangers enterprise.DangerRegistry, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, dangers, f.Files)
		mod, err := New(svc, f.Audit)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/dp", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "风险分级管控清单"},
			{Label: "排查任务", Path: "tasks"},
			{Label: "排查记录", Path: "checks"},
			{Label: "排查统计", Path: "stats", Roles: enterprise.Supervisors},
		},
		Phone: []enterprise.NavItem{{Label: "我的排查"}, {Label: "扫码排查", Path: "scan"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/dp/labels.pdf", enterprise.WithMember(mod.labels))
	enterprise.MountLedger(pc.Group("/dp"), enterprise.Ledger{List: enterprise.WithMember(mod.list), Export: enterprise.WithMember(mod.export), Template: mod.template,
		ImportForm: enterprise.WithMember(mod.importPage), Import: mod.audited("dp_import", enterprise.WithMember(mod.importPost)), Stats: mod.stats, StatsXLSX: mod.statsXLSX})
	pc.Get("/dp/units/new", mod.unitForm)
	pc.Post("/dp/units", mod.audited("dp_unit_save", enterprise.WithMember(mod.unitSave)))
	pc.Get("/dp/units/:id/edit", mod.unitForm)
	pc.Post("/dp/units/:id", mod.audited("dp_unit_save", enterprise.WithMember(mod.unitSave)))
	pc.Post("/dp/units/:id/delete", mod.audited("dp_unit_delete", mod.remove("unit")))
	pc.Get("/dp/units/:id/events/new", mod.eventForm)
	pc.Post("/dp/units/:id/events", mod.audited("dp_event_save", enterprise.WithMember(mod.eventSave)))
	pc.Get("/dp/events/:id/edit", mod.eventForm)
	pc.Post("/dp/events/:id", mod.audited("dp_event_save", enterprise.WithMember(mod.eventSave)))
	pc.Post("/dp/events/:id/delete", mod.audited("dp_event_delete", mod.remove("event")))
	pc.Get("/dp/events/:id/measures/new", mod.measureForm)
	pc.Post("/dp/events/:id/measures", mod.audited("dp_measure_save", enterprise.WithMember(mod.measureSave)))
	pc.Get("/dp/measures/:id/edit", mod.measureForm)
	pc.Post("/dp/measures/:id", mod.audited("dp_measure_save", enterprise.WithMember(mod.measureSave)))
	pc.Post("/dp/measures/:id/delete", mod.audited("dp_measure_delete", mod.remove("measure")))
	pc.Get("/dp/tasks", enterprise.WithMember(mod.tasks))
	pc.Get("/dp/tasks/live", enterprise.WithMember(mod.tasksLive))
	pc.Post("/dp/tasks/generate", mod.audited("dp_tasks_generate", enterprise.WithMember(mod.generate)))
	pc.Get("/dp/tasks/:id", enterprise.WithMember(mod.task))
	pc.Post("/dp/tasks/:id", mod.audited("dp_task_save", enterprise.WithMember(mod.taskSave)))
	pc.Get("/dp/checks", enterprise.WithMember(mod.checks))
	pc.Get("/dp/checks/:id/photos/:n", enterprise.WithMember(mod.photo))

	phone.Get("/dp", enterprise.WithMember(mod.myTasks))
	phone.Get("/dp/scan", mod.scan)
	phone.Get("/dp/code", enterprise.WithMember(mod.code))
	phone.Get("/units/:id", enterprise.WithMember(mod.unitPhone))
	phone.Get("/dp/tasks/:id/check", enterprise.WithMember(mod.checkForm))
	phone.Post("/dp/checks", mod.audited("dp_check_record", enterprise.WithMember(mod.checkPost)))
	phone.Get("/dp/checks/:id", enterprise.WithMember(mod.checkDone))
	phone.Get("/dp/checks/:id/photos/:n", enterprise.WithMember(mod.photo))
}

// audited records each attempt of a change on the platform's audit log: ok,
// failed (the input was refused) or denied (not the member's to change, or
// not there), with the member and the path.
func (mod *Module) audited(action string, h fiber.Handler) fiber.Handler {
	return enterprise.AuditedHandler(mod.audit, action, h)
}
