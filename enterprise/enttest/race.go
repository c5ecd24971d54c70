package enttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// GatedOutbox is the Outbox with a gate on the first Stage of one table: it
// signals Entered and waits for Release before staging, so a test can hold a
// transaction after it read what it publishes and before it stages it, while
// another transaction changes the same record. Later Stage calls, and those
// of other tables, pass straight through.
type GatedOutbox struct {
	Outbox
	Slug    string
	Entered chan struct{} // receives once, when the gated Stage is reached
	Release chan struct{} // close it to let the gated Stage go on
	once    sync.Once
}

// NewGatedOutbox returns an Outbox on now whose first Stage of slug waits.
func NewGatedOutbox(now func() time.Time, slug string) *GatedOutbox {
	return &GatedOutbox{Outbox: Outbox{Now: now}, Slug: slug, Entered: make(chan struct{}, 1), Release: make(chan struct{})}
}

// Stage implements enterprise.Publisher.
func (g *GatedOutbox) Stage(ctx context.Context, tx pgx.Tx, slug, company string, records ...any) error {
	if slug == g.Slug {
		g.once.Do(func() {
			g.Entered <- struct{}{}
			<-g.Release
		})
	}
	return g.Outbox.Stage(ctx, tx, slug, company, records...)
}

// WaitLockedOrDone waits until a session of pool's database waits for a lock
// (true) or done delivers (false; the value is put back for the caller). A
// race test calls it after starting the second transaction: with the row lock
// it waits for the first, without it it runs through. It fails the test after
// 30 s.
func WaitLockedOrDone(tb testing.TB, pool *pgxpool.Pool, done chan error) bool {
	tb.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		var waiting bool
		require.NoError(tb, pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting))
		if waiting {
			return true
		}
		select {
		case err := <-done:
			done <- err
			return false
		case <-deadline:
			tb.Fatal("neither waiting for a lock nor done within 30 s")
		case <-tick.C:
		}
	}
}
