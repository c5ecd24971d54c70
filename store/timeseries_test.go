package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// reading is one 感知数据 version as ingest hands it to the sink.
func reading(company, indicator string, at time.Time, value string, received time.Time) store.Version {
	return store.Version{MsgID: uuid.New(), Company: company, Key: indicator, EventTime: at, Version: received.UnixNano(),
		ReceivedAt: received, Doc: []byte(fmt.Sprintf(`{"INDICATOR_CODE":%q,"VALUE":%s,"COLLECT_TIME":%q}`,
			indicator, value, at.In(schemas.Shanghai).Format("2006-01-02 15:04:05")))}
}

// exchangeAt is the exchange store on pool with the partitions of the Shanghai time at.
func exchangeAt(t testing.TB, pool *pgxpool.Pool, at string) (context.Context, *store.Exchange, time.Time) {
	ctx := context.Background()
	now := testclock.Parse(t, at)
	require.NoError(t, store.EnsurePartitions(ctx, pool, now))
	return ctx, store.NewExchange(pool), now
}

// bothPaths runs f on a migrated database of the TimescaleDB server and of the plain one.
func bothPaths(t *testing.T, f func(t *testing.T, pool *pgxpool.Pool, timescale bool)) {
	for _, c := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"timescaledb", pgtest.NewDatabase}, {"plain", pgtest.NewPlainDatabase}} {
		t.Run(c.name, func(t *testing.T) {
			pool := pgtest.Migrated(t, c.dsn(t))
			ts, err := store.TimescaleDB(context.Background(), pool)
			require.NoError(t, err)
			if pgtest.Promised() {
				require.Equal(t, c.name == "timescaledb", ts, "make test's servers promise each path")
			}
			f(t, pool, ts)
		})
	}
}

// The sink's write stores each reading and device status in its typed series — their
// history — in the same transaction as the current state; a replayed batch stores
// nothing twice, a correction received later replaces the value, and the value it
// replaced is kept in the JSON history.
func TestTypedSeriesWrittenOnceUnderReplay(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 09:30:00")
		var vs []store.Version
		for i := range 10 {
			vs = append(vs, reading("370102001", "370102001-T01", now.Add(time.Duration(i)*time.Minute),
				fmt.Sprintf("%d.25", 20+i), now.Add(time.Duration(i)*time.Minute+time.Second)))
		}
		// The same reading twice in one batch (a client's retry) counts once too.
		vs = append(vs, vs[3])
		status := store.Version{MsgID: uuid.New(), Company: "370102001", Key: "DEV-01", EventTime: now, Version: 1,
			ReceivedAt: now, Doc: []byte(`{"DEVICE_CODE":"DEV-01","DATE_TIME":"2026-12-05 09:30:00","RUN_STATUS":"0"}`)}
		batch := map[*schemas.Table][]store.Version{schemas.SensorReadings: vs,
			schemas.GasStationVideoDeviceStatuses: {status}}
		require.NoError(t, ex.Apply(ctx, batch, nil))
		require.NoError(t, ex.Apply(ctx, batch, nil), "a replayed batch is harmless")

		require.Equal(t, int64(10), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings`))
		require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_sensor_readings_history`),
			"the typed series is the readings' history: no JSON row beside it")
		require.Equal(t, 23.25+6, pgtest.Scalar[float64](t, pool, `SELECT (doc->>'VALUE')::float8 FROM x_sensor_readings`),
			"the current state is as before: the point's latest reading")
		require.Equal(t, 23.25, pgtest.Scalar[float64](t, pool, `SELECT value FROM ts_sensor_readings
			WHERE company_code = '370102001' AND indicator_code = '370102001-T01' AND collect_time = $1`, now.Add(3*time.Minute)))
		require.False(t, pgtest.Scalar[bool](t, pool, `SELECT running FROM ts_gas_station_video_device_status
			WHERE company_code = '370102001' AND device_code = 'DEV-01' AND status_time = $1`, now))
		require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_video_device_status`))

		// A correction of the 09:33 reading received later replaces it; an older
		// re-send of it does not.
		fix := reading("370102001", "370102001-T01", now.Add(3*time.Minute), "99.5", now.Add(time.Hour))
		stale := reading("370102001", "370102001-T01", now.Add(3*time.Minute), "1.5", now.Add(-time.Hour))
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: {fix}}, nil))
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: {stale}}, nil))
		require.Equal(t, 99.5, pgtest.Scalar[float64](t, pool, `SELECT value FROM ts_sensor_readings
			WHERE collect_time = $1`, now.Add(3*time.Minute)))
		require.Equal(t, int64(10), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings`))
		require.Equal(t, `{"VALUE": 23.25, "COLLECT_TIME": "2026-12-05 09:33:00", "INDICATOR_CODE": "370102001-T01"} `+
			vs[3].ReceivedAt.UTC().Format(time.RFC3339),
			pgtest.Scalar[string](t, pool, `SELECT doc::text || ' ' || to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
				FROM x_sensor_readings_history`),
			"the replaced reading is in the JSON history as it was stored, received when it was; the stale re-send adds nothing")
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: {fix}}, nil))
		require.Equal(t, int64(1), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_sensor_readings_history`),
			"a replayed correction replaces nothing more")

		// The aggregates answer from the readings (real-time on TimescaleDB, a view on
		// plain PostgreSQL): one hour bucket of the 10, one minute bucket each. The
		// refresh policy's background job may have materialized the bucket before the
		// correction arrived (it then waits for the next refresh, as in production);
		// refreshing here makes the answer the same whichever came first.
		if timescale {
			for _, agg := range []string{"ts_sensor_readings_1m", "ts_sensor_readings_1h"} {
				// The policy's job may be refreshing the same aggregate at this
				// moment (SQLSTATE 55P03, CI of 2026-12-05): refreshTrend waits for it.
				refreshTrend(t, pool, `CALL refresh_continuous_aggregate($1::regclass, NULL, NULL)`, agg)
			}
		}
		var n int64
		var lo, hi, mean float64
		require.NoError(t, pool.QueryRow(ctx, `SELECT n, lo, hi, mean FROM ts_sensor_readings_1h
			WHERE company_code = '370102001' AND indicator_code = '370102001-T01' AND bucket = $1`,
			now.Truncate(time.Hour)).Scan(&n, &lo, &hi, &mean))
		require.Equal(t, int64(10), n)
		require.Equal(t, 20.25, lo)
		require.Equal(t, 99.5, hi)
		require.InDelta(t, (20.25+21.25+22.25+99.5+24.25+25.25+26.25+27.25+28.25+29.25)/10, mean, 1e-9)
		require.Equal(t, int64(10), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings_1m
			WHERE company_code = '370102001' AND indicator_code = '370102001-T01' AND n = 1`))
		if timescale {
			require.True(t, pgtest.Scalar[bool](t, pool, `SELECT count(*) = 3 FROM timescaledb_information.hypertables
				WHERE hypertable_name LIKE 'ts\_%' AND compression_enabled`))
			require.Equal(t, int64(2), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM timescaledb_information.continuous_aggregates
				WHERE view_name IN ('ts_sensor_readings_1m', 'ts_sensor_readings_1h')`))
		} else {
			require.Equal(t, "ts_sensor_readings_p202612", pgtest.Scalar[string](t, pool,
				`SELECT DISTINCT tableoid::regclass::text FROM ts_sensor_readings`), "the readings are in their month's partition")
		}
	})
}

// A batch whose facts are partly stored already is written whole: the new ones once,
// a correction received later replacing its reading, an older re-send and a replayed
// status changing nothing — the plain insert the sink tries first refuses such a batch
// and it is written again with the conflict rules, with nothing of the first try left.
func TestTypedSeriesBatchPartlyStored(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, _ bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 10:30:00")
		first := []store.Version{
			reading("370102001", "370102001-T01", now, "20.5", now.Add(time.Second)),
			reading("370102001", "370102001-T01", now.Add(time.Minute), "21.5", now.Add(time.Minute+time.Second)),
		}
		status := store.Version{MsgID: uuid.New(), Company: "370102001", Key: "DEV-01", EventTime: now, Version: 1,
			ReceivedAt: now, Doc: []byte(`{"DEVICE_CODE":"DEV-01","DATE_TIME":"2026-12-05 10:30:00","RUN_STATUS":"1"}`)}
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: first,
			schemas.VideoDeviceStatuses: {status}}, nil))

		mixed := []store.Version{
			reading("370102001", "370102001-T01", now.Add(2*time.Minute), "22.5", now.Add(2*time.Minute+time.Second)),
			reading("370102001", "370102001-T01", now, "99.5", now.Add(time.Hour)),                  // a correction
			reading("370102001", "370102001-T01", now.Add(time.Minute), "1.5", now.Add(-time.Hour)), // an older re-send
			reading("370102001", "370102001-T02", now, "7.5", now.Add(time.Second)),
			// A reading and its correction in one batch: the later-received one wins.
			reading("370102001", "370102001-T02", now.Add(time.Minute), "6.5", now.Add(time.Minute+2*time.Second)),
			reading("370102001", "370102001-T02", now.Add(time.Minute), "5.5", now.Add(time.Minute+time.Second)),
		}
		newStatus := status
		newStatus.MsgID, newStatus.EventTime, newStatus.ReceivedAt = uuid.New(), now.Add(10*time.Minute), now.Add(10*time.Minute)
		newStatus.Doc = []byte(`{"DEVICE_CODE":"DEV-01","DATE_TIME":"2026-12-05 10:40:00","RUN_STATUS":"0"}`)
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: mixed,
			schemas.VideoDeviceStatuses: {status, newStatus}}, nil))

		values := func() string {
			t.Helper()
			rows, err := pool.Query(ctx, `SELECT indicator_code || ' ' || to_char(collect_time AT TIME ZONE 'Asia/Shanghai', 'HH24:MI') || ' ' || value
				FROM ts_sensor_readings ORDER BY indicator_code, collect_time`)
			require.NoError(t, err)
			var out []string
			for rows.Next() {
				var s string
				require.NoError(t, rows.Scan(&s))
				out = append(out, s)
			}
			require.NoError(t, rows.Err())
			return strings.Join(out, "; ")
		}
		require.Equal(t, "370102001-T01 10:30 99.5; 370102001-T01 10:31 21.5; 370102001-T01 10:32 22.5; 370102001-T02 10:30 7.5; 370102001-T02 10:31 6.5", values())
		require.Equal(t, int64(2), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_video_device_status`))
		require.True(t, pgtest.Scalar[bool](t, pool, `SELECT running FROM ts_video_device_status WHERE status_time = $1`, now))
		superseded := func() string {
			t.Helper()
			return pgtest.Scalar[string](t, pool, `SELECT string_agg(record_key || ' ' || (doc->>'VALUE'), '; ' ORDER BY record_key)
				FROM x_sensor_readings_history`)
		}
		require.Equal(t, "370102001-T01 20.5; 370102001-T02 5.5", superseded(),
			"the JSON history keeps what the winners replaced: the stored 10:30 reading and the batch's own earlier 10:31")

		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: mixed,
			schemas.VideoDeviceStatuses: {status, newStatus}}, nil), "a replayed mixed batch is harmless")
		require.Equal(t, "370102001-T01 10:30 99.5; 370102001-T01 10:31 21.5; 370102001-T01 10:32 22.5; 370102001-T02 10:30 7.5; 370102001-T02 10:31 6.5", values())
		require.Equal(t, int64(2), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_video_device_status`))
		require.Equal(t, "370102001-T01 20.5; 370102001-T02 5.5", superseded(), "and nothing twice")
		require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_device_status_history`))
	})
}

// A status re-sent and then corrected is one replaced value, whichever way the sink's
// fetches split the re-sends: with [s, s] then [s, changed] the second batch holds an
// outvoted copy of the stored value, and the JSON history keeps that copy alone, not
// also a record rebuilt from the stored row (CI of 2026-12-06 counted two).
func TestReplacedValueKeptOnceWhateverTheFetchSplit(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, _ bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 12:30:00")
		doc := func(run string) []byte {
			return []byte(`{"DEVICE_CODE":"DEV-07","DATE_TIME":"2026-12-05 12:30:00","RUN_STATUS":"` + run + `"}`)
		}
		sent := store.Version{MsgID: uuid.New(), Company: "370102001", Key: "DEV-07", EventTime: now, Version: 1,
			ReceivedAt: now, Doc: doc("1")}
		twice, again := sent, sent
		twice.Version, twice.ReceivedAt = 2, now.Add(time.Millisecond)
		again.Version, again.ReceivedAt = 3, now.Add(2*time.Millisecond) // the same content: the same id
		changed := store.Version{MsgID: uuid.New(), Company: "370102001", Key: "DEV-07", EventTime: now, Version: 4,
			ReceivedAt: now.Add(3 * time.Millisecond), Doc: doc("0")}

		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoDeviceStatuses: {sent, twice}}, nil))
		second := map[*schemas.Table][]store.Version{schemas.VideoDeviceStatuses: {again, changed}}
		for range 2 { // the second batch, then its replay
			require.NoError(t, ex.Apply(ctx, second, nil))
			require.False(t, pgtest.Scalar[bool](t, pool, `SELECT running FROM ts_video_device_status WHERE device_code = 'DEV-07'`))
			require.Equal(t, "1", pgtest.Scalar[string](t, pool, `SELECT string_agg(doc->>'RUN_STATUS', ', ')
				FROM x_video_device_status_history WHERE record_key = 'DEV-07'`), "the replaced status, once")
		}
	})
}

// Which forms of a value are a typed row, and as what: a number or a numeric string
// within the seed's decimal (an exponent as PostgreSQL's numeric reads it), a run
// status "0"/"1" as a string or a number; anything else — which validation refuses
// before the sink — is kept in the JSON history rather than failing its batch. Each
// form goes alone in its batch.
func TestSeriesValueForms(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, _ bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 13:30:00")
		readings := map[string]string{ // point → VALUE as sent
			"T-NUM": `12.50`, "T-STR": `"12.50"`, "T-NEG": `-0.125`, "T-EXP": `1e2`, "T-NA": `"n/a"`,
			"T-LONG": `12345678901234567`, "T-STREXP": `"1e2"`, "T-NULL": `null`, "T-ESC": `"\u0031\u0032"`,
		}
		for point, value := range readings {
			require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{
				schemas.SensorReadings: {reading("370102001", point, now, value, now.Add(time.Second))}}, nil), point)
		}
		statuses := map[string]string{"D-ON": `"1"`, "D-OFF": `0`, "D-TWO": `"2"`, "D-BOOL": `true`}
		for device, run := range statuses {
			require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoDeviceStatuses: {{
				MsgID: uuid.New(), Company: "370102001", Key: device, EventTime: now, Version: 1, ReceivedAt: now,
				Doc: []byte(`{"DEVICE_CODE":"` + device + `","DATE_TIME":"2026-12-05 13:30:00","RUN_STATUS":` + run + `}`)}}}, nil), device)
		}
		list := func(q string) string {
			t.Helper()
			return pgtest.Scalar[string](t, pool, `SELECT string_agg(x, '; ' ORDER BY x) FROM (`+q+`) q(x)`)
		}
		require.Equal(t, "T-ESC 12; T-EXP 100; T-NEG -0.125; T-NUM 12.5; T-STR 12.5",
			list(`SELECT indicator_code || ' ' || value FROM ts_sensor_readings`))
		require.Equal(t, "T-LONG; T-NA; T-NULL; T-STREXP", list(`SELECT record_key FROM x_sensor_readings_history`))
		require.Equal(t, "D-OFF false; D-ON true", list(`SELECT device_code || ' ' || running FROM ts_video_device_status`))
		require.Equal(t, "D-BOOL; D-TWO", list(`SELECT record_key FROM x_video_device_status_history`))
	})
}

// A version that cannot be a typed row (its value not the seed's number: validation
// refuses it before the sink, so this is the store's own guard) goes to the JSON
// history beside a batch whose other versions are typed rows, and a replay of the
// batch stores it there once.
func TestUntypedVersionKeptInTheJSONHistory(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, _ bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 11:30:00")
		batch := map[*schemas.Table][]store.Version{schemas.SensorReadings: {
			reading("370102001", "370102001-T01", now, "20.5", now.Add(time.Second)),
			reading("370102001", "370102001-T02", now, `"n/a"`, now.Add(time.Second)),
			reading("370102001", "370102001-T03", now, "7.5", now.Add(time.Second)),
		}}
		for range 2 { // the batch, then its replay
			require.NoError(t, ex.Apply(ctx, batch, nil))
			require.Equal(t, int64(2), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM ts_sensor_readings`))
			require.Equal(t, "370102001-T02 n/a", pgtest.Scalar[string](t, pool,
				`SELECT string_agg(record_key || ' ' || (doc->>'VALUE'), '; ') FROM x_sensor_readings_history`))
		}
	})
}

// jobs lists the policy jobs of the typed series as "table proc age".
func jobs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT hypertable_name || ' ' || proc_name || ' ' ||
			justify_hours(COALESCE(config->>'compress_after', config->>'drop_after')::interval)::text
		FROM timescaledb_information.jobs WHERE hypertable_name LIKE 'ts\_%' AND proc_name IN ('policy_compression', 'policy_retention')
		ORDER BY 1`)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// Compression and retention follow the configuration: applied once they are there,
// applying again changes no job, and a changed age replaces the job.
func TestSeriesPoliciesFollowTheConfiguration(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		ctx := context.Background()
		now := testclock.Parse(t, "2026-12-05 09:30:00")
		ps := []store.SeriesPolicy{
			{Table: store.SensorReadingsSeries, CompressAfter: 7 * 24 * time.Hour, RetainFor: 180 * 24 * time.Hour},
			{Table: store.VideoDeviceStatusSeries, CompressAfter: 7 * 24 * time.Hour, RetainFor: 90 * 24 * time.Hour},
			{Table: store.GasStationDeviceStatusSeries, CompressAfter: 0, RetainFor: 0},
		}
		if !timescale {
			// Plain PostgreSQL: retention drops whole months older than RetainFor.
			ex := store.NewExchange(pool)
			old := now.AddDate(0, -8, 0)
			require.NoError(t, store.EnsurePartitions(ctx, pool, old))
			require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.SensorReadings: {
				reading("370102001", "370102001-T01", old, "1.0", old),
				reading("370102001", "370102001-T01", now, "2.0", now)}}, nil))
			require.NoError(t, store.ApplySeriesPolicies(ctx, pool, ps, now))
			require.Equal(t, 2.0, pgtest.Scalar[float64](t, pool, `SELECT value FROM ts_sensor_readings`),
				"the reading of 8 months ago is gone with its month, today's kept")
			require.False(t, pgtest.Scalar[bool](t, pool, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1)`,
				"ts_sensor_readings_p"+old.UTC().Format("200601")))
			return
		}
		require.NoError(t, store.ApplySeriesPolicies(ctx, pool, ps, now))
		want := []string{
			"ts_sensor_readings policy_compression 7 days",
			"ts_sensor_readings policy_retention 180 days",
			"ts_video_device_status policy_compression 7 days",
			"ts_video_device_status policy_retention 90 days",
		}
		require.Equal(t, want, jobs(t, pool))
		ids := pgtest.Scalar[string](t, pool, `SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM timescaledb_information.jobs`)
		require.NoError(t, store.ApplySeriesPolicies(ctx, pool, ps, now))
		require.Equal(t, ids, pgtest.Scalar[string](t, pool, `SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM timescaledb_information.jobs`),
			"applying the same configuration again leaves every job as it was")

		ps[0].CompressAfter = 2 * 24 * time.Hour
		ps[1].RetainFor = 0
		ps[2].CompressAfter = 24 * time.Hour
		require.NoError(t, store.ApplySeriesPolicies(ctx, pool, ps, now))
		require.Equal(t, []string{
			"ts_gas_station_video_device_status policy_compression 1 day",
			"ts_sensor_readings policy_compression 2 days",
			"ts_sensor_readings policy_retention 180 days",
			"ts_video_device_status policy_compression 7 days",
		}, jobs(t, pool))
	})
}

// A JSON history keeps one row per message id across batches, partitions and receipt
// times (the alarms' histories: the tables without a typed series; their records here
// are reading-shaped, which the store does not read): a batch mixing versions already stored (replayed with their own receipt
// time, or re-sent facts received again later), a duplicate within the batch and new
// versions stores exactly the new ones; the stored rows are untouched; and a batch
// applied by two sinks at once is stored once.
func TestHistoryDedupByMessageID(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, _ bool) {
		ctx, ex, now := exchangeAt(t, pool, "2026-12-05 09:30:00")
		var first []store.Version
		for i := range 300 {
			first = append(first, reading("370102001", fmt.Sprintf("370102001-T%03d", i%30), now.Add(time.Duration(i)*time.Second),
				fmt.Sprint(i), now.Add(time.Duration(i)*time.Second)))
		}
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: first}, nil))
		require.Equal(t, int64(300), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms_history`))

		var second []store.Version
		for i := 0; i < 300; i += 3 { // a hundred stored ones again, received a day later
			v := first[i]
			v.ReceivedAt = v.ReceivedAt.Add(24 * time.Hour)
			v.Doc = []byte(`{"INDICATOR_CODE":"x","VALUE":-1,"COLLECT_TIME":"2026-12-05 09:30:00"}`)
			second = append(second, v)
		}
		var fresh []store.Version
		for i := range 50 {
			fresh = append(fresh, reading("370102002", fmt.Sprintf("370102002-T%03d", i), now, "1", now.Add(time.Minute)))
		}
		second = append(second, fresh...)
		second = append(second, fresh[7], first[5]) // twice in the batch; stored, exactly as replayed
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: second}, nil))

		require.Equal(t, int64(350), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms_history`))
		require.Equal(t, int64(350), pgtest.Scalar[int64](t, pool, `SELECT count(DISTINCT msg_id) FROM x_video_alarms_history`))
		require.Zero(t, pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms_history WHERE doc->>'VALUE' = '-1'`),
			"a stored version is never replaced by a re-send under its id")
		require.Equal(t, int64(50), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms_history
			WHERE company_code = '370102002'`))

		// Two sinks applying one batch at once (a partition handed over while its batch
		// was being written) store each version once: the transaction that meets the
		// other's uncommitted row waits for it, fails on the history's key when it
		// commits, and is retried, its dedup then skipping what the other stored.
		var vs []store.Version
		for i := range 20 {
			vs = append(vs, reading("370102003", fmt.Sprintf("370102003-T%03d", i), now, fmt.Sprint(i), now.Add(time.Second)))
		}
		other, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer other.Rollback(ctx) //nolint:errcheck // committed below
		v := vs[3]
		_, err = other.Exec(ctx, `INSERT INTO x_video_alarms_history
			(msg_id, company_code, record_key, deleted, event_time, version, received_at, doc)
			VALUES ($1, $2, $3, false, $4, $5, $6, $7)`, v.MsgID, v.Company, v.Key, v.EventTime, v.Version, v.ReceivedAt, string(v.Doc))
		require.NoError(t, err)

		done := make(chan error, 1)
		go func() {
			done <- ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: vs}, nil)
		}()
		require.Eventually(t, func() bool {
			return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'
				AND query LIKE 'INSERT INTO x_video_alarms_history%'`) == 1
		}, 30*time.Second, 5*time.Millisecond, "the sink waits on the other writer's row")
		require.NoError(t, other.Commit(ctx))
		require.NoError(t, <-done)

		require.Equal(t, int64(20), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms_history
			WHERE company_code = '370102003'`))
		require.Equal(t, int64(20), pgtest.Scalar[int64](t, pool, `SELECT count(DISTINCT msg_id) FROM x_video_alarms_history
			WHERE company_code = '370102003'`))
		require.Equal(t, int64(20), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM x_video_alarms WHERE company_code = '370102003'`))
	})
}
