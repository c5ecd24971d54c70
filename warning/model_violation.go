package warning

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/shandong-emergency/chemguard/engineconfig"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
)

// ModelViolation is the 违规行为预警模型: positioning and video alarms the company's
// own systems send (人员定位 表2, 智能视频 表1, 加油站 表1), graded by type, by
// whether a valid work permit covers them and by how often they repeat in a day.
const ModelViolation = "violation"

// Factor codes of the violation model.
const (
	FactorHotWorkNoPermit   = "hot_work_no_permit"
	FactorHotWorkPermitted  = "hot_work_permitted"
	FactorWorkAreaNoPermit  = "work_area_no_permit"
	FactorViolationRed      = "violation_red"
	FactorViolationOrange   = "violation_orange"
	FactorViolationYellow   = "violation_yellow"
	FactorViolationBlue     = "violation_blue"
	FactorViolationRepeated = "violation_repeated"
)

func init() {
	for code, name := range map[string]string{
		FactorHotWorkNoPermit:   "无有效动火作业票的明火",
		FactorHotWorkPermitted:  "动火作业票覆盖的明火（记录，不升级）",
		FactorWorkAreaNoPermit:  "作业区域报警处无有效作业票",
		FactorViolationRed:      "红色违规/求救报警",
		FactorViolationOrange:   "橙色违规报警",
		FactorViolationYellow:   "黄色违规报警",
		FactorViolationBlue:     "蓝色违规报警",
		FactorViolationRepeated: "当日多次违规",
	} {
		factorNames[code] = name
	}
}

// ViolationConfig configures the violation model. Types are keyed by
// "<source>:<报警类型>", e.g. "positioning:01" (一键求救), "video:8" (抽烟),
// "gas-station-video:14" (静电释放时间不足).
type ViolationConfig struct {
	Levels Levels                   `yaml:"levels"`
	Types  map[string]ViolationType `yaml:"types"`
	// HotWorkTypes are the alarm types that show fire itself (明火): outside every
	// valid hot-work permit they raise HotWorkLevel; inside one they are noted.
	HotWorkTypes []string `yaml:"hot_work_types"`
	HotWorkLevel Level    `yaml:"hot_work_level"`
	// WorkAreaTypes are the positioning alarms of a work area (08 作业人员离开, 09
	// 非作业人员闯入): with no valid permit of any kind covering them, the work itself
	// is unpermitted and they raise WorkAreaNoPermitLevel.
	WorkAreaTypes         []string `yaml:"work_area_types"`
	WorkAreaNoPermitLevel Level    `yaml:"work_area_no_permit_level"`
	// PermitGrace widens a permit's window on both sides: clocks of two systems
	// differ and a fire is lit a few minutes before the ticket's start.
	PermitGrace time.Duration `yaml:"permit_grace"`
	// Repeat raises the company's level by one (at least to Repeat.MinLevel) when
	// Repeat.Count violations or more were raised within Repeat.Window.
	Repeat RepeatConfig `yaml:"repeat"`
}

// ViolationType is the grading of one alarm type.
type ViolationType struct {
	Name  string `yaml:"name"`
	Level Level  `yaml:"level"`
	// HotWorkLevel applies while a valid hot-work permit covers the alarm's place
	// and time (none: Level).
	HotWorkLevel Level `yaml:"hot_work_level"`
	// MajorHazardLevel applies when the alarm's place names a major hazard source
	// of the company (none: Level).
	MajorHazardLevel Level  `yaml:"major_hazard_level"`
	Reason           string `yaml:"reason"`
}

// RepeatConfig is the repeated-violation rule.
type RepeatConfig struct {
	Window   time.Duration `yaml:"window"`
	Count    int           `yaml:"count"`
	MinLevel Level         `yaml:"min_level"`
}

func (v *ViolationConfig) validate() error {
	if err := v.Levels.validate(); err != nil {
		return fmt.Errorf("%w (violation)", err)
	}
	if err := engineconfig.NonNegative(engine, "violation.permit_grace or violation.repeat", v.PermitGrace, v.Repeat.Window); err != nil {
		return err
	}
	if err := engineconfig.NonNegative(engine, "violation.repeat.count", v.Repeat.Count); err != nil {
		return err
	}
	for k, t := range v.Types {
		if t.Level == LevelNone || t.Name == "" || t.Reason == "" {
			return fmt.Errorf("%w: violation.types.%s needs a name, a level and a reason", ErrViolationType, k)
		}
	}
	return nil
}

// ErrViolationType is returned for a violation type without a name, level or reason.
var ErrViolationType = fmt.Errorf("warning: violation type incomplete")

// alarmKey is the config key of a company alarm's type.
func alarmKey(a *Alarm) string { return string(a.Source) + ":" + a.Type }

// PermitCover says which permit, if any, covers an alarm.
type PermitCover struct {
	Permit  string // the permit's ID; "" when none covers
	HotWork bool   // the covering permit is 动火作业
	Place   string // the alarm's place as matched ("" when unknown)
}

// AlarmPlaces is where a company alarm happened, as texts to match a permit's
// 作业位置 against: a positioning alarm's 报警位置 (the fence's area), or a video
// alarm's camera — its PLACE and CAMERA_NAME from 视频监控信息. nil when unknown.
func AlarmPlaces(a *Alarm, cameras map[string]events.Camera) []string {
	if a.Source == events.SourcePositioning {
		if a.Where == "" {
			return nil
		}
		return []string{a.Where}
	}
	cam, ok := cameras[a.Where]
	if !ok || cam.Deleted {
		return nil
	}
	var out []string
	for _, p := range []string{cam.Place, cam.Name} {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// Covers reports whether permit o covers an alarm that started at t at one of places: the
// permit is not cancelled; t lies within [TASK_BEGIN_TIME − grace, TASK_END_TIME +
// grace] (an unreported end: begin + operation_default_duration; no begin: never);
// and its 作业位置 matches a place — one of the two, normalised (spaces and
// punctuation removed, full-width folded, case ignored), contains the other. Both
// are free text, so containment is the strongest match they allow ("1号罐区" is
// covered by a permit at "1号罐区东侧管廊", and the reverse). When the alarm's place
// is unknown (a camera not registered in 视频监控信息) any permit valid at t
// covers it: the platform cannot prove it elsewhere, and the governance facts
// report the unregistered camera instead.
func Covers(o events.Operation, t time.Time, places []string, dflt, grace time.Duration) bool {
	if o.Cancelled || o.Begin.IsZero() {
		return false
	}
	end := o.End
	if end.IsZero() {
		end = o.Begin.Add(dflt)
	}
	if t.Before(o.Begin.Add(-grace)) || t.After(end.Add(grace)) {
		return false
	}
	if len(places) == 0 {
		return true
	}
	q := normPlace(o.Position)
	for _, place := range places {
		if p := normPlace(place); p != "" && q != "" && (strings.Contains(p, q) || strings.Contains(q, p)) {
			return true
		}
	}
	return false
}

// normPlace folds a free-text place for matching.
func normPlace(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// coverOf finds the permit covering alarm a: a hot-work permit first, then any.
func coverOf(a *Alarm, c *CompanyState, cfg *Config) PermitCover {
	places := AlarmPlaces(a, c.Cameras)
	place := strings.Join(places, " ")
	ids := make([]string, 0, len(c.Operations))
	for id := range c.Operations {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var any string
	for _, id := range ids {
		o := c.Operations[id]
		if !Covers(o, a.Start, places, cfg.Enterprise.OperationDefaultDuration, cfg.Violation.PermitGrace) {
			continue
		}
		if o.IsHotWork() {
			return PermitCover{Permit: id, HotWork: true, Place: place}
		}
		if any == "" {
			any = id
		}
	}
	return PermitCover{Permit: any, Place: place}
}

// PermitCovers reports whether a valid hot-work permit of the company covers the
// alarm (fire inside a permitted hot work), for the enterprise model.
func permitCoversFire(a *Alarm, c *CompanyState, cfg *Config) bool {
	return a.Fire && coverOf(a, c, cfg).HotWork
}

// isIn reports whether s is one of list.
func isIn(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// majorHazardPlace reports whether place names one of the company's major hazard
// sources (by name or code), or the alarm's camera watches one.
func majorHazardPlace(a *Alarm, c *CompanyState) bool {
	if cam, ok := c.Cameras[a.Where]; ok && cam.Hazard != "" {
		if h, ok := c.Hazards[cam.Hazard]; ok && h.Grade > 0 && !h.Deleted {
			return true
		}
	}
	p := normPlace(a.Where)
	if p == "" {
		return false
	}
	for _, h := range c.Hazards {
		if h.Grade == 0 || h.Deleted {
			continue
		}
		if n := normPlace(h.Name); n != "" && (strings.Contains(p, n) || strings.Contains(n, p)) {
			return true
		}
		if p == normPlace(h.Code) {
			return true
		}
	}
	return false
}

// judged is one alarm's grade in the violation model.
type judged struct {
	level  Level
	factor string
	detail string
}

// gradeAlarm grades one company alarm; ok is false for alarms the model ignores.
func gradeAlarm(a *Alarm, c *CompanyState, cfg *Config) (judged, bool) {
	vc := &cfg.Violation
	key := alarmKey(a)
	at := a.Start.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	if isIn(key, vc.HotWorkTypes) {
		cov := coverOf(a, c, cfg)
		where := placeText(a, cov.Place)
		if cov.HotWork {
			return judged{LevelNone, FactorHotWorkPermitted, fmt.Sprintf("%s %s 在动火作业票 %s 的时间与区域内", where, at, cov.Permit)}, true
		}
		return judged{vc.HotWorkLevel, FactorHotWorkNoPermit, fmt.Sprintf("%s %s 无有效动火作业票覆盖", where, at)}, true
	}
	t, ok := vc.Types[key]
	if !ok {
		return judged{}, false
	}
	level := t.Level
	var notes []string
	if isIn(key, vc.WorkAreaTypes) {
		cov := coverOf(a, c, cfg)
		switch {
		case cov.Permit == "":
			return judged{vc.WorkAreaNoPermitLevel, FactorWorkAreaNoPermit,
				fmt.Sprintf("%s：%s %s 无有效作业票覆盖", t.Name, placeText(a, cov.Place), at)}, true
		case cov.HotWork && t.HotWorkLevel > level:
			level = t.HotWorkLevel
			notes = append(notes, "动火作业票 "+cov.Permit+" 进行中")
		default:
			notes = append(notes, "作业票 "+cov.Permit)
		}
	} else if t.HotWorkLevel > level {
		if cov := coverOf(a, c, cfg); cov.HotWork {
			level = t.HotWorkLevel
			notes = append(notes, "动火作业票 "+cov.Permit+" 进行中")
		}
	}
	if t.MajorHazardLevel > level && majorHazardPlace(a, c) {
		level = t.MajorHazardLevel
		notes = append(notes, "重大危险源区域")
	}
	d := fmt.Sprintf("%s：%s %s", t.Name, placeText(a, strings.Join(AlarmPlaces(a, c.Cameras), " ")), at)
	if len(notes) > 0 {
		d += "（" + strings.Join(notes, "，") + "）"
	}
	return judged{level, levelFactor(level), d}, true
}

func placeText(a *Alarm, place string) string {
	if place == "" {
		return a.Where
	}
	if a.Source == events.SourcePositioning || place == a.Where {
		return place
	}
	return a.Where + "（" + place + "）"
}

func levelFactor(l Level) string {
	return [...]string{"", FactorViolationBlue, FactorViolationYellow, FactorViolationOrange, FactorViolationRed}[l]
}

// AssessViolation is the violation model for one company: the worst level of its
// active violation alarms (not those received as history), raised one level — and
// at least to repeat.min_level — when repeat.count violations or more were raised
// within repeat.window. Its score is the threshold of that level, so that the
// level, not a sum, is what the factors explain; each factor's points are the
// threshold its own level would give.
func AssessViolation(company string, c *CompanyState, now time.Time, cfg *Config) Assessment {
	vc := &cfg.Violation
	type group struct {
		level   Level
		details []string
		names   map[string]bool
	}
	groups := map[string]*group{}
	var worst Level
	recent := 0
	for _, a := range c.Alarms {
		if a.History || a.Source == "" {
			continue
		}
		g, ok := gradeAlarm(a, c, cfg)
		name := factorNames[g.factor]
		if t, typed := vc.Types[alarmKey(a)]; typed {
			name = t.Name
		}
		if !ok {
			continue
		}
		if g.level > LevelNone && vc.Repeat.Window > 0 && now.Sub(a.Start) <= vc.Repeat.Window && !a.Start.After(now) {
			recent++
		}
		if !a.Active() {
			continue
		}
		gr := groups[g.factor]
		if gr == nil {
			gr = &group{level: g.level, names: map[string]bool{}}
			groups[g.factor] = gr
		}
		gr.level = max(gr.level, g.level)
		gr.details = append(gr.details, g.detail)
		gr.names[name] = true
		worst = max(worst, g.level)
	}
	var fs []Factor
	for code, gr := range groups {
		sort.Strings(gr.details)
		names := make([]string, 0, len(gr.names))
		for n := range gr.names {
			names = append(names, n)
		}
		sort.Strings(names)
		nameZH := factorNames[code]
		if code != FactorHotWorkNoPermit && code != FactorHotWorkPermitted {
			nameZH += "：" + strings.Join(names, "、")
		}
		fs = append(fs, Factor{Code: code, NameZH: nameZH, Count: float64(len(gr.details)),
			Weight: vc.Levels.Threshold(gr.level), Points: vc.Levels.Threshold(gr.level), Detail: strings.Join(gr.details, "；")})
	}
	level := worst
	if vc.Repeat.Count > 0 && recent >= vc.Repeat.Count {
		raised := min(max(worst+1, vc.Repeat.MinLevel), LevelRed)
		if raised > worst {
			fs = append(fs, Factor{Code: FactorViolationRepeated, NameZH: factorNames[FactorViolationRepeated],
				Count: float64(recent), Weight: vc.Levels.Threshold(raised) - vc.Levels.Threshold(worst),
				Points: vc.Levels.Threshold(raised) - vc.Levels.Threshold(worst),
				Detail: fmt.Sprintf("%s 内 %d 次违规（阈值 %d 次），等级 %s → %s", vc.Repeat.Window, recent, vc.Repeat.Count, worst.NameZH(), raised.NameZH())})
			level = raised
		}
	}
	sort.Slice(fs, func(i, j int) bool {
		return fs[i].Points > fs[j].Points || (fs[i].Points == fs[j].Points && fs[i].Code < fs[j].Code)
	})
	if fs == nil {
		fs = []Factor{}
	}
	score := vc.Levels.Threshold(level)
	return Assessment{Model: ModelViolation, Company: company, Score: score, Level: level, Factors: fs}
}
