package governance_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

func unit(id, hazard string) governance.ChainRecord {
	return governance.ChainRecord{Company: "C1", Table: governance.TableRiskUnits, ID: id, Hazard: hazard, Name: "液氨储罐区"}
}

func link(table, id, parent string) governance.ChainRecord {
	return governance.ChainRecord{Company: "C1", Table: table, ID: id, Parent: parent}
}

func task(id, measure string, last time.Time, cycle float64, unit string) governance.ChainRecord {
	return governance.ChainRecord{Company: "C1", Table: governance.TableCheckTasks, ID: id, Parent: measure,
		At: last, Cycle: cycle, CycleUnit: unit, Name: "检查液位计"}
}

func danger(id, hazard, measure string, deadline time.Time, major bool, state string) governance.ChainRecord {
	return governance.ChainRecord{Company: "C1", Table: governance.TableHiddenDangers, ID: id, Hazard: hazard,
		Parent: measure, At: deadline, Major: major, State: state, Name: "液位计失灵"}
}

// applyAll applies records at now and ticks twice (a base finding opens at the
// second check that sees it), returning every change.
func applyAll(tr *governance.Tracker, now time.Time, evs ...governance.Event) []governance.Change {
	var ch []governance.Change
	for _, ev := range evs {
		ch = append(ch, tr.Apply(ev, now)...)
	}
	ch = append(ch, tr.Tick(now)...)
	return append(ch, tr.Tick(now.Add(time.Minute))...)
}

// A complete chain, sent in reverse order, makes no fact.
func TestChainCompleteInAnyOrderMakesNoFact(t *testing.T) {
	tr := newTracker(t)
	now := at(t, "08:00:00")
	ch := applyAll(tr, now,
		link(governance.TableCheckRecords, "R1", "T1"),
		task("T1", "M1", now, 1, "天"),
		link(governance.TableControlMeasures, "M1", "E1"),
		link(governance.TableRiskEvents, "E1", "U1"),
		unit("U1", "H1"),
		events.HazardSource{Company: "C1", Code: "H1"},
		danger("D1", "H1", "M1", now.Add(24*time.Hour), false, "0"),
	)
	for _, c := range ch {
		assert.NotContains(t, []governance.Kind{governance.ChainEventUnit, governance.ChainMeasureEvent,
			governance.ChainTaskMeasure, governance.ChainRecordTask, governance.DangerHazardUnknown,
			governance.DangerMeasureUnknown}, c.Fact.Kind, "%s", c.Fact.Detail)
	}
	assert.Equal(t, governance.ChainCounts{Units: 1, Events: 1, Measures: 1, Tasks: 1, OpenDangers: 1}, tr.Chain("C1"))
}

// Each broken link is its own fact, naming the record and the missing key, and
// closes when the link is repaired.
func TestChainBrokenLinks(t *testing.T) {
	now := at(t, "08:00:00")
	deletedUnit := unit("U9", "H1")
	deletedUnit.Deleted = true
	cases := []struct {
		name    string
		kind    governance.Kind
		subject string
		records []governance.Event
		repair  governance.Event
		note    string
	}{
		{"event without unit", governance.ChainEventUnit, "E1",
			[]governance.Event{link(governance.TableRiskEvents, "E1", "U1")}, unit("U1", "H1"), "RISK_UNIT_ID U1 不存在"},
		{"event of a deleted unit", governance.ChainEventUnit, "E1",
			[]governance.Event{deletedUnit, link(governance.TableRiskEvents, "E1", "U9")}, unit("U9", "H1"), "RISK_UNIT_ID U9 已删除"},
		{"measure without event", governance.ChainMeasureEvent, "M1",
			[]governance.Event{link(governance.TableControlMeasures, "M1", "E1")}, link(governance.TableRiskEvents, "E1", "U1"),
			"RISK_EVENT_ID E1 不存在"},
		{"task without measure", governance.ChainTaskMeasure, "T1",
			[]governance.Event{task("T1", "M1", now, 1, "天")}, link(governance.TableControlMeasures, "M1", "E1"),
			"RISK_MEASURE_ID M1 不存在"},
		{"record without task", governance.ChainRecordTask, "T1",
			[]governance.Event{link(governance.TableCheckRecords, "R1", "T1"), link(governance.TableCheckRecords, "R2", "T1")},
			task("T1", "M1", now, 1, "天"), "CHECK_TASK_ID T1 不存在"},
		{"danger of an unregistered hazard", governance.DangerHazardUnknown, "D1",
			[]governance.Event{danger("D1", "H9", "", now.Add(time.Hour), false, "0")},
			events.HazardSource{Company: "C1", Code: "H9"}, "HAZARD_CODE H9 未在重大危险源与储存单元中登记"},
		{"danger of a missing measure", governance.DangerMeasureUnknown, "D1",
			[]governance.Event{events.HazardSource{Company: "C1", Code: "H1"}, danger("D1", "H1", "M7", now.Add(time.Hour), false, "0")},
			link(governance.TableControlMeasures, "M7", "E1"), "RISK_MEASURE_ID M7 不存在"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker(t)
			applyAll(tr, now, tc.records...)
			open := openOf(tr, "C1", tc.kind)
			require.Len(t, open, 1)
			f := open[0]
			assert.Equal(t, tc.subject, f.Subject)
			assert.Equal(t, tc.note, f.Evidence[0].Note)
			assert.NotEmpty(t, f.Evidence[0].Key)
			assert.Contains(t, f.Detail, tc.subject)
			if tc.kind == governance.ChainRecordTask {
				assert.Equal(t, 2, f.Count, "both records of the missing task")
				assert.Equal(t, []string{"R1", "R2"}, []string{f.Evidence[0].Key, f.Evidence[1].Key})
			}

			later := now.Add(time.Hour)
			ch := applyAll(tr, later, tc.repair)
			assert.Empty(t, openOf(tr, "C1", tc.kind), "repaired")
			closed := ofKind(ch, tc.kind)
			require.NotEmpty(t, closed)
			assert.Equal(t, governance.FactClosed, closed[len(closed)-1].Kind)
		})
	}
}

// Deleting the broken record itself ends its fact; a record whose task is known is
// not kept.
func TestChainDeletedRecordEndsItsFact(t *testing.T) {
	tr := newTracker(t)
	now := at(t, "08:00:00")
	applyAll(tr, now, link(governance.TableRiskEvents, "E1", "U1"))
	require.Len(t, openOf(tr, "C1", governance.ChainEventUnit), 1)
	gone := link(governance.TableRiskEvents, "E1", "U1")
	gone.Deleted = true
	applyAll(tr, now.Add(time.Hour), gone)
	assert.Empty(t, openOf(tr, "C1", governance.ChainEventUnit))
}

func TestNextCheck(t *testing.T) {
	last := atDay(t, "2021-01-31", "09:00:00")
	for _, tc := range []struct {
		cycle float64
		unit  string
		want  string
	}{
		{8, "小时", "2021-01-31 17:00:00"},
		{0.5, "小时", "2021-01-31 09:30:00"},
		{1, "天", "2021-02-01 09:00:00"},
		{1.5, "天", "2021-02-01 21:00:00"},
		{1, "月", "2021-03-03 09:00:00"}, // 31 February normalises, as the calendar does
		{3, "月", "2021-05-01 09:00:00"},
		{1, "年", "2022-01-31 09:00:00"},
	} {
		due, ok := governance.NextCheck(last, tc.cycle, tc.unit)
		require.True(t, ok, "%g%s", tc.cycle, tc.unit)
		y, d, _ := splitTime(tc.want)
		assert.Equal(t, atDay(t, y, d), due, "%g%s", tc.cycle, tc.unit)
	}
	for _, bad := range []struct {
		cycle float64
		unit  string
	}{{0, "天"}, {-1, "天"}, {1, "周"}, {1, ""}} {
		_, ok := governance.NextCheck(last, bad.cycle, bad.unit)
		assert.False(t, ok, "%g%s", bad.cycle, bad.unit)
	}
}

func splitTime(s string) (string, string, bool) { return s[:10], s[11:], true }

// A task is overdue when its cycle has passed (plus the upload grace) without a
// check; the fact starts at the due time; a record of the task closes it.
func TestCheckOverdueByCycle(t *testing.T) {
	for _, tc := range []struct {
		cycle float64
		unit  string
		after time.Duration // from the last check to the due time
	}{
		{4, "小时", 4 * time.Hour},
		{1, "天", 24 * time.Hour},
		{1, "月", 30 * 24 * time.Hour}, // June has 30 days
		{1, "年", 365 * 24 * time.Hour},
	} {
		t.Run(tc.unit, func(t *testing.T) {
			tr := newTracker(t)
			last := at(t, "08:00:00")
			due := last.Add(tc.after)
			applyAll(tr, last, task("T1", "M1", last, tc.cycle, tc.unit))
			grace := governance.DefaultConfig().Limits.UploadGrace

			tr.Tick(due.Add(grace - time.Second))
			assert.Empty(t, openOf(tr, "C1", governance.CheckOverdue), "within the grace")

			tr.Tick(due.Add(grace + time.Second))
			open := openOf(tr, "C1", governance.CheckOverdue)
			require.Len(t, open, 1)
			assert.Equal(t, "T1", open[0].Subject)
			assert.Equal(t, due, open[0].Started)
			assert.Equal(t, "check-tasks", open[0].Evidence[0].Table)

			checked := due.Add(time.Hour)
			rec := link(governance.TableCheckRecords, "R1", "T1")
			rec.At = checked
			ch := tr.Apply(rec, checked.Add(time.Minute))
			require.Len(t, ofKind(ch, governance.CheckOverdue), 1)
			assert.Equal(t, governance.FactClosed, ch[0].Kind)
			assert.Equal(t, checked.Add(time.Minute), ch[0].Fact.Ended)
			tr.Tick(checked.Add(2 * time.Minute))
			assert.Empty(t, openOf(tr, "C1", governance.CheckOverdue))
		})
	}
}

// The task's own INVESTIGATION_DATE counts as a check too; a deleted task is never
// overdue.
func TestCheckOverdueTaskUpdateAndDeletion(t *testing.T) {
	tr := newTracker(t)
	last := at(t, "08:00:00")
	applyAll(tr, last, task("T1", "M1", last, 2, "小时"), task("T2", "M1", last, 2, "小时"))
	tr.Tick(last.Add(3 * time.Hour))
	require.Len(t, openOf(tr, "C1", governance.CheckOverdue), 2)

	tr.Apply(task("T1", "M1", last.Add(3*time.Hour), 2, "小时"), last.Add(3*time.Hour))
	gone := task("T2", "M1", last, 2, "小时")
	gone.Deleted = true
	tr.Apply(gone, last.Add(3*time.Hour))
	tr.Tick(last.Add(3*time.Hour + time.Minute))
	assert.Empty(t, openOf(tr, "C1", governance.CheckOverdue))
}

// A platform-side outage opens no 超期未排查: overdue is judged on the intake clock.
func TestCheckOverdueHeldDuringIntakeOutage(t *testing.T) {
	tr := newTracker(t)
	last := at(t, "08:00:00")
	applyAll(tr, last, task("T1", "M1", last, 1, "小时"))
	stalled := events.Intake{At: last.Add(30 * time.Minute)} // nothing from anyone since 08:30
	tr.TickIntake(last.Add(3*time.Hour), stalled)
	assert.Empty(t, openOf(tr, "C1", governance.CheckOverdue))
}

// General and major 隐患 past their deadline while not 已验收 are separate facts;
// 已验收 or a deadline moved later closes them.
func TestDangerOverdue(t *testing.T) {
	tr := newTracker(t)
	now := at(t, "08:00:00")
	deadline := now.Add(2 * time.Hour)
	applyAll(tr, now, events.HazardSource{Company: "C1", Code: "H1"},
		danger("D1", "H1", "", deadline, false, "0"),
		danger("D2", "H1", "", deadline, true, "1"),
		danger("D3", "H1", "", deadline, false, "9"))
	tr.Tick(deadline.Add(-time.Second))
	assert.Empty(t, openOf(tr, "C1", governance.DangerOverdue))

	tr.Tick(deadline.Add(time.Minute))
	general := openOf(tr, "C1", governance.DangerOverdue)
	major := openOf(tr, "C1", governance.MajorDangerOverdue)
	require.Len(t, general, 1)
	require.Len(t, major, 1)
	assert.Equal(t, "D1", general[0].Subject)
	assert.Equal(t, "D2", major[0].Subject)
	assert.Equal(t, deadline, major[0].Started)
	assert.Equal(t, governance.SevHigh, major[0].Severity)
	assert.Contains(t, major[0].Detail, "重大隐患")
	assert.Contains(t, major[0].Evidence[0].Note, "待验收")

	done := now.Add(3 * time.Hour)
	ch := tr.Apply(danger("D2", "H1", "", deadline, true, "9"), done)
	require.Len(t, ofKind(ch, governance.MajorDangerOverdue), 1)
	assert.Equal(t, done, ch[0].Fact.Ended)
	ch = tr.Apply(danger("D1", "H1", "", done.Add(48*time.Hour), false, "0"), done)
	require.Len(t, ofKind(ch, governance.DangerOverdue), 1, "the deadline was extended")
	tr.Tick(done.Add(time.Minute))
	assert.Empty(t, openOf(tr, "C1", governance.DangerOverdue))
	assert.Empty(t, openOf(tr, "C1", governance.MajorDangerOverdue))
	assert.Equal(t, 1, tr.Chain("C1").OpenDangers, "the accepted ones are forgotten")
}

// The chain survives a restart through the stored state.
func TestChainStateRoundTrip(t *testing.T) {
	tr := newTracker(t)
	now := at(t, "08:00:00")
	applyAll(tr, now, link(governance.TableCheckRecords, "R1", "T1"), task("T2", "M1", now, 1, "小时"),
		unit("U1", "H1"))
	tr.SetKind("C1", "生产")
	b, err := tr.MarshalState()
	require.NoError(t, err)
	back, err := governance.Restore(governance.DefaultConfig(), b)
	require.NoError(t, err)
	assert.Equal(t, tr.Chain("C1"), back.Chain("C1"))
	require.Len(t, back.OpenFacts("C1"), len(tr.OpenFacts("C1")))
	for i, f := range tr.OpenFacts("C1") {
		assert.Equal(t, f.ID, back.OpenFacts("C1")[i].ID)
	}
	// The orphan's task arrives after the restart: the record's check counts.
	rec := now.Add(30 * time.Minute)
	back.Apply(task("T1", "M1", now.Add(-time.Hour), 1, "小时"), rec)
	back.Tick(rec)
	b2, err := back.MarshalState()
	require.NoError(t, err)
	assert.NotEqual(t, b, b2)
	assert.Equal(t, 0, back.Chain("C1").Orphans)
}

// A table the company owes by its kind and never sent is flagged after
// never_sent_after; its first record closes the fact. A gas station owes the
// 加油站 tables, not 双重预防.
func TestTableNeverSent(t *testing.T) {
	tr := newTracker(t)
	first := at(t, "08:00:00")
	tr.Register("C1")
	tr.Register("S1")
	tr.Register("X1")
	tr.SetKind("C1", "生产")
	tr.SetKind("S1", governance.KindGasStation)
	tr.Apply(governance.Upload{Company: "C1", Table: "risk-units", Accepted: 1}, first)
	tr.Tick(first)
	limit := governance.DefaultConfig().Limits.NeverSentAfter
	tr.Tick(first.Add(limit - time.Minute))
	assert.Empty(t, openOf(tr, "C1", governance.TableNeverSent))

	tr.Tick(first.Add(limit + time.Minute))
	subjects := func(code string) []string {
		var out []string
		for _, f := range openOf(tr, code, governance.TableNeverSent) {
			out = append(out, f.Subject)
		}
		return out
	}
	assert.ElementsMatch(t, []string{"risk-events", "control-measures", "check-tasks", "check-records",
		"video-devices", "video-device-status"}, subjects("C1"), "risk-units was sent")
	assert.ElementsMatch(t, []string{"gas-station-video-devices", "gas-station-video-device-status"}, subjects("S1"))
	assert.Empty(t, subjects("X1"), "no registered kind, nothing owed")
	f := openOf(tr, "S1", governance.TableNeverSent)[0]
	assert.Equal(t, first.Add(limit), f.Started)
	assert.True(t, f.Evidence[0].Absent)

	sent := first.Add(limit + time.Hour)
	ch := tr.Apply(governance.Upload{Company: "S1", Table: "gas-station-video-devices", Accepted: 3}, sent)
	require.Len(t, ofKind(ch, governance.TableNeverSent), 1)
	assert.Equal(t, governance.FactClosed, ofKind(ch, governance.TableNeverSent)[0].Kind)
	assert.Equal(t, []string{"gas-station-video-device-status"}, subjects("S1"))
}

func TestSystemsOwed(t *testing.T) {
	var stations, chemical []string
	for _, s := range governance.Systems {
		if s.Owes(governance.KindGasStation) {
			stations = append(stations, s.Key)
		}
		if s.Owes("经营") {
			chemical = append(chemical, s.Key)
		}
		assert.False(t, s.Owes(""), s.Key)
		for _, tb := range s.Owed {
			assert.Contains(t, s.Tables(), tb, "%s owes a table of its own group", s.Key)
		}
	}
	assert.Equal(t, []string{"gas-station-video"}, stations)
	assert.Equal(t, []string{"dual-prevention", "special-operations", "positioning", "video", "all-elements"}, chemical)
	dual, _ := governance.SystemByKey("dual-prevention")
	assert.Equal(t, []string{"risk-units", "risk-events", "control-measures", "check-tasks", "check-records",
		"hidden-dangers"}, dual.Tables())
	all, _ := governance.SystemByKey("all-elements")
	assert.Empty(t, all.Tables(), "全要素 has no exchange table: declared at 验收")
}

func TestDecodeChainRecords(t *testing.T) {
	evs, err := governance.Decode("check-tasks", "C1", []byte(`{"ID":"T1","RISK_MEASURE_ID":"M1","TROUBLESHOOT_CONTENT":"查液位",
		"CHECK_CYCLE":"8","CHECK_CYCLE_UNIT":"小时","INVESTIGATION_DATE":"2021-06-01 08:00:00","CHECK_STATUS":"0","DELETED":"0"}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	k := evs[0].(governance.ChainRecord)
	assert.Equal(t, "M1", k.Parent)
	assert.Equal(t, 8.0, k.Cycle)
	assert.Equal(t, "小时", k.CycleUnit)
	assert.Equal(t, at(t, "08:00:00"), k.At.In(at(t, "08:00:00").Location()))

	evs, err = governance.Decode("hidden-dangers", "C1", []byte(`{"ID":"D1","HAZARD_CODE":"H1","RISK_MEASURE_ID":"",
		"DANGER_NAME":"x","DANGER_LEVEL":"1","DANGER_MANAGE_DEADLINE":"2021-06-02 00:00:00","DANGER_STATE":"0","DELETED":"0"}`))
	require.NoError(t, err)
	d := evs[0].(governance.ChainRecord)
	assert.True(t, d.Major)
	assert.Equal(t, "H1", d.Hazard)
	assert.Equal(t, "C1", d.Company)

	_, err = governance.Decode("check-tasks", "C1", []byte(`{"CHECK_CYCLE":"x"}`))
	assert.Error(t, err)
}
