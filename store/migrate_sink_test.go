package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/share"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// migrations is the platform's migrations but those whose file names start with one of
// without: the set an older binary carried.
func migrations(t *testing.T, without ...string) fs.FS {
	t.Helper()
	sub, err := fs.Sub(store.Migrations, "migrations")
	require.NoError(t, err)
	files, err := fs.ReadDir(sub, ".")
	require.NoError(t, err)
	older := fstest.MapFS{}
	for _, f := range files {
		if slices.ContainsFunc(without, func(prefix string) bool { return strings.HasPrefix(f.Name(), prefix) }) {
			continue
		}
		data, err := fs.ReadFile(sub, f.Name())
		require.NoError(t, err)
		older[f.Name()] = &fstest.MapFile{Data: data}
	}
	return older
}

// migrateUpTo applies the migrations of fsys up to and including version, as a
// database last migrated by an older binary would be.
func migrateUpTo(t *testing.T, pool *pgxpool.Pool, fsys fs.FS, version int64) {
	t.Helper()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	require.NoError(t, err)
	_, err = provider.UpTo(context.Background(), version)
	require.NoError(t, err)
}

// olderBinaryDatabases runs f on a new database of the TimescaleDB server and of the
// plain one, each migrated with fsys up to and including version, as an older binary
// left it.
func olderBinaryDatabases(t *testing.T, fsys fs.FS, version int64, f func(t *testing.T, pool *pgxpool.Pool, dsn func(testing.TB) string)) {
	for name, dsn := range map[string]func(testing.TB) string{
		"timescaledb": pgtest.NewDatabase, "plain": pgtest.NewPlainDatabase,
	} {
		t.Run(name, func(t *testing.T) {
			pool := pgtest.Open(t, dsn(t))
			migrateUpTo(t, pool, fsys, version)
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
	olderBinaryDatabases(t, migrations(t), 103, func(t *testing.T, pool *pgxpool.Pool, _ func(testing.TB) string) {
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
		history := func() int { // the readings' history is their typed series
			return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM ts_sensor_readings WHERE company_code = $1`, company)
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

// deviceStatusTimeIndexes counts the indexes of the device status series whose only
// column is status_time.
func deviceStatusTimeIndexes(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
		WHERE c.relname IN ('ts_video_device_status', 'ts_gas_station_video_device_status')
		  AND c.relnamespace = 'public'::regnamespace AND i.indnatts = 1 AND a.attname = 'status_time'`)
}

// Migration 00097 arrives after 00104 on a database holding device status (TimescaleDB
// and plain): the device status series lose their index on status_time alone (on
// TimescaleDB, with their chunks'), the readings keep theirs on collect_time (the
// aggregates' refresh reads it), and the series are written as before: a replay stores
// nothing twice, a new status is stored, a correction replaces one.
func TestDeviceStatusTimeIndexMigration(t *testing.T) {
	olderBinaryDatabases(t, migrations(t, "00097_"), 104, func(t *testing.T, pool *pgxpool.Pool, _ func(testing.TB) string) {
		ctx := context.Background()
		timescale, err := store.TimescaleDB(ctx, pool)
		require.NoError(t, err)
		ex := store.NewExchange(pool)
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		status := func(table *schemas.Table, device string, n int, running string, received time.Duration) map[*schemas.Table][]store.Version {
			reported := at.Add(time.Duration(n) * 10 * time.Minute)
			return map[*schemas.Table][]store.Version{table: {{MsgID: uuid.New(), Company: "370102001", Key: device,
				Version: reported.UnixNano(), EventTime: reported, ReceivedAt: reported.Add(received),
				Doc: fmt.Appendf(nil, `{"DEVICE_CODE":%q,"DATE_TIME":%q,"RUN_STATUS":%q}`, device, reported.Format(time.DateTime), running)}}}
		}
		tables := map[*schemas.Table]string{schemas.VideoDeviceStatuses: "ts_video_device_status",
			schemas.GasStationVideoDeviceStatuses: "ts_gas_station_video_device_status"}
		stored := map[*schemas.Table]map[*schemas.Table][]store.Version{}
		for table := range tables {
			stored[table] = status(table, "DEV-01", 0, "1", time.Second)
			require.NoError(t, ex.Apply(ctx, stored[table], nil))
		}
		chunkIndexes := func() int { // TimescaleDB only: the indexes of the hypertables' chunks
			return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM timescaledb_information.chunks ch
				JOIN pg_class c ON c.relname = ch.chunk_name AND c.relnamespace = ch.chunk_schema::regnamespace
				JOIN pg_index i ON i.indrelid = c.oid
				JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
				WHERE ch.hypertable_name IN ('ts_video_device_status', 'ts_gas_station_video_device_status')
				  AND i.indnatts = 1 AND a.attname = 'status_time'`)
		}
		if timescale {
			require.Equal(t, 2, deviceStatusTimeIndexes(t, pool), "before 00097 both hypertables have the default index on status_time")
			require.Equal(t, 2, chunkIndexes(), "and so has the chunk each status went to")
		}

		require.NoError(t, store.Migrate(ctx, pool))
		require.Zero(t, deviceStatusTimeIndexes(t, pool), "no device status series keeps an index on status_time alone")
		if timescale {
			require.Zero(t, chunkIndexes(), "nor any of their chunks")
			require.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM pg_indexes
				WHERE tablename = 'ts_sensor_readings' AND indexname = 'ts_sensor_readings_collect_time_idx'`),
				"the readings keep the index their aggregates' refresh reads")
		}
		for table, series := range tables {
			require.NoError(t, ex.Apply(ctx, stored[table], nil), "a replay after the migration")
			require.NoError(t, ex.Apply(ctx, status(table, "DEV-01", 1, "0", time.Second), nil))
			require.NoError(t, ex.Apply(ctx, status(table, "DEV-01", 0, "0", time.Hour), nil), "a correction received later")
			require.Equal(t, "false false", pgtest.Scalar[string](t, pool, `SELECT string_agg(running::text, ' ' ORDER BY status_time) FROM `+series), series)
		}
	})
}

// seriesCompanyIndexes counts the (company_code, updated_at, …) indexes of the time
// series' current state.
func seriesCompanyIndexes(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM pg_indexes
		WHERE tablename IN ('x_sensor_readings', 'x_video_device_status', 'x_gas_station_video_device_status')
		  AND indexname LIKE '%\_updated'`)
}

// listedInPages is company's readings as the API lists them, two to a page.
func listedInPages(t *testing.T, ex *store.Exchange, company string, since time.Time) []string {
	t.Helper()
	var out []string
	var after store.Cursor
	for {
		page, err := ex.List(context.Background(), schemas.SensorReadings, company, since, after, 2)
		require.NoError(t, err)
		for _, c := range page {
			out = append(out, c.Key+" "+c.UpdatedAt.UTC().Format(time.RFC3339Nano))
		}
		if len(page) < 2 {
			return out
		}
		after = store.Cursor{UpdatedAt: page[len(page)-1].UpdatedAt, Key: page[len(page)-1].Key}
	}
}

// twoCompaniesReadings writes readings 0–2, a minute apart from an hour ago, of five
// points of each of two companies (370102001 and 370102002; a point's key is the
// company's code and one of keys), and returns keys and a writer of a point's
// reading n.
func twoCompaniesReadings(t *testing.T, ex *store.Exchange) (keys []string, write func(company, key string, n int)) {
	t.Helper()
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	reading := func(company, key string, n int) store.Version {
		collected := at.Add(time.Duration(n) * time.Minute)
		return store.Version{MsgID: uuid.New(), Company: company, Key: key, Version: collected.UnixNano(),
			EventTime: collected, ReceivedAt: collected.Add(time.Second),
			Doc: fmt.Appendf(nil, `{"INDICATOR_CODE":%q,"VALUE":%d.5,"COLLECT_TIME":%q}`, key, n, collected.Format(time.DateTime))}
	}
	apply := func(vs ...store.Version) {
		t.Helper()
		require.NoError(t, ex.Apply(context.Background(), map[*schemas.Table][]store.Version{schemas.SensorReadings: vs}, nil))
	}
	keys = []string{"TI0001", "TI0002", "TI0003", "PI0001", "PI0002"}
	for n := range 3 {
		for _, k := range keys {
			apply(reading("370102001", "370102001"+k, n), reading("370102002", "370102002"+k, n))
		}
	}
	return keys, func(company, key string, n int) { t.Helper(); apply(reading(company, key, n)) }
}

// Migration 00105 runs on a database holding readings of two companies (TimescaleDB
// and plain): the time series' current state loses its (company_code, updated_at,
// record_key) index, and a company's listing — whole, in pages, and since a time —
// reads exactly as before, only its own records; newer readings are listed after it.
func TestSeriesCurrentCompanyIndexMigration(t *testing.T) {
	olderBinaryDatabases(t, migrations(t, "00105_"), 104, func(t *testing.T, pool *pgxpool.Pool, _ func(testing.TB) string) {
		ctx := context.Background()
		ex := store.NewExchange(pool)
		require.Equal(t, 3, seriesCompanyIndexes(t, pool), "before 00105 each time series' current state has it")
		keys, write := twoCompaniesReadings(t, ex)
		var companyKeys []string
		for _, k := range keys {
			companyKeys = append(companyKeys, "370102001"+k)
		}
		before := readingsAsRead(t, ex, "370102001", companyKeys)
		paged := listedInPages(t, ex, "370102001", time.Time{})
		require.Len(t, paged, len(keys), "one current row per point, the other company's not listed")

		require.NoError(t, store.Migrate(ctx, pool))
		require.Zero(t, seriesCompanyIndexes(t, pool), "00105 drops it")
		require.Equal(t, before, readingsAsRead(t, ex, "370102001", companyKeys), "every record reads back as before")
		require.Equal(t, paged, listedInPages(t, ex, "370102001", time.Time{}), "and lists in the same pages")

		since := time.Now()
		write("370102001", "370102001TI0002", 9)
		got := listedInPages(t, ex, "370102001", since)
		require.Len(t, got, 1)
		require.True(t, strings.HasPrefix(got[0], "370102001TI0002 "), "only the point read since: %v", got)
	})
}

// fedInPages is the sharing feed of the readings in the province, two to a page.
func fedInPages(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	feed := share.NewStore(pool)
	var out []string
	var after share.Cursor
	for {
		page, err := feed.Feed(context.Background(), schemas.SensorReadings, tiers.Scope{All: true}, after, 0, 2)
		require.NoError(t, err)
		for _, r := range page {
			out = append(out, fmt.Sprintf("%s %s %v %s %s", r.Company, r.Key, r.Deleted, r.UpdatedAt.UTC().Format(time.RFC3339Nano), r.Doc))
		}
		if len(page) < 2 {
			return out
		}
		last := page[len(page)-1]
		after = share.Cursor{UpdatedAt: last.UpdatedAt, Company: last.Company, Key: last.Key}
	}
}

// Migration 00106 runs on a database holding readings of two companies (TimescaleDB
// and plain): the time series' current state loses its index on updated_at, the
// sharing feed — across companies, in change order, in pages — and a company's
// listing read exactly as before, a newer reading is fed after them, and a point's
// next reading rewrites its row in place (a heap-only update).
func TestSeriesCurrentUpdatedInPlaceMigration(t *testing.T) {
	olderBinaryDatabases(t, migrations(t, "00106_"), 105, func(t *testing.T, pool *pgxpool.Pool, _ func(testing.TB) string) {
		ctx := context.Background()
		ex := store.NewExchange(pool)
		updatedIndexes := func() int {
			return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM pg_indexes
				WHERE tablename IN ('x_sensor_readings', 'x_video_device_status', 'x_gas_station_video_device_status')
				  AND indexdef LIKE '%(updated_at)'`)
		}
		require.Equal(t, 3, updatedIndexes(), "before 00106 each time series' current state has it")
		_, err := pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code) VALUES
			('370102001', '鲁清石化', '370102'), ('370102002', '济华化工', '370102')`)
		require.NoError(t, err)
		keys, write := twoCompaniesReadings(t, ex)
		fed := fedInPages(t, pool)
		require.Len(t, fed, 2*len(keys), "one current row per point of both companies")
		listed := listedInPages(t, ex, "370102001", time.Time{})

		require.NoError(t, store.Migrate(ctx, pool))
		require.Zero(t, updatedIndexes(), "00106 drops it")
		require.Equal(t, fed, fedInPages(t, pool), "the feed reads in the same pages")
		require.Equal(t, listed, listedInPages(t, ex, "370102001", time.Time{}), "and the listing too")

		hot := func() int64 {
			_, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
			require.NoError(t, err)
			return pgtest.Scalar[int64](t, pool, `SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'x_sensor_readings'`)
		}
		hotBefore := hot()
		write("370102002", "370102002TI0002", 9)
		fedAfter := fedInPages(t, pool)
		require.Len(t, fedAfter, len(fed))
		require.Equal(t, "370102002 370102002TI0002", strings.Join(strings.Fields(fedAfter[len(fedAfter)-1])[:2], " "),
			"the newer reading is fed last")
		// The writing backend reports its counts when idle, within PostgreSQL's idle
		// stats interval (10 s); pg_stat_force_next_flush() only hurries the caller's.
		require.Eventually(t, func() bool { return hot() > hotBefore }, 30*time.Second, 100*time.Millisecond,
			"the point's row is rewritten in place")
	})
}
