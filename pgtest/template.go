package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shandong-emergency/chemguard/store"
)

// templatePrefix names the migrated template databases, one per test process:
// cgtpl_<pid>.
const templatePrefix = "cgtpl_"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewMigratedDatabase is NewDatabase with the platform's migrations already
// applied: a copy (CREATE DATABASE … TEMPLATE) of a database this test process
// migrated once, which takes about a second where migrating takes several.
// The copy is dropped when the test ends; the template stays until a later
// test process finds its process gone and drops it.
func NewMigratedDatabase(tb testing.TB) string {
	tb.Helper()
	base := ServerURL(tb)
	templateOnce.Do(func() {
		// A connection lost while the template is prepared (seen as "drop an old
		// cgtpl_…: conn closed", see dropEndedTemplates) fails every test of the
		// process; a second try on a new connection costs nothing when the first
		// succeeds.
		for try := 0; try < 2; try++ {
			if templateName, templateErr = migrateTemplate(base); templateErr == nil {
				return
			}
		}
	})
	if templateErr != nil {
		tb.Fatalf("pgtest: %v", templateErr)
	}
	return createFrom(tb, base, templateName)
}

// migrateTemplate creates and migrates this process's template on base's server,
// first dropping the templates of test processes that have ended. The template
// refuses connections, so nothing (TimescaleDB's scheduler included) holds it
// open while it is copied.
func migrateTemplate(base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", base, err)
	}
	defer admin.Close(ctx)
	dropEndedTemplates(ctx, base)
	name := templatePrefix + strconv.Itoa(os.Getpid())
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("drop an old %s: %w", name, err)
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", fmt.Errorf("create the template: %w", err)
	}
	dsn, err := withDatabase(base, name)
	if err != nil {
		return "", err
	}
	pool, err := store.Open(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("open the template: %w", err)
	}
	err = store.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate the template: %w", err)
	}
	if _, err := admin.Exec(ctx, `ALTER DATABASE "`+name+`" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`); err != nil {
		return "", fmt.Errorf("mark the template: %w", err)
	}
	return name, disconnect(ctx, admin, name)
}

// disconnect ends the sessions still on database name: TimescaleDB's job
// scheduler starts one on every database with the extension, and a database
// with a session cannot be copied.
func disconnect(ctx context.Context, admin *pgx.Conn, name string) error {
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		return fmt.Errorf("disconnect %s: %w", name, err)
	}
	return nil
}

// dropEndedTemplates drops the templates of test processes no longer running
// on this machine (the servers make test starts are local). It is best effort and
// works on connections of its own: two processes dropping the same ended template
// race (below), and the loser's ALTER DATABASE is FATAL, which closes the
// connection it ran on — on the caller's connection that failed the caller's
// own template ("drop an old cgtpl_<pid>: conn closed", a CI run of 2026-12-06).
func dropEndedTemplates(ctx context.Context, base string) {
	type db struct {
		Name     string
		Template bool
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return
	}
	defer func() { admin.Close(ctx) }()
	rows, err := admin.Query(ctx, `SELECT datname, datistemplate FROM pg_database WHERE datname LIKE $1`, templatePrefix+"%")
	if err != nil {
		return
	}
	dbs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[db])
	if err != nil {
		return
	}
	for _, d := range dbs {
		if admin.IsClosed() {
			if admin, err = pgx.Connect(ctx, base); err != nil {
				return
			}
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(d.Name, templatePrefix))
		if err != nil || pid == os.Getpid() || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		// Only a template needs unmarking. A drop interrupted half-way (two processes
		// dropping the same ended template) leaves the database invalid and no longer
		// a template; ALTER DATABASE on it is FATAL and closes the connection, which
		// failed every later test process ("drop an old cgtpl_…: conn closed"). DROP
		// is what PostgreSQL allows on an invalid database.
		if d.Template {
			_, _ = admin.Exec(ctx, `ALTER DATABASE "`+d.Name+`" WITH IS_TEMPLATE false`)
		}
		_, _ = admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+d.Name+`" WITH (FORCE)`)
	}
}

// isBusy reports a CREATE DATABASE refused because a session is on the
// template (SQLSTATE 55006).
func isBusy(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55006"
}
