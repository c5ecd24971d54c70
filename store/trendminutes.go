package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TrendMinutes materializes the readings' per-minute trend (ts_sensor_readings_1m) from
// the platform, in place of TimescaleDB's refresh policy: one minute at a time, and
// before each minute it lets Yield wait (while the warning consumer is late).
//
// Why not the policy: at 20,000 readings/s its run every 5 minutes aggregated 6 million
// readings in one job, 13–33 s of a core that no one could interrupt, and that tenth of
// every 10-minute run was where the warning probes were slowest or missed
// (docs/performance.md, "The refresh at the lowest CPU priority"). TimescaleDB splits a
// run into batches, but runs them back to back. Here a minute is the unit of work
// (1.2 million readings at that rate) and the warning engine's transactions go first
// between minutes, as they do before each of the sink's batches.
//
// A round does what one run of the policy did, over the same window (3 days back to
// Settle ago): it first redoes the minutes logged as changed below the point it has
// materialized up to (late readings), then materializes the minutes from there to
// Settle ago, every one with readings on its own after a yield (a run of minutes
// without readings in one refresh). The point is TimescaleDB's invalidation
// threshold of the readings, kept in the database, so a new leader goes on where the
// last one stopped.
//
// One process refreshes at a time (the platform runs Round under an advisory lock).
// On plain PostgreSQL the trend is a view and a round does nothing.
type TrendMinutes struct {
	Pool   *pgxpool.Pool
	Settle time.Duration
	// Now is the clock the minutes due are read from (time.Now when nil). It must be
	// the database's, give or take the hosts' clock skew: TimescaleDB's refresh
	// windows and threshold are on that clock, not on a test's.
	Now func() time.Time
	// Yield, when set, is called before each minute and may wait; what it returns is
	// how long it waited.
	Yield func(context.Context) time.Duration
	// Refreshed, when set, is told each refresh's window and how long it took (tests,
	// logs).
	Refreshed func(from, to time.Time, took time.Duration)
}

// trendLookBack is how far back a round redoes minutes logged as changed: a
// company's buffer sent after an outage of up to 3 days (00107).
const trendLookBack = 3 * 24 * time.Hour

// trendMinute is the per-minute trend's bucket: the unit a round refreshes.
const trendMinute = time.Minute

// Round materializes what is due and logs what it did (a round that found nothing to
// do says nothing); a failure is logged and the next round tries again.
func (m *TrendMinutes) Round(ctx context.Context) {
	done, err := m.Refresh(ctx)
	if err != nil && ctx.Err() == nil {
		slog.Error("per-minute trend refresh failed; the next round tries again", "err", err)
	}
	if done.Minutes > 0 || done.First || done.Late > 0 {
		slog.Info("per-minute trend refreshed", "first", done.First, "minutes", done.Minutes, "up_to", done.UpTo,
			"late", done.Late, "late_took", done.LateTook.Round(time.Millisecond).String(),
			"minutes_took", done.MinutesTook.Round(time.Millisecond).String(),
			"waited", done.Waited.Round(time.Millisecond).String())
	}
}

// TrendRound is what a round of TrendMinutes did.
type TrendRound struct {
	First       bool          // never refreshed before: what is older than 3 days at once, then as below
	Late        int           // minutes redone for readings that came after them
	LateTook    time.Duration // their refreshes (and those of minutes logged without readings), in all
	Minutes     int           // minutes with readings materialized one at a time
	MinutesTook time.Duration // their refreshes (and those of the runs of minutes without readings), in all
	Waited      time.Duration // in Yield, in all
	UpTo        time.Time     // the end of the last minute materialized (zero: none)
}

// Refresh redoes the minutes logged as changed in the 3 days below the point the
// trend is materialized up to, then materializes the minutes from that point to
// Settle ago, one at a time (runs of minutes without readings together). A trend
// never refreshed first gets what is older than those 3 days, at once. When ctx ends
// it stops between two refreshes, or cancels the one under way, and returns ctx's
// error.
func (m *TrendMinutes) Refresh(ctx context.Context) (TrendRound, error) {
	var done TrendRound
	timescale, err := TimescaleDB(ctx, m.Pool)
	if err != nil || !timescale {
		return done, err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	due := now().Add(-m.Settle).Truncate(trendMinute)
	// The threshold is in TimescaleDB's internal time (microseconds since 1970); it is
	// the least timestamp until the first refresh, and no reading is that old.
	var upTo *time.Time // nil: never refreshed
	if err := m.Pool.QueryRow(ctx, `SELECT CASE WHEN t.watermark > 0 THEN _timescaledb_functions.to_timestamp(t.watermark) END
		FROM _timescaledb_catalog.continuous_aggs_invalidation_threshold t
		JOIN _timescaledb_catalog.hypertable h ON h.id = t.hypertable_id
		WHERE h.schema_name = 'public' AND h.table_name = $1`, SensorReadingsSeries).Scan(&upTo); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return done, fmt.Errorf("store: per-minute trend: where it stands: %w", err)
	}
	// step refreshes [from, to) after a yield, unless ctx ended meanwhile.
	step := func(from, to time.Time) (time.Duration, error) {
		if m.Yield != nil {
			done.Waited += m.Yield(ctx)
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return m.refresh(ctx, &from, to)
	}
	// walk steps through spans in order, counting into minutes those with readings
	// and into took the time of every refresh, and returns the end of the last span
	// refreshed (zero: none).
	walk := func(spans []lateSpan, minutes *int, took *time.Duration) (time.Time, error) {
		var upTo time.Time
		for _, span := range spans {
			t, err := step(span.from, span.to)
			if err != nil {
				return upTo, err
			}
			if span.readings {
				*minutes++
			}
			*took += t
			upTo = span.to
		}
		return upTo, nil
	}
	var from time.Time
	if upTo == nil {
		// Never refreshed: what is older than the 3 days a round looks back over goes in
		// one refresh (nothing, in a new database), and the rest minute by minute below,
		// as in any round. One refresh up to the due minute, as this was until
		// 2026-12-07, aggregated a new platform's first minutes of load without a
		// yield: 4–5 minutes of 1.2 million readings each at the bench's rate.
		from = due.Add(-trendLookBack)
		took, err := m.refresh(ctx, nil, from)
		done.First, done.MinutesTook = true, took
		if err != nil {
			return done, err
		}
	} else {
		from = upTo.Truncate(trendMinute)
		late, err := m.lateSpans(ctx, from.Add(-trendLookBack), from)
		if err != nil {
			return done, err
		}
		if _, err := walk(late, &done.Late, &done.LateTook); err != nil {
			return done, err
		}
	}
	if !from.Before(due) {
		return done, nil
	}
	spans, err := m.dueSpans(ctx, from, due)
	if err != nil {
		return done, err
	}
	done.UpTo, err = walk(spans, &done.Minutes, &done.MinutesTook)
	return done, err
}

// lateSpan is a window of minutes to refresh: one minute that holds readings, or a run
// of consecutive minutes that hold none.
type lateSpan struct {
	from, to time.Time
	readings bool
}

// lateSpans are the minutes in [from, to) that TimescaleDB has logged as changed since
// they were materialized (a reading arrived in them later), oldest first, each minute
// with readings a span of its own and each run of minutes without readings one span.
// The readings' log holds what no refresh has looked at yet, the aggregate's what a
// refresh moved there and has not redone; both are in TimescaleDB's internal time
// (microseconds since 1970, the least and greatest int8 for open ends).
//
// Only minutes inside the readings' chunks count, as for TimescaleDB's own refresh,
// which leaves the rest of the log alone: it keeps its own open-ended entries there
// (below the window of the policy's first run, for one), and where retention dropped
// a chunk the aggregate must keep its minutes.
//
// Why a minute at a time: TimescaleDB redoes a changed minute for every point, so a
// company's buffer sent after a 5-hour outage makes 300 minutes of the whole
// province's readings to redo (360 million at 20,000 readings/s). One refresh would
// hold a core for all of it; a minute at a time lets the warning consumer go first
// between them, as for the new minutes. Why empty minutes together: such an entry can
// span days without a reading once a late reading's chunk lies under it (4,154 minutes
// in a bench's new database), whose refreshes find nothing and cost a round trip each;
// whether a minute holds a reading is one index probe.
func (m *TrendMinutes) lateSpans(ctx context.Context, from, to time.Time) ([]lateSpan, error) {
	rows, err := m.Pool.Query(ctx, `WITH cagg AS (
			SELECT raw_hypertable_id, mat_hypertable_id FROM _timescaledb_catalog.continuous_agg
			WHERE user_view_schema = 'public' AND user_view_name = 'ts_sensor_readings_1m'),
		logged AS (
			SELECT lowest_modified_value AS lo, greatest_modified_value AS hi
			FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log
			WHERE hypertable_id = (SELECT raw_hypertable_id FROM cagg)
			UNION ALL
			SELECT lowest_modified_value, greatest_modified_value
			FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log
			WHERE materialization_id = (SELECT mat_hypertable_id FROM cagg)),
		window_ AS (
			SELECT _timescaledb_functions.to_unix_microseconds($1) AS lo,
			       _timescaledb_functions.to_unix_microseconds($2) - 1 AS hi),
		minutes AS (
			SELECT DISTINCT minute
			FROM logged, window_ w,
				generate_series(date_trunc('minute', _timescaledb_functions.to_timestamp(greatest(logged.lo, w.lo))),
				                _timescaledb_functions.to_timestamp(least(logged.hi, w.hi)), interval '1 minute') AS minute
			WHERE logged.hi >= w.lo AND logged.lo <= w.hi)
		SELECT minute, EXISTS (SELECT 1 FROM ts_sensor_readings
			WHERE collect_time >= minute AND collect_time < minute + interval '1 minute')
		FROM minutes
		WHERE EXISTS (SELECT 1 FROM timescaledb_information.chunks c
			WHERE c.hypertable_schema = 'public' AND c.hypertable_name = 'ts_sensor_readings'
			  AND minute >= c.range_start AND minute < c.range_end)
		ORDER BY minute`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: per-minute trend: minutes logged as changed: %w", err)
	}
	spans, err := collectSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("store: per-minute trend: minutes logged as changed: %w", err)
	}
	return spans, nil
}

// dueSpans are the minutes in [from, to) to materialize, oldest first: each minute
// that holds readings a span of its own, each run of minutes that hold none one span.
// Empty runs go together for the reason lateSpans gives: a new database's first round
// looks 3 days back (4,320 minutes), most of them empty, and the bench's governance
// probes stamp readings two hours back.
func (m *TrendMinutes) dueSpans(ctx context.Context, from, to time.Time) ([]lateSpan, error) {
	rows, err := m.Pool.Query(ctx, `SELECT minute, EXISTS (SELECT 1 FROM ts_sensor_readings
			WHERE collect_time >= minute AND collect_time < minute + interval '1 minute')
		FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 minute', interval '1 minute') AS minute
		ORDER BY minute`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: per-minute trend: minutes due: %w", err)
	}
	spans, err := collectSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("store: per-minute trend: minutes due: %w", err)
	}
	return spans, nil
}

// collectSpans reads rows of (minute, whether it holds readings), oldest first, into
// spans: a minute with readings alone, consecutive minutes without together.
func collectSpans(rows pgx.Rows) ([]lateSpan, error) {
	var spans []lateSpan
	var minute time.Time
	var readings bool
	_, err := pgx.ForEachRow(rows, []any{&minute, &readings}, func() error {
		if n := len(spans); !readings && n > 0 && !spans[n-1].readings && spans[n-1].to.Equal(minute) {
			spans[n-1].to = minute.Add(trendMinute) // the run of empty minutes goes on
			return nil
		}
		spans = append(spans, lateSpan{from: minute, to: minute.Add(trendMinute), readings: readings})
		return nil
	})
	return spans, err
}

// trendRefreshSession is how a refresh's session is set, and trendRefreshReset puts it
// back before the connection returns to the pool.
//
// Why: TimescaleDB aggregates the minute with a query that filters the readings by
// their bucket as well as by their time, and PostgreSQL has no statistics for the
// bucket, so it estimates a minute of 1,200,000 readings (20,000 points) at 6,077. For
// so few it sorts them, and the sort of 1.2 million rows spills to disk at the default
// work_mem: 1.7–3.6 s of a core per minute where hashing the 20,000 groups takes
// 0.5–0.9 s (docs/performance.md, "The per-minute refresh hashes its minute"). With
// sorting off the planner hashes; the larger work_mem keeps the hash of a province's
// points (about 300 bytes each) in memory. Nothing else runs on this session while
// it is set.
const (
	trendRefreshSession = `SELECT set_config('enable_sort', 'off', false), set_config('work_mem', '64MB', false)`
	trendRefreshReset   = `RESET enable_sort; RESET work_mem`
)

// refresh runs one refresh of the per-minute trend over [from, to) (from nil: from
// the first reading) and returns how long it took. The CALL must not run inside a
// transaction: the pool's connection is in none.
func (m *TrendMinutes) refresh(ctx context.Context, from *time.Time, to time.Time) (time.Duration, error) {
	start := time.Now()
	err := m.Pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, trendRefreshSession)
		if err == nil {
			_, err = c.Exec(ctx, `CALL refresh_continuous_aggregate('ts_sensor_readings_1m', $1::timestamptz, $2::timestamptz)`,
				from, to)
		}
		// The session goes back to the pool as it was lent, or not at all.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, rerr := c.Exec(rctx, trendRefreshReset); rerr != nil {
			_ = c.Conn().Close(rctx) // a closed connection is dropped, not pooled
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err() // shutting down: the next leader goes on from here
		}
		return 0, fmt.Errorf("store: per-minute trend: refresh up to %s: %w", to.Format(time.RFC3339), err)
	}
	took := time.Since(start)
	if m.Refreshed != nil {
		var f time.Time
		if from != nil {
			f = *from
		}
		m.Refreshed(f, to, took)
	}
	return took, nil
}
