package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
)

// The platform refreshes the per-minute trend itself when configured to
// (CHEMGUARD_TREND_REFRESH_BY=platform, the default of serve): TimescaleDB's policy is
// turned off at start, and a reading older than the settle is materialized by the
// platform's next round. The rounds' logic is store's (TestTrendMinutesRefreshedByThePlatform);
// this is the wiring. On plain PostgreSQL there is nothing to refresh.
func TestPlatformRefreshesTheTrend(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		TrendRefresh: store.TrendRefresh{Every: 100 * time.Millisecond, Settle: time.Minute}})
	ctx := context.Background()
	timescale, err := store.TimescaleDB(ctx, app.Pool)
	require.NoError(t, err)
	if !timescale {
		t.Skip("plain PostgreSQL: the trend is a view")
	}
	require.False(t, pgtest.Scalar[bool](t, app.Pool, `SELECT scheduled FROM timescaledb_information.jobs
		WHERE hypertable_name = 'ts_sensor_readings_1m'`), "the policy is off")
	// The database's clock, which TimescaleDB's refresh windows are on.
	var at time.Time
	require.NoError(t, app.Pool.QueryRow(ctx, `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
		VALUES ('370102001', '370102001-T01', date_trunc('minute', now()) - interval '5 minutes', 7.25, now()) RETURNING collect_time`).Scan(&at))
	eventually(t, 30*time.Second, "the reading's minute materialized by the platform", func() bool {
		return at.Before(pgtest.Watermark(t, app.Pool, "ts_sensor_readings_1m"))
	})
	require.Equal(t, 7.25, pgtest.Scalar[float64](t, app.Pool, `SELECT mean FROM ts_sensor_readings_1m WHERE bucket = $1`, at))
}
