package inspect

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/web/form"
)

// The fixed fields of the record and draw forms, each bad input against the
// field and the messages it gets. Internal: the forms are the handlers' own
// types; inspect_test shows the refusals end to end.
func TestRecordAndDrawFormsRefuseBadInput(t *testing.T) {
	assert.Nil(t, form.Fields(recordForm{Kind: KindPatrol, Note: strings.Repeat("查", 2000)}))
	assert.Nil(t, form.Fields(drawForm{Kind: SpotPermit}))
	for _, tt := range []struct {
		name string
		form any
		want form.FieldError
	}{
		{"unknown record kind", recordForm{Kind: "audit"}, form.FieldError{Field: "kind", Rule: "inspection_kind",
			MessageZH: "记录类型须为在线巡查、抽查或检查督导", MessageEN: "kind must be patrol, spot or supervision"}},
		{"note of 2001 characters", recordForm{Kind: KindSpot, Note: strings.Repeat("查", 2001)}, form.FieldError{Field: "note", Rule: "max",
			MessageZH: "检查情况长度不能超过2,000个字符", MessageEN: "note must be a maximum of 2,000 characters in length"}},
		{"unknown spot kind", drawForm{Kind: "person"}, form.FieldError{Field: "kind", Rule: "spot_kind",
			MessageZH: "抽查对象须为企业、预警、今日安全承诺或今日特殊作业票", MessageEN: "kind must be company, warning, commitment or permit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []form.FieldError{tt.want}, form.Fields(tt.form))
		})
	}
}
