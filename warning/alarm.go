package warning

import (
	"fmt"
	"math"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// Severity is what kind of alarm an Alarm is.
type Severity string

// Alarm severities. Threshold alarms have a direction (high or low) and a rank.
const (
	SevHighHigh Severity = "high_high" // 高高报
	SevHigh     Severity = "high"      // 高报
	SevLow      Severity = "low"       // 低报
	SevLowLow   Severity = "low_low"   // 低低报
	SevNoData   Severity = "no_data"   // 数据中断
	SevCompany  Severity = "company"   // an alarm sent by the company (video, positioning)
)

// NameZH returns the severity's Chinese name.
func (s Severity) NameZH() string {
	return map[Severity]string{SevHighHigh: "高高报", SevHigh: "高报", SevLow: "低报", SevLowLow: "低低报",
		SevNoData: "数据中断", SevCompany: "企业报警"}[s]
}

// rank is 2 for 高高报/低低报, 1 for 高报/低报, 0 otherwise.
func (s Severity) rank() int {
	switch s {
	case SevHighHigh, SevLowLow:
		return 2
	case SevHigh, SevLow:
		return 1
	}
	return 0
}

// high reports whether s is a high-side threshold alarm.
func (s Severity) high() bool { return s == SevHigh || s == SevHighHigh }

// low reports whether s is a low-side threshold alarm.
func (s Severity) low() bool { return s == SevLow || s == SevLowLow }

// Alarm is one alarm from 报警 to 销警: an indicator beyond a limit, an indicator
// without data, or an alarm a company sent.
type Alarm struct {
	ID          string               `json:"id"`
	Company     string               `json:"company"`
	Indicator   string               `json:"indicator,omitempty"`
	Hazard      string               `json:"hazard,omitempty"`
	Area        string               `json:"area,omitempty"`
	Kind        events.IndicatorKind `json:"kind,omitempty"`
	Source      events.AlarmSource   `json:"source,omitempty"` // company-sent alarms only
	Type        string               `json:"type,omitempty"`   // the company's 报警类型 code
	Where       string               `json:"where,omitempty"`
	Fire        bool                 `json:"fire,omitempty"`
	Smoke       bool                 `json:"smoke,omitempty"`
	Severity    Severity             `json:"severity"`     // now
	MaxSeverity Severity             `json:"max_severity"` // the worst it reached
	Limit       float64              `json:"limit,omitempty"`
	Start       time.Time            `json:"start"`     // first reading beyond the limit / 报警时间 / last data
	RaisedAt    time.Time            `json:"raised_at"` // when the platform raised it
	Peak        float64              `json:"peak,omitempty"`
	PeakAt      time.Time            `json:"peak_at,omitzero"`
	Clear       time.Time            `json:"clear,omitzero"` // 销警时间; zero while active
	Duration    time.Duration        `json:"duration,omitempty"`
	ClearReason string               `json:"clear_reason,omitempty"`
	// History marks a company-sent alarm whose 报警时间 was older than
	// alarms.stale_after when the platform received it (a replay, a late backlog):
	// it is recorded, and pairs with its 销警, but no model counts it.
	History bool `json:"history,omitempty"`
}

// Active reports whether the alarm has not been cleared.
func (a *Alarm) Active() bool { return a.Clear.IsZero() }

// clear ends the alarm at t (never before its start) and says why.
func (a *Alarm) clear(t time.Time, reason string) {
	if t.Before(a.Start) {
		t = a.Start
	}
	a.Clear, a.Duration, a.ClearReason = t, t.Sub(a.Start), reason
}

// peak records v at t when it is further beyond the limit than the peak so far.
func (a *Alarm) peak(v float64, t time.Time) {
	worse := v > a.Peak
	if a.Severity.low() {
		worse = v < a.Peak
	}
	if worse || a.PeakAt.IsZero() {
		a.Peak, a.PeakAt = v, t
	}
}

// Pending is a limit exceeded for less than the kind's minimum duration.
type Pending struct {
	Since    time.Time `json:"since"`
	Severity Severity  `json:"severity"`
	Max      Severity  `json:"max"`
	Peak     float64   `json:"peak"`
	PeakAt   time.Time `json:"peak_at"`
}

// IndicatorState is everything the engine remembers about one indicator.
type IndicatorState struct {
	Def       events.IndicatorDef `json:"def"`
	DefinedAt time.Time           `json:"defined_at,omitzero"` // processing time of the first definition
	Last      float64             `json:"last"`
	LastAt    time.Time           `json:"last_at,omitzero"`
	Pending   *Pending            `json:"pending,omitempty"`
	Alarm     *Alarm              `json:"alarm,omitempty"`   // active threshold alarm
	NoData    *Alarm              `json:"no_data,omitempty"` // active 数据中断 alarm
	LastClear time.Time           `json:"last_clear,omitzero"`
}

// indicatorHead is what the head holds of an indicator beyond its definition:
// its pending exceedance, its alarms and its last clearing, by value (a reading
// moves an alarm's peak in place).
type indicatorHead struct {
	pending       *Pending
	pendingValue  Pending
	alarm, noData *Alarm
	alarmValue    Alarm
	lastClear     time.Time
}

// head returns what the head holds of the indicator beyond its definition; a
// reading that leaves it equal changed only the last value and time.
func (s *IndicatorState) head() indicatorHead {
	h := indicatorHead{pending: s.Pending, alarm: s.Alarm, noData: s.NoData, lastClear: s.LastClear}
	if s.Pending != nil {
		h.pendingValue = *s.Pending
	}
	if s.Alarm != nil {
		h.alarmValue = *s.Alarm
	}
	return h
}

// AlarmChange is an alarm raised, changed (severity) or cleared.
type AlarmChange struct {
	Kind  ChangeKind `json:"kind"`
	Alarm Alarm      `json:"alarm"` // a copy as it is after the change
}

// effectiveThresholds returns the indicator's limits, falling back to the leak
// model's defaults for gas detectors that send none in the expected unit.
func effectiveThresholds(d *events.IndicatorDef, cfg *Config) events.Thresholds {
	t := d.Thresholds
	if g, ok := cfg.Leak.Gases[d.Kind]; ok && sameUnit(d.Unit, g.Unit) {
		if t.High == nil {
			t.High = g.High
		}
		if t.HighHigh == nil {
			t.HighHigh = g.HighHigh
		}
	}
	return t
}

// sameUnit compares units ignoring case, spaces and the order of %LEL / LEL%.
func sameUnit(a, b string) bool {
	norm := func(s string) string {
		out := make([]rune, 0, len(s))
		for _, r := range s {
			switch {
			case r == ' ' || r == '%':
			case 'a' <= r && r <= 'z':
				out = append(out, r-'a'+'A')
			default:
				out = append(out, r)
			}
		}
		return string(out)
	}
	return a != "" && norm(a) == norm(b)
}

// deadband returns the absolute hysteresis of an indicator's limits.
func deadband(d *events.IndicatorDef, t events.Thresholds, pct float64) float64 {
	if pct <= 0 {
		return 0
	}
	if d.RangeLow != nil && d.RangeHigh != nil && *d.RangeHigh > *d.RangeLow {
		return (*d.RangeHigh - *d.RangeLow) * pct / 100
	}
	m := 0.0
	for _, p := range []*float64{t.LowLow, t.Low, t.High, t.HighHigh} {
		if p != nil {
			m = math.Max(m, math.Abs(*p))
		}
	}
	return m * pct / 100
}

// classify returns the severity of value v given the limits, the severity already
// active (which must fall back by the deadband db before it lets go) and "" when v
// is within limits.
func classify(v float64, t events.Thresholds, cur Severity, db float64) (Severity, float64) {
	beyond := func(limit *float64, sev Severity) bool {
		if limit == nil {
			return false
		}
		held := cur.rank() >= sev.rank() && (cur.high() == sev.high())
		switch {
		case sev.high() && held:
			return v > *limit-db
		case sev.high():
			return v >= *limit
		case held:
			return v < *limit+db
		}
		return v <= *limit
	}
	for _, c := range []struct {
		limit *float64
		sev   Severity
	}{{t.HighHigh, SevHighHigh}, {t.High, SevHigh}, {t.LowLow, SevLowLow}, {t.Low, SevLow}} {
		if beyond(c.limit, c.sev) {
			return c.sev, *c.limit
		}
	}
	return "", 0
}

func worse(a, b Severity) Severity {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// observe applies one reading to the indicator's lifecycle and appends the alarm
// changes. Readings not newer than the last one are duplicates or late and change
// nothing (at-least-once delivery); it reports whether the reading was used.
func (s *IndicatorState) observe(r events.Reading, now time.Time, cfg *Config, out *[]AlarmChange) bool {
	if !r.At.After(s.LastAt) {
		return false
	}
	s.Last, s.LastAt = r.Value, r.At
	if s.NoData != nil {
		s.NoData.clear(r.At, "数据恢复")
		*out = append(*out, AlarmChange{Kind: AlarmCleared, Alarm: *s.NoData})
		s.NoData = nil
	}
	if s.Def.Code == "" || s.Def.Deleted {
		return true // readings before the definition: kept as last value, judged once it arrives
	}
	if stale(r.At, now, cfg) {
		return true // history (a replay, a late backlog): kept as last value, raises nothing
	}
	s.judge(r.Value, r.At, now, cfg, "恢复正常（回差内）", out)
	return true
}

// stale reports whether a value collected at at is too old at now to raise an alarm
// (alarms.stale_after; never when it is 0).
func stale(at, now time.Time, cfg *Config) bool {
	return cfg.Alarms.StaleAfter > 0 && now.Sub(at) > cfg.Alarms.StaleAfter
}

// judge applies value v collected at at to the indicator's limits: it raises,
// changes or clears (with clearReason) the threshold alarm and keeps the pending
// exceedance that the minimum duration waits on.
func (s *IndicatorState) judge(v float64, at, now time.Time, cfg *Config, clearReason string, out *[]AlarmChange) {
	r := events.Reading{Value: v, At: at}
	kc := cfg.Alarms.For(s.Def.Kind)
	t := effectiveThresholds(&s.Def, cfg)
	db := deadband(&s.Def, t, kc.DeadbandPercent)
	if a := s.Alarm; a != nil {
		sev, limit := classify(r.Value, t, a.Severity, db)
		if sev == "" || sev.high() != a.Severity.high() {
			a.clear(r.At, clearReason)
			*out = append(*out, AlarmChange{Kind: AlarmCleared, Alarm: *a})
			s.Alarm, s.LastClear = nil, r.At
			if sev == "" {
				return
			}
		} else {
			a.peak(r.Value, r.At)
			if sev != a.Severity || limit != a.Limit {
				a.Severity, a.Limit, a.MaxSeverity = sev, limit, worse(a.MaxSeverity, sev)
				*out = append(*out, AlarmChange{Kind: AlarmChanged, Alarm: *a})
			}
			return
		}
	}
	sev, limit := classify(r.Value, t, "", db)
	if sev == "" {
		s.Pending = nil
		return
	}
	p := s.Pending
	if p == nil || p.Severity.high() != sev.high() {
		p = &Pending{Since: r.At, Severity: sev, Max: sev, Peak: r.Value, PeakAt: r.At}
		s.Pending = p
	} else {
		p.Severity, p.Max = sev, worse(p.Max, sev)
		if (sev.high() && r.Value > p.Peak) || (sev.low() && r.Value < p.Peak) {
			p.Peak, p.PeakAt = r.Value, r.At
		}
	}
	if r.At.Sub(p.Since) < kc.MinDuration {
		return
	}
	s.Alarm = &Alarm{ID: fmt.Sprintf("%s/%s/%d", s.Def.Company, s.Def.Code, p.Since.Unix()),
		Company: s.Def.Company, Indicator: s.Def.Code, Hazard: s.Def.Hazard, Area: s.Def.Area,
		Kind: s.Def.Kind, Severity: sev, MaxSeverity: p.Max, Limit: limit, Start: p.Since,
		RaisedAt: now, Peak: p.Peak, PeakAt: p.PeakAt}
	s.Pending = nil
	*out = append(*out, AlarmChange{Kind: AlarmRaised, Alarm: *s.Alarm})
}

// checkSilence raises a 数据中断 alarm when the indicator has sent nothing for the
// kind's no_data_after while the platform's intake ran: silence is measured up to
// the newest reading the pipeline delivered (in.At, when known and earlier than
// now) and from no earlier than the intake's resumption (in.Since).
func (s *IndicatorState) checkSilence(now time.Time, in events.Intake, cfg *Config, out *[]AlarmChange) {
	if s.NoData != nil || s.Def.Code == "" || s.Def.Deleted {
		return
	}
	after := cfg.Alarms.For(s.Def.Kind).NoDataAfter
	last := s.LastAt
	if last.IsZero() {
		last = s.DefinedAt
	}
	if after <= 0 || last.IsZero() || in.Silence(last, now) < after {
		return
	}
	s.NoData = &Alarm{ID: fmt.Sprintf("%s/%s/nodata/%d", s.Def.Company, s.Def.Code, last.Unix()),
		Company: s.Def.Company, Indicator: s.Def.Code, Hazard: s.Def.Hazard, Area: s.Def.Area,
		Kind: s.Def.Kind, Severity: SevNoData, MaxSeverity: SevNoData, Start: last, RaisedAt: now}
	*out = append(*out, AlarmChange{Kind: AlarmRaised, Alarm: *s.NoData})
}

// define applies a new version of the indicator's definition. Deleting it clears
// its alarms. When the limits are new or changed, the last reading (kept even when
// it came before any definition) is judged against them at once, unless it is
// stale: an indicator whose thresholds arrive after its readings still alarms, and
// one whose limits are corrected clears or escalates without waiting for the next
// reading.
func (s *IndicatorState) define(d events.IndicatorDef, now time.Time, cfg *Config, out *[]AlarmChange) {
	if s.DefinedAt.IsZero() {
		s.DefinedAt = now
	}
	old := s.Def
	s.Def = d
	if !d.Deleted {
		if limitsChanged(&old, &d) && !s.LastAt.IsZero() && !stale(s.LastAt, now, cfg) {
			s.judge(s.Last, s.LastAt, now, cfg, "指标阈值变更后恢复正常", out)
		}
		return
	}
	for _, a := range []**Alarm{&s.Alarm, &s.NoData} {
		if *a != nil {
			(*a).clear(now, "指标已删除")
			*out = append(*out, AlarmChange{Kind: AlarmCleared, Alarm: **a})
			*a = nil
		}
	}
	s.Pending = nil
}

// companyAlarm merges a company-sent 报警/销警 into the lifecycle by its ID. Repeats
// of an alarm already known change nothing.
func companyAlarm(alarms map[string]*Alarm, ev events.CompanyAlarm, now time.Time, cfg *Config, out *[]AlarmChange) {
	key, id := string(ev.Source)+":"+ev.ID, ""
	if (ev.Source == events.SourceVideo || ev.Source == events.SourceGasStation) && cfg.Alarms.VideoPairing.ModeFor(ev.Company) == PairByChannelType {
		// Paired by channel and type: the map holds the channel's latest alarm; each
		// alarm keeps an id of its own (the channel key and its start), so a new 报警
		// after a 销警 is a new alarm, not the old one reopened.
		key = string(ev.Source) + ":" + ev.Where + "/" + ev.Type
		id = key + "@" + ev.At.UTC().Format("20060102T150405Z")
		if a, known := alarms[key]; known && ev.Raised && !a.Active() {
			delete(alarms, key)
		}
	}
	if id == "" {
		id = key
	}
	a, known := alarms[key]
	switch {
	case ev.Raised && known, !ev.Raised && known && !a.Active():
		return
	case ev.Raised:
		a = &Alarm{ID: id, Company: ev.Company, Source: ev.Source, Type: ev.Type, Where: ev.Where,
			Fire: ev.Fire, Smoke: ev.Smoke, Severity: SevCompany, MaxSeverity: SevCompany,
			Start: ev.At, RaisedAt: now, History: stale(ev.At, now, cfg)}
		alarms[key] = a
		*out = append(*out, AlarmChange{Kind: AlarmRaised, Alarm: *a})
	case known:
		a.clear(ev.At, "企业销警")
		*out = append(*out, AlarmChange{Kind: AlarmCleared, Alarm: *a})
	default:
		a = &Alarm{ID: id, Company: ev.Company, Source: ev.Source, Type: ev.Type, Where: ev.Where,
			Fire: ev.Fire, Smoke: ev.Smoke, Severity: SevCompany, MaxSeverity: SevCompany,
			Start: ev.At, RaisedAt: now}
		a.clear(ev.At, "销警无对应报警")
		alarms[key] = a
		*out = append(*out, AlarmChange{Kind: AlarmCleared, Alarm: *a})
	}
}

// limitsChanged reports whether the new definition b judges values differently from
// a: the indicator was unknown or deleted, or its kind, unit, range or thresholds
// changed.
func limitsChanged(a, b *events.IndicatorDef) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	ta, tb := a.Thresholds, b.Thresholds
	return a.Code == "" || a.Deleted || a.Kind != b.Kind || a.Unit != b.Unit ||
		!eq(a.RangeLow, b.RangeLow) || !eq(a.RangeHigh, b.RangeHigh) || !eq(ta.LowLow, tb.LowLow) ||
		!eq(ta.Low, tb.Low) || !eq(ta.High, tb.High) || !eq(ta.HighHigh, tb.HighHigh)
}
