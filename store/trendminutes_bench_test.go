package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
)

// BenchmarkTrendMinuteRefresh is what one minute of the per-minute trend costs to
// refresh at the bench's load: 20 companies × 1,000 points read every second, 1.2
// million readings in the minute. Each iteration changes one reading of the minute,
// so the refresh redoes the whole minute (TimescaleDB redoes a changed bucket for every
// point). "policy" is the refresh as TimescaleDB's policy job runs it, in a session
// left as it is; "platform" is store.TrendMinutes' round, which finds the minute in
// the log of changes and refreshes it in its own session (trendRefreshSession).
//
//	go test -run '^$' -bench TrendMinuteRefresh -benchtime 5x -count 3 ./store/
func BenchmarkTrendMinuteRefresh(b *testing.B) {
	if !pgtest.Promised() {
		b.Skip("the per-minute trend is materialized on TimescaleDB only (make test-pg)")
	}
	ctx := context.Background()
	pool := pgtest.Migrated(b, pgtest.NewDatabase(b))
	stopRefreshPolicies(b, pool)
	var now time.Time
	require.NoError(b, pool.QueryRow(ctx, `SELECT date_trunc('minute', now())`).Scan(&now))
	minute := now.Add(-time.Hour)
	_, err := pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
		SELECT '3701020' || lpad((p / 1000)::text, 2, '0'), 'P' || p, t, round((random() * 100)::numeric, 2)::float8, t
		FROM generate_series($1::timestamptz, $1::timestamptz + interval '59 seconds', interval '1 second') t,
			generate_series(0, 19999) p
		ORDER BY t`, minute)
	require.NoError(b, err)
	_, err = pool.Exec(ctx, `VACUUM ANALYZE ts_sensor_readings`)
	require.NoError(b, err)
	m := &store.TrendMinutes{Pool: pool, Settle: 10 * time.Minute, Now: func() time.Time { return now }}
	_, err = m.Refresh(ctx) // the first round: everything due, the minute among it
	require.NoError(b, err)
	touch := func(b *testing.B) {
		b.StopTimer()
		_, err := pool.Exec(ctx, `UPDATE ts_sensor_readings SET value = value + 0.01
			WHERE company_code = '370102000' AND indicator_code = 'P1' AND collect_time = $1`, minute)
		require.NoError(b, err)
		b.StartTimer()
	}
	b.Run("policy", func(b *testing.B) {
		for b.Loop() {
			touch(b)
			_, err := pool.Exec(ctx, `CALL refresh_continuous_aggregate('ts_sensor_readings_1m', $1::timestamptz, $2::timestamptz)`,
				minute, minute.Add(time.Minute))
			require.NoError(b, err)
		}
	})
	b.Run("platform", func(b *testing.B) {
		for b.Loop() {
			touch(b)
			done, err := m.Refresh(ctx)
			require.NoError(b, err)
			require.Equal(b, 1, done.Late, "the touched minute, redone")
		}
	})
	require.Equal(b, int64(20000), pgtest.Scalar[int64](b, pool, `SELECT count(*) FROM ts_sensor_readings_1m WHERE bucket = $1`, minute))
}
