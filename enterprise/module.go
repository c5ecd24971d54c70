package enterprise

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/web"
)

// ModuleNav is m's navigation with absolute paths: each entry of its spec
// resolved against Prefix+Path (PC) or PhonePrefix+Path (phone).
func ModuleNav(m Module) (pc, phone []NavItem) {
	spec := m.Spec()
	return resolveNav(Prefix, spec.Path, spec.PC), resolveNav(PhonePrefix, spec.Path, spec.Phone)
}

func resolveNav(side, module string, items []NavItem) []NavItem {
	out := make([]NavItem, len(items))
	for i, it := range items {
		switch {
		case strings.HasPrefix(it.Path, "/"):
			it.Path = side + it.Path
		case it.Path == "":
			it.Path = side + module
		default:
			it.Path = side + module + "/" + it.Path
		}
		out[i] = it
	}
	return out
}

// MountModule mounts m on pc (Prefix) and phone (PhonePrefix): its static
// files as its spec declares them, then its routes.
func MountModule(m Module, pc, phone fiber.Router) {
	if spec := m.Spec(); spec.Static != nil {
		web.Static(pc, spec.Path+"/static", spec.Static, "static")
	}
	m.Register(pc, phone)
}

// Ledger is the handlers of the resource shape several modules mount for a
// ledger (台账): its list, one entry's form, page and edit, the Excel export,
// template and import, the statistics. A nil handler is not mounted.
type Ledger struct {
	List, NewForm, Create  fiber.Handler // GET "", GET /new, POST ""
	Detail, EditForm, Edit fiber.Handler // GET /:id, GET /:id/edit, POST /:id
	Export, Template       fiber.Handler // GET /export.xlsx, GET /template.xlsx
	ImportForm, Import     fiber.Handler // GET /import, POST /import
	Stats, StatsXLSX       fiber.Handler // GET /stats, GET /stats.xlsx
}

// MountLedger mounts l on r (the module's group, e.g. /dangers): the fixed
// paths first, so that /:id never takes "new", "import" or "stats". A module
// mounting more fixed paths on the same group mounts them before calling
// MountLedger.
func MountLedger(r fiber.Router, l Ledger) {
	for _, rt := range []struct {
		method, path string
		h            fiber.Handler
	}{
		{fiber.MethodGet, "", l.List}, {fiber.MethodGet, "/new", l.NewForm}, {fiber.MethodPost, "", l.Create},
		{fiber.MethodGet, "/export.xlsx", l.Export}, {fiber.MethodGet, "/template.xlsx", l.Template},
		{fiber.MethodGet, "/import", l.ImportForm}, {fiber.MethodPost, "/import", l.Import},
		{fiber.MethodGet, "/stats", l.Stats}, {fiber.MethodGet, "/stats.xlsx", l.StatsXLSX},
		{fiber.MethodGet, "/:id", l.Detail}, {fiber.MethodGet, "/:id/edit", l.EditForm}, {fiber.MethodPost, "/:id", l.Edit},
	} {
		if rt.h != nil {
			r.Add(rt.method, rt.path, rt.h)
		}
	}
}
