package warningsvc_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web/form"
)

// Each bad disposal action body against the field and the messages it gets.
func TestActionRequestRefusesBadInput(t *testing.T) {
	assert.Nil(t, form.Fields(warningsvc.ActionRequest{Action: "feedback", Note: strings.Repeat("处", warningsvc.MaxNoteRunes)}))
	assert.Nil(t, form.Fields(warningsvc.ActionRequest{Action: "downgrade", ToLevel: "blue"}))
	for _, tt := range []struct {
		name string
		req  warningsvc.ActionRequest
		want form.FieldError
	}{
		{"unknown action", warningsvc.ActionRequest{Action: "delete"}, form.FieldError{Field: "action", Rule: "warning_action",
			MessageZH: "处置操作（action）须为 acknowledge、feedback、verify、close、downgrade 或 false_alarm",
			MessageEN: "action must be acknowledge, feedback, verify, close, downgrade or false_alarm"}},
		{"note one character too long", warningsvc.ActionRequest{Action: "feedback", Note: strings.Repeat("处", warningsvc.MaxNoteRunes+1)},
			form.FieldError{Field: "note", Rule: "max", MessageZH: "处置情况长度不能超过2,000个字符", MessageEN: "note must be a maximum of 2,000 characters in length"}},
		{"reason one character too long", warningsvc.ActionRequest{Action: "false_alarm", Reason: strings.Repeat("误", warningsvc.MaxNoteRunes+1)},
			form.FieldError{Field: "reason", Rule: "max", MessageZH: "原因长度不能超过2,000个字符", MessageEN: "reason must be a maximum of 2,000 characters in length"}},
		{"downgrade without a level", warningsvc.ActionRequest{Action: "downgrade"}, form.FieldError{Field: "to_level", Rule: "required_if",
			MessageZH: "降级后等级为必填字段", MessageEN: "to_level is a required field"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []form.FieldError{tt.want}, form.Fields(tt.req))
		})
	}
}
