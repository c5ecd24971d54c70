package warning_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/warning"
)

func TestRoleNameZH(t *testing.T) {
	for role, want := range map[warning.Role]string{warning.RoleCompany: "企业", warning.RoleCounty: "县级",
		warning.RoleCity: "市级", warning.RoleProvince: "省级", "other": "other"} {
		assert.Equal(t, want, role.NameZH(), role)
	}
}
