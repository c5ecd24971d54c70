package runner_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/runner"
)

// meter is a state with a head (N, changed rarely) and a fresh part (Seen, changed
// by every record).
type meter struct {
	N    int `json:"n"`
	Seen int `json:"-"`
}

func newMeterRunner(tb testing.TB, pool *pgxpool.Pool, restores *atomic.Int64) *runner.Runner[*meter] {
	tb.Helper()
	r, err := runner.New(context.Background(), pool, runner.Config[*meter]{
		Name:   "test",
		States: states,
		Load: func(_ string, b []byte) (*meter, error) {
			m := &meter{}
			if b == nil {
				return m, nil
			}
			return m, json.Unmarshal(b, m)
		},
		Marshal: func(m *meter) ([]byte, error) { return json.Marshal(m) },
		Fresh: &runner.Fresh[*meter]{
			Marshal: func(m *meter) ([]byte, error) { return []byte(strconv.Itoa(m.Seen)), nil },
			Restore: func(m *meter, b []byte) error {
				restores.Add(1)
				var err error
				m.Seen, err = strconv.Atoi(string(b))
				return err
			},
		},
	})
	require.NoError(tb, err)
	return r
}

func measure(tb testing.TB, r *runner.Runner[*meter], company string, f func(m *meter)) {
	tb.Helper()
	require.NoError(tb, r.Transact(context.Background(), runner.These(company), func(_ context.Context, t *runner.Txn[*meter]) error {
		f(t.Get(company))
		return nil
	}))
}

// A transaction that changed only the fresh part writes that part alone, at the next
// version: the head stays as stored (here marked in the database, so that a head
// written again would lose the mark). A new process reads the head with the fresh
// part laid over it; another process holding a copy reloads it.
func TestFreshPartWrittenAlone(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	var restores atomic.Int64
	r := newMeterRunner(t, pool, &restores)
	other := newMeterRunner(t, pool, &restores)
	measure(t, r, "A", func(m *meter) { m.N, m.Seen = 1, 1 })
	assert.Equal(t, int64(1), version(t, pool, "A"))
	_, err := pool.Exec(ctx, `UPDATE test_state SET state = state || '{"mark": true}'`)
	require.NoError(t, err)

	measure(t, r, "A", func(m *meter) { m.Seen = 2 })
	assert.Equal(t, int64(2), version(t, pool, "A"))
	assert.True(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'mark' FROM test_state`), "the head is not written again")
	assert.Equal(t, "2", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)))
	measure(t, r, "A", func(*meter) {})
	assert.Equal(t, int64(2), version(t, pool, "A"), "nothing changed: nothing written")

	measure(t, other, "A", func(m *meter) {
		assert.Equal(t, meter{N: 1, Seen: 2}, *m, "the other process's copy is reloaded, fresh part and all")
		m.N = 3
	})
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'mark' FROM test_state`), "a changed head is written")
	assert.Equal(t, "2", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)), "with the fresh part")

	restores.Store(0)
	measure(t, newMeterRunner(t, pool, &restores), "A", func(m *meter) {
		assert.Equal(t, meter{N: 3, Seen: 2}, *m)
	})
	assert.Equal(t, int64(1), restores.Load())
}

// A row written before its state had a fresh part (its head holds everything, in
// the layout of its day) is read from the head alone and written whole — head in
// today's layout, fresh part — at the next transaction, even one that changed
// nothing; from then on the fresh part is laid over the head.
func TestRowWithoutFreshPartGetsOne(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO test_state (company_code, version, state, updated_at)
		VALUES ('A', 4, '{"n": 5, "old": true}', now())`)
	require.NoError(t, err)
	var restores atomic.Int64
	r := newMeterRunner(t, pool, &restores)
	assert.Zero(t, restores.Load(), "no fresh part to lay over the head")
	measure(t, r, "A", func(m *meter) { assert.Equal(t, meter{N: 5}, *m) })
	assert.Equal(t, int64(5), version(t, pool, "A"))
	assert.Equal(t, "0", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'old' FROM test_state`), "the head is written again")
	measure(t, r, "A", func(*meter) {})
	assert.Equal(t, int64(5), version(t, pool, "A"), "then unchanged: nothing written")
}
