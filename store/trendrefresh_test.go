package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
)

// The per-minute trend's refresh follows the configuration on TimescaleDB (schedule
// and settle), keeps the window it looks back over, and is left as it is by the zero
// value; on plain PostgreSQL there is nothing to refresh. A settle the window has no
// room for is refused.
func TestTrendRefreshFollowsTheConfiguration(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx := context.Background()
		job := func() string {
			return pgtest.Scalar[string](t, pool, `SELECT schedule_interval::text || ' ' || (config->>'end_offset')::interval::text
				|| ' ' || (config->>'start_offset')::interval::text
				FROM timescaledb_information.jobs WHERE hypertable_name = 'ts_sensor_readings_1m'`)
		}
		if timescale {
			require.False(t, pgtest.Scalar[bool](t, pool, `SELECT scheduled FROM timescaledb_information.jobs
				WHERE hypertable_name = 'ts_sensor_readings_1m'`), "created off (00060): the configuration turns it on")
		}
		r := store.TrendRefresh{Every: 5 * time.Minute, Settle: 10 * time.Minute}
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, r))
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, r), "applying it again changes nothing")
		require.Error(t, store.ApplyTrendRefresh(ctx, pool, store.TrendRefresh{Every: time.Minute, Settle: 2 * time.Hour}))
		if !timescale {
			return
		}
		require.Equal(t, "00:05:00 00:10:00 3 days", job())
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, store.TrendRefresh{}))
		require.Equal(t, "00:05:00 00:10:00 3 days", job(), "the zero value leaves it")
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, store.TrendRefresh{Every: time.Minute, Settle: time.Minute}))
		require.Equal(t, "00:01:00 00:01:00 3 days", job())
	})
}

// A reading 5 hours late — a company's buffer sent after an outage — reaches the
// per-minute trend at its next refreshes, though its minute was materialized (empty)
// long before. Until migration 00107 the refresh looked only 3 hours back and the
// minute stayed empty: the 24-hour trend showed a gap where the readings were. The
// times are the database's, whose clock the refresh policy runs on.
func TestTrendTakesInReadingsHoursLate(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx := context.Background()
		var now time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT date_trunc('minute', now())`).Scan(&now))
		if !timescale {
			require.NoError(t, store.EnsurePartitions(ctx, pool, now))
		}
		first := now.Add(-5 * time.Hour)
		insert := func(at time.Time, value float64) {
			_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
				VALUES ('370102001', '370102001-T01', $1, $2, now())`, at, value)
			require.NoError(t, err)
		}
		insert(first, 1.5)
		insert(now.Add(-65*time.Minute), 3.5) // the readings went on after the outage
		late := first.Add(2 * time.Minute)
		if timescale {
			// The minutes up to an hour ago are materialized, the late one's empty.
			refreshTrend(t, pool, `CALL refresh_continuous_aggregate('ts_sensor_readings_1m', $1::timestamptz, $2::timestamptz)`,
				first.Add(-time.Hour), now.Add(-time.Hour))
		}
		insert(late, 2.5)
		if timescale {
			job := pgtest.Scalar[int32](t, pool, `SELECT job_id FROM timescaledb_information.jobs
				WHERE hypertable_name = 'ts_sensor_readings_1m' AND proc_name = 'policy_refresh_continuous_aggregate'`)
			// Twice: a run moves the readings' log of changes to the aggregate's, but
			// splits its window into batches from the aggregate's log as it found it,
			// so the late minute is redone by the run after (5 minutes later by default).
			for range 2 {
				refreshTrend(t, pool, fmt.Sprintf(`CALL run_job(%d)`, job))
			}
		}
		require.Equal(t, int64(1), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1m
			WHERE company_code = '370102001' AND indicator_code = '370102001-T01' AND bucket = $1 AND n = 1 AND mean = 2.5`, late),
			"the late reading's minute in the trend")
	})
}

// refreshTrend runs a refresh, after the policy's own job if that holds the
// aggregate at this moment (SQLSTATE 55P03).
func refreshTrend(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	var err error
	for try := 0; try < 50; try++ {
		if _, err = pool.Exec(context.Background(), sql, args...); err == nil || !strings.Contains(err.Error(), "55P03") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err)
}

// The hourly trend (behind the 7- and 30-day trends) is built from the per-minute one
// since migration 00108, and says what it said when it aggregated the readings: an
// hour's lowest and highest reading, their mean and their count, on both paths. A
// reading hours late reaches the hour through its minute: the minute's refresh marks
// the hour, whose next refresh redoes it. The times are the database's, whose clock
// the refresh policies run on.
func TestTrendHoursFromMinutes(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx := context.Background()
		var hour time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT date_trunc('hour', now()) - interval '5 hours'`).Scan(&hour))
		if !timescale {
			require.NoError(t, store.EnsurePartitions(ctx, pool, hour))
		}
		if timescale {
			stopRefreshPolicies(t, pool)
			require.True(t, pgtest.Scalar[bool](t, pool, `SELECT view_definition LIKE '%ts_sensor_readings_1m%'
				FROM timescaledb_information.continuous_aggregates WHERE view_name = 'ts_sensor_readings_1h'`),
				"the hours are an aggregate of the minutes")
		}
		insert := func(at time.Time, value float64) {
			_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
				VALUES ('370102001', '370102001-T01', $1, $2, now())`, at, value)
			require.NoError(t, err)
		}
		// Two hours of a point read every 20 s, a minute with one reading, and a
		// second point in the same hours that must not mix with the first.
		var want [2]struct{ lo, hi, sum float64 }
		var count [2]int64
		for i := range 360 {
			at := hour.Add(time.Duration(i) * 20 * time.Second)
			v := float64((i*37)%101) / 4
			if i == 200 {
				continue // 01:06:40's minute holds two readings, not three
			}
			insert(at, v)
			h := i / 180
			if count[h] == 0 || v < want[h].lo {
				want[h].lo = v
			}
			if count[h] == 0 || v > want[h].hi {
				want[h].hi = v
			}
			want[h].sum += v
			count[h]++
		}
		_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
			VALUES ('370102001', '370102001-T02', $1, 1000, now())`, hour.Add(30*time.Minute))
		require.NoError(t, err)
		refresh := func() {
			if timescale {
				for _, agg := range []string{"ts_sensor_readings_1m", "ts_sensor_readings_1h"} {
					refreshTrend(t, pool, `CALL refresh_continuous_aggregate($1::regclass, NULL, $2::timestamptz)`,
						agg, hour.Add(3*time.Hour))
				}
			}
		}
		check := func(h int) {
			t.Helper()
			var lo, hi, mean float64
			var n int64
			require.NoError(t, pool.QueryRow(ctx, `SELECT lo, hi, mean, n FROM ts_sensor_readings_1h
				WHERE company_code = '370102001' AND indicator_code = '370102001-T01' AND bucket = $1`,
				hour.Add(time.Duration(h)*time.Hour)).Scan(&lo, &hi, &mean, &n))
			require.Equal(t, count[h], n, "hour %d: its readings", h)
			require.Equal(t, want[h].lo, lo, "hour %d: lowest", h)
			require.Equal(t, want[h].hi, hi, "hour %d: highest", h)
			require.InDelta(t, want[h].sum/float64(count[h]), mean, 1e-9, "hour %d: mean of the readings, not of the minutes", h)
		}
		refresh()
		check(0)
		check(1)
		require.Equal(t, 1000.0, pgtest.Scalar[float64](t, pool, `SELECT hi FROM ts_sensor_readings_1h
			WHERE indicator_code = '370102001-T02'`))

		// A reading hours late, lower than any: its minute, then its hour.
		insert(hour.Add(time.Hour+6*time.Minute+40*time.Second), -3)
		want[1].lo, want[1].sum = -3, want[1].sum-3
		count[1]++
		refresh()
		check(1)
		if timescale {
			require.Positive(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1h WHERE bucket < $1`,
				pgtest.Watermark(t, pool, "ts_sensor_readings_1h")), "the hours were materialized, not computed when read")
		}
	})
}

// The platform's refresh (store.TrendMinutes) materializes the per-minute trend up to
// the settle — a minute at a time with a yield before each, runs of minutes without
// readings together, and the first time what is older than 3 days at once — and takes in readings hours and days late at its next round, each late minute
// on its own and minutes logged as changed without a reading together; it does nothing
// on plain PostgreSQL. ApplyTrendRefresh turns the policy off when the platform
// refreshes, and on again when it is asked to.
//
// The expectations are read from the data, not from the hour: TimescaleDB keeps
// open-ended entries in its log (below the window of a refresh), which a round may find
// inside a chunk and redo.
func TestTrendMinutesRefreshedByThePlatform(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx := context.Background()
		r := store.TrendRefresh{Every: 5 * time.Minute, Settle: 10 * time.Minute}
		require.True(t, r.ByPlatform())
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, r))
		// The platform's clock is set two hours ahead of the database's: the policy's job
		// may have run before ApplyTrendRefresh turned it off, and its runs end at the
		// database's now.
		var now time.Time
		require.NoError(t, pool.QueryRow(ctx, `SELECT date_trunc('minute', now()) + interval '2 hours'`).Scan(&now))
		if timescale {
			stopRefreshPolicies(t, pool)    // and wait for a run under way
			readingsThreshold(t, pool, nil) // never refreshed
		} else {
			require.NoError(t, store.EnsurePartitions(ctx, pool, now))
		}
		insert := func(at time.Time, value float64) {
			_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
				VALUES ('370102001', '370102001-T01', $1, $2, now())`, at, value)
			require.NoError(t, err)
		}
		for i := range 30 { // the 30 minutes before the platform's now, one reading each
			insert(now.Add(time.Duration(i-30)*time.Minute), float64(i))
		}
		clock := now.Add(20 * time.Second)
		var yields int
		type window struct{ from, to time.Time }
		var windows []window
		m := &store.TrendMinutes{Pool: pool, Settle: r.Settle, Now: func() time.Time { return clock },
			Yield:     func(context.Context) time.Duration { yields++; return 0 },
			Refreshed: func(from, to time.Time, _ time.Duration) { windows = append(windows, window{from, to}) }}
		round := func() store.TrendRound {
			t.Helper()
			windows, yields = nil, 0
			done, err := m.Refresh(ctx)
			require.NoError(t, err)
			return done
		}
		// withReadings are the windows that hold a reading, as minutes before now; the
		// others are checked to hold none.
		withReadings := func() []string {
			t.Helper()
			var out []string
			for _, w := range windows {
				from := w.from
				if from.IsZero() {
					from = now.AddDate(-1, 0, 0)
				}
				if pgtest.Scalar[bool](t, pool, `SELECT EXISTS (SELECT 1 FROM ts_sensor_readings
						WHERE collect_time >= $1 AND collect_time < $2)`, from, w.to) {
					require.Equal(t, time.Minute, w.to.Sub(w.from), "a minute with readings is refreshed on its own")
					out = append(out, minutesAgo(now, w.from))
				}
			}
			return out
		}
		first := round()
		if !timescale {
			require.Zero(t, yields)
			require.Empty(t, windows, "nothing to refresh: the trend is a view")
			return
		}
		require.False(t, pgtest.Scalar[bool](t, pool, `SELECT scheduled FROM timescaledb_information.jobs
			WHERE hypertable_name = 'ts_sensor_readings_1m'`), "the policy is off while the platform refreshes")
		require.True(t, first.First, "the policy is created off (00060), so the platform refreshes first")
		require.Equal(t, window{time.Time{}, now.Add(-10*time.Minute - 3*24*time.Hour)}, windows[0],
			"the first round: what is older than 3 days at once")
		require.Equal(t, []string{"30", "29", "28", "27", "26", "25", "24", "23", "22", "21", "20", "19", "18", "17", "16",
			"15", "14", "13", "12", "11"}, withReadings(), "then each minute due on its own, oldest first")
		require.Equal(t, 20, first.Minutes)
		require.Equal(t, len(windows)-1, yields, "a yield before each minute")
		require.LessOrEqual(t, len(windows), 1+2+20, "the minutes without readings in one refresh per run: %v", windows)
		require.True(t, now.Add(-10*time.Minute).Equal(first.UpTo), "materialized up to %s", first.UpTo)
		materialized := func() int64 {
			return pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1m WHERE bucket < $1`,
				pgtest.Watermark(t, pool, "ts_sensor_readings_1m"))
		}
		require.Equal(t, int64(20), materialized(), "the minutes older than the settle")

		clock = clock.Add(3 * time.Minute)
		done := round()
		require.Equal(t, []string{"10", "9", "8"}, withReadings(), "each minute now due, none late")
		require.Equal(t, 3, done.Minutes)
		require.Zero(t, done.Late)
		require.Equal(t, len(windows), yields, "a yield before each refresh")
		require.Equal(t, int64(23), materialized())

		// Readings 5 hours and 2 days late (a company's buffers after outages), and
		// one older than the 3 days looked back over: the next round redoes the two
		// minutes, each on its own after a yield, and leaves the third as the policy did.
		late := now.Add(-5 * time.Hour)
		insert(late, -1.5)
		insert(late.Add(-2*24*time.Hour+30*time.Second), 4)
		insert(late.Add(-4*24*time.Hour), 4)
		// Three minutes logged as changed that hold no reading (written and taken back
		// in one transaction): redone in one refresh, not three.
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
			SELECT '370102001', '370102001-T09', t, 1, now() FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 minute') t`,
			late.Add(-2*time.Hour), late.Add(-118*time.Minute))
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `DELETE FROM ts_sensor_readings WHERE indicator_code = '370102001-T09'`)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
		done = round()
		require.Equal(t, []string{"3180", "300"}, withReadings(), "only the late minutes, oldest first")
		require.Equal(t, 2, done.Late)
		require.Zero(t, done.Minutes, "no minute is due")
		require.Equal(t, len(windows), yields)
		require.True(t, slices.ContainsFunc(windows, func(w window) bool {
			return !w.from.After(late.Add(-2*time.Hour)) && !w.to.Before(late.Add(-117*time.Minute))
		}), "the three minutes without a reading in one refresh: %v", windows)
		require.Equal(t, -1.5, pgtest.Scalar[float64](t, pool, `SELECT lo FROM ts_sensor_readings_1m
			WHERE company_code = '370102001' AND bucket = $1`, late))
		require.Equal(t, 4.0, pgtest.Scalar[float64](t, pool, `SELECT hi FROM ts_sensor_readings_1m
			WHERE company_code = '370102001' AND bucket = $1`, late.Add(-2*24*time.Hour)))
		require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1m
			WHERE company_code = '370102001' AND bucket = $1`, late.Add(-4*24*time.Hour)), "4 days late: beyond the window")

		// The refreshes ran with sorting off and a larger work_mem (store.trendRefreshSession):
		// every session is back in the pool as the pool lent it.
		idle := pool.AcquireAllIdle(ctx)
		require.NotEmpty(t, idle)
		var changed []string
		for _, c := range idle {
			// Released before anything is asserted: the pool's Close waits for them.
			rows, err := c.Query(ctx, `SELECT name FROM pg_settings WHERE name IN ('enable_sort', 'work_mem') AND setting <> reset_val`)
			if err == nil {
				var names []string
				names, err = pgx.CollectRows(rows, pgx.RowTo[string])
				changed = append(changed, names...)
			}
			c.Release()
			require.NoError(t, err)
		}
		require.Empty(t, changed, "a refresh's session settings went back to the pool")

		r.ByPolicy = true
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, r))
		require.True(t, pgtest.Scalar[bool](t, pool, `SELECT scheduled FROM timescaledb_information.jobs
			WHERE hypertable_name = 'ts_sensor_readings_1m'`), "the policy refreshes again")
	})
}

// minutesAgo names the time at in whole minutes before now.
func minutesAgo(now, at time.Time) string {
	return fmt.Sprint(int(now.Sub(at) / time.Minute))
}

// stopRefreshPolicies turns the trend aggregates' refresh policies off and waits for
// a run already started to end: a run moves the readings' log of changes, which some
// tests read, and refreshes what others refresh themselves. Turning a job off does not
// stop its run in progress (CI of 2026-12-07: the log read empty).
func stopRefreshPolicies(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs
		WHERE proc_name = 'policy_refresh_continuous_aggregate'`)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM timescaledb_information.job_stats s
			JOIN timescaledb_information.jobs j USING (job_id)
			WHERE j.proc_name = 'policy_refresh_continuous_aggregate' AND s.job_status = 'Running'`) == 0
	}, time.Minute, 50*time.Millisecond, "a refresh policy's run did not end")
}

// A new database where the hourly trend's old policy ran between the migrations (see
// readingsThreshold) has the readings' threshold an hour or two back: its first round is
// an ordinary one, from there to the settle, each minute with readings on its own.
func TestTrendMinutesAfterTheOldHourlyPolicy(t *testing.T) {
	pool := pgtest.Migrated(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	timescale, err := store.TimescaleDB(ctx, pool)
	require.NoError(t, err)
	if !timescale {
		require.False(t, pgtest.Promised(), "make test's server promises TimescaleDB")
		t.Skip("the per-minute trend is a view on plain PostgreSQL")
	}
	r := store.TrendRefresh{Every: 5 * time.Minute, Settle: 10 * time.Minute}
	require.NoError(t, store.ApplyTrendRefresh(ctx, pool, r))
	stopRefreshPolicies(t, pool)
	var policyRan, now time.Time // where the old policy left the threshold; the database's minute
	require.NoError(t, pool.QueryRow(ctx, `SELECT date_trunc('hour', now()) - interval '1 hour', date_trunc('minute', now())`).
		Scan(&policyRan, &now))
	readingsThreshold(t, pool, &policyRan)
	for i := range 30 { // the 30 minutes before now, one reading each: all above the threshold
		_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
			VALUES ('370102001', '370102001-T01', $1, $2, now())`, now.Add(time.Duration(i-30)*time.Minute), float64(i))
		require.NoError(t, err)
	}
	m := &store.TrendMinutes{Pool: pool, Settle: r.Settle, Now: func() time.Time { return now.Add(20 * time.Second) }}
	done, err := m.Refresh(ctx)
	require.NoError(t, err)
	require.False(t, done.First, "refreshed before, as far as the readings' threshold tells")
	require.Zero(t, done.Late)
	require.Equal(t, 20, done.Minutes, "the minutes 30 to 11 ago, each on its own")
	require.True(t, now.Add(-r.Settle).Equal(done.UpTo), "materialized up to %s", done.UpTo)
	require.Equal(t, int64(20), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1m WHERE bucket < $1`,
		pgtest.Watermark(t, pool, "ts_sensor_readings_1m")))
}

// readingsThreshold sets the readings' invalidation threshold to at, or to
// TimescaleDB's least time (never refreshed) when at is nil. In a new database the
// hourly trend's policy of 00060, over the readings until 00108 rebuilt the hours from
// the minutes, runs whenever the scheduler has a worker free between those migrations
// and moves the threshold to the hour before last (CI of 2026-12-08; never while a
// crowded test server's workers were busy). The first round of each state is tested
// on that state set here; no reading is stored yet, so none lies below a threshold
// moved back.
func readingsThreshold(t *testing.T, pool *pgxpool.Pool, at *time.Time) {
	t.Helper()
	ctx := context.Background()
	require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings`))
	_, err := pool.Exec(ctx, `UPDATE _timescaledb_catalog.continuous_aggs_invalidation_threshold t
		SET watermark = _timescaledb_functions.to_unix_microseconds(coalesce($1::timestamptz, '4714-11-24 00:00:00+00 BC'))
		FROM _timescaledb_catalog.hypertable h
		WHERE h.id = t.hypertable_id AND h.schema_name = 'public' AND h.table_name = 'ts_sensor_readings'`, at)
	require.NoError(t, err)
}
