package warningsvc_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// feed is a Source serving batches handed to it, and recording commits.
type feed struct {
	in        chan []bus.Message
	committed chan int
}

func (f *feed) FetchBatch(ctx context.Context) ([]bus.Message, error) {
	select {
	case b := <-f.in:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *feed) Commit(_ context.Context, msgs []bus.Message) error {
	f.committed <- len(msgs)
	return nil
}

func (f *feed) Lag() int64 { return 0 }

// received is one exchange record of code as ingest published it at recv.
func received(tb testing.TB, table, code string, record any, recv time.Time) bus.Message {
	tb.Helper()
	rec, err := json.Marshal(record)
	require.NoError(tb, err)
	t, ok := schemas.TableBySlug(table)
	require.True(tb, ok, table)
	b, err := json.Marshal(events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: table, Company: code, Key: code,
		Version: recv.UnixNano(), ReceivedAt: recv}, Record: rec})
	require.NoError(tb, err)
	return bus.Message{Topic: t.Topic(), Key: code, Value: b}
}

// A platform-side outage is not every company's 数据中断: while nothing at all
// arrives (ingest down, the broker lagging, the platform stopped) the tick raises no
// 数据中断 alarm; once the intake resumes, a company still silent is caught after
// no_data_after counted from the resumption, and one that sends again is not.
func TestPlatformOutageRaisesNoDataForNobody(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := testclock.Start(t).Truncate(time.Second)
	clk := testclock.Frozen(t0)
	src := &feed{in: make(chan []bus.Message), committed: make(chan int, 16)}
	s, err := warningsvc.New(ctx, pool, src, warningsvc.Config{Now: clk.Now, Tick: time.Hour})
	require.NoError(t, err)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() { stop(); <-done }()
	send := func(msgs ...bus.Message) {
		t.Helper()
		src.in <- msgs
		select {
		case <-src.committed:
		case <-time.After(20 * time.Second):
			t.Fatal("batch not stored")
		}
	}
	indicator := func(code string) map[string]any {
		return map[string]any{"INDICATOR_CODE": "GT-1", "COMPANY_CODE": code, "INDICATOR_NAME": "可燃气体探测器",
			"INDICATOR_KIND": "5", "UNIT": "%LEL", "RANGE_LOW": 0, "RANGE_HIGH": 100, "HIGH": 20, "HIGH_HIGH": 50,
			"AREA": "罐区", "DELETED": "0"}
	}
	reading := func(at time.Time) map[string]any {
		return map[string]any{"INDICATOR_CODE": "GT-1", "VALUE": 1, "COLLECT_TIME": exchangeTime(at)}
	}
	const a, b = "370102001", "370102002"
	send(received(t, "indicators", a, indicator(a), t0), received(t, "indicators", b, indicator(b), t0),
		received(t, "sensor-readings", a, reading(t0), t0), received(t, "sensor-readings", b, reading(t0), t0))

	noData := func() int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE severity = 'no_data'`)
	}
	// The platform takes nothing from anyone for 30 minutes (combustible detectors
	// fall silent after 5).
	clk.Add(30 * time.Minute)
	require.NoError(t, s.Tick(ctx))
	require.Zero(t, noData(), "the platform's own outage raises no 数据中断")
	require.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warnings`))

	// The intake resumes: company A sends every minute, B stays silent.
	send(received(t, "sensor-readings", a, reading(clk.Now()), clk.Now()))
	for i := 0; i < 4; i++ {
		clk.Add(time.Minute)
		send(received(t, "sensor-readings", a, reading(clk.Now()), clk.Now()))
	}
	require.NoError(t, s.Tick(ctx))
	require.Zero(t, noData(), "silence counts from the resumption")
	clk.Add(time.Minute)
	send(received(t, "sensor-readings", a, reading(clk.Now()), clk.Now()))
	require.NoError(t, s.Tick(ctx))
	require.Equal(t, 1, noData(), "B silent for 5 minutes while the platform took A's data")
	require.Equal(t, b, pgtest.Scalar[string](t, pool, `SELECT company_code FROM alarms WHERE severity = 'no_data'`))
	require.Equal(t, t0.UTC(), pgtest.Scalar[time.Time](t, pool, `SELECT started_at FROM alarms WHERE severity = 'no_data'`).UTC(),
		"the alarm starts at B's last reading")
}

// The warning service itself stopped for 20 minutes while ingest kept taking data:
// at its restart the tick runs before the backlog is consumed, and must not judge
// every indicator silent.
func TestRestartAfterConsumerDowntimeRaisesNoDataForNobody(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := testclock.Start(t).Truncate(time.Second)
	clk := testclock.Frozen(t0)
	indicator := map[string]any{"INDICATOR_CODE": "PT-1", "COMPANY_CODE": company, "INDICATOR_NAME": "储罐压力",
		"INDICATOR_KIND": "2", "UNIT": "MPa", "RANGE_LOW": 0, "RANGE_HIGH": 2, "HIGH": 1.2, "HIGH_HIGH": 1.5, "DELETED": "0"}
	run := func(batches ...[]bus.Message) { runOnce(ctx, t, pool, clk, true, batches...) }
	reading := func(at time.Time) bus.Message {
		return received(t, "sensor-readings", company, map[string]any{"INDICATOR_CODE": "PT-1", "VALUE": 1,
			"COLLECT_TIME": exchangeTime(at)}, at)
	}
	run([]bus.Message{received(t, "indicators", company, indicator, t0), reading(t0)})
	clk.Add(20 * time.Minute)
	run([]bus.Message{reading(t0.Add(10 * time.Minute)), reading(t0.Add(20 * time.Minute))})
	require.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE severity = 'no_data'`))
}

// The same restart with the company's video analysis devices: their last 运行状态
// is 40 minutes old by the wall clock only because this service was down. Applying
// the backlog must not count them offline (device-offline points would give every
// company with four devices a blue warning for the platform's outage).
func TestRestartAfterConsumerDowntimeCountsNoDeviceOffline(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t0 := testclock.Start(t).Truncate(time.Second)
	clk := testclock.Frozen(t0)
	status := func(dev string, at time.Time) bus.Message {
		return received(t, "video-device-status", company, map[string]any{"DEVICE_CODE": dev,
			"DATE_TIME": exchangeTime(at), "RUN_STATUS": "1"}, at)
	}
	reading := func(at time.Time) bus.Message {
		return received(t, "sensor-readings", company, map[string]any{"INDICATOR_CODE": "PT-1", "VALUE": 1,
			"COLLECT_TIME": exchangeTime(at)}, at)
	}
	batch := func(at time.Time) []bus.Message {
		msgs := []bus.Message{reading(at)}
		for _, d := range []string{"V1", "V2", "V3", "V4", "V5"} {
			msgs = append(msgs, status(d, at))
		}
		return msgs
	}
	run := func(batches ...[]bus.Message) { runOnce(ctx, t, pool, clk, false, batches...) }
	run(batch(t0))
	clk.Add(40 * time.Minute)
	// The backlog: the reading of 08:01 first (devices report every 10 minutes).
	run([]bus.Message{reading(t0.Add(time.Minute))}, batch(t0.Add(10*time.Minute)))
	require.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warnings`), "no warning for the platform's downtime")
}

// runOnce runs one process of the warning service over batches, as a restart does:
// it ticks before consuming (tickFirst) or after.
func runOnce(ctx context.Context, t *testing.T, pool *pgxpool.Pool, clk *testclock.Clock, tickFirst bool, batches ...[]bus.Message) {
	t.Helper()
	src := &feed{in: make(chan []bus.Message), committed: make(chan int, 16)}
	s, err := warningsvc.New(ctx, pool, src, warningsvc.Config{Now: clk.Now, Tick: time.Hour})
	require.NoError(t, err)
	if tickFirst {
		require.NoError(t, s.Tick(ctx), "the first tick of a (re)started process")
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	for _, msgs := range batches {
		src.in <- msgs
		select {
		case <-src.committed:
		case <-time.After(20 * time.Second):
			t.Fatal("batch not stored")
		}
	}
	if !tickFirst {
		require.NoError(t, s.Tick(ctx))
	}
	stop()
	require.NoError(t, <-done)
}
