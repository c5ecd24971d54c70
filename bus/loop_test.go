package bus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// laneBatches are fetched batches as the sink sees them under a backlog: runs of one
// partition, and batches that mix partitions.
func laneBatches() [][]bus.Message {
	at := func(p int, from, to int64) []bus.Message {
		var ms []bus.Message
		for o := from; o <= to; o++ {
			ms = append(ms, bus.Message{Topic: "t", Partition: p, Offset: o})
		}
		return ms
	}
	return [][]bus.Message{
		at(0, 0, 2),
		at(0, 3, 5), // the same partition's next batch: must wait for the first
		at(1, 0, 2),
		append(append(at(0, 6, 6), at(1, 3, 3)...), at(0, 7, 7)...), // split: 0 → lane 0, 1 → lane 1
	}
}

// fetchAll hands over batches one by one, then ends ctx (as a shutdown would, with
// the parts still in the lanes) and answers as a reader whose context ended.
func fetchAll(batches [][]bus.Message, cancel context.CancelFunc) func(context.Context) ([]bus.Message, error) {
	var mu sync.Mutex
	return func(ctx context.Context) ([]bus.Message, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(batches) == 0 {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		}
		b := batches[0]
		batches = batches[1:]
		return b, nil
	}
}

// Two lanes: partition 0's first part is still being handled (it waits until the
// other lane has handled a part) when its second part is fetched. The second part
// must wait for it — a lane per partition, in fetch order — and the other lane must
// run meanwhile. Handing batches to lanes in turn, or by anything but the partition,
// handles offset 3 of partition 0 before offset 0 and fails here; handling one part
// at a time never lets the first part finish and fails on the guard.
func TestFetchLanesKeepsEachPartitionInOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		handled = map[int][]int64{} // partition → offsets in the order handled
		parts   [][]bus.Message
		other   = make(chan struct{})
		once    sync.Once
		first   = true
	)
	handle := func(part []bus.Message) error {
		// The first part is partition 0's first: under load lane 1's goroutine may
		// handle its part before lane 0's starts, and had that part waited for
		// another lane-1 part, which its own lane holds back, the guard fired (CI of
		// 2026-12-07).
		mu.Lock()
		isFirst := first && part[0].Partition == 0
		if isFirst {
			first = false
		}
		mu.Unlock()
		if isFirst {
			select {
			case <-other:
			case <-time.After(10 * time.Second): // a deadlock guard, not a measure of speed
				t.Error("no other lane handled a part while the first part was being handled")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		parts = append(parts, part)
		for _, m := range part {
			handled[m.Partition] = append(handled[m.Partition], m.Offset)
		}
		if !isFirst && part[0].Partition != 0 {
			once.Do(func() { close(other) })
		}
		return nil
	}
	require.NoError(t, bus.FetchLanes(ctx, "test", 2, fetchAll(laneBatches(), cancel), handle))

	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6, 7}, handled[0], "partition 0 in offset order, every part once, the parts fetched before the end included")
	assert.Equal(t, []int64{0, 1, 2, 3}, handled[1], "partition 1 in offset order")
	for _, p := range parts {
		for _, m := range p {
			assert.Equal(t, p[0].Partition%2, m.Partition%2, "a part holds one lane's partitions only")
		}
	}
}

// One lane is a pipeline: the same order as FetchLoop, every message once.
func TestFetchLanesOneLaneIsFetchOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []bus.Message
	require.NoError(t, bus.FetchLanes(ctx, "test", 1, fetchAll(laneBatches(), cancel), func(part []bus.Message) error {
		got = append(got, part...)
		return nil
	}))
	var want []bus.Message
	for _, b := range laneBatches() {
		want = append(want, b...)
	}
	assert.Equal(t, want, got)
}

// An error from handle stops the fetching and is returned after the lanes finish.
func TestFetchLanesStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	fetched := 0
	fetch := func(ctx context.Context) ([]bus.Message, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fetched++
		return []bus.Message{{Topic: "t", Partition: fetched % 3, Offset: int64(fetched)}}, nil
	}
	err := bus.FetchLanes(context.Background(), "test", 3, fetch, func(part []bus.Message) error {
		if part[0].Offset == 5 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
}
