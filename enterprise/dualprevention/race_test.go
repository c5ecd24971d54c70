package dualprevention_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// heldTaskPublish returns the service with its first 表4 staging held at the
// gate: the transaction has read the task it republishes and waits to stage
// it.
func (f *fixture) heldTaskPublish() (*dp.Service, *enttest.GatedOutbox) {
	gate := enttest.NewGatedOutbox(f.clock.Now, schemas.CheckTasks.Slug)
	return dp.NewService(dp.Config{Now: f.clock.Now}, f.pool, sqlDirectory{f.pool}, gate, f.notices, f.dangers, nil), gate
}

// oneTask gives company A its list and the one task Generate makes of it.
func (f *fixture) oneTask(t *testing.T) (event, measure, task string) {
	t.Helper()
	_, event, measure = f.seedList(t, f.A)
	_, _, err := f.svc.Generate(context.Background(), f.A.Safety, []int{1, 2, 3, 4})
	require.NoError(t, err)
	tasks, err := f.svc.Tasks(context.Background(), f.A.Code, dp.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	return event, measure, tasks[0].ID
}

// lastTask is the task's newest staged 表4 record: the regulator's current
// version, since the platform orders a record's versions by receipt and the
// drainer sends them in the order they were staged.
func (f *fixture) lastTask(t *testing.T, task string) map[string]any {
	t.Helper()
	recs := f.staged(t, f.A.Code, schemas.CheckTasks.Slug)
	require.NotEmpty(t, recs)
	last := recs[len(recs)-1]
	require.Equal(t, task, last["ID"])
	return last
}

// A task changed while a measure change republishes it keeps both changes in
// its newest 表4 version. The measure change is held after it read the task
// (checked daily) and before it staged it; the task's cycle is changed to
// weekly meanwhile. The republish locks the task's row before it reads it, so
// the cycle change waits and is staged after it with the new content. Read
// without the lock, the cycle change went through and the measure change then
// staged the daily cycle last: the platform kept a cycle the company had
// already changed.
func TestTaskChangedWhileAMeasureChangeRepublishesIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	event, measure, task := f.oneTask(t)
	held, gate := f.heldTaskPublish()

	const content = "检查液位计显示、联锁投用及报警设定值"
	saved := make(chan error, 1)
	go func() {
		_, err := held.SaveMeasure(ctx, f.A.Safety, event, measure, dp.MeasureInput{ControlMode: "2", Description: "储罐液位高高联锁",
			Class1: "1", Class2: "1-4", Content: content, PostID: f.A.Post, Cycle: dp.Cycle{N: 1, Unit: dp.UnitDay}})
		saved <- err
	}()
	<-gate.Entered
	updated := make(chan error, 1)
	go func() {
		updated <- f.svc.UpdateTask(ctx, f.A.Safety, task, dp.TaskInput{PostID: f.A.Post, Cycle: dp.Cycle{N: 1, Unit: dp.UnitWeek}, Enabled: true})
	}()
	enttest.WaitLockedOrDone(t, f.pool, updated) // it waits for the task's lock (before the fix it went through)
	close(gate.Release)
	require.NoError(t, <-saved)
	require.NoError(t, <-updated)

	last := f.lastTask(t, task)
	require.EqualValues(t, 7, last["CHECK_CYCLE"], "the weekly cycle is the newest version, not the daily one read before it")
	require.Equal(t, dp.UnitDay, last["CHECK_CYCLE_UNIT"])
	require.Equal(t, content, last["TROUBLESHOOT_CONTENT"], "and it carries the measure's new content")
}

// Two checks of one task recorded at once leave the later check's date as
// the task's newest 表4 version. The first (made at 09:00) is held after it
// read the task; the second (made at 09:20) is recorded meanwhile. The second
// waits for the task's lock and reads the task again after the first
// committed, so it stages 09:20 last. Without the lock the second staged
// 09:20 first and the held one 09:00 after it, and the platform showed the
// task as last checked at 09:00. A second round holds the later check: the
// earlier one, waiting for the lock, must read the task again in a statement
// of its own once it has the lock (a lock taken by the reading query keeps
// that query's older snapshot of the checks) to stage 09:20, not 09:00.
func TestChecksOfOneTaskRecordedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name           string
		heldAt, freeAt string
	}{
		{"the earlier check held", "2026-12-05 09:00:00", "2026-12-05 09:20:00"},
		{"the later check held", "2026-12-05 09:20:00", "2026-12-05 09:00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			_, _, task := f.oneTask(t)
			held, gate := f.heldTaskPublish()

			first := make(chan error, 1)
			go func() {
				_, err := held.RecordCheck(ctx, f.A.Worker, dp.CheckInput{TaskID: task, CheckedAt: testclock.Parse(t, tc.heldAt), Status: "0"})
				first <- err
			}()
			<-gate.Entered
			second := make(chan error, 1)
			go func() {
				_, err := f.svc.RecordCheck(ctx, f.A.Worker, dp.CheckInput{TaskID: task, CheckedAt: testclock.Parse(t, tc.freeAt), Status: "0"})
				second <- err
			}()
			enttest.WaitLockedOrDone(t, f.pool, second)
			close(gate.Release)
			require.NoError(t, <-first)
			require.NoError(t, <-second)

			last := f.lastTask(t, task)
			require.Equal(t, "2026-12-05 09:20:00", last["INVESTIGATION_DATE"], "the latest check is the task's newest version")
		})
	}
}

// An event added while its unit is deleted is deleted with it. The new event
// is held after it was written and before it is staged; the unit is deleted
// meanwhile. The event holds its unit's row in share mode, so the deletion
// waits, then finds the new event among the unit's and stages it as deleted
// after the event's own record. Without the share lock the deletion went
// through without seeing the uncommitted event, which was then staged live
// after its unit's DELETED=1 and stayed live under a deleted unit, on the
// platform and in the list.
func TestEventAddedWhileItsUnitIsDeleted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	unit, _, _ := f.seedList(t, f.A)
	gate := enttest.NewGatedOutbox(f.clock.Now, schemas.RiskEvents.Slug)
	held := dp.NewService(dp.Config{Now: f.clock.Now}, f.pool, sqlDirectory{f.pool}, gate, f.notices, f.dangers, nil)

	added := make(chan error, 1)
	var event string
	go func() {
		var err error
		event, err = held.SaveEvent(ctx, f.A.Safety, unit, "", dp.EventInput{Name: "储罐超压爆炸", Level: 1})
		added <- err
	}()
	<-gate.Entered
	deleted := make(chan error, 1)
	go func() { deleted <- f.svc.Delete(ctx, f.A.Safety, "unit", unit) }()
	enttest.WaitLockedOrDone(t, f.pool, deleted) // it waits for the new event's share lock (before the fix it went through)
	close(gate.Release)
	require.NoError(t, <-added)
	require.NoError(t, <-deleted)

	var last map[string]any
	for _, r := range f.staged(t, f.A.Code, schemas.RiskEvents.Slug) {
		if r["ID"] == event {
			last = r
		}
	}
	require.NotNil(t, last)
	require.Equal(t, "1", last["DELETED"], "the event's newest 表2 version is its deletion with the unit")
	require.True(t, pgtest.Scalar[bool](t, f.pool, `SELECT deleted_at IS NOT NULL FROM dp_events WHERE id::text = $1`, event))
}

// A check recorded while its task is being disabled (停用) is refused once the
// disabling commits. The test's transaction is the disabling, uncommitted,
// holding the task's row; the check is recorded meanwhile, having read the
// task enabled without the lock. It waits for the lock, reads the task again
// and refuses: before it did, the check was stored and published as a check
// of a task the company had already disabled.
func TestCheckRecordedWhileItsTaskIsDisabled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, _, task := f.oneTask(t)
	before := len(f.staged(t, f.A.Code, schemas.CheckRecords.Slug))

	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `UPDATE dp_tasks SET enabled = false WHERE id::text = $1`, task)
	require.NoError(t, err)

	recorded := make(chan error, 1)
	go func() {
		_, err := f.svc.RecordCheck(ctx, f.A.Worker, dp.CheckInput{TaskID: task, Status: "0"})
		recorded <- err
	}()
	require.True(t, enttest.WaitLockedOrDone(t, f.pool, recorded), "the check waits for the disabling's row lock")
	require.NoError(t, tx.Commit(ctx))
	err = <-recorded
	var e *chemguard.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, chemguard.EConflict, e.Code, "refused: 该排查任务已停用")
	require.Zero(t, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_checks WHERE task_id::text = $1`, task), "no check is stored")
	require.Len(t, f.staged(t, f.A.Code, schemas.CheckRecords.Slug), before, "no 表5 record is staged")
}
