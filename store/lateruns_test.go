package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// A reading two hours old in a batch of live ones (a company resending its buffer
// while the others send live) is written in a transaction of its own: TimescaleDB
// then records only its minute as changed for the per-minute trend, not the two
// hours between it and the batch's newest, which the next refresh would redo for
// every point. Every reading is stored once either way, the point's current state
// is its newest reading, and a replay of the batch stores nothing twice.
func TestLateReadingsInvalidateOnlyTheirMinutes(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		// 15:30 in Shanghai: two hours earlier is the same UTC day, so the same chunk
		// (TimescaleDB records a range per chunk a transaction wrote).
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 15:30:00")
		if timescale {
			// The policy jobs stopped: a refresh running meanwhile would move the
			// recorded ranges out of the log this test reads.
			stopRefreshPolicies(t, pool)
			// The trend materialized up to 15:20: writes before that are recorded.
			_, err := pool.Exec(ctx, `CALL refresh_continuous_aggregate('ts_sensor_readings_1m', NULL, $1::timestamptz)`,
				now.Add(-10*time.Minute))
			require.NoError(t, err)
		}
		var vs []store.Version
		for i := range 20 { // 15:10–15:29, live
			at := now.Add(time.Duration(i-20) * time.Minute)
			vs = append(vs, reading("370102001", fmt.Sprintf("370102001-T%02d", i%4), at, fmt.Sprintf("%d.5", i), now))
		}
		late := reading("370102002", "370102002-T01", now.Add(-2*time.Hour), "7.5", now) // 13:30, resent
		vs = append(vs[:10], append([]store.Version{late}, vs[10:]...)...)
		batch := map[*schemas.Table][]store.Version{schemas.SensorReadings: vs}
		require.NoError(t, ex.Apply(ctx, batch, nil))
		require.NoError(t, ex.Apply(ctx, batch, nil), "a replayed batch is harmless")

		assert.Equal(t, int64(21), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings`))
		assert.Equal(t, "19.5", pgtest.Scalar[string](t, pool,
			`SELECT doc->>'VALUE' FROM x_sensor_readings WHERE record_key = '370102001-T03'`), "the newest reading is current")
		assert.Equal(t, "7.5", pgtest.Scalar[string](t, pool,
			`SELECT doc->>'VALUE' FROM x_sensor_readings WHERE record_key = '370102002-T01'`))
		if !timescale {
			return
		}
		rows, err := pool.Query(ctx, `SELECT _timescaledb_functions.to_timestamp(lowest_modified_value),
				_timescaledb_functions.to_timestamp(greatest_modified_value)
			FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log`)
		require.NoError(t, err)
		var ranges [][2]time.Time
		for rows.Next() {
			var r [2]time.Time
			require.NoError(t, rows.Scan(&r[0], &r[1]))
			ranges = append(ranges, r)
		}
		require.NoError(t, rows.Err())
		require.NotEmpty(t, ranges, "the writes before 15:20 are recorded")
		var lateSeen bool
		for _, r := range ranges {
			assert.Less(t, r[1].Sub(r[0]), 30*time.Minute, "a recorded range %s → %s spans the late reading and the live ones",
				r[0].In(schemas.Shanghai), r[1].In(schemas.Shanghai))
			lateSeen = lateSeen || r[0].Equal(now.Add(-2*time.Hour))
		}
		assert.True(t, lateSeen, "the late reading's own minute is recorded: %v", ranges)
	})
}
