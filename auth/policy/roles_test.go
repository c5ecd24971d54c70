package policy_test

import (
	"testing"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/stretchr/testify/assert"
)

func TestRoleLabels(t *testing.T) {
	assert.Equal(t, "县级监管人员", policy.RoleLabels("county_staff"))
	assert.Equal(t, "县级监管人员、巡查检查人员", policy.RoleLabels("county_staff,inspector"))
	assert.Equal(t, "企业（接口密钥）", policy.RoleLabels(policy.EnterpriseKeyRole))
	assert.Equal(t, "审计管理员、nobody", policy.RoleLabels("audit_admin,nobody"), "an unknown code is kept")
	assert.Equal(t, "", policy.RoleLabels(""))
}
