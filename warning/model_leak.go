package warning

import (
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// LeakSubject is the subject of a leak warning: one area of a company and one gas kind.
func LeakSubject(area string, kind events.IndicatorKind) string { return area + "/" + string(kind) }

// AssessLeak is the leak model (泄漏风险预警模型) for one area and gas kind of a
// company: every detector of the area in 一级 or 二级 alarm counts, a detector that
// cleared within the window still counts a little, and each further detector
// alarming at the same time adds a spread bonus — several detectors of one area
// alarming together is a leak spreading, not a faulty sensor.
func AssessLeak(company, area string, kind events.IndicatorKind, c *CompanyState, now time.Time, cfg *Config) Assessment {
	var detectors []*IndicatorState
	for _, s := range c.Indicators {
		if s.Def.Area == area && s.Def.Kind == kind && !s.Def.Deleted {
			detectors = append(detectors, s)
		}
	}
	return assessLeak(company, area, kind, detectors, now, cfg)
}

// leakArea is one leak subject: an area of a company and a gas kind.
type leakArea struct {
	area string
	kind events.IndicatorKind
}

// leakAreaOf is the leak subject LeakSubject names.
func leakAreaOf(subject string) leakArea {
	i := strings.LastIndexByte(subject, '/')
	if i < 0 {
		return leakArea{}
	}
	return leakArea{subject[:i], events.IndicatorKind(subject[i+1:])}
}

// leakDetectors gathers a company's gas detectors that are not deleted by leak
// subject, in one walk of its indicators: judging every area by a walk of its own
// made a tick cost areas × indicators per company (docs/performance.md, "The tick's
// leak model and one round trip to authenticate").
func leakDetectors(c *CompanyState) map[leakArea][]*IndicatorState {
	byArea := map[leakArea][]*IndicatorState{}
	for _, s := range c.Indicators {
		if s.Def.Kind.IsGas() && s.Def.Area != "" && !s.Def.Deleted {
			k := leakArea{s.Def.Area, s.Def.Kind}
			byArea[k] = append(byArea[k], s)
		}
	}
	return byArea
}

// assessLeak is AssessLeak over the area's detectors, already gathered.
func assessLeak(company, area string, kind events.IndicatorKind, detectors []*IndicatorState, now time.Time, cfg *Config) Assessment {
	lc := &cfg.Leak
	f := &factors{weights: lc.Factors}
	var hh, h, recent []string
	for _, s := range detectors {
		switch {
		case s.Alarm != nil && s.Alarm.Severity == SevHighHigh:
			hh = append(hh, s.Def.Code)
		case s.Alarm != nil && s.Alarm.Severity == SevHigh:
			h = append(h, s.Def.Code)
		case s.Alarm == nil && !s.LastClear.IsZero() && now.Sub(s.LastClear) < lc.Window:
			recent = append(recent, s.Def.Code)
		}
	}
	f.add(FactorDetectorHighHigh, float64(len(hh)), list(hh))
	f.add(FactorDetectorHigh, float64(len(h)), list(h))
	f.add(FactorDetectorRecent, float64(len(recent)), list(recent))
	f.add(FactorSpread, float64(len(hh)+len(h)-1), "")
	name := area + " " + lc.Gases[kind].Name
	return assessment(ModelLeak, company, LeakSubject(area, kind), name, f, lc.Levels)
}
