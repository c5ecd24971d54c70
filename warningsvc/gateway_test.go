package warningsvc_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// people registers the company (in 历下区 370102, 济南 3701) with its 企业信息 and the
// regulator accounts: county staff with and without a mobile, a disabled county
// leader, a city staff member and a province leader.
func people(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		_, err := pool.Exec(ctx, sql, args...)
		require.NoError(tb, err, sql)
	}
	exec(`INSERT INTO enterprises (code, name, division_code) VALUES ($1, '历下甲化工有限公司', '370102')`, company)
	doc, _ := json.Marshal(map[string]string{"COMPANY_CODE": company, "PRINCIPAL": "张三", "PRINCIPAL_MOBILE": "13800000001",
		"SAFETY_PRINCIPAL": "李四", "SAFETY_PRINCIPAL_MOBILE": "13800000002"})
	exec(`INSERT INTO x_enterprise_info (company_code, record_key, version, msg_id, received_at, doc)
		VALUES ($1, $1, 1, $2, now(), $3)`, company, uuid.New(), doc)
	for _, u := range []struct {
		name, mobile, role, domain string
		disabled                   bool
	}{
		{"县级人员王五", "13900000001", "county_staff", "370102", false},
		{"县级人员无手机", "", "county_staff", "370102", false},
		{"县级领导已停用", "13900000002", "county_leader", "370102", true},
		{"其他县人员", "13900000003", "county_staff", "370103", false},
		{"市级人员赵六", "13900000004", "city_staff", "370100", false},
		{"省级领导孙七", "13900000005", "province_leader", "370000", false},
	} {
		var id int64
		require.NoError(tb, pool.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, domain, mobile, disabled_at)
			VALUES ($1, $1, 'x', $2, $3, CASE WHEN $4 THEN now() END) RETURNING id`, u.name, u.domain, u.mobile, u.disabled).Scan(&id))
		exec(`INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', $1, $2, $3)`, "u:"+strconv.FormatInt(id, 10), u.role, u.domain)
	}
}

// smsGateway is an httptest SMS gateway that checks the signature of every request
// and can be made to fail.
type smsGateway struct {
	tb     testing.TB
	secret string
	mu     sync.Mutex
	fail   bool   // answer 503: the gateway is down
	refuse string // refuse this mobile with an error code
	got    []map[string]any
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(g.secret))
	m.Write([]byte(r.Header.Get("X-Timestamp") + "\n" + r.Header.Get("X-Nonce") + "\n"))
	m.Write(body)
	if r.Header.Get("X-App-Key") != "chemguard" || !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Signature"))) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var req map[string]any
	require.NoError(g.tb, json.Unmarshal(body, &req))
	if req["mobile"] == g.refuse {
		fmt.Fprint(w, `{"code":"isv.BUSINESS_LIMIT_CONTROL","message":"触发号码天级流控"}`)
		return
	}
	g.got = append(g.got, req)
	fmt.Fprint(w, `{"code":0,"message":"ok"}`)
}

func (g *smsGateway) mobiles() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, m := range g.got {
		out = append(out, m["mobile"].(string))
	}
	sort.Strings(out)
	return out
}

// smsSetup is a database with people and an SMS gateway signing with secret.
func smsSetup(tb testing.TB, secret string) (*pgxpool.Pool, *testclock.Clock, *smsGateway, *httptest.Server) {
	tb.Helper()
	pool := pgtest.Pool(tb)
	people(tb, pool)
	gw := &smsGateway{tb: tb, secret: secret}
	srv := httptest.NewServer(gw)
	tb.Cleanup(srv.Close)
	return pool, testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)), gw, srv
}

// An SMS goes to each person separately: the company's two responsible people and
// the enabled regulators with a mobile of the tier watching the warning — the
// county when it is published, the city once the 签收 is overdue. Each delivery
// is recorded per person; a gateway that refuses is retried after a backoff.
func TestSMSTellsThePeopleOfTheTierWatching(t *testing.T) {
	pool, clk, gw, srv := smsSetup(t, "s3cret")
	ctx := context.Background()
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL + "/sms/send?token=hidden", AppKey: "chemguard", Secret: "s3cret",
		TemplateCode: "SMS_001"})
	require.NoError(t, err)
	assert.Equal(t, "sms:"+srv.Listener.Addr().String()+"/sms/send", sms.Target(), "no credentials in the target")
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{sms}})
	require.NoError(t, err)
	// Two detectors of one area in 高高报: an orange leak warning.
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), detector("G2"), reading("G1", 60, clk.Now()), reading("G2", 60, clk.Now())}))
	raised := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events WHERE kind = ANY($1)`, warningsvc.DefaultSMSKinds)
	require.Positive(t, raised)

	gw.fail = true
	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, gw.mobiles())
	assert.Contains(t, pgtest.Scalar[string](t, pool, `SELECT last_error FROM warning_notifications WHERE status = 'failed'`), "HTTP 503",
		"the round stops at the first failure of a gateway that is down")
	gw.fail = false
	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, gw.mobiles(), "backing off")
	clk.Add(5 * time.Second)
	require.NoError(t, s.Notify(ctx))
	county := []string{"13800000001", "13800000002", "13900000001"}
	var want []string
	for i := 0; i < raised; i++ {
		want = append(want, county...)
	}
	sort.Strings(want)
	require.Equal(t, want, gw.mobiles(), "the company's people and the county staff with a mobile, once per change sent by SMS")
	first := gw.got[0]
	assert.Equal(t, "SMS_001", first["template_code"])
	assert.Contains(t, first["content"], "【危化品风险预警】历下甲化工有限公司")
	assert.Contains(t, first["content"], "县级监管")
	assert.Equal(t, raised*3, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE recipient <> '' AND status = 'sent'`))
	assert.Equal(t, "张三", pgtest.Scalar[string](t, pool, `SELECT recipient_name FROM warning_notifications WHERE recipient = '13800000001' LIMIT 1`))
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), len(want), "told once")

	// Nobody acknowledges the orange leak warning: after 30 min the city watches it.
	gw.got = nil
	clk.Add(31 * time.Minute)
	require.NoError(t, s.Tick(ctx))
	require.NoError(t, s.Notify(ctx))
	assert.Contains(t, gw.mobiles(), "13900000004", "the city staff member is told of the escalation")
	assert.NotContains(t, gw.mobiles(), "13900000005", "not the province yet")
	assert.NotContains(t, gw.mobiles(), "13900000003", "nor another county")
	assert.NotContains(t, gw.mobiles(), "13900000002", "nor a disabled account")

	// A disposal action is not an SMS kind: nobody is texted about the 签收.
	gw.got = nil
	_, err = s.Act(ctx, company, leakWarning(t, pool), warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.NoError(t, err)
	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, gw.mobiles())

	// The warning still waiting for its 签收 is reminded: to the company's people only.
	require.NoError(t, s.Remind(ctx))
	require.NoError(t, s.Notify(ctx))
	require.NotEmpty(t, gw.mobiles())
	for _, m := range gw.mobiles() {
		assert.Contains(t, []string{"13800000001", "13800000002"}, m)
	}
}

// With NotifyPerMinute 1 each person gets at most one SMS a minute; the others
// wait, in order, and are sent in the next minutes.
func TestSMSRateLimitIsPerPerson(t *testing.T) {
	pool, clk, gw, srv := smsSetup(t, "k")
	ctx := context.Background()
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL, AppKey: "chemguard", Secret: "k"})
	require.NoError(t, err)
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, NotifyPerMinute: 1, Notifiers: []warningsvc.Notifier{sms}})
	require.NoError(t, err)
	d := detector("G9")
	d.Area = "装卸区"
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), d, reading("G1", 60, clk.Now()), reading("G9", 60, clk.Now())}))
	raised := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events WHERE kind = 'warning_raised'`)
	require.GreaterOrEqual(t, raised, 2)
	require.NoError(t, s.Notify(ctx))
	assert.Equal(t, []string{"13800000001", "13800000002", "13900000001"}, gw.mobiles(), "one each in the first minute")
	for i := 1; i < raised; i++ {
		clk.Add(61 * time.Second)
		require.NoError(t, s.Notify(ctx))
	}
	assert.Len(t, gw.mobiles(), 3*raised)
}

// robot is an httptest group robot that records the JSON it is sent and replies
// with errcode.
type robot struct {
	mu      sync.Mutex
	errcode int
	bodies  []map[string]any
	queries []string
}

func (r *robot) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var m map[string]any
	_ = json.NewDecoder(req.Body).Decode(&m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, m)
	r.queries = append(r.queries, req.URL.RawQuery)
	fmt.Fprintf(w, `{"errcode":%d,"errmsg":"x"}`, r.errcode)
}

// The WeCom and DingTalk robots get markdown messages in their documented formats,
// DingTalk's URL signed with its 加签 secret; a non-zero errcode is a failure;
// neither robot is sent more than 20 messages a minute.
func TestGroupRobots(t *testing.T) {
	pool := pgtest.Pool(t)
	people(t, pool)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	wc, dt := &robot{}, &robot{}
	wsrv, dsrv := httptest.NewServer(wc), httptest.NewServer(dt)
	defer wsrv.Close()
	defer dsrv.Close()
	signedAt := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	wecom := warningsvc.WeCom{URL: wsrv.URL + "/cgi-bin/webhook/send?key=K1"}
	ding := warningsvc.DingTalk{URL: dsrv.URL + "/robot/send?access_token=T1", Secret: "SECabc", Now: func() time.Time { return signedAt }}
	assert.NotContains(t, wecom.Target(), "K1", "the key stays out of the records")
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{wecom, ding}})
	require.NoError(t, err)
	var evs []events.Event
	for i := 0; i < 24; i++ { // 24 areas, each with a detector in alarm: 24 leak warnings
		d := detector(fmt.Sprintf("G%02d", i))
		d.Area = fmt.Sprintf("区域%02d", i)
		evs = append(evs, d, reading(d.Code, 60, clk.Now()))
	}
	require.NoError(t, s.Apply(ctx, evs))
	require.NoError(t, s.Notify(ctx))
	require.Len(t, wc.bodies, 20, "20 a minute")
	require.Len(t, dt.bodies, 20)

	assert.Equal(t, "markdown", wc.bodies[0]["msgtype"])
	content := wc.bodies[0]["markdown"].(map[string]any)["content"].(string)
	assert.Contains(t, content, "历下甲化工有限公司")
	assert.Contains(t, content, "预警发布")
	assert.Equal(t, "markdown", dt.bodies[0]["msgtype"])
	md := dt.bodies[0]["markdown"].(map[string]any)
	assert.Contains(t, md["title"], "预警发布")
	assert.Contains(t, md["text"], "县级监管")
	mac := hmac.New(sha256.New, []byte("SECabc"))
	mac.Write([]byte(strconv.FormatInt(signedAt.UnixMilli(), 10) + "\nSECabc"))
	q := dt.queries[0]
	assert.Contains(t, q, "access_token=T1")
	assert.Contains(t, q, "timestamp="+strconv.FormatInt(signedAt.UnixMilli(), 10))
	assert.Contains(t, q, "sign="+url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil))))
	assert.Equal(t, warningsvc.DingTalkSign("SECabc", signedAt.UnixMilli()), base64.StdEncoding.EncodeToString(mac.Sum(nil)))

	clk.Add(61 * time.Second)
	dt.errcode = 130101 // 发送太快
	require.NoError(t, s.Notify(ctx))
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE target LIKE 'dingtalk:%' AND status = 'failed'`))
	assert.Greater(t, len(wc.bodies), 20, "the WeCom robot goes on")
}

// A gateway that refuses one number (an error code in its reply) does not hold up
// the others: they are told in the same round, and the refused person is retried
// after the backoff, on their own.
func TestSMSOneRefusedNumberDoesNotHoldUpTheOthers(t *testing.T) {
	pool, clk, gw, srv := smsSetup(t, "k")
	ctx := context.Background()
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL, AppKey: "chemguard", Secret: "k"})
	require.NoError(t, err)
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{sms}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, clk.Now())}))
	events := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events WHERE kind = ANY($1)`, warningsvc.DefaultSMSKinds)
	require.Positive(t, events)
	gw.refuse = "13800000002"
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), 2*events, "the other two people of every event")
	assert.NotContains(t, gw.mobiles(), "13800000002")
	assert.Contains(t, pgtest.Scalar[string](t, pool, `SELECT last_error FROM warning_notifications WHERE status = 'refused' LIMIT 1`),
		"isv.BUSINESS_LIMIT_CONTROL")

	gw.refuse = ""
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), 2*events, "the refused person waits for the backoff")
	clk.Add(5 * time.Second)
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), 3*events)
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), 3*events, "each told once")
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE status <> 'sent'`))
}
