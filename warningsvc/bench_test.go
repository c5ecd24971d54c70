package warningsvc_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// BenchmarkTickRound5000Companies measures the ticking process's round — Tick (every
// company's engine advanced, its state rows locked, what changed stored), Remind and
// Notify — with 5,000 simulated companies stored in PostgreSQL, each with its
// plant's indicators, hazard sources, commitment, permits and a round of readings.
// It must stay well under CHEMGUARD_WARNING_TICK (5 s): the consumer waits while a
// round holds the engines.
func BenchmarkTickRound5000Companies(b *testing.B) {
	const companies = 5000
	pool := pgtest.Pool(b)
	ctx := context.Background()
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)) // 09:30 in Shanghai
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{&recorder{}}})
	require.NoError(b, err)
	var batch []events.Event
	for _, x := range simulate.Snapshot(simulate.Companies(companies, 1), clk.Now()) {
		raw, err := json.Marshal(x.Record)
		require.NoError(b, err)
		ev, err := events.Decode(x.Table.Slug, x.Company.Code, raw)
		require.NoError(b, err)
		if batch = append(batch, ev); len(batch) == 5000 {
			require.NoError(b, s.Apply(ctx, batch))
			batch = batch[:0]
		}
	}
	require.NoError(b, s.Apply(ctx, batch))
	round := func() {
		require.NoError(b, s.Tick(ctx))
		require.NoError(b, s.Remind(ctx))
		require.NoError(b, s.Notify(ctx))
	}
	round() // the first round tells every warning raised so far
	b.Logf("%d companies, %d open warnings, %d events", companies,
		pgtest.Scalar[int](b, pool, `SELECT count(*) FROM warnings WHERE status = 'open'`),
		pgtest.Scalar[int](b, pool, `SELECT count(*) FROM warning_events`))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clk.Add(5 * time.Second)
		round()
	}
	// The worst round: ten minutes on, every indicator of every company has fallen
	// silent at once, so every company changes (数据中断 alarms, device-offline
	// factors) and every state row is rewritten.
	b.StopTimer()
	clk.Add(10 * time.Minute)
	start := time.Now()
	round()
	b.ReportMetric(time.Since(start).Seconds(), "s/all-silent-round")
	b.ReportMetric(float64(pgtest.Scalar[int](b, pool, `SELECT count(*) FROM alarms WHERE severity = 'no_data'`)), "no-data-alarms")
}
