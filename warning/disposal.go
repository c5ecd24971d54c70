package warning

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Step is where a warning's disposal (预警处置) stands.
type Step string

// Disposal steps: 发布 → 企业签收 → 处置反馈 → 监管核查 → 解除/降级, or 误报.
const (
	StepPublished    Step = "published"    // 发布, waiting for the company to acknowledge
	StepAcknowledged Step = "acknowledged" // 企业签收, waiting for its feedback
	StepFedBack      Step = "fed_back"     // 处置反馈, waiting for the regulator to verify
	StepVerified     Step = "verified"     // 监管核查, waiting for 解除 or 降级
	StepClosed       Step = "closed"       // 解除
	StepDowngraded   Step = "downgraded"   // 降级
	StepFalseAlarm   Step = "false_alarm"  // 误报
	StepLapsed       Step = "lapsed"       // 风险消除: the model saw no risk any more, archived by the platform
)

// Terminal reports whether the disposal has ended.
func (s Step) Terminal() bool {
	return s == StepClosed || s == StepDowngraded || s == StepFalseAlarm || s == StepLapsed
}

// Tier is the level of government watching a warning (逐级上报).
type Tier string

// Tiers, in escalation order.
const (
	TierCounty   Tier = "county"   // 县级
	TierCity     Tier = "city"     // 市级
	TierProvince Tier = "province" // 省级
)

func (t Tier) next() (Tier, bool) {
	switch t {
	case TierCounty:
		return TierCity, true
	case TierCity:
		return TierProvince, true
	}
	return t, false
}

// Role is who acts: the company or a regulator of a tier.
type Role string

// Roles.
const (
	RoleCompany  Role = "company"
	RoleCounty   Role = "county"
	RoleCity     Role = "city"
	RoleProvince Role = "province"
)

// Actor is who performed an action; the caller has authenticated them.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// ActionKind is a disposal action.
type ActionKind string

// Disposal actions.
const (
	ActAcknowledge ActionKind = "acknowledge" // 签收 (company)
	ActFeedback    ActionKind = "feedback"    // 处置反馈 (company, Note required)
	ActVerify      ActionKind = "verify"      // 核查 (regulator)
	ActClose       ActionKind = "close"       // 解除 (regulator)
	ActDowngrade   ActionKind = "downgrade"   // 降级 (regulator, ToLevel and Reason required)
	ActFalseAlarm  ActionKind = "false_alarm" // 误报 (regulator, Reason required)
)

// Action is one disposal action, with who and when.
type Action struct {
	Kind    ActionKind `json:"kind"`
	Actor   Actor      `json:"actor"`
	At      time.Time  `json:"at"`
	Note    string     `json:"note,omitempty"`     // 处置情况 / 核查意见
	Reason  string     `json:"reason,omitempty"`   // 降级/误报 reason
	ToLevel Level      `json:"to_level,omitempty"` // 降级 target
	// Unapproved says the actor is not a leader who may approve (审批) where
	// the warning is: the action is refused if it needs approval at the level
	// the warning has when it is applied (NeedsApproval), so a level raised
	// between the caller's check and the action cannot slip through.
	Unapproved bool `json:"-"`
}

// Escalation records a step not done by its deadline moving to the next tier.
type Escalation struct {
	At       time.Time `json:"at"`       // when the engine saw it overdue
	Step     Step      `json:"step"`     // the step that was overdue
	Deadline time.Time `json:"deadline"` // the deadline that passed
	From     Tier      `json:"from"`
	To       Tier      `json:"to"` // equal to From when already at the province
}

// Disposal is a warning's workflow: its step, the tier watching it, the deadline of
// the step awaited, and every action and escalation.
type Disposal struct {
	Step        Step         `json:"step"`
	StepSince   time.Time    `json:"step_since"`
	Tier        Tier         `json:"tier"`
	Deadline    time.Time    `json:"deadline,omitzero"` // zero when no step is awaited on a clock
	OverdueAt   time.Time    `json:"overdue_at,omitzero"`
	Actions     []Action     `json:"actions"`
	Escalations []Escalation `json:"escalations"`
}

// Errors returned by Engine.Act.
var (
	ErrNotFound      = errors.New("warning: no such open warning")
	ErrWrongStep     = errors.New("warning: action not allowed at this step")
	ErrNotPermitted  = errors.New("warning: actor's role may not take this action")
	ErrNeedsReason   = errors.New("warning: a reason is required")
	ErrNeedsNote     = errors.New("warning: feedback needs a note of what was done")
	ErrLevelNotLower = errors.New("warning: downgrade must go to a lower level")
	ErrNoActionTime  = errors.New("warning: action has no time")
	ErrNeedsApproval = errors.New("warning: the action needs a regulator leader's approval at this level")
)

// publish starts the disposal at the county tier.
func publish(now time.Time, level Level, cfg DisposalConfig) Disposal {
	return Disposal{Step: StepPublished, StepSince: now, Tier: TierCounty,
		Deadline: now.Add(cfg.For(level).Acknowledge), Actions: []Action{}, Escalations: []Escalation{}}
}

// stepTime returns how long the awaited step may take at a level (0: none awaited).
func (d *Disposal) stepTime(level Level, cfg DisposalConfig) time.Duration {
	dl := cfg.For(level)
	switch d.Step {
	case StepPublished:
		return dl.Acknowledge
	case StepAcknowledged:
		return dl.Feedback
	case StepFedBack:
		return dl.Verify
	case StepVerified:
		return dl.Close
	}
	return 0
}

// actionRule is when an action may be taken and by whom: from which steps, to
// which step, by the company or by a regulator, and from which warning level
// on a regulator's leader must take it (approve it) rather than any regulator.
type actionRule struct {
	from      []Step
	next      Step
	byCompany bool
	approval  Level // the lowest level that needs a leader; noApproval: none does
}

// noApproval marks an action no level makes a leader's.
const noApproval Level = -1

// actionRules are the disposal workflow; act enforces them and Permitted shows
// them. 解除 and 降级 end a warning's watch at every level, so they are always a
// leader's; 误报 ends it too, and for an orange or red warning (较大/重大) it
// needs the same leader — otherwise a staff member or an inspector could end a
// red warning by calling it false.
var actionRules = map[ActionKind]actionRule{
	ActAcknowledge: {[]Step{StepPublished}, StepAcknowledged, true, noApproval},
	ActFeedback:    {[]Step{StepAcknowledged}, StepFedBack, true, noApproval},
	ActVerify:      {[]Step{StepFedBack}, StepVerified, false, noApproval},
	ActClose:       {[]Step{StepVerified}, StepClosed, false, LevelNone},
	ActDowngrade:   {[]Step{StepVerified}, StepDowngraded, false, LevelNone},
	ActFalseAlarm:  {[]Step{StepPublished, StepAcknowledged, StepFedBack, StepVerified}, StepFalseAlarm, false, LevelOrange},
}

// NeedsApproval reports whether the action, on a warning of level, is a
// regulator leader's (审批): 解除 and 降级 always, 误报 of an orange or red
// warning. The engine does not know who leads; the HTTP layer asks the
// authorizer for the approve permission when this is true.
func (k ActionKind) NeedsApproval(level Level) bool {
	r, ok := actionRules[k]
	return ok && r.approval != noApproval && level >= r.approval
}

// ActionKinds are the disposal actions in workflow order.
var ActionKinds = []ActionKind{ActAcknowledge, ActFeedback, ActVerify, ActClose, ActDowngrade, ActFalseAlarm}

// Regulator reports whether the role is a regulator of a tier (not the company).
func (r Role) Regulator() bool { return r == RoleCounty || r == RoleCity || r == RoleProvince }

// ByCompany reports whether the action is the company's (签收, 处置反馈) rather
// than a regulator's.
func (k ActionKind) ByCompany() bool { return actionRules[k].byCompany }

// May checks that role may take the action at step: nil, ErrNotPermitted or
// ErrWrongStep (the text an action needs is checked when it is taken).
func (k ActionKind) May(step Step, role Role) error {
	r, ok := actionRules[k]
	if !ok {
		return fmt.Errorf("%w: unknown action %q", ErrWrongStep, k)
	}
	if (r.byCompany && role != RoleCompany) || (!r.byCompany && !role.Regulator()) {
		return ErrNotPermitted
	}
	if !slices.Contains(r.from, step) {
		return fmt.Errorf("%w: %s at %s", ErrWrongStep, k, step)
	}
	return nil
}

// Awaited returns the actions that move a warning on from step, in workflow
// order, by anyone: what the disposal is waiting for.
func Awaited(step Step) []ActionKind {
	var out []ActionKind
	for _, k := range ActionKinds {
		if slices.Contains(actionRules[k].from, step) {
			out = append(out, k)
		}
	}
	return out
}

// Permitted returns the actions role may take at step, in workflow order.
func Permitted(step Step, role Role) []ActionKind {
	var out []ActionKind
	for _, k := range ActionKinds {
		if k.May(step, role) == nil {
			out = append(out, k)
		}
	}
	return out
}

// act applies an action, checking the step, the role and the required text.
func (d *Disposal) act(a Action, level Level, cfg DisposalConfig) error {
	if a.At.IsZero() {
		return ErrNoActionTime
	}
	switch a.Kind {
	case ActFeedback:
		if a.Note == "" {
			return ErrNeedsNote
		}
	case ActDowngrade:
		if a.Reason == "" {
			return ErrNeedsReason
		}
		if a.ToLevel >= level {
			return ErrLevelNotLower
		}
	case ActFalseAlarm:
		if a.Reason == "" {
			return ErrNeedsReason
		}
	}
	if err := a.Kind.May(d.Step, a.Actor.Role); err != nil {
		return err
	}
	if a.Unapproved && a.Kind.NeedsApproval(level) {
		return ErrNeedsApproval
	}
	d.Step, d.StepSince = actionRules[a.Kind].next, a.At
	d.Actions = append(d.Actions, a)
	d.Deadline, d.OverdueAt = time.Time{}, time.Time{}
	if t := d.stepTime(level, cfg); t > 0 {
		d.Deadline = a.At.Add(t)
	}
	return nil
}

// escalate moves an overdue step up the tiers, one tier per missed deadline, each
// tier getting the step's time again; at the province an overdue step is recorded
// once. It returns the escalations made.
func (d *Disposal) escalate(now time.Time, level Level, cfg DisposalConfig) []Escalation {
	var out []Escalation
	for !d.Deadline.IsZero() && !now.Before(d.Deadline) && d.OverdueAt.IsZero() {
		e := Escalation{At: now, Step: d.Step, Deadline: d.Deadline, From: d.Tier, To: d.Tier}
		if next, ok := d.Tier.next(); ok {
			e.To, d.Tier = next, next
			d.Deadline = d.Deadline.Add(d.stepTime(level, cfg))
		} else {
			d.OverdueAt = now
		}
		d.Escalations = append(d.Escalations, e)
		out = append(out, e)
	}
	return out
}

// tighten shortens the awaited step's deadline when the warning's level rises: the
// step must now be done within the higher level's time from when it began.
func (d *Disposal) tighten(level Level, cfg DisposalConfig) {
	if d.Deadline.IsZero() {
		return
	}
	if dl := d.StepSince.Add(d.stepTime(level, cfg)); dl.Before(d.Deadline) {
		d.Deadline = dl
	}
}
