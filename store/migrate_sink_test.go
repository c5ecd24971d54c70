package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// migrateUpTo applies the platform's migrations up to and including version, as a
// database last migrated by an older binary would be.
func migrateUpTo(t *testing.T, pool *pgxpool.Pool, version int64) {
	t.Helper()
	sub, err := fs.Sub(store.Migrations, "migrations")
	require.NoError(t, err)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	require.NoError(t, err)
	_, err = provider.UpTo(context.Background(), version)
	require.NoError(t, err)
}

// olderBinaryDatabases runs f on a new database of the TimescaleDB server and of the
// plain one, each migrated up to and including version, as an older binary left it.
func olderBinaryDatabases(t *testing.T, version int64, f func(t *testing.T, pool *pgxpool.Pool, dsn func(testing.TB) string)) {
	for name, dsn := range map[string]func(testing.TB) string{
		"timescaledb": pgtest.NewDatabase, "plain": pgtest.NewPlainDatabase,
	} {
		t.Run(name, func(t *testing.T) {
			pool := pgtest.Open(t, dsn(t))
			migrateUpTo(t, pool, version)
			f(t, pool, dsn)
		})
	}
}

// historyTimeIndexes counts the indexes of the exchange histories whose only column is
// received_at.
func historyTimeIndexes(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
		WHERE c.relname LIKE 'x\_%\_history' AND c.relnamespace = 'public'::regnamespace
		  AND i.indnatts = 1 AND a.attname = 'received_at'`)
}

// readingsAsRead is what the API and the sharing feed read of company's readings: the
// listing in change order and each record by its key, with the bookkeeping.
func readingsAsRead(t *testing.T, ex *store.Exchange, company string, keys []string) []string {
	t.Helper()
	ctx := context.Background()
	listed, err := ex.List(ctx, schemas.SensorReadings, company, time.Time{}, store.Cursor{}, 100)
	require.NoError(t, err)
	var out []string
	for _, c := range listed {
		out = append(out, fmt.Sprintf("list %s %v %s %s %s", c.Key, c.Deleted, c.ReceivedAt.UTC(), c.UpdatedAt.UTC(), c.Doc))
	}
	for _, k := range keys {
		c, err := ex.Get(ctx, schemas.SensorReadings, company, k)
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("get %s %v %s %s %s", c.Key, c.Deleted, c.ReceivedAt.UTC(), c.UpdatedAt.UTC(), c.Doc))
	}
	return out
}

// Migration 00104 runs on a database holding records (TimescaleDB and plain): the
// histories lose their index on receipt time alone, the time series' current state
// leaves room on its pages, and every record reads back exactly as before; a replay
// after it stores nothing twice and a newer reading still replaces the current one.
func TestSinkIndexMigrationKeepsWhatReadersSee(t *testing.T) {
	olderBinaryDatabases(t, 103, func(t *testing.T, pool *pgxpool.Pool, _ func(testing.TB) string) {
		ctx := context.Background()
		timescale, err := store.TimescaleDB(ctx, pool)
		require.NoError(t, err)
		if timescale {
			require.Equal(t, len(schemas.Tables()), historyTimeIndexes(t, pool),
				"before 00104 every history hypertable has the default index on received_at")
		}

		ex := store.NewExchange(pool)
		company, keys := "370102001", []string{"370102001TI0001", "370102001TI0002", "370102001PI0001"}
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		reading := func(key string, n int) store.Version {
			collected := at.Add(time.Duration(n) * time.Minute)
			return store.Version{MsgID: uuid.New(), Company: company, Key: key, Version: collected.UnixNano(),
				EventTime: collected, ReceivedAt: collected.Add(time.Second),
				Doc: fmt.Appendf(nil, `{"INDICATOR_CODE":%q,"VALUE":%d.5,"COLLECT_TIME":%q}`, key, n, collected.Format(time.DateTime))}
		}
		var batch []store.Version
		for n := range 3 {
			for _, k := range keys {
				batch = append(batch, reading(k, n))
			}
		}
		write := func(vs ...store.Version) {
			t.Helper()
			require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: vs}, nil))
		}
		write(batch...)
		before := readingsAsRead(t, ex, company, keys)
		history := func() int {
			return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM x_sensor_readings_history WHERE company_code = $1`, company)
		}
		require.Equal(t, len(batch), history())

		require.NoError(t, store.Migrate(ctx, pool))
		require.Zero(t, historyTimeIndexes(t, pool), "no history keeps an index on received_at alone")
		for _, table := range []string{"x_sensor_readings", "x_video_device_status", "x_gas_station_video_device_status"} {
			require.Equal(t, []string{"fillfactor=50"},
				pgtest.Scalar[[]string](t, pool, `SELECT reloptions FROM pg_class WHERE relname = $1`, table), table)
		}
		require.Equal(t, before, readingsAsRead(t, ex, company, keys), "every record reads back as before")

		write(batch...)
		require.Equal(t, len(batch), history(), "a replay after the migration stores nothing twice")
		require.Equal(t, before, readingsAsRead(t, ex, company, keys), "and changes no current record")
		newer := reading(keys[0], 9)
		write(newer)
		require.Equal(t, len(batch)+1, history())
		got, err := ex.Get(ctx, schemas.SensorReadings, company, keys[0])
		require.NoError(t, err)
		require.JSONEq(t, string(newer.Doc), string(got.Doc), "a newer reading replaces the current one")
		ok, err := ex.StoredSince(ctx, schemas.SensorReadings, company, keys[0], newer.ReceivedAt)
		require.NoError(t, err)
		require.True(t, ok, "read-your-writes finds it")
	})
}
