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
// report, in typed columns. For the exchange tables that have one they are the
// history (applySeries): the JSON history keeps only what a typed row cannot hold.
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

// series is how an exchange table's staged versions map onto its typed series: the
// record key is the point (or device), the version time the series' time.
type series struct {
	name      string // the typed table
	point     string // its column of the record key
	time      string // its column of the version time
	value     string // its column of the value
	fromDoc   string // the value from the staged doc, as the column's type
	readable  string // when the staged doc's value reads as the column's type (never NULL)
	recordDoc string // the record's JSON rebuilt from a typed row r, keys the seed's
}

// seriesOf are the typed series by exchange table. A version whose value does not
// read as the seed's number (or code) cannot be a typed row; validation refuses such a
// value before it gets here, and should one come it goes to the JSON history.
var seriesOf = map[*schemas.Table]series{
	schemas.SensorReadings: {
		name: SensorReadingsSeries, point: "indicator_code", time: "collect_time", value: "value",
		fromDoc:  `(doc->>'VALUE')::float8`,
		readable: `COALESCE(doc->>'VALUE' ~ '^-?[0-9]{1,16}(\.[0-9]{1,8})?$', false)`,
		recordDoc: `jsonb_build_object('INDICATOR_CODE', r.indicator_code, 'VALUE', r.value,
			'COLLECT_TIME', to_char(r.collect_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'))`,
	},
	schemas.VideoDeviceStatuses:           deviceStatusSeries(VideoDeviceStatusSeries),
	schemas.GasStationVideoDeviceStatuses: deviceStatusSeries(GasStationDeviceStatusSeries),
}

func deviceStatusSeries(name string) series {
	return series{
		name: name, point: "device_code", time: "status_time", value: "running",
		fromDoc:  `doc->>'RUN_STATUS' = '1'`,
		readable: `COALESCE(doc->>'RUN_STATUS' IN ('0', '1'), false)`,
		recordDoc: `jsonb_build_object('DEVICE_CODE', r.device_code,
			'DATE_TIME', to_char(r.status_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
			'RUN_STATUS', CASE WHEN r.running THEN '1' ELSE '0' END)`,
	}
}

// typed is the condition on a staged version under which it is a typed row.
func (s series) typed() string {
	return `NOT deleted AND event_time IS NOT NULL AND ` + s.readable
}

// applySeries writes the staged batch of a table with a typed series into it, in the
// sink's transaction, as that table's history: one row per (company, point, time),
// which is also what stores a replayed batch or a re-sent fact once. A JSON history
// row beside each typed row was 40–45 % of the sink's statement time and read by
// nobody (docs/performance.md, "Readings' history in their typed series"). The JSON
// history still gets what a typed row cannot hold: a version not readable as one
// (untyped: looked for only when the plain insert below took fewer rows than were
// staged, or the batch conflicted, so a batch of readings is one statement), and the
// value a correction replaced (superseded), so an investigation still sees what the
// company first sent.
//
// A batch's facts are nearly always new, so it is first inserted plainly, under a
// savepoint: ON CONFLICT makes every row a speculative insertion (a check of the key
// before the insert, a lock and a confirmation record after it), a quarter of the
// statement's buffers and WAL records when nothing conflicts. Only when a stored row
// or another version in the batch has the key of one of its rows — a replay, a re-sent
// fact, a correction, or another writer's row — is the savepoint rolled back and the
// batch written with the conflict rules: within the batch and against a stored row,
// the version received later wins.
func applySeries(ctx context.Context, tx pgx.Tx, t *schemas.Table, s series, stage string, staged int, oldest time.Time, priors bool) error {
	untyped := func() error { return insertHistory(ctx, tx, t, stage, `NOT (`+s.typed()+`)`, oldest, priors) }
	cols := `company_code, ` + s.point + `, ` + s.time + `, ` + s.value + `, received_at`
	rows := `company_code, record_key, event_time, ` + s.fromDoc + `, received_at`
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: typed series of %s: savepoint: %w", t.Slug, err)
	}
	tag, err := sp.Exec(ctx, `INSERT INTO `+s.name+` (`+cols+`) SELECT `+rows+` FROM `+stage+`
		WHERE `+s.typed()+` ORDER BY company_code, record_key, event_time`)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return fmt.Errorf("store: typed series of %s: release: %w", t.Slug, err)
		}
		if tag.RowsAffected() == int64(staged) {
			return nil // every staged version is a typed row: none is left for the JSON history
		}
		return untyped()
	}
	if !uniqueViolation(err) {
		return fmt.Errorf("store: typed series of %s: %w", t.Slug, err)
	}
	if err := sp.Rollback(ctx); err != nil {
		return fmt.Errorf("store: typed series of %s: rollback to savepoint: %w", t.Slug, err)
	}
	if err := untyped(); err != nil {
		return err
	}
	// The versions each key's winner replaces, into the JSON history: a stored row a
	// later-received version with another value replaces (its bytes are gone, so its
	// record is rebuilt from the row, under a fresh id), and a version of the batch a
	// later-received one in the same batch outvotes. A replay finds the stored row
	// received when it was, not before, so it adds nothing; the history's key refuses
	// the batch's own outvoted versions a second time. When the batch itself holds an
	// outvoted re-send of the stored value (a fetch split [s, s] then [s, changed]),
	// that re-send is the replaced value's record and the stored row is not rebuilt
	// beside it: the value was replaced once, so the history has it once.
	if _, err := tx.Exec(ctx, `WITH ranked AS (
			SELECT msg_id, company_code, record_key, deleted, event_time, version, received_at, doc,
				`+s.fromDoc+` AS v,
				row_number() OVER w AS rank, first_value(`+s.fromDoc+`) OVER w AS winner
			FROM `+stage+` WHERE `+s.typed()+`
			WINDOW w AS (PARTITION BY company_code, record_key, event_time ORDER BY received_at DESC, version DESC))
		INSERT INTO `+t.SQLName()+`_history (msg_id, company_code, record_key, deleted, event_time, version, received_at, doc)
		SELECT gen_random_uuid(), r.company_code, r.`+s.point+`, false, r.`+s.time+`, 0, r.received_at, `+s.recordDoc+`
		FROM ranked b JOIN `+s.name+` r ON r.company_code = b.company_code AND r.`+s.point+` = b.record_key AND r.`+s.time+` = b.event_time
		WHERE b.rank = 1 AND r.received_at < b.received_at AND r.`+s.value+` IS DISTINCT FROM b.v
			AND NOT EXISTS (SELECT FROM ranked o WHERE o.company_code = b.company_code AND o.record_key = b.record_key
				AND o.event_time = b.event_time AND o.rank > 1 AND o.v IS NOT DISTINCT FROM r.`+s.value+`)
		UNION ALL
		SELECT DISTINCT ON (msg_id) msg_id, company_code, record_key, deleted, event_time, version, received_at, doc
		FROM ranked WHERE rank > 1 AND v IS DISTINCT FROM winner
		ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("store: typed series of %s: superseded versions: %w", t.Slug, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s.name+` (`+cols+`)
		SELECT DISTINCT ON (company_code, record_key, event_time) `+rows+` FROM `+stage+`
		WHERE `+s.typed()+`
		ORDER BY company_code, record_key, event_time, received_at DESC, version DESC
		ON CONFLICT (company_code, `+s.point+`, `+s.time+`) DO UPDATE
			SET `+s.value+` = EXCLUDED.`+s.value+`, received_at = EXCLUDED.received_at
			WHERE `+s.name+`.received_at < EXCLUDED.received_at`); err != nil {
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
// last reading whatever the settings.
//
// By default the platform refreshes (TrendMinutes, a minute at a time, each after the
// warning consumer has caught up); ByPolicy leaves it to TimescaleDB's own refresh
// policy (every Every, all that is due in one job), as before 2026-12-07.
type TrendRefresh struct {
	Every    time.Duration // how often a refresh runs
	Settle   time.Duration // minutes younger than this are left to be aggregated when read
	ByPolicy bool          // TimescaleDB's policy refreshes, not the platform
}

// ByPlatform reports whether the platform refreshes the trend (TrendMinutes): r is
// set and does not leave it to TimescaleDB's policy.
func (r TrendRefresh) ByPlatform() bool { return r != (TrendRefresh{}) && !r.ByPolicy }

// maxTrendSettle is the longest settle CHEMGUARD_TREND_SETTLE documents (1m to 90m),
// from when the refresh looked back only 3 hours and the settle had to leave room
// in that window; it looks back 3 days since migration 00107.
const maxTrendSettle = 90 * time.Minute

// ApplyTrendRefresh makes the per-minute aggregate's refresh policy r (TimescaleDB
// only; on plain PostgreSQL the aggregate is a view and nothing is refreshed): the
// policy's schedule and settle, and the policy on (ByPolicy) or off (the platform
// refreshes). A policy already so is left alone; the zero TrendRefresh leaves the
// policy as it is.
func ApplyTrendRefresh(ctx context.Context, pool *pgxpool.Pool, r TrendRefresh) error {
	if r == (TrendRefresh{}) {
		return nil
	}
	if r.Every <= 0 || r.Settle < time.Minute || r.Settle > maxTrendSettle {
		return fmt.Errorf("store: trend refresh every %s, settle %s: want a positive interval and a settle of 1m to %s",
			r.Every, r.Settle, maxTrendSettle)
	}
	timescale, err := TimescaleDB(ctx, pool)
	if err != nil || !timescale {
		return err
	}
	if _, err := pool.Exec(ctx, `SELECT alter_job(job_id, schedule_interval => $1::interval, scheduled => $3,
			config => jsonb_set(config, '{end_offset}', to_jsonb($2::interval::text)))
		FROM timescaledb_information.jobs
		WHERE hypertable_name = 'ts_sensor_readings_1m' AND proc_name = 'policy_refresh_continuous_aggregate'
		  AND (schedule_interval, (config->>'end_offset')::interval, scheduled) IS DISTINCT FROM ($1::interval, $2::interval, $3)`,
		r.Every, r.Settle, r.ByPolicy); err != nil {
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

// HistoryTable names the table that holds t's history: its typed series when it has
// one (one row per point and time), its JSON history otherwise.
func HistoryTable(t *schemas.Table) string {
	if s, ok := seriesOf[t]; ok {
		return s.name
	}
	return t.SQLName() + "_history"
}

// HasSeries reports whether t's history is a typed series. Such a table's current
// state (one row per point or device) has no index on (company_code, updated_at)
// (migration 00105): a reader of one company's rows by change time reads them by the
// primary key's prefix, fenced with OFFSET 0 so the planner does not walk the index
// on updated_at across every company instead.
func HasSeries(t *schemas.Table) bool {
	_, ok := seriesOf[t]
	return ok
}
