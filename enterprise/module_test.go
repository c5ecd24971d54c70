package enterprise_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
)

type specOnly enterprise.ModuleSpec

func (s specOnly) Spec() enterprise.ModuleSpec   { return enterprise.ModuleSpec(s) }
func (specOnly) Register(pc, phone fiber.Router) {}

// A module's navigation is relative to its path; "/x" leaves it for the
// side's prefix; roles and order are kept.
func TestModuleNav(t *testing.T) {
	mod := specOnly{Path: "/dangers",
		PC:    []enterprise.NavItem{{Label: "清单"}, {Label: "统计", Path: "stats", Roles: enterprise.Supervisors}},
		Phone: []enterprise.NavItem{{Label: "登记", Path: "new"}, {Label: "验收", Path: "/accept"}},
	}
	pc, phone := enterprise.ModuleNav(mod)
	require.Equal(t, []enterprise.NavItem{{Label: "清单", Path: "/e/dangers"}, {Label: "统计", Path: "/e/dangers/stats", Roles: enterprise.Supervisors}}, pc)
	require.Equal(t, []enterprise.NavItem{{Label: "登记", Path: "/e/m/dangers/new"}, {Label: "验收", Path: "/e/m/accept"}}, phone)
	require.Contains(t, pc[1].Roles, policy.EnterpriseDeptHead)
}
