package inspect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// Two counties of 济南: 历下区 (370102) is ours, 市中区 (370103) the other.
const (
	ourCounty   = "370102"
	otherCounty = "370103"
)

type world struct {
	*env
	ours, ours2, theirs  string // company codes
	oursName, theirsName string
	hazard               string // a 风险分析对象 of ours
}

func newWorld(t *testing.T) *world {
	return newWorldOn(t, testclock.New(t))
}

// newWorldOn is newWorld with the platform on clk.
func newWorldOn(t *testing.T, clk *testclock.Clock) *world {
	e := startOn(t, clk)
	w := &world{env: e}
	a := e.company("370102001", ourCounty, "历下甲化工有限公司")
	e.company("370102002", ourCounty, "历下乙储运有限公司")
	b := e.company("370103001", otherCounty, "市中丙化工有限公司")
	w.ours, w.ours2, w.theirs = a.Code, "370102002", b.Code
	w.oursName, w.theirsName = a.Name, b.Name
	w.hazard = e.seed(a)
	e.seed(b)
	e.user("lx_inspector", policy.Inspector, ourCounty)
	e.user("lx_staff", policy.CountyStaff, ourCounty)
	e.user("sz_inspector", policy.Inspector, otherCounty)
	return w
}

func patrolForm(company string, clientID uuid.UUID) url.Values {
	f := url.Values{"client_id": {clientID.String()}, "kind": {"patrol"}, "company": {company}, "note": {"现场巡查正常"}}
	for _, item := range []string{"online", "alarms", "warnings", "commitment", "operations"} {
		f.Set("check_"+item, "ok")
	}
	return f
}

type reply struct {
	ID        int64      `json:"id"`
	Duplicate bool       `json:"duplicate"`
	DangerID  *uuid.UUID `json:"danger_id"`
	URL       string     `json:"url"`
	Error     struct {
		Code      string `json:"code"`
		MessageZH string `json:"message_zh"`
		Details   []struct {
			Field, MessageZH string
		} `json:"details"`
	} `json:"error"`
}

func decode(t *testing.T, r resp) reply {
	t.Helper()
	var out reply
	require.NoError(t, json.Unmarshal([]byte(r.Body), &out), r.Body)
	return out
}

func TestPatrolRecordIsIdempotent(t *testing.T) {
	w := newWorld(t)
	p := w.login("lx_inspector")

	page := p.Get("/m/patrol")
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Contains(t, page.Body, w.oursName)
	require.Contains(t, page.Body, "待巡查")
	require.Contains(t, page.Body, "县级在线巡查计划：每周一轮，辖区全部企业")

	form := p.Get("/m/patrol/" + w.ours)
	require.Equal(t, http.StatusOK, form.Status, form.Body)
	for _, s := range []string{"数据在线", "报警处置", "预警处置", "今日安全承诺", "按时承诺", "承诺人" + w.ours, "今日特殊作业 1 项",
		`capture="environment"`, `accept="image/*"`, "data-queue"} {
		require.Contains(t, form.Body, s)
	}

	id := uuid.New()
	first := p.submit(patrolForm(w.ours, id), photo(t, 10), photo(t, 200))
	require.Equal(t, http.StatusOK, first.Status, first.Body)
	r1 := decode(t, first)
	require.False(t, r1.Duplicate)
	// The replay of the same form (the queue retrying after a lost answer).
	for range 3 {
		again := p.submit(patrolForm(w.ours, id), photo(t, 10), photo(t, 200))
		require.Equal(t, http.StatusOK, again.Status, again.Body)
		r2 := decode(t, again)
		require.True(t, r2.Duplicate)
		require.Equal(t, r1.ID, r2.ID)
	}
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM inspections WHERE client_id = $1`, id))
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM audit_log WHERE action = 'inspection_record' AND actor = 'lx_inspector'`))

	rec := p.Get(r1.URL)
	require.Equal(t, http.StatusOK, rec.Status, rec.Body)
	require.Contains(t, rec.Body, "现场巡查正常")
	require.Contains(t, rec.Body, "合格")
	ph := p.Get(r1.URL + "/photos/1")
	require.Equal(t, http.StatusOK, ph.Status)
	require.Equal(t, "image/png", ph.Header.Get("Content-Type"))
	require.Equal(t, string(photo(t, 200)), ph.Body)

	// Done for this round; the other company is still due.
	page = p.Get("/m/patrol")
	require.Regexp(t, regexp.MustCompile(w.oursName+`(?s:.*?)已巡查（lx_inspector姓名`), page.Body)

	// The same client_id from another account is a conflict, not a replay.
	other := w.login("lx_staff")
	c := other.submit(patrolForm(w.ours, id))
	require.Equal(t, http.StatusConflict, c.Status, c.Body)

	// A patrol without every verdict is refused with each missing item named.
	missing := patrolForm(w.ours, uuid.New())
	missing.Del("check_commitment")
	bad := p.submit(missing)
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
	require.Contains(t, bad.Body, "今日安全承诺")
	require.Contains(t, bad.Body, "check_commitment")

	// A plain form post (no JavaScript) is redirected to the stored record.
	plain := p.PostForm("/m/records", patrolForm(w.ours2, uuid.New()))
	require.Equal(t, http.StatusSeeOther, plain.Status, plain.Body)
	require.True(t, strings.HasPrefix(plain.Location, "/m/records/"), plain.Location)
}

func TestSupervisionIssuesHiddenDangerThroughThePipeline(t *testing.T) {
	w := newWorld(t)
	p := w.login("lx_inspector")
	form := p.Get("/m/supervise/" + w.ours)
	require.Equal(t, http.StatusOK, form.Status, form.Body)
	require.Contains(t, form.Body, w.hazard, "the company's risk analysis objects are offered")

	id := uuid.New()
	f := url.Values{"client_id": {id.String()}, "kind": {"supervision"}, "company": {w.ours}, "note": {"储罐区防火堤破损"},
		"check_online": {"ok"}, "issue_danger": {"1"}, "danger_name": {"储罐区防火堤破损"}, "danger_hazard_code": {w.hazard},
		"danger_level": {"0"}, "danger_type": {"6"}, "danger_manage_type": {"1"}, "danger_desc": {"防火堤东侧破损约一米"},
		"danger_liable_person": {"张三"}, "danger_deadline": {"2099-12-31"}}
	r := p.submit(f, photo(t, 90))
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	rep := decode(t, r)
	require.NotNil(t, rep.DangerID)

	// It lands in the company's 隐患信息 through Kafka and the sink, as the company's record.
	w.WaitFor(`SELECT count(*) FROM x_hidden_dangers WHERE company_code = $1 AND record_key = $2
		AND doc->>'DANGER_SRC' = '11' AND doc->>'DANGER_STATE' = '0' AND doc->>'REGISTRANT' = 'lx_inspector姓名'`,
		1, w.ours, rep.DangerID.String())
	// The company reads it back through its own exchange API.
	req, err := http.NewRequest(http.MethodGet, w.App.URL()+"/api/v1/exchange/hidden-dangers/"+rep.DangerID.String(), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+w.Keys[w.ours])
	back, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	back.Body.Close()
	require.Equal(t, http.StatusOK, back.StatusCode)

	// A replay does not issue a second danger: the same record, the same danger ID.
	again := decode(t, p.submit(f, photo(t, 90)))
	require.True(t, again.Duplicate)
	require.Equal(t, *rep.DangerID, *again.DangerID)
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM x_hidden_dangers WHERE company_code = $1 AND doc->>'DANGER_SRC' = '11'`, w.ours))
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM audit_log WHERE action = 'hidden_danger_issue' AND result = 'ok'`))

	// The record page shows the issued danger; the company page of the portal lists it in the ledger.
	rec := p.Get(rep.URL)
	require.Contains(t, rec.Body, "已下发隐患")
	require.Contains(t, rec.Body, "监管部门监督检查")

	// A finding missing what the seed requires is refused with the validator's
	// field errors, and nothing reaches the pipeline (no rejection in the company's record).
	bad := url.Values{"client_id": {uuid.NewString()}, "kind": {"supervision"}, "company": {w.ours}, "issue_danger": {"1"},
		"danger_hazard_code": {w.hazard}, "danger_level": {"0"}, "danger_type": {"6"}, "danger_manage_type": {"1"},
		"danger_deadline": {"2099-12-31"}}
	br := p.submit(bad)
	require.Equal(t, http.StatusUnprocessableEntity, br.Status, br.Body)
	got := decode(t, br)
	fields := map[string]bool{}
	for _, d := range got.Error.Details {
		fields[d.Field] = true
	}
	require.True(t, fields["DANGER_NAME"] && fields["DANGER_DESC"] && fields["LIABLE_PERSON"], br.Body)
	require.Equal(t, 0, w.Count(`SELECT count(*) FROM exchange_rejections WHERE company_code = $1`, w.ours))
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM inspections WHERE company_code = $1`, w.ours))
}

func TestSpotChecksAreDrawnFromMyRegion(t *testing.T) {
	// 09:00, before the 10:00 commitment is due: 370102002 has committed nothing, and
	// after 10:00 its missing commitment is a warning the draw below would find.
	w := newWorldOn(t, testclock.At(testclock.OnDay(testclock.Start(t), 9, 0)))
	p := w.login("lx_inspector")
	for _, kind := range []string{"company", "commitment", "permit", "company", "company"} {
		r := p.PostForm("/m/spot/draw", url.Values{"kind": {kind}, "client_id": {uuid.NewString()}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		page := p.Get(r.Location)
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		require.NotContains(t, page.Body, w.theirsName)
	}
	require.Equal(t, 0, w.Count(`SELECT count(*) FROM spot_checks s JOIN enterprises e ON e.code = s.company_code
		WHERE e.division_code <> $1`, ourCounty))
	require.Equal(t, 5, w.Count(`SELECT count(*) FROM audit_log WHERE action = 'spot_check_draw' AND result = 'ok'`))
	// A drawn permit is labelled with its 作业类型's name (the seed has no TASK_NAME).
	var label, taskType string
	require.NoError(t, w.App.Pool.QueryRow(t.Context(), `SELECT s.target_label, x.doc->>'TASK_TYPE' FROM spot_checks s
		JOIN x_special_operations x ON x.company_code = s.company_code AND x.record_key = s.target_key
		WHERE s.kind = 'permit'`).Scan(&label, &taskType))
	typeCode, known := schemas.CodesTaskType.Lookup(taskType)
	require.True(t, known, taskType)
	require.Contains(t, label, " "+typeCode.NameZH+" ")

	// No open warning in the county: nothing to draw, said so.
	none := p.PostForm("/m/spot/draw", url.Values{"kind": {"warning"}, "client_id": {uuid.NewString()}})
	require.Equal(t, http.StatusNotFound, none.Status)
	require.Contains(t, none.Body, "本辖区暂无可抽查的对象")

	// A double submit of the draw form draws once.
	cid := uuid.NewString()
	r1 := p.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {cid}})
	r2 := p.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {cid}})
	require.Equal(t, r1.Location, r2.Location)

	spotID := strings.TrimPrefix(r1.Location, "/m/spot/")
	// A spot check needs evidence: a note or a photo.
	r := p.submit(url.Values{"client_id": {uuid.NewString()}, "kind": {"spot"}, "spot_id": {spotID}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.Body)
	require.Contains(t, r.Body, "抽查须留存证据")
	ok := p.submit(url.Values{"client_id": {uuid.NewString()}, "kind": {"spot"}, "spot_id": {spotID}}, photo(t, 50))
	require.Equal(t, http.StatusOK, ok.Status, ok.Body)
	list := p.Get("/m/spot")
	require.Contains(t, list.Body, "已记录")
}

// TestNoOtherRegionShows checks every page of the app for a county inspector:
// nothing of the other county's companies, records, draws or warnings appears,
// and their pages are refused (403, audited).
func TestNoOtherRegionShows(t *testing.T) {
	w := newWorld(t)
	w.warn(w.ours, "我方预警对象", "fed_back", "county")
	w.warn(w.theirs, "他方预警对象", "fed_back", "county")

	// The other county records a patrol and a spot check of its company.
	them := w.login("sz_inspector")
	tr := decode(t, them.submit(patrolForm(w.theirs, uuid.New()), photo(t, 7)))
	require.NotZero(t, tr.ID)
	draw := them.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {uuid.NewString()}})
	require.Equal(t, http.StatusSeeOther, draw.Status, draw.Body)

	p := w.login("lx_inspector")
	require.NotZero(t, decode(t, p.submit(patrolForm(w.ours, uuid.New()))).ID)
	p.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {uuid.NewString()}})

	forbidden := []string{w.theirs, w.theirsName, "他方预警对象", "sz_inspector"}
	for _, path := range []string{"/m/", "/m/patrol", "/m/spot", "/m/supervise", "/m/supervise?q=370103",
		"/m/warnings", "/m/records", "/m/records?kind=patrol", "/m/records?kind=spot"} {
		t.Run(path, func(t *testing.T) {
			r := p.Get(path)
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			for _, s := range forbidden {
				require.NotContains(t, r.Body, s)
			}
		})
	}
	// Our own data does show.
	require.Contains(t, p.Get("/m/warnings").Body, "我方预警对象")
	require.Contains(t, p.Get("/m/records").Body, w.oursName)

	for _, path := range []string{"/m/patrol/" + w.theirs, "/m/supervise/" + w.theirs, draw.Location,
		"/m/records/" + strconv.FormatInt(tr.ID, 10), "/m/records/" + strconv.FormatInt(tr.ID, 10) + "/photos/0",
		"/m/patrol/NOSUCH"} {
		t.Run(path, func(t *testing.T) {
			r := p.Get(path)
			require.Equal(t, http.StatusForbidden, r.Status, r.Body)
			for _, s := range forbidden {
				require.NotContains(t, r.Body, s)
			}
		})
	}
	// Writing about another county's company is refused and nothing is stored.
	r := p.submit(patrolForm(w.theirs, uuid.New()))
	require.Equal(t, http.StatusForbidden, r.Status, r.Body)
	require.Equal(t, 1, w.Count(`SELECT count(*) FROM inspections WHERE company_code = $1`, w.theirs))
	require.Positive(t, w.Count(`SELECT count(*) FROM audit_log WHERE action = 'deny' AND actor = 'lx_inspector'`))
}

func TestWarningsWaitingForMe(t *testing.T) {
	w := newWorld(t)
	w.warn(w.ours, "待核查对象", "fed_back", "county")
	w.warn(w.ours, "待签收对象", "published", "county")
	w.warn(w.ours, "市级关注对象", "fed_back", "city")

	staff := w.login("lx_staff").Get("/m/warnings")
	require.Equal(t, http.StatusOK, staff.Status, staff.Body)
	require.Contains(t, staff.Body, "待核查对象")
	require.Contains(t, staff.Body, "待签收对象")
	mine, others, _ := strings.Cut(staff.Body, `id="elsewhere"`)
	require.NotContains(t, mine, "市级关注对象", "a warning the city watches is not the county's to handle")
	require.Contains(t, others, "市级关注对象")
	require.Contains(t, others, "已逾期上报至市级，由市级处置。", "and the page says why")
	require.Less(t, strings.Index(staff.Body, "待核查对象"), strings.Index(staff.Body, "待签收对象"), "waiting for me first")
	require.Contains(t, staff.Body, `data-action="verify"`)

	insp := w.login("lx_inspector").Get("/m/warnings")
	require.Contains(t, insp.Body, "待核查对象")
	require.Contains(t, insp.Body, `data-action="verify"`, "an inspector verifies on site (监管核查)")
	require.NotContains(t, insp.Body, `data-action="acknowledge"`, "签收 is the company's step")
	home := w.login("lx_staff").Get("/m/")
	require.Contains(t, home.Body, "<strong>1</strong> 待核查/审批预警")
}

func TestAppShellAndLogin(t *testing.T) {
	e := start(t)
	e.user("lx_inspector", policy.Inspector, ourCounty)
	anon := &phone{&platformtest.Session{TB: t, Base: e.App.URL()}}
	r := anon.Get("/m/patrol")
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, "/m/login?next=%2Fm%2Fpatrol", r.Location)
	j, err := http.NewRequest(http.MethodPost, e.App.URL()+"/m/records", strings.NewReader("client_id=x&csrf_token="+anon.Token()))
	require.NoError(t, err)
	j.Header.Set("Accept", "application/json")
	j.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusUnauthorized, anon.Send(j).Status, "the offline queue is told to log in again")

	m := anon.Get("/m/manifest.webmanifest")
	require.Equal(t, http.StatusOK, m.Status)
	var manifest struct {
		StartURL, Scope, Display, Lang string
		Icons                          []struct{ Src, Sizes, Type string }
	}
	require.NoError(t, json.Unmarshal([]byte(m.Body), &manifest))
	require.Equal(t, "standalone", manifest.Display)
	require.Equal(t, "zh-CN", manifest.Lang)
	for _, ic := range manifest.Icons {
		got := anon.Get(ic.Src)
		require.Equal(t, http.StatusOK, got.Status, ic.Src)
		require.True(t, strings.HasPrefix(got.Body, "\x89PNG"), ic.Src)
	}
	sw := anon.Get("/m/sw.js")
	require.Equal(t, http.StatusOK, sw.Status)
	require.Contains(t, sw.Header.Get("Content-Type"), "javascript")
	require.NotContains(t, sw.Body, "chemguard-m-shell-v1", "the shell cache is named by its content")
	for _, asset := range []string{"/m/static/m.css", "/m/static/outbox.js", "/m/static/m.js", "/m/offline"} {
		require.Equal(t, http.StatusOK, anon.Get(asset).Status, asset)
		require.Contains(t, sw.Body, "'"+asset+"'", "the worker caches %s", asset)
	}

	// Every page: each control has a label, no positive tabindex, no remote asset.
	p := e.login("lx_inspector")
	e.company("370102001", ourCounty, "历下甲化工有限公司")
	label := regexp.MustCompile(`<label for="([^"]+)"`)
	control := regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*>`)
	idOf := regexp.MustCompile(`\bid="([^"]+)"`)
	for _, path := range []string{"/m/login", "/m/", "/m/patrol", "/m/patrol/370102001", "/m/spot", "/m/supervise",
		"/m/supervise/370102001", "/m/warnings", "/m/records"} {
		body := p.Get(path).Body
		labels := map[string]bool{}
		for _, m := range label.FindAllStringSubmatch(body, -1) {
			labels[m[1]] = true
		}
		for _, c := range control.FindAllString(body, -1) {
			if strings.Contains(c, `type="hidden"`) {
				continue
			}
			id := idOf.FindStringSubmatch(c)
			require.NotNil(t, id, "%s: control without id: %s", path, c)
			require.True(t, labels[id[1]], "%s: no <label for=%q>", path, id[1])
		}
		require.NotRegexp(t, `tabindex="[1-9]`, body, path)
		require.NotRegexp(t, `(?:src|href)="(?:https?:)?//`, body, path)
		require.Contains(t, body, `href="#main"`, path)
	}
	require.Equal(t, 0, e.Count(`SELECT count(*) FROM audit_log WHERE action = 'deny'`),
		"reading pages checks permissions without audited refusals")
}

// TestPatrolPlansPerTier: a city patrols a sample of its own companies, stable
// through the round, and a county's patrol does not count for the city's round.
func TestPatrolPlansPerTier(t *testing.T) {
	e := start(t)
	var jinan []string
	for i, county := range []string{"370102", "370102", "370103", "370104", "370105", "370112"} {
		c := e.company(fmt.Sprintf("%s%03d", county, i+1), county, fmt.Sprintf("济南化工%d有限公司", i+1))
		jinan = append(jinan, c.Code)
	}
	qingdao := e.company("370211001", "370211", "青岛化工有限公司")
	e.user("jn_inspector", policy.Inspector, "370100")
	e.user("lx_inspector", policy.Inspector, ourCounty)
	city := e.login("jn_inspector")

	listed := func(p *phone) []string {
		body := p.Get("/m/patrol").Body
		var out []string
		for _, m := range regexp.MustCompile(`href="/m/patrol/(\d+)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	first := listed(city)
	require.Len(t, first, 2, "20 %% of 6 companies, rounded up")
	for _, code := range first {
		require.Contains(t, jinan, code)
		require.NotEqual(t, qingdao.Code, code)
	}
	require.Equal(t, first, listed(city), "the sample is stable during the round")
	page := city.Get("/m/patrol")
	require.Contains(t, page.Body, "市级在线巡查计划：每月一轮，系统从辖区企业中抽取 20%")

	// The county patrols the city's sampled company (if it is the county's): it stays due for the city.
	county := e.login("lx_inspector")
	for _, code := range first {
		if strings.HasPrefix(code, ourCounty) {
			require.Equal(t, http.StatusOK, county.submit(patrolForm(code, uuid.New())).Status)
		}
	}
	require.NotContains(t, city.Get("/m/patrol").Body, "已巡查")
	// The city's own patrol marks it done.
	require.Equal(t, http.StatusOK, city.submit(patrolForm(first[0], uuid.New())).Status)
	require.Contains(t, city.Get("/m/patrol").Body, "已巡查（jn_inspector姓名")
	require.Equal(t, []string{first[1], first[0]}, listed(city), "due first")
}

// A city inspector's 预警处置 lists the warnings its tier watches to act on, and the
// region's others — watched by the county, or waiting for the company — each with
// why it is not the inspector's to act on now.
func TestWarningsSayWhyNotMine(t *testing.T) {
	e := start(t)
	c := e.company("370102001", ourCounty, "历下甲化工有限公司")
	e.user("jinan_inspector", policy.Inspector, "370100")
	county := e.warn(c.Code, "县级关注", "fed_back", "county")
	city := e.warn(c.Code, "市级关注", "fed_back", "city")
	waiting := e.warn(c.Code, "待企业签收", "published", "city")
	page := e.login("jinan_inspector").Get("/m/warnings")
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	mine, others, ok := strings.Cut(page.Body, `id="elsewhere"`)
	require.True(t, ok, "the region's other warnings are listed: %s", page.Body)
	require.Contains(t, mine, fmt.Sprintf(`data-warning="%d"`, city))
	require.Contains(t, mine, "等待企业签收：企业签收并反馈处置情况后，由本级核查。")
	require.Contains(t, mine, fmt.Sprintf(`data-warning="%d"`, waiting), "still the tier's: 误报 may be declared")
	require.NotContains(t, mine, "县级关注")
	require.Contains(t, others, "县级关注")
	require.Contains(t, others, "由县级关注：已反馈，待核查逾期未办才逐级上报到市级，此前不由本级处置。")
	require.NotContains(t, others, fmt.Sprintf(`data-warning="%d"`, county), "no action offered")
}
