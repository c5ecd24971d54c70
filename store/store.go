// Package store owns chemguard's PostgreSQL access: the connection pool, the embedded
// migrations, and the stores behind which every SQL statement lives.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/shandong-emergency/chemguard/schemas"
)

// AppRole is the database role the application runs as (migration 00031): it
// may only INSERT and SELECT the audit log and owns nothing.
const AppRole = "chemguard_app"

// Open connects a pool to dsn and checks it answers.
func Open(ctx context.Context, dsn string) (*pgxpool.Pool, error) { return OpenAs(ctx, dsn, "") }

// OpenAs is Open with every connection switched to role (SET ROLE) when role is
// not "": for a deployment that connects as the owner but must run the
// application with the rights of AppRole (development, tests). SET ROLE is a
// privilege drop for mistakes and for whoever edits data through the
// application, not a barrier against SQL injection (RESET ROLE undoes it), so
// production logs in as a member of AppRole instead (deploy/production).
func OpenAs(ctx context.Context, dsn, role string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	// At least 12 (pgx's default is the CPU count, 4 on a small node): the sink's
	// workers (3), the engines' stores and ticks, the outbox and sweeps each hold one
	// while they write, and the portal's and API's reads must still find one free.
	// Connections are opened when needed, so an idle node holds few.
	if cfg.MaxConns < 12 {
		cfg.MaxConns = 12
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "Asia/Shanghai"
	cfg.ConnConfig.RuntimeParams["application_name"] = "chemguard"
	setRole := ""
	if role != "" {
		setRole = "SET ROLE " + pgx.Identifier{role}.Sanitize()
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		encodeUUIDsAsBytes(c.TypeMap())
		if setRole == "" {
			return nil
		}
		if _, err := c.Exec(ctx, setRole); err != nil {
			return fmt.Errorf("store: %s: %w", setRole, err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	return pool, nil
}

// Migrate applies the embedded migrations that have not run yet, each in a
// transaction, recorded in goose's version table. Concurrent callers are serialised
// by an advisory lock. Migrations are numbered per feature and may land in any
// order, so a database that already ran a higher number still gets a lower one that
// arrived later (each migration stands alone; none depends on a later number).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(),
		goose.WithSessionLocker(mustLocker()), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return ensurePartitions(ctx, db, time.Now())
}

// ensurePartitions creates the history and typed-series partitions for last month to two months ahead,
// so rows never pile up in the default partition. Serve calls it daily too.
func ensurePartitions(ctx context.Context, db *sql.DB, now time.Time) error {
	for _, t := range schemas.Tables() {
		if _, err := db.ExecContext(ctx, `SELECT chemguard_ensure_partitions($1, $2, $3)`,
			t.SQLName()+"_history", now.AddDate(0, -1, 0), now.AddDate(0, 2, 0)); err != nil {
			return fmt.Errorf("store: partitions of %s: %w", t.Slug, err)
		}
	}
	for _, t := range TimeSeriesTables {
		if _, err := db.ExecContext(ctx, `SELECT chemguard_ensure_partitions($1, $2, $3)`,
			t.Name, now.AddDate(0, -1, 0), now.AddDate(0, 2, 0)); err != nil {
			return fmt.Errorf("store: partitions of %s: %w", t.Name, err)
		}
	}
	return nil
}

// EnsurePartitions is ensurePartitions for a pool.
func EnsurePartitions(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return ensurePartitions(ctx, db, now)
}
