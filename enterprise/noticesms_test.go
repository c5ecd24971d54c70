package enterprise_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// smsGateway is an httptest SMS gateway recording what it is sent; down makes
// it answer 503.
type smsGateway struct {
	mu   sync.Mutex
	down bool
	sent []map[string]any
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g.sent = append(g.sent, m)
	_, _ = w.Write([]byte(`{"code": 0}`))
}

func (g *smsGateway) setDown(down bool) { g.mu.Lock(); g.down = down; g.mu.Unlock() }

func (g *smsGateway) messages() []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]map[string]any(nil), g.sent...)
}

// An urgent notice reaches the person's mobile through the platform's SMS
// gateway (the warning notifiers' own) once; a gateway that is down leaves the
// reason beside the notice and a later retry delivers it, without texting what
// was delivered again; a notice that is not urgent is only in the inbox.
func TestUrgentNoticesAreTexted(t *testing.T) {
	gw := &smsGateway{}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL + "/sms/send", AppKey: "chemguard", Secret: "s3cret"})
	require.NoError(t, err)
	clk := testclock.New(t)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Now: clk.Now,
		Warnings: warningsvc.Config{Notifiers: []warningsvc.Notifier{sms}}})
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
		gw.setDown(true)
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

		gw.setDown(false)
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
		gw.setDown(true)
		defer gw.setDown(false)
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
		gw.setDown(true)
		require.NoError(t, app.Inbox.Notify(ctx, co.Code, []int64{staff.UserID},
			enterprise.Notice{Kind: "danger_overdue", Title: "旧的紧急通知", Urgent: true}))
		gw.setDown(false)
		clk.Add(25 * time.Hour)
		require.NoError(t, app.Inbox.Retry(ctx))
		assert.Len(t, gw.messages(), before, "stale as a text; it stays in the inbox")
		_, e := smsOf("旧的紧急通知")
		assert.NotNil(t, e)
	})
}
