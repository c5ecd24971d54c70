// Package bustest holds fakes of the bus for other packages' tests.
package bustest

import (
	"context"
	"sync"

	"github.com/shandong-emergency/chemguard/bus"
)

// Batches is a broker's fetch answers, in order. Set Queue before the first fetch.
type Batches struct {
	mu    sync.Mutex
	Queue [][]bus.Message
}

// Next takes the next batch, and reports false when none is left.
func (q *Batches) Next() ([]bus.Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.Queue) == 0 {
		return nil, false
	}
	b := q.Queue[0]
	q.Queue = q.Queue[1:]
	return b, true
}

// FetchBatch hands out the next batch, and when none is left waits for ctx, as a
// broker with nothing more to read does.
func (q *Batches) FetchBatch(ctx context.Context) ([]bus.Message, error) {
	if b, ok := q.Next(); ok {
		return b, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
