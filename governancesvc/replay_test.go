package governancesvc_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// replaySource hands out its batches in order, then waits for the end.
type replaySource struct {
	mu      sync.Mutex
	batches [][]bus.Message
	served  int
	done    chan struct{}
}

func (r *replaySource) FetchBatch(ctx context.Context) ([]bus.Message, error) {
	r.mu.Lock()
	if r.served < len(r.batches) {
		b := r.batches[r.served]
		r.served++
		if r.served == len(r.batches) {
			defer close(r.done)
		}
		r.mu.Unlock()
		return b, nil
	}
	r.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (r *replaySource) Commit(context.Context, []bus.Message) error { return nil }

// A batch stored but not committed (a crash, a failed commit, a rebalance) comes back
// from Kafka: applying it again must change nothing — its readings are not 重复数据
// (the company sent each once) and its records do not count twice.
func TestReplayedBatchChangesNothing(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const code = "370102001"
	govtest.AddEnterprise(t, pool, code, "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	topic := schemas.SensorReadings.Topic()
	var batch []bus.Message
	for i := 0; i < 4; i++ {
		collected := govtest.At(t, "2021-06-01 07:59:00").Add(time.Duration(i) * 10 * time.Second)
		point := code + "-T1"
		if i == 2 {
			point = code + "-T2" // one reading only: replayed, it would repeat its COLLECT_TIME
		}
		batch = append(batch, reading{code: code, point: point, value: 20 + i, collected: collected, received: clk.Now(),
			appended: clk.Now().Add(time.Duration(i) * time.Second), version: int64(i + 1), partition: 2, offset: int64(10 + i)}.msg(t))
	}
	// The fourth record comes from a new log (the broker's topics recreated, offsets
	// from 0 again): appended after everything applied, it is applied.
	reset := batch[3]
	reset.Offset = 0
	batch = batch[:3]
	src := &replaySource{batches: [][]bus.Message{batch, batch, {reset}}, done: make(chan struct{})}
	s, err := governancesvc.New(ctx, pool, src, governancesvc.Config{Now: clk.Now})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(runCtx) }()
	<-src.done
	// The last batch is applied when the offsets start again.
	require.Eventually(t, func() bool {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_offsets WHERE next_offset = 1`) == 1
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-errc)

	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'sensor_duplicate'`),
		"a replayed reading is not a duplicate the company sent")
	state := storedMemory(t, pool, code)
	var st struct {
		Companies map[string]struct {
			Batches map[string]struct {
				Total int `json:"total"`
			} `json:"batches"`
		} `json:"companies"`
	}
	require.NoError(t, json.Unmarshal(state, &st))
	assert.Equal(t, 4, st.Companies[code].Batches["2021-06-01|sensor-readings"].Total,
		"each record counted once, and the new log's record too")
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT next_offset FROM governance_offsets WHERE topic = $1 AND partition = 2`, topic))
}

// storedMemory is a company's stored head with its fresh part laid over it, as
// governance.Tracker.MarshalState writes a memory (the items left out).
func storedMemory(tb testing.TB, pool *pgxpool.Pool, code string) []byte {
	tb.Helper()
	var head, fresh []byte
	require.NoError(tb, pool.QueryRow(context.Background(), `SELECT state, fresh FROM governance_state
		WHERE company_code = $1`, code).Scan(&head, &fresh))
	tr, err := governance.RestoreItems(governance.DefaultConfig(), code, head, nil)
	require.NoError(tb, err)
	if fresh != nil {
		require.NoError(tb, tr.RestoreFresh(fresh))
	}
	b, err := tr.MarshalState()
	require.NoError(tb, err)
	return b
}

// Before storing a batch the consumer calls Yield and stores nothing while it waits
// (the platform's wait for a late warning consumer); once it returns, the batch is
// stored.
func TestBatchWaitsForYield(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const code = "370102001"
	govtest.AddEnterprise(t, pool, code, "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	msg := reading{code: code, point: code + "-T1", value: 20, collected: govtest.At(t, "2021-06-01 07:59:50"),
		received: clk.Now(), appended: clk.Now(), version: 1, partition: 1, offset: 7}.msg(t)
	src := &replaySource{batches: [][]bus.Message{{msg}}, done: make(chan struct{})}
	yielding, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s, err := governancesvc.New(ctx, pool, src, governancesvc.Config{Now: clk.Now,
		Yield: func(ctx context.Context) time.Duration {
			once.Do(func() { close(yielding) })
			<-release
			return time.Second
		}})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(runCtx) }()
	<-yielding
	stored := func() bool {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_offsets WHERE next_offset = 8`) == 1
	}
	require.Never(t, stored, 300*time.Millisecond, 20*time.Millisecond, "stored while the yield waits")
	close(release)
	require.Eventually(t, stored, 10*time.Second, 20*time.Millisecond, "stored once the yield returned")
	cancel()
	require.NoError(t, <-errc)
}
