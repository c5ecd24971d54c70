package bus

import (
	"context"
	"sync"
	"time"
)

// Behind is how late a consumer is: the age of the oldest message it has fetched and
// not yet finished with (stored, or given up on), by the broker's append time. The
// warning consumer keeps one and the sink yields to it (Yield), so that where the
// database has no spare core the warning engine's transactions get it first: in the
// 10-minute runs at 20,000 readings/s on 2 cores, while the sink wrote its backlog,
// the warning group fell tens of thousands of messages behind and probes went
// unanswered for 10 s (docs/performance.md, "The warning group first"). A warning
// late is worse than a raw record late.
//
// The sink keeps one too, which the per-minute trend's refresh yields to as well: a
// refresh holds a core for seconds, and the sink's backlog is the platform's lag.
//
// Messages the consumer has not fetched yet are not counted: while they wait, the
// batch it holds ages, so a consumer that falls behind shows it either way.
type Behind struct {
	now func() time.Time

	mu sync.Mutex
	// held holds each batch fetched and not finished, in fetch order.
	held []heldBatch
	last uint64 // the number of the last batch held
}

// heldBatch is a batch a consumer holds: its number (for Hold's release) and the
// append time of its oldest message (zero for an empty batch).
type heldBatch struct {
	n      uint64
	oldest time.Time
}

// NewBehind returns a Behind that reads the time from now (time.Now when nil).
func NewBehind(now func() time.Time) *Behind {
	if now == nil {
		now = time.Now
	}
	return &Behind{now: now}
}

// Fetched records a batch taken in. Each Fetched is matched, in order, by one
// Finished. A nil Behind records nothing.
func (b *Behind) Fetched(msgs []Message) {
	b.take(msgs)
}

// Finished records that the oldest batch fetched is done with.
func (b *Behind) Finished() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if len(b.held) > 0 {
		b.held = b.held[1:]
	}
	b.mu.Unlock()
}

// Hold records a batch taken in and returns what records that this batch, and not
// the oldest one, is done with: for consumers whose batches finish out of order (the
// sink's workers). A nil Behind records nothing.
func (b *Behind) Hold(msgs []Message) (release func()) {
	n := b.take(msgs)
	return func() {
		if b == nil {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, h := range b.held {
			if h.n == n {
				b.held = append(b.held[:i], b.held[i+1:]...)
				return
			}
		}
	}
}

// take records a batch held and returns its number.
func (b *Behind) take(msgs []Message) uint64 {
	if b == nil {
		return 0
	}
	var oldest time.Time
	for _, m := range msgs {
		if !m.Time.IsZero() && (oldest.IsZero() || m.Time.Before(oldest)) {
			oldest = m.Time
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last++
	b.held = append(b.held, heldBatch{n: b.last, oldest: oldest})
	return b.last
}

// Late is the age of the oldest message fetched and not finished; zero when none is.
func (b *Behind) Late() time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	var oldest time.Time
	for _, h := range b.held {
		if t := h.oldest; !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	b.mu.Unlock()
	if oldest.IsZero() {
		return 0
	}
	return max(b.now().Sub(oldest), 0)
}

// YieldGiveUp is the lateness beyond which Yield does not wait: a consumer that far
// behind is replaying a backlog or stuck on a batch it cannot store, not short of a
// core, and the sink waiting for it would only fall behind too.
const YieldGiveUp = 30 * time.Second

// yieldPoll is how often Yield looks again.
const yieldPoll = 5 * time.Millisecond

// Yield waits while b is later than bound (and not beyond YieldGiveUp), at most most
// in all, or until ctx ends; it returns how long it waited. A nil Behind or a bound
// of zero never waits.
func (b *Behind) Yield(ctx context.Context, bound, most time.Duration) time.Duration {
	return YieldAll(ctx, most, Gate{Behind: b, Bound: bound})
}

// Gate is a consumer to wait for (Behind) and how late it may be (Bound; zero: it is
// not waited for).
type Gate struct {
	Behind *Behind
	Bound  time.Duration
}

// onTime reports whether g need not be waited for: switched off, within its bound,
// or beyond YieldGiveUp.
func (g Gate) onTime() bool {
	if g.Behind == nil || g.Bound <= 0 {
		return true
	}
	late := g.Behind.Late()
	return late <= g.Bound || late > YieldGiveUp
}

// YieldAll waits while any of gates is later than its bound (and not beyond
// YieldGiveUp), at most most in all, or until ctx ends; it returns how long it
// waited.
func YieldAll(ctx context.Context, most time.Duration, gates ...Gate) time.Duration {
	onTime := func() bool {
		for _, g := range gates {
			if !g.onTime() {
				return false
			}
		}
		return true
	}
	if most <= 0 || onTime() {
		return 0
	}
	start := time.Now()
	for {
		waited := time.Since(start)
		if waited >= most || !Sleep(ctx, min(yieldPoll, most-waited)) {
			return time.Since(start)
		}
		if onTime() {
			return time.Since(start)
		}
	}
}
