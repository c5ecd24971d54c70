package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/testclock"
)

// appendedAt is a batch of messages the broker appended at the given times.
func appendedAt(times ...time.Time) []bus.Message {
	msgs := make([]bus.Message, len(times))
	for i, t := range times {
		msgs[i] = bus.Message{Offset: int64(i), Time: t}
	}
	return msgs
}

// A consumer is as late as the oldest message it holds, whichever batch holds it,
// and on time once it has finished every batch it fetched; an empty batch is counted
// for the pairing but not for the lateness.
func TestBehindIsTheAgeOfTheOldestMessageHeld(t *testing.T) {
	clk := testclock.Frozen(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	b := bus.NewBehind(clk.Now)
	assert.Zero(t, b.Late(), "nothing fetched")

	now := clk.Now()
	b.Fetched(appendedAt(now.Add(-200*time.Millisecond), now.Add(-900*time.Millisecond), time.Time{}))
	b.Fetched(nil)
	b.Fetched(appendedAt(now.Add(-100 * time.Millisecond)))
	assert.Equal(t, 900*time.Millisecond, b.Late(), "the oldest message of the first batch")
	clk.Add(time.Second)
	assert.Equal(t, 1900*time.Millisecond, b.Late(), "a batch held ages with the clock")

	b.Finished()
	assert.Equal(t, 1100*time.Millisecond, b.Late(), "the empty batch does not count; the third does")
	b.Finished()
	b.Finished()
	assert.Zero(t, b.Late())
	b.Finished() // more than fetched: still on time, and nothing panics
	assert.Zero(t, b.Late())

	var none *bus.Behind
	none.Fetched(appendedAt(now))
	none.Finished()
	assert.Zero(t, none.Late())
	assert.Zero(t, none.Yield(context.Background(), time.Millisecond, time.Second))
}

// Yield does not wait for a consumer on time, nor for one beyond bus.YieldGiveUp
// (a backlog or a stuck batch, not a short core), nor when switched off; it waits
// for a late one until it finishes its batch, and never longer than most.
func TestYieldWaitsWhileTheConsumerIsLate(t *testing.T) {
	clk := testclock.Frozen(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	b := bus.NewBehind(clk.Now)
	ctx := context.Background()
	const bound = 300 * time.Millisecond
	// A deadlock guard, long enough that a loaded machine never reaches it.
	const most = time.Minute

	b.Fetched(appendedAt(clk.Now().Add(-bound)))
	assert.Zero(t, b.Yield(ctx, bound, most), "at the bound is on time")
	b.Finished()

	b.Fetched(appendedAt(clk.Now().Add(-bus.YieldGiveUp - time.Second)))
	assert.Zero(t, b.Yield(ctx, bound, most), "too late to be helped by waiting")
	b.Finished()

	b.Fetched(appendedAt(clk.Now().Add(-time.Second)))
	assert.Zero(t, b.Yield(ctx, 0, most), "a bound of zero switches yielding off")

	// Late: the wait ends when the consumer finishes its batch.
	released := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		b.Finished()
		close(released)
	}()
	waited := b.Yield(ctx, bound, most)
	select {
	case <-released:
	default:
		t.Fatalf("Yield returned after %s, before the late batch was finished", waited)
	}
	assert.Less(t, waited, most)

	// Late and staying late: the wait is bounded by most.
	b.Fetched(appendedAt(clk.Now().Add(-time.Second)))
	waited = b.Yield(ctx, bound, 30*time.Millisecond)
	assert.GreaterOrEqual(t, waited, 30*time.Millisecond)

	// And by the context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.Less(t, b.Yield(cctx, bound, most), most)
}

// Batches held with Hold finish in any order (the sink's workers): each release
// drops its own batch, so a consumer stays as late as the oldest batch still held.
func TestHoldReleasesItsOwnBatch(t *testing.T) {
	clk := testclock.Frozen(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC))
	b := bus.NewBehind(clk.Now)
	now := clk.Now()
	first := b.Hold(appendedAt(now.Add(-2 * time.Second)))
	second := b.Hold(appendedAt(now.Add(-500 * time.Millisecond)))
	second()
	assert.Equal(t, 2*time.Second, b.Late(), "the second batch finished first; the first is still held")
	second() // twice: nothing more is dropped
	assert.Equal(t, 2*time.Second, b.Late())
	third := b.Hold(appendedAt(now.Add(-time.Second)))
	first()
	assert.Equal(t, time.Second, b.Late(), "the first finished: the third is the oldest held")
	third()
	assert.Zero(t, b.Late())

	var none *bus.Behind
	none.Hold(appendedAt(now))()
}

// YieldAll waits while any gate is late, and stops once every one is on time; a
// gate without a Behind or with a zero bound is never waited for.
func TestYieldAllWaitsForEveryGate(t *testing.T) {
	clk := testclock.Frozen(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC))
	warn, sink := bus.NewBehind(clk.Now), bus.NewBehind(clk.Now)
	ctx := context.Background()
	gates := []bus.Gate{{Behind: warn, Bound: 300 * time.Millisecond}, {Behind: sink, Bound: time.Second},
		{Behind: nil, Bound: time.Millisecond}, {Behind: warn, Bound: 0}}
	assert.Zero(t, bus.YieldAll(ctx, time.Minute, gates...), "nothing held")

	warnDone := warn.Hold(appendedAt(clk.Now().Add(-time.Second)))
	sinkDone := sink.Hold(appendedAt(clk.Now().Add(-2 * time.Second)))
	released := make(chan struct{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		warnDone()
		time.Sleep(30 * time.Millisecond)
		sinkDone()
		close(released)
	}()
	waited := bus.YieldAll(ctx, time.Minute, gates...)
	select {
	case <-released:
	default:
		t.Fatalf("YieldAll returned after %s, with the sink still late", waited)
	}

	sink.Hold(appendedAt(clk.Now().Add(-2 * time.Second)))
	assert.GreaterOrEqual(t, bus.YieldAll(ctx, 20*time.Millisecond, gates...), 20*time.Millisecond,
		"late and staying late: bounded by most")
	assert.Zero(t, bus.YieldAll(ctx, 0, gates...), "most of zero never waits")
}
