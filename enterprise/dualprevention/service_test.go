package dualprevention_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

// seedList gives company c one unit, one event (较大风险) and one measure checked daily by c.Post.
func (f *fixture) seedList(t *testing.T, c company) (unit, event, measure string) {
	t.Helper()
	ctx := context.Background()
	var err error
	unit, err = f.svc.SaveUnit(ctx, c.Safety, "", dp.UnitInput{ObjectKind: "罐区", HazardCode: c.Hazard, DepartmentID: c.Dept,
		LiableUserID: c.Head.UserID, Name: "液氨储罐区"})
	require.NoError(t, err)
	event, err = f.svc.SaveEvent(ctx, c.Safety, unit, "", dp.EventInput{Name: "液氨泄漏中毒", Level: 2})
	require.NoError(t, err)
	measure, err = f.svc.SaveMeasure(ctx, c.Safety, event, "", dp.MeasureInput{ControlMode: "2", Description: "储罐液位高高联锁",
		Class1: "1", Class2: "1-4", Content: "检查液位计显示与联锁投用情况", PostID: c.Post, Cycle: dp.Cycle{N: 1, Unit: dp.UnitDay}})
	require.NoError(t, err)
	return unit, event, measure
}

func problems(t *testing.T, err error) []dp.Problem {
	t.Helper()
	var e *chemguard.Error
	require.True(t, errors.As(err, &e), "want a chemguard.Error, got %v", err)
	require.Equal(t, chemguard.EInvalid, e.Code, e.MessageEN)
	ps, _ := e.Details.([]dp.Problem)
	return ps
}

func TestListPublishesTables1to3AndRefusesWhatTheSeedRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	unit, event, measure := f.seedList(t, f.A)

	units := f.staged(t, f.A.Code, "risk-units")
	require.Len(t, units, 1)
	require.Equal(t, map[string]any{"ID": unit, "HAZARD_CODE": f.A.Hazard, "HAZARD_DEP": "合成氨车间", "HAZARD_LIABLE_PERSON": "赵主任",
		"RISK_UNIT_NAME": "液氨储罐区", "DELETED": "0"}, units[0])
	require.Equal(t, event, f.staged(t, f.A.Code, "risk-events")[0]["ID"])
	ms := f.staged(t, f.A.Code, "control-measures")
	require.Equal(t, measure, ms[0]["ID"])
	require.Equal(t, "1-4", ms[0]["CLASSIFY2"])

	// A 201-character 风险分析单元名称 breaks the seed's length (200): refused
	// with that rule, nothing stored, nothing published.
	long := strings.Repeat("罐", 201)
	_, err := f.svc.SaveUnit(ctx, f.A.Safety, "", dp.UnitInput{ObjectKind: "罐区", HazardCode: f.A.Hazard, DepartmentID: f.A.Dept,
		LiableUserID: f.A.Head.UserID, Name: long})
	ps := problems(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, "max_length", ps[0].Rule)
	require.Contains(t, ps[0].MessageZH, "200")
	require.Equal(t, 1, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_units WHERE company = $1`, f.A.Code))
	require.Len(t, f.staged(t, f.A.Code, "risk-units"), 1)

	// What the module's own checks let through, the Publisher's seed
	// validation still stops, and the whole change rolls back: a 类别2 that
	// does not belong to 类别1 is caught before; a name of 201 characters on
	// a rename, the same.
	_, err = f.svc.SaveUnit(ctx, f.A.Safety, unit, dp.UnitInput{ObjectKind: "罐区", HazardCode: f.A.Hazard, DepartmentID: f.A.Dept,
		LiableUserID: f.A.Head.UserID, Name: long})
	require.Error(t, err)
	require.Equal(t, "液氨储罐区", pgtest.Scalar[string](t, f.pool, `SELECT name FROM dp_units WHERE id = $1`, unit))

	// A hazard code the company never registered is refused by name.
	_, err = f.svc.SaveUnit(ctx, f.A.Safety, "", dp.UnitInput{ObjectKind: "罐区", HazardCode: f.B.Hazard, DepartmentID: f.A.Dept,
		LiableUserID: f.A.Head.UserID, Name: "别家的罐区"})
	ps = problems(t, err)
	require.Equal(t, "registered_hazard", ps[0].Rule)
	require.Contains(t, ps[0].MessageZH, f.B.Hazard)

	_, err = f.svc.SaveMeasure(ctx, f.A.Safety, event, "", dp.MeasureInput{Description: "x", Class1: "1", Class2: "2-1", Content: "y",
		PostID: f.A.Post, Cycle: dp.Cycle{N: 1, Unit: dp.UnitDay}})
	require.Equal(t, "code_parent", problems(t, err)[0].Rule)

	// An employee may not change the list.
	_, err = f.svc.SaveEvent(ctx, f.A.Worker, unit, "", dp.EventInput{Name: "火灾", Level: 3})
	require.Equal(t, chemguard.EForbidden, chemguard.ErrorCode(err))

	// Soft delete of the unit deletes its chain and publishes DELETED=1 for each.
	_, _, err = f.svc.Generate(ctx, f.A.Safety, []int{1, 2, 3, 4})
	require.NoError(t, err)
	require.NoError(t, f.svc.Delete(ctx, f.A.Safety, "unit", unit))
	require.Equal(t, 1, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_units WHERE id = $1 AND deleted_at IS NOT NULL`, unit), "kept, marked")
	for _, slug := range []string{"risk-units", "risk-events", "control-measures", "check-tasks"} {
		recs := f.staged(t, f.A.Code, slug)
		require.Equal(t, "1", recs[len(recs)-1]["DELETED"], slug)
	}
	list, err := f.svc.List(ctx, f.A.Safety)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestSeedValidatorRefusesA201CharacterUnitName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	pub := enttest.Outbox{Now: f.clock.Now}
	err = pub.Stage(ctx, tx, "risk-units", f.A.Code, map[string]string{"ID": "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b",
		"HAZARD_CODE": f.A.Hazard, "HAZARD_DEP": "合成氨车间", "HAZARD_LIABLE_PERSON": "赵主任", "RISK_UNIT_NAME": strings.Repeat("罐", 201), "DELETED": "0"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "RISK_UNIT_NAME")
}

func TestExcelRoundTripAndAllOrNothingImport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, _, measure := f.seedList(t, f.A)

	var out bytes.Buffer
	require.NoError(t, f.svc.Export(ctx, f.A.Safety, &out))
	book, err := excelize.OpenReader(&out)
	require.NoError(t, err)
	rows, err := book.GetRows(dp.SheetList)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, dp.Columns, rows[0])
	require.Equal(t, "合成氨车间/操作工", rows[1][13])
	require.Equal(t, measure, rows[1][18])

	// Edit: the measure's content changes; a second measure of the same event
	// and a new unit with an event and a weekly measure are added.
	require.NoError(t, book.SetCellValue(dp.SheetList, "M2", "检查液位计、联锁及报警"))
	second := append([]string{}, rows[1]...)
	second[11], second[12], second[13], second[18] = "设置有毒气体报警器", "检查报警器是否完好", "巡检工", ""
	second[8], second[9] = "应急措施", "应急设施"
	require.NoError(t, book.SetSheetRow(dp.SheetList, "A3", &second))
	third := []string{"库区", f.A.Hazard, "储运部", "王操作", "甲类仓库", "仓库火灾", "一般风险", "隐患排查", "操作行为", "交接班", "",
		"交接班检查", "检查交接班记录", "储运部/巡检工", "2", "周"}
	require.NoError(t, book.SetSheetRow(dp.SheetList, "A4", &third))
	var edited bytes.Buffer
	require.NoError(t, book.Write(&edited))

	res, err := f.svc.Import(ctx, f.A.Safety, edited.Bytes())
	require.NoError(t, err)
	require.Equal(t, dp.ImportResult{Units: 2, Events: 2, Measures: 3}, res)
	list, err := f.svc.List(ctx, f.A.Safety)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Len(t, list[0].Events, 1)
	require.Len(t, list[0].Events[0].Measures, 2)
	require.Equal(t, "检查液位计、联锁及报警", list[0].Events[0].Measures[0].Content)
	require.Equal(t, measure, list[0].Events[0].Measures[0].ID, "the exported row changed its measure, not a copy")
	require.Equal(t, "4-1", list[0].Events[0].Measures[1].Class2)
	require.Equal(t, dp.Cycle{N: 2, Unit: dp.UnitWeek}, list[1].Events[0].Measures[0].Cycle)
	cms := f.staged(t, f.A.Code, "control-measures")
	require.Len(t, cms, 4)

	// A bad row: nothing of the file is imported, and the row's column and
	// rule are named.
	before := pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM enterprise_outbox`)
	bad, err := excelize.OpenReader(bytes.NewReader(edited.Bytes()))
	require.NoError(t, err)
	fourth := append([]string{}, third...)
	fourth[4], fourth[9] = "丙类仓库", "动设备" // 动设备 is under 维护保养, not 操作行为
	require.NoError(t, bad.SetSheetRow(dp.SheetList, "A5", &fourth))
	require.NoError(t, bad.SetCellValue(dp.SheetList, "B3", "999999"))
	var badBytes bytes.Buffer
	require.NoError(t, bad.Write(&badBytes))
	_, err = f.svc.Import(ctx, f.A.Safety, badBytes.Bytes())
	ps := problems(t, err)
	var seen []string
	for _, p := range ps {
		seen = append(seen, p.String())
	}
	joined := strings.Join(seen, "\n")
	require.Contains(t, joined, "第 5 行「管控措施分类2」")
	require.Contains(t, joined, "第 3 行「危险源编码」")
	require.Equal(t, before, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM enterprise_outbox`), "nothing published")
	require.Equal(t, 0, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_units WHERE name = '丙类仓库'`), "nothing imported")

	var tmpl bytes.Buffer
	require.NoError(t, dp.Template(&tmpl))
	_, err = f.svc.Import(ctx, f.A.Safety, tmpl.Bytes())
	require.Error(t, err, "an empty template imports nothing and says so")
}

func TestTasksChecksFindingsAndEscalation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, _, measure := f.seedList(t, f.A)

	created, _, err := f.svc.Generate(ctx, f.A.Safety, []int{1, 2})
	require.NoError(t, err)
	require.Equal(t, 1, created)
	tasks, err := f.svc.Tasks(ctx, f.A.Code, dp.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	task := tasks[0]
	require.Equal(t, dp.StatusPending, task.Status)
	ct := f.staged(t, f.A.Code, "check-tasks")
	require.Equal(t, "2", ct[0]["CHECK_STATUS"], "never checked: 未排查")
	require.Equal(t, float64(1), ct[0]["CHECK_CYCLE"])
	require.Equal(t, "天", ct[0]["CHECK_CYCLE_UNIT"])
	require.Equal(t, measure, ct[0]["RISK_MEASURE_ID"])

	// Level 2 not selected any more: disabled, not deleted.
	_, disabled, err := f.svc.Generate(ctx, f.A.Safety, []int{1})
	require.NoError(t, err)
	require.Equal(t, 1, disabled)
	_, _, err = f.svc.Generate(ctx, f.A.Safety, []int{1, 2, 3, 4})
	require.NoError(t, err)

	// The period began: the post's people are told once however often the sweep runs.
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	sent := f.notices.Take()
	require.Len(t, sent, 1)
	require.Equal(t, []int64{f.A.Worker.UserID}, sent[0].To)
	require.Equal(t, "task_due", sent[0].N.Kind)
	require.Contains(t, sent[0].N.Link, "/e/m/units/")

	// Midnight passed without a check: overdue, urgent to the post; a day later
	// to the 部门负责人; two days later to the 主要负责人.
	f.clock.Set(testclock.Parse(t, "2026-12-06 00:05:00"))
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	sent = f.notices.Take()
	kinds := map[string][]int64{}
	for _, s := range sent {
		kinds[s.N.Kind+map[bool]string{true: "!", false: ""}[s.N.Urgent]] = append(kinds[s.N.Kind+map[bool]string{true: "!", false: ""}[s.N.Urgent]], s.To...)
	}
	require.Equal(t, []int64{f.A.Worker.UserID}, kinds["task_overdue!"])
	f.clock.Set(testclock.Parse(t, "2026-12-07 00:06:00"))
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	var to []int64
	for _, s := range f.notices.Take() {
		if s.N.Kind == "task_overdue" {
			to = append(to, s.To...)
		}
	}
	require.Contains(t, to, f.A.Head.UserID, "a day overdue: the 部门负责人")
	require.NotContains(t, to, f.A.Principal.UserID)

	// Another company's member cannot record it; the worker of the post can.
	_, err = f.svc.RecordCheck(ctx, f.B.Safety, dp.CheckInput{TaskID: task.ID, Status: "0"})
	require.Equal(t, chemguard.ENotFound, chemguard.ErrorCode(err))
	_, err = f.svc.RecordCheck(ctx, f.A.Head, dp.CheckInput{TaskID: task.ID, Status: "0"})
	require.Equal(t, chemguard.EForbidden, chemguard.ErrorCode(err), "the 部门负责人 does not hold the post")

	// A check that finds a hidden danger, with a photo.
	png := tinyPNG
	_, err = f.svc.RecordCheck(ctx, f.A.Worker, dp.CheckInput{TaskID: task.ID, Status: "1"})
	ps := problems(t, err)
	require.Equal(t, "danger_name", ps[0].Field)
	clientID := "6b1c3a52-0d57-4a5e-9d0a-6f3f1f0f6a11"
	in := dp.CheckInput{TaskID: task.ID, ClientID: clientID, Status: "1", Note: "液位计读数偏差",
		CheckedAt: testclock.Parse(t, "2026-12-07 00:01:00"), Photos: []dp.PhotoUpload{{Data: png}},
		DangerName: "液位计失准", DangerDesc: "2号储罐液位计与现场玻璃板液位计偏差 15%", DangerLevel: 0}
	stored, err := f.svc.RecordCheck(ctx, f.A.Worker, in)
	require.NoError(t, err)
	require.NotEmpty(t, stored.DangerID)
	again, err := f.svc.RecordCheck(ctx, f.A.Worker, in)
	require.NoError(t, err)
	require.True(t, again.Duplicate, "the offline queue's retry lands once")
	require.Equal(t, stored.ID, again.ID)
	require.Len(t, f.dangers.findings, 1)
	fd := f.dangers.findings[0]
	require.Equal(t, f.A.Hazard, fd.HazardCode)
	require.Equal(t, measure, fd.RiskMeasureID)
	require.Equal(t, stored.ID, fd.CheckRecordID)
	require.Len(t, fd.Photos, 1)

	recs := f.staged(t, f.A.Code, "check-records")
	require.Len(t, recs, 1)
	require.Equal(t, map[string]any{"ID": stored.ID, "CHECK_TASK_ID": task.ID, "CHECK_TIME": "2026-12-07 00:01:00", "CHECK_STATUS": "1", "DELETED": "0"}, recs[0])
	ct = f.staged(t, f.A.Code, "check-tasks")
	require.Equal(t, "1", ct[len(ct)-1]["CHECK_STATUS"])
	require.Equal(t, "2026-12-07 00:01:00", ct[len(ct)-1]["INVESTIGATION_DATE"])
	got, err := f.svc.Task(ctx, f.A.Code, task.ID)
	require.NoError(t, err)
	require.Equal(t, dp.StatusDone, got.Status)
	photo, ctype, err := f.svc.CheckPhoto(ctx, f.A.Code, stored.ID, 0)
	require.NoError(t, err)
	require.Equal(t, png, photo)
	require.Equal(t, "image/png", ctype)
	_, _, err = f.svc.CheckPhoto(ctx, f.B.Code, stored.ID, 0)
	require.Equal(t, chemguard.ENotFound, chemguard.ErrorCode(err))

	// Statistics: the 5th (first period) and the 6th were missed, the 7th done.
	f.clock.Set(testclock.Parse(t, "2026-12-08 00:00:00"))
	st, err := f.svc.Stats(ctx, f.A.Code, testclock.Parse(t, "2026-12-01 00:00:00"), f.clock.Now())
	require.NoError(t, err)
	require.Equal(t, 3, st.Total.Due)
	require.Equal(t, 1, st.Total.Done)
	require.Equal(t, "较大风险", st.ByLevel[0].Key)
	require.Equal(t, "合成氨车间", st.ByDepartment[0].Key)
	var xl bytes.Buffer
	require.NoError(t, dp.WriteStatsXLSX(&xl, st))
	book, err := excelize.OpenReader(&xl)
	require.NoError(t, err)
	v, err := book.GetCellValue("按部门", "B3")
	require.NoError(t, err)
	require.Equal(t, "3", v)

	// Two days overdue reaches the 主要负责人: the 8th was missed (deadline
	// the 9th 00:00), nothing since.
	f.clock.Set(testclock.Parse(t, "2026-12-10 01:00:00"))
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	to = nil
	for _, s := range f.notices.Take() {
		to = append(to, s.To...)
	}
	require.Contains(t, to, f.A.Head.UserID)
	require.NotContains(t, to, f.A.Principal.UserID, "25 h overdue")
	f.clock.Set(testclock.Parse(t, "2026-12-11 01:00:00"))
	_, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	to = nil
	for _, s := range f.notices.Take() {
		to = append(to, s.To...)
	}
	require.Contains(t, to, f.A.Principal.UserID)
}

func TestLabelsEmbedTheChineseFontAndRefuseClearlyWithoutIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	unit, _, _ := f.seedList(t, f.A)
	var pdf bytes.Buffer
	require.NoError(t, f.svc.Labels(ctx, f.A.Safety, "https://chemguard.example", []string{unit}, &pdf))
	require.True(t, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")))
	require.Contains(t, pdf.String(), "/FontFile2", "the font is embedded (subset)")
	require.Contains(t, pdf.String(), "/Subtype /Image", "the QR code")
	require.Equal(t, chemguard.ENotFound, chemguard.ErrorCode(f.svc.Labels(ctx, f.B.Safety, "", []string{unit}, &pdf)),
		"another company's unit is not printed")

	noFont := dp.NewService(dp.Config{Now: f.clock.Now, FontPath: "/nonexistent/wqy-microhei.ttc"}, f.pool, sqlDirectory{f.pool},
		enttest.Outbox{Now: f.clock.Now}, f.notices, f.dangers, nil)
	err := noFont.Labels(ctx, f.A.Safety, "https://chemguard.example", nil, &pdf)
	var e *chemguard.Error
	require.True(t, errors.As(err, &e))
	require.Equal(t, chemguard.EUnavailable, e.Code)
	require.Contains(t, e.MessageZH, "fonts-wqy-microhei")
}
