package warningsvc

import (
	"slices"
	"strings"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/warning"
)

// ActorZH names who takes action k on a warning of level: company (the
// caller's word for the company — the portal says 企业, the company's own
// base system 本企业), 监管部门, or 监管部门领导 where Permission asks for
// a leader's approval.
func ActorZH(k warning.ActionKind, level warning.Level, company string) string {
	if k.ByCompany() {
		return company
	}
	if perm, _ := Permission(k, level); perm == policy.ActApprove {
		return "监管部门领导"
	}
	return "监管部门"
}

// WaitingZH is what an open step of a warning of level waits for, from the
// workflow's rules, e.g. 等待企业签收, 等待监管部门领导解除或降级 ("" for a
// step that waits for nothing). 误报 (open at every step) is named only when
// nothing else moves the disposal on. It lives here rather than in
// readmodel, which warningsvc imports, because it needs Permission; the
// portal and the base system both show it.
func WaitingZH(step warning.Step, level warning.Level, company string) string {
	awaited := warning.Awaited(step)
	if len(awaited) > 1 {
		awaited = slices.DeleteFunc(awaited, func(k warning.ActionKind) bool { return k == warning.ActFalseAlarm })
	}
	var b strings.Builder
	who := ""
	for i, k := range awaited {
		if i > 0 {
			b.WriteString("或")
		}
		if a := ActorZH(k, level, company); a != who {
			who = a
			b.WriteString(a)
		}
		b.WriteString(k.NameZH())
	}
	if b.Len() == 0 {
		return ""
	}
	return "等待" + b.String()
}
