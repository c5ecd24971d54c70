package positioning_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// smsGateway is an httptest SMS gateway recording what it is sent.
type smsGateway struct {
	mu   sync.Mutex
	sent []map[string]any
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.sent = append(g.sent, m)
	g.mu.Unlock()
	_, _ = w.Write([]byte(`{"code": 0}`))
}

func (g *smsGateway) messages() []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]map[string]any(nil), g.sent...)
}

// plant is a running platform with one company set up for positioning: a
// floor, a fence and three tagged people, and a gateway credential issued
// through the pages.
type plant struct {
	app     *platformtest.Running
	clock   *testclock.Clock
	svc     *positioning.Service
	sms     *smsGateway
	co      *enttest.Company
	safety  *enttest.Client
	key     string
	secret  string
	fenceID int64
}

func newPlant(t testing.TB) *plant {
	t.Helper()
	p := &plant{clock: testclock.New(t), sms: &smsGateway{}}
	srv := httptest.NewServer(p.sms)
	t.Cleanup(srv.Close)
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL + "/sms/send", AppKey: "chemguard", Secret: "s3cret"})
	require.NoError(t, err)
	box, err := sealed.NewBox(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	p.app = platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Now: p.clock.Now,
		Warnings: warningsvc.Config{Notifiers: []warningsvc.Notifier{sms}},
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond},
			Modules: []enterprise.ModuleFactory{positioning.Factory(positioning.Config{Box: box}, func(s *positioning.Service) { p.svc = s })}}})
	p.co = enttest.Setup(t, p.app.App, "370102001", "370102")
	enttest.SetMobile(t, p.app.App, p.co.Members[policy.EnterpriseSafety].Username, "13800138000")
	p.safety = p.co.Clients[policy.EnterpriseSafety]

	p.safety.Get("/e/positioning/setup")
	r := p.safety.Post("/e/positioning/floors", url.Values{"floor": {"1"}, "name": {"地面厂区"}, "width": {"200"}, "height": {"120"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = p.safety.Post("/e/positioning/fences", url.Values{"floor": {"1"}, "name": {"液氨罐区"}, "kind": {"hazard"},
		"points": {"10,10;50,10;50,40;10,40"}, "max_people": {"2"}, "active_from": {"00:00"}, "active_to": {"00:00"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	p.fenceID = pgtest.Scalar[int64](t, p.app.Pool, `SELECT id FROM pos_fences WHERE name = '液氨罐区'`)

	p.safety.Get("/e/positioning/people")
	for _, f := range []url.Values{
		{"kind": {"employee"}, "user": {fmt.Sprint(p.co.Members[policy.EnterpriseStaff].UserID)}, "trade": {"操作工"}, "card_no": {"C001"}},
		{"kind": {"visitor"}, "name": {"王来访"}, "unit": {"济南安评中心"}, "age": {"45"}, "training": {"入厂安全教育"}, "card_no": {"V001"}},
		{"kind": {"driver"}, "name": {"李司机"}, "unit": {"鲁运物流"}, "card_no": {"D001"}},
	} {
		r := p.safety.Post("/e/positioning/people", f)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	}

	p.safety.Get("/e/positioning/setup")
	r = p.safety.Post("/e/positioning/gateways", url.Values{"name": {"UWB 定位引擎"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	p.key = regexp.MustCompile(`id="gateway-key">([^<]+)<`).FindStringSubmatch(r.Body)[1]
	p.secret = regexp.MustCompile(`id="gateway-secret">([^<]+)<`).FindStringSubmatch(r.Body)[1]
	stored := pgtest.Scalar[string](t, p.app.Pool, `SELECT secret FROM pos_gateways`)
	require.True(t, strings.HasPrefix(stored, sealed.Prefix), "the signing secret is sealed, not stored as issued")
	return p
}

type fix struct {
	Card  string  `json:"card_no"`
	Time  string  `json:"time"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Floor string  `json:"floor"`
	SOS   bool    `json:"sos,omitempty"`
}

// push posts body as the gateway, signed with its secret at the plant's clock.
func (p *plant) push(t testing.TB, body any) (int, positioning.Result) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, p.app.URL()+positioning.APIPath, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", "application/json")
	require.NoError(t, signing.SignRequest(req.Header, p.secret, http.MethodPost, positioning.APIPath, b, p.clock.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var res positioning.Result
	_ = json.NewDecoder(resp.Body).Decode(&res)
	return resp.StatusCode, res
}

func (p *plant) at(d time.Duration) string {
	return p.clock.Now().Add(d).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
}

// staged returns the 表1 records the module staged for the platform, in order.
func (p *plant) staged(t *testing.T) []map[string]any {
	t.Helper()
	rows, err := p.app.Pool.Query(context.Background(), `SELECT record FROM enterprise_outbox WHERE slug = 'positioning-alarms' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var m map[string]any
		require.NoError(t, rows.Scan(&m))
		out = append(out, m)
	}
	return out
}

// eventually is enttest.Eventually, under the name this package's tests use.
var eventually = enttest.Eventually

// The gateway's fixes break a fence's person limit: the good fixes are kept
// beside a bilingual error for each bad one, the 超员 alarm is on the live
// map, is published as 表1 alarm, handled (alarm:handle under the same id)
// and confirmed; the signature is required and a replay refused.
func TestOvercrowdingClosedLoop(t *testing.T) {
	p := newPlant(t)
	status, res := p.push(t, []any{
		fix{Card: "C001", Time: p.at(-2 * time.Second), X: 20, Y: 20, Floor: "1"},
		fix{Card: "V001", Time: p.at(-time.Second), X: 30, Y: 25, Floor: "1"},
		fix{Card: "NOBODY", Time: p.at(0), X: 30, Y: 25, Floor: "1"},
		map[string]any{"card_no": "D001", "time": "昨天", "x": 1, "y": 1, "floor": "1"},
		fix{Card: "D001", Time: p.at(0), X: 100, Y: 100, Floor: "9"},
	})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2, res.Accepted, "%+v", res)
	require.Len(t, res.Errors, 3)
	assert.Equal(t, 3, res.Errors[0].Index)
	assert.EqualValues(t, "datetime", res.Errors[0].Rule)
	assert.Contains(t, res.Errors[0].MessageZH, "第 4 条定位数据")
	assert.EqualValues(t, "unbound_card", res.Errors[1].Rule)
	assert.Equal(t, "第 3 条定位数据：卡号 NOBODY 未绑定人员，请先在“人员与定位卡”中绑定", res.Errors[1].MessageZH)
	assert.Equal(t, "fix 3: tag NOBODY is not bound to anyone", res.Errors[1].MessageEN)
	assert.EqualValues(t, "unknown_floor", res.Errors[2].Rule)
	assert.Equal(t, 1, res.Alarms)

	live := p.safety.Get("/e/positioning/live.json")
	var l positioning.Live
	require.NoError(t, json.Unmarshal([]byte(live.Body), &l))
	require.Len(t, l.Alarms, 1)
	alarm := l.Alarms[0]
	assert.Equal(t, positioning.AlarmOvercrowd, alarm.Type)
	assert.Equal(t, "液氨罐区现有 2 人，达到限定人数 2 人", alarm.Info)
	assert.Equal(t, 2, l.Fences[0].Count)
	assert.Equal(t, map[string]int{"企业员工": 1, "访客": 1}, l.Fences[0].ByKind)

	// The same condition on the next fix is the same alarm.
	status, res = p.push(t, []any{fix{Card: "V001", Time: p.at(0), X: 31, Y: 25, Floor: "1"}})
	require.Equal(t, http.StatusOK, status)
	assert.Zero(t, res.Alarms)

	page := p.safety.Get("/e/positioning/alarms/" + alarm.ID)
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, "王来访")
	r := p.safety.Post("/e/positioning/alarms/"+alarm.ID+"/handle", url.Values{"handle_info": {""}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, "处理信息：必填")
	r = p.safety.Post("/e/positioning/alarms/"+alarm.ID+"/confirm", nil)
	assert.Equal(t, http.StatusConflict, r.Status, "not handled yet")
	r = p.safety.Post("/e/positioning/alarms/"+alarm.ID+"/handle", url.Values{"handle_info": {"已通知访客离开罐区"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = p.safety.Post("/e/positioning/alarms/"+alarm.ID+"/confirm", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	a, err := p.svc.Alarm(context.Background(), p.co.Code, alarm.ID)
	require.NoError(t, err)
	assert.Equal(t, "已确认", a.Status())

	recs := p.staged(t)
	require.Len(t, recs, 2)
	assert.Equal(t, recs[0]["id"], recs[1]["id"], "alarm and clear under one id")
	assert.Equal(t, "alarm", recs[0]["type"])
	assert.Equal(t, "04", recs[0]["alarmType"])
	assert.Equal(t, "液氨罐区", recs[0]["alarmLocation"])
	assert.Equal(t, "V001", recs[0]["CARD_NO"], "the alarm names the one whose entry reached the limit")
	assert.Equal(t, "alarm:handle", recs[1]["type"])
	assert.Equal(t, "已通知访客离开罐区", recs[1]["handleInfo"])
	assert.NotEmpty(t, recs[1]["handleTime"])

	t.Run("the gateway must sign, and cannot replay", func(t *testing.T) {
		b := []byte(`[]`)
		req, _ := http.NewRequest(http.MethodPost, p.app.URL()+positioning.APIPath, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+p.key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "unsigned")
		body, _ := json.Marshal([]fix{{Card: "C001", Time: p.at(0), X: 1, Y: 1, Floor: "1"}})
		req, _ = http.NewRequest(http.MethodPost, p.app.URL()+positioning.APIPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+p.key)
		require.NoError(t, signing.SignRequest(req.Header, p.secret, http.MethodPost, positioning.APIPath, body, p.clock.Now()))
		again := req.Clone(context.Background())
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		again.Body, again.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		resp, err = http.DefaultClient.Do(again)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "replayed nonce")
	})
}

// An SOS from a tag: a red 违规行为 warning on the platform, and the safety
// officer texted through the SMS gateway.
func TestSOSRaisesRedWarningAndSMS(t *testing.T) {
	p := newPlant(t)
	status, res := p.push(t, []any{fix{Card: "D001", Time: p.at(0), X: 120, Y: 80, Floor: "1", SOS: true}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, res.Alarms)
	var texted map[string]any
	eventually(t, 10*time.Second, "the SOS texted to the safety officer", func() bool {
		for _, m := range p.sms.messages() {
			if m["mobile"] == "13800138000" {
				texted = m
				return true
			}
		}
		return false
	})
	assert.Contains(t, texted["content"], "一键求救报警：厂区")
	assert.Contains(t, texted["content"], "李司机在厂区一键求救")
	eventually(t, 30*time.Second, "a red violation warning for the company", func() bool {
		var level string
		err := p.app.Pool.QueryRow(context.Background(), `SELECT level FROM warnings WHERE company_code = $1 AND model = 'violation' AND status = 'open'`,
			p.co.Code).Scan(&level)
		return err == nil && level == "red"
	})
	// A second press while the first is not handled is the same alarm.
	_, res = p.push(t, []any{fix{Card: "D001", Time: p.at(time.Second), X: 120, Y: 80, Floor: "1", SOS: true}})
	assert.Zero(t, res.Alarms)
}

// Tracks are kept for the retention window and no longer: the purge honours
// it on the injected clock, and a window under 30 days is refused.
func TestTrackRetention(t *testing.T) {
	_, err := positioning.NewService(positioning.Config{Retention: 29 * 24 * time.Hour}, nil, nil, nil, nil, nil)
	require.ErrorIs(t, err, positioning.ErrRetention)

	p := newPlant(t)
	ctx := context.Background()
	status, _ := p.push(t, []any{fix{Card: "C001", Time: p.at(-time.Hour), X: 60, Y: 60, Floor: "1"}, fix{Card: "C001", Time: p.at(0), X: 61, Y: 70, Floor: "1"}})
	require.Equal(t, http.StatusOK, status)
	person := pgtest.Scalar[int64](t, p.app.Pool, `SELECT person_id FROM pos_tags WHERE card_no = 'C001'`)
	track, err := p.svc.Track(ctx, p.co.Code, person, p.clock.Now().Add(-48*time.Hour), p.clock.Now().Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, track, 2)

	p.clock.Add(89 * 24 * time.Hour)
	n, err := p.svc.Purge(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "89 days old: within the default 90")
	p.clock.Add(24*time.Hour - 30*time.Minute) // 90 days after the first fix's hour, not the second's
	n, err = p.svc.Purge(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the fix older than 90 days went, the later one stays")
	p.clock.Add(time.Hour)
	n, err = p.svc.Purge(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

// BenchmarkFixToMap measures 指南 5(2)'s 延时 on the platform: from the
// gateway's signed batch leaving to the live map's server-sent event showing
// the new position (one fix per batch, one browser stream open). Run:
//
//	go test -run '^$' -bench FixToMap -benchtime 200x ./enterprise/positioning/
func BenchmarkFixToMap(b *testing.B) {
	p := newPlant(b)
	req, err := http.NewRequest(http.MethodGet, p.app.URL()+"/e/positioning/live", nil)
	require.NoError(b, err)
	req.Header.Set("Accept", "text/event-stream")
	stream := &http.Client{Jar: p.safety.HTTP.Jar} // no timeout: the stream stays open
	resp, err := stream.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	require.Equal(b, http.StatusOK, resp.StatusCode)
	events := make(chan positioning.Live, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var l positioning.Live
				if json.Unmarshal([]byte(data), &l) == nil {
					events <- l
				}
			}
		}
		close(events)
	}()
	<-events // the picture as the stream opens
	var worst, worstPush, total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := 60 + float64(i%100)/10
		start := time.Now()
		// Millisecond times (RFC 3339), as a UWB engine sends several fixes a second.
		status, _ := p.push(b, []any{fix{Card: "D001", Time: p.clock.Now().Format(time.RFC3339Nano), X: x, Y: 60, Floor: "1"}})
		require.Equal(b, http.StatusOK, status)
		pushed := time.Since(start)
	wait:
		for {
			l, ok := <-events
			require.True(b, ok, "the stream ended")
			for _, person := range l.People {
				if person.Card == "D001" && person.X == x {
					break wait
				}
			}
		}
		d := time.Since(start)
		total += d
		if d > worst {
			worst, worstPush = d, pushed
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "fix-to-map-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.Logf("%d fixes: mean %s, worst %s (of which the gateway's request %s)", b.N, total/time.Duration(b.N), worst, worstPush)
}

// A member of one company reaches nothing of another's positioning: people,
// fences, alarms, gateways, plans, the live picture, the phone's alarm pages.
// On the phone an operator handles an alarm but may not confirm it, and sees
// the alarms of their own area once the module knows it.
func TestIsolation(t *testing.T) {
	p := newPlant(t)
	b := enttest.Setup(t, p.app.App, "370102002", "370102")
	bs := b.Clients[policy.EnterpriseSafety]
	bs.Get("/e/positioning/setup")
	require.Equal(t, http.StatusSeeOther, bs.Post("/e/positioning/floors", url.Values{"floor": {"2"}, "width": {"50"}, "height": {"50"}}).Status)
	require.Equal(t, http.StatusSeeOther, bs.Post("/e/positioning/fences", url.Values{"floor": {"2"}, "name": {"乙厂罐区"}, "kind": {"area"},
		"points": {"1,1;20,1;20,20"}}).Status)
	bs.Get("/e/positioning/people")
	require.Equal(t, http.StatusSeeOther, bs.Post("/e/positioning/people", url.Values{"kind": {"visitor"}, "name": {"赵乙厂"}, "card_no": {"B001"}}).Status)
	person := pgtest.Scalar[int64](t, p.app.Pool, `SELECT id FROM pos_people WHERE name = '赵乙厂'`)

	enttest.AssertIsolated(t, p.app.Routes(), p.safety, map[string]string{"id": fmt.Sprint(person), "floor": "2"}, "赵乙厂", "乙厂罐区", "370102002")
	_, res := p.push(t, []any{fix{Card: "B001", Time: p.at(0), X: 5, Y: 5, Floor: "2"}})
	require.Len(t, res.Errors, 1, "A's gateway cannot report B's tag")
	assert.EqualValues(t, "unbound_card", res.Errors[0].Rule)

	// The phone pages (/e/m/positioning): A's 超员 alarm is A's alone.
	_, res = p.push(t, []any{fix{Card: "C001", Time: p.at(0), X: 20, Y: 20, Floor: "1"}, fix{Card: "V001", Time: p.at(0), X: 30, Y: 25, Floor: "1"}})
	require.Equal(t, 1, res.Alarms)
	id := pgtest.Scalar[string](t, p.app.Pool, `SELECT id::text FROM pos_alarms`)
	phone := "/e/m/positioning/alarms/" + id
	assert.NotContains(t, bs.Get("/e/m/positioning").Body, "液氨罐区")
	assert.Equal(t, http.StatusNotFound, bs.Get(phone).Status)
	assert.Equal(t, http.StatusNotFound, bs.Post(phone+"/handle", url.Values{"handle_info": {"乙厂代为处置"}}).Status)
	assert.Equal(t, http.StatusNotFound, bs.Post(phone+"/confirm", nil).Status)

	// A's operator sees the company's alarm (no area of theirs is known yet)
	// and who is inside, handles it on the phone, but may not confirm it.
	staff := p.co.Clients[policy.EnterpriseStaff]
	list := staff.Get("/e/m/positioning")
	require.Equal(t, http.StatusOK, list.Status)
	assert.Contains(t, list.Body, `href="/e/m/positioning/alarms/`+id+`"`)
	page := staff.Get(phone)
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, "王来访", "the evacuation list names the visitor inside the area")
	r := staff.Post(phone+"/handle", url.Values{"handle_info": {""}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, "处理信息")
	r = staff.Post(phone+"/handle", url.Values{"handle_info": {"已令访客撤出罐区"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	assert.Equal(t, phone+"?flash=%E5%B7%B2%E4%BF%9D%E5%AD%98", r.Location)
	assert.Equal(t, http.StatusConflict, staff.Post(phone+"/handle", url.Values{"handle_info": {"再次处置"}}).Status)

	// Once the module knows the operator's post, the phone lists that area's
	// alarms only: the tank farm's alarm is not theirs, still the manager's.
	p.safety.Get("/e/positioning/setup")
	require.Equal(t, http.StatusSeeOther, p.safety.Post("/e/positioning/fences", url.Values{"floor": {"1"}, "name": {"合成车间操作岗"}, "kind": {"post"},
		"points": {"100,10;150,10;150,40;100,40"}, "active_from": {"00:00"}, "active_to": {"00:00"}}).Status)
	post := pgtest.Scalar[int64](t, p.app.Pool, `SELECT id FROM pos_fences WHERE name = '合成车间操作岗'`)
	operator := pgtest.Scalar[int64](t, p.app.Pool, `SELECT id FROM pos_people WHERE user_id = $1`, p.co.Members[policy.EnterpriseStaff].UserID)
	p.safety.Get("/e/positioning/people")
	require.Equal(t, http.StatusSeeOther, p.safety.Post(fmt.Sprintf("/e/positioning/people/%d/post", operator), url.Values{"fence": {fmt.Sprint(post)}}).Status)
	list = staff.Get("/e/m/positioning")
	assert.Contains(t, list.Body, "待处置报警（我的区域）")
	assert.Contains(t, list.Body, "合成车间操作岗")
	assert.NotContains(t, list.Body, id)
	assert.Contains(t, p.safety.Get("/e/m/positioning").Body, id, "a manager sees the company's alarms")

	assert.Equal(t, http.StatusForbidden, staff.Post(phone+"/confirm", nil).Status)
	p.safety.Get(phone)
	require.Equal(t, http.StatusSeeOther, p.safety.Post(phone+"/confirm", nil).Status)
	assert.Contains(t, p.safety.Get(phone).Body, "已确认")
}
