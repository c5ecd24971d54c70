// Package pgtest gives each test its own fresh database on the PostgreSQL servers that
// `make test` starts: the suite's server, which preloads TimescaleDB
// (CHEMGUARD_TEST_DATABASE_URL), and a plain one whose migrations take the
// native-partitioning path (CHEMGUARD_TEST_PLAIN_DATABASE_URL); Pool hands a test
// such a database with the platform's migrations applied. Only tests import it, and
// store's own in-package tests cannot: pgtest imports store.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the server's connection string.
const EnvURL = "CHEMGUARD_TEST_DATABASE_URL"

// EnvPlainURL names the variable holding the plain server's connection string: a
// server that does not preload TimescaleDB (make test's has the extension's files,
// the case a migration must survive).
const EnvPlainURL = "CHEMGUARD_TEST_PLAIN_DATABASE_URL"

// EnvTimescaleDB, set to 1 by make test, promises that EnvURL's server preloads
// TimescaleDB and EnvPlainURL's has its files without preloading them; tests that
// check the two paths then insist on it instead of taking what the servers offer.
const EnvTimescaleDB = "CHEMGUARD_TEST_TIMESCALEDB"

// Promised reports whether make test promised the servers of EnvTimescaleDB.
func Promised() bool { return os.Getenv(EnvTimescaleDB) == "1" }

var seq atomic.Int64

// NewDatabase creates an empty database for tb and returns its connection string.
// The database is dropped when the test ends. Without EnvURL the test fails, telling
// how to run it: these tests are part of `make test`, never skipped.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return create(tb, ServerURL(tb))
}

// ServerURL is the connection string of the suite's server (EnvURL), for tests
// whose program creates its databases itself (the benchmarks). Without EnvURL the
// test fails, telling how to run it.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		tb.Fatalf("%s is not set: run `make test`, which starts PostgreSQL (deploy/postgres.sh) and sets it", EnvURL)
	}
	return base
}

// NewPlainDatabase is NewDatabase on the server of EnvPlainURL. Without it, a suite
// server that does not preload TimescaleDB is plain enough and is used instead.
func NewPlainDatabase(tb testing.TB) string {
	tb.Helper()
	if base := os.Getenv(EnvPlainURL); base != "" {
		return create(tb, base)
	}
	base := os.Getenv(EnvURL)
	if base == "" || Promised() {
		tb.Fatalf("%s is not set: run `make test`, which starts a plain PostgreSQL beside the suite's and sets it", EnvPlainURL)
	}
	return create(tb, base)
}

func create(tb testing.TB, base string) string {
	tb.Helper()
	return createFrom(tb, base, "")
}

// createFrom creates tb's database on base's server, a copy of template when
// one is named (retried while the template is briefly busy), and returns its
// connection string.
func createFrom(tb testing.TB, base, template string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: connect %s: %v", base, err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("cgtest_%d_%d_%s", os.Getpid(), seq.Add(1), sanitize(tb.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	sql := `CREATE DATABASE "` + name + `"`
	if template != "" {
		sql += ` TEMPLATE "` + template + `"`
		// PostgreSQL 15 copies a template block by block through the WAL by default;
		// copying its files took 0.12 s instead of 0.28 s for the 15 MB migrated
		// template, for every test that starts a platform. The checkpoint that
		// FILE_COPY asks for costs little on the suite's clusters (fsync off).
		var version int
		if err := admin.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err == nil && version >= 150000 {
			sql += ` STRATEGY FILE_COPY`
		}
	}
	for {
		_, err = admin.Exec(ctx, sql)
		if err == nil || !isBusy(err) || ctx.Err() != nil {
			break
		}
		_ = disconnect(ctx, admin, template)
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	})
	dsn, err := withDatabase(base, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// withDatabase is the connection string base naming database name instead.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return '_'
	}, s)
}
