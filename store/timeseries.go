package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/schemas"
)

// The typed time-series tables (migration 00060): one row per reading or status
// report, in typed columns, beside the exchange table's JSON history.
const (
	SensorReadingsSeries         = "ts_sensor_readings"
	VideoDeviceStatusSeries      = "ts_video_device_status"
	GasStationDeviceStatusSeries = "ts_gas_station_video_device_status"
)

// TimeSeriesTables are the typed time-series tables, each with the column it is
// partitioned by time on.
var TimeSeriesTables = []struct{ Name, TimeColumn string }{
	{SensorReadingsSeries, "collect_time"},
	{VideoDeviceStatusSeries, "status_time"},
	{GasStationDeviceStatusSeries, "status_time"},
}

// typedInserts copies a staged batch of an exchange table into its typed series (%[1]s
// is the stage). The version time is the series' time; a row whose value does not read
// as the seed's number is left to the JSON history alone rather than failing the batch
// (validation refuses such a value before it gets here). Within a batch the latest
// received version of a (company, point, time) wins, and a stored row is replaced only
// by one received later (onConflict): a replay (same received_at) changes nothing, a
// company's correction replaces the reading.
var typedInserts = map[*schemas.Table]typedInsert{
	schemas.SensorReadings: {
		insert: `INSERT INTO ts_sensor_readings (company_code, indicator_code, collect_time, value, received_at)
		SELECT DISTINCT ON (company_code, record_key, event_time)
			company_code, record_key, event_time, (doc->>'VALUE')::float8, received_at
		FROM %[1]s
		WHERE NOT deleted AND event_time IS NOT NULL AND doc->>'VALUE' ~ '^-?[0-9]{1,16}(\.[0-9]{1,8})?$'
		ORDER BY company_code, record_key, event_time, received_at DESC, version DESC`,
		onConflict: `
		ON CONFLICT (company_code, indicator_code, collect_time) DO UPDATE
			SET value = EXCLUDED.value, received_at = EXCLUDED.received_at
			WHERE ts_sensor_readings.received_at < EXCLUDED.received_at`,
	},
	schemas.VideoDeviceStatuses:           deviceStatusInsert(VideoDeviceStatusSeries),
	schemas.GasStationVideoDeviceStatuses: deviceStatusInsert(GasStationDeviceStatusSeries),
}

// typedInsert is one typed series' insert of a staged batch and the clause that makes
// it replace a stored row only by one received later.
type typedInsert struct{ insert, onConflict string }

func deviceStatusInsert(series string) typedInsert {
	return typedInsert{
		insert: `INSERT INTO ` + series + ` (company_code, device_code, status_time, running, received_at)
		SELECT DISTINCT ON (company_code, record_key, event_time)
			company_code, record_key, event_time, doc->>'RUN_STATUS' = '1', received_at
		FROM %[1]s
		WHERE NOT deleted AND event_time IS NOT NULL AND doc->>'RUN_STATUS' IN ('0', '1')
		ORDER BY company_code, record_key, event_time, received_at DESC, version DESC`,
		onConflict: `
		ON CONFLICT (company_code, device_code, status_time) DO UPDATE
			SET running = EXCLUDED.running, received_at = EXCLUDED.received_at
			WHERE ` + series + `.received_at < EXCLUDED.received_at`,
	}
}

// applyTyped writes the staged batch of t into its typed series, if t has one, in
// the sink's transaction: a batch acknowledged to the broker is in both or neither.
//
// A batch's facts are nearly always new, so it is first inserted plainly, under a
// savepoint: ON CONFLICT makes every row a speculative insertion (a check of the key
// before the insert, a lock and a confirmation record after it), a quarter of the
// statement's buffers and WAL records when nothing conflicts. Only when a stored row
// has the key of one of the batch's — a replay, a re-sent fact, a correction, or
// another writer's row — is the savepoint rolled back and the batch written with
// onConflict, which is what every batch got before.
func applyTyped(ctx context.Context, tx pgx.Tx, t *schemas.Table, stage string) error {
	q, ok := typedInserts[t]
	if !ok {
		return nil
	}
	insert := fmt.Sprintf(q.insert, stage)
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: typed series of %s: savepoint: %w", t.Slug, err)
	}
	_, err = sp.Exec(ctx, insert)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("store: typed series of %s: release: %w", t.Slug, err)
		}
		return nil
	}
	if !uniqueViolation(err) {
		return fmt.Errorf("store: typed series of %s: %w", t.Slug, err)
	}
	if err := sp.Rollback(ctx); err != nil {
		return fmt.Errorf("store: typed series of %s: rollback to savepoint: %w", t.Slug, err)
	}
	if _, err := tx.Exec(ctx, insert+q.onConflict); err != nil {
		return fmt.Errorf("store: typed series of %s: %w", t.Slug, err)
	}
	return nil
}

// SeriesPolicy is how long one typed series keeps its rows uncompressed and how long
// at all. Zero CompressAfter leaves it uncompressed; zero RetainFor keeps it forever.
type SeriesPolicy struct {
	Table         string
	CompressAfter time.Duration
	RetainFor     time.Duration
}

// TimescaleDB reports whether the database runs the TimescaleDB path of the
// migrations (the extension created).
func TimescaleDB(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')`).Scan(&ok); err != nil {
		return false, fmt.Errorf("store: timescaledb present: %w", err)
	}
	return ok, nil
}

// ApplySeriesPolicies makes the database's compression and retention policies those
// of ps. It is idempotent: a policy already as configured is left alone (its job and
// schedule stay), one configured differently is replaced, one configured off is
// removed. On TimescaleDB the policies are background jobs; on plain PostgreSQL
// there is no compression, and retention drops the monthly partitions wholly older
// than RetainFor before now (and the default partition's rows that old), so serve
// calls it daily too.
func ApplySeriesPolicies(ctx context.Context, pool *pgxpool.Pool, ps []SeriesPolicy, now time.Time) error {
	timescale, err := TimescaleDB(ctx, pool)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if !knownSeries(p.Table) {
			return fmt.Errorf("store: series policy: unknown table %q", p.Table)
		}
		if !timescale {
			if err := dropExpiredPartitions(ctx, pool, p, now); err != nil {
				return err
			}
			continue
		}
		if err := applyJobPolicy(ctx, pool, p.Table, "policy_compression", "compress_after",
			"add_compression_policy", "remove_compression_policy", p.CompressAfter); err != nil {
			return err
		}
		if err := applyJobPolicy(ctx, pool, p.Table, "policy_retention", "drop_after",
			"add_retention_policy", "remove_retention_policy", p.RetainFor); err != nil {
			return err
		}
	}
	return nil
}

func knownSeries(name string) bool {
	for _, t := range TimeSeriesTables {
		if t.Name == name {
			return true
		}
	}
	return false
}

// applyJobPolicy brings one TimescaleDB policy job of table to age (zero: none).
func applyJobPolicy(ctx context.Context, pool *pgxpool.Pool, table, proc, key, add, remove string, age time.Duration) error {
	var same, exists bool
	err := pool.QueryRow(ctx, `SELECT true, (config->>'`+key+`')::interval = $3::interval
		FROM timescaledb_information.jobs WHERE hypertable_name = $1 AND proc_name = $2`,
		table, proc, age).Scan(&exists, &same)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: %s of %s: %w", proc, table, err)
	}
	if exists && same && age > 0 {
		return nil
	}
	if exists {
		if _, err := pool.Exec(ctx, `SELECT `+remove+`($1::regclass, if_exists => true)`, table); err != nil {
			return fmt.Errorf("store: %s %s: %w", remove, table, err)
		}
	}
	if age <= 0 {
		return nil
	}
	if _, err := pool.Exec(ctx, `SELECT `+add+`($1::regclass, $2::interval)`, table, age); err != nil {
		return fmt.Errorf("store: %s %s: %w", add, table, err)
	}
	return nil
}

// TrendRefresh is how the readings' per-minute aggregate (ts_sensor_readings_1m) is
// kept. A refresh materializes the minutes older than Settle it has not yet done,
// and redoes every minute a reading arrived in since it was done — for every point
// of the province, not just the late one's. Readings younger than Settle are
// aggregated when read (the aggregate is real-time), so a trend still ends at the
// last reading whatever the two settings.
type TrendRefresh struct {
	Every  time.Duration // how often the refresh runs
	Settle time.Duration // minutes younger than this are left to be aggregated when read
}

// trendRefreshWindow is how far back the per-minute aggregate's refresh looks for
// late readings (migration 00060): Settle must leave room in it.
const trendRefreshWindow = 3 * time.Hour

// ApplyTrendRefresh makes the per-minute aggregate's refresh policy r (TimescaleDB
// only; on plain PostgreSQL the aggregate is a view and nothing is refreshed). A
// policy already so is left alone; the zero TrendRefresh leaves the policy as it is.
func ApplyTrendRefresh(ctx context.Context, pool *pgxpool.Pool, r TrendRefresh) error {
	if r == (TrendRefresh{}) {
		return nil
	}
	if r.Every <= 0 || r.Settle < time.Minute || r.Settle > trendRefreshWindow/2 {
		return fmt.Errorf("store: trend refresh every %s, settle %s: want a positive interval and a settle of 1m to %s",
			r.Every, r.Settle, trendRefreshWindow/2)
	}
	timescale, err := TimescaleDB(ctx, pool)
	if err != nil || !timescale {
		return err
	}
	if _, err := pool.Exec(ctx, `SELECT alter_job(job_id, schedule_interval => $1::interval,
			config => jsonb_set(config, '{end_offset}', to_jsonb($2::interval::text)))
		FROM timescaledb_information.jobs
		WHERE hypertable_name = 'ts_sensor_readings_1m' AND proc_name = 'policy_refresh_continuous_aggregate'
		  AND (schedule_interval, (config->>'end_offset')::interval) IS DISTINCT FROM ($1::interval, $2::interval)`,
		r.Every, r.Settle); err != nil {
		return fmt.Errorf("store: trend refresh: %w", err)
	}
	return nil
}

// dropExpiredPartitions is retention on plain PostgreSQL: a monthly partition
// (chemguard_ensure_partitions names it <table>_pYYYYMM) whose month ended before
// now − RetainFor is dropped, and the default partition's rows older than that are
// deleted.
func dropExpiredPartitions(ctx context.Context, pool *pgxpool.Pool, p SeriesPolicy, now time.Time) error {
	if p.RetainFor <= 0 {
		return nil
	}
	cutoff := now.Add(-p.RetainFor)
	rows, err := pool.Query(ctx, `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent
		WHERE parent.relname = $1`, p.Table)
	if err != nil {
		return fmt.Errorf("store: partitions of %s: %w", p.Table, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("store: partitions of %s: %w", p.Table, err)
	}
	for _, name := range names {
		month, ok := strings.CutPrefix(name, p.Table+"_p")
		if !ok {
			continue
		}
		start, err := time.Parse("200601", month)
		if err != nil || start.AddDate(0, 1, 0).After(cutoff) {
			continue
		}
		if _, err := pool.Exec(ctx, `DROP TABLE `+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("store: retention %s: %w", name, err)
		}
	}
	var timeCol string
	for _, t := range TimeSeriesTables {
		if t.Name == p.Table {
			timeCol = t.TimeColumn
		}
	}
	if _, err := pool.Exec(ctx, `DELETE FROM `+pgx.Identifier{p.Table + "_default"}.Sanitize()+
		` WHERE `+timeCol+` < $1`, cutoff); err != nil {
		return fmt.Errorf("store: retention %s_default: %w", p.Table, err)
	}
	return nil
}
