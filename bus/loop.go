package bus

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// FetchLoop is the loop every consumer stage runs: fetch a batch, hand it to handle,
// repeat until ctx ends. A failed fetch is logged under name and retried after a
// second; an error from handle ends the loop with that error.
func FetchLoop(ctx context.Context, name string, fetch func(context.Context) ([]Message, error),
	handle func([]Message) error) error {
	for {
		msgs, err := fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			slog.Warn(name+": fetch failed", "err", err)
			if !Sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		if err := handle(msgs); err != nil {
			return err
		}
	}
}

// Backoff is the wait before retry number attempt (0 first): 100 ms doubling, at
// most limit.
func Backoff(attempt int, limit time.Duration) time.Duration {
	return min(100*time.Millisecond<<min(attempt, 10), limit)
}

// Sleep waits d or until ctx ends, and reports whether it waited the whole d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// StoreThenCommit is how a consumer stage finishes a batch of n messages: store it,
// retrying while store fails (waits of Backoff up to limit, failed told of each
// failure), then commit the offsets, retrying while that fails. Storing is retried
// for as long as ctx lasts, however long the database is down: a batch given up on
// while the consumer goes on would be lost, as the next batch's commit covers its
// offsets. When ctx ends, the batch being stored has DrainBudget more to be stored.
// Committing is tried at least once, each try bounded by CommitTimeout, and
// retried only while ctx lasts: a batch stored but not committed comes back to whoever
// consumes next, which is harmless because store must be idempotent, so shutdown is
// not held open by a broker that cannot take the commit (after a restart the group's
// generation is gone and a commit can wait until its deadline). A batch not stored is
// not committed and comes back too. It reports whether the batch was stored.
func StoreThenCommit(ctx context.Context, name string, n int, limit time.Duration,
	store, commit func(context.Context) error, failed func()) bool {
	wctx, cancel := drainContext(ctx, DrainBudget)
	defer cancel()
	for attempt := 0; ; attempt++ {
		err := store(wctx)
		if err == nil {
			break
		}
		slog.Warn(name+": write failed, retrying", "attempt", attempt+1, "messages", n, "err", err)
		if failed != nil {
			failed()
		}
		if ctx.Err() != nil || !Sleep(ctx, Backoff(attempt, limit)) {
			return false
		}
	}
	for attempt := 0; ; attempt++ {
		cctx, ccancel := context.WithTimeout(wctx, CommitTimeout)
		err := commit(cctx)
		ccancel()
		if err == nil {
			return true
		}
		slog.Warn(name+": commit failed, retrying", "attempt", attempt+1, "err", err)
		if wctx.Err() != nil || !Sleep(ctx, Backoff(attempt, limit)) {
			return true // stored, not committed: the replay is harmless
		}
	}
}

// CommitTimeout bounds one offset commit.
const CommitTimeout = 10 * time.Second

// DrainBudget is how long a batch being stored when its consumer's context ends
// may still take: shutdown waits for it, but not forever.
var DrainBudget = 2 * time.Minute

// drainContext is a context that outlives ctx by budget: it is not done while ctx
// lasts, and is cancelled budget after ctx ends (or by cancel).
func drainContext(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(budget, cancel) })
	return wctx, func() { stop(); cancel() }
}

// FetchLanes is FetchLoop with the batches handled by lanes goroutines side by side,
// and the next batch fetched while they work. Each fetched batch is split by
// partition number, and the part of partition p goes to lane p % lanes, which
// handles its parts one at a time in the order they were fetched: a partition's
// messages are handled in offset order and one part's handle (its store and its
// commit) ends before the next part of that partition starts, so a commit never
// covers an offset whose message is not stored yet. The partition number alone picks
// the lane, not the topic with it: producers key every topic alike (Message), so a
// company's messages of every topic share a lane and keep their order across topics.
//
// A lane holds at most one part waiting besides the one it handles; the fetch waits
// for room, so memory is bounded by lanes × 2 parts and one batch. When ctx ends,
// the parts already fetched are still handled (handle sees ctx ended, as in
// FetchLoop) and FetchLanes returns after them. The first error from handle stops the
// fetching and is returned once every lane has finished its parts. lanes < 1 is 1.
func FetchLanes(ctx context.Context, name string, lanes int, fetch func(context.Context) ([]Message, error),
	handle func([]Message) error) error {
	lanes = max(lanes, 1)
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	queues := make([]chan []Message, lanes)
	errs := make(chan error, lanes)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan []Message, 1)
		wg.Add(1)
		go func(parts <-chan []Message) {
			defer wg.Done()
			for part := range parts {
				if err := handle(part); err != nil {
					errs <- err
					stopFetch()
					for range parts { // the fetch stops: let it hand over what it holds
					}
					return
				}
			}
		}(queues[i])
	}
	err := FetchLoop(fetchCtx, name, fetch, func(msgs []Message) error {
		for lane, part := range splitByLane(msgs, lanes) {
			if len(part) > 0 {
				queues[lane] <- part
			}
		}
		return nil
	})
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	close(errs)
	if herr, ok := <-errs; ok {
		return herr
	}
	return err
}

// splitByLane splits msgs into lanes parts by partition number, keeping their order
// within each part.
func splitByLane(msgs []Message, lanes int) [][]Message {
	parts := make([][]Message, lanes)
	if lanes == 1 {
		parts[0] = msgs
		return parts
	}
	for _, m := range msgs {
		lane := m.Partition % lanes
		parts[lane] = append(parts[lane], m)
	}
	return parts
}
