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
// state (jsonb), updated_at — as the warning and governance consumers keep it:
// whoever changes a company locks its row, reloads a copy whose stored version is
// not the one it holds, and writes the next version only if nobody else did. Table
// is a constant of the caller's (warning_engine_state, governance_state), never
// input.
type CompanyStates struct{ Table string }

// CompanyState is one company's stored state.
type CompanyState struct {
	Version int64
	State   []byte
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
	sql, args := `SELECT company_code, version, state FROM `+s.Table+` WHERE company_code = ANY($1)`, []any{codes}
	if all {
		sql, args = `SELECT company_code, version, state FROM `+s.Table, nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	out := map[string]CompanyState{}
	var code string
	var v int64
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&code, &v, &b}, func() error {
		out[code] = CompanyState{Version: v, State: append([]byte(nil), b...)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", s.Table, err)
	}
	return out, nil
}

// QueueWrite queues on b the write of a company's state at version, which must
// follow the stored one (1 for a company without a row); the batch fails with
// ErrStaleState when another writer got there first.
func (s CompanyStates) QueueWrite(b *pgx.Batch, code string, version int64, state []byte, now time.Time) {
	b.Queue(`INSERT INTO `+s.Table+` (company_code, version, state, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (company_code) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state,
			updated_at = EXCLUDED.updated_at
		WHERE `+s.Table+`.version = EXCLUDED.version - 1`, code, version, state, now).Exec(func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() != 1 {
			return fmt.Errorf("%w: %s in %s", ErrStaleState, code, s.Table)
		}
		return nil
	})
}
