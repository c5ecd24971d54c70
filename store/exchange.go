package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
)

// Version is one accepted version of one exchange record, as the sink writes it.
type Version struct {
	MsgID      uuid.UUID
	Company    string
	Key        string
	Deleted    bool
	EventTime  time.Time // zero when the table orders by receipt
	Version    int64
	ReceivedAt time.Time
	Doc        []byte // the record's JSON, keys exactly the seed's
	// PriorID is the same time-series fact's id under ingest's earlier id scheme
	// (uuid.Nil when none): the dedup also looks for it when the fact's event time is
	// before the upgrade's (table sink_fact_ids), so a fact stored before the upgrade
	// and re-sent after it is still stored once.
	PriorID uuid.UUID
}

// Rejection is one refused record, kept as governance evidence.
type Rejection struct {
	MsgID      uuid.UUID
	Table      string
	Company    string
	ReceivedAt time.Time
	Index      int
	Key        string
	Errors     []byte // JSON array of validate.FieldError
	Raw        string
}

// Exchange stores exchange records: current state and history per table.
type Exchange struct {
	pool *pgxpool.Pool
	box  *sealed.Box // seals PersonalFields; nil stores them as sent (tests)
}

// NewExchange returns the exchange store on pool.
func NewExchange(pool *pgxpool.Pool) *Exchange { return &Exchange{pool: pool} }

// NewSealedExchange returns the exchange store on pool that seals the personal
// data fields (PersonalFields) of every record with box before storing it.
func NewSealedExchange(pool *pgxpool.Pool, box *sealed.Box) *Exchange {
	return &Exchange{pool: pool, box: box}
}

// Apply writes one consumed batch in a single transaction: every version into its
// table's history — the JSON history, where a replayed version is skipped by its
// message ID, or for readings and device status their typed series (applySeries),
// one row per point and time — and into the current state, where a version only
// replaces an older one. Readings far older than the batch's newest are the
// exception: they are written first, in transactions of their own (lateRuns).
// Replaying a batch is harmless. It returns only after the last commit, so offsets
// may be committed after it.
func (s *Exchange) Apply(ctx context.Context, versions map[*schemas.Table][]Version, rejections []Rejection) error {
	var err error
	for range historyRaceAttempts {
		if err = s.apply(ctx, versions, rejections); !errors.Is(err, errStoredConcurrently) {
			return err
		}
	}
	return err
}

// historyRaceAttempts bounds the transactions Apply starts when other writers keep
// storing the batch's versions first; each retry skips what they stored.
const historyRaceAttempts = 3

// errStoredConcurrently is a history key (message id, receipt time) stored by
// another transaction between this one's dedup and its insert — two sinks applying
// the same replayed batch. The transaction is retried: its dedup then sees the row.
var errStoredConcurrently = errors.New("store: version stored concurrently")

func (s *Exchange) apply(ctx context.Context, versions map[*schemas.Table][]Version, rejections []Rejection) error {
	if late, current := lateRuns(versions[schemas.SensorReadings]); len(late) > 0 {
		// Committed before the batch: should the batch's transaction fail, its replay
		// finds these stored under their key and stores nothing twice.
		for _, run := range late {
			if err := s.applyOne(ctx, map[*schemas.Table][]Version{schemas.SensorReadings: run}, nil); err != nil {
				return err
			}
		}
		versions = maps.Clone(versions)
		versions[schemas.SensorReadings] = current
	}
	return s.applyOne(ctx, versions, rejections)
}

// lateRunGap separates a batch's readings into runs for lateRuns: readings further
// apart than this are not one upload's.
const lateRunGap = 10 * time.Minute

// lateRuns splits a batch's readings into runs of times no more than lateRunGap
// apart and returns all but the newest run as late (oldest first), the newest
// (with any reading without a time) as current.
//
// Why: TimescaleDB records a transaction's writes to a chunk of a hypertable as
// one range, from the oldest to the newest time it wrote below a continuous
// aggregate's threshold, and the aggregate's next refresh redoes that whole range
// for every point (TestLateReadingsInvalidateOnlyTheirMinutes). One reading two
// hours old (a company resending its buffer after an outage) in a batch of live
// readings from every other company would make the per-minute trend redo two hours
// of the province's minutes; in a transaction of its own it makes it redo its own.
func lateRuns(vs []Version) (late [][]Version, current []Version) {
	// Nearly every batch spans less than the gap: one run, found without copying or
	// sorting the batch on the sink's path.
	var oldest, newest time.Time
	for _, v := range vs {
		if v.EventTime.IsZero() {
			continue
		}
		if oldest.IsZero() || v.EventTime.Before(oldest) {
			oldest = v.EventTime
		}
		if v.EventTime.After(newest) {
			newest = v.EventTime
		}
	}
	if newest.Sub(oldest) <= lateRunGap {
		return nil, vs
	}
	timed := make([]Version, 0, len(vs))
	for _, v := range vs {
		if v.EventTime.IsZero() {
			current = append(current, v)
		} else {
			timed = append(timed, v)
		}
	}
	slices.SortStableFunc(timed, func(a, b Version) int { return a.EventTime.Compare(b.EventTime) })
	start := 0
	for i := 1; i < len(timed); i++ {
		if timed[i].EventTime.Sub(timed[i-1].EventTime) > lateRunGap {
			late = append(late, timed[start:i])
			start = i
		}
	}
	if len(late) == 0 {
		return nil, vs
	}
	return late, append(current, timed[start:]...)
}

// applyOne writes versions and rejections in one transaction.
func (s *Exchange) applyOne(ctx context.Context, versions map[*schemas.Table][]Version, rejections []Rejection) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	for t, vs := range versions {
		if err := applyVersions(ctx, tx, t, vs, s.box); err != nil {
			return err
		}
	}
	if err := applyRejections(ctx, tx, rejections, s.box); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func applyVersions(ctx context.Context, tx pgx.Tx, t *schemas.Table, vs []Version, box *sealed.Box) error {
	if len(vs) == 0 {
		return nil
	}
	personal := PersonalFields(t)
	stage := "stage_" + t.SQLName()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+stage+` (
		msg_id uuid, company_code text, record_key text, deleted boolean, event_time timestamptz,
		version bigint, received_at timestamptz, doc jsonb, prior_id uuid) ON COMMIT DELETE ROWS`); err != nil {
		return fmt.Errorf("store: stage %s: %w", t.Slug, err)
	}
	rows := make([][]any, len(vs))
	priors := false
	for i, v := range vs {
		var et any
		if !v.EventTime.IsZero() {
			et = v.EventTime
		}
		var prior any
		if v.PriorID != uuid.Nil {
			prior, priors = v.PriorID, true
		}
		doc := v.Doc
		if box != nil && len(personal.Names) > 0 {
			var err error
			if doc, err = box.SealDoc(personal, doc); err != nil {
				return fmt.Errorf("store: seal %s: %w", t.Slug, err)
			}
		}
		rows[i] = []any{v.MsgID, v.Company, v.Key, v.Deleted, et, v.Version, v.ReceivedAt, json.RawMessage(doc), prior}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage},
		[]string{"msg_id", "company_code", "record_key", "deleted", "event_time", "version", "received_at", "doc", "prior_id"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("store: copy %s: %w", t.Slug, err)
	}
	oldest := oldestCopy(t, vs)
	s, typed := seriesOf[t]
	if !typed {
		if err := insertHistory(ctx, tx, t, stage, "true", oldest, priors); err != nil {
			return err
		}
	}
	name := t.SQLName()
	// One row per key from the batch (its newest version), then only where it is
	// newer than what is stored: an older version never overwrites a newer one.
	if _, err := tx.Exec(ctx, `INSERT INTO `+name+`
		(company_code, record_key, deleted, event_time, version, msg_id, received_at, updated_at, doc)
		SELECT DISTINCT ON (company_code, record_key)
			company_code, record_key, deleted, event_time, version, msg_id, received_at, now(), doc
		FROM `+stage+`
		ORDER BY company_code, record_key, event_time DESC NULLS LAST, version DESC
		ON CONFLICT (company_code, record_key) DO UPDATE SET
			deleted = EXCLUDED.deleted, event_time = EXCLUDED.event_time, version = EXCLUDED.version,
			msg_id = EXCLUDED.msg_id, received_at = EXCLUDED.received_at, updated_at = now(), doc = EXCLUDED.doc
		WHERE (COALESCE(`+name+`.event_time, '-infinity'), `+name+`.version)
		    < (COALESCE(EXCLUDED.event_time, '-infinity'), EXCLUDED.version)`); err != nil {
		return fmt.Errorf("store: upsert %s: %w", t.Slug, err)
	}
	if typed {
		return applySeries(ctx, tx, t, s, stage, len(vs), oldest, priors)
	}
	return nil
}

// insertHistory inserts the staged versions of t that match where into its JSON
// history, but for those stored already.
//
// A version already stored under its message id is skipped: replays carry the same
// id, and so do re-sent time-series facts (ingest derives their id from the
// content). The stored ids are looked up with the batch's ids as one array in the
// primary key (msg_id, received_at): a NOT EXISTS was planned as a hash anti-join
// that read the WHOLE history for every batch (the stage has no statistics), 0.5 s
// per batch at 200,000 rows and growing with the history (docs/performance.md,
// "The history dedup"). The lookup is bounded below in receipt time (oldest, from
// oldestCopy), so it probes only the partitions a stored copy can be in, not every
// partition the history has. The dedup is the only one: an ON CONFLICT DO NOTHING on
// top of it made every row a speculative insert, a quarter of the statement's CPU on
// a hypertable (docs/performance.md, "The sink's history insert …"), to catch what
// only a concurrent writer of the same batch can cause — that is the key violation
// Apply retries.
func insertHistory(ctx context.Context, tx pgx.Tx, t *schemas.Table, stage, where string, oldest time.Time, priors bool) error {
	name := t.SQLName()
	priorDedup := ""
	if priors {
		priorDedup = `
		AND (s.prior_id IS NULL OR s.prior_id NOT IN (SELECT h.msg_id FROM ` + name + `_history h
			WHERE h.msg_id = ANY(ARRAY(SELECT p.prior_id FROM ` + stage + ` p, sink_fact_ids f
				WHERE (` + where + `) AND p.prior_id IS NOT NULL AND p.event_time < f.prior_ids_until))
			AND h.received_at >= $1))`
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+name+`_history
		(msg_id, company_code, record_key, deleted, event_time, version, received_at, doc)
		SELECT DISTINCT ON (s.msg_id) s.msg_id, s.company_code, s.record_key, s.deleted, s.event_time, s.version, s.received_at, s.doc
		FROM `+stage+` s
		WHERE (`+where+`) AND s.msg_id NOT IN (SELECT h.msg_id FROM `+name+`_history h
			WHERE h.msg_id = ANY(ARRAY(SELECT msg_id FROM `+stage+` WHERE `+where+`)) AND h.received_at >= $1)`+priorDedup+`
		ORDER BY s.msg_id, s.received_at`, oldest); err != nil {
		if uniqueViolation(err) {
			return fmt.Errorf("store: history %s: %w: %w", t.Slug, errStoredConcurrently, err)
		}
		return fmt.Errorf("store: history %s: %w", t.Slug, err)
	}
	return nil
}

// FactReceiptLead bounds how long before its event time a time-series fact can have
// been received: ingest refuses an event time more than validate.DefaultFutureSkew
// (10 minutes) after its receipt; the rest is room for the ingest nodes' clocks.
const FactReceiptLead = 24 * time.Hour

// oldestCopy is the earliest receipt time a stored copy of a version in vs can have,
// the lower bound of the history dedup's lookup. A replay carries its version's
// receipt time. A re-sent time-series fact is the same fact received again, so its
// first copy was received after its event time less FactReceiptLead — a reading
// re-sent days later is found in the partition it went to then. A fact without an
// event time can be anywhere: the zero time bounds nothing.
func oldestCopy(t *schemas.Table, vs []Version) time.Time {
	oldest := vs[0].ReceivedAt
	for _, v := range vs {
		if t.TimeSeries {
			if v.EventTime.IsZero() {
				return time.Time{}
			}
			oldest = minTime(oldest, v.EventTime)
		}
		oldest = minTime(oldest, v.ReceivedAt)
	}
	return oldest.Add(-FactReceiptLead)
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation: a row with
// the key being inserted is stored already.
func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// applyRejections stores rejected records as they were sent, as evidence; their
// personal fields are sealed like an accepted record's when the record is a JSON
// object (a record too broken to parse is kept as it came: its fields cannot be told).
func applyRejections(ctx context.Context, tx pgx.Tx, rs []Rejection, box *sealed.Box) error {
	if len(rs) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, r := range rs {
		if t, err := schemas.Lookup(r.Table); err == nil && box != nil {
			if personal := PersonalFields(t); len(personal.Names) > 0 {
				if doc, err := box.SealDoc(personal, []byte(r.Raw)); err == nil {
					r.Raw = string(doc)
				}
			}
		}
		batch.Queue(`INSERT INTO exchange_rejections
			(msg_id, table_slug, company_code, received_at, batch_index, record_key, errors, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (msg_id) DO NOTHING`,
			r.MsgID, r.Table, r.Company, r.ReceivedAt, r.Index, r.Key, json.RawMessage(r.Errors), r.Raw)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("store: rejections: %w", err)
	}
	return nil
}

// Current is a stored record with its bookkeeping.
type Current struct {
	Company    string
	Key        string
	Deleted    bool
	ReceivedAt time.Time
	UpdatedAt  time.Time
	Doc        []byte
}

// Get returns the current version of one record of company. A soft-deleted record
// is still returned, with Deleted set.
func (s *Exchange) Get(ctx context.Context, t *schemas.Table, company, key string) (Current, error) {
	c := Current{Company: company, Key: key}
	err := s.pool.QueryRow(ctx, `SELECT deleted, received_at, updated_at, doc FROM `+t.SQLName()+`
		WHERE company_code = $1 AND record_key = $2`, company, key).Scan(&c.Deleted, &c.ReceivedAt, &c.UpdatedAt, &c.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, chemguard.Errorf(chemguard.ENotFound, "未找到%s记录「%s」", "no %s record %q", t.NameZH, key)
	}
	if err != nil {
		return c, fmt.Errorf("store: get %s: %w", t.Slug, err)
	}
	if c.Doc, err = s.readBack(t, c.Doc); err != nil {
		return c, err
	}
	return c, nil
}

// readBack is a stored record as its company reads it back: the company's own
// personal data opened, so a record read back and re-sent stays valid (with no
// key, the masked form).
func (s *Exchange) readBack(t *schemas.Table, doc []byte) ([]byte, error) {
	if s.box == nil {
		return sealed.DisplayDoc(doc), nil
	}
	out, err := s.box.OpenDoc(PersonalFields(t), doc)
	if err != nil {
		return nil, fmt.Errorf("store: read back %s: %w", t.Slug, err)
	}
	return out, nil
}

// StoredSince reports whether a version of the record received at or after since is
// stored: the current row, or — when that version lost to one with a later event
// time — its history. Read-your-writes waits on it. A typed series is searched only
// for versions whose time is at most FactReceiptLead before since, the partitions a
// just-sent reading can be in: an older one waits for ReadWait and is then answered
// as pending, which is all a late batch's GET can lose.
func (s *Exchange) StoredSince(ctx context.Context, t *schemas.Table, company, key string, since time.Time) (bool, error) {
	q, args := `SELECT EXISTS (SELECT 1 FROM `+t.SQLName()+`
			WHERE company_code = $1 AND record_key = $2 AND received_at >= $3)
		OR EXISTS (SELECT 1 FROM `+t.SQLName()+`_history WHERE company_code = $1 AND record_key = $2 AND received_at >= $3)`,
		[]any{company, key, since}
	if sr, ok := seriesOf[t]; ok {
		q += `
		OR EXISTS (SELECT 1 FROM ` + sr.name + ` WHERE company_code = $1 AND ` + sr.point + ` = $2
			AND ` + sr.time + ` >= $4 AND received_at >= $3)`
		args = append(args, since.Add(-FactReceiptLead))
	}
	var ok bool
	err := s.pool.QueryRow(ctx, q, args...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: stored since %s: %w", t.Slug, err)
	}
	return ok, nil
}

// Cursor is a position in a listing ordered by (updated_at, record_key).
type Cursor struct {
	UpdatedAt time.Time `json:"u"`
	Key       string    `json:"k"`
}

// List returns up to limit current records of company changed at or after since,
// after cursor (zero: from the start), oldest change first; keyset-paginated in SQL.
func (s *Exchange) List(ctx context.Context, t *schemas.Table, company string, since time.Time, after Cursor, limit int) ([]Current, error) {
	if after.UpdatedAt.IsZero() {
		after.UpdatedAt = since
		after.Key = ""
	}
	from := t.SQLName() + ` WHERE company_code = $1 AND`
	if HasSeries(t) { // no (company_code, updated_at) index: the company's points by the key
		from = `(SELECT record_key, deleted, received_at, updated_at, doc FROM ` + t.SQLName() + `
			WHERE company_code = $1 OFFSET 0) p WHERE`
	}
	rows, err := s.pool.Query(ctx, `SELECT record_key, deleted, received_at, updated_at, doc FROM `+from+`
		updated_at >= $2 AND (updated_at, record_key) > ($3, $4)
		ORDER BY updated_at, record_key LIMIT $5`, company, since, after.UpdatedAt, after.Key, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", t.Slug, err)
	}
	defer rows.Close()
	var out []Current
	for rows.Next() {
		c := Current{Company: company}
		if err := rows.Scan(&c.Key, &c.Deleted, &c.ReceivedAt, &c.UpdatedAt, &c.Doc); err != nil {
			return nil, fmt.Errorf("store: list %s: %w", t.Slug, err)
		}
		var err error
		if c.Doc, err = s.readBack(t, c.Doc); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// IsDataError reports whether err is PostgreSQL refusing the data itself (SQLSTATE
// class 22 data exception or 23 integrity violation), as opposed to the database
// being unreachable or busy: retrying the same rows cannot succeed.
func IsDataError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")
}
