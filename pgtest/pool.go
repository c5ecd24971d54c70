package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/store"
)

// Pool returns a pool on a fresh database of the suite's server with the
// platform's migrations applied (NewMigratedDatabase); the pool is closed when
// the test ends.
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return Open(tb, NewMigratedDatabase(tb))
}

// Migrated opens a pool on dsn, applies the platform's migrations (store.Migrate) and
// closes the pool when the test ends. Tests that also need the connection string
// (to connect as another role, or to start a second process on the same data) create
// the database themselves and pass it here.
func Migrated(tb testing.TB, dsn string) *pgxpool.Pool {
	tb.Helper()
	pool := Open(tb, dsn)
	if err := store.Migrate(context.Background(), pool); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return pool
}

// Open opens a pool on dsn as the platform does (store.Open), without migrating, and
// closes it when the test ends: for tests of the migrations themselves.
func Open(tb testing.TB, dsn string) *pgxpool.Pool {
	tb.Helper()
	pool, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Scalar returns the one value sql selects, failing the test when the query does.
func Scalar[T any](tb testing.TB, pool *pgxpool.Pool, sql string, args ...any) T {
	tb.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
	return v
}

// Watermark is how far TimescaleDB has materialized the continuous aggregate view:
// its buckets before the watermark are read from the materialization, the later ones
// computed from the raw rows when read. The zero time when nothing is materialized
// yet (TimescaleDB's -infinity).
func Watermark(tb testing.TB, pool *pgxpool.Pool, view string) time.Time {
	tb.Helper()
	at := Scalar[pgtype.Timestamptz](tb, pool, `SELECT _timescaledb_functions.to_timestamp(
		_timescaledb_functions.cagg_watermark((SELECT mat_hypertable_id FROM _timescaledb_catalog.continuous_agg
			WHERE user_view_name = $1)))`, view)
	if at.InfinityModifier == pgtype.NegativeInfinity {
		return time.Time{}
	}
	return at.Time
}
