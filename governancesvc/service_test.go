package governancesvc_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

func f(v float64) *float64 { return &v }

// day drives a small recorded day of two companies through the service: readings
// then silence (数据采集离线), a late commitment, a duplicate reading, an indicator
// without thresholds, uploads with rejections.
func day(tb testing.TB, s *governancesvc.Service, clk *testclock.Clock) {
	tb.Helper()
	ctx := context.Background()
	const a, b = "370102001", "370102002"
	clk.Set(govtest.At(tb, "2021-06-01 08:00:00"))
	require.NoError(tb, s.Tick(ctx))
	def := events.IndicatorDef{Code: a + "-T1", Company: a, Name: "1号罐温度", Kind: events.KindTemperature,
		RangeLow: f(0), RangeHigh: f(100), Thresholds: events.Thresholds{High: f(60)}}
	nothr := events.IndicatorDef{Code: b + "-P1", Company: b, Name: "压力", Kind: events.KindPressure,
		RangeLow: f(0), RangeHigh: f(4)}
	require.NoError(tb, s.Apply(ctx, []governance.Event{def, nothr,
		governance.Upload{Company: a, Table: "indicators", Accepted: 1},
		governance.Upload{Company: b, Table: "indicators", Accepted: 1}}))
	for i := 0; i < 6; i++ {
		clk.Add(time.Minute)
		now := clk.Now()
		require.NoError(tb, s.Apply(ctx, []governance.Event{
			events.Reading{Company: a, Indicator: def.Code, Value: 20 + float64(i), At: now},
			events.Reading{Company: b, Indicator: nothr.Code, Value: 1, At: now.Truncate(time.Hour)}, // duplicates
			governance.Upload{Company: a, Table: "sensor-readings", Accepted: 1},
			governance.Upload{Company: b, Table: "sensor-readings", Accepted: 1, Rejected: map[string]int{"required": 4}},
		}))
		require.NoError(tb, s.Tick(ctx))
	}
	// a falls silent until 09:00; b commits at 10:30.
	for clk.Now().Before(govtest.At(tb, "2021-06-01 11:00:00")) {
		clk.Add(5 * time.Minute)
		if clk.Now().Equal(govtest.At(tb, "2021-06-01 09:01:00")) {
			require.NoError(tb, s.Apply(ctx, []governance.Event{
				events.Reading{Company: a, Indicator: def.Code, Value: 30, At: clk.Now()}}))
		}
		if clk.Now().Equal(govtest.At(tb, "2021-06-01 10:31:00")) {
			require.NoError(tb, s.Apply(ctx, []governance.Event{events.Commitment{ID: "c1", Company: b,
				Date: govtest.At(tb, "2021-06-01 00:00:00"), Person: "张三", At: clk.Now(), UnitsRunning: 1}}))
		}
		require.NoError(tb, s.Tick(ctx))
	}
}

// Recomputing a finished day's scores from the stored facts gives the same numbers,
// whatever the order the facts are read in and however often it is done, and they
// are the scores package governance computes from those facts.
func TestRecomputeFromStoredFactsIsDeterministic(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	govtest.AddEnterprise(t, pool, "370102001", "370102", "")
	govtest.AddEnterprise(t, pool, "370102002", "370102", "")
	govtest.AddEnterprise(t, pool, "370211001", "370211", "")
	clk := testclock.Frozen(time.Time{})
	s := govtest.Service(t, pool, clk)
	day(t, s, clk)
	require.Positive(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts`))
	assert.Positive(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'offline_readings' AND ended_at IS NOT NULL`))
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'commitment_late'`))

	clk.Set(govtest.At(t, "2021-06-02 01:00:00"))
	d := govtest.At(t, "2021-06-01 12:00:00")
	_, end := governance.DayBounds(d)
	first, err := s.Recompute(ctx, d, end)
	require.NoError(t, err)
	require.True(t, first.Final)
	require.Len(t, first.Companies, 3)

	// Again, from a fresh process.
	second, err := govtest.Service(t, pool, clk).Recompute(ctx, d, end)
	require.NoError(t, err)
	assert.Equal(t, first, second)

	// The stored facts, shuffled, give the same scores through the pure library.
	start, _ := governance.DayBounds(d)
	facts, err := governancesvc.DayFacts(ctx, pool, start, end)
	require.NoError(t, err)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(facts), func(i, j int) { facts[i], facts[j] = facts[j], facts[i] })
	cfg := governance.DefaultConfig()
	direct := governance.ScoreAll(&cfg, []string{"370102001", "370102002", "370211001"}, d, end, facts)
	assert.Equal(t, first.Companies, direct)

	// What is stored is what was computed. The registered company that sent nothing
	// never committed: 5 + 14 points (docs/governance.md), and its system was offline
	// from the first check at 08:00 to 24:00: 5 + 16 points; nothing else.
	for _, c := range first.Companies {
		assert.Equal(t, c.Score, pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE company_code = $1
			AND day = '2021-06-01' AND final`, c.Company), c.Company)
	}
	assert.Equal(t, 60.0, pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE company_code = '370211001'`))
	assert.Less(t, pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE company_code = '370102002'`), 100.0)
	// The county's rollup is the mean of exactly its two companies.
	want := (first.Companies[0].Score + first.Companies[1].Score) / 2
	assert.InDelta(t, want, pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_region_scores
		WHERE region = '370102' AND level = 'county' AND day = '2021-06-01'`), 0.051)
	assert.Equal(t, 2, pgtest.Scalar[int](t, pool, `SELECT companies FROM governance_region_scores WHERE region = '370102' AND level = 'county'`))
}

// ScoreIfDue finalises the previous day after midnight (plus the delay), and a
// final day is not overwritten by later recomputation.
func TestFinaliseAfterMidnight(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	govtest.AddEnterprise(t, pool, "370102001", "370102", "")
	clk := testclock.Frozen(time.Time{})
	s := govtest.Service(t, pool, clk)
	day(t, s, clk)
	require.NoError(t, s.ScoreIfDue(ctx))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT final FROM governance_scores WHERE day = '2021-06-01'`))
	clk.Set(govtest.At(t, "2021-06-02 00:05:00"))
	require.NoError(t, s.ScoreIfDue(ctx))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT final FROM governance_scores WHERE day = '2021-06-01'`), "finalised before the delay")
	// Not before every fact of the day can have opened: the longest limit (an
	// indicator alarm's 2 hours) and a tick.
	assert.Equal(t, 2*time.Hour+governancesvc.DefaultTick, s.FinalizeDelay())
	clk.Set(govtest.At(t, "2021-06-02 02:00:00"))
	require.NoError(t, s.ScoreIfDue(ctx))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT final FROM governance_scores WHERE day = '2021-06-01'`), "finalised before the longest limit")
	clk.Set(govtest.At(t, "2021-06-02 02:01:00"))
	require.NoError(t, s.ScoreIfDue(ctx))
	assert.True(t, pgtest.Scalar[bool](t, pool, `SELECT final FROM governance_scores WHERE day = '2021-06-01'`))
	assert.True(t, pgtest.Scalar[bool](t, pool, `SELECT bool_and(final) FROM governance_region_scores WHERE day = '2021-06-01'`))
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_scores WHERE day = '2021-06-02' AND NOT final`))
	final := pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE day = '2021-06-01'`)
	// A later recomputation as of noon is not stored over the final score.
	_, err := s.Recompute(ctx, govtest.At(t, "2021-06-01 00:00:00"), govtest.At(t, "2021-06-01 09:00:00"))
	require.NoError(t, err)
	assert.Equal(t, final, pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE day = '2021-06-01'`))
}

// The warning engine's indicator alarms, as package alerting stores them, reach the
// tracker through the cursor: an alarm left uncleared beyond 2 hours is a fact, and
// the fact closes when alerting clears the alarm. Each stored change is read once.
func TestAlarmsFollowedFromAlertingTables(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const code = "370102001"
	govtest.AddEnterprise(t, pool, code, "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	warn, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now})
	require.NoError(t, err)
	s := govtest.Service(t, pool, clk)
	def := events.IndicatorDef{Code: code + "-PT01", Company: code, Name: "压力", Kind: events.KindPressure,
		RangeLow: f(0), RangeHigh: f(4), Thresholds: events.Thresholds{High: f(1.6), HighHigh: f(2)}}
	require.NoError(t, warn.Apply(ctx, []events.Event{def}))
	for i := 0; i < 3; i++ {
		clk.Add(10 * time.Second)
		require.NoError(t, warn.Apply(ctx, []events.Event{events.Reading{Company: code, Indicator: def.Code, Value: 1.8, At: clk.Now()}}))
	}
	require.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE cleared_at IS NULL AND source = 'indicator'`))
	require.NoError(t, s.Tick(ctx))
	// Keep readings coming (high) for two hours and more.
	for i := 0; i < 26; i++ {
		clk.Add(5 * time.Minute)
		require.NoError(t, warn.Apply(ctx, []events.Event{events.Reading{Company: code, Indicator: def.Code, Value: 1.8, At: clk.Now()}}))
		require.NoError(t, s.Tick(ctx))
	}
	// The feed reads a change once no older transaction of the cluster is still
	// running (other tests' databases share it): tick at the same time until then.
	tickUntil(t, s, func() bool {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'alarm_uncleared' AND ended_at IS NULL`) == 1
	})
	for i := 0; i < 3; i++ {
		clk.Add(10 * time.Second)
		require.NoError(t, warn.Apply(ctx, []events.Event{events.Reading{Company: code, Indicator: def.Code, Value: 0.5, At: clk.Now()}}))
	}
	require.Equal(t, 0, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE cleared_at IS NULL AND source = 'indicator'`))
	tickUntil(t, s, func() bool {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'alarm_uncleared' AND ended_at IS NULL`) == 0
	})
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'alarm_uncleared'`))
}

// tickUntil ticks (at the same fake time) until cond holds, for at most 20 seconds.
func tickUntil(tb testing.TB, s *governancesvc.Service, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		require.NoError(tb, s.Tick(context.Background()))
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("condition not reached after 20s of ticks")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A fact from an absence opens after its limit but starts where the absence began,
// so one that began before midnight may open after it (the system silent since 23:55
// is offline_system from 00:55 on, starting 23:55). The day must not be finalised
// before such facts can open: its final score is what recomputing it from the
// stored facts gives, and what its report shows.
func TestFinalScoreHoldsFactsOpenedAfterMidnight(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const code = "370102001"
	govtest.AddEnterprise(t, pool, code, "370102", "")
	clk := testclock.Frozen(time.Time{})
	s := govtest.Service(t, pool, clk)
	clk.Set(govtest.At(t, "2021-06-01 23:50:00"))
	require.NoError(t, s.Apply(ctx, []governance.Event{events.Commitment{ID: "c1", Company: code,
		Date: govtest.At(t, "2021-06-01 00:00:00"), Person: "张三", At: govtest.At(t, "2021-06-01 08:00:00"), UnitsRunning: 1}}))
	clk.Set(govtest.At(t, "2021-06-01 23:55:00"))
	require.NoError(t, s.Apply(ctx, []governance.Event{governance.Upload{Company: code, Table: "hidden-dangers", Accepted: 1}}))
	for !clk.Now().After(govtest.At(t, "2021-06-02 03:00:00")) {
		require.NoError(t, s.Tick(ctx))
		require.NoError(t, s.ScoreIfDue(ctx))
		clk.Add(time.Minute)
	}
	require.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'offline_system'
		AND started_at < '2021-06-02 00:00:00+08'`))
	require.True(t, pgtest.Scalar[bool](t, pool, `SELECT final FROM governance_scores WHERE day = '2021-06-01'`))
	stored := pgtest.Scalar[float64](t, pool, `SELECT score FROM governance_scores WHERE day = '2021-06-01'`)
	d := govtest.At(t, "2021-06-01 12:00:00")
	_, end := governance.DayBounds(d)
	again, err := s.Recompute(ctx, d, end)
	require.NoError(t, err)
	require.Len(t, again.Companies, 1)
	assert.Equal(t, again.Companies[0].Score, stored, "the final score misses a fact of its day")
	assert.Less(t, stored, 100.0)
}
