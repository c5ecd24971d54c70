package warning_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// pressure is a pressure transmitter 0–2 MPa with all four limits. The default
// pressure deadband is 2 % of the range (0.04 MPa) and the minimum duration 15 s.
var pressure = events.IndicatorDef{Code: "PT-101", Company: "C1", Name: "储罐压力", Kind: events.KindPressure,
	Unit: "MPa", RangeLow: f(0), RangeHigh: f(2),
	Thresholds: events.Thresholds{LowLow: f(0.1), Low: f(0.2), High: f(1.2), HighHigh: f(1.5)}}

type step struct {
	after time.Duration // since the previous reading
	value float64
	want  []warning.ChangeKind
	sev   warning.Severity // severity of the last alarm change, when any
}

func TestAlarmLifecycle(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"below limits raises nothing", []step{{0, 1.0, nil, ""}, {10 * time.Second, 1.19, nil, ""}}},
		{"min duration: one high reading is not an alarm", []step{
			{0, 1.25, nil, ""}, {10 * time.Second, 1.1, nil, ""}, {10 * time.Second, 1.25, nil, ""}}},
		{"min duration: held 15 s raises 高报", []step{
			{0, 1.25, nil, ""}, {10 * time.Second, 1.3, nil, ""},
			{5 * time.Second, 1.26, []warning.ChangeKind{warning.AlarmRaised}, warning.SevHigh}}},
		{"deadband: back under the limit but inside the deadband holds the alarm", []step{
			{0, 1.3, nil, ""}, {15 * time.Second, 1.3, []warning.ChangeKind{warning.AlarmRaised}, warning.SevHigh},
			{5 * time.Second, 1.19, nil, ""}, {5 * time.Second, 1.17, nil, ""},
			{5 * time.Second, 1.16, []warning.ChangeKind{warning.AlarmCleared}, warning.SevHigh}}},
		{"高报 becomes 高高报 and back", []step{
			{0, 1.3, nil, ""}, {15 * time.Second, 1.3, []warning.ChangeKind{warning.AlarmRaised}, warning.SevHigh},
			{5 * time.Second, 1.55, []warning.ChangeKind{warning.AlarmChanged}, warning.SevHighHigh},
			{5 * time.Second, 1.47, nil, ""},
			{5 * time.Second, 1.45, []warning.ChangeKind{warning.AlarmChanged}, warning.SevHigh}}},
		{"低低报 from the low side", []step{
			{0, 0.05, nil, ""}, {20 * time.Second, 0.08, []warning.ChangeKind{warning.AlarmRaised}, warning.SevLowLow},
			{5 * time.Second, 0.5, []warning.ChangeKind{warning.AlarmCleared}, warning.SevLowLow}}},
		{"a duplicate or late reading changes nothing", []step{
			{0, 1.3, nil, ""}, {0, 1.3, nil, ""}, {-time.Second, 1.6, nil, ""},
			{16 * time.Second, 1.3, []warning.ChangeKind{warning.AlarmRaised}, warning.SevHigh}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t)
			clk := &clock{now: at(t, "08:00:00")}
			e.Apply(pressure, clk.now)
			for i, s := range tt.steps {
				now := clk.Advance(s.after)
				ch := e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: s.value, At: now}, now)
				var got []warning.ChangeKind
				for _, a := range ch.Alarms {
					got = append(got, a.Kind)
				}
				require.Equal(t, s.want, got, "step %d (%v)", i, s.value)
				if s.sev != "" {
					require.Equal(t, s.sev, ch.Alarms[len(ch.Alarms)-1].Alarm.Severity, "step %d", i)
				}
			}
		})
	}
}

func TestAlarmRecordsStartPeakClearDuration(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	e.Apply(pressure, t0)
	var last warning.Alarm
	for i, v := range []float64{1.3, 1.6, 1.4, 1.0} {
		now := t0.Add(time.Duration(i) * 20 * time.Second)
		for _, a := range e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: v, At: now}, now).Alarms {
			last = a.Alarm
		}
	}
	require.Equal(t, t0, last.Start, "start is the first reading beyond the limit")
	require.Equal(t, 1.6, last.Peak)
	require.Equal(t, t0.Add(20*time.Second), last.PeakAt)
	require.Equal(t, warning.SevHighHigh, last.MaxSeverity)
	require.Equal(t, t0.Add(60*time.Second), last.Clear)
	require.Equal(t, time.Minute, last.Duration)
	require.NotEmpty(t, last.ClearReason)
}

func TestNoData(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	e.Apply(pressure, clk.now)
	e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: 1, At: clk.now}, clk.now)

	require.Empty(t, e.Tick(clk.Advance(9*time.Minute)).Alarms, "9 minutes of silence is allowed")
	ch := e.Tick(clk.Advance(time.Minute))
	require.Len(t, ch.Alarms, 1)
	require.Equal(t, warning.AlarmRaised, ch.Alarms[0].Kind)
	require.Equal(t, warning.SevNoData, ch.Alarms[0].Alarm.Severity)
	require.Equal(t, at(t, "08:00:00"), ch.Alarms[0].Alarm.Start, "silent since the last reading")
	require.Empty(t, e.Tick(clk.Advance(time.Minute)).Alarms, "raised once")

	ch = e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: 1, At: clk.now}, clk.now)
	require.Len(t, ch.Alarms, 1)
	require.Equal(t, warning.AlarmCleared, ch.Alarms[0].Kind)
	require.Equal(t, 11*time.Minute, ch.Alarms[0].Alarm.Duration)
}

func TestNoDataFromDefinitionWhenNeverReported(t *testing.T) {
	e := newEngine(t)
	clk := &clock{now: at(t, "08:00:00")}
	e.Apply(pressure, clk.now)
	ch := e.Tick(clk.Advance(10 * time.Minute))
	require.Equal(t, []warning.ChangeKind{warning.AlarmRaised}, kinds(ch)[:1])
}

func TestCompanyAlarmsMergeByID(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	raise := events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: "a1", Type: "1", Fire: true, Raised: true, At: t0}
	clear := raise
	clear.Raised, clear.At = false, t0.Add(3*time.Minute)

	ch := e.Apply(raise, t0)
	require.Equal(t, warning.AlarmRaised, ch.Alarms[0].Kind)
	require.Empty(t, e.Apply(raise, t0.Add(time.Second)).Alarms, "a re-sent 报警 is a duplicate")
	ch = e.Apply(clear, clear.At)
	require.Equal(t, warning.AlarmCleared, ch.Alarms[0].Kind)
	require.Equal(t, 3*time.Minute, ch.Alarms[0].Alarm.Duration)
	require.Empty(t, e.Apply(clear, clear.At).Alarms, "a re-sent 销警 is a duplicate")
	require.Empty(t, e.Apply(raise, clear.At).Alarms, "a late 报警 of a cleared alarm is a duplicate")

	// The same ID from another source is another alarm; positioning clears by alarm:handle.
	pos := events.CompanyAlarm{Company: "C1", Source: events.SourcePositioning, ID: "a1", Type: "01", Raised: true, At: t0}
	require.Equal(t, warning.AlarmRaised, e.Apply(pos, t0).Alarms[0].Kind)
	pos.Raised, pos.At = false, t0.Add(time.Minute)
	require.Equal(t, warning.AlarmCleared, e.Apply(pos, pos.At).Alarms[0].Kind)
}

// TestVideoPairingByChannel: a vendor whose 销警 carries an ALARM_ID of its own is
// configured to pair by VIDEO_CODE and ALARM_TYPE; other companies keep pairing by ID.
func TestVideoPairingByChannel(t *testing.T) {
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	assert.Equal(t, warning.PairByAlarmID, cfg.Alarms.VideoPairing.ModeFor("C1"), "the default")
	cfg.Alarms.VideoPairing.Companies = map[string]warning.PairingMode{"C2": warning.PairByChannelType}
	require.NoError(t, cfg.Validate())
	e, err := warning.New(cfg, nil)
	require.NoError(t, err)
	t0 := at(t, "08:00:00")
	raise := events.CompanyAlarm{Company: "C2", Source: events.SourceVideo, ID: "r1", Type: "1", Where: "CH1", Fire: true, Raised: true, At: t0}
	clear := events.CompanyAlarm{Company: "C2", Source: events.SourceVideo, ID: "c1", Type: "1", Where: "CH1", Raised: false, At: t0.Add(2 * time.Minute)}
	ch := e.Apply(raise, t0)
	require.Equal(t, warning.AlarmRaised, ch.Alarms[0].Kind)
	first := ch.Alarms[0].Alarm.ID
	again := raise
	again.ID, again.At = "r2", t0.Add(time.Minute)
	require.Empty(t, e.Apply(again, again.At).Alarms, "a 报警 on a channel already alarming is a repeat")
	other := clear
	other.Where = "CH2"
	require.Equal(t, warning.AlarmCleared, e.Apply(other, other.At).Alarms[0].Kind, "another channel's 销警 is its own")
	ch = e.Apply(clear, clear.At)
	require.Len(t, ch.Alarms, 1)
	assert.Equal(t, warning.AlarmCleared, ch.Alarms[0].Kind, "the 销警 with its own ID clears the channel's 报警")
	assert.Equal(t, first, ch.Alarms[0].Alarm.ID)
	assert.Equal(t, 2*time.Minute, ch.Alarms[0].Alarm.Duration)
	next := raise
	next.ID, next.At = "r3", t0.Add(10*time.Minute)
	ch = e.Apply(next, next.At)
	require.Equal(t, warning.AlarmRaised, ch.Alarms[0].Kind, "a new 报警 after the 销警 is a new alarm")
	assert.NotEqual(t, first, ch.Alarms[0].Alarm.ID, "with an id of its own, so the first stays in the record")

	// Pairing by ID (the default) for C1: a 销警 with another ID does not clear.
	byID := raise
	byID.Company = "C1"
	require.Equal(t, warning.AlarmRaised, e.Apply(byID, t0).Alarms[0].Kind)
	loose := clear
	loose.Company = "C1"
	ch = e.Apply(loose, loose.At)
	require.Len(t, ch.Alarms, 1)
	assert.NotEqual(t, "video:r1", ch.Alarms[0].Alarm.ID)

	cfg.Alarms.VideoPairing.Default = "by_guess"
	assert.ErrorIs(t, cfg.Validate(), warning.ErrPairingMode)
}

func TestStateRoundTripsThroughJSON(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	e.Apply(pressure, t0)
	e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: 1.3, At: t0}, t0)
	b, err := warning.MarshalState(e.State())
	require.NoError(t, err)
	st, err := warning.UnmarshalState(b)
	require.NoError(t, err)
	b2, err := warning.MarshalState(st)
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(b2))
	var probe map[string]any
	require.NoError(t, json.Unmarshal(b, &probe))
}

// TestNoDataNotRaisedForPlatformOutage: 数据中断 is a company's silence while the
// platform was taking data. When the platform's own intake stops (nothing from
// anyone), the wall clock runs on but no indicator is silent; after the intake
// resumes, silence counts from the resumption; a company silent while the others
// deliver is still caught.
func TestNoDataNotRaisedForPlatformOutage(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	e.Apply(pressure, t0)
	e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: 1, At: t0}, t0)

	// The platform receives nothing from 08:00 to 08:40 (its intake stopped at 08:00).
	in := events.Intake{At: t0, Since: t0.Add(-time.Hour)}
	require.Empty(t, e.TickIntake(t0.Add(40*time.Minute), in).Alarms, "platform outage is not 数据中断")
	// The intake resumes at 08:40; C1 has not sent again yet.
	in = events.Intake{At: at(t, "08:49:00"), Since: at(t, "08:40:00")}
	require.Empty(t, e.TickIntake(at(t, "08:49:00"), in).Alarms, "silence counts from the resumption")
	in.At = at(t, "08:50:00")
	ch := e.TickIntake(at(t, "08:50:00"), in)
	require.Equal(t, []warning.ChangeKind{warning.AlarmRaised}, kinds(ch)[:1],
		"silent for 10 minutes while the platform took others' data")
	require.Equal(t, warning.SevNoData, ch.Alarms[0].Alarm.Severity)
	require.Equal(t, t0, ch.Alarms[0].Alarm.Start, "the alarm still starts at the last reading")
}

// TestNoDataMeasuredOnIntakeClock: while this consumer lags (the newest reading
// it applied was received 20 minutes ago), indicators are judged against that
// point, not the wall clock.
func TestNoDataMeasuredOnIntakeClock(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	e.Apply(pressure, t0)
	e.Apply(events.Reading{Company: "C1", Indicator: "PT-101", Value: 1, At: t0}, t0)
	in := events.Intake{At: t0.Add(5 * time.Minute), Since: t0.Add(-time.Hour)}
	require.Empty(t, e.TickIntake(t0.Add(25*time.Minute), in).Alarms)
	in.At = t0.Add(10 * time.Minute)
	require.NotEmpty(t, e.TickIntake(t0.Add(30*time.Minute), in).Alarms)
}

// A video analysis device's 运行状态 is judged on the same intake clock: the
// platform's own outage does not count a device offline.
func TestDeviceOfflineMeasuredOnIntakeClock(t *testing.T) {
	e := newEngine(t)
	t0 := at(t, "08:00:00")
	for _, d := range []string{"V1", "V2", "V3", "V4"} {
		e.Apply(events.DeviceStatus{Company: "C1", Device: d, At: t0, Normal: true}, t0)
	}
	in := events.Intake{At: t0.Add(time.Minute), Since: t0.Add(-time.Hour)}
	e.TickIntake(t0.Add(time.Hour), in)
	require.Empty(t, e.Warnings("C1"), "the platform took nothing for an hour: no device is offline")
	in.At = t0.Add(30 * time.Minute)
	ch := e.TickIntake(t0.Add(time.Hour), in)
	require.Len(t, warningsOf(ch, warning.ModelEnterprise), 1, "silent 30 minutes while the platform took data")
}
