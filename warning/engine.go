package warning

import (
	"fmt"
	"reflect"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// Engine applies events to a State and reports what changed. It is pure: time comes
// from the caller (the processing time of the event, or of the tick), so a test can
// drive it with a fake clock. It is not safe for concurrent use.
type Engine struct {
	cfg    Config
	st     *State
	intake events.Intake // the platform's intake (SetIntake); zero: the wall clock

	// items is, by company, which items (open 隐患, indicators) changed since they
	// were stored (items.go).
	items map[string]*itemState
	// outdated: the state was read from a head of an older layout (Outdated).
	outdated bool
}

// New returns an engine over st (a new empty state when st is nil). cfg is validated.
func New(cfg Config, st *State) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil {
		st = NewState()
	}
	return &Engine{cfg: cfg, st: st}, nil
}

// State returns the engine's state, for MarshalState. It is the engine's own: do not
// change it while the engine is in use.
func (e *Engine) State() *State { return e.st }

// Config returns the engine's configuration.
func (e *Engine) Config() *Config { return &e.cfg }

// Warnings returns copies of a company's open warnings.
func (e *Engine) Warnings(company string) []Warning {
	c, ok := e.st.Companies[company]
	if !ok {
		return nil
	}
	out := make([]Warning, 0, len(c.Warnings))
	for _, w := range c.Warnings {
		out = append(out, *w)
	}
	return out
}

// Apply applies one event processed at now and re-evaluates the models it feeds.
func (e *Engine) Apply(ev events.Event, now time.Time) Changes {
	var ch Changes
	company := ev.CompanyCode()
	c := e.st.company(company)
	switch ev := ev.(type) {
	case events.Reading:
		s := e.indicator(company, c, ev.Indicator)
		n := len(ch.Alarms)
		before := s.head()
		if !s.observe(ev, now, &e.cfg, &ch.Alarms) {
			return ch
		}
		c.trackIndicator(ev.Indicator, s)
		// Most readings move only the last value and time (the fresh part).
		if s.head() != before {
			e.mark(company, itemIndicator, ev.Indicator)
		}
		changed := len(ch.Alarms) > n
		if changed {
			e.judge(c, assessEnterprise(company, c, now, e.intake, &e.cfg), now, &ch)
			if s.Def.Kind.IsGas() && s.Def.Area != "" {
				e.judge(c, AssessLeak(company, s.Def.Area, s.Def.Kind, c, now, &e.cfg), now, &ch)
			}
		}
		if h, ok := c.Hazards[s.Def.Hazard]; ok && IsModelledWarehouse(h, &e.cfg) &&
			(changed || s.Def.Kind == events.KindTemperature || s.Def.Kind == events.KindHumidity) {
			e.judge(c, AssessWarehouse(h, c, now, &e.cfg), now, &ch)
		}
		return ch
	case events.IndicatorDef:
		s := e.indicator(company, c, ev.Code)
		def, definedAt, before := s.Def, s.DefinedAt, s.head()
		s.define(ev, now, &e.cfg, &ch.Alarms)
		c.trackIndicator(ev.Code, s)
		// Base data is sent again whole: a definition that changed nothing writes
		// no item.
		if !reflect.DeepEqual(def, s.Def) || !definedAt.Equal(s.DefinedAt) || s.head() != before {
			e.mark(company, itemIndicator, ev.Code)
		}
	case events.HazardSource:
		c.Hazards[ev.Code] = ev
		c.headChanged = true
	case events.CompanyAlarm:
		companyAlarm(c.Alarms, ev, now, &e.cfg, &ch.Alarms)
		if len(ch.Alarms) == 0 {
			return ch
		}
		c.headChanged = true
	case events.Commitment:
		c.Commitments[commitmentKey(ev)] = ev
		c.headChanged = true
	case events.Operation:
		c.Operations[ev.ID] = ev
		c.headChanged = true
	case events.Camera:
		c.Cameras[ev.VideoCode] = ev
		c.headChanged = true
		if !c.watched() {
			return ch // a camera alone is nothing to assess (no 10:00 warning for it)
		}
	case events.HiddenDanger:
		if old, ok := c.Dangers[ev.ID]; !ok || !sameDanger(old, ev) {
			e.mark(company, itemDanger, ev.ID)
		}
		c.setDanger(ev)
	case events.Enterprise:
		if ev.Type == c.Type {
			return ch
		}
		c.Type = ev.Type
		c.headChanged = true
		if !c.watched() {
			return ch
		}
	case events.DeviceStatus:
		if old, ok := c.Devices[ev.Device]; ok && !ev.At.After(old.At) {
			return ch
		}
		c.Devices[ev.Device] = ev
		c.trackDevice(ev.Device, ev)
	default:
		panic(fmt.Sprintf("warning: unknown event type %T", ev))
	}
	e.evaluate(company, c, now, &ch)
	return ch
}

// Tick advances time to now: it raises 数据中断 alarms, re-evaluates every model
// (scores that depend on time: alarm hours, the 10:00 commitment, operations
// starting and ending, hidden-danger deadlines, hysteresis), escalates overdue
// disposal steps and forgets what no model needs any more. Call it periodically
// (every few seconds to a minute); a step is escalated at the first tick after its
// deadline, and the next deadline counts from the missed one, not from the tick.
func (e *Engine) Tick(now time.Time) Changes { return e.TickIntake(now, events.Intake{}) }

// SetIntake sets the platform's intake that the models judge silence by (video
// devices without 运行状态) until the next SetIntake or TickIntake.
func (e *Engine) SetIntake(in events.Intake) { e.intake = in }

// TickIntake is Tick with the platform's intake: 数据中断 is judged on the
// platform's intake clock, not the wall clock. While the pipeline delivers nothing
// from anyone (ingest down, the broker or this consumer lagging, the platform
// itself stopped) the silence of indicators does not grow, and after the intake
// resumes it counts from the resumption: a platform-side outage is not a company's
// 数据中断 and raises none (docs/warning-models.md §1).
func (e *Engine) TickIntake(now time.Time, in events.Intake) Changes {
	e.intake = in
	var ch Changes
	for company, c := range e.st.Companies {
		if !c.watched() {
			continue
		}
		for code, s := range c.Indicators {
			n := len(ch.Alarms)
			s.checkSilence(now, in, &e.cfg, &ch.Alarms)
			if len(ch.Alarms) > n {
				c.trackIndicator(code, s)
				e.mark(company, itemIndicator, code)
			}
		}
		e.evaluate(company, c, now, &ch)
		for _, w := range c.Warnings {
			for _, esc := range w.Disposal.escalate(now, w.Level, e.cfg.Disposal) {
				c.headChanged = true
				kind := DisposalEscalated
				if esc.To == esc.From {
					kind = DisposalOverdue
				}
				esc := esc
				ch.Warnings = append(ch.Warnings, WarningChange{Kind: kind, Warning: *w, Escalation: &esc,
					Reason: fmt.Sprintf("%s 逾期（期限 %s），%s → %s", esc.Step, esc.Deadline.Format(time.RFC3339), esc.From, esc.To)})
			}
		}
		e.prune(company, c, now)
	}
	return ch
}

// Act applies a disposal action to the open warning id of company. A terminal action
// (解除, 降级, 误报) settles the warning: it is reported as WarningSettled and leaves
// the state.
func (e *Engine) Act(company, id string, a Action) (Changes, error) {
	var ch Changes
	c, ok := e.st.Companies[company]
	if !ok {
		return ch, ErrNotFound
	}
	var key string
	var w *Warning
	for k, x := range c.Warnings {
		if x.ID == id {
			key, w = k, x
		}
	}
	if w == nil {
		return ch, ErrNotFound
	}
	c.headChanged = true // even a refused action may have begun to change the disposal
	before := w.Level
	if err := w.Disposal.act(a, w.Level, e.cfg.Disposal); err != nil {
		return ch, fmt.Errorf("warning: %s %s: %w", a.Kind, id, err)
	}
	if a.Kind == ActDowngrade {
		actor := a.Actor
		w.relevel(a.At, a.ToLevel, "监管降级："+a.Reason, &actor)
	}
	act := a
	ch.Warnings = append(ch.Warnings, WarningChange{Kind: DisposalActed, Warning: *w, Action: &act})
	if w.Disposal.Step.Terminal() {
		settled := before
		if m := levelsOf(w.Model, &e.cfg).Of(w.Score); m > settled {
			settled = m
		}
		c.Settled[key] = settled
		delete(c.Warnings, key)
		ch.Warnings = append(ch.Warnings, WarningChange{Kind: WarningSettled, Warning: *w,
			Reason: fmt.Sprintf("处置终结（%s）；同一对象的新预警仅在等级高于 %s 或风险先消除后发布", w.Disposal.Step, settled.NameZH())})
	}
	return ch, nil
}

// indicator returns the indicator's state in company c, creating it (an item to
// store).
func (e *Engine) indicator(company string, c *CompanyState, code string) *IndicatorState {
	s, ok := c.Indicators[code]
	if !ok {
		s = &IndicatorState{}
		c.Indicators[code] = s
		e.mark(company, itemIndicator, code)
	}
	return s
}

// evaluate runs every model of the company and judges the results.
func (e *Engine) evaluate(company string, c *CompanyState, now time.Time, ch *Changes) {
	e.judge(c, assessEnterprise(company, c, now, e.intake, &e.cfg), now, ch)
	e.judge(c, AssessViolation(company, c, now, &e.cfg), now, ch)
	for _, h := range c.Hazards {
		if IsModelledWarehouse(h, &e.cfg) {
			e.judge(c, AssessWarehouse(h, c, now, &e.cfg), now, ch)
		}
	}
	leaks := leakDetectors(c)
	for k, detectors := range leaks {
		e.judge(c, assessLeak(company, k.area, k.kind, detectors, now, &e.cfg), now, ch)
	}
	// Open warnings whose subject no longer exists (a deleted warehouse, an area
	// without detectors) are judged on an empty assessment, so they are lowered with a
	// reason instead of lingering.
	for _, w := range c.Warnings {
		gone := (w.Model == ModelWarehouse && !IsModelledWarehouse(c.Hazards[w.Subject], &e.cfg)) ||
			(w.Model == ModelLeak && len(leaks[leakAreaOf(w.Subject)]) == 0)
		if gone {
			e.judge(c, Assessment{Model: w.Model, Company: company, Subject: w.Subject,
				SubjectName: w.SubjectName + "（对象已删除）", Factors: []Factor{}}, now, ch)
		}
	}
}

// judge turns an assessment into a raised, re-levelled or unchanged warning.
func (e *Engine) judge(c *CompanyState, a Assessment, now time.Time, ch *Changes) {
	key := a.key()
	w, open := c.Warnings[key]
	if !open {
		settled, wasSettled := c.Settled[key]
		switch {
		case a.Level == LevelNone:
			if wasSettled {
				delete(c.Settled, key)
				c.headChanged = true
			}
			return
		case wasSettled && a.Level <= settled:
			return
		}
		delete(c.Settled, key)
		w = newWarning(a, now, &e.cfg)
		c.Warnings[key] = w
		c.headChanged = true
		ch.Warnings = append(ch.Warnings, WarningChange{Kind: WarningRaised, Warning: *w, Reason: w.History[0].Reason})
		return
	}
	before := *w
	kind, reason := w.update(a, now, &e.cfg)
	if kind != "" || !w.sameUpdate(&before) {
		c.headChanged = true
	}
	if kind != "" {
		ch.Warnings = append(ch.Warnings, WarningChange{Kind: kind, Warning: *w, Reason: reason})
	}
	// A warning whose risk is gone is settled, not left open at 无: an open warning
	// with no level, no score and no factor is a contradiction on every list. The
	// next risk of the subject raises a new warning (nothing is kept in Settled).
	if w.Level == LevelNone && (kind == WarningCleared || a.Level == LevelNone) {
		w.Disposal.Step, w.Disposal.StepSince, w.Disposal.Deadline = StepLapsed, now, time.Time{}
		delete(c.Warnings, key)
		c.headChanged = true
		ch.Warnings = append(ch.Warnings, WarningChange{Kind: WarningSettled, Warning: *w,
			Reason: "风险消除，自动归档：模型已无风险因素，处置随之终结"})
	}
}

// prune forgets company alarms cleared longer ago than the retention, operations
// long over, old commitments and hidden dangers no longer open.
func (e *Engine) prune(company string, c *CompanyState, now time.Time) {
	for k, a := range c.Alarms {
		if !a.Active() && now.Sub(a.Clear) > e.cfg.Alarms.CompanyAlarmRetention {
			delete(c.Alarms, k)
			c.headChanged = true
		}
	}
	for k, o := range c.Operations {
		end := o.End
		if end.IsZero() {
			end = o.Begin.Add(e.cfg.Enterprise.OperationDefaultDuration)
		}
		if !o.Begin.IsZero() && now.Sub(end) > 48*time.Hour {
			delete(c.Operations, k)
			c.headChanged = true
		}
	}
	for k, cm := range c.Commitments {
		if now.Sub(cm.Date) > 72*time.Hour {
			delete(c.Commitments, k)
			c.headChanged = true
		}
	}
	for k, d := range c.Dangers {
		if d.Accepted || d.Deleted {
			c.dropDanger(k)
			e.mark(company, itemDanger, k)
		}
	}
}
