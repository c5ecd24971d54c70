package store_test

import (
	"context"
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
		require.Equal(t, "00:05:00 00:10:00 03:00:00", job())
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, store.TrendRefresh{}))
		require.Equal(t, "00:05:00 00:10:00 03:00:00", job(), "the zero value leaves it")
		require.NoError(t, store.ApplyTrendRefresh(ctx, pool, store.TrendRefresh{Every: time.Minute, Settle: time.Minute}))
		require.Equal(t, "00:01:00 00:01:00 03:00:00", job())
	})
}
