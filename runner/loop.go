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
	// idempotent, since a batch stored but not committed comes back. Store itself
	// (the preparation: decoding) runs while the batch before is being stored, so it
	// must not depend on that batch being stored; the storing it returns runs in
	// batch order, one batch at a time.
	Store func(msgs []bus.Message) func(ctx context.Context) error
	// Failed, when set, is told each failed attempt to store a batch.
	Failed func()
	// Stored, when set, is told each batch stored, with the time the storing took.
	Stored func(msgs []bus.Message, took time.Duration)
	// Committed, when set, is told each offset commit with the time it took (the
	// commit of every batch stored while the one before was in flight).
	Committed func(took time.Duration)
	// HeldBack, when set, is told each time the store stage waited to hand a stored
	// batch to the commit stage, commitsAhead stored batches waiting for their offsets
	// already, with the wait: a slow commit holding the next batches' stores back.
	HeldBack func(took time.Duration)
	// Behind, when set, is told each batch fetched and each batch finished with, so
	// that others can tell how late this consumer is (the sink yields to the warning
	// consumer's).
	Behind *bus.Behind
	// Tick runs every Every in the one process that holds the advisory lock Lock
	// (see store.Lead), when set.
	Tick  func(ctx context.Context)
	Every time.Duration
	Lock  int64
}

// MaxBackoff caps the wait between retries of a batch while the database is down.
const MaxBackoff = 5 * time.Second

// commitsAhead bounds how many stored batches may wait for their offsets to be
// committed while the next ones are stored: what a crash would replay.
const commitsAhead = 4

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
	return l.consume(ctx)
}

// prepared is a fetched batch with its storing.
type prepared struct {
	msgs  []bus.Message
	store func(ctx context.Context) error
}

// consume runs the consumer as three stages, each on its own goroutine, that hand
// the batches on in order: fetch and prepare (Loop.Store), store, commit the
// offsets. A batch's store waits for neither the next batch's fetch and decoding
// nor the previous batch's offset commit, which are round trips to the broker;
// run one after the other they made a batch's time about half again its store.
// Offsets are still committed only once their batch is stored, in batch order,
// and the commits of batches stored while one was in flight are merged into one.
//
// The hand-over to the store stage is unbuffered: while a batch is stored, one more
// is prepared and waits, and what arrives meanwhile stays with the broker's reader
// until that one is taken, joining the batch gathered then. A queue of one more
// prepared batch (as until 2026-12-07) made a message that arrived while the
// consumer was behind wait for two stores ahead of its own instead of one, each
// paying a batch's fixed cost (the touched companies' fresh parts).
func (l Loop) consume(ctx context.Context) error {
	toStore := make(chan prepared)
	toCommit := make(chan []bus.Message, commitsAhead)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(toCommit)
		l.storeAll(ctx, toStore, toCommit)
	}()
	go func() {
		defer wg.Done()
		l.commitAll(ctx, toCommit)
	}()
	err := bus.FetchLoop(ctx, l.Name, l.Source.FetchBatch, func(msgs []bus.Message) error {
		l.Behind.Fetched(msgs)
		toStore <- prepared{msgs: msgs, store: l.Store(msgs)} // the store stage takes every batch
		return nil
	})
	close(toStore)
	wg.Wait()
	return err
}

// storeAll stores the batches of in, in order, retrying while the database is
// unavailable, and hands each one stored to out. Once a batch could not be stored
// and ctx has ended, the batches after it are neither stored nor committed: they
// come back, after it.
func (l Loop) storeAll(ctx context.Context, in <-chan prepared, out chan<- []bus.Message) {
	given := false // a batch was given up on
	for p := range in {
		if given && ctx.Err() != nil {
			l.Behind.Finished()
			continue
		}
		start := time.Now()
		// Storing only: the commit is the next stage's.
		stored := bus.StoreThenCommit(ctx, l.Name, len(p.msgs), MaxBackoff, p.store, noCommit, l.Failed)
		l.Behind.Finished()
		if !stored {
			given = true
			continue
		}
		if l.Stored != nil {
			l.Stored(p.msgs, time.Since(start))
		}
		select {
		case out <- p.msgs:
		default: // commitsAhead batches wait for their offsets: a commit is slow
			held := time.Now()
			out <- p.msgs
			if l.HeldBack != nil {
				l.HeldBack(time.Since(held))
			}
		}
	}
}

// commitAll commits the offsets of the stored batches of in, in order, until in
// is closed; the batches that wait while a commit is in flight are committed
// together at their last offsets.
func (l Loop) commitAll(ctx context.Context, in <-chan []bus.Message) {
	for msgs := range in {
		last := lastOffsets(nil, msgs)
	merge:
		for {
			select {
			case more, ok := <-in:
				if !ok {
					break merge
				}
				last = lastOffsets(last, more)
			default:
				break merge
			}
		}
		commit := make([]bus.Message, 0, len(last))
		for _, m := range last {
			commit = append(commit, m)
		}
		// Committing only: the batches are stored. The commit is tried at least
		// once even after ctx ended, and retried while ctx lasts.
		start := time.Now()
		bus.StoreThenCommit(ctx, l.Name, len(commit), MaxBackoff, noStore,
			func(ctx context.Context) error { return l.Source.Commit(ctx, commit) }, nil)
		if l.Committed != nil {
			l.Committed(time.Since(start))
		}
	}
}

// partition names one partition of one topic.
type partition struct {
	topic string
	n     int
}

// lastOffsets adds msgs to last, which keeps per partition the message of the
// highest offset: committing it commits every message before it.
func lastOffsets(last map[partition]bus.Message, msgs []bus.Message) map[partition]bus.Message {
	if last == nil {
		last = map[partition]bus.Message{}
	}
	for _, m := range msgs {
		k := partition{m.Topic, m.Partition}
		if prev, ok := last[k]; !ok || m.Offset > prev.Offset {
			last[k] = bus.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
		}
	}
	return last
}

// noCommit and noStore are the halves of bus.StoreThenCommit a stage leaves to
// the other.
func noCommit(context.Context) error { return nil }
func noStore(context.Context) error  { return nil }
