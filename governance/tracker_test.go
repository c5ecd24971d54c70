package governance_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/engineconfig"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*governance.Config)
		want   error
	}{
		{"default", func(*governance.Config) {}, nil},
		{"no version", func(c *governance.Config) { c.Version = "" }, engineconfig.ErrNoVersion},
		{"weights not 100", func(c *governance.Config) { c.Dimensions[governance.DimData] = 30 }, governance.ErrDimensionSum},
		{"kind missing", func(c *governance.Config) { delete(c.Kinds, governance.SensorStuck) }, engineconfig.ErrMissing},
		{"negative", func(c *governance.Config) {
			r := c.Kinds[governance.SensorStuck]
			r.PerHour = -1
			c.Kinds[governance.SensorStuck] = r
		}, engineconfig.ErrNegative},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := governance.DefaultConfig()
			tc.change(&cfg)
			_, err := governance.New(cfg)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// A company that stops sending readings goes offline after the limit (10 minutes)
// and back online when data returns; the spell runs from its last reading to the
// reading that ended it.
func TestReadingsOfflineAfterLimitAndBackOnline(t *testing.T) {
	tr := newTracker(t)
	clk := &clock{}
	send := func(now time.Time) []governance.Change {
		ch := tr.Apply(governance.Upload{Company: "C1", Table: events.TableSensorReadings, Accepted: 1}, now)
		return append(ch, tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: 1, At: now}, now)...)
	}
	send(clk.Set(at(t, "08:00:00")))
	require.Empty(t, tr.Tick(clk.Set(at(t, "08:10:00"))), "exactly at the limit: still online")
	assert.True(t, tr.Status("C1").Online)

	ch := tr.Tick(clk.Set(at(t, "08:10:30")))
	opened := ofKind(ch, governance.OfflineReadings)
	require.Len(t, opened, 1)
	assert.Equal(t, governance.FactOpened, opened[0].Kind)
	assert.Equal(t, at(t, "08:00:00"), opened[0].Fact.Started, "the spell starts at the last reading")
	assert.True(t, opened[0].Fact.Evidence[0].Absent)
	assert.False(t, tr.Status("C1").Online)
	assert.False(t, tr.Status("C1").Readings)
	assert.Empty(t, ofKind(tr.Tick(clk.Set(at(t, "08:40:00"))), governance.OfflineIndicator),
		"while the whole company is offline its points are not reported one by one")

	ch = send(clk.Set(at(t, "08:45:00")))
	closed := ofKind(ch, governance.OfflineReadings)
	require.Len(t, closed, 1)
	assert.Equal(t, governance.FactClosed, closed[0].Kind)
	assert.Equal(t, opened[0].Fact.ID, closed[0].Fact.ID)
	assert.Equal(t, at(t, "08:45:00"), closed[0].Fact.Ended)
	assert.Equal(t, 45*time.Minute, closed[0].Fact.Duration(clk.now))
	assert.True(t, tr.Status("C1").Online)
}

func TestIndicatorAndSystemOffline(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	tr.Apply(governance.Upload{Company: "C1", Table: events.TableSensorReadings, Accepted: 2}, t0)
	tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: 1, At: t0}, t0)
	tr.Apply(events.Reading{Company: "C1", Indicator: "P2", Value: 1, At: t0}, t0)
	// P2 keeps reporting; P1 falls silent.
	var ch []governance.Change
	for now := t0.Add(5 * time.Minute); !now.After(at(t, "08:35:00")); now = now.Add(5 * time.Minute) {
		tr.Apply(governance.Upload{Company: "C1", Table: events.TableSensorReadings, Accepted: 1}, now)
		tr.Apply(events.Reading{Company: "C1", Indicator: "P2", Value: 1, At: now}, now)
		ch = append(ch, tr.Tick(now)...)
	}
	got := ofKind(ch, governance.OfflineIndicator)
	require.Len(t, got, 1)
	assert.Equal(t, "P1", got[0].Fact.Subject)
	assert.Equal(t, t0, got[0].Fact.Started)
	assert.Equal(t, []string{"P1"}, tr.Status("C1").OfflineIndicators)
	assert.True(t, tr.Status("C1").Online)

	// No upload at all for an hour: the company system is offline.
	ch = tr.Tick(at(t, "09:36:00"))
	sys := ofKind(ch, governance.OfflineSystem)
	require.Len(t, sys, 1)
	assert.Equal(t, at(t, "08:35:00"), sys[0].Fact.Started)
	assert.False(t, tr.Status("C1").System)
}

// Video devices report every 10 minutes; two missed reports (20 minutes) or a
// report of 异常 make the device offline.
func TestVideoDeviceOffline(t *testing.T) {
	tr := newTracker(t)
	status := func(hms string, normal bool) []governance.Change {
		now := at(t, hms)
		return tr.Apply(events.DeviceStatus{Company: "C1", Device: "D1", At: now, Normal: normal}, now)
	}
	status("08:00:00", true)
	status("08:10:00", true)
	assert.Empty(t, tr.Tick(at(t, "08:30:00")))
	ch := tr.Tick(at(t, "08:30:01"))
	require.Len(t, ofKind(ch, governance.OfflineVideoDevice), 1)
	assert.Equal(t, at(t, "08:10:00"), ch[0].Fact.Started)
	assert.Equal(t, []string{"D1"}, tr.Status("C1").OfflineDevices)

	ch = status("08:40:00", true)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
	assert.Equal(t, 30*time.Minute, ch[0].Fact.Duration(at(t, "09:00:00")))

	ch = status("08:50:00", false)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactOpened, ch[0].Kind)
	assert.Contains(t, ch[0].Fact.Detail, "异常")
	ch = status("09:00:00", true)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
}

func commitment(tb testing.TB, hms string) events.Commitment {
	return events.Commitment{ID: "CM-0601", Company: "C1", Date: at(tb, "00:00:00"), Person: "张三", At: at(tb, hms),
		UnitsRunning: 3}
}

// A 10:30 commitment counts as late; none by 10:00 is 未承诺 until one arrives. The
// fact keeps its ID whether or not a tick saw it missing first.
func TestCommitmentLate(t *testing.T) {
	t.Run("on time", func(t *testing.T) {
		tr := newTracker(t)
		tr.Register("C1")
		assert.Empty(t, tr.Apply(commitment(t, "09:30:00"), at(t, "09:30:00")))
		assert.Empty(t, tr.Tick(at(t, "10:01:00")))
	})
	var ids []string
	t.Run("missing then late", func(t *testing.T) {
		tr := newTracker(t)
		tr.Register("C1")
		assert.Empty(t, tr.Tick(at(t, "09:59:59")))
		ch := tr.Tick(at(t, "10:00:00"))
		require.Len(t, ch, 1)
		assert.Equal(t, governance.CommitmentMissing, ch[0].Fact.Kind)
		assert.True(t, ch[0].Fact.Open())
		assert.Equal(t, "2021-06-01", ch[0].Fact.Day)

		ch = tr.Apply(commitment(t, "10:30:00"), at(t, "10:30:00"))
		require.Len(t, ch, 1)
		late := ch[0].Fact
		assert.Equal(t, governance.FactClosed, ch[0].Kind)
		assert.Equal(t, governance.CommitmentLate, late.Kind)
		assert.Equal(t, at(t, "10:00:00"), late.Started)
		assert.Equal(t, at(t, "10:30:00"), late.Ended)
		assert.Equal(t, 30*time.Minute, late.Duration(at(t, "12:00:00")))
		assert.Equal(t, "CM-0601", late.Evidence[len(late.Evidence)-1].Key)
		assert.Empty(t, tr.OpenFacts("C1"))
		ids = append(ids, late.ID)
	})
	t.Run("late without a tick", func(t *testing.T) {
		tr := newTracker(t)
		ch := tr.Apply(commitment(t, "10:30:00"), at(t, "10:30:00"))
		require.Len(t, ch, 1)
		assert.Equal(t, governance.CommitmentLate, ch[0].Fact.Kind)
		assert.False(t, ch[0].Fact.Open())
		ids = append(ids, ch[0].Fact.ID)
	})
	require.Len(t, ids, 2)
	assert.Equal(t, ids[0], ids[1])

	t.Run("never", func(t *testing.T) {
		tr := newTracker(t)
		tr.Register("C1")
		tr.Tick(at(t, "10:05:00"))
		ch := tr.Tick(atDay(t, "2021-06-02", "00:00:30"))
		closed := ofKind(ch, governance.CommitmentMissing)
		require.Len(t, closed, 1)
		assert.Equal(t, atDay(t, "2021-06-02", "00:00:00"), closed[0].Fact.Ended, "closed at the day's end")
	})
}

// A hot-work permit contradicts a commitment of no hot work; cancelling the permit
// (or declaring it) ends the contradiction.
func TestHotWorkContradictsCommitment(t *testing.T) {
	tr := newTracker(t)
	tr.Apply(commitment(t, "08:00:00"), at(t, "08:00:00"))
	op := events.Operation{ID: "OP-1", Company: "C1", Type: events.OpHotWork1, Begin: at(t, "13:00:00"), End: at(t, "15:00:00")}
	ch := tr.Apply(op, at(t, "09:00:00"))
	got := ofKind(ch, governance.CommitmentContradiction)
	require.Len(t, got, 1)
	fact := got[0].Fact
	assert.Equal(t, "hot_work/2021-06-01", fact.Subject)
	assert.Equal(t, governance.SevHigh, fact.Severity)
	assert.Contains(t, fact.Detail, "动火作业 0 项")
	assert.Equal(t, []string{"CM-0601", "OP-1"}, []string{fact.Evidence[0].Key, fact.Evidence[1].Key})

	confined := events.Operation{ID: "OP-2", Company: "C1", Type: events.OpConfinedSpace, Begin: at(t, "13:00:00")}
	assert.Empty(t, tr.Apply(confined, at(t, "09:01:00")), "受限空间 is not hot work")

	op.Cancelled = true
	ch = tr.Apply(op, at(t, "09:30:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
	assert.Equal(t, fact.ID, ch[0].Fact.ID)

	t.Run("declared", func(t *testing.T) {
		tr := newTracker(t)
		cm := commitment(t, "08:00:00")
		cm.HotWork1 = 1
		tr.Apply(cm, at(t, "08:00:00"))
		assert.Empty(t, tr.Apply(events.Operation{ID: "OP-1", Company: "C1", Type: events.OpHotWork1, Begin: at(t, "13:00:00")}, at(t, "09:00:00")))
		ch := tr.Apply(events.Operation{ID: "OP-3", Company: "C1", Type: events.OpHotWorkSpecial, Begin: at(t, "14:00:00")}, at(t, "09:05:00"))
		require.Len(t, ofKind(ch, governance.CommitmentContradiction), 1, "two permits against one declared")
	})
	t.Run("permit before commitment", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(events.Operation{ID: "OP-1", Company: "C1", Type: events.OpHotWork2, Begin: at(t, "13:00:00")}, at(t, "07:00:00"))
		require.Len(t, ofKind(tr.Apply(commitment(t, "08:00:00"), at(t, "08:00:00")), governance.CommitmentContradiction), 1)
	})
}

// Units declared all stopped while a flow meter moves contradicts the commitment.
func TestUnitsStoppedWhileReadingsMove(t *testing.T) {
	tr := newTracker(t)
	now := at(t, "07:00:00")
	tr.Apply(events.IndicatorDef{Code: "F1", Company: "C1", Kind: events.KindFlow, Unit: "m3/h",
		RangeLow: f(0), RangeHigh: f(100), Thresholds: events.Thresholds{High: f(90)}}, now)
	cm := commitment(t, "08:00:00")
	cm.UnitsRunning, cm.UnitsStopped = 0, 3
	tr.Apply(cm, at(t, "08:00:00"))
	assert.Empty(t, tr.Apply(events.Reading{Company: "C1", Indicator: "F1", Value: 0, At: at(t, "09:00:00")}, at(t, "09:00:00")))
	assert.Empty(t, tr.Apply(events.Reading{Company: "C1", Indicator: "F1", Value: 2, At: at(t, "09:01:00")}, at(t, "09:01:00")),
		"2 % of the range is noise")
	ch := tr.Apply(events.Reading{Company: "C1", Indicator: "F1", Value: 40, At: at(t, "09:02:00")}, at(t, "09:02:00"))
	got := ofKind(ch, governance.CommitmentContradiction)
	require.Len(t, got, 1)
	assert.Equal(t, "units_stopped/2021-06-01", got[0].Fact.Subject)
	assert.Equal(t, "F1", got[0].Fact.Evidence[1].Key)
}

// An alarm not cleared within its source's limit is a fact from the alarm's time
// until its clear.
func TestAlarmUncleared(t *testing.T) {
	tr := newTracker(t)
	tr.Apply(governance.Camera{Company: "C1", VideoCode: "370100001013200001"}, at(t, "07:00:00"))
	alarm := events.CompanyAlarm{Company: "C1", Source: events.SourcePositioning, ID: "A1", Type: "1",
		Raised: true, At: at(t, "08:00:00")}
	tr.Apply(alarm, at(t, "08:00:05"))
	assert.Empty(t, ofKind(tr.Tick(at(t, "08:30:00")), governance.AlarmUncleared))
	ch := ofKind(tr.Tick(at(t, "08:30:01")), governance.AlarmUncleared)
	require.Len(t, ch, 1)
	assert.Equal(t, "positioning:A1", ch[0].Fact.Subject)
	assert.Equal(t, at(t, "08:00:00"), ch[0].Fact.Started)
	alarm.Raised, alarm.At = false, at(t, "09:10:00")
	ch = tr.Apply(alarm, at(t, "09:10:02"))
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
	assert.Equal(t, 70*time.Minute, ch[0].Fact.Duration(at(t, "10:00:00")))

	t.Run("indicator alarms from the warning engine", func(t *testing.T) {
		tr := newTracker(t)
		a := governance.IndicatorAlarm{ID: "AL-1", Company: "C1", Indicator: "P1", Start: at(t, "08:00:00")}
		tr.ApplyAlarm(a)
		assert.Empty(t, tr.Tick(at(t, "09:59:00")))
		require.Len(t, ofKind(tr.Tick(at(t, "10:00:01")), governance.AlarmUncleared), 1)
		a.Clear, a.Cleared = at(t, "10:20:00"), true
		ch := tr.ApplyAlarm(a)
		require.Len(t, ch, 1)
		assert.Equal(t, at(t, "10:20:00"), ch[0].Fact.Ended)
	})
	t.Run("video alarm on an unregistered channel", func(t *testing.T) {
		tr := newTracker(t)
		ch := tr.Apply(events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: "V1", Where: "370100001013200009",
			Raised: true, At: at(t, "08:00:00")}, at(t, "08:00:00"))
		require.Len(t, ofKind(ch, governance.CameraUnregistered), 1)
		ch = tr.Apply(governance.Camera{Company: "C1", VideoCode: "370100001013200009"}, at(t, "08:10:00"))
		require.Len(t, ch, 1)
		assert.Equal(t, governance.FactClosed, ch[0].Kind)
	})
}

func TestDisposalOverdue(t *testing.T) {
	tr := newTracker(t)
	esc := governance.Overdue{At: at(t, "08:31:00"), Step: "published", Deadline: at(t, "08:30:00"),
		From: "county", To: "city"}
	ch := tr.ApplyWarning(governance.DisposalStep{Company: "C1", Warning: "W1", LevelZH: "红色预警", Overdue: &esc}, at(t, "08:31:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, governance.DisposalOverdue, ch[0].Fact.Kind)
	assert.Equal(t, at(t, "08:30:00"), ch[0].Fact.Started)
	ch = tr.ApplyWarning(governance.DisposalStep{Company: "C1", Warning: "W1", Taken: true, At: at(t, "09:00:00")}, at(t, "09:00:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, at(t, "09:00:00"), ch[0].Fact.Ended)
}

// Tables uploaded less often than the seed's frequency: hourly 隐患信息 not sent
// for an hour and the grace.
func TestUploadOverdue(t *testing.T) {
	tr := newTracker(t)
	tr.Apply(governance.Upload{Company: "C1", Table: "hidden-dangers", Accepted: 3}, at(t, "08:00:00"))
	tr.Apply(governance.Upload{Company: "C1", Table: "sensor-readings", Accepted: 3}, at(t, "08:00:00"))
	assert.Empty(t, ofKind(tr.Tick(at(t, "09:10:00")), governance.UploadOverdue))
	ch := ofKind(tr.Tick(at(t, "09:10:01")), governance.UploadOverdue)
	require.Len(t, ch, 1, "real-time tables have no interval; their freshness is the offline facts'")
	assert.Equal(t, "hidden-dangers", ch[0].Fact.Subject)
	assert.Equal(t, at(t, "09:00:00"), ch[0].Fact.Started, "overdue from when the next upload was due")
	ch = tr.Apply(governance.Upload{Company: "C1", Table: "hidden-dangers", Accepted: 1}, at(t, "09:20:00"))
	require.Len(t, ofKind(ch, governance.UploadOverdue), 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
}

func TestRejectedShare(t *testing.T) {
	tr := newTracker(t)
	assert.Empty(t, tr.Apply(governance.Upload{Company: "C1", Table: "indicators", Accepted: 5,
		Rejected: map[string]int{"threshold_order": 5}}, at(t, "08:00:00")), "too few records to judge")
	ch := tr.Apply(governance.Upload{Company: "C1", Table: "indicators", Accepted: 15,
		Rejected: map[string]int{"required": 1}}, at(t, "08:05:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, "indicators/2021-06-01", ch[0].Fact.Subject)
	assert.Contains(t, ch[0].Fact.Detail, "拒收 6 / 26")
	assert.Contains(t, ch[0].Fact.Detail, "threshold_order 5")
	ch = tr.Apply(governance.Upload{Company: "C1", Table: "indicators", Accepted: 200}, at(t, "09:00:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind, "below 5 % again")
}

func TestSensorSanity(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	tr.Apply(events.IndicatorDef{Code: "P1", Company: "C1", Kind: events.KindPressure, RangeLow: f(0), RangeHigh: f(2),
		Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}, t0)
	read := func(now, collected time.Time, v float64) []governance.Change {
		return tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: v, At: collected}, now)
	}
	cases := []struct {
		name      string
		collected time.Duration // COLLECT_TIME relative to receipt
		value     float64
		kind      governance.Kind
	}{
		{"future", 10 * time.Minute, 1, governance.SensorFuture},
		{"far behind", -2 * time.Hour, 1, governance.SensorBehind},
		{"out of range", 0, 2.5, governance.SensorOutOfRange},
	}
	now := t0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(time.Minute)
			got := ofKind(read(now, now.Add(tc.collected), tc.value), tc.kind)
			require.Len(t, got, 1)
			assert.Equal(t, governance.FactOpened, got[0].Kind)
			now = now.Add(time.Minute)
			got = ofKind(read(now, now, 1), tc.kind)
			require.Len(t, got, 1, "a sane reading closes it")
			assert.Equal(t, governance.FactClosed, got[0].Kind)
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		now = now.Add(time.Minute)
		read(now, now, 1.1)
		got := ofKind(read(now.Add(time.Second), now, 1.1), governance.SensorDuplicate)
		require.Len(t, got, 1)
		got = ofKind(read(now.Add(2*time.Second), now, 1.1), governance.SensorDuplicate)
		require.Len(t, got, 1)
		assert.Equal(t, governance.FactUpdated, got[0].Kind)
		assert.Equal(t, 2, got[0].Fact.Count)
		closed := ofKind(tr.Tick(atDay(t, "2021-06-02", "00:00:10")), governance.SensorDuplicate)
		require.Len(t, closed, 1, "closed at the end of its day")
	})
	t.Run("stuck", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(events.IndicatorDef{Code: "P1", Company: "C1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}}, t0)
		var opened []governance.Change
		now := t0
		for i := 0; i < 30; i++ {
			now = t0.Add(time.Duration(i) * 5 * time.Minute)
			opened = append(opened, ofKind(tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: 0.5, At: now}, now), governance.SensorStuck)...)
		}
		require.Len(t, opened, 1, "30 equal readings over 2 h 25 min")
		assert.Equal(t, t0, opened[0].Fact.Started)
		ch := ofKind(tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: 0.51, At: now.Add(time.Minute)}, now.Add(time.Minute)), governance.SensorStuck)
		require.Len(t, ch, 1)
		assert.Equal(t, governance.FactClosed, ch[0].Kind)

		// A switch (静电接地) may stay constant.
		tr.Apply(events.IndicatorDef{Code: "G1", Company: "C1", Kind: events.KindGrounding}, t0)
		for i := 0; i < 40; i++ {
			now := t0.Add(time.Duration(i) * 5 * time.Minute)
			require.Empty(t, ofKind(tr.Apply(events.Reading{Company: "C1", Indicator: "G1", Value: 1, At: now}, now), governance.SensorStuck))
		}
	})
}

// Base data: each finding opens at the second tick that sees it (so records sent
// together in any order make no passing facts) and closes when the data is fixed.
func TestBaseData(t *testing.T) {
	t0 := at(t, "08:00:00")
	cases := []struct {
		name    string
		events  []governance.Event
		kind    governance.Kind
		subject string
		fix     governance.Event
	}{
		{"hazard source without indicators",
			[]governance.Event{events.HazardSource{Code: "H1", Company: "C1", Name: "罐区", Kind: events.HazardTankFarm, Grade: 1}},
			governance.HazardNoIndicator, "H1",
			events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}}},
		{"indicator without thresholds",
			[]governance.Event{events.HazardSource{Code: "H1", Company: "C1"}, events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure}},
			governance.IndicatorNoThreshold, "P1",
			events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}}},
		{"thresholds out of order",
			[]governance.Event{events.HazardSource{Code: "H1", Company: "C1"}, events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure,
				Thresholds: events.Thresholds{High: f(1.5), HighHigh: f(1.2)}}},
			governance.ThresholdOrder, "P1",
			events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}},
		{"threshold outside the range",
			[]governance.Event{events.HazardSource{Code: "H1", Company: "C1"}, events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure,
				RangeLow: f(0), RangeHigh: f(1), Thresholds: events.Thresholds{High: f(1.2)}}},
			governance.ThresholdOrder, "P1",
			events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2)}}},
		{"indicator of an unregistered hazard source",
			[]governance.Event{events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H9", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}}},
			governance.IndicatorHazardUnknown, "P1",
			events.HazardSource{Code: "H9", Company: "C1"}},
		{"camera without a GB28181 code",
			[]governance.Event{governance.Camera{Company: "C1", VideoCode: "CAM-1"}},
			governance.CameraCode, "CAM-1",
			governance.Camera{Company: "C1", VideoCode: "CAM-1", Deleted: true}},
		{"company coordinates outside Shandong",
			[]governance.Event{governance.Location{Company: "C1", Table: "enterprise-info", Lon: f(116.4), Lat: f(39.9)}},
			governance.CoordinatesOutside, "enterprise",
			governance.Location{Company: "C1", Table: "enterprise-info", Lon: f(117.0), Lat: f(36.65)}},
		{"company coordinates missing",
			[]governance.Event{governance.Location{Company: "C1", Table: "enterprise-info"}},
			governance.CoordinatesOutside, "enterprise",
			governance.Location{Company: "C1", Table: "enterprise-info", Lon: f(117.0), Lat: f(36.65)}},
		{"hazard source coordinates swapped",
			[]governance.Event{events.HazardSource{Code: "H1", Company: "C1"},
				events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}},
				governance.Location{Company: "C1", Table: "hazard-sources", Subject: "H1", Lon: f(36.65), Lat: f(117.0)}},
			governance.CoordinatesOutside, "H1",
			governance.Location{Company: "C1", Table: "hazard-sources", Subject: "H1", Lon: f(117.0), Lat: f(36.65)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker(t)
			for _, ev := range tc.events {
				tr.Apply(ev, t0)
			}
			require.Empty(t, tr.Tick(t0.Add(time.Minute)), "first sight: pending")
			ch := tr.Tick(t0.Add(2 * time.Minute))
			require.Len(t, ch, 1, "%+v", ch)
			assert.Equal(t, tc.kind, ch[0].Fact.Kind)
			assert.Equal(t, tc.subject, ch[0].Fact.Subject)
			assert.Equal(t, t0.Add(time.Minute), ch[0].Fact.Started)
			assert.NotEmpty(t, ch[0].Fact.Detail)

			tr.Apply(tc.fix, t0.Add(3*time.Minute))
			ch = tr.Tick(t0.Add(4 * time.Minute))
			require.Len(t, ch, 1, "%+v", ch)
			assert.Equal(t, governance.FactClosed, ch[0].Kind)
			assert.Empty(t, tr.OpenFacts("C1"))
		})
	}
	t.Run("sent together in any order", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(events.IndicatorDef{Code: "P1", Company: "C1", Hazard: "H1", Kind: events.KindPressure, Thresholds: events.Thresholds{High: f(1)}}, t0)
		tr.Tick(t0.Add(30 * time.Second))
		tr.Apply(events.HazardSource{Code: "H1", Company: "C1"}, t0.Add(40*time.Second))
		assert.Empty(t, tr.Tick(t0.Add(time.Minute)))
		assert.Empty(t, tr.Tick(t0.Add(2*time.Minute)))
	})
}

func TestDecode(t *testing.T) {
	evs, err := governance.Decode("cameras", "C1", []byte(`{"VIDEO_CODE":"37010000101320000001","COMPANY_CODE":"C1","CAMERA_NAME":"罐区","PLACE":"1#罐","KEY_AREA_KIND":"3","DELETED":"0"}`))
	require.NoError(t, err)
	assert.Equal(t, []governance.Event{governance.Camera{Company: "C1", VideoCode: "37010000101320000001"}}, evs)

	evs, err = governance.Decode("hazard-sources", "C1", []byte(`{"HAZARD_CODE":"H1","COMPANY_CODE":"C1","HAZARD_NAME":"罐区","HAZARD_KIND":"1","HAZARD_GRADE":"1","SUBSTANCES":"甲醇","LONGITUDE":"117.000001","LATITUDE":36.65,"DELETED":"0"}`))
	require.NoError(t, err)
	require.Len(t, evs, 2)
	loc := evs[1].(governance.Location)
	assert.Equal(t, "H1", loc.Subject)
	assert.InDelta(t, 117.000001, *loc.Lon, 1e-9)
	assert.InDelta(t, 36.65, *loc.Lat, 1e-9)

	evs, err = governance.Decode("enterprise-info", "C1", []byte(`{"COMPANY_CODE":"C1","COMPANY_NAME":"x","DELETED":"0"}`))
	require.NoError(t, err)
	assert.Equal(t, []governance.Event{governance.Location{Company: "C1", Table: "enterprise-info"}}, evs)

	_, err = governance.Decode("special-operations-tickets", "C1", []byte(`{}`))
	assert.ErrorIs(t, err, governance.ErrIgnoredTable)
	assert.Contains(t, governance.Tables(), "cameras")
}

// 特殊作业 is due as a day's plan before 10:00 when the commitment declares any.
func TestSpecialOperationsPlanDue(t *testing.T) {
	declared := func() events.Commitment {
		cm := commitment(t, "08:00:00")
		cm.ConfinedSpace = 1
		return cm
	}
	t.Run("not sent", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(declared(), at(t, "08:00:00"))
		assert.Empty(t, tr.Tick(at(t, "09:59:00")))
		ch := ofKind(tr.Tick(at(t, "10:00:30")), governance.UploadOverdue)
		require.Len(t, ch, 1)
		assert.Equal(t, "special-operations", ch[0].Fact.Subject)
		assert.Equal(t, at(t, "10:00:00"), ch[0].Fact.Started)
		ch = tr.Apply(governance.Upload{Company: "C1", Table: "special-operations", Accepted: 1}, at(t, "10:20:00"))
		require.Len(t, ch, 1)
		assert.Equal(t, governance.FactClosed, ch[0].Kind)
	})
	t.Run("sent in time", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(governance.Upload{Company: "C1", Table: "special-operations", Accepted: 1}, at(t, "07:00:00"))
		tr.Apply(declared(), at(t, "08:00:00"))
		assert.Empty(t, ofKind(tr.Tick(at(t, "10:00:30")), governance.UploadOverdue))
	})
	t.Run("none declared", func(t *testing.T) {
		tr := newTracker(t)
		tr.Apply(commitment(t, "08:00:00"), at(t, "08:00:00"))
		assert.Empty(t, tr.Tick(at(t, "10:00:30")))
	})
}

// A registered video device that never reports goes offline from its registration.
func TestRegisteredVideoDeviceNeverReporting(t *testing.T) {
	tr := newTracker(t)
	evs, err := governance.Decode("gas-station-video-devices", "GS1", []byte(`{"DEVICE_ID":"6f1c1a3e-3c7e-4e2a-9b1f-0c2d3e4f5a6b","DEVICE_CODE":"DEV-9","COMPANY_CODE":"GS1","DEVICE_NAME":"前庭"}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	tr.Apply(evs[0], at(t, "08:00:00"))
	ch := ofKind(tr.Tick(at(t, "08:20:01")), governance.OfflineVideoDevice)
	require.Len(t, ch, 1)
	assert.Equal(t, at(t, "08:00:00"), ch[0].Fact.Started)

	evs, err = governance.Decode("gas-station-video-device-status", "GS1", []byte(`{"DEVICE_CODE":"DEV-9","DATE_TIME":"2021-06-01 08:30:00","RUN_STATUS":"1"}`))
	require.NoError(t, err)
	ch = tr.Apply(evs[0], at(t, "08:30:00"))
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
}

// 特殊作业 is sent only on days with a plan: not uploading it for a day is no fact.
func TestPlanTablesHaveNoDailyInterval(t *testing.T) {
	tr := newTracker(t)
	tr.Apply(governance.Upload{Company: "C1", Table: "special-operations", Accepted: 1}, at(t, "08:00:00"))
	tr.Apply(commitment(t, "08:00:00"), at(t, "08:00:00"))
	assert.Empty(t, ofKind(tr.Tick(atDay(t, "2021-06-03", "08:00:00")), governance.UploadOverdue))
}

// A point the company deletes from 指标信息 (decommissioned) sends no more readings:
// the facts about that point must close then, not stay open (and deduct) forever.
func TestDeletedIndicatorClosesItsFacts(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	def := events.IndicatorDef{Code: "P1", Company: "C1", Kind: events.KindPressure, RangeLow: f(0), RangeHigh: f(2),
		Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}
	tr.Apply(def, t0)
	tr.Apply(events.IndicatorDef{Code: "P2", Company: "C1", Kind: events.KindPressure,
		Thresholds: events.Thresholds{High: f(1)}}, t0)
	tr.Apply(events.Reading{Company: "C1", Indicator: "P1", Value: 2.5, At: t0}, t0) // out of range
	var ch []governance.Change
	for now := t0.Add(5 * time.Minute); !now.After(at(t, "08:40:00")); now = now.Add(5 * time.Minute) {
		tr.Apply(events.Reading{Company: "C1", Indicator: "P2", Value: float64(now.Minute()), At: now}, now)
		ch = append(ch, tr.Tick(now)...)
	}
	require.Len(t, openOf(tr, "C1", governance.OfflineIndicator), 1)
	require.Len(t, openOf(tr, "C1", governance.SensorOutOfRange), 1)

	del := at(t, "08:41:00")
	def.Deleted = true
	closed := tr.Apply(def, del)
	assert.Len(t, ofKind(closed, governance.OfflineIndicator), 1)
	assert.Len(t, ofKind(closed, governance.SensorOutOfRange), 1)
	for _, c := range closed {
		assert.Equal(t, governance.FactClosed, c.Kind)
		assert.Equal(t, del, c.Fact.Ended)
	}
	tr.Tick(at(t, "09:30:00"))
	assert.Empty(t, openOf(tr, "C1", governance.OfflineIndicator), "a deleted point is not offline")
	assert.Empty(t, openOf(tr, "C1", governance.SensorOutOfRange))
}

// A registered company whose system never uploads anything is offline (企业系统离线)
// from when the platform first checked it, not online forever: it must not score
// better than one that sent data and then fell silent.
func TestNeverConnectedCompanyIsOffline(t *testing.T) {
	tr := newTracker(t)
	tr.Register("C1")
	require.Empty(t, ofKind(tr.Tick(at(t, "08:00:00")), governance.OfflineSystem))
	require.Empty(t, ofKind(tr.Tick(at(t, "09:00:00")), governance.OfflineSystem), "exactly at the limit")
	ch := ofKind(tr.Tick(at(t, "09:00:10")), governance.OfflineSystem)
	require.Len(t, ch, 1)
	assert.Equal(t, at(t, "08:00:00"), ch[0].Fact.Started)
	assert.True(t, ch[0].Fact.Evidence[0].Absent)
	assert.False(t, tr.Status("C1").Online)

	// The memory survives a restart.
	b, err := tr.MarshalState()
	require.NoError(t, err)
	restored, err := governance.Restore(governance.DefaultConfig(), b)
	require.NoError(t, err)
	assert.False(t, restored.Status("C1").Online)
	fresh := newTracker(t)
	fresh.Register("C2")
	fresh.Tick(at(t, "08:00:00"))
	b, err = fresh.MarshalState()
	require.NoError(t, err)
	restored, err = governance.Restore(governance.DefaultConfig(), b)
	require.NoError(t, err)
	ch = ofKind(restored.Tick(at(t, "09:00:10")), governance.OfflineSystem)
	require.Len(t, ch, 1, "the first check is remembered across a restart")
	assert.True(t, at(t, "08:00:00").Equal(ch[0].Fact.Started), ch[0].Fact.Started)

	closed := ofKind(tr.Apply(governance.Upload{Company: "C1", Table: events.TableCommitments, Accepted: 1}, at(t, "09:30:00")),
		governance.OfflineSystem)
	require.Len(t, closed, 1)
	assert.Equal(t, governance.FactClosed, closed[0].Kind)
	assert.True(t, tr.Status("C1").Online)
}
