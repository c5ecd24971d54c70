package warning

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Warning is one 预警: a model's judgement about one subject of a company, kept from
// its raising until its disposal ends. There is at most one open warning per company,
// model and subject; the model re-levels it and the disposal acts on it.
type Warning struct {
	ID            string    `json:"id"`
	Model         string    `json:"model"`
	Company       string    `json:"company"`
	Subject       string    `json:"subject,omitempty"`
	SubjectName   string    `json:"subject_name,omitempty"`
	Level         Level     `json:"level"` // none once the model sees no more risk
	Score         float64   `json:"score"`
	Factors       []Factor  `json:"factors"`
	ConfigVersion string    `json:"config_version"`
	RaisedAt      time.Time `json:"raised_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// LowerSince is when the model's score first fell enough below the level to lower
	// it; the warning is lowered once that has lasted the hysteresis time.
	LowerSince time.Time     `json:"lower_since,omitzero"`
	History    []LevelChange `json:"history"`
	Disposal   Disposal      `json:"disposal"`
}

// LevelChange is one change of a warning's level, with the score, the factors and a
// reason a regulator can read.
type LevelChange struct {
	At      time.Time `json:"at"`
	From    Level     `json:"from"`
	To      Level     `json:"to"`
	Score   float64   `json:"score"`
	Reason  string    `json:"reason"`
	Factors []Factor  `json:"factors"`
	By      *Actor    `json:"by,omitempty"` // a regulator's 降级; nil for the model
}

// newWarning raises a warning from an assessment.
func newWarning(a Assessment, now time.Time, cfg *Config) *Warning {
	w := &Warning{ID: fmt.Sprintf("%s/%s/%s/%d", a.Company, a.Model, a.Subject, now.UnixNano()),
		Model: a.Model, Company: a.Company, Subject: a.Subject, SubjectName: a.SubjectName,
		Level: a.Level, Score: a.Score, Factors: a.Factors, ConfigVersion: cfg.Version,
		RaisedAt: now, UpdatedAt: now, Disposal: publish(now, a.Level, cfg.Disposal)}
	w.History = []LevelChange{{At: now, From: LevelNone, To: a.Level, Score: a.Score,
		Reason: "发布：" + describe(a.Factors), Factors: a.Factors}}
	return w
}

// update re-levels the warning from a new assessment: up at once, down only after
// the hysteresis. It returns the kind of change made ("" for none) and its reason.
func (w *Warning) update(a Assessment, now time.Time, cfg *Config) (ChangeKind, string) {
	prevFactors, prevScore := w.Factors, w.Score
	w.Score, w.Factors, w.SubjectName, w.ConfigVersion = a.Score, a.Factors, a.SubjectName, cfg.Version
	levels := levelsOf(a.Model, cfg)
	switch {
	case a.Level > w.Level:
		reason := fmt.Sprintf("升级（风险值 %s→%s）：%s", num(round2(prevScore)), num(round2(a.Score)), diff(prevFactors, a.Factors, true))
		w.relevel(now, a.Level, reason, nil)
		w.Disposal.tighten(a.Level, cfg.Disposal)
		return WarningEscalated, reason
	case a.Level < w.Level && a.Score <= levels.Threshold(w.Level)-cfg.Hysteresis.Margin:
		if w.LowerSince.IsZero() {
			w.LowerSince = now
		}
		if now.Sub(w.LowerSince) < cfg.Hysteresis.LowerAfter {
			return "", ""
		}
		kind, verb := WarningLowered, "降级"
		if a.Level == LevelNone {
			kind, verb = WarningCleared, "预警条件消除"
		}
		reason := fmt.Sprintf("%s（风险值 %s→%s，持续 %s）：%s", verb, num(round2(w.History[len(w.History)-1].Score)),
			num(round2(a.Score)), now.Sub(w.LowerSince).Round(time.Second), diff(w.History[len(w.History)-1].Factors, a.Factors, false))
		w.relevel(now, a.Level, reason, nil)
		return kind, reason
	}
	w.LowerSince = time.Time{}
	return "", ""
}

// sameUpdate reports whether update left w as it was before (a copy taken before
// it): update, when it reports no change, moves only the score, the factors, the
// subject's name, the model file's version and the hysteresis timer. Equal floats
// and times are compared by value and representation, so a difference it misses
// cannot exist; one it sees in equal values only costs an encoding.
func (w *Warning) sameUpdate(before *Warning) bool {
	return w.Level == before.Level && w.Score == before.Score && w.SubjectName == before.SubjectName &&
		w.ConfigVersion == before.ConfigVersion && w.LowerSince == before.LowerSince &&
		w.UpdatedAt == before.UpdatedAt && len(w.History) == len(before.History) &&
		slices.Equal(w.Factors, before.Factors)
}

// relevel records a level change.
func (w *Warning) relevel(now time.Time, to Level, reason string, by *Actor) {
	w.History = append(w.History, LevelChange{At: now, From: w.Level, To: to, Score: w.Score,
		Reason: reason, Factors: w.Factors, By: by})
	w.Level, w.UpdatedAt, w.LowerSince = to, now, time.Time{}
}

func levelsOf(model string, cfg *Config) Levels {
	switch model {
	case ModelWarehouse:
		return cfg.Warehouse.Levels
	case ModelLeak:
		return cfg.Leak.Levels
	case ModelViolation:
		return cfg.Violation.Levels
	}
	return cfg.Enterprise.Levels
}

// describe lists factors as "名称 数量×权重=得分".
func describe(fs []Factor) string {
	if len(fs) == 0 {
		return "无风险因素"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s %s×%s=%s", f.NameZH, num(round2(f.Count)), num(f.Weight), num(round2(f.Points)))
	}
	return strings.Join(parts, "；")
}

// diff says which factors rose (up) or fell (!up) between two assessments, e.g.
// "探测器一级（高）报警 3→1；同区域多点报警（扩散） 2→0".
func diff(before, after []Factor, up bool) string {
	count := func(fs []Factor) map[string]Factor {
		m := make(map[string]Factor, len(fs))
		for _, f := range fs {
			m[f.Code] = f
		}
		return m
	}
	b, a := count(before), count(after)
	codes := map[string]bool{}
	for c := range b {
		codes[c] = true
	}
	for c := range a {
		codes[c] = true
	}
	var parts []string
	for c := range codes {
		if (up && a[c].Points > b[c].Points) || (!up && a[c].Points < b[c].Points) {
			parts = append(parts, fmt.Sprintf("%s %s→%s", factorNames[c], num(round2(b[c].Count)), num(round2(a[c].Count))))
		}
	}
	if len(parts) == 0 {
		return "因素未变"
	}
	sort.Strings(parts)
	return strings.Join(parts, "；")
}
