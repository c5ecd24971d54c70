package notices_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/notices"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web"
)

// noticeEnv is the governance service and the notices API on a fresh database:
// companies A (370102001) and B (370102002) in 历下区, C (370211001) in 黄岛区; the
// regulators lixia (county staff of 历下区), jinan (city staff of 济南) and qingdao
// (city staff of 青岛), and A's, B's and C's exchange API keys.
type noticeEnv struct {
	env
	svc     *governancesvc.Service
	notices *notices.Service
	clk     *testclock.Clock
	keys    map[string]string
}

const coA, coB, coC = "370102001", "370102002", "370211001"

func newNoticeEnv(tb testing.TB) *noticeEnv {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(tb)
	e := &noticeEnv{keys: map[string]string{}, clk: testclock.Frozen(govtest.At(tb, "2021-06-01 08:00:00"))}
	ents := store.NewEnterprises(pool)
	for code, county := range map[string]string{coA: "370102", coB: "370102", coC: "370211"} {
		govtest.AddEnterprise(tb, pool, code, county, "")
		key, err := ents.IssueKey(ctx, code)
		require.NoError(tb, err)
		e.keys[code] = key
	}
	e.svc = govtest.Service(tb, pool, e.clk)
	acc, err := auth.New(ctx, pool, auth.Config{InsecureCookie: true})
	require.NoError(tb, err)
	e.notices = notices.New(pool, acc.Audit, e.svc.Rules(), e.clk.Now)
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	api := app.Group("/api/v1")
	acc.Mount(api)
	notices.NewHandler(e.notices, readmodel.NewQuality(pool, e.svc.Rules(), e.clk.Now), acc, ents).Register(api)
	e.env = env{Client: govtest.Client{TB: tb, App: app}, pool: pool, acc: acc}
	govtest.AddUsers(tb, acc, govtest.User{Name: "lixia", Role: policy.CountyStaff, Domain: "370102"},
		govtest.User{Name: "jinan", Role: policy.CityStaff, Domain: "370100"},
		govtest.User{Name: "qingdao", Role: policy.CityStaff, Domain: "370200"},
		govtest.User{Name: "lixia_leader", Role: policy.CountyLeader, Domain: "370102"})
	return e
}

// goOffline sends company code's readings for a few minutes, then nothing until its
// 数据采集离线 fact opens, and returns the fact's id and the indicator.
func (e *noticeEnv) goOffline(code string) (string, events.IndicatorDef) {
	e.TB.Helper()
	ctx := context.Background()
	require.NoError(e.TB, e.svc.Tick(ctx))
	def := events.IndicatorDef{Code: code + "-T1", Company: code, Name: "1号罐温度", Kind: events.KindTemperature,
		RangeLow: f(0), RangeHigh: f(100), Thresholds: events.Thresholds{High: f(60)}}
	require.NoError(e.TB, e.svc.Apply(ctx, []governance.Event{def, governance.Upload{Company: code, Table: "indicators", Accepted: 1}}))
	for i := 0; i < 3; i++ {
		e.clk.Add(time.Minute)
		require.NoError(e.TB, e.svc.Apply(ctx, []governance.Event{
			events.Reading{Company: code, Indicator: def.Code, Value: 20, At: e.clk.Now()},
			governance.Upload{Company: code, Table: "sensor-readings", Accepted: 1}}))
		require.NoError(e.TB, e.svc.Tick(ctx))
	}
	var id string
	for i := 0; i < 24 && id == ""; i++ {
		e.clk.Add(5 * time.Minute)
		require.NoError(e.TB, e.svc.Tick(ctx))
		_ = e.pool.QueryRow(ctx, `SELECT fact_id FROM governance_facts WHERE company_code = $1
			AND kind = 'offline_readings' AND ended_at IS NULL`, code).Scan(&id)
	}
	require.NotEmpty(e.TB, id, "no offline_readings fact opened")
	return id, def
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

// The whole loop: the county regulator issues a notice about an open fact, the
// company sees it with its key, signs and answers; when its readings come back the
// governance consumer ends the fact and the notice closes by itself. Every step is
// in the notice's history and in the audit log with who and when.
func TestNoticeLoopClosesWhenDataReturns(t *testing.T) {
	e := newNoticeEnv(t)
	ctx := context.Background()
	fact, def := e.goOffline(coA)
	lixia := e.Login("lixia")

	deadline := e.clk.Now().Add(48 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	r := e.Send(http.MethodPost, lixia, "/api/v1/governance/notices", map[string]any{"company_code": coA,
		"fact_ids": []string{fact}, "requirement": "请于两日内恢复1号罐温度数据上传", "deadline": deadline})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	id := num(r.Body["id"])
	path := "/api/v1/enterprise/notices/" + strconv.FormatInt(id, 10)
	assert.Equal(t, "issued", r.Body["status"])
	assert.Equal(t, "已下达", r.Body["status_zh"])
	assert.Equal(t, "lixia", r.Body["issued_by"])

	// The company sees it with its API key, signs and answers.
	list := govtest.Field(t, e.Send(http.MethodGet, e.keys[coA], "/api/v1/enterprise/notices", nil), "notices")
	require.Len(t, list, 1)
	assert.Equal(t, "数据采集离线", list[0]["facts"].([]any)[0].(map[string]any)["name_zh"])
	r = e.Send(http.MethodPost, e.keys[coA], path+"/answer", map[string]string{"answer": "已修复"})
	assert.Equal(t, http.StatusConflict, r.Status, "an answer before signing: %s", r.Raw)
	r = e.Send(http.MethodPost, e.keys[coA], path+"/ack", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "acknowledged", r.Body["status"])
	assert.Equal(t, http.StatusConflict, e.Send(http.MethodPost, e.keys[coA], path+"/ack", nil).Status, "signed twice")
	r = e.Send(http.MethodPost, e.keys[coA], path+"/answer", map[string]string{"answer": ""})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	r = e.Send(http.MethodPost, e.keys[coA], path+"/answer", map[string]string{"answer": "采集网关已重启，数据恢复上传"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "answered", r.Body["status"])

	// Nothing closes while the fact is open.
	n, err := e.notices.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	// The readings return: the consumer ends the fact, the sweep closes the notice.
	e.clk.Add(time.Minute)
	require.NoError(t, e.svc.Apply(ctx, []governance.Event{
		events.Reading{Company: coA, Indicator: def.Code, Value: 21, At: e.clk.Now()}}))
	require.NoError(t, e.svc.Tick(ctx))
	require.True(t, pgtest.Scalar[bool](t, e.pool, `SELECT ended_at IS NOT NULL FROM governance_facts WHERE fact_id = $1`, fact))
	n, err = e.notices.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = e.notices.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "closed once")

	r = e.Send(http.MethodGet, lixia, "/api/v1/governance/notices/"+strconv.FormatInt(id, 10), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "closed", r.Body["status"])
	assert.Equal(t, "system", r.Body["closed_by"])
	var steps []string
	var actors []string
	for _, s := range r.Body["steps"].([]any) {
		steps = append(steps, s.(map[string]any)["action"].(string))
		actors = append(actors, s.(map[string]any)["actor"].(string))
	}
	assert.Equal(t, []string{"issue", "acknowledge", "answer", "auto_close"}, steps)
	assert.Equal(t, []string{"lixia", "ent:" + coA, "ent:" + coA, "system"}, actors)

	// The audit log holds each step with who and when (the refused ones are not steps).
	rows, err := e.pool.Query(ctx, `SELECT actor, detail::jsonb->>'step' FROM audit_log
		WHERE action = 'governance_notice' AND object = $1 ORDER BY seq`, "governance_notice:"+strconv.FormatInt(id, 10))
	require.NoError(t, err)
	var got [][2]string
	for rows.Next() {
		var a, s string
		require.NoError(t, rows.Scan(&a, &s))
		got = append(got, [2]string{a, s})
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, [][2]string{{"lixia", "issue"}, {"ent:" + coA, "acknowledge"}, {"ent:" + coA, "answer"},
		{"system", "auto_close"}}, got)

	// A regulator reopens it with a reason; it no longer closes by itself, and the
	// company answers again; then the regulator closes it.
	nid := "/api/v1/governance/notices/" + strconv.FormatInt(id, 10)
	assert.Equal(t, http.StatusUnprocessableEntity, e.Send(http.MethodPost, lixia, nid+"/reopen", map[string]string{}).Status, "no reason")
	r = e.Send(http.MethodPost, lixia, nid+"/reopen", map[string]string{"reason": "抽查发现仍有断传"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "acknowledged", r.Body["status"])
	n, err = e.notices.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "a reopened notice is closed by a person")
	require.Equal(t, http.StatusOK, e.Send(http.MethodPost, e.keys[coA], path+"/answer", map[string]string{"answer": "已更换网关"}).Status)
	r = e.Send(http.MethodPost, lixia, nid+"/close", map[string]string{"reason": "复核数据连续正常"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.Equal(t, "lixia", r.Body["closed_by"])
	assert.Equal(t, http.StatusConflict, e.Send(http.MethodPost, lixia, nid+"/close", map[string]string{"reason": "x"}).Status)

	// Nothing is physically deleted.
	_, err = e.pool.Exec(ctx, `DELETE FROM governance_notice_steps`)
	assert.Error(t, err)
	_, err = e.pool.Exec(ctx, `DELETE FROM governance_notices`)
	assert.Error(t, err)
}

// A regulator of another region can neither issue, read, close nor list a
// company's notices (403, audited); a company never sees another's.
func TestNoticesScopedByRegionAndCompany(t *testing.T) {
	e := newNoticeEnv(t)
	fact, _ := e.goOffline(coA)
	lixia, jinan, qingdao := e.Login("lixia"), e.Login("jinan"), e.Login("qingdao")
	body := map[string]any{"company_code": coA, "fact_ids": []string{fact}, "requirement": "恢复数据上传", "deadline": "2021-06-03"}

	r := e.Send(http.MethodPost, qingdao, "/api/v1/governance/notices", body)
	assert.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	assert.Equal(t, 1, pgtest.Scalar[int](t, e.pool, `SELECT count(*) FROM audit_log WHERE actor = 'qingdao' AND action = 'deny'`))
	assert.Equal(t, http.StatusForbidden, e.Send(http.MethodPost, e.Login("lixia_leader"), "/api/v1/governance/notices", body).Status,
		"a leader role does not issue notices")

	// A fact of another company is refused.
	bad := map[string]any{"company_code": coB, "fact_ids": []string{fact}, "requirement": "x", "deadline": "2021-06-03"}
	assert.Equal(t, http.StatusUnprocessableEntity, e.Send(http.MethodPost, lixia, "/api/v1/governance/notices", bad).Status)
	// So is a deadline in the past.
	past := map[string]any{"company_code": coA, "fact_ids": []string{fact}, "requirement": "x", "deadline": "2021-05-30"}
	assert.Equal(t, http.StatusUnprocessableEntity, e.Send(http.MethodPost, lixia, "/api/v1/governance/notices", past).Status)

	r = e.Send(http.MethodPost, jinan, "/api/v1/governance/notices", body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	id := strconv.FormatInt(num(r.Body["id"]), 10)

	assert.Equal(t, http.StatusForbidden, e.Send(http.MethodGet, qingdao, "/api/v1/governance/notices/"+id, nil).Status)
	assert.Equal(t, http.StatusForbidden, e.Send(http.MethodPost, qingdao, "/api/v1/governance/notices/"+id+"/close",
		map[string]string{"reason": "x"}).Status)
	assert.Equal(t, http.StatusForbidden, e.Send(http.MethodGet, qingdao, "/api/v1/governance/notices?region=370102", nil).Status)
	assert.Empty(t, govtest.Field(t, e.Send(http.MethodGet, qingdao, "/api/v1/governance/notices", nil), "notices"))
	assert.Len(t, govtest.Field(t, e.Send(http.MethodGet, lixia, "/api/v1/governance/notices", nil), "notices"), 1)
	assert.Len(t, govtest.Field(t, e.Send(http.MethodGet, lixia, "/api/v1/governance/notices?fact="+fact, nil), "notices"), 1)

	// Company B sees none of A's notices and cannot act on them; no key, no access.
	assert.Empty(t, govtest.Field(t, e.Send(http.MethodGet, e.keys[coB], "/api/v1/enterprise/notices", nil), "notices"))
	assert.Empty(t, govtest.Field(t, e.Send(http.MethodGet, e.keys[coC], "/api/v1/enterprise/notices", nil), "notices"))
	assert.Equal(t, http.StatusNotFound, e.Send(http.MethodGet, e.keys[coB], "/api/v1/enterprise/notices/"+id, nil).Status)
	assert.Equal(t, http.StatusNotFound, e.Send(http.MethodPost, e.keys[coB], "/api/v1/enterprise/notices/"+id+"/ack", nil).Status)
	assert.Equal(t, http.StatusUnauthorized, e.Send(http.MethodGet, "", "/api/v1/enterprise/notices", nil).Status)
	assert.Equal(t, http.StatusUnauthorized, e.Send(http.MethodGet, "not-a-key", "/api/v1/enterprise/notices", nil).Status)
	assert.Len(t, govtest.Field(t, e.Send(http.MethodGet, e.keys[coA], "/api/v1/enterprise/notices", nil), "notices"), 1)

	// Past the deadline and not closed, it is overdue.
	assert.Empty(t, govtest.Field(t, e.Send(http.MethodGet, lixia, "/api/v1/governance/notices?status=overdue", nil), "notices"))
	e.clk.Set(govtest.At(t, "2021-06-04 08:00:00"))
	over := govtest.Field(t, e.Send(http.MethodGet, lixia, "/api/v1/governance/notices?status=overdue", nil), "notices")
	require.Len(t, over, 1)
	assert.Equal(t, true, over[0]["overdue"])
	assert.Equal(t, http.StatusUnprocessableEntity, e.Send(http.MethodGet, lixia, "/api/v1/governance/notices?status=bogus", nil).Status)
}

// A day-bound fact (未承诺, a day's rejected share, a contradiction of the day's
// commitment) ends at midnight because its day is over, not because the company
// fixed anything: a notice about it stays open for the regulator to judge. One whose
// fact the data ended (the commitment arrived, late) closes by itself.
func TestNoticeNotClosedByTheEndOfTheDay(t *testing.T) {
	e := newNoticeEnv(t)
	ctx := context.Background()
	lixia := e.Login("lixia")
	e.clk.Set(govtest.At(t, "2021-06-01 10:30:00"))
	require.NoError(t, e.svc.Tick(ctx))
	missing := func(code string) string {
		return pgtest.Scalar[string](t, e.pool, `SELECT fact_id FROM governance_facts WHERE company_code = $1
			AND kind = 'commitment_missing' AND ended_at IS NULL`, code)
	}
	issue := func(code, fact string) int64 {
		r := e.Send(http.MethodPost, lixia, "/api/v1/governance/notices", map[string]any{"company_code": code,
			"fact_ids": []string{fact}, "requirement": "每日10点前提交安全承诺", "deadline": "2021-06-08"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		return num(r.Body["id"])
	}
	na, nb := issue(coA, missing(coA)), issue(coB, missing(coB))

	// A commits at 11:00 (late: the fact ends with the data); B never does.
	e.clk.Set(govtest.At(t, "2021-06-01 11:00:00"))
	require.NoError(t, e.svc.Apply(ctx, []governance.Event{events.Commitment{ID: "a1", Company: coA,
		Date: govtest.At(t, "2021-06-01 00:00:00"), Person: "张三", At: e.clk.Now(), UnitsRunning: 1}}))
	e.clk.Set(govtest.At(t, "2021-06-02 00:01:00"))
	require.NoError(t, e.svc.Tick(ctx))
	require.Zero(t, pgtest.Scalar[int](t, e.pool, `SELECT count(*) FROM governance_facts WHERE day = '2021-06-01' AND ended_at IS NULL`))
	n, err := e.notices.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	status := func(id int64) string {
		return pgtest.Scalar[string](t, e.pool, `SELECT status FROM governance_notices WHERE id = $1`, id)
	}
	assert.Equal(t, notices.Closed, status(na), "A's commitment arrived")
	assert.Equal(t, notices.Issued, status(nb), "B never committed: the day ended, nothing was fixed")
}
