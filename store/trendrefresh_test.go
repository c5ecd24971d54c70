package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
