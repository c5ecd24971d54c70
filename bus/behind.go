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
// Messages the consumer has not fetched yet are not counted: while they wait, the
// batch it holds ages, so a consumer that falls behind shows it either way.
type Behind struct {
	now func() time.Time

	mu sync.Mutex
	// oldest holds, for each batch fetched and not finished, in fetch order, the
	// append time of its oldest message (zero for an empty batch).
	oldest []time.Time
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
	if b == nil {
		return
	}
	var oldest time.Time
	for _, m := range msgs {
		if !m.Time.IsZero() && (oldest.IsZero() || m.Time.Before(oldest)) {
			oldest = m.Time
		}
	}
	b.mu.Lock()
	b.oldest = append(b.oldest, oldest)
	b.mu.Unlock()
}

// Finished records that the oldest batch fetched is done with.
func (b *Behind) Finished() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if len(b.oldest) > 0 {
		b.oldest = b.oldest[1:]
	}
	b.mu.Unlock()
}

// Late is the age of the oldest message fetched and not finished; zero when none is.
func (b *Behind) Late() time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	var oldest time.Time
	for _, t := range b.oldest {
		if !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
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
	if b == nil || bound <= 0 || most <= 0 {
		return 0
	}
	onTime := func() bool { late := b.Late(); return late <= bound || late > YieldGiveUp }
	if onTime() {
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
