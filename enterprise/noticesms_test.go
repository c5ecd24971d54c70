package enterprise_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/imrobot"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// endpoint is an httptest receiver standing in for the SMS gateway or a
// group robot (企业微信 or 钉钉, as the test posts): it records each request's
// query and JSON body and answers reply with code in it (0 unless set), or
// 503 when down.
type endpoint struct {
	reply string // the answer: a format with one %d for code
	mu    sync.Mutex
	code  int
	down  bool
	got   []endpointCall
}

type endpointCall struct {
	Query map[string][]string
	Body  map[string]any
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	var m map[string]any
	if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.got = append(e.got, endpointCall{Query: req.URL.Query(), Body: m})
	_, _ = fmt.Fprintf(w, e.reply, e.code)
}

func (e *endpoint) set(code int, down bool) {
	e.mu.Lock()
	e.code, e.down = code, down
	e.mu.Unlock()
}

func (e *endpoint) calls() []endpointCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]endpointCall(nil), e.got...)
}

// messages are the bodies the endpoint was sent (the SMS gateway's texts).
func (e *endpoint) messages() []map[string]any {
	var out []map[string]any
	for _, c := range e.calls() {
		out = append(out, c.Body)
	}
	return out
}

// An urgent notice reaches the person's mobile through the platform's SMS
// gateway (the warning notifiers' own) once; a gateway that is down leaves the
// reason beside the notice and a later retry delivers it, without texting what
// was delivered again; a notice that is not urgent is only in the inbox.
func TestUrgentNoticesAreTexted(t *testing.T) {
	gw := &endpoint{reply: `{"code": %d}`}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL + "/sms/send", AppKey: "chemguard", Secret: "s3cret"})
	require.NoError(t, err)
	clk := testclock.New(t)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Now: clk.Now,
		Warnings:   warningsvc.Config{Notifiers: []warningsvc.Notifier{sms}},
		BaseSystem: platform.BaseSystemConfig{NoticeTemplateCode: "SMS_NOTICE_01"}})
	ctx := context.Background()
	co := enttest.Setup(t, app.App, "370102001", "370102")
	staff := co.Members[policy.EnterpriseStaff]
	head := co.Members[policy.EnterpriseDeptHead]
	enttest.SetMobile(t, app.App, staff.Username, "13800138000")
	enttest.SetMobile(t, app.App, head.Username, "13900139000")
	smsOf := func(title string) (smsAt *time.Time, smsErr *string) {
		t.Helper()
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT sms_at, sms_error FROM enterprise_notifications WHERE title = $1`, title).
			Scan(&smsAt, &smsErr))
		return smsAt, smsErr
	}

	t.Run("an urgent notice is texted to the person's mobile once", func(t *testing.T) {
		n := enterprise.Notice{Kind: "danger_overdue", Title: "重大隐患超期未整改：液氨储罐区", Body: "请立即组织整改",
			Urgent: true, Key: "danger:1"}
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{staff.UserID}, n))
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{staff.UserID}, n), "the same key again")
		require.NoError(t, app.Inbox.Retry(ctx))
		msgs := gw.messages()
		require.Len(t, msgs, 1)
		assert.Equal(t, "13800138000", msgs[0]["mobile"], "the mobile is opened from its sealed form")
		assert.Equal(t, "【危化品企业安全】重大隐患超期未整改：液氨储罐区：请立即组织整改", msgs[0]["content"])
		assert.Regexp(t, `^enterprise-notice-\d+$`, msgs[0]["request_id"])
		assert.Equal(t, "SMS_NOTICE_01", msgs[0]["template_code"], "a notice goes under its own template, not the warnings'")
		assert.Equal(t, map[string]any{"kind": "danger_overdue", "title": n.Title, "name": staff.DisplayName, "body": "请立即组织整改"},
			msgs[0]["params"])
		at, e := smsOf(n.Title)
		assert.NotNil(t, at)
		assert.Nil(t, e)
	})

	t.Run("a notice that is not urgent is not texted", func(t *testing.T) {
		before := len(gw.messages())
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{staff.UserID, head.UserID},
			enterprise.Notice{Kind: "task_due", Title: "今日排查任务：装卸区"}))
		assert.Len(t, gw.messages(), before)
		at, e := smsOf("今日排查任务：装卸区")
		assert.Nil(t, at)
		assert.Nil(t, e)
	})

	t.Run("a failed text is recorded and a later retry delivers it once", func(t *testing.T) {
		before := len(gw.messages())
		gw.set(0, true)
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{head.UserID},
			enterprise.Notice{Kind: "permit_lapsed", Title: "动火作业气体分析超时", Urgent: true}))
		at, e := smsOf("动火作业气体分析超时")
		assert.Nil(t, at)
		require.NotNil(t, e)
		assert.Contains(t, *e, "HTTP 503")
		backoff := func() (attempts int, wait time.Duration) {
			t.Helper()
			var next time.Time
			require.NoError(t, app.Pool.QueryRow(ctx, `SELECT sms_attempts, sms_next_at FROM enterprise_notifications
				WHERE title = '动火作业气体分析超时'`).Scan(&attempts, &next))
			return attempts, next.Sub(clk.Now()).Round(time.Second) // the test clock runs on from its start
		}
		attempts, wait := backoff()
		assert.Equal(t, 1, attempts)
		assert.Equal(t, time.Minute, wait, "the first retry a minute after the failure")
		// The retries back off exponentially by the injected clock: 1, 2, 4 … minutes.
		for i, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
			require.NoError(t, app.Inbox.Retry(ctx))
			n, _ := backoff()
			assert.Equal(t, i+1, n, "no retry before the backoff has passed")
			clk.Add(wait)
			require.NoError(t, app.Inbox.Retry(ctx))
			attempts, wait = backoff()
			assert.Equal(t, i+2, attempts)
			assert.Equal(t, want, wait)
		}
		assert.Len(t, gw.messages(), before, "still down")

		gw.set(0, false)
		require.NoError(t, app.Inbox.Retry(ctx))
		assert.Len(t, gw.messages(), before, "up again, but the 8-minute backoff has not passed")
		clk.Add(wait)
		require.NoError(t, app.Inbox.Retry(ctx))
		require.NoError(t, app.Inbox.Retry(ctx))
		msgs := gw.messages()[before:]
		require.Len(t, msgs, 1, "delivered once; the delivered notice before it is not sent again")
		assert.Equal(t, "13900139000", msgs[0]["mobile"])
		at, e = smsOf("动火作业气体分析超时")
		assert.NotNil(t, at)
		assert.Nil(t, e)
	})

	t.Run("the backoff is capped at an hour", func(t *testing.T) {
		gw.set(0, true)
		defer gw.set(0, false)
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{head.UserID},
			enterprise.Notice{Kind: "permit_lapsed", Title: "网关长时间中断", Urgent: true}))
		var attempts int
		var next time.Time
		for range 9 { // 1+2+4+…+256 minutes would pass the hour: the gap stops at 60
			require.NoError(t, app.Pool.QueryRow(ctx, `SELECT sms_attempts, sms_next_at FROM enterprise_notifications
				WHERE title = '网关长时间中断'`).Scan(&attempts, &next))
			clk.Add(next.Sub(clk.Now()) + time.Second)
			require.NoError(t, app.Inbox.Retry(ctx))
		}
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT sms_attempts, sms_next_at FROM enterprise_notifications
			WHERE title = '网关长时间中断'`).Scan(&attempts, &next))
		assert.Equal(t, 10, attempts)
		assert.Equal(t, time.Hour, next.Sub(clk.Now()).Round(time.Second), "never more than an hour apart")
	})

	t.Run("a text failed more than a day ago is not sent any more", func(t *testing.T) {
		before := len(gw.messages())
		gw.set(0, true)
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{staff.UserID},
			enterprise.Notice{Kind: "danger_overdue", Title: "旧的紧急通知", Urgent: true}))
		gw.set(0, false)
		clk.Add(25 * time.Hour)
		require.NoError(t, app.Inbox.Retry(ctx))
		assert.Len(t, gw.messages(), before, "stale as a text; it stays in the inbox")
		_, e := smsOf("旧的紧急通知")
		assert.NotNil(t, e)
	})
}

// A company's administrator sets its own group robot in /e (sealed), tests it
// and sees the robot's errcode; urgent notices then also reach that group,
// @-mentioning the person by mobile (WeCom mentioned_mobile_list, DingTalk
// at.atMobiles with its 加签 signature); a failing robot is retried with the
// SMS backoff on the injected clock; a company never reaches another's robot.
func TestUrgentNoticesReachTheCompanyGroup(t *testing.T) {
	robot := `{"errcode": %d, "errmsg": "test"}`
	ding, wecom := &endpoint{reply: robot}, &endpoint{reply: robot}
	dingSrv, wecomSrv := httptest.NewServer(ding), httptest.NewServer(wecom)
	t.Cleanup(dingSrv.Close)
	t.Cleanup(wecomSrv.Close)
	clk := testclock.New(t)
	// The vendors' hosts only, in production; here the fakes' loopback addresses.
	local := func(kind, webhook string) error {
		if !strings.HasPrefix(webhook, dingSrv.URL) && !strings.HasPrefix(webhook, wecomSrv.URL) {
			return imrobot.CheckWebhook(kind, webhook)
		}
		return nil
	}
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewDatabase(t), Now: clk.Now,
		BaseSystem: platform.BaseSystemConfig{IM: enterprise.IMConfig{CheckWebhook: local}}})
	ctx := context.Background()
	a := enttest.Setup(t, app.App, "370102001", "370102")
	b := enttest.Setup(t, app.App, "370203001", "370203")
	staff := a.Members[policy.EnterpriseStaff]
	enttest.SetMobile(t, app.App, staff.Username, "13800138000")
	enttest.SetMobile(t, app.App, b.Members[policy.EnterpriseStaff].Username, "13700137000")
	const secret = "SEC0123456789abcdef"
	dingHook := dingSrv.URL + "/robot/send?access_token=tok-a"

	t.Run("the administrator sets, seals and tests the robot", func(t *testing.T) {
		admin := a.Clients[policy.EnterpriseAdmin]
		page := admin.Get("/e/admin/im")
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, `id="im-none"`)
		r := admin.Post("/e/admin/im", url.Values{"kind": {"dingtalk"}, "webhook": {"http://10.0.0.5/robot/send?access_token=x"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "an address inside the network is refused")
		assert.Contains(t, r.Body, "Webhook 地址无效")
		r = admin.Post("/e/admin/im", url.Values{"kind": {"dingtalk"}, "webhook": {dingHook}, "secret": {secret}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		var hook, sec string
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT webhook, secret FROM enterprise_im_robots WHERE company = $1`, a.Code).Scan(&hook, &sec))
		assert.NotContains(t, hook, "tok-a", "the webhook is sealed")
		assert.NotContains(t, sec, "SEC0", "the secret is sealed")
		page = admin.Get("/e/admin/im")
		assert.NotContains(t, page.Body, "tok-a")
		assert.Contains(t, page.Body, "钉钉自定义机器人")

		r = admin.Post("/e/admin/im/test", url.Values{})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, "errcode 0")
		ding.set(310000, false)
		r = admin.Post("/e/admin/im/test", url.Values{})
		assert.Contains(t, r.Body, "errcode 310000", "the robot's refusal is shown")
		ding.set(0, false)
		require.Len(t, ding.calls(), 2)
		assert.Contains(t, ding.calls()[0].Body["text"].(map[string]any)["content"], "【测试】")
		assert.Equal(t, http.StatusForbidden, a.Clients[policy.EnterpriseSafety].Get("/e/admin/im").Status, "the administrator's page")

		b.Clients[policy.EnterpriseAdmin].Get("/e/admin/im")
		require.Equal(t, http.StatusSeeOther, b.Clients[policy.EnterpriseAdmin].Post("/e/admin/im",
			url.Values{"kind": {"wecom"}, "webhook": {wecomSrv.URL + "/cgi-bin/webhook/send?key=key-b"}}).Status)
	})

	t.Run("an urgent notice mentions the person in the company's own group", func(t *testing.T) {
		before := len(ding.calls())
		require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID}, enterprise.Notice{Kind: "danger_overdue",
			Title: "重大隐患超期未整改：液氨储罐区", Body: "请立即组织整改", Link: "/e/dangers/1", Urgent: true}))
		calls := ding.calls()[before:]
		require.Len(t, calls, 1)
		c := calls[0]
		assert.Equal(t, "text", c.Body["msgtype"])
		assert.Equal(t, []any{"13800138000"}, c.Body["at"].(map[string]any)["atMobiles"])
		content := c.Body["text"].(map[string]any)["content"].(string)
		assert.Contains(t, content, "重大隐患超期未整改：液氨储罐区")
		assert.Contains(t, content, "@13800138000")
		require.Len(t, c.Query["timestamp"], 1)
		ts, err := strconv.ParseInt(c.Query["timestamp"][0], 10, 64)
		require.NoError(t, err)
		assert.WithinDuration(t, clk.Now(), time.UnixMilli(ts), 5*time.Second, "signed at the injected clock's time")
		assert.Equal(t, []string{imrobot.Sign(secret, ts)}, c.Query["sign"], "加签 with the company's secret")
		assert.Equal(t, []string{"tok-a"}, c.Query["access_token"])
		assert.Empty(t, wecom.calls(), "company B's robot hears nothing of A")

		require.NoError(t, app.Inbox.Notify(ctx, b.Code, []int64{b.Members[policy.EnterpriseStaff].UserID},
			enterprise.Notice{Kind: "sos", Title: "SOS 求救：罐区巡检", Urgent: true}))
		require.Len(t, wecom.calls(), 1)
		text := wecom.calls()[0].Body["text"].(map[string]any)
		assert.Equal(t, []any{"13700137000"}, text["mentioned_mobile_list"])
		assert.Len(t, ding.calls(), before+1, "company A's robot hears nothing of B")
		// A member of A is never in B's group message, whatever the caller passes.
		require.NoError(t, app.Inbox.Notify(ctx, b.Code, []int64{staff.UserID}, enterprise.Notice{Kind: "sos", Title: "越界", Urgent: true}))
		assert.Len(t, wecom.calls(), 1)
	})

	t.Run("a failing robot is retried with the backoff of the texts", func(t *testing.T) {
		before := len(ding.calls())
		ding.set(0, true)
		require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID},
			enterprise.Notice{Kind: "permit_lapsed", Title: "动火作业气体分析超时", Urgent: true}))
		state := func() (at *time.Time, e *string, attempts int, next *time.Time) {
			t.Helper()
			require.NoError(t, app.Pool.QueryRow(ctx, `SELECT im_at, im_error, im_attempts, im_next_at FROM enterprise_notifications
				WHERE title = '动火作业气体分析超时'`).Scan(&at, &e, &attempts, &next))
			return
		}
		at, e, attempts, next := state()
		assert.Nil(t, at)
		require.NotNil(t, e)
		assert.Contains(t, *e, "HTTP 503")
		assert.Equal(t, 1, attempts)
		assert.Equal(t, time.Minute, next.Sub(clk.Now()).Round(time.Second))
		require.NoError(t, app.Inbox.Retry(ctx))
		_, _, attempts, _ = state()
		assert.Equal(t, 1, attempts, "not before the backoff")
		clk.Add(time.Minute)
		require.NoError(t, app.Inbox.Retry(ctx))
		_, _, attempts, next = state()
		assert.Equal(t, 2, attempts)
		assert.Equal(t, 2*time.Minute, next.Sub(clk.Now()).Round(time.Second))

		ding.set(0, false)
		clk.Add(2 * time.Minute)
		require.NoError(t, app.Inbox.Retry(ctx))
		require.NoError(t, app.Inbox.Retry(ctx))
		at, e, _, _ = state()
		assert.NotNil(t, at)
		assert.Nil(t, e)
		require.Len(t, ding.calls(), before+1, "delivered once")
	})

	t.Run("over 20 a minute waits for the next minute", func(t *testing.T) {
		before := len(ding.calls())
		for i := range imrobot.PerMinute + 2 {
			require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID},
				enterprise.Notice{Kind: "sos", Title: fmt.Sprintf("批量报警 %d", i), Urgent: true}))
		}
		sent := len(ding.calls()) - before
		assert.LessOrEqual(t, sent, imrobot.PerMinute)
		var limited int
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT count(*) FROM enterprise_notifications WHERE title LIKE '批量报警%'
			AND im_error LIKE '%20%'`).Scan(&limited))
		assert.Equal(t, imrobot.PerMinute+2-sent, limited)
		clk.Add(2 * time.Minute)
		require.NoError(t, app.Inbox.Retry(ctx))
		assert.Equal(t, imrobot.PerMinute+2, len(ding.calls())-before, "the rest go out in the next minute")
	})
}
