package dangers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/schemas"
)

func TestEscalationTiers(t *testing.T) {
	cfg := dangers.DefaultConfig
	deadline := time.Date(2026, 12, 5, 23, 59, 59, 0, schemas.Shanghai)
	d := dangers.Danger{State: dangers.Rectifying, Deadline: deadline}
	cases := []struct {
		name  string
		at    time.Time
		level int
		state dangers.State
		want  dangers.Tier
	}{
		{"before the deadline", deadline.Add(-time.Hour), 0, dangers.Rectifying, 0},
		{"just overdue", deadline.Add(time.Second), 0, dangers.Rectifying, dangers.TierRectifier},
		{"a day overdue", deadline.Add(24 * time.Hour), 0, dangers.Rectifying, dangers.TierDeptHead},
		{"three days overdue", deadline.Add(72 * time.Hour), 0, dangers.Rectifying, dangers.TierPrincipal},
		{"major, just overdue", deadline.Add(time.Second), 1, dangers.Rectifying, dangers.TierPrincipal},
		{"awaiting acceptance is not overdue", deadline.Add(100 * time.Hour), 0, dangers.Pending, 0},
		{"accepted is not overdue", deadline.Add(100 * time.Hour), 1, dangers.Accepted, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := d
			x.Level, x.State = c.level, c.state
			assert.Equal(t, c.want, cfg.Escalation(&x, c.at))
		})
	}
	assert.Error(t, dangers.Config{DeptHeadAfter: 48 * time.Hour, PrincipalAfter: time.Hour, MaxPhotoBytes: 1, MaxPhotos: 1}.Validate())
}

func TestOverdueDangersArePushedAndEscalated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("可燃气体报警器失效")
	in.LiableID, in.Deadline = f.m("fixer").UserID, time.Date(2026, 12, 6, 23, 59, 59, 0, schemas.Shanghai)
	id, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)
	major := f.general("液氨储罐无紧急切断阀")
	major.Level, major.LiableID, major.Deadline = 1, f.m("fixer").UserID, in.Deadline
	majorID, err := f.svc.Register(ctx, f.m("safety"), major, dangers.Step{}, "ledger")
	require.NoError(t, err)
	boss, head, fixer := f.m("boss").UserID, f.m("head").UserID, f.m("fixer").UserID
	assert.Len(t, f.notes.To(boss, "danger_major"), 1, "a major danger reaches the 主要负责人 when registered")

	sweep := func(at time.Time) {
		t.Helper()
		f.clock.Set(at)
		require.NoError(t, f.svc.Sweep(ctx))
	}
	overdue := func(user int64, danger string) []enterprise.Notice {
		var out []enterprise.Notice
		for _, n := range f.notes.To(user, "danger_overdue") {
			if n.Link == enterprise.Prefix+"/dangers/"+danger || n.Link == enterprise.PhonePrefix+"/dangers/"+danger {
				out = append(out, n)
			}
		}
		return out
	}

	sweep(time.Date(2026, 12, 6, 20, 0, 0, 0, schemas.Shanghai)) // before the deadline
	assert.Empty(t, overdue(fixer, id))

	sweep(time.Date(2026, 12, 7, 8, 0, 0, 0, schemas.Shanghai)) // 8 h overdue
	assert.Len(t, overdue(fixer, id), 1)
	assert.Empty(t, overdue(head, id))
	assert.Empty(t, overdue(boss, id))
	require.Len(t, overdue(boss, majorID), 1, "a major danger goes to the 主要负责人 at once")
	assert.True(t, overdue(boss, majorID)[0].Urgent)

	sweep(time.Date(2026, 12, 7, 9, 0, 0, 0, schemas.Shanghai)) // the same day again: nothing new
	assert.Len(t, overdue(fixer, id), 1)

	sweep(time.Date(2026, 12, 8, 9, 0, 0, 0, schemas.Shanghai)) // 33 h: the 部门负责人 too, the rectifier again
	assert.Len(t, overdue(fixer, id), 2)
	assert.Len(t, overdue(head, id), 1)
	assert.Empty(t, overdue(boss, id))

	sweep(time.Date(2026, 12, 10, 9, 0, 0, 0, schemas.Shanghai)) // 81 h: the 主要负责人, urgently
	require.Len(t, overdue(boss, id), 1)
	assert.True(t, overdue(boss, id)[0].Urgent)
	assert.Contains(t, overdue(boss, id)[0].Body, "逾期第 4 天")

	// Rectified: no more reminders.
	require.NoError(t, f.svc.Rectify(ctx, f.m("fixer"), id, dangers.Rectification{Done: "更换探头并标定"}, dangers.Step{}))
	sweep(time.Date(2026, 12, 11, 9, 0, 0, 0, schemas.Shanghai))
	assert.Len(t, overdue(fixer, id), 4-1, "three days of reminders, none after the rectification")
}

func TestFindingFromACheckEntersTheLedgerInTheCheckTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	measure := uuid.NewString()
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	var reg enterprise.DangerRegistry = f.svc
	worker := f.dir.people[companyA][4]
	id, err := reg.RegisterFinding(ctx, tx, enterprise.Finding{Company: companyA, HazardCode: "370102100001",
		RiskMeasureID: measure, Name: "安全阀铅封缺失", Description: "2 号罐安全阀铅封缺失", Place: "液氨储罐区",
		Source: "1", Registrant: worker, FoundAt: f.clock.Now()})
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	_, err = f.svc.Get(ctx, companyA, id)
	assert.Error(t, err, "rolled back with the check")

	tx, err = f.pool.Begin(ctx)
	require.NoError(t, err)
	id, err = reg.RegisterFinding(ctx, tx, enterprise.Finding{Company: companyA, HazardCode: "370102100001",
		RiskMeasureID: measure, Name: "安全阀铅封缺失", Description: "2 号罐安全阀铅封缺失", Place: "液氨储罐区",
		Source: "1", Registrant: worker, FoundAt: f.clock.Now()})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	d, err := f.svc.Get(ctx, companyA, id)
	require.NoError(t, err)
	assert.Equal(t, dangers.Registered, d.State)
	assert.Equal(t, measure, d.RiskMeasureID)
	assert.Equal(t, f.dep.ID, d.DepartmentID)

	// The sweep tells the 安全管理员 it waits for assignment, once.
	require.NoError(t, f.svc.Sweep(ctx))
	require.NoError(t, f.svc.Sweep(ctx))
	assert.Len(t, f.notes.To(f.m("safety").UserID, "danger_registered"), 1)

	// Assigned, its 表6 record carries the measure.
	require.NoError(t, f.svc.Assign(ctx, f.m("safety"), id, dangers.Assignment{LiableID: f.m("fixer").UserID,
		Deadline: f.clock.Now().Add(48 * time.Hour)}))
	recs := f.outbox(id)
	require.Len(t, recs, 1)
	assert.Equal(t, measure, recs[0]["RISK_MEASURE_ID"])
}

func TestInspectorIssuedDangerLandsInTheLedger(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := uuid.NewString()
	rec := map[string]any{"ID": id, "HAZARD_CODE": "370102100001", "RISK_MEASURE_ID": "", "DANGER_NAME": "储罐区防火堤破损",
		"DANGER_LEVEL": 0, "REGIST_TIME": "2026-12-04 10:00:00", "REGISTRANT": "周检查", "DANGER_SRC": "11",
		"DANGER_MANAGE_TYPE": 1, "HAZARD_DANGER_TYPE": 6, "DANGER_DESC": "防火堤东侧破损约 2 米", "DANGER_REASON": "",
		"LIABLE_PERSON": "赵师傅", "DANGER_MANAGE_DEADLINE": "2026-12-20 23:59:59", "CHECK_ACCEPT_PERSON": "",
		"CHECK_ACCEPT_COMMENT": "", "DANGER_STATE": 0, "DELETED": "0"}
	doc, err := json.Marshal(rec)
	require.NoError(t, err)
	insert := func(company, key string, doc []byte) {
		_, err := f.pool.Exec(ctx, `INSERT INTO x_hidden_dangers (company_code, record_key, version, msg_id, received_at, doc)
			VALUES ($1, $2, 1, $3, now(), $4)`, company, key, uuid.New(), doc)
		require.NoError(t, err)
	}
	insert(companyA, id, doc)
	// A company's own record (source 1) and another company's issued one stay out.
	own := map[string]any{}
	for k, v := range rec {
		own[k] = v
	}
	ownID := uuid.NewString()
	own["ID"], own["DANGER_SRC"] = ownID, "1"
	ownDoc, _ := json.Marshal(own)
	insert(companyA, ownID, ownDoc)
	other := uuid.NewString()
	rec["ID"] = other
	otherDoc, _ := json.Marshal(rec)
	insert(companyB, other, otherDoc)

	resp := f.request("safety", "GET", "/e/dangers", nil)
	page := readBody(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "储罐区防火堤破损")
	assert.Contains(t, page, "监管部门监督检查")
	assert.Contains(t, page, "已导入监管部门监督检查下发的隐患 1 条")
	d, err := f.svc.Get(ctx, companyA, id)
	require.NoError(t, err)
	assert.Equal(t, dangers.Rectifying, d.State)
	assert.Equal(t, f.m("fixer").UserID, d.LiableID, "the rectifier named by the inspector is found by name")
	assert.Len(t, f.notes.To(f.m("fixer").UserID, "danger_assigned"), 1)
	_, err = f.svc.Get(ctx, companyA, ownID)
	assert.Error(t, err)
	_, err = f.svc.Get(ctx, companyA, other)
	assert.Error(t, err)
	_, err = f.svc.Get(ctx, companyB, other)
	assert.Error(t, err, "B has not opened its ledger yet")

	// Again: idempotent.
	n, err := f.svc.Sync(ctx, companyA)
	require.NoError(t, err)
	assert.Zero(t, n)

	// The company's rectification continues the same 表6 record.
	require.NoError(t, f.svc.Rectify(ctx, f.m("fixer"), id, dangers.Rectification{Done: "修补防火堤"}, dangers.Step{}))
	recs := f.outbox(id)
	require.Len(t, recs, 1)
	assert.Equal(t, "11", recs[0]["DANGER_SRC"])
	assert.Equal(t, "周检查", recs[0]["REGISTRANT"])
	assert.Equal(t, "1", num(recs[0]["DANGER_STATE"]))
	n, err = f.svc.Sync(ctx, companyA)
	require.NoError(t, err)
	assert.Zero(t, n)
}
