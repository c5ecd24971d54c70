package warningsvc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// recorder is a notifier that can be made to fail.
type recorder struct {
	mu   sync.Mutex
	fail bool
	got  []warningsvc.Notice
}

func (r *recorder) Target() string { return "test" }
func (r *recorder) Notify(_ context.Context, n warningsvc.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("gateway down")
	}
	r.got = append(r.got, n)
	return nil
}

// Every warning change is told once to every notifier; a target that is down is
// retried at the next round, and what it was told and when is recorded.
func TestNotifiersAreToldEveryChangeOnce(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	var mu sync.Mutex
	var posted []warningsvc.Notice
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n warningsvc.Notice
		if json.NewDecoder(r.Body).Decode(&n) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		posted = append(posted, n)
		mu.Unlock()
	}))
	defer hook.Close()
	rec := &recorder{fail: true}
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now,
		Notifiers: []warningsvc.Notifier{rec, warningsvc.Webhook{URL: hook.URL}}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, clk.Now())}))
	events := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events`)
	require.Positive(t, events)

	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, rec.got)
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE target = 'test' AND status = 'failed'`))
	assert.Len(t, posted, events)

	rec.fail = false
	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, rec.got, "a failed target waits before it is tried again")
	clk.Add(5 * time.Second)
	require.NoError(t, s.Notify(ctx))
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, rec.got, events)
	assert.Len(t, posted, events)
	assert.Equal(t, "warning_raised", posted[0].Kind)
	assert.Equal(t, company, posted[0].Company)
	assert.Equal(t, 2*events, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE status = 'sent' AND sent_at IS NOT NULL`))
	assert.Equal(t, 2, pgtest.Scalar[int](t, pool, `SELECT attempts FROM warning_notifications WHERE target = 'test' ORDER BY event_id LIMIT 1`))
}

// A warning not yet acknowledged is announced again every RemindEvery, and no more
// once the company has acknowledged it.
func TestRemindersRepeatUntilAcknowledged(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	rec := &recorder{}
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, RemindEvery: 5 * time.Minute,
		Notifiers: []warningsvc.Notifier{rec}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, clk.Now())}))
	open := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warnings WHERE status = 'open'`)
	reminders := func() int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events WHERE kind = 'reminder'`)
	}
	clk.Add(4 * time.Minute)
	require.NoError(t, s.Remind(ctx))
	assert.Zero(t, reminders())
	clk.Add(time.Minute)
	require.NoError(t, s.Remind(ctx))
	require.NoError(t, s.Remind(ctx))
	assert.Equal(t, open, reminders())

	key := leakWarning(t, pool)
	_, err = s.Act(ctx, company, key, warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.NoError(t, err)
	clk.Add(5 * time.Minute)
	require.NoError(t, s.Remind(ctx))
	assert.Equal(t, 2*open-1, reminders(), "the acknowledged warning is not reminded again")
	require.NoError(t, s.Notify(ctx))
	var kinds []string
	for _, n := range rec.got {
		kinds = append(kinds, n.Kind)
	}
	assert.Contains(t, kinds, warningsvc.KindReminder)
}

// A target is sent at most NotifyPerMinute notices a minute; the rest follow in
// order in later minutes.
func TestNotificationsAreRateLimitedPerTarget(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	rec := &recorder{}
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, NotifyPerMinute: 1,
		Notifiers: []warningsvc.Notifier{rec}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, clk.Now())}))
	events := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events`)
	require.Greater(t, events, 1)
	require.NoError(t, s.Notify(ctx))
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, rec.got, 1)
	for i := 1; i < events; i++ {
		clk.Add(61 * time.Second)
		require.NoError(t, s.Notify(ctx))
	}
	require.Len(t, rec.got, events)
	assert.Less(t, rec.got[0].Event, rec.got[1].Event, "in order")
}

// A gateway down for two hours loses nothing: the events waiting are told, in
// order, once it is back — a target being down is not a reason to give an event up
// (only a refusal of that one message is, after notifyAttempts).
func TestLongGatewayOutageLosesNoNotification(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	rec := &recorder{fail: true}
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{rec}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, clk.Now())}))
	events := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events`)
	require.Positive(t, events)
	for i := 0; i < 24*60; i++ { // a round every 5 s for two hours
		require.NoError(t, s.Notify(ctx))
		clk.Add(5 * time.Second)
	}
	tries := pgtest.Scalar[int](t, pool, `SELECT max(attempts) FROM warning_notifications`)
	assert.LessOrEqual(t, tries, 20, "a down target is tried with backoff, not every round")
	rec.fail = false
	clk.Add(10 * time.Minute)
	require.NoError(t, s.Notify(ctx))
	require.Len(t, rec.got, events, "every change waiting is told once the gateway is back")
	assert.Equal(t, "warning_raised", rec.got[0].Kind)
}
