package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/store"
)

// bag is a state kept as items: a head (N) and keyed values, of which it tells the
// ones changed since it was stored.
type bag struct {
	N      int               `json:"n"`
	Items  map[string]string `json:"-"`
	stored map[string]string // the items as last stored
}

var items = store.StateItems{Table: "test_items"}

func newBagRunner(tb testing.TB, pool *pgxpool.Pool) *runner.Runner[*bag] {
	tb.Helper()
	_, err := pool.Exec(context.Background(), `CREATE TABLE IF NOT EXISTS test_items (company_code text NOT NULL,
		item text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (company_code, item))`)
	require.NoError(tb, err)
	r, err := runner.New(context.Background(), pool, runner.Config[*bag]{
		Name:    "test",
		States:  states,
		Marshal: func(b *bag) ([]byte, error) { return json.Marshal(b) },
		Items: &runner.Items[*bag]{
			Table: items,
			Load: func(_ string, head []byte, stored map[string][]byte) (*bag, error) {
				b := &bag{Items: map[string]string{}, stored: map[string]string{}}
				if head != nil {
					if err := json.Unmarshal(head, b); err != nil {
						return nil, err
					}
				}
				for k, doc := range stored {
					var v string
					if err := json.Unmarshal(doc, &v); err != nil {
						return nil, err
					}
					b.Items[k], b.stored[k] = v, v
				}
				return b, nil
			},
			Changed: func(_ string, b *bag) (map[string][]byte, error) {
				out := map[string][]byte{}
				for k, v := range b.Items {
					if was, ok := b.stored[k]; !ok || was != v {
						out[k], _ = json.Marshal(v)
					}
				}
				for k := range b.stored {
					if _, ok := b.Items[k]; !ok {
						out[k] = nil
					}
				}
				return out, nil
			},
			Saved: func(_ string, b *bag) { b.stored = maps.Clone(b.Items) },
		},
	})
	require.NoError(tb, err)
	return r
}

// change runs fn on company's state in one transaction.
func change[S any](tb testing.TB, r *runner.Runner[S], company string, fn func(s S)) {
	tb.Helper()
	require.NoError(tb, r.Transact(context.Background(), runner.These(company), func(_ context.Context, t *runner.Txn[S]) error {
		fn(t.Get(company))
		return nil
	}))
}

// storedItems is company's rows of test_items: item → value, and item → the
// transaction that wrote it.
func storedItems(tb testing.TB, pool *pgxpool.Pool, company string) (map[string]string, map[string]string) {
	tb.Helper()
	rows, err := pool.Query(context.Background(), `SELECT item, doc #>> '{}', xmin::text FROM test_items WHERE company_code = $1`, company)
	require.NoError(tb, err)
	vals, xmins := map[string]string{}, map[string]string{}
	var k, v, x string
	_, err = pgx.ForEachRow(rows, []any{&k, &v, &x}, func() error { vals[k], xmins[k] = v, x; return nil })
	require.NoError(tb, err)
	return vals, xmins
}

// A state kept as items writes only the items that changed, with a new version of
// its head; another process, a restart and a rolled-back transaction all see the
// items as stored.
func TestItemsWrittenOnlyWhenChanged(t *testing.T) {
	pool := newPool(t)
	r := newBagRunner(t, pool)
	change(t, r, "A", func(b *bag) { b.Items["a"], b.Items["b"] = "1", "1" })
	vals, first := storedItems(t, pool, "A")
	assert.Equal(t, map[string]string{"a": "1", "b": "1"}, vals)
	assert.Equal(t, int64(1), version(t, pool, "A"))

	change(t, r, "A", func(b *bag) { b.Items["a"] = "2" })
	vals, second := storedItems(t, pool, "A")
	assert.Equal(t, map[string]string{"a": "2", "b": "1"}, vals)
	assert.Equal(t, first["b"], second["b"], "b did not change: not written")
	assert.NotEqual(t, first["a"], second["a"])
	assert.Equal(t, int64(2), version(t, pool, "A"), "an item's change moves the head's version on")

	change(t, r, "A", func(*bag) {})
	assert.Equal(t, int64(2), version(t, pool, "A"), "nothing changed, nothing written")

	// Another process changes A: the first one's copy is stale and reloads the items.
	other := newBagRunner(t, pool)
	change(t, other, "A", func(b *bag) { delete(b.Items, "b"); b.Items["c"] = "3"; b.N = 7 })
	vals, _ = storedItems(t, pool, "A")
	assert.Equal(t, map[string]string{"a": "2", "c": "3"}, vals, "b is gone")
	var seen bag
	change(t, r, "A", func(b *bag) { seen = bag{N: b.N, Items: maps.Clone(b.Items)} })
	assert.Equal(t, 7, seen.N)
	assert.Equal(t, map[string]string{"a": "2", "c": "3"}, seen.Items, "the stale copy was reloaded with its items")

	// A rolled-back change is not stored and is gone from memory; the items it
	// would have written come back with the next change that does commit.
	boom := errors.New("boom")
	err := r.Transact(context.Background(), runner.These("A"), func(_ context.Context, tx *runner.Txn[*bag]) error {
		tx.Get("A").Items["d"] = "4"
		tx.OnSend(func(context.Context, pgx.Tx) error { return boom })
		return nil
	})
	require.ErrorIs(t, err, boom)
	change(t, r, "A", func(b *bag) { seen = bag{Items: maps.Clone(b.Items)}; b.Items["e"] = "5" })
	assert.Equal(t, map[string]string{"a": "2", "c": "3"}, seen.Items)

	// A restart loads every head and item.
	change(t, newBagRunner(t, pool), "A", func(b *bag) { seen = bag{N: b.N, Items: maps.Clone(b.Items)} })
	assert.Equal(t, bag{N: 7, Items: map[string]string{"a": "2", "c": "3", "e": "5"}}, seen)
}
