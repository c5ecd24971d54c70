package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/runner"
)

// meter is a state with a head (N, changed rarely) and a fresh part (Seen, changed
// by every record); changed is its mark of a changed head, for Config.Head.
type meter struct {
	N       int  `json:"n"`
	Seen    int  `json:"-"`
	changed bool `json:"-"`
	old     bool // read from a head in an older layout (Config.Outdated)
}

func newMeterRunner(tb testing.TB, pool *pgxpool.Pool, restores *atomic.Int64) *runner.Runner[*meter] {
	tb.Helper()
	return meterRunner(tb, pool, restores, nil)
}

// meterRunner is a runner of meters counting the fresh parts restored and, with
// encoded, the heads encoded; with encoded it also skips the heads not marked
// changed (Config.Head).
func meterRunner(tb testing.TB, pool *pgxpool.Pool, restores, encoded *atomic.Int64) *runner.Runner[*meter] {
	tb.Helper()
	r, err := runner.New(context.Background(), pool, meterConfig(restores, encoded))
	require.NoError(tb, err)
	return r
}

// meterConfig is meterRunner's configuration.
func meterConfig(restores, encoded *atomic.Int64) runner.Config[*meter] {
	cfg := runner.Config[*meter]{
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
	}
	if encoded != nil {
		cfg.Marshal = func(m *meter) ([]byte, error) {
			encoded.Add(1)
			return json.Marshal(m)
		}
		cfg.Head = &runner.Head[*meter]{
			Changed: func(m *meter) bool { return m.changed },
			Stored:  func(m *meter) { m.changed = false },
		}
	}
	return cfg
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
	change(t, r, "A", func(m *meter) { m.N, m.Seen = 1, 1 })
	assert.Equal(t, int64(1), version(t, pool, "A"))
	_, err := pool.Exec(ctx, `UPDATE test_state SET state = state || '{"mark": true}'`)
	require.NoError(t, err)

	change(t, r, "A", func(m *meter) { m.Seen = 2 })
	assert.Equal(t, int64(2), version(t, pool, "A"))
	assert.True(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'mark' FROM test_state`), "the head is not written again")
	assert.Equal(t, "2", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)))
	change(t, r, "A", func(*meter) {})
	assert.Equal(t, int64(2), version(t, pool, "A"), "nothing changed: nothing written")

	change(t, other, "A", func(m *meter) {
		assert.Equal(t, meter{N: 1, Seen: 2}, *m, "the other process's copy is reloaded, fresh part and all")
		m.N = 3
	})
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'mark' FROM test_state`), "a changed head is written")
	assert.Equal(t, "2", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)), "with the fresh part")

	restores.Store(0)
	change(t, newMeterRunner(t, pool, &restores), "A", func(m *meter) {
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
	change(t, r, "A", func(m *meter) { assert.Equal(t, meter{N: 5}, *m) })
	assert.Equal(t, int64(5), version(t, pool, "A"))
	assert.Equal(t, "0", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'old' FROM test_state`), "the head is written again")
	change(t, r, "A", func(*meter) {})
	assert.Equal(t, int64(5), version(t, pool, "A"), "then unchanged: nothing written")
}

// A row whose head is in an older layout (Config.Outdated; here one with "old" in
// it) is written whole, in Marshal's layout, at the next transaction, even one that
// changed nothing and with its head unmarked; its stored fresh part is laid over it
// as usual. A row in today's layout beside it, unchanged, is not written.
func TestOutdatedHeadWrittenWhole(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO test_state (company_code, version, state, fresh, updated_at)
		VALUES ('A', 4, '{"n": 5, "old": true}', '7', now()), ('B', 2, '{"n": 1}', '3', now())`)
	require.NoError(t, err)
	var restores, encoded atomic.Int64
	cfg := meterConfig(&restores, &encoded)
	cfg.Load = func(_ string, b []byte) (*meter, error) {
		var v struct {
			meter
			Old bool `json:"old"`
		}
		err := json.Unmarshal(b, &v)
		v.meter.old = v.Old
		return &v.meter, err
	}
	cfg.Outdated = func(m *meter) bool { return m.old }
	r, err := runner.New(ctx, pool, cfg)
	require.NoError(t, err)
	change(t, r, "A", func(m *meter) { assert.Equal(t, meter{N: 5, Seen: 7, old: true}, *m) })
	assert.Equal(t, int64(5), version(t, pool, "A"))
	assert.False(t, pgtest.Scalar[bool](t, pool, `SELECT state ? 'old' FROM test_state WHERE company_code = 'A'`), "the head is written again")
	assert.Equal(t, int64(5), pgtest.Scalar[int64](t, pool, `SELECT (state->>'n')::bigint FROM test_state WHERE company_code = 'A'`))
	assert.Equal(t, "7", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state WHERE company_code = 'A'`)))
	change(t, r, "B", func(m *meter) { assert.Equal(t, meter{N: 1, Seen: 3}, *m) })
	assert.Equal(t, int64(2), version(t, pool, "B"), "a current head, unchanged, is not written")

	change(t, r, "A", func(*meter) {})
	assert.Equal(t, int64(5), version(t, pool, "A"), "once written, unchanged: nothing written")
	restores.Store(0)
	change(t, meterRunner(t, pool, &restores, &encoded), "A", func(m *meter) {
		assert.Equal(t, meter{N: 5, Seen: 7}, *m, "read back in today's layout")
	})
}

// With Config.Head, a head not marked changed is neither encoded nor written: a
// transaction that moved only the fresh part costs no encoding of the head; a marked
// head is encoded, written when it differs and unmarked once committed; a marked
// head equal to the stored one is not written; a transaction that failed leaves the
// copy to be reloaded, so its change is neither lost nor half stored.
func TestUnmarkedHeadIsNotEncoded(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	var restores, encoded atomic.Int64
	r := meterRunner(t, pool, &restores, &encoded)
	run := func(f func(m *meter)) error {
		return r.Transact(ctx, runner.These("A"), func(_ context.Context, t *runner.Txn[*meter]) error {
			f(t.Get("A"))
			return nil
		})
	}
	require.NoError(t, run(func(m *meter) { m.N, m.Seen, m.changed = 1, 1, true }))
	assert.Equal(t, int64(1), version(t, pool, "A"))
	assert.Equal(t, int64(1), pgtest.Scalar[int64](t, pool, `SELECT (state->>'n')::bigint FROM test_state`))

	encoded.Store(0)
	require.NoError(t, run(func(m *meter) { m.Seen = 2 }))
	assert.Equal(t, int64(2), version(t, pool, "A"))
	assert.Equal(t, "2", string(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM test_state`)))
	assert.Zero(t, encoded.Load(), "an unmarked head is not encoded")

	require.NoError(t, run(func(m *meter) { m.changed = true }))
	assert.Equal(t, int64(1), encoded.Load(), "a marked head is encoded")
	assert.Equal(t, int64(2), version(t, pool, "A"), "and, equal to the stored one, not written")
	require.NoError(t, run(func(*meter) {}))
	assert.Equal(t, int64(1), encoded.Load(), "the mark is cleared once compared")

	require.NoError(t, run(func(m *meter) { m.N, m.changed = 3, true }))
	assert.Equal(t, int64(3), version(t, pool, "A"))
	assert.Equal(t, int64(3), pgtest.Scalar[int64](t, pool, `SELECT (state->>'n')::bigint FROM test_state`))

	boom := errors.New("boom")
	require.ErrorIs(t, r.Transact(ctx, runner.These("A"), func(_ context.Context, t *runner.Txn[*meter]) error {
		m := t.Get("A")
		m.N, m.changed = 4, true
		return boom
	}), boom)
	require.NoError(t, run(func(m *meter) {
		assert.Equal(t, 3, m.N, "a failed transaction's copy is reloaded from what was stored")
		assert.False(t, m.changed)
	}))
	assert.Equal(t, int64(3), version(t, pool, "A"))
}

// Config.Writes counts the rows stored whole and with their fresh part alone, and the
// bytes of each part, once the transaction committed: a failed one counts nothing.
func TestWritesCounted(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	var restores, encoded atomic.Int64
	cfg := meterConfig(&restores, &encoded)
	reg := prometheus.NewRegistry()
	cfg.Writes = runner.NewWrites(reg, "test")
	r, err := runner.New(ctx, pool, cfg)
	require.NoError(t, err)
	run := func(f func(m *meter)) error {
		return r.Transact(ctx, runner.These("A", "B"), func(_ context.Context, t *runner.Txn[*meter]) error {
			f(t.Get("A"))
			return nil
		})
	}
	rows := func(part string) float64 { return testutil.ToFloat64(cfg.Writes.Rows.WithLabelValues(part)) }
	bytes := func(part string) float64 { return testutil.ToFloat64(cfg.Writes.Bytes.WithLabelValues(part)) }

	require.NoError(t, run(func(m *meter) { m.N, m.Seen, m.changed = 10, 1, true }))
	assert.Equal(t, 1.0, rows("whole"), "a new row is written whole; B, unchanged and new, not at all")
	assert.Equal(t, float64(len(`{"n":10}`)), bytes("head"))
	assert.Equal(t, 1.0, bytes("fresh"))
	for range 3 {
		require.NoError(t, run(func(m *meter) { m.Seen += 4 }))
	}
	assert.Equal(t, 1.0, rows("whole"))
	assert.Equal(t, 3.0, rows("fresh"), "the fresh part alone")
	assert.Equal(t, float64(len("1")+len("5")+len("9")+len("13")), bytes("fresh"))
	assert.Equal(t, float64(len(`{"n":10}`)), bytes("head"), "no head sent with a fresh part alone")
	require.NoError(t, run(func(m *meter) { m.N, m.changed = 11, true }))
	assert.Equal(t, 2.0, rows("whole"))

	require.Error(t, r.Transact(ctx, runner.These("A"), func(_ context.Context, t *runner.Txn[*meter]) error {
		t.Get("A").Seen = 99
		return errors.New("boom")
	}))
	assert.Equal(t, 3.0, rows("fresh"), "a failed transaction counts nothing")
	assert.Zero(t, bytes("items"))
}
