package warning_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// permit is a 特殊作业 of C1 of type typ at place, from begin for hours.
func permit(id, typ, place string, begin time.Time, hours int) events.Operation {
	return events.Operation{ID: id, Company: "C1", Type: typ, Position: place, Begin: begin,
		End: begin.Add(time.Duration(hours) * time.Hour)}
}

func videoAlarm(id, typ, camera string, at time.Time) events.CompanyAlarm {
	return events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: id, Type: typ, Where: camera,
		Raised: true, At: at, Fire: typ == "1", Smoke: typ == "2"}
}

func posAlarm(id, typ, area string, at time.Time) events.CompanyAlarm {
	return events.CompanyAlarm{Company: "C1", Source: events.SourcePositioning, ID: id, Type: typ, Where: area,
		Raised: true, At: at}
}

func violationLevel(e *warning.Engine) warning.Level {
	if ws := openOf(e, "C1", warning.ModelViolation); len(ws) == 1 {
		return ws[0].Level
	}
	return warning.LevelNone
}

// A 明火 video alarm inside a valid 一级动火 permit's time and area raises nothing
// (neither the violation nor the enterprise model); the same camera after the permit
// ended, or a camera elsewhere during it, raises a red warning that names why.
func TestScenarioFireOutsidePermitIsRed(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	e.Apply(events.Camera{Company: "C1", VideoCode: "VC-TANK", Name: "罐区东", Place: "1号罐区"}, clk.now)
	e.Apply(events.Camera{Company: "C1", VideoCode: "VC-WH", Name: "仓库门口", Place: "甲类仓库"}, clk.now)
	e.Apply(permit("P1", events.OpHotWork1, "１号罐区 东侧管廊", at(t, "08:30:00"), 3), clk.now)

	clk.now = at(t, "09:30:00")
	ch := e.Apply(videoAlarm("A1", "1", "VC-TANK", clk.now), clk.now)
	require.Empty(t, ch.Warnings, "fire inside the permit is the permitted work: %+v", ch.Warnings)
	require.Empty(t, e.Warnings("C1"))

	// The same time, a camera at the warehouse: no permit covers that place.
	clk.Advance(time.Minute)
	ch = e.Apply(videoAlarm("A2", "1", "VC-WH", clk.now), clk.now)
	w := only(t, e, "C1", warning.ModelViolation)
	require.Equal(t, warning.LevelRed, w.Level)
	require.Equal(t, warning.WarningRaised, warningsOf(ch, warning.ModelViolation)[0].Kind)
	codes := factorCodes(w.Factors)
	require.Contains(t, codes, warning.FactorHotWorkNoPermit)
	require.Contains(t, codes, warning.FactorHotWorkPermitted, "the permitted fire is noted beside it")
	for _, f := range w.Factors {
		if f.Code == warning.FactorHotWorkPermitted {
			require.Zero(t, f.Points)
			require.Contains(t, f.Detail, "P1")
		}
		if f.Code == warning.FactorHotWorkNoPermit {
			require.Contains(t, f.Detail, "VC-WH（甲类仓库 仓库门口）")
		}
	}
}

func TestScenarioFireAfterPermitEndsIsRed(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	e.Apply(events.Camera{Company: "C1", VideoCode: "VC-TANK", Place: "1号罐区"}, clk.now)
	e.Apply(permit("P1", events.OpHotWork1, "1号罐区", at(t, "09:00:00"), 3), clk.now)
	// 12:05 is inside the 10-minute grace; 12:30 is not.
	clk.now = at(t, "12:05:00")
	e.Apply(videoAlarm("A1", "1", "VC-TANK", clk.now), clk.now)
	require.Equal(t, warning.LevelNone, violationLevel(e))
	clk.now = at(t, "12:30:00")
	e.Apply(videoAlarm("A2", "1", "VC-TANK", clk.now), clk.now)
	require.Equal(t, warning.LevelRed, violationLevel(e))

	// A cancelled permit covers nothing, nor does a confined-space permit cover fire.
	e2 := newEngine(t)
	e2.Apply(events.Camera{Company: "C1", VideoCode: "VC-TANK", Place: "1号罐区"}, clk.now)
	p := permit("P2", events.OpHotWork2, "1号罐区", at(t, "09:00:00"), 8)
	p.Cancelled = true
	e2.Apply(p, clk.now)
	e2.Apply(permit("P3", events.OpConfinedSpace, "1号罐区", at(t, "09:00:00"), 8), clk.now)
	e2.Apply(videoAlarm("A3", "1", "VC-TANK", clk.now), clk.now)
	require.Equal(t, warning.LevelRed, violationLevel(e2))
}

// An SOS (一键求救) is red at once, whatever else the company does.
func TestScenarioSOSIsRedAtOnce(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "03:00:00")}
	ch := e.Apply(posAlarm("S1", "01", "合成氨装置区", clk.now), clk.now)
	ws := warningsOf(ch, warning.ModelViolation)
	require.Len(t, ws, 1)
	require.Equal(t, warning.WarningRaised, ws[0].Kind)
	require.Equal(t, warning.LevelRed, ws[0].Warning.Level)
	require.Contains(t, ws[0].Reason, "一键求救报警")
	require.Equal(t, warning.StepPublished, ws[0].Warning.Disposal.Step)
}

// A guardian leaving (08) or an intruder (09) in a work area: orange under a
// non-hot-work permit, red under a hot-work permit, red when no permit covers the
// area at all (the work is unpermitted).
func TestScenarioWorkAreaAlarmsByPermit(t *testing.T) {
	for _, c := range []struct {
		name   string
		permit *events.Operation
		want   warning.Level
		factor string
	}{
		{"confined space", &events.Operation{ID: "P", Company: "C1", Type: events.OpConfinedSpace, Position: "2号反应釜"}, warning.LevelOrange, warning.FactorViolationOrange},
		{"hot work", &events.Operation{ID: "P", Company: "C1", Type: events.OpHotWorkSpecial, Position: "2号反应釜"}, warning.LevelRed, warning.FactorViolationRed},
		{"permit elsewhere", &events.Operation{ID: "P", Company: "C1", Type: events.OpHotWork1, Position: "污水处理站"}, warning.LevelRed, warning.FactorWorkAreaNoPermit},
		{"no permit", nil, warning.LevelRed, warning.FactorWorkAreaNoPermit},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t)
			clk := &clock{now: at(t, "09:00:00")}
			if c.permit != nil {
				p := *c.permit
				p.Begin, p.End = clk.now, clk.now.Add(4*time.Hour)
				e.Apply(p, clk.now)
			}
			clk.Advance(time.Hour)
			e.Apply(posAlarm("G1", "08", "2号反应釜", clk.now), clk.now)
			w := only(t, e, "C1", warning.ModelViolation)
			require.Equal(t, c.want, w.Level)
			require.Contains(t, factorCodes(w.Factors), c.factor)
		})
	}
}

// Three low violations within a day raise the company's violation warning a level
// (at least to yellow); they are counted even after each was cleared.
func TestScenarioRepeatedViolationsRaiseLevel(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	clear := func(id string) {
		e.Apply(events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: id, Type: "9", Raised: false, At: clk.now}, clk.now)
	}
	e.Apply(videoAlarm("H1", "9", "VC-1", clk.now), clk.now)
	require.Equal(t, warning.LevelBlue, violationLevel(e))
	clk.Advance(time.Minute)
	clear("H1")
	clk.Advance(2 * time.Hour)
	e.Apply(videoAlarm("H2", "9", "VC-1", clk.now), clk.now)
	require.Equal(t, warning.LevelBlue, violationLevel(e), "two in a day: still blue")
	clk.Advance(time.Minute)
	clear("H2")
	clk.Advance(2 * time.Hour)
	ch := e.Apply(videoAlarm("H3", "9", "VC-1", clk.now), clk.now)
	require.Equal(t, warning.LevelYellow, violationLevel(e))
	ws := warningsOf(ch, warning.ModelViolation)
	require.Equal(t, warning.WarningEscalated, ws[0].Kind)
	require.Contains(t, ws[0].Reason, "当日多次违规")

	// An orange one on top makes it red.
	clk.Advance(time.Minute)
	e.Apply(videoAlarm("SM", "8", "VC-2", clk.now), clk.now)
	require.Equal(t, warning.LevelRed, violationLevel(e))

	// A day later the repeats have aged out of the window: nothing active, nothing counted.
	for _, id := range []string{"H3", "SM"} {
		clear(id)
	}
	clk.Advance(25 * time.Hour)
	e.Tick(clk.now)
	clk.Advance(10 * time.Minute)
	e.Tick(clk.now)
	require.Equal(t, warning.LevelNone, violationLevel(e))
}

// Overcrowding is yellow, orange in a major hazard source's area (matched by name).
func TestScenarioOvercrowdingInMajorHazardArea(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "09:00:00")}
	e.Apply(events.HazardSource{Code: "H1", Company: "C1", Name: "液氨储罐区", Grade: 2}, clk.now)
	e.Apply(posAlarm("O1", "04", "装卸站", clk.now), clk.now)
	require.Equal(t, warning.LevelYellow, violationLevel(e))
	e.Apply(posAlarm("O2", "04", "液氨储罐区", clk.now), clk.now)
	require.Equal(t, warning.LevelOrange, violationLevel(e))
}

// Gas-station violations are graded by the 加油站 code table.
func TestScenarioGasStationViolations(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "09:00:00")}
	gs := func(id, typ string) events.CompanyAlarm {
		return events.CompanyAlarm{Company: "C1", Source: events.SourceGasStation, ID: id, Type: typ, Where: "VC-P1",
			Raised: true, At: clk.now, Fire: typ == "10"}
	}
	e.Apply(gs("E1", "13"), clk.now)
	require.Equal(t, warning.LevelYellow, violationLevel(e), "extinguisher misplaced")
	e.Apply(gs("E2", "14"), clk.now)
	require.Equal(t, warning.LevelOrange, violationLevel(e), "static release too short")
	e.Apply(gs("E3", "10"), clk.now)
	require.Equal(t, warning.LevelRed, violationLevel(e), "明火 at a station without a permit")
}

func TestCoversMatchesPlaceBothWays(t *testing.T) {
	begin := time.Date(2021, 6, 1, 1, 0, 0, 0, time.UTC)
	o := events.Operation{ID: "P", Type: events.OpHotWork1, Position: "1号罐区（东侧）管廊", Begin: begin}
	in := begin.Add(time.Hour)
	p := func(s ...string) []string { return s }
	require.True(t, warning.Covers(o, in, p("1号 罐区"), 8*time.Hour, 0))
	require.True(t, warning.Covers(o, in, p("1号罐区东侧管廊北段"), 8*time.Hour, 0))
	require.True(t, warning.Covers(o, in, p("2号罐区", "1号罐区"), 8*time.Hour, 0), "the camera's name or place")
	require.False(t, warning.Covers(o, in, p("2号罐区"), 8*time.Hour, 0))
	require.True(t, warning.Covers(o, in, nil, 8*time.Hour, 0), "unknown place: any valid permit")
	require.False(t, warning.Covers(o, begin.Add(9*time.Hour), p("1号罐区"), 8*time.Hour, 0), "default duration ends it")
	require.False(t, warning.Covers(o, begin.Add(-time.Minute), p("1号罐区"), 8*time.Hour, 0))
	require.True(t, warning.Covers(o, begin.Add(-time.Minute), p("1号罐区"), 8*time.Hour, 5*time.Minute))
	o.Begin = time.Time{}
	require.False(t, warning.Covers(o, in, p("1号罐区"), 8*time.Hour, 0), "no start time: covers nothing")
}
