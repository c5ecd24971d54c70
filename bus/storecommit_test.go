package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A database down longer than the drain budget while the consumer runs must not make
// it give up on the batch: the next batch's commit would cover the lost one's
// offsets. The budget only bounds a store still running once the context ends.
func TestStoreRetriedWhileTheContextLasts(t *testing.T) {
	defer func(b time.Duration) { DrainBudget = b }(DrainBudget)
	DrainBudget = 20 * time.Millisecond

	down := time.Now().Add(10 * DrainBudget) // the database comes back after ten budgets
	var tries, commits int
	stored := StoreThenCommit(context.Background(), "test", 1, time.Millisecond,
		func(ctx context.Context) error {
			tries++
			require.NoError(t, ctx.Err(), "the store's context ended while the consumer runs")
			if time.Now().Before(down) {
				return errors.New("database down")
			}
			return nil
		},
		func(context.Context) error { commits++; return nil }, nil)
	assert.True(t, stored)
	assert.Greater(t, tries, 1)
	assert.Equal(t, 1, commits)
}

// Once the context ends, a failing store is given up on (it is not committed and
// comes back after a restart), and a store that is still running gets the budget.
func TestStoreBoundedOnceTheContextEnds(t *testing.T) {
	defer func(b time.Duration) { DrainBudget = b }(DrainBudget)
	DrainBudget = 50 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	commits := 0
	commit := func(context.Context) error { commits++; return nil }
	failing := func(context.Context) error { cancel(); return errors.New("database down") }
	assert.False(t, StoreThenCommit(ctx, "test", 1, time.Millisecond, failing, commit, nil))
	assert.Zero(t, commits, "a batch not stored is not committed")

	var storeCtxErr error
	slow := func(sctx context.Context) error {
		select {
		case <-sctx.Done(): // the budget ran out under a store that never ends
			storeCtxErr = sctx.Err()
			return sctx.Err()
		case <-time.After(time.Minute):
			return nil
		}
	}
	assert.False(t, StoreThenCommit(ctx, "test", 1, time.Millisecond, slow, commit, nil))
	assert.ErrorIs(t, storeCtxErr, context.Canceled)
	assert.Zero(t, commits)
}
