package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
)

// Two writers that both start from version 1 of a company: the first write of
// version 2 wins, the second fails with ErrStaleState and changes nothing; a locked
// reader sees the winner's version and state.
func TestCompanyStatesRefuseAStaleWrite(t *testing.T) {
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, store.Migrate(ctx, pool))
	states := store.CompanyStates{Table: "governance_state"}
	now := time.Date(2021, 6, 1, 8, 0, 0, 0, time.UTC)

	write := func(version int64, state string) error {
		var b pgx.Batch
		states.QueueWrite(&b, "370102001", version, []byte(state), now)
		return pool.SendBatch(ctx, &b).Close()
	}
	require.NoError(t, write(1, `{"v":1}`))
	require.NoError(t, write(2, `{"v":"first"}`))
	require.ErrorIs(t, write(2, `{"v":"second"}`), store.ErrStaleState)
	require.ErrorIs(t, write(1, `{"v":"new again"}`), store.ErrStaleState, "a second creator is refused too")

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	versions, err := states.Lock(ctx, tx, []string{"370102001", "370102002"})
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"370102001": 2}, versions)
	got, err := states.Read(ctx, tx, []string{"370102001"}, false)
	require.NoError(t, err)
	require.Equal(t, int64(2), got["370102001"].Version)
	require.JSONEq(t, `{"v":"first"}`, string(got["370102001"].State))
	all, err := states.Read(ctx, pool, nil, true)
	require.NoError(t, err)
	require.Len(t, all, 1)
}
