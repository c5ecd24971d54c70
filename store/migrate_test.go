package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// offers reports what pool's server offers: TimescaleDB's files, and its library
// preloaded.
func offers(t *testing.T, pool *pgxpool.Pool) (available, preloaded bool) {
	t.Helper()
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'),
		current_setting('shared_preload_libraries') ~ '(^|[\s,"])timescaledb([\s,"]|$)'`).Scan(&available, &preloaded))
	return available, preloaded
}

// historyTables counts the exchange tables whose history is a hypertable and those
// whose history is natively partitioned.
func historyTables(t *testing.T, pool *pgxpool.Pool, timescale bool) (hyper, partitioned int) {
	t.Helper()
	ctx := context.Background()
	for _, tb := range schemas.Tables() {
		name := tb.SQLName() + "_history"
		var p bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_partitioned_table pt
			JOIN pg_class c ON c.oid = pt.partrelid WHERE c.relname = $1)`, name).Scan(&p))
		if p {
			partitioned++
		}
		if timescale {
			var h bool
			require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
				WHERE hypertable_name = $1)`, name).Scan(&h))
			if h {
				hyper++
			}
		}
	}
	return hyper, partitioned
}

// roundTrip stores one version of a hidden danger twice (a replay) and reads it back
// from the current state and the history, and returns the relation the history row
// landed in.
func roundTrip(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	ex := store.NewExchange(pool)
	now := time.Now().Truncate(time.Microsecond)
	v := store.Version{MsgID: uuid.New(), Company: "370102001", Key: "YH-0001", Version: 1, ReceivedAt: now,
		Doc: []byte(`{"DANGER_ID":"YH-0001","DANGER_NAME":"储罐区可燃气体检测器失效"}`)}
	batch := map[*schemas.Table][]store.Version{schemas.HiddenDangers: {v}}
	require.NoError(t, ex.Apply(ctx, batch, nil))
	require.NoError(t, ex.Apply(ctx, batch, nil), "a replayed batch is harmless")
	got, err := ex.Get(ctx, schemas.HiddenDangers, "370102001", "YH-0001")
	require.NoError(t, err)
	require.JSONEq(t, string(v.Doc), string(got.Doc))
	require.True(t, now.Equal(got.ReceivedAt))
	var n int
	var where string
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) OVER (), tableoid::regclass::text FROM `+
		schemas.HiddenDangers.SQLName()+`_history WHERE company_code = $1`, "370102001").Scan(&n, &where))
	require.Equal(t, 1, n, "the replay stored nothing twice")
	return where
}

// A server that has TimescaleDB's files but does not preload the library answers
// CREATE EXTENSION with a FATAL that ends the connection: the migrations must not try
// it there, and take the native-partitioning path instead. make test's plain server is
// exactly that server.
func TestMigrateWhereTimescaleDBIsAvailableButNotPreloaded(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Open(t, pgtest.NewPlainDatabase(t))
	available, preloaded := offers(t, pool)
	require.False(t, preloaded, "the plain server must not preload timescaledb")
	if pgtest.Promised() {
		require.True(t, available, "make test's plain server has the extension's files (the private install's binaries)")
	}
	require.NoError(t, store.Migrate(ctx, pool))
	require.NoError(t, store.Migrate(ctx, pool), "a second run finds nothing to do")

	var ext bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')`).Scan(&ext))
	require.False(t, ext)
	_, partitioned := historyTables(t, pool, false)
	require.Equal(t, len(schemas.Tables()), partitioned, "every history is natively partitioned")
	where := roundTrip(t, pool)
	require.Equal(t, schemas.HiddenDangers.SQLName()+"_history_p"+time.Now().UTC().Format("200601"), where,
		"the row is in its month's partition, not the default one")
}

// On a server that preloads TimescaleDB (make test's suite server) the migrations
// create the extension and every exchange history is a hypertable.
func TestMigrateTakesTheTimescaleDBPath(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Open(t, pgtest.NewDatabase(t))
	available, preloaded := offers(t, pool)
	if pgtest.Promised() {
		require.True(t, available && preloaded, "make test's suite server preloads timescaledb")
	}
	require.NoError(t, store.Migrate(ctx, pool))
	hyper, partitioned := historyTables(t, pool, available && preloaded)
	where := roundTrip(t, pool)
	if !(available && preloaded) {
		// Outside make test a plain server is all there may be: the plain path then.
		require.Equal(t, len(schemas.Tables()), partitioned)
		return
	}
	require.Equal(t, len(schemas.Tables()), hyper, "every exchange history is a hypertable")
	require.Zero(t, partitioned)
	require.Contains(t, where, "_timescaledb_internal._hyper_", "the row is in a chunk")
}
