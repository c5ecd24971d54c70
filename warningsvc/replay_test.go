package warningsvc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// envelope is one exchange record as the ingestion pipeline publishes it, received
// at recv.
func envelope(tb testing.TB, table string, record any, recv time.Time) bus.Message {
	tb.Helper()
	m := received(tb, table, company, record, recv)
	return bus.Message{Topic: m.Topic, Key: company, Value: m.Value}
}

func exchangeTime(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout) }

// The first start of the warning consumer group on a deployment whose topics already
// hold days of data reads from the oldest retained offset: the indicator definitions
// sent long ago are known, so the alarm of a detector that is beyond its limit NOW is
// rebuilt and announced; the readings and the video 明火 alarm of two hours ago are
// history — recorded, but they raise no alarm, no warning and no notification.
func TestFirstStartOfTheGroupRebuildsCurrentAlarmsOnly(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	broker, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Partitions: 3})
	require.NoError(t, err)
	defer broker.Close()
	cfg := bus.Config{Brokers: []string{broker.Addr()}, Partitions: 3, ReplicationFactor: 1}
	require.NoError(t, bus.EnsureTopics(ctx, cfg, warningsvc.Topics()))

	clk := testclock.New(t)
	// Before the day's 10:00 安全承诺 deadline: until the first batch of readings
	// gives the engine the platform's intake clock, a batch of only definitions or
	// video alarms is assessed on the wall clock, where after 10:00 a company that
	// sent no commitment today has missed it — an enterprise warning this test is
	// not about, raised or not by how the broker happens to split the batches.
	clk.Set(testclock.OnDay(clk.Now(), 8, 30))
	now := clk.Now()
	old := now.Add(-2 * time.Hour)
	indicator := func(code string) map[string]any {
		return map[string]any{"INDICATOR_CODE": code, "COMPANY_CODE": company, "INDICATOR_NAME": "可燃气体探测器",
			"INDICATOR_KIND": "5", "UNIT": "%LEL", "RANGE_LOW": 0, "RANGE_HIGH": 100, "HIGH": 20, "HIGH_HIGH": 50,
			"AREA": "罐区", "DELETED": "0"}
	}
	reading := func(code string, v float64, at time.Time) map[string]any {
		return map[string]any{"INDICATOR_CODE": code, "VALUE": v, "COLLECT_TIME": exchangeTime(at)}
	}
	msgs := []bus.Message{
		envelope(t, "indicators", indicator("OLD-1"), now),
		envelope(t, "indicators", indicator("NOW-1"), now),
	}
	for i := 0; i < 30; i++ { // two hours ago: OLD-1 far beyond 高高报 for half an hour, then normal
		v := 80.0
		if i >= 20 {
			v = 1
		}
		msgs = append(msgs, envelope(t, "sensor-readings", reading("OLD-1", v, old.Add(time.Duration(i)*time.Minute)), now))
	}
	msgs = append(msgs,
		envelope(t, "video-alarms", map[string]any{"ALARM_ID": "fire-1", "ALARM_TYPE": "1", "ALARM_STATUS": "1",
			"ALARM_TIME": exchangeTime(old), "VIDEO_CODE": "v1"}, now),
		envelope(t, "sensor-readings", reading("NOW-1", 1, now.Add(-3*time.Minute)), now),
		envelope(t, "sensor-readings", reading("NOW-1", 30, now.Add(-time.Minute)), now),
	)
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Publish(ctx, msgs))
	require.NoError(t, p.Close())

	consumer, err := warningsvc.NewConsumer(cfg)
	require.NoError(t, err)
	defer consumer.Close()
	rec := &recorder{}
	s, err := warningsvc.New(ctx, pool, consumer, warningsvc.Config{Now: clk.Now, Tick: time.Hour, Notifiers: []warningsvc.Notifier{rec}})
	require.NoError(t, err)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	require.Eventually(t, func() bool {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE indicator_code = 'NOW-1'`) == 1 &&
			pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE source = 'video'`) == 1
	}, 30*time.Second, 100*time.Millisecond, "the retained data is consumed from its oldest offset")
	stop()
	require.NoError(t, <-done)

	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE indicator_code = 'OLD-1'`),
		"two-hour-old exceedances raise nothing")
	assert.Equal(t, "high", pgtest.Scalar[string](t, pool, `SELECT severity FROM alarms WHERE indicator_code = 'NOW-1'`))
	var models []string
	rows, err := pool.Query(ctx, `SELECT model || '/' || subject FROM warnings ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var m string
		require.NoError(t, rows.Scan(&m))
		models = append(models, m)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"leak/罐区/5"}, models, "only the current leak; the old 明火 alarm counts in no model")

	require.NoError(t, s.Notify(ctx))
	require.NotEmpty(t, rec.got)
	for _, n := range rec.got {
		assert.Equal(t, "warning_raised", n.Kind, fmt.Sprintf("%+v", n))
	}
}
