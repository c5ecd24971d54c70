package portal

import (
	"testing"

	"github.com/stretchr/testify/assert"

	webform "github.com/shandong-emergency/chemguard/web/form"
)

// The password and authenticator forms, each bad input against the field and
// the messages it gets (the password policy itself is identity's, tested there).
func TestAccountFormsRefuseBadInput(t *testing.T) {
	assert.Nil(t, webform.Fields(passwordForm{Current: "a", New: "b", New2: "b"}))
	assert.Nil(t, webform.Fields(resetForm{Password: "b", Password2: "b"}))
	assert.Nil(t, webform.Fields(totpForm{Password: "a"}))
	for _, tt := range []struct {
		name string
		form any
		want webform.FieldError
	}{
		{"new passwords differ", passwordForm{Current: "a", New: "b", New2: "c"}, webform.FieldError{Field: "new2", Rule: "eqfield",
			MessageZH: "确认新密码与新密码不一致", MessageEN: "new2 must equal new"}},
		{"no current password", passwordForm{New: "b", New2: "b"}, webform.FieldError{Field: "current", Rule: "required",
			MessageZH: "当前密码为必填字段", MessageEN: "current is a required field"}},
		{"reset passwords differ", resetForm{Password: "b", Password2: "c"}, webform.FieldError{Field: "password2", Rule: "eqfield",
			MessageZH: "确认新密码与新密码不一致", MessageEN: "password2 must equal password"}},
		{"a code of five digits", totpForm{Password: "a", OTP: "12345"}, webform.FieldError{Field: "otp", Rule: "len",
			MessageZH: "动态口令长度必须是6个字符", MessageEN: "otp must be 6 characters in length"}},
		{"a code with letters", totpConfirmForm{OTP: "12a456"}, webform.FieldError{Field: "otp", Rule: "numeric",
			MessageZH: "动态口令必须是一个有效的数值", MessageEN: "otp must be a valid numeric value"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []webform.FieldError{tt.want}, webform.Fields(tt.form))
		})
	}
}
