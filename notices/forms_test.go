package notices_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/notices"
	"github.com/shandong-emergency/chemguard/web/form"
)

// Each bad 整改通知 issue against the field and the messages it gets.
func TestNewIssueRefusesBadInput(t *testing.T) {
	ok := notices.NewIssue{Company: "C1", Facts: []string{"f1"}, Requirement: "三日内补报", Deadline: time.Now()}
	assert.Nil(t, form.Fields(ok))
	for _, tt := range []struct {
		name   string
		change func(*notices.NewIssue)
		want   form.FieldError
	}{
		{"company code with a slash", func(n *notices.NewIssue) { n.Company = "C1/370102" }, form.FieldError{Field: "company_code",
			Rule: "company_code", MessageZH: "企业编码须为 1～36 位数字或英文字母（不含 / 等符号）",
			MessageEN: "company_code must be a company code: 1-36 digits or ASCII letters (no / or other symbols)"}},
		{"no facts", func(n *notices.NewIssue) { n.Facts = nil }, form.FieldError{Field: "fact_ids", Rule: "min",
			MessageZH: "质量事实必须至少包含1项", MessageEN: "fact_ids must contain at least 1 item"}},
		{"too many facts", func(n *notices.NewIssue) { n.Facts = make([]string, notices.MaxFacts+1) }, form.FieldError{Field: "fact_ids",
			Rule: "max", MessageZH: "质量事实最多只能包含50项", MessageEN: "fact_ids must contain at most 50 items"}},
		{"a blank fact", func(n *notices.NewIssue) { n.Facts = []string{"f1", ""} }, form.FieldError{Field: "fact_ids[1]", Rule: "required",
			MessageZH: "质量事实[1]为必填字段", MessageEN: "fact_ids[1] is a required field"}},
		{"blank requirement", func(n *notices.NewIssue) { n.Requirement = "  " }, form.FieldError{Field: "requirement", Rule: "notblank",
			MessageZH: "整改要求为必填项，不能只有空白", MessageEN: "requirement is required and cannot be blank"}},
		{"requirement too long", func(n *notices.NewIssue) { n.Requirement = strings.Repeat("改", notices.MaxRequirement+1) },
			form.FieldError{Field: "requirement", Rule: "max", MessageZH: "整改要求长度不能超过1,000个字符",
				MessageEN: "requirement must be a maximum of 1,000 characters in length"}},
		{"no deadline", func(n *notices.NewIssue) { n.Deadline = time.Time{} }, form.FieldError{Field: "deadline", Rule: "required",
			MessageZH: "整改期限为必填字段", MessageEN: "deadline is a required field"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := ok
			tt.change(&n)
			assert.Equal(t, []form.FieldError{tt.want}, form.Fields(n))
		})
	}
}
