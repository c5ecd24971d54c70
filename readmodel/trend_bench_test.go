package readmodel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// benchPoints, benchDays and benchEvery are the measured load: 4 indicators of one
// company read every 10 s for 30 days (1,036,800 readings).
const (
	benchPoints = 4
	benchDays   = 30
	benchEvery  = 10 * time.Second
)

// seedMonth fills a fresh database with benchPoints indicators' readings over
// benchDays before now, as a company sends them: a slowly varying process value
// with noise at two decimals, received up to 2 s after it was collected. It
// returns the pool and whether the database is on TimescaleDB.
func seedMonth(b *testing.B, dsn string, now time.Time) (*pgxpool.Pool, bool) {
	b.Helper()
	ctx := context.Background()
	pool := pgtest.Migrated(b, dsn)
	timescale, err := store.TimescaleDB(ctx, pool)
	require.NoError(b, err)
	require.NoError(b, store.EnsurePartitions(ctx, pool, now.AddDate(0, 0, -benchDays)))
	for i := range benchPoints {
		code := fmt.Sprintf("370102001-T%02d", i)
		_, err := pool.Exec(ctx, `INSERT INTO x_indicators (company_code, record_key, version, msg_id, received_at, doc)
			VALUES ('370102001', $1, 1, gen_random_uuid(), $2, jsonb_build_object('INDICATOR_CODE', $1::text, 'INDICATOR_NAME', '储罐温度'))`,
			code, now)
		require.NoError(b, err)
		_, err = pool.Exec(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
			SELECT '370102001', $1, at,
				round((40 + $2 + 8 * sin(extract(epoch FROM at) / 7200) + random() * 0.3)::numeric, 2)::float8,
				at + (random() * 2000)::int * interval '1 millisecond'
			FROM generate_series($3::timestamptz, $4::timestamptz, $5::interval) AS at`,
			code, i, now.AddDate(0, 0, -benchDays), now, benchEvery)
		require.NoError(b, err)
	}
	if timescale {
		for _, v := range []string{"ts_sensor_readings_1m", "ts_sensor_readings_1h"} {
			_, err := pool.Exec(ctx, `CALL refresh_continuous_aggregate($1, $2::timestamptz, $3::timestamptz)`,
				v, now.AddDate(0, 0, -benchDays-1), now.Add(-time.Hour))
			require.NoError(b, err)
		}
	}
	_, err = pool.Exec(ctx, `ANALYZE ts_sensor_readings`)
	require.NoError(b, err)
	return pool, timescale
}

// BenchmarkTrend30Days is the trend page's query over 30 days of one indicator (the
// hourly aggregate, 720 points) and its latest readings; on TimescaleDB it also
// compresses every chunk older than a day and reports the bytes each reading takes
// on disk from hypertable_compression_stats.
//
//	go test -run '^$' -bench Trend30Days -benchtime 200x ./readmodel/
func BenchmarkTrend30Days(b *testing.B) {
	for _, c := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"timescaledb", pgtest.NewDatabase}, {"plain", pgtest.NewPlainDatabase}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			now := testclock.Parse(b, "2026-12-05 09:30:00")
			pool, timescale := seedMonth(b, c.dsn(b), now)
			var perReading, perReadingBefore float64
			if timescale {
				_, err := pool.Exec(ctx, `SELECT count(compress_chunk(ch, if_not_compressed => true))
					FROM show_chunks('ts_sensor_readings', older_than => $1::timestamptz) ch`, now.Add(-24*time.Hour))
				require.NoError(b, err)
				var before, after, readings int64
				require.NoError(b, pool.QueryRow(ctx, `SELECT sum(before_compression_total_bytes), sum(after_compression_total_bytes)
					FROM hypertable_compression_stats('ts_sensor_readings')`).Scan(&before, &after))
				require.NoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM ts_sensor_readings
					WHERE collect_time < (SELECT max(range_end) FROM timescaledb_information.chunks
						WHERE hypertable_name = 'ts_sensor_readings' AND is_compressed)`).Scan(&readings))
				perReading, perReadingBefore = float64(after)/float64(readings), float64(before)/float64(readings)
			}
			q := readmodel.NewCompanies(pool)
			rng, err := readmodel.LookupTrendRange("30d")
			require.NoError(b, err)
			tr, err := q.Trend(ctx, "370102001", "370102001-T01", now, rng)
			require.NoError(b, err)
			require.InDelta(b, benchDays*24, len(tr.Points), 2, "an hour per point")
			require.Len(b, tr.Recent, 50)
			for b.Loop() {
				if _, err := q.Trend(ctx, "370102001", "370102001-T01", now, rng); err != nil {
					b.Fatal(err)
				}
			}
			// After the loop: b.Loop's timer reset drops metrics reported before it.
			if timescale {
				b.ReportMetric(perReading, "B/reading-compressed")
				b.ReportMetric(perReadingBefore, "B/reading-uncompressed")
			}
		})
	}
}
