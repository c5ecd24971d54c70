package dangers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/schemas"
)

func TestGovernanceLoopPublishesEveryStep(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	// A worker registers on the phone with a photo: 待分派, not yet published
	// (表6 needs the rectifier and the deadline).
	resp := f.request("worker", "POST", "/e/m/dangers", url.Values{"client_id": {"c-1"}, "hazard_code": {"370102100001"},
		"name": {"法兰泄漏"}, "description": {"液氨储罐区 2 号罐法兰泄漏"}, "place": {"液氨储罐区"}, "level": {"0"},
		"type": {"7"}, "manage_type": {"1"}}, tinyPNG)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, readBody(t, resp))
	id := strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Location"), "/e/m/dangers/"), "?saved=1")
	d, err := f.svc.Get(ctx, companyA, id)
	require.NoError(t, err)
	assert.Equal(t, dangers.Registered, d.State)
	assert.Equal(t, f.dep.ID, d.DepartmentID, "the registrant's department")
	assert.Empty(t, f.outbox(id))
	assert.Len(t, f.notes.To(f.m("safety").UserID, "danger_registered"), 1)

	// The offline queue sends the same form again: one danger.
	resp = f.request("worker", "POST", "/e/m/dangers", url.Values{"client_id": {"c-1"}, "hazard_code": {"370102100001"},
		"name": {"法兰泄漏"}, "description": {"液氨储罐区 2 号罐法兰泄漏"}, "level": {"0"}, "type": {"7"}, "manage_type": {"1"}}, tinyPNG)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Location"), id)

	// The photo is shown to the company.
	evs, err := f.svc.Events(ctx, companyA, d.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Len(t, evs[0].Photos, 1)
	resp = f.request("safety", "GET", "/e/dangers/"+id+"/photos/"+evs[0].Photos[0], nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))

	// The 安全管理员 assigns it: 整改中, published with DANGER_STATE 0, rectifier told.
	resp = f.request("safety", "POST", "/e/dangers/"+id+"/assign", url.Values{"liable": {itoa(f.m("fixer").UserID)},
		"deadline": {"2026-12-10"}, "liable_unit": {"合成氨车间"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, readBody(t, resp))
	recs := f.outbox(id)
	require.Len(t, recs, 1)
	assert.Equal(t, "0", num(recs[0]["DANGER_STATE"]))
	assert.Equal(t, "赵师傅", recs[0]["LIABLE_PERSON"])
	assert.Equal(t, "2026-12-10 23:59:59", recs[0]["DANGER_MANAGE_DEADLINE"])
	assert.Len(t, f.notes.To(f.m("fixer").UserID, "danger_assigned"), 1)

	// Someone else cannot report the rectification; the rectifier does, with a photo.
	resp = f.request("worker", "POST", "/e/m/dangers/"+id+"/rectify", url.Values{"rectification": {"x"}}, tinyPNG)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	f.clock.Add(2 * time.Hour)
	resp = f.request("fixer", "POST", "/e/m/dangers/"+id+"/rectify", url.Values{"client_id": {"r-1"},
		"rectification": {"更换法兰垫片并试压"}, "funds": {"1200"}, "funds_source": {"安全生产费用"}}, tinyPNG)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, readBody(t, resp))
	recs = f.outbox(id)
	require.Len(t, recs, 2)
	assert.Equal(t, "1", num(recs[1]["DANGER_STATE"]))

	// The rectifier cannot accept his own work.
	resp = f.request("fixer", "POST", "/e/m/dangers/"+id+"/accept", url.Values{"comment": {"好"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Sent back with a reason, then rectified again, then accepted.
	resp = f.request("safety", "POST", "/e/dangers/"+id+"/return", url.Values{"reason": {"未试压，补充试压记录"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Len(t, f.notes.To(f.m("fixer").UserID, "danger_returned"), 1)
	resp = f.request("fixer", "POST", "/e/m/dangers/"+id+"/rectify", url.Values{"client_id": {"r-2"},
		"rectification": {"更换法兰垫片，试压 1.6 MPa 合格"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	f.clock.Add(time.Hour)
	resp = f.request("safety", "POST", "/e/dangers/"+id+"/accept", url.Values{"comment": {"现场复查合格"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, readBody(t, resp))

	d, err = f.svc.Get(ctx, companyA, id)
	require.NoError(t, err)
	assert.Equal(t, dangers.Accepted, d.State)
	recs = f.outbox(id)
	require.Len(t, recs, 5)
	states := []string{}
	for _, r := range recs {
		states = append(states, num(r["DANGER_STATE"]))
	}
	assert.Equal(t, []string{"0", "1", "0", "1", "9"}, states)
	last := recs[4]
	assert.Equal(t, "李安全", last["CHECK_ACCEPT_PERSON"])
	assert.Equal(t, "2026-12-05 12:00:00", last["CHECK_ACCEPT_TIME"])
	assert.Equal(t, "现场复查合格", last["CHECK_ACCEPT_COMMENT"])

	// Every step is kept and shown.
	evs, err = f.svc.Events(ctx, companyA, d.ID)
	require.NoError(t, err)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"register", "assign", "rectify", "return", "rectify", "accept"}, actions)
	page := readBody(t, f.request("safety", "GET", "/e/dangers/"+id, nil))
	for _, want := range []string{"已验收", "未试压，补充试压记录", "更换法兰垫片，试压 1.6 MPa 合格", "1200.00 元", "安全生产费用", "现场复查合格"} {
		assert.Contains(t, page, want)
	}

	// Every attempt is audited, refusals included.
	assert.True(t, f.audit.Count("worker", "danger_register", "ok") > 0)
	assert.True(t, f.audit.Count("worker", "danger_rectify", "denied") > 0)
	assert.True(t, f.audit.Count("fixer", "danger_accept", "denied") > 0)
	assert.True(t, f.audit.Count("safety", "danger_accept", "ok") > 0)

	// Accepted: no further step, no edit.
	err = f.svc.Return(ctx, f.m("safety"), id, "again", dangers.Step{})
	assert.Equal(t, chemguard.EConflict, chemguard.ErrorCode(err))
	err = f.svc.Edit(ctx, f.m("safety"), id, f.general("x"))
	assert.Equal(t, chemguard.EConflict, chemguard.ErrorCode(err))
}

func TestOnTheSpotClosesAtOnce(t *testing.T) {
	f := newFixture(t)
	in := f.general("消防通道堵塞")
	in.ManageType = 0
	_, err := f.svc.Register(context.Background(), f.m("worker"), in, dangers.Step{}, "phone")
	assert.Equal(t, "rectification", detailsField(err), "即查即改 needs what was done")
	in.Rectification = "当场清理杂物"
	id, err := f.svc.Register(context.Background(), f.m("worker"), in, dangers.Step{}, "phone")
	require.NoError(t, err)
	recs := f.outbox(id)
	require.Len(t, recs, 1)
	assert.Equal(t, "9", num(recs[0]["DANGER_STATE"]))
	assert.Equal(t, "0", num(recs[0]["DANGER_MANAGE_TYPE"]))
	assert.Equal(t, "钱操作工", recs[0]["CHECK_ACCEPT_PERSON"])
}

func TestDeleteIsSoftAndPublished(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("安全警示标志缺失")
	in.LiableID, in.Deadline = f.m("fixer").UserID, f.clock.Now().Add(72*time.Hour)
	id, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)
	resp := f.request("head", "POST", "/e/dangers/"+id+"/delete", url.Values{"reason": {"重复登记"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a department head does not delete")
	resp = f.request("safety", "POST", "/e/dangers/"+id+"/delete", url.Values{"reason": {""}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a reason is required")
	resp = f.request("safety", "POST", "/e/dangers/"+id+"/delete", url.Values{"reason": {"重复登记"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	recs := f.outbox(id)
	require.Len(t, recs, 2)
	assert.Equal(t, schemas.DeletedYes, recs[1]["DELETED"])
	d, err := f.svc.Get(ctx, companyA, id)
	require.NoError(t, err, "still there")
	assert.True(t, d.Deleted())
	assert.NotContains(t, readBody(t, f.request("safety", "GET", "/e/dangers", nil)), "安全警示标志缺失")
	assert.Contains(t, readBody(t, f.request("safety", "GET", "/e/dangers?deleted=1", nil)), "安全警示标志缺失")
}

func TestAnInvalidRecordIsRefusedAndNothingPublished(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("压力表超期未检")
	in.LiableID, in.Deadline = f.m("fixer").UserID, f.clock.Now().Add(72*time.Hour)
	id, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)
	d, err := f.svc.Get(ctx, companyA, id)
	require.NoError(t, err)

	// An accepted danger without CHECK_ACCEPT_PERSON breaks the seed's
	// conditional rule: the publisher refuses it and stages nothing.
	d.State, d.AcceptedAt, d.AcceptorName = dangers.Accepted, f.clock.Now(), ""
	tx, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	err = enttest.Outbox{Now: f.clock.Now}.Stage(ctx, tx, schemas.HiddenDangers.Slug, companyA, dangers.Record(&d))
	require.Error(t, err)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err))
	assert.Contains(t, err.Error(), "CHECK_ACCEPT_PERSON")
	require.NoError(t, tx.Rollback(ctx))
	assert.Len(t, f.outbox(id), 1, "only the registration")

	// A good record passes the same validator.
	d.AcceptorName = "李安全"
	tx2, err := f.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx2.Rollback(ctx)
	require.NoError(t, enttest.Outbox{Now: f.clock.Now}.Stage(ctx, tx2, schemas.HiddenDangers.Slug, companyA, dangers.Record(&d)))
}

func TestPhoneListsShowEachPersonTheirs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("排污阀泄漏")
	in.LiableID, in.Deadline, in.AcceptorID = f.m("fixer").UserID, f.clock.Now().Add(-time.Hour), f.m("head").UserID
	id, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)

	mine := readBody(t, f.request("fixer", "GET", "/e/m/dangers", nil))
	assert.Contains(t, mine, "排污阀泄漏")
	assert.Contains(t, mine, "已逾期")
	assert.NotContains(t, readBody(t, f.request("worker", "GET", "/e/m/dangers", nil)), "排污阀泄漏")

	require.NoError(t, f.svc.Rectify(ctx, f.m("fixer"), id, dangers.Rectification{Done: "更换阀门"}, dangers.Step{}))
	assert.NotContains(t, readBody(t, f.request("fixer", "GET", "/e/m/dangers", nil)), "排污阀泄漏")
	assert.Contains(t, readBody(t, f.request("head", "GET", "/e/m/accept", nil)), "排污阀泄漏", "the assigned acceptor")
	assert.Contains(t, readBody(t, f.request("safety", "GET", "/e/m/accept", nil)), "排污阀泄漏", "a manager may accept too")
	assert.NotContains(t, readBody(t, f.request("fixer", "GET", "/e/m/accept", nil)), "排污阀泄漏")
	assert.NotContains(t, readBody(t, f.request("worker", "GET", "/e/m/accept", nil)), "排污阀泄漏")

	// The assigned acceptor accepts on the phone; the offline queue's resend is applied once.
	resp := f.request("head", "POST", "/e/m/dangers/"+id+"/accept", url.Values{"comment": {"合格"}, "client_id": {"a-1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp = f.request("head", "POST", "/e/m/dangers/"+id+"/accept", url.Values{"comment": {"合格"}, "client_id": {"a-1"}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "a replay is not an error")
	evs, err := f.svc.Events(ctx, companyA, uuidOf(t, id))
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	assert.Equal(t, "王主任", f.outbox(id)[2]["CHECK_ACCEPT_PERSON"])
}
