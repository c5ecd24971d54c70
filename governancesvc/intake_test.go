package governancesvc_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// reading is a sensor reading as ingest publishes it: its record, its envelope and
// where the broker put it.
type reading struct {
	code, point string
	value       any
	collected   time.Time // COLLECT_TIME
	received    time.Time // the intake's receive time
	appended    time.Time // the broker's append time (the message's Time)
	version     int64
	partition   int
	offset      int64
}

// msg is r as the consumer fetches it.
func (r reading) msg(tb testing.TB) bus.Message {
	tb.Helper()
	rec, err := json.Marshal(map[string]any{"INDICATOR_CODE": r.point, "COMPANY_CODE": r.code,
		"VALUE": r.value, "COLLECT_TIME": r.collected.Format(schemas.DateTimeLayout)})
	require.NoError(tb, err)
	env, err := json.Marshal(events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: schemas.SensorReadings.Slug, Company: r.code,
		Key: r.point, Version: r.version, ReceivedAt: r.received}, Record: rec})
	require.NoError(tb, err)
	return bus.Message{Topic: schemas.SensorReadings.Topic(), Partition: r.partition, Offset: r.offset, Value: env, Time: r.appended}
}

// readingMsg is a sensor reading of company code's point T1, collected, received and
// appended at received.
func readingMsg(tb testing.TB, code string, offset int64, received time.Time) bus.Message {
	tb.Helper()
	return reading{code: code, point: code + "-T1", value: 20 + offset%7, collected: received, received: received,
		appended: received, version: offset, offset: offset}.msg(tb)
}

// The consumer stores the platform's intake (governance_intake) with each batch and
// judges absence on it: while it received nothing from anyone (the consumer down,
// the clock running on) no company goes offline; after the intake resumes a company
// that stays silent while another sends goes offline 10 minutes after the
// resumption, its spell from its last reading.
func TestIntakeStoredWithBatchesAndAbsenceJudgedOnIt(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const c1, c2 = "370102001", "370102002"
	govtest.AddEnterprise(t, pool, c1, "370102", "")
	govtest.AddEnterprise(t, pool, c2, "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	s := govtest.Service(t, pool, clk)
	offset := int64(0)
	send := func(received time.Time, codes ...string) {
		var batch []bus.Message
		for _, code := range codes {
			batch = append(batch, readingMsg(t, code, offset, received))
			offset++
		}
		require.NoError(t, s.ApplyMessages(ctx, batch))
	}
	offline := func(code string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1
			AND kind = 'offline_readings' AND ended_at IS NULL`, code)
	}
	intake := func() (time.Time, time.Time) {
		var at, since time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT received_at, since FROM governance_intake`).Scan(&at, &since))
		return at, since
	}

	send(clk.Now(), c1, c2)
	require.NoError(t, s.Tick(ctx))
	got, since := intake()
	assert.True(t, got.Equal(clk.Now()) && since.Equal(clk.Now()), "%s %s", got, since)

	// 40 minutes without anything received: the platform's outage, nobody offline.
	clk.Add(40 * time.Minute)
	require.NoError(t, s.Tick(ctx))
	assert.Zero(t, offline(c1)+offline(c2))

	// The intake resumes at 08:40 with the second company only.
	for m := 0; m <= 10; m++ {
		send(govtest.At(t, "2021-06-01 08:40:00").Add(time.Duration(m)*time.Minute), c2)
		clk.Set(govtest.At(t, "2021-06-01 08:40:00").Add(time.Duration(m) * time.Minute))
		require.NoError(t, s.Tick(ctx))
	}
	got, since = intake()
	assert.True(t, since.Equal(govtest.At(t, "2021-06-01 08:40:00")), "restarted at the resumption: %s", since)
	assert.True(t, got.Equal(govtest.At(t, "2021-06-01 08:50:00")), "%s", got)
	assert.Zero(t, offline(c1), "10 minutes since the resumption: the limit")
	send(govtest.At(t, "2021-06-01 08:50:30"), c2)
	clk.Set(govtest.At(t, "2021-06-01 08:50:30"))
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, 1, offline(c1))
	assert.Zero(t, offline(c2))
	started := pgtest.Scalar[time.Time](t, pool, `SELECT started_at FROM governance_facts WHERE company_code = $1 AND kind = 'offline_readings'`, c1)
	assert.True(t, started.Equal(govtest.At(t, "2021-06-01 08:00:00")), "%s", started)

	// A replayed old batch moves the intake neither back nor forward.
	require.NoError(t, s.ApplyMessages(ctx, []bus.Message{readingMsg(t, c2, 0, govtest.At(t, "2021-06-01 08:00:00"))}))
	got, _ = intake()
	assert.True(t, got.Equal(govtest.At(t, "2021-06-01 08:50:30")), "%s", got)
}
