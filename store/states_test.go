package store_test

import (
	"context"
	"fmt"
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
	pool := pgtest.Pool(t)
	states := store.CompanyStates{Table: "governance_state"}
	now := time.Date(2021, 6, 1, 8, 0, 0, 0, time.UTC)

	write := func(version int64, state string) error {
		var b pgx.Batch
		states.QueueWrite(&b, "370102001", version, []byte(state), nil, now)
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

// LockStale reads back exactly the companies whose held copy is missing or behind:
// one held at the stored version is not read, one held behind is, one without a
// copy is, and one without a row comes back empty.
func TestCompanyStatesLockStale(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	states := store.CompanyStates{Table: "warning_engine_state"}
	var b pgx.Batch
	for _, code := range []string{"A", "B", "C"} {
		states.QueueWrite(&b, code, 1, []byte(`{"c":"`+code+`"}`), nil, time.Now())
	}
	require.NoError(t, pool.SendBatch(ctx, &b).Close())

	held := map[string]int64{"A": 1, "B": 0}
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	stale, err := states.LockStale(ctx, tx, []string{"A", "B", "C", "D"}, func(code string) (int64, bool) {
		v, ok := held[code]
		return v, ok
	})
	require.NoError(t, err)
	require.Len(t, stale, 3)
	require.NotContains(t, stale, "A", "held at the stored version")
	require.Equal(t, int64(1), stale["B"].Version)
	require.JSONEq(t, `{"c":"C"}`, string(stale["C"].State))
	require.Equal(t, store.CompanyState{}, stale["D"], "no row: the zero state")
}

// A fresh part written alone moves the version on and keeps the head as stored; it
// is refused, changing nothing, for a stale version and for a company without a row.
func TestCompanyStatesWriteTheFreshPartAlone(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	states := store.CompanyStates{Table: "warning_engine_state"}
	now := time.Date(2021, 6, 1, 8, 0, 0, 0, time.UTC)
	send := func(queue func(b *pgx.Batch)) error {
		var b pgx.Batch
		queue(&b)
		return pool.SendBatch(ctx, &b).Close()
	}
	require.NoError(t, send(func(b *pgx.Batch) { states.QueueWrite(b, "A", 1, []byte(`{"h":1}`), []byte{1}, now) }))
	require.NoError(t, send(func(b *pgx.Batch) { states.QueueFresh(b, "A", 2, []byte{2, 2}, now) }))
	require.ErrorIs(t, send(func(b *pgx.Batch) { states.QueueFresh(b, "A", 2, []byte{3}, now) }), store.ErrStaleState)
	require.ErrorIs(t, send(func(b *pgx.Batch) { states.QueueFresh(b, "B", 1, []byte{3}, now) }), store.ErrStaleState,
		"no row to update: a new company is written whole")

	got, err := states.Read(ctx, pool, nil, true)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, int64(2), got["A"].Version)
	require.JSONEq(t, `{"h":1}`, string(got["A"].State))
	require.Equal(t, []byte{2, 2}, got["A"].Fresh)

	require.NoError(t, send(func(b *pgx.Batch) { states.QueueWrite(b, "A", 3, []byte(`{"h":3}`), nil, now) }))
	got, err = states.Read(ctx, pool, []string{"A"}, false)
	require.NoError(t, err)
	require.Nil(t, got["A"].Fresh, "a head written without a fresh part has none")
}

// Item removals and upserts go in one statement; QueueUnless removes, instead of
// storing, the items its condition says another table holds. The same holds when the
// writes are many and are staged by COPY first: with a thousand more items of another
// company in each transaction, on one connection, so the staging table is reused.
func TestStateItemsQueue(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		t.Run(map[bool]string{false: "as arrays", true: "copied"}[bulk], func(t *testing.T) {
			ctx := context.Background()
			pool := pgtest.Pool(t)
			conn, err := pool.Acquire(ctx)
			require.NoError(t, err)
			defer conn.Release()
			items := store.StateItems{Table: "governance_state_items"}
			round := 0
			write := func(elsewhere string, changed map[string]map[string][]byte) {
				var w store.ItemWrites
				for code, m := range changed {
					w.Add(code, m)
				}
				if bulk {
					round++
					filler := map[string][]byte{}
					for i := range 1000 {
						filler[fmt.Sprintf("f|%d", i)] = []byte(fmt.Sprintf(`{"round":%d}`, round))
					}
					w.Add("F", filler)
				}
				tx, err := conn.Begin(ctx)
				require.NoError(t, err)
				defer tx.Rollback(ctx) //nolint:errcheck
				var b pgx.Batch
				require.NoError(t, items.QueueUnless(ctx, tx, &b, &w, elsewhere))
				require.Equal(t, 1, b.Len())
				require.NoError(t, tx.SendBatch(ctx, &b).Close())
				require.NoError(t, tx.Commit(ctx))
			}
			write("", map[string]map[string][]byte{"A": {"k|1": []byte(`{"v":1}`), "k|2": []byte(`{"v":2}`), "x|1": []byte(`{"x":1}`)},
				"B": {"k|1": []byte(`{"v":"b"}`)}})
			write("", map[string]map[string][]byte{"A": {"k|1": nil, "k|2": []byte(`{"v":22}`), "k|3": []byte(`[3]`)}})
			write(`x.i LIKE 'x|%' AND x.d::json->>'x' = '2'`, map[string]map[string][]byte{"A": {"x|1": []byte(`{"x":2}`),
				"x|2": []byte(`{"x":2}`), "x|3": []byte(`{"x":3}`)}})

			got, err := items.Read(ctx, pool, []string{"A", "B"}, false)
			require.NoError(t, err)
			require.Len(t, got, 2)
			require.Len(t, got["A"], 3, "k|1 removed; x|1 and x|2 held elsewhere")
			require.JSONEq(t, `{"v":22}`, string(got["A"]["k|2"]))
			require.JSONEq(t, `[3]`, string(got["A"]["k|3"]))
			require.JSONEq(t, `{"x":3}`, string(got["A"]["x|3"]))
			require.JSONEq(t, `{"v":"b"}`, string(got["B"]["k|1"]))
			if bulk {
				filler, err := items.Read(ctx, pool, []string{"F"}, false)
				require.NoError(t, err)
				require.Len(t, filler["F"], 1000)
				require.JSONEq(t, `{"round":3}`, string(filler["F"]["f|999"]), "each round's copy, not an earlier one's rows")
			}

			tx, err := conn.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback(ctx) //nolint:errcheck
			var b pgx.Batch
			require.NoError(t, items.Queue(ctx, tx, &b, &store.ItemWrites{}))
			require.Zero(t, b.Len(), "nothing changed, nothing sent")
		})
	}
}
