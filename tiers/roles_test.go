package tiers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/tiers"
)

func TestRoleLabels(t *testing.T) {
	assert.Equal(t, "县级监管人员", tiers.RoleLabels("county_staff"))
	assert.Equal(t, "县级监管人员、巡查检查人员", tiers.RoleLabels("county_staff,inspector"))
	assert.Equal(t, "企业（接口密钥）", tiers.RoleLabels(tiers.EnterpriseKeyRole))
	assert.Equal(t, "审计管理员、nobody", tiers.RoleLabels("audit_admin,nobody"), "an unknown code is kept")
	assert.Equal(t, "", tiers.RoleLabels(""))
}
