package warning_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// alarmKinds returns the alarm changes of ch as "kind severity" strings.
func alarmKinds(ch warning.Changes) []string {
	var out []string
	for _, a := range ch.Alarms {
		out = append(out, string(a.Kind)+" "+string(a.Alarm.Severity))
	}
	return out
}

// Readings that arrive before their indicator's definition are judged as soon as the
// thresholds arrive: a gas detector already at 30 %LEL alarms (and raises the area
// warning) the moment it is defined, and a pressure beyond 高高报 starts its 15 s
// delay from its last reading.
func TestScenarioReadingsBeforeTheirThresholds(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	read := func(code string, v float64) warning.Changes {
		return e.Apply(events.Reading{Company: "C1", Indicator: code, Value: v, At: clk.now}, clk.now)
	}
	require.Empty(t, kinds(read("GT-1", 30)), "no limits yet")
	require.Empty(t, kinds(read("PT-1", 1.7)))
	clk.Advance(10 * time.Second)
	require.Empty(t, kinds(read("PT-1", 1.8)))
	last := clk.now

	clk.Advance(5 * time.Second)
	ch := e.Apply(gasDetector("GT-1"), clk.now)
	require.Equal(t, []string{"alarm_raised high"}, alarmKinds(ch), "judged on its last reading at once")
	require.Len(t, warningsOf(ch, warning.ModelLeak), 1)
	require.Equal(t, warning.WarningRaised, warningsOf(ch, warning.ModelLeak)[0].Kind)

	pressure := events.IndicatorDef{Code: "PT-1", Company: "C1", Name: "储罐压力", Kind: events.KindPressure,
		Unit: "MPa", RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}
	ch = e.Apply(pressure, clk.now)
	require.Empty(t, alarmKinds(ch), "beyond 高高报 since its last reading, held shorter than the 15 s delay")
	clk.Advance(10 * time.Second)
	ch = read("PT-1", 1.8)
	require.Equal(t, []string{"alarm_raised high_high"}, alarmKinds(ch))
	require.Equal(t, last, ch.Alarms[0].Alarm.Start, "the exceedance counts from the reading before the definition")

	// Re-sending the same definition changes nothing.
	require.Empty(t, kinds(e.Apply(pressure, clk.now)))
}

// A corrected definition re-judges the last value: limits lowered below it raise the
// alarm, limits raised above it clear the alarm and say why.
func TestScenarioThresholdsCorrected(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	d := gasDetector("GT-1")
	d.Thresholds = events.Thresholds{High: f(40), HighHigh: f(60)}
	e.Apply(d, clk.now)
	e.Apply(events.Reading{Company: "C1", Indicator: "GT-1", Value: 30, At: clk.now}, clk.now)
	require.Empty(t, e.Warnings("C1"))

	clk.Advance(time.Second)
	d.Thresholds = events.Thresholds{High: f(20), HighHigh: f(50)}
	ch := e.Apply(d, clk.now)
	require.Equal(t, []string{"alarm_raised high"}, alarmKinds(ch))

	clk.Advance(time.Second)
	d.Thresholds = events.Thresholds{High: f(35), HighHigh: f(50)}
	ch = e.Apply(d, clk.now)
	require.Equal(t, []string{"alarm_cleared high"}, alarmKinds(ch))
	require.Equal(t, "指标阈值变更后恢复正常", ch.Alarms[0].Alarm.ClearReason)
}

// Readings collected longer than alarms.stale_after before they are processed (a
// replay of retained data, a late backlog) are kept as last values but raise
// nothing, whether they come before or after the definition; fresh ones alarm.
func TestScenarioStaleReadingsRaiseNothing(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	old := clk.now.Add(-2 * time.Hour)
	e.Apply(events.Reading{Company: "C1", Indicator: "GT-1", Value: 80, At: old}, clk.now)
	require.Empty(t, kinds(e.Apply(gasDetector("GT-1"), clk.now)), "its only value is two hours old")
	require.Empty(t, kinds(e.Apply(gasDetector("GT-2"), clk.now)))
	ch := e.Apply(events.Reading{Company: "C1", Indicator: "GT-2", Value: 80, At: old.Add(time.Minute)}, clk.now)
	require.Empty(t, kinds(ch))
	require.Empty(t, e.Warnings("C1"))

	ch = e.Apply(events.Reading{Company: "C1", Indicator: "GT-2", Value: 80, At: clk.now.Add(-time.Minute)}, clk.now)
	require.Equal(t, []string{"alarm_raised high_high"}, alarmKinds(ch), "a minute late is not history")
}

// A company-sent 明火 alarm received long after its 报警时间 is recorded (and pairs
// with its 销警) but counts in no model; a fresh one raises the enterprise warning.
func TestScenarioStaleCompanyAlarmCountsInNoModel(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	fire := func(id string, when time.Time) warning.Changes {
		return e.Apply(events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: id, Type: "1",
			Raised: true, Fire: true, At: when}, clk.now)
	}
	ch := fire("old", clk.now.Add(-3*time.Hour))
	require.Equal(t, []string{"alarm_raised company"}, alarmKinds(ch))
	require.True(t, ch.Alarms[0].Alarm.History)
	require.Empty(t, ch.Warnings)
	ch = fire("new", clk.now.Add(-30*time.Second))
	require.False(t, ch.Alarms[0].Alarm.History)
	require.Len(t, warningsOf(ch, warning.ModelEnterprise), 1)
}
