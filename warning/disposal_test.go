package warning_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

var (
	company  = warning.Actor{ID: "u-1", Name: "张三", Role: warning.RoleCompany}
	county   = warning.Actor{ID: "u-2", Name: "李四", Role: warning.RoleCounty}
	province = warning.Actor{ID: "u-3", Name: "王五", Role: warning.RoleProvince}
)

// redLeak returns an engine with an open red leak warning.
func redLeak(t *testing.T) (*warning.Engine, warning.Warning, time.Time) {
	t.Helper()
	e := newEngine(t)
	now := at(t, "08:00:00")
	for _, d := range []string{"GT-1", "GT-2", "GT-3"} {
		e.Apply(gasDetector(d), now)
		e.Apply(events.Reading{Company: "C1", Indicator: d, Value: 60, At: now}, now)
	}
	return e, only(t, e, "C1", warning.ModelLeak), now
}

// 误报 ends a warning's watch like 解除: from orange up it is a leader's (审批),
// below any regulator's.
func TestFalseAlarmNeedsApprovalFromOrange(t *testing.T) {
	for level, want := range map[warning.Level]bool{warning.LevelNone: false, warning.LevelBlue: false,
		warning.LevelYellow: false, warning.LevelOrange: true, warning.LevelRed: true} {
		require.Equal(t, want, warning.ActFalseAlarm.NeedsApproval(level), level.String())
		require.True(t, warning.ActClose.NeedsApproval(level), level.String())
		require.True(t, warning.ActDowngrade.NeedsApproval(level), level.String())
		require.False(t, warning.ActVerify.NeedsApproval(level), level.String())
	}
}

func TestDisposalSteps(t *testing.T) {
	ack := warning.Action{Kind: warning.ActAcknowledge, Actor: company}
	feedback := warning.Action{Kind: warning.ActFeedback, Actor: company, Note: "已关闭阀门，检测合格"}
	verify := warning.Action{Kind: warning.ActVerify, Actor: county, Note: "现场核查属实"}
	tests := []struct {
		name    string
		actions []warning.Action
		err     error // of the last action
		step    warning.Step
	}{
		{"full path to 解除", []warning.Action{ack, feedback, verify, {Kind: warning.ActClose, Actor: county}}, nil, warning.StepClosed},
		{"降级 after 核查", []warning.Action{ack, feedback, verify,
			{Kind: warning.ActDowngrade, Actor: county, ToLevel: warning.LevelYellow, Reason: "泄漏已控制"}}, nil, warning.StepDowngraded},
		{"误报 needs a reason", []warning.Action{{Kind: warning.ActFalseAlarm, Actor: county}}, warning.ErrNeedsReason, warning.StepPublished},
		{"误报 with a reason", []warning.Action{ack, {Kind: warning.ActFalseAlarm, Actor: province, Reason: "探测器标定错误"}}, nil, warning.StepFalseAlarm},
		{"feedback before 签收", []warning.Action{feedback}, warning.ErrWrongStep, warning.StepPublished},
		{"feedback without a note", []warning.Action{ack, {Kind: warning.ActFeedback, Actor: company}}, warning.ErrNeedsNote, warning.StepAcknowledged},
		{"regulator cannot 签收 for the company", []warning.Action{{Kind: warning.ActAcknowledge, Actor: county}}, warning.ErrNotPermitted, warning.StepPublished},
		{"company cannot 核查", []warning.Action{ack, feedback, {Kind: warning.ActVerify, Actor: company}}, warning.ErrNotPermitted, warning.StepFedBack},
		{"降级 must go lower", []warning.Action{ack, feedback, verify,
			{Kind: warning.ActDowngrade, Actor: county, ToLevel: warning.LevelRed, Reason: "x"}}, warning.ErrLevelNotLower, warning.StepVerified},
		{"解除 before 核查", []warning.Action{ack, {Kind: warning.ActClose, Actor: county}}, warning.ErrWrongStep, warning.StepAcknowledged},
		{"误报 of a red warning without a leader", []warning.Action{ack,
			{Kind: warning.ActFalseAlarm, Actor: county, Reason: "探测器标定错误", Unapproved: true}}, warning.ErrNeedsApproval, warning.StepAcknowledged},
		{"解除 without a leader", []warning.Action{ack, feedback, verify,
			{Kind: warning.ActClose, Actor: county, Unapproved: true}}, warning.ErrNeedsApproval, warning.StepVerified},
		{"误报 of a red warning approved by a leader", []warning.Action{ack,
			{Kind: warning.ActFalseAlarm, Actor: county, Reason: "探测器标定错误"}}, nil, warning.StepFalseAlarm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, w, now := redLeak(t)
			var ch warning.Changes
			var err error
			for i, a := range tt.actions {
				a.At = now.Add(time.Duration(i+1) * time.Minute)
				ch, err = e.Act("C1", w.ID, a)
				if i < len(tt.actions)-1 {
					require.NoError(t, err)
				}
			}
			require.ErrorIs(t, err, tt.err)
			if tt.step.Terminal() {
				require.Empty(t, openOf(e, "C1", warning.ModelLeak), "a settled warning leaves the state")
				require.Equal(t, warning.WarningSettled, ch.Warnings[len(ch.Warnings)-1].Kind)
				settled := ch.Warnings[len(ch.Warnings)-1].Warning
				require.Equal(t, tt.step, settled.Disposal.Step)
				require.Len(t, settled.Disposal.Actions, len(tt.actions), "every action is recorded with who and when")
				for _, a := range settled.Disposal.Actions {
					require.NotEmpty(t, a.Actor.ID)
					require.False(t, a.At.IsZero())
				}
				return
			}
			require.Equal(t, tt.step, only(t, e, "C1", warning.ModelLeak).Disposal.Step)
		})
	}
}

// Acknowledging in time stops the escalation clock of 签收 and starts 反馈's.
func TestDisposalDeadlinesFollowSteps(t *testing.T) {
	e, w, now := redLeak(t)
	_, err := e.Act("C1", w.ID, warning.Action{Kind: warning.ActAcknowledge, Actor: company, At: now.Add(10 * time.Minute)})
	require.NoError(t, err)
	d := only(t, e, "C1", warning.ModelLeak).Disposal
	require.Equal(t, now.Add(10*time.Minute+time.Hour), d.Deadline, "red feedback within 1 h of 签收")
	require.Empty(t, warningsOf(e.Tick(now.Add(30*time.Minute)), warning.ModelLeak))
}

// A settled warning does not come back at the same level while its conditions last.
func TestSettledWarningIsNotRaisedAgainAtOnce(t *testing.T) {
	e, w, now := redLeak(t)
	_, err := e.Act("C1", w.ID, warning.Action{Kind: warning.ActFalseAlarm, Actor: county, Reason: "标定", At: now.Add(time.Minute)})
	require.NoError(t, err)
	require.Empty(t, warningsOf(e.Tick(now.Add(2*time.Minute)), warning.ModelLeak))
	require.Empty(t, openOf(e, "C1", warning.ModelLeak))
}

// Every step has a deadline, 解除/降级 after 核查 included: a verified red warning
// nobody closes is escalated like any other step.
func TestVerifiedWarningHasACloseDeadline(t *testing.T) {
	e, w, now := redLeak(t)
	for i, a := range []warning.Action{{Kind: warning.ActAcknowledge, Actor: company},
		{Kind: warning.ActFeedback, Actor: company, Note: "已关闭阀门"}, {Kind: warning.ActVerify, Actor: county, Note: "属实"}} {
		a.At = now.Add(time.Duration(i+1) * time.Minute)
		_, err := e.Act("C1", w.ID, a)
		require.NoError(t, err)
	}
	d := only(t, e, "C1", warning.ModelLeak).Disposal
	require.Equal(t, warning.StepVerified, d.Step)
	require.Equal(t, now.Add(3*time.Minute+2*time.Hour), d.Deadline, "red 解除/降级 within 2 h of 核查")
	ch := e.Tick(now.Add(3*time.Minute + 2*time.Hour))
	esc := warningsOf(ch, warning.ModelLeak)
	require.Len(t, esc, 1)
	require.Equal(t, warning.DisposalEscalated, esc[0].Kind)
	require.Equal(t, warning.TierCity, esc[0].Warning.Disposal.Tier)
}

// Permitted lists exactly what the engine accepts: at every open step, for every
// role, each action it offers is taken (with the text it needs) and each other
// action is refused for the step or the role.
func TestPermittedIsWhatActAccepts(t *testing.T) {
	ack := warning.Action{Kind: warning.ActAcknowledge, Actor: company}
	feedback := warning.Action{Kind: warning.ActFeedback, Actor: company, Note: "已关闭阀门"}
	verify := warning.Action{Kind: warning.ActVerify, Actor: county}
	paths := map[warning.Step][]warning.Action{
		warning.StepPublished: nil, warning.StepAcknowledged: {ack},
		warning.StepFedBack: {ack, feedback}, warning.StepVerified: {ack, feedback, verify},
	}
	want := map[warning.Step]map[warning.Role][]warning.ActionKind{
		warning.StepPublished:    {warning.RoleCompany: {warning.ActAcknowledge}, warning.RoleCounty: {warning.ActFalseAlarm}},
		warning.StepAcknowledged: {warning.RoleCompany: {warning.ActFeedback}, warning.RoleCity: {warning.ActFalseAlarm}},
		warning.StepFedBack:      {warning.RoleCompany: nil, warning.RoleProvince: {warning.ActVerify, warning.ActFalseAlarm}},
		warning.StepVerified: {warning.RoleCompany: nil,
			warning.RoleCounty: {warning.ActClose, warning.ActDowngrade, warning.ActFalseAlarm}},
	}
	for step, roles := range want {
		for role, kinds := range roles {
			require.Equal(t, kinds, warning.Permitted(step, role), "%s %s", step, role)
		}
	}
	for step, path := range paths {
		for _, role := range []warning.Role{warning.RoleCompany, warning.RoleCounty, warning.RoleCity, warning.RoleProvince} {
			permitted := warning.Permitted(step, role)
			for _, k := range warning.ActionKinds {
				t.Run(string(step)+"/"+string(role)+"/"+string(k), func(t *testing.T) {
					e, w, now := redLeak(t)
					for i, a := range path {
						a.At = now.Add(time.Duration(i+1) * time.Minute)
						_, err := e.Act("C1", w.ID, a)
						require.NoError(t, err)
					}
					a := warning.Action{Kind: k, Actor: warning.Actor{ID: "u", Name: "n", Role: role}, At: now.Add(time.Hour),
						Note: "处置情况", Reason: "原因", ToLevel: warning.LevelYellow}
					_, err := e.Act("C1", w.ID, a)
					if slices.Contains(permitted, k) {
						require.NoError(t, err)
						require.NoError(t, k.May(step, role))
					} else {
						require.Error(t, err)
						require.True(t, errors.Is(err, warning.ErrWrongStep) || errors.Is(err, warning.ErrNotPermitted), "%v", err)
						may := k.May(step, role) // the same refusal as the engine's
						require.Equal(t, errors.Is(err, warning.ErrWrongStep), errors.Is(may, warning.ErrWrongStep), "%v / %v", err, may)
					}
				})
			}
		}
	}
	require.Equal(t, []warning.ActionKind{warning.ActClose, warning.ActDowngrade, warning.ActFalseAlarm}, warning.Awaited(warning.StepVerified))
	require.Empty(t, warning.Permitted(warning.StepClosed, warning.RoleProvince), "a settled warning offers nothing")
}
