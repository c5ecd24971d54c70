package warning_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// gasDetector is a combustible-gas detector of area 罐区A that sends no limits of its
// own: the GB/T 50493 defaults (20 / 50 %LEL) apply.
func gasDetector(code string) events.IndicatorDef {
	return events.IndicatorDef{Code: code, Company: "C1", Name: "可燃气体探测器", Kind: events.KindCombustible,
		Unit: "%LEL", RangeLow: f(0), RangeHigh: f(100), Area: "罐区A"}
}

// A leak spreading over three detectors of one area raises ONE area warning that
// escalates as each detector joins, then lowers it as they clear.
func TestScenarioLeakSpreadsAndRecedes(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	dets := []string{"GT-1", "GT-2", "GT-3"}
	for _, d := range dets {
		e.Apply(gasDetector(d), clk.now)
	}
	read := func(code string, v float64) warning.Changes {
		return e.Apply(events.Reading{Company: "C1", Indicator: code, Value: v, At: clk.now}, clk.now)
	}
	leakLevel := func() warning.Level { return only(t, e, "C1", warning.ModelLeak).Level }

	// One detector at 一级: blue. A second: orange. A third: red. One warning throughout.
	ch := read("GT-1", 25)
	require.Equal(t, warning.WarningRaised, warningsOf(ch, warning.ModelLeak)[0].Kind)
	require.Equal(t, warning.LevelBlue, leakLevel())
	clk.Advance(time.Minute)
	ch = read("GT-2", 30)
	require.Equal(t, warning.WarningEscalated, warningsOf(ch, warning.ModelLeak)[0].Kind)
	require.Equal(t, warning.LevelOrange, leakLevel())
	clk.Advance(time.Minute)
	read("GT-3", 28)
	w := only(t, e, "C1", warning.ModelLeak)
	require.Equal(t, warning.LevelRed, w.Level)
	require.Equal(t, "罐区A/5", w.Subject)
	require.Subset(t, factorCodes(w.Factors), []string{"detector_high", "spread"})
	require.Len(t, w.History, 3, "raised, escalated, escalated")
	for _, d := range dets { // readings keep coming while the leak lasts
		clk.Advance(10 * time.Second)
		read(d, 30)
	}

	// They clear one by one; each step down waits for the hysteresis (5 min).
	clk.Advance(time.Minute)
	read("GT-3", 2)
	require.Equal(t, warning.LevelRed, leakLevel(), "not lowered at once")
	clk.Advance(5 * time.Minute)
	ch = e.Tick(clk.now)
	require.Equal(t, warning.WarningLowered, warningsOf(ch, warning.ModelLeak)[0].Kind)
	require.Equal(t, warning.LevelOrange, leakLevel())
	require.Contains(t, warningsOf(ch, warning.ModelLeak)[0].Reason, "探测器一级（高）报警 3→2")

	read("GT-2", 1)
	read("GT-1", 1)
	clk.Advance(5 * time.Minute)
	ch = e.Tick(clk.now)
	clk.Advance(5 * time.Minute)
	later := e.Tick(clk.now)
	ch.Warnings = append(ch.Warnings, later.Warnings...)
	// Conditions gone once the detectors are out of the window: the warning is
	// settled (archived with its history), not left open at level 无.
	changes := warningsOf(ch, warning.ModelLeak)
	require.Len(t, changes, 2)
	require.Equal(t, warning.WarningCleared, changes[0].Kind)
	require.Contains(t, changes[0].Reason, "预警条件消除")
	require.Equal(t, warning.WarningSettled, changes[1].Kind)
	w = changes[1].Warning
	require.Equal(t, warning.LevelNone, w.Level)
	require.Equal(t, warning.StepLapsed, w.Disposal.Step)
	require.True(t, w.Disposal.Step.Terminal())
	for _, open := range e.Warnings("C1") {
		require.NotEqual(t, warning.ModelLeak, open.Model, "no open leak warning at level 无")
	}

	// The next leak of the area raises a new warning.
	clk.Advance(time.Minute)
	ch = read("GT-1", 25)
	require.Equal(t, warning.WarningRaised, warningsOf(ch, warning.ModelLeak)[0].Kind)
}

// A gas station (企业信息 ENTERPRISE_TYPE 4) owes no daily 安全承诺: no
// "10:00 前未安全承诺" for it, while a chemical company without one gets it.
func TestScenarioGasStationOwesNoCommitment(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "09:00:00")}
	for _, c := range []string{"GS1", "C1", "NEW"} { // each with a video analytics box the models watch
		e.Apply(events.DeviceStatus{Company: c, Device: c + "-AI-01", At: clk.now, Normal: true}, clk.now)
	}
	e.Apply(events.Enterprise{Company: "GS1", Type: events.EnterpriseGasStation}, clk.now)
	e.Apply(events.Enterprise{Company: "C1", Type: "1"}, clk.now)
	e.Apply(events.Enterprise{Company: "ONLY", Type: "1"}, clk.now) // nothing but its 企业信息
	ch := e.Tick(clk.Advance(90 * time.Minute))
	var codes []string
	for _, c := range ch.Warnings {
		codes = append(codes, c.Warning.Company+" "+strings.Join(factorCodes(c.Warning.Factors), ","))
	}
	sort.Strings(codes)
	// NEW's 企业信息 has not arrived: a chemical company until it says otherwise.
	require.Equal(t, []string{"C1 commitment_missing,device_offline", "NEW commitment_missing,device_offline"}, codes)
	require.Empty(t, e.Warnings("GS1"))
	require.Empty(t, e.Warnings("ONLY"), "a company known by its 企业信息 alone is not assessed")
}

// 风险值 is one scale for every model: the sum of the factors' points capped at
// 100, so a red warning never shows a figure above the scale or below an orange one
// of another model for the same risk.
func TestScoreIsCappedAt100(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	for _, d := range []string{"GT-1", "GT-2", "GT-3"} {
		e.Apply(gasDetector(d), clk.now)
		e.Apply(events.Reading{Company: "C1", Indicator: d, Value: 60, At: clk.now}, clk.now) // 二级 each
	}
	w := only(t, e, "C1", warning.ModelLeak)
	var sum float64
	for _, f := range w.Factors {
		sum += f.Points
	}
	require.Equal(t, 120.0, sum, "3×30 + 2×15")
	require.Equal(t, 100.0, w.Score)
	require.Equal(t, warning.LevelRed, w.Level)
}

// An ammonium-nitrate warehouse heating up while hot work runs next to it.
func TestScenarioWarehouseHeatingWithHotWork(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	e.Apply(events.HazardSource{Code: "WH-1", Company: "C1", Name: "硝酸铵库", Kind: events.HazardWarehouse,
		Grade: 2, KeySubstance: "01"}, clk.now)
	e.Apply(events.IndicatorDef{Code: "TT-1", Company: "C1", Hazard: "WH-1", Kind: events.KindTemperature,
		Unit: "℃", RangeLow: f(-20), RangeHigh: f(60), Area: "硝酸铵库区"}, clk.now)
	temp := func(v float64) warning.Changes {
		return e.Apply(events.Reading{Company: "C1", Indicator: "TT-1", Value: v, At: clk.now}, clk.now)
	}

	temp(26)
	require.Empty(t, e.Warnings("C1"))
	clk.Advance(10 * time.Minute)
	ch := temp(30.5) // over 30 ℃: yellow
	require.Equal(t, warning.LevelYellow, warningsOf(ch, warning.ModelWarehouse)[0].Warning.Level)

	// A 一级动火 permit at the warehouse starts: heating with hot work → orange.
	e.Apply(events.Operation{ID: "op-1", Company: "C1", Type: events.OpHotWork1, Position: "硝酸铵库区东侧管廊",
		Begin: clk.now.Add(5 * time.Minute), End: clk.now.Add(3 * time.Hour)}, clk.now)
	require.Equal(t, warning.LevelYellow, only(t, e, "C1", warning.ModelWarehouse).Level, "permit not yet begun")
	clk.Advance(5 * time.Minute)
	ch = e.Tick(clk.now)
	esc := warningsOf(ch, warning.ModelWarehouse)
	require.Len(t, esc, 1)
	require.Equal(t, warning.WarningEscalated, esc[0].Kind)
	require.Equal(t, warning.LevelOrange, esc[0].Warning.Level)
	require.ElementsMatch(t, []string{"temperature_over", "hot_work_nearby", "heating_with_hot_work"}, factorCodes(esc[0].Warning.Factors))

	// Still heating past the 32 ℃ danger value: red.
	clk.Advance(10 * time.Minute)
	temp(32.4)
	w := only(t, e, "C1", warning.ModelWarehouse)
	require.Equal(t, warning.LevelRed, w.Level)
	require.Equal(t, "WH-1", w.Subject)
	require.Contains(t, w.History[len(w.History)-1].Reason, "库温达危险值")
	details := map[string]string{}
	for _, fc := range w.Factors {
		details[fc.Code] = fc.Detail
	}
	require.Equal(t, "TT-1 32.4≥32℃（限值待核定）", details["temperature_danger"], "the limit is a placeholder and says so")
	// The enterprise model counts the 一级动火 too (8 points: below blue on its own).
	ent := warning.AssessEnterprise("C1", e.State().Companies["C1"], clk.now, e.Config())
	require.Equal(t, []string{"hot_work_1"}, factorCodes(ent.Factors))
	require.Equal(t, warning.LevelNone, ent.Level)
}

// No commitment by 10:00 raises an enterprise warning that says so; one sent late
// is still marked late.
func TestScenarioMissingCommitment(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "09:00:00")}
	require.Empty(t, e.Tick(clk.now).Warnings)
	e.Apply(events.Commitment{ID: "y", Company: "C1", Date: at(t, "00:00:00").AddDate(0, 0, -1),
		At: at(t, "08:00:00").AddDate(0, 0, -1), MajorHazardOK: true}, clk.now) // yesterday's
	require.Empty(t, e.Tick(clk.Advance(59*time.Minute+59*time.Second)).Warnings, "09:59:59 is still in time")

	ch := e.Tick(clk.Advance(time.Second))
	raised := warningsOf(ch, warning.ModelEnterprise)
	require.Len(t, raised, 1)
	require.Equal(t, warning.WarningRaised, raised[0].Kind)
	require.Equal(t, warning.LevelYellow, raised[0].Warning.Level)
	require.Equal(t, []string{"commitment_missing"}, factorCodes(raised[0].Warning.Factors))
	require.Contains(t, raised[0].Reason, "10:00 前未安全承诺")

	// The commitment arrives at 10:20: no longer missing but late, a lower score; the
	// warning is lowered after the hysteresis, with the reason.
	clk.Advance(20 * time.Minute)
	e.Apply(events.Commitment{ID: "t", Company: "C1", Date: at(t, "00:00:00"), At: clk.now, MajorHazardOK: true}, clk.now)
	clk.Advance(5 * time.Minute)
	ch = e.Tick(clk.now)
	w := only(t, e, "C1", warning.ModelEnterprise)
	require.Equal(t, warning.LevelBlue, w.Level)
	require.Equal(t, []string{"commitment_late"}, factorCodes(w.Factors))
	require.Contains(t, warningsOf(ch, warning.ModelEnterprise)[0].Reason, "10:00 前未安全承诺 1→0")
}

// A red warning nobody acknowledges goes county → city → province, each after the
// red acknowledge time (15 min), then is recorded overdue at the province.
func TestScenarioUnansweredRedEscalates(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	for _, d := range []string{"GT-1", "GT-2", "GT-3"} {
		e.Apply(gasDetector(d), clk.now)
		e.Apply(events.Reading{Company: "C1", Indicator: d, Value: 60, At: clk.now}, clk.now)
	}
	w := only(t, e, "C1", warning.ModelLeak)
	require.Equal(t, warning.LevelRed, w.Level)
	published := w.RaisedAt

	type want struct {
		after time.Duration
		tier  warning.Tier
		kind  warning.ChangeKind
	}
	for _, s := range []want{
		{14 * time.Minute, warning.TierCounty, ""},
		{15 * time.Minute, warning.TierCity, warning.DisposalEscalated},
		{29 * time.Minute, warning.TierCity, ""},
		{30 * time.Minute, warning.TierProvince, warning.DisposalEscalated},
		{45 * time.Minute, warning.TierProvince, warning.DisposalOverdue},
		{60 * time.Minute, warning.TierProvince, ""},
	} {
		clk.now = published.Add(s.after)
		for _, d := range []string{"GT-1", "GT-2", "GT-3"} { // the leak goes on
			e.Apply(events.Reading{Company: "C1", Indicator: d, Value: 60, At: clk.now}, clk.now)
		}
		var got []warning.ChangeKind
		for _, c := range warningsOf(e.Tick(clk.now), warning.ModelLeak) {
			got = append(got, c.Kind)
		}
		if s.kind == "" {
			require.Empty(t, got, "at +%s", s.after)
		} else {
			require.Equal(t, []warning.ChangeKind{s.kind}, got, "at +%s", s.after)
		}
		require.Equal(t, s.tier, only(t, e, "C1", warning.ModelLeak).Disposal.Tier, "at +%s", s.after)
	}
	esc := only(t, e, "C1", warning.ModelLeak).Disposal.Escalations
	require.Len(t, esc, 3)
	require.Equal(t, published.Add(15*time.Minute), esc[0].Deadline)
	require.Equal(t, published.Add(30*time.Minute), esc[1].Deadline)
	require.Equal(t, warning.StepPublished, esc[2].Step)
}

// Restarting in the middle of an alarm (state marshalled, engine rebuilt) ends the
// same way as running straight through.
func TestScenarioRestartMidAlarm(t *testing.T) {
	run := func(restartAt int) []warning.Alarm {
		e := newEngine(t)
		clk := &clock{now: at(t, "08:00:00")}
		e.Apply(pressure, clk.now)
		e.Apply(gasDetector("GT-1"), clk.now)
		var alarms []warning.Alarm
		values := []float64{1.3, 1.35, 1.6, 1.55, 1.45, 1.1}
		for i, v := range values {
			if i == restartAt {
				b, err := warning.MarshalState(e.State())
				require.NoError(t, err)
				st, err := warning.UnmarshalState(b)
				require.NoError(t, err)
				e, err = warning.New(*e.Config(), st)
				require.NoError(t, err)
			}
			clk.Advance(10 * time.Second)
			for _, c := range e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: v, At: clk.now}, clk.now).Alarms {
				alarms = append(alarms, c.Alarm)
			}
			for _, c := range e.Apply(events.Reading{Company: "C1", Indicator: "GT-1", Value: 30 - float64(i)*3, At: clk.now}, clk.now).Alarms {
				alarms = append(alarms, c.Alarm)
			}
		}
		return alarms
	}
	straight := run(-1)
	require.NotEmpty(t, straight)
	last := straight[len(straight)-1]
	require.False(t, last.Clear.IsZero())
	want, err := json.Marshal(straight) // times compare as instants, not by *time.Location
	require.NoError(t, err)
	for restart := 1; restart < 6; restart++ {
		got, err := json.Marshal(run(restart))
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got), "restart before reading %d", restart)
	}
}

// The platform's own intake stopped at 09:30 and resumed at 10:40: the companies
// could not deliver their commitments, so none is "missing" at 10:00; after the
// resumption they have alarms.default.no_data_after (10 min) to send it, as an
// indicator has to report again.
func TestScenarioCommitmentNotMissingDuringPlatformOutage(t *testing.T) {
	e := newEngine(t)
	e.Apply(events.Commitment{ID: "y", Company: "C1", Date: at(t, "00:00:00").AddDate(0, 0, -1),
		At: at(t, "08:00:00").AddDate(0, 0, -1), MajorHazardOK: true}, at(t, "09:00:00")) // yesterday's
	in := events.Intake{At: at(t, "09:30:00"), Since: at(t, "06:00:00")}
	require.Empty(t, e.TickIntake(at(t, "10:30:00"), in).Warnings, "the platform took nothing since 09:30")
	in = events.Intake{At: at(t, "10:49:00"), Since: at(t, "10:40:00")}
	require.Empty(t, e.TickIntake(at(t, "10:49:00"), in).Warnings, "9 minutes after the intake resumed")
	in.At = at(t, "10:50:00")
	ch := e.TickIntake(at(t, "10:50:00"), in)
	raised := warningsOf(ch, warning.ModelEnterprise)
	require.Len(t, raised, 1)
	require.Equal(t, []string{"commitment_missing"}, factorCodes(raised[0].Warning.Factors))
}
