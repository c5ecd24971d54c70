package permits_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/permits"
)

func requireCode(t *testing.T, code string, err error, zhContains string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, chemguard.ErrorCode(err), err.Error())
	var e *chemguard.Error
	require.ErrorAs(t, err, &e)
	require.Contains(t, e.MessageZH, zhContains)
	require.NotEmpty(t, e.MessageEN)
}

// book books a 一级动火 with the contractor for the fixture's day and approves
// the booking.
func (f *fixture) book(t *testing.T, c company, approve bool) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := f.svc.Book(ctx, c.Applicant, permits.BookingInput{TaskType: "12", Content: "更换甲醇管线法兰并焊接", Place: "二号罐区东侧管廊",
		Unit: "济南石化安装工程有限公司", ContractorID: c.Contractor, PlannedStart: at(t, "2026-12-05 08:00:00"), PlannedEnd: at(t, "2026-12-05 17:00:00")})
	require.NoError(t, err)
	if approve {
		require.NoError(t, f.svc.ReviewBooking(ctx, c.Head, id, true, ""))
	}
	return id
}

func (f *fixture) permitInput(c company, workers ...int64) permits.PermitInput {
	return permits.PermitInput{TaskType: "12", MajorPerson: "刘洋", MajorMobile: "13805310001", GuardianID: c.Guardian.UserID,
		Risks: "管线残留甲醇遇明火燃爆\n焊渣飞溅引燃周边可燃物", Measures: []string{"动火点下方铺设防火毯"}, Workers: workers}
}

// open books and approves a 一级动火 of c and opens its permit with the
// welder: a permit 审批中 (approving), staged once.
func (f *fixture) open(t *testing.T, c company) string {
	t.Helper()
	id, err := f.svc.CreatePermit(context.Background(), c.Applicant, f.book(t, c, true), f.permitInput(c, c.Welder))
	require.NoError(t, err)
	return id
}

// fileOf is the PDF a staged 表1 record carries in FILE.
func fileOf(t *testing.T, rec map[string]any) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rec["FILE"].(string), "data:application/pdf;base64,"))
	require.NoError(t, err)
	return data
}

// The whole life of a 一级动火 permit on an injected clock: the booking must be
// approved first; the chain is 部门负责人 then 安全管理员; the start is refused
// without a qualified analysis and after it lapses; a re-analysis lets the
// work start; during the work the 2-hour re-analysis lapses and the sweep
// interrupts it and alerts; it resumes after re-analysis, finishes, is accepted
// and archived; every change staged a 表1 record the seed's validator passed.
func TestPermitLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.A

	pending := f.book(t, a, false)
	_, err := f.svc.CreatePermit(ctx, a.Applicant, pending, f.permitInput(a, a.Welder))
	requireCode(t, chemguard.EConflict, err, "尚未审核通过")
	requireCode(t, chemguard.EForbidden, f.svc.ReviewBooking(ctx, a.Applicant, pending, true, ""), "部门负责人")
	requireCode(t, chemguard.EInvalid, f.svc.ReviewBooking(ctx, a.Head, pending, false, ""), "原因")
	require.NoError(t, f.svc.ReviewBooking(ctx, a.Head, pending, false, "时间冲突"))
	requireCode(t, chemguard.EConflict, f.svc.ReviewBooking(ctx, a.Head, pending, true, ""), "已审核")

	booking := f.book(t, a, true)
	_, err = f.svc.CreatePermit(ctx, a.Applicant, booking, f.permitInput(a, a.Welder, a.Helper))
	requireCode(t, chemguard.EInvalid, err, "吴过期")
	require.Empty(t, f.staged(t, a.Code), "a refused permit stages nothing")

	id, err := f.svc.CreatePermit(ctx, a.Applicant, booking, f.permitInput(a, a.Welder))
	require.NoError(t, err)
	// Several permits for one job: the same booking also carries 高处作业.
	in := f.permitInput(a)
	in.TaskType, in.Workers = "43", nil
	_, err = f.svc.CreatePermit(ctx, a.Applicant, booking, in)
	requireCode(t, chemguard.EInvalid, err, "作业人员")

	// The chain: the 安全管理员 cannot sign before the 部门负责人 step is
	// signed by someone holding it (安全管理员 ranks above, so may sign it —
	// but a 岗位员工 may not), and the 部门负责人 cannot sign the 安全 step.
	requireCode(t, chemguard.EForbidden, f.svc.Approve(ctx, a.Applicant, id, true, "", tinyPNG), "部门负责人")
	requireCode(t, chemguard.EInvalid, f.svc.Approve(ctx, a.Head, id, true, "", nil), "签名")
	require.NoError(t, f.svc.Approve(ctx, a.Head, id, true, "同意", signature(1)))
	requireCode(t, chemguard.EForbidden, f.svc.Approve(ctx, a.Head, id, true, "", tinyPNG), "企业安全管理员")
	notes := f.notices.Take()
	require.NotEmpty(t, notes)
	require.Equal(t, "permit_approval", notes[len(notes)-1].N.Kind)
	require.Equal(t, []int64{a.Safety.UserID}, notes[len(notes)-1].To)
	require.NoError(t, f.svc.Approve(ctx, a.Safety, id, true, "同意", signature(2)))
	p, err := f.svc.Permit(ctx, a.Safety, id)
	require.NoError(t, err)
	require.Equal(t, permits.StatusIssued, p.Status)
	require.Equal(t, at(t, "2026-12-05 16:00:00"), p.ValidUntil.In(at(t, "2026-12-05 00:00:00").Location()), "8 h from the planned start")

	// Start refused: measures, briefing, gas.
	err = f.svc.Start(ctx, a.Guardian, id)
	requireCode(t, chemguard.EConflict, err, "安全措施未确认")
	requireCode(t, chemguard.EConflict, err, "钱焊工 未签字确认安全交底")
	for i := range p.Measures {
		require.NoError(t, f.svc.ConfirmMeasure(ctx, a.Guardian, id, i))
	}
	require.NoError(t, f.svc.SignBriefing(ctx, a.Guardian, id, a.Welder, signature(3)))
	requireCode(t, chemguard.ENotFound, f.svc.SignBriefing(ctx, a.Guardian, id, a.Helper, tinyPNG), "作业人员")
	requireCode(t, chemguard.EConflict, f.svc.Start(ctx, a.Guardian, id), "须先进行气体分析")

	f.clock.Set(at(t, "2026-12-05 07:55:00"))
	_, err = f.svc.RecordGas(ctx, a.Guardian, id, permits.GasInput{SampledAt: at(t, "2026-12-05 08:00:00"), Point: "法兰处", Gas: "可燃气体", Value: 0.2})
	requireCode(t, chemguard.EInvalid, err, "取样时间")
	_, err = f.svc.RecordGas(ctx, a.Guardian, id, permits.GasInput{SampledAt: at(t, "2026-12-05 07:50:00"), Point: "法兰处", Gas: "氨气", Value: 0.2})
	requireCode(t, chemguard.EInvalid, err, "检测气体库")
	ok, err := f.svc.RecordGas(ctx, a.Guardian, id, permits.GasInput{SampledAt: at(t, "2026-12-05 07:50:00"), Point: "法兰处", Gas: "可燃气体", Value: 0.2})
	require.NoError(t, err)
	require.True(t, ok)

	// The sample lapses 30 min later: the start is refused on the clock.
	f.clock.Set(at(t, "2026-12-05 08:21:00"))
	requireCode(t, chemguard.EConflict, f.svc.Start(ctx, a.Guardian, id), "超时")
	ok, err = f.svc.RecordGas(ctx, a.Guardian, id, permits.GasInput{SampledAt: at(t, "2026-12-05 08:20:00"), Point: "法兰处", Gas: "可燃气体", Value: 0.1})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, f.svc.Start(ctx, a.Guardian, id))

	// Ten minutes before the 2-hour re-analysis the sweep reminds; after it
	// the sweep interrupts the work and alerts the 安全管理员 and 主要负责人.
	f.notices.Take()
	f.clock.Set(at(t, "2026-12-05 10:12:00"))
	n, err := f.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	notes = f.notices.Take()
	require.Len(t, notes, 1)
	require.Equal(t, "permit_gas_due", notes[0].N.Kind)
	f.clock.Set(at(t, "2026-12-05 10:21:00"))
	n, err = f.svc.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	notes = f.notices.Take()
	require.Len(t, notes, 1)
	require.True(t, notes[0].N.Urgent)
	require.Subset(t, notes[0].To, []int64{a.Guardian.UserID, a.Safety.UserID, a.Principal.UserID})
	p, err = f.svc.Permit(ctx, a.Safety, id)
	require.NoError(t, err)
	require.Equal(t, permits.StatusInterrupted, p.Status)

	requireCode(t, chemguard.EConflict, f.svc.Resume(ctx, a.Guardian, id), "超时")
	f.clock.Set(at(t, "2026-12-05 10:26:00"))
	_, err = f.svc.RecordGas(ctx, a.Guardian, id, permits.GasInput{SampledAt: at(t, "2026-12-05 10:25:00"), Point: "法兰处", Gas: "可燃气体", Value: 0.3,
		Indicator: "GT-101", Signature: tinyPNG})
	require.NoError(t, err)
	f.clock.Set(at(t, "2026-12-05 10:30:00"))
	require.NoError(t, f.svc.Resume(ctx, a.Guardian, id))
	require.NoError(t, f.svc.ChangeGuardian(ctx, a.Guardian, id, a.Applicant.UserID, "原监护人调岗"))
	require.NoError(t, f.svc.AddPhoto(ctx, a.Applicant, id, "焊接完成", tinyPNG))

	f.clock.Set(at(t, "2026-12-05 11:30:00"))
	require.NoError(t, f.svc.Finish(ctx, a.Applicant, id))
	requireCode(t, chemguard.EForbidden, f.svc.Accept(ctx, a.Applicant, id, "现场清理完毕", tinyPNG), "无权")
	require.NoError(t, f.svc.Accept(ctx, a.Head, id, "现场清理完毕", signature(4)))
	require.NoError(t, f.svc.Archive(ctx, a.Safety, id))
	requireCode(t, chemguard.EConflict, f.svc.Void(ctx, a.Safety, id, "误开"), "已归档")

	var pdf bytes.Buffer
	require.NoError(t, f.svc.PermitPDF(ctx, a.Safety, id, &pdf))
	require.True(t, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")))
	pdf.Reset()
	require.NoError(t, f.svc.RiskSheetPDF(ctx, a.Safety, id, &pdf))
	require.True(t, bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")))

	recs := f.staged(t, a.Code)
	require.GreaterOrEqual(t, len(recs), 8, "creation, issue, start, interruption, resume, guardian, finish, acceptance, archive")
	last := recs[len(recs)-1]
	require.Equal(t, id, last["ID"])
	require.Equal(t, "12", last["TASK_TYPE"])
	require.Equal(t, "1", last["IS_CONTRACTOR_TASK"])
	require.Equal(t, "1", last["IS_CHANGED"])
	require.Equal(t, "0", last["IS_CANCELLED"])
	require.Equal(t, "2026-12-05 08:21:00", last["TASK_BEGIN_TIME"])
	require.Contains(t, last["FILE"], "data:application/pdf;base64,")
	// The regulator's copy is the company's print, byte for byte: printing an
	// unchanged permit again renders the same PDF as the one published.
	published := fileOf(t, last)
	f.clock.Set(at(t, "2026-12-05 16:00:00"))
	pdf.Reset()
	require.NoError(t, f.svc.PermitPDF(ctx, a.Safety, id, &pdf))
	require.Equal(t, sha256.Sum256(published), sha256.Sum256(pdf.Bytes()), "the printed PDF differs from the published one")
	for i := 0; i < 8; i++ { // fpdf writes the signature images in a map's order: the print must not re-render
		var again bytes.Buffer
		require.NoError(t, f.svc.PermitPDF(ctx, a.Safety, id, &again))
		require.Equal(t, sha256.Sum256(published), sha256.Sum256(again.Bytes()), "print %d differs", i)
	}
	created := regexp.MustCompile(`/CreationDate \(D:(\d+)\)`).FindSubmatch(pdf.Bytes())
	require.Len(t, created, 2, "the PDF has a creation date")
	require.Equal(t, "20261205113000", string(created[1]), "dated by the permit's last change (the archive), not the machine's clock")

	// The knowledge base grew from the permit.
	risks, measures, err := f.svc.Knowledge(ctx, a.Applicant, "1")
	require.NoError(t, err)
	require.Contains(t, risks, "管线残留甲醇遇明火燃爆")
	require.Contains(t, measures, "动火点下方铺设防火毯")

	st, err := f.svc.Statistics(ctx, a.Safety, at(t, "2026-12-01 00:00:00"), at(t, "2026-12-31 00:00:00"))
	require.NoError(t, err)
	require.Equal(t, 1, st.Total)
	require.Equal(t, 1, st.Alarms)
	require.Len(t, st.Today, 1)
	var x bytes.Buffer
	require.NoError(t, f.svc.StatsExcel(ctx, a.Safety, at(t, "2026-12-01 00:00:00"), at(t, "2026-12-31 00:00:00"), &x))
	require.True(t, bytes.HasPrefix(x.Bytes(), []byte("PK")))
}

// A permit whose 表1 record the seed's validator refuses is not changed: the
// transaction rolls back and nothing is staged.
func TestInvalidRecordRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(t, f.A)
	before := len(f.staged(t, f.A.Code))
	// A mobile the database holds but the seed refuses (as a legacy row could).
	_, err := f.pool.Exec(ctx, `UPDATE permits SET major_mobile = '0531-8888' WHERE id = $1`, id)
	require.NoError(t, err)
	err = f.svc.Revoke(ctx, f.A.Head, id, "计划取消")
	requireCode(t, chemguard.EInvalid, err, "MAJOR_PERSON_MOBILE")
	p, err := f.svc.Permit(ctx, f.A.Head, id)
	require.NoError(t, err)
	require.Equal(t, permits.StatusApproving, p.Status)
	require.Len(t, f.staged(t, f.A.Code), before)
}

// Revoke and void need reasons and publish IS_CANCELLED with it.
func TestRevokePublishesCancelled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(t, f.A)
	requireCode(t, chemguard.EInvalid, f.svc.Revoke(ctx, f.A.Applicant, id, " "), "原因")
	require.NoError(t, f.svc.Revoke(ctx, f.A.Applicant, id, "装置临时开车，作业推迟"))
	recs := f.staged(t, f.A.Code)
	last := recs[len(recs)-1]
	require.Equal(t, "1", last["IS_CANCELLED"])
	require.Equal(t, "装置临时开车，作业推迟", last["CANCELLED_REASON"])
}

// The day's plan is published again for every company at PlanAt.
func TestPublishPlan(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.open(t, f.A)
	before := len(f.staged(t, f.A.Code))
	n, err := f.svc.PublishPlan(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, f.staged(t, f.A.Code), before+1)
	f.clock.Add(24 * time.Hour)
	n, err = f.svc.PublishPlan(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "tomorrow's plan holds nothing")
}

// gatedFiles is the file store with a gate on Put: the first Put signals
// entered and waits for release, so a test can hold a publish between the
// moment it printed the permit and the moment it stages the record.
type gatedFiles struct {
	enterprise.Files
	entered chan struct{}
	release chan struct{}
}

func (g *gatedFiles) Put(data []byte) (string, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Files.Put(data)
}

// A permit changed while the day's plan is being published keeps that change
// as its newest 表1 version. The plan is held after it printed the permit; the
// revocation is made meanwhile. The plan takes the permit's row lock before it
// reads it, as every change does, so the revocation waits and is staged after
// the plan's record; read without the lock, the plan staged the state before
// the revocation after it, and the platform (which orders a record's versions
// by receipt) kept a revoked permit as active — the same race, with the
// archive, left the regulator with an accepted permit whose PDF was not the
// company's print (TestHotWorkPermitToRegulator, once in CI).
func TestPublishPlanDuringChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(t, f.A)
	gate := &gatedFiles{Files: f.files, entered: make(chan struct{}, 1), release: make(chan struct{})}
	plan := permits.NewService(permits.Config{Now: f.clock.Now}, f.pool, f, enttest.Outbox{Now: f.clock.Now}, f.notices, gate)

	planned := make(chan error, 1)
	go func() { _, err := plan.PublishPlan(ctx); planned <- err }()
	<-gate.entered // the plan printed the permit as it stood: 审批中
	revoked := make(chan error, 1)
	go func() { revoked <- f.svc.Revoke(ctx, f.A.Head, id, "装置临时开车，作业推迟") }()
	enttest.WaitLockedOrDone(t, f.pool, revoked) // it waits for the plan's lock (before the fix it went through)
	close(gate.release)
	require.NoError(t, <-planned)
	require.NoError(t, <-revoked)

	recs := f.staged(t, f.A.Code)
	last := recs[len(recs)-1]
	require.Equal(t, id, last["ID"])
	require.Equal(t, "1", last["IS_CANCELLED"], "the revocation is the permit's newest 表1 version, not the plan's state before it")
	var pdf bytes.Buffer
	require.NoError(t, f.svc.PermitPDF(ctx, f.A.Safety, id, &pdf))
	require.Equal(t, sha256.Sum256(fileOf(t, last)), sha256.Sum256(pdf.Bytes()), "the company's print is the newest version's FILE")

	// A permit revoked while the plan waited for its lock is not planned again.
	other := f.open(t, f.A)
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `SELECT 1 FROM permits WHERE id = $1 FOR UPDATE`, other)
	require.NoError(t, err)
	before := len(f.staged(t, f.A.Code))
	var n int
	planned = make(chan error, 1)
	go func() {
		staged, err := f.svc.PublishPlan(ctx)
		n = staged
		planned <- err
	}()
	require.True(t, enttest.WaitLockedOrDone(t, f.pool, planned), "the plan waits for the permit's lock")
	_, err = tx.Exec(ctx, `UPDATE permits SET status = 'revoked', cancelled_reason = '计划取消' WHERE id = $1`, other)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, <-planned)
	require.Zero(t, n)
	require.Len(t, f.staged(t, f.A.Code), before, "nothing staged for the revoked permit")
}
