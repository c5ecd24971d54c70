package runner

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/store"
)

// Source is where batches come from; *bus.Consumer implements it.
type Source interface {
	FetchBatch(ctx context.Context) ([]bus.Message, error)
	Commit(ctx context.Context, msgs []bus.Message) error
}

// Loop is what an engine runs in its process: the consumer of its topics and its
// ticker.
type Loop struct {
	// Name prefixes logs ("alerting", "quality").
	Name string
	// Source is the consumer; nil for a process that serves the API without consuming.
	Source Source
	// Store returns the storing of one batch, retried while it fails; it must be
	// idempotent, since a batch stored but not committed comes back.
	Store func(msgs []bus.Message) func(ctx context.Context) error
	// Failed, when set, is told each failed attempt to store a batch.
	Failed func()
	// Stored, when set, is told each batch stored, with the time it took.
	Stored func(msgs []bus.Message, took time.Duration)
	// Tick runs every Every in the one process that holds the advisory lock Lock
	// (see store.Lead), when set.
	Tick  func(ctx context.Context)
	Every time.Duration
	Lock  int64
}

// MaxBackoff caps the wait between retries of a batch while the database is down.
const MaxBackoff = 5 * time.Second

// Run consumes batches and ticks until ctx ends. A batch already fetched is still
// stored and committed after ctx ends (bus.StoreThenCommit).
func Run(ctx context.Context, pool *pgxpool.Pool, l Loop) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if l.Tick != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			store.Lead(ctx, pool, l.Lock, l.Every, l.Name, l.Tick)
		}()
	}
	if l.Source == nil {
		<-ctx.Done()
		return nil
	}
	return bus.FetchLoop(ctx, l.Name, l.Source.FetchBatch, func(msgs []bus.Message) error {
		l.handle(ctx, msgs)
		return nil
	})
}

// handle stores and commits one batch, retrying while the database is unavailable;
// a batch not stored is not committed and comes back.
func (l Loop) handle(ctx context.Context, msgs []bus.Message) {
	start := time.Now()
	stored := bus.StoreThenCommit(ctx, l.Name, len(msgs), MaxBackoff, l.Store(msgs),
		func(ctx context.Context) error { return l.Source.Commit(ctx, msgs) }, l.Failed)
	if stored && l.Stored != nil {
		l.Stored(msgs, time.Since(start))
	}
}
