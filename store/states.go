package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrStaleState is returned when a company's state row moved on between the lock
// and the write (a new company created by two processes at once); the caller drops
// its copy and retries.
var ErrStaleState = errors.New("store: company state changed concurrently")

// CompanyStates is a table of per-company engine state — company_code, version,
// state (jsonb: the head), fresh (bytea: the part that changes with nearly every
// record, in the engine's own encoding), updated_at — as the warning and governance
// consumers keep it:
// whoever changes a company locks its row, reloads a copy whose stored version is
// not the one it holds, and writes the next version only if nobody else did. Table
// is a constant of the caller's (warning_engine_state, governance_state), never
// input.
type CompanyStates struct{ Table string }

// CompanyState is one company's stored state.
type CompanyState struct {
	Version int64
	State   []byte
	Fresh   []byte // nil for a row written without it
}

// Querier is what Read reads through: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Lock locks the state rows of codes (in code order, so two lockers cannot
// deadlock) and returns their versions; a company without a row has none.
func (s CompanyStates) Lock(ctx context.Context, tx pgx.Tx, codes []string) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT company_code, version FROM `+s.Table+`
		WHERE company_code = ANY($1) ORDER BY company_code FOR UPDATE`, codes)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", s.Table, err)
	}
	out := map[string]int64{}
	var code string
	var v int64
	if _, err = pgx.ForEachRow(rows, []any{&code, &v}, func() error { out[code] = v; return nil }); err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", s.Table, err)
	}
	return out, nil
}

// LockStale locks the state rows of codes and reads the stored state of each one
// whose in-memory copy is missing or stale: held reports the version of the copy a
// caller holds (false when none). A stale company without a row maps to the zero
// CompanyState (version 0, no state).
func (s CompanyStates) LockStale(ctx context.Context, tx pgx.Tx, codes []string,
	held func(code string) (int64, bool)) (map[string]CompanyState, error) {
	versions, err := s.Lock(ctx, tx, codes)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, code := range codes {
		if v, ok := held(code); !ok || v != versions[code] {
			stale = append(stale, code)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	read, err := s.Read(ctx, tx, stale, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]CompanyState, len(stale))
	for _, code := range stale {
		out[code] = read[code]
	}
	return out, nil
}

// Read reads the stored states of codes (every one when all is set).
func (s CompanyStates) Read(ctx context.Context, q Querier, codes []string, all bool) (map[string]CompanyState, error) {
	sql, args := `SELECT company_code, version, state, fresh FROM `+s.Table+` WHERE company_code = ANY($1)`, []any{codes}
	if all {
		sql, args = `SELECT company_code, version, state, fresh FROM `+s.Table, nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	out := map[string]CompanyState{}
	var code string
	var v int64
	var b, f []byte
	_, err = pgx.ForEachRow(rows, []any{&code, &v, &b, &f}, func() error {
		st := CompanyState{Version: v, State: append([]byte(nil), b...)}
		if f != nil {
			st.Fresh = append([]byte(nil), f...)
		}
		out[code] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	return out, nil
}

// QueueWrite queues on b the write of a company's state — its head and fresh part —
// at version, which must follow the stored one (1 for a company without a row); the
// batch fails with ErrStaleState when another writer got there first.
func (s CompanyStates) QueueWrite(b *pgx.Batch, code string, version int64, state, fresh []byte, now time.Time) {
	b.Queue(`INSERT INTO `+s.Table+` (company_code, version, state, fresh, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (company_code) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state,
			fresh = EXCLUDED.fresh, updated_at = EXCLUDED.updated_at
		WHERE `+s.Table+`.version = EXCLUDED.version - 1`, code, version, state, fresh, now).Exec(s.onlyOne(code))
}

// QueueFresh queues on b the write of a stored company's fresh part alone at
// version, which must follow the stored one: the head stays as stored (PostgreSQL
// keeps its TOASTed value without copying or parsing it). It fails with
// ErrStaleState like QueueWrite, and for a company without a row.
func (s CompanyStates) QueueFresh(b *pgx.Batch, code string, version int64, fresh []byte, now time.Time) {
	b.Queue(`UPDATE `+s.Table+` SET version = $2, fresh = $3, updated_at = $4
		WHERE company_code = $1 AND version = $2 - 1`, code, version, fresh, now).Exec(s.onlyOne(code))
}

// onlyOne checks that a write changed its company's row.
func (s CompanyStates) onlyOne(code string) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() != 1 {
			return fmt.Errorf("%w: %s in %s", ErrStaleState, code, s.Table)
		}
		return nil
	}
}

// StateItems is a table of keyed items of per-company engine state — company_code,
// item, doc (jsonb) — kept beside a CompanyStates table for a state too large to
// rewrite whole at every change: its head stays in the CompanyStates row and only
// the items that changed are written, in the same transaction and under the lock of
// that row (whose version moves on with them, so a process holding an older copy
// reloads both). An item that leaves the state is deleted: the items are an
// engine's memory, not records — what it found lives on in its own tables. Table is
// a constant of the caller's (governance_state_items), never input.
type StateItems struct{ Table string }

// Read reads the stored items of codes (every company's when all is set): company →
// item key → document.
func (s StateItems) Read(ctx context.Context, q Querier, codes []string, all bool) (map[string]map[string][]byte, error) {
	sql, args := `SELECT company_code, item, doc FROM `+s.Table+` WHERE company_code = ANY($1)`, []any{codes}
	if all {
		sql, args = `SELECT company_code, item, doc FROM `+s.Table, nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	out := map[string]map[string][]byte{}
	var code, item string
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&code, &item, &b}, func() error {
		m, ok := out[code]
		if !ok {
			m = map[string][]byte{}
			out[code] = m
		}
		m[item] = append([]byte(nil), b...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	return out, nil
}

// ItemWrites collects the item changes of one transaction, for every company, to be
// queued as one statement (Queue).
type ItemWrites struct {
	codes, items []string
	docs         []*string // nil: the item is removed
}

// Add notes company code's changed items: item key → document, nil for an item
// removed.
func (w *ItemWrites) Add(code string, items map[string][]byte) {
	for k, b := range items {
		var doc *string
		if b != nil {
			d := string(b)
			doc = &d
		}
		w.codes, w.items, w.docs = append(w.codes, code), append(w.items, k), append(w.docs, doc)
	}
}

// bulkItems is from how many item writes a transaction's items are COPYed into a
// temporary table and written from there, instead of sent as one statement's three
// arrays. An unpaced 隐患 load's batches change thousands of items of a few hundred
// bytes each in both engines, and the arrays' encoding and the bound message were
// 14 % of what the served process allocated (docs/performance.md).
const bulkItems = 1000

// Queue queues on b the writes Add collected, the removals and the upserts in one
// statement; when they are many (bulkItems) it first COPYs them on tx into a
// temporary table, which the statement reads.
func (s StateItems) Queue(ctx context.Context, tx pgx.Tx, b *pgx.Batch, w *ItemWrites) error {
	return s.QueueUnless(ctx, tx, b, w, "")
}

// QueueUnless is Queue for an engine that keeps some of its items in another of its
// tables: an item for which the SQL condition elsewhere holds — on x.c (the
// company), x.i (the item's key) and x.d (its document as text) — is removed here
// instead of stored. elsewhere is a constant of the caller's, never input; "" is
// Queue.
func (s StateItems) QueueUnless(ctx context.Context, tx pgx.Tx, b *pgx.Batch, w *ItemWrites, elsewhere string) error {
	if len(w.items) == 0 {
		return nil
	}
	keep := "x.d IS NOT NULL"
	if elsewhere != "" {
		keep += " AND NOT (" + elsewhere + ")"
	}
	source, args := `unnest($1::text[], $2::text[], $3::text[]) AS x(c, i, d)`, []any{w.codes, w.items, w.docs}
	if len(w.items) >= bulkItems {
		// As the sink's stage: made once per connection, emptied at each commit.
		in := s.Table + "_in"
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+in+` (c text, i text, d text) ON COMMIT DELETE ROWS`); err != nil {
			return fmt.Errorf("store: stage %s: %w", s.Table, err)
		}
		n := -1
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{in}, []string{"c", "i", "d"}, pgx.CopyFromFunc(func() ([]any, error) {
			if n++; n == len(w.items) {
				return nil, nil
			}
			return []any{w.codes[n], w.items[n], w.docs[n]}, nil
		})); err != nil {
			return fmt.Errorf("store: copy %s: %w", s.Table, err)
		}
		source, args = in+` x`, nil
	}
	b.Queue(`WITH x AS MATERIALIZED (SELECT c, i, d, `+keep+` AS keep FROM `+source+`),
		gone AS (DELETE FROM `+s.Table+` t USING x WHERE NOT x.keep AND t.company_code = x.c AND t.item = x.i)
		INSERT INTO `+s.Table+` (company_code, item, doc) SELECT c, i, d::jsonb FROM x WHERE keep
		ON CONFLICT (company_code, item) DO UPDATE SET doc = EXCLUDED.doc`, args...)
	return nil
}
