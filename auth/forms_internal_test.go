package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/web/form"
)

// The admin command forms, each bad input against the field and the messages
// it gets. Internal: the forms are the handlers' own types; the HTTP tests
// (parks_test, enterprises_test, codes_test) show the same refusals end to end.
func TestAdminFormsRefuseBadInput(t *testing.T) {
	park := parkForm{Code: "HG370500001", Name: "东营港化工园区", DivisionCode: "370522"}
	ent := enterpriseForm{Code: "DY0001", Name: "东营某石化有限公司", DivisionCode: "370522", Kind: "生产"}
	user := userForm{Username: "lx_staff", Password: "Kx7#mQ2vLp9w", Role: "county_staff", Domain: "370102"}
	for _, ok := range []any{park, ent, user, grantRequest{Username: "a", Role: "county_staff"},
		permissionRequest{Subject: "county_staff", Object: "data", Action: "read"}} {
		assert.NoError(t, form.Check(ok), "%+v", ok)
	}
	for _, tt := range []struct {
		name   string
		form   any
		change func()
		want   form.FieldError
	}{
		{"park code with a slash", &park, func() { park.Code = "HD/370102" }, form.FieldError{Field: "code", Rule: "park_code", MessageZH: "园区编码须为 1～36 位数字或英文字母（不含 / 等符号）", MessageEN: "code must be a park code: 1-36 digits or ASCII letters (no / or other symbols)"}},
		{"park without a name", &park, func() { park.Name = " " }, form.FieldError{Field: "name", Rule: "notblank", MessageZH: "园区名称为必填项，不能只有空白", MessageEN: "name is required and cannot be blank"}},
		{"park outside Shandong", &park, func() { park.DivisionCode = "110101" }, form.FieldError{Field: "division_code", Rule: "city_or_county", MessageZH: "园区所在行政区划须为山东省的市或区县（GB/T 2260），如 370500 东营市", MessageEN: "division_code must be a Shandong city or county (GB/T 2260), like 370500"}},
		{"park under the province", &park, func() { park.DivisionCode = "370000" }, form.FieldError{Field: "division_code", Rule: "city_or_county", MessageZH: "园区所在行政区划须为山东省的市或区县（GB/T 2260），如 370500 东营市", MessageEN: "division_code must be a Shandong city or county (GB/T 2260), like 370500"}},
		{"company code with a slash", &ent, func() { ent.Code = "C1/370102" }, form.FieldError{Field: "code", Rule: "company_code", MessageZH: "企业编码须为 1～36 位数字或英文字母（不含 / 等符号）", MessageEN: "code must be a company code: 1-36 digits or ASCII letters (no / or other symbols)"}},
		{"company in a city, not a county", &ent, func() { ent.DivisionCode = "370500" }, form.FieldError{Field: "division_code", Rule: "county_code", MessageZH: "所属区县须为山东省的县级行政区划代码（GB/T 2260），如 370102 历下区", MessageEN: "division_code must be a Shandong county code (GB/T 2260), like 370102"}},
		{"company name of 201 characters", &ent, func() { ent.Name = string(make([]rune, 201)) }, form.FieldError{Field: "name", Rule: "max", MessageZH: "企业名称长度不能超过200个字符", MessageEN: "name must be a maximum of 200 characters in length"}},
		{"unknown company kind", &ent, func() { ent.Kind = "贸易" }, form.FieldError{Field: "kind", Rule: "enterprise_kind", MessageZH: "企业类型须为生产、经营、使用或加油站", MessageEN: "kind must be 生产, 经营, 使用 or 加油站"}},
		{"park code of a company with a slash", &ent, func() { ent.ParkCode = "HD/1" }, form.FieldError{Field: "park_code", Rule: "park_code", MessageZH: "所属化工园区须为 1～36 位数字或英文字母（不含 / 等符号）", MessageEN: "park_code must be a park code: 1-36 digits or ASCII letters (no / or other symbols)"}},
		{"user without a password", &user, func() { user.Password = "" }, form.FieldError{Field: "password", Rule: "required", MessageZH: "初始密码为必填字段", MessageEN: "password is a required field"}},
		{"user name of two characters", &user, func() { user.Username = "ab" }, form.FieldError{Field: "username", Rule: "min", MessageZH: "用户名长度必须至少为3个字符", MessageEN: "username must be at least 3 characters in length"}},
		{"user without a domain", &user, func() { user.Domain = "" }, form.FieldError{Field: "domain", Rule: "required", MessageZH: "所属区划、园区或企业为必填字段", MessageEN: "domain is a required field"}},
		{"grant without a role", &grantRequest{Username: "a"}, func() {}, form.FieldError{Field: "role", Rule: "required", MessageZH: "角色为必填字段", MessageEN: "role is a required field"}},
		{"permission without an action", &permissionRequest{Subject: "county_staff", Object: "data"}, func() {}, form.FieldError{Field: "action", Rule: "required", MessageZH: "操作（action）为必填字段", MessageEN: "action is a required field"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			saved := [3]any{park, ent, user}
			defer func() { park, ent, user = saved[0].(parkForm), saved[1].(enterpriseForm), saved[2].(userForm) }()
			tt.change()
			assert.Equal(t, []form.FieldError{tt.want}, form.Fields(tt.form))
		})
	}
}
