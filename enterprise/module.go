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
