package form_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web/form"
)

type sample struct {
	Company  string `json:"company_code" label:"企业编码" validate:"company_code"`
	Park     string `json:"park_code" label:"园区编码" validate:"omitempty,park_code"`
	Division string `json:"division_code" label:"行政区划" validate:"division_code"`
	County   string `json:"county" label:"所属区县" validate:"omitempty,county_code"`
	Name     string `json:"name" label:"名称" validate:"notblank,max=5"`
	Mobile   string `form:"mobile" label:"手机号" validate:"omitempty,mobile_cn"`
	Kind     string `json:"kind" label:"类型" validate:"omitempty,oneof=生产 经营"`
	Items    []item `json:"items" validate:"dive"`
}

type item struct {
	Note string `json:"note" label:"说明" validate:"max=3"`
}

func valid() sample {
	return sample{Company: "C1", Division: "370102", Name: "某化工"}
}

func TestCheckAcceptsAValidForm(t *testing.T) {
	s := valid()
	s.Park, s.County, s.Mobile, s.Kind, s.Items = "HD370211", "370102", "13800138000", "生产", []item{{"abc"}}
	assert.NoError(t, form.Check(s))
	assert.NoError(t, form.Check(&s))
}

func TestCheckNamesEachFailingField(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*sample)
		field  string
		rule   string
		zh, en string
	}{
		{"company code with a slash", func(s *sample) { s.Company = "C1/370102" }, "company_code", "company_code",
			"企业编码须为 1～36 位数字或英文字母（不含 / 等符号）", "company_code must be a company code: 1-36 digits or ASCII letters (no / or other symbols)"},
		{"no company code", func(s *sample) { s.Company = "" }, "company_code", "company_code",
			"企业编码须为 1～36 位数字或英文字母（不含 / 等符号）", "company_code must be a company code: 1-36 digits or ASCII letters (no / or other symbols)"},
		{"park code with a slash", func(s *sample) { s.Park = "HD/1" }, "park_code", "park_code",
			"园区编码须为 1～36 位数字或英文字母（不含 / 等符号）", "park_code must be a park code: 1-36 digits or ASCII letters (no / or other symbols)"},
		{"division outside Shandong", func(s *sample) { s.Division = "110000" }, "division_code", "division_code",
			"行政区划须为山东省的行政区划代码（GB/T 2260），如 370102", "division_code must be a Shandong division code (GB/T 2260), like 370102"},
		{"a city, not a county", func(s *sample) { s.County = "370100" }, "county", "county_code",
			"所属区县须为山东省的县级行政区划代码（GB/T 2260），如 370102 历下区", "county must be a Shandong county code (GB/T 2260), like 370102"},
		{"blank name", func(s *sample) { s.Name = "  " }, "name", "notblank",
			"名称为必填项，不能只有空白", "name is required and cannot be blank"},
		{"name too long in characters", func(s *sample) { s.Name = "六个汉字名称" }, "name", "max",
			"名称长度不能超过5个字符", "name must be a maximum of 5 characters in length"},
		{"landline, not mobile", func(s *sample) { s.Mobile = "053188888888" }, "mobile", "mobile_cn",
			"手机号须为 11 位大陆手机号", "mobile must be a mainland mobile number (11 digits starting 13-19)"},
		{"unknown kind", func(s *sample) { s.Kind = "贸易" }, "kind", "oneof",
			"类型必须是[生产 经营]中的一个", "kind must be one of [生产 经营]"},
		{"nested note too long", func(s *sample) { s.Items = []item{{"ok"}, {"四个字符"}} }, "items[1].note", "max",
			"说明长度不能超过3个字符", "items[1].note must be a maximum of 3 characters in length"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(&s)
			err := form.Check(&s)
			require.Error(t, err)
			var ce *chemguard.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, chemguard.EInvalid, ce.Code)
			assert.Equal(t, []form.FieldError{{Field: tt.field, Rule: tt.rule, MessageZH: tt.zh, MessageEN: tt.en}}, ce.Details)
			assert.Equal(t, tt.zh, ce.MessageZH)
			assert.Equal(t, tt.en, ce.MessageEN)
		})
	}
}

func TestCheckReportsEveryField(t *testing.T) {
	err := form.Check(sample{Division: "1"})
	var ce *chemguard.Error
	require.ErrorAs(t, err, &ce)
	fields := ce.Details.([]form.FieldError)
	require.Len(t, fields, 3)
	assert.Equal(t, []string{"company_code", "division_code", "name"}, []string{fields[0].Field, fields[1].Field, fields[2].Field})
	assert.Contains(t, ce.MessageZH, "企业编码")
	assert.Contains(t, ce.MessageZH, "；")
}

type confirm struct {
	New  string `form:"new" label:"新密码" validate:"required"`
	New2 string `form:"new2" label:"确认新密码" validate:"eqfield=New"`
}

func TestCheckNamesBothFieldsOfAConfirmation(t *testing.T) {
	require.NoError(t, form.Check(&confirm{New: "a", New2: "a"}))
	assert.Equal(t, []form.FieldError{{Field: "new2", Rule: "eqfield", MessageZH: "确认新密码与新密码不一致",
		MessageEN: "new2 must equal new"}}, form.Fields(&confirm{New: "a", New2: "b"}))
}

func init() {
	form.Register("test_colour", func(s string) bool { return s == "red" || s == "blue" },
		"{0}须为红色或蓝色", "{0} must be red or blue")
}

type painted struct {
	Colour string `json:"colour" label:"颜色" validate:"test_colour"`
}

func TestRegisteredRulesUseTheirOwnWording(t *testing.T) {
	assert.Nil(t, form.Fields(painted{Colour: "red"}))
	assert.Equal(t, []form.FieldError{{Field: "colour", Rule: "test_colour", MessageZH: "颜色须为红色或蓝色",
		MessageEN: "colour must be red or blue"}}, form.Fields(painted{Colour: "green"}))
	assert.Panics(t, func() { form.Register("test_colour", func(string) bool { return true }, "", "") })
	assert.Panics(t, func() { form.Register("company_code", func(string) bool { return true }, "", "") })
}
