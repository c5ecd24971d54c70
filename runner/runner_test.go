package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/bus/bustest"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// counter is the engine state of these tests: one number per company.
type counter struct{ N int }

var states = store.CompanyStates{Table: "test_state"}

// newPool is a database of its own with the tables the tests keep their states and
// intake in (the shape of warning_engine_state and warning_intake).
func newPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewDatabase(tb))
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `CREATE TABLE test_state (company_code text PRIMARY KEY, version bigint NOT NULL,
			state jsonb NOT NULL, fresh bytea, updated_at timestamptz NOT NULL);
		CREATE TABLE test_intake (id smallint PRIMARY KEY CHECK (id = 1), received_at timestamptz NOT NULL,
			since timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(tb, err)
	return pool
}

// loads counts the states loaded from the database, per runner.
func newRunner(tb testing.TB, pool *pgxpool.Pool, loads *atomic.Int64) *runner.Runner[*counter] {
	tb.Helper()
	r, err := runner.New(context.Background(), pool, runner.Config[*counter]{
		Name:   "test",
		States: states,
		Load: func(_ string, b []byte) (*counter, error) {
			if loads != nil {
				loads.Add(1)
			}
			c := &counter{}
			if b == nil {
				return c, nil
			}
			return c, json.Unmarshal(b, c)
		},
		Marshal: func(c *counter) ([]byte, error) { return json.Marshal(c) },
	})
	require.NoError(tb, err)
	return r
}

// add adds n to company's counter and reports what it read before.
func add(tb testing.TB, r *runner.Runner[*counter], company string, n int) int {
	tb.Helper()
	var before int
	require.NoError(tb, r.Transact(context.Background(), runner.These(company), func(_ context.Context, t *runner.Txn[*counter]) error {
		before = t.Get(company).N
		t.Get(company).N += n
		return nil
	}))
	return before
}

func version(tb testing.TB, pool *pgxpool.Pool, company string) int64 {
	tb.Helper()
	var v int64
	require.NoError(tb, pool.QueryRow(context.Background(), `SELECT version FROM test_state WHERE company_code = $1`, company).Scan(&v))
	return v
}

// A process whose copy another process changed since reloads it under the row lock
// before changing it, so neither loses the other's change.
func TestStaleCopyIsReloaded(t *testing.T) {
	pool := newPool(t)
	var loads atomic.Int64
	p1, p2 := newRunner(t, pool, &loads), newRunner(t, pool, &loads)
	assert.Equal(t, 0, add(t, p1, "A", 1))
	assert.Equal(t, 1, add(t, p2, "A", 1), "p2 read what p1 stored")
	assert.Equal(t, 2, add(t, p1, "A", 1), "p1's copy was stale: reloaded")
	assert.Equal(t, int64(3), version(t, pool, "A"))
	n := loads.Load()
	assert.Equal(t, 3, add(t, p1, "A", 1))
	assert.Equal(t, n, loads.Load(), "a current copy is not reloaded")
	assert.Equal(t, 4, add(t, newRunner(t, pool, nil), "A", 0), "a new process loads every stored state")
}

// A transaction that leaves a state as it was stored writes nothing.
func TestUnchangedStateIsNotWritten(t *testing.T) {
	pool := newPool(t)
	r := newRunner(t, pool, nil)
	add(t, r, "A", 1)
	add(t, r, "A", 0)
	assert.Equal(t, int64(1), version(t, pool, "A"))
	add(t, r, "B", 0)
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM test_state WHERE company_code = 'B'`).Scan(&n))
	assert.Zero(t, n, "a new company whose state did not change is not stored")

	require.NoError(t, r.Transact(context.Background(), runner.These("A", "C"), func(_ context.Context, tx *runner.Txn[*counter]) error {
		tx.Get("A").N++
		tx.Get("C").N++
		tx.StoreOnly(map[string]bool{"C": true})
		return nil
	}))
	assert.Equal(t, int64(1), version(t, pool, "A"), "StoreOnly leaves out A")
	assert.Equal(t, int64(1), version(t, pool, "C"))
}

// A failed transaction drops the copies it touched: the next one reloads what was
// stored, not the change that was rolled back.
func TestFailedTransactionDropsTheCopy(t *testing.T) {
	pool := newPool(t)
	r := newRunner(t, pool, nil)
	add(t, r, "A", 5)
	boom := errors.New("boom")
	committed := false
	err := r.Transact(context.Background(), runner.These("A"), func(_ context.Context, tx *runner.Txn[*counter]) error {
		tx.Get("A").N = 100
		tx.OnSend(func(context.Context, pgx.Tx) error { return boom })
		tx.OnCommit(func() { committed = true })
		return nil
	})
	require.ErrorIs(t, err, boom)
	assert.False(t, committed)
	assert.Equal(t, 5, add(t, r, "A", 0), "the rolled-back change is gone from memory too")
	assert.Equal(t, int64(1), version(t, pool, "A"))
}

// Only the process holding the lock ticks.
func TestOnlyTheLeaderTicks(t *testing.T) {
	pool := newPool(t)
	ctx, cancel := context.WithCancel(context.Background())
	var ticks [2]atomic.Int64
	var wg sync.WaitGroup
	for i := range ticks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, runner.Run(ctx, pool, runner.Loop{Name: "test", Lock: 0x63670099, Every: 10 * time.Millisecond,
				Tick: func(context.Context) { ticks[i].Add(1) }}))
		}()
	}
	require.Eventually(t, func() bool { return ticks[0].Load()+ticks[1].Load() >= 10 }, 20*time.Second, 10*time.Millisecond)
	cancel()
	wg.Wait()
	assert.True(t, ticks[0].Load() == 0 || ticks[1].Load() == 0, "one process ticks: %d and %d", ticks[0].Load(), ticks[1].Load())
}

// feed hands out its batches, then waits for ctx, and keeps the offsets committed.
type feed struct {
	bustest.Batches
	mu        sync.Mutex
	committed []int64
}

func (f *feed) Commit(_ context.Context, msgs []bus.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.committed = append(f.committed, msgs[len(msgs)-1].Offset)
	return nil
}

// A batch's offsets are committed once it is stored, and not before: a store that
// fails is retried first.
func TestOffsetsAreCommittedAfterTheBatchIsStored(t *testing.T) {
	pool := newPool(t)
	src := &feed{Batches: bustest.Batches{Queue: [][]bus.Message{{{Offset: 1}, {Offset: 2}}, {{Offset: 3}}}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stored []int64
	failures := 0
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, pool, runner.Loop{Name: "test", Source: src,
			Store: func(msgs []bus.Message) func(context.Context) error {
				return func(context.Context) error {
					if failures == 0 {
						failures++
						return errors.New("database down")
					}
					src.mu.Lock()
					// The batch before may or may not be committed yet; this one is not.
					assert.LessOrEqual(t, len(src.committed), len(stored), "nothing committed before it is stored")
					src.mu.Unlock()
					stored = append(stored, msgs[len(msgs)-1].Offset)
					return nil
				}
			}})
	}()
	require.Eventually(t, func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return len(src.committed) > 0 && src.committed[len(src.committed)-1] == 3
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{2, 3}, stored)
	// Two batches stored before the first commit began are committed in one.
	assert.Contains(t, [][]int64{{2, 3}, {3}}, src.committed, "in order, each at the end of a stored batch")
}

// slowCommits is a feed whose first commit waits until release is closed, as a
// commit to a busy broker does; began is closed when it is called.
type slowCommits struct {
	feed
	began, release chan struct{}
	calls          int
}

func (s *slowCommits) Commit(ctx context.Context, msgs []bus.Message) error {
	s.mu.Lock()
	s.calls++
	first := s.calls == 1
	s.mu.Unlock()
	if first {
		close(s.began)
		<-s.release
	}
	return s.feed.Commit(ctx, msgs)
}

// The next batches are stored while the offset commit of the one before waits on
// the broker, and the offsets are still committed only after their batches, in
// order: the batches stored meanwhile in one commit at their last offset.
func TestNextBatchesAreStoredWhileACommitWaits(t *testing.T) {
	src := &slowCommits{feed: feed{Batches: bustest.Batches{Queue: [][]bus.Message{{{Offset: 1}}, {{Offset: 2}}, {{Offset: 3}}}}},
		began: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stored := make(chan int64, 3)
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, nil, runner.Loop{Name: "test", Source: src,
			Store: func(msgs []bus.Message) func(context.Context) error {
				return func(context.Context) error {
					last := msgs[len(msgs)-1].Offset
					if last == 2 {
						<-src.began // batch 1's commit is in flight
					}
					stored <- last
					return nil
				}
			}})
	}()
	for _, want := range []int64{1, 2, 3} {
		select {
		case got := <-stored:
			require.Equal(t, want, got)
		case <-time.After(time.Minute):
			t.Fatalf("batch %d was not stored while the commit of batch 1 waited", want)
		}
	}
	src.mu.Lock()
	assert.Empty(t, src.committed, "batch 1's commit is still waiting")
	src.mu.Unlock()
	close(src.release)
	require.Eventually(t, func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return len(src.committed) == 2
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{1, 3}, src.committed)
}

// A commit slower than the stores of the next runner.CommitsAhead batches holds the
// store stage back: the loop says how long (HeldBack) and how long each commit took
// (Committed), which is how the warning consumer's metrics tell a slow broker from a
// slow database.
func TestTheLoopSaysWhenACommitHoldsTheStoresBack(t *testing.T) {
	var batches [][]bus.Message
	for o := range runner.CommitsAhead + 2 {
		batches = append(batches, []bus.Message{{Offset: int64(o + 1)}})
	}
	last := int64(len(batches))
	src := &slowCommits{feed: feed{Batches: bustest.Batches{Queue: batches}},
		began: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lastStored := make(chan struct{})
	var mu sync.Mutex
	var heldBack, commits []time.Duration
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, nil, runner.Loop{Name: "test", Source: src,
			Store: func(msgs []bus.Message) func(context.Context) error {
				return func(context.Context) error {
					switch msgs[0].Offset {
					case 2:
						<-src.began // batch 1's commit is in flight
					case last:
						close(lastStored)
					}
					return nil
				}
			},
			HeldBack:  func(d time.Duration) { mu.Lock(); heldBack = append(heldBack, d); mu.Unlock() },
			Committed: func(d time.Duration) { mu.Lock(); commits = append(commits, d); mu.Unlock() }})
	}()
	<-lastStored
	// Batches 2 to CommitsAhead+1 wait for their offsets; the last one cannot join them.
	const slow = 50 * time.Millisecond
	time.Sleep(slow)
	close(src.release)
	require.Eventually(t, func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return len(src.committed) > 0 && src.committed[len(src.committed)-1] == last
	}, 20*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, heldBack, 1, "only the last batch found the commit stage full")
	assert.GreaterOrEqual(t, heldBack[0], slow/2, "from the hand-over tried to the release")
	require.Len(t, commits, len(src.committed), "every commit timed")
	assert.GreaterOrEqual(t, commits[0], slow, "the first commit waited for its release")
}

// The loop tells its Behind of every batch it fetches and finishes: while a batch
// waits in its store the consumer is as late as that batch's oldest message, and once
// every batch is stored it is on time (the sink yields to the warning consumer by it).
func TestTheLoopKeepsItsLateness(t *testing.T) {
	clk := testclock.Frozen(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	appended := clk.Now().Add(-2 * time.Second)
	src := &feed{Batches: bustest.Batches{Queue: [][]bus.Message{{{Offset: 1, Time: appended}, {Offset: 2, Time: appended.Add(time.Second)}},
		{{Offset: 3, Time: appended.Add(time.Second)}}}}}
	behind := bus.NewBehind(clk.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	storing, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, nil, runner.Loop{Name: "test", Source: src, Behind: behind,
			Store: func(msgs []bus.Message) func(context.Context) error {
				return func(context.Context) error {
					if msgs[0].Offset == 1 {
						close(storing)
						<-release
					}
					return nil
				}
			}})
	}()
	select {
	case <-storing:
	case <-time.After(time.Minute):
		t.Fatal("the first batch was not stored")
	}
	assert.Equal(t, 2*time.Second, behind.Late(), "the batch in its store holds the oldest message")
	close(release)
	require.Eventually(t, func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return len(src.committed) > 0 && src.committed[len(src.committed)-1] == 3
	}, 20*time.Second, 10*time.Millisecond)
	assert.Zero(t, behind.Late(), "every batch fetched is stored")
	cancel()
	require.NoError(t, <-done)
}

// The intake clock moves forward only, restarts when a batch begins more than the
// gap after the newest record stored, or spans such a gap; the SQL update agrees
// with events.Intake.Advance.
func TestIntakeAdvancesAndRestartsAfterAGap(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	in := &runner.Intake{Name: "test", Table: "test_intake", Gap: 10 * time.Minute}
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	var want events.Intake
	write := func(received ...time.Time) events.Intake {
		t.Helper()
		b := in.Of(received)
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, in.Write(ctx, tx, b))
		require.NoError(t, tx.Commit(ctx))
		want = in.After(want, b)
		got, err := in.Read(ctx, pool)
		require.NoError(t, err)
		assert.True(t, want.At.Equal(got.At) && want.Since.Equal(got.Since), "SQL %v, in memory %v", got, want)
		return got
	}
	got, err := in.Read(ctx, pool)
	require.NoError(t, err)
	assert.Zero(t, got, "before any record")

	got = write(t0, t0.Add(time.Minute))
	assert.Equal(t, t0.Add(time.Minute), got.At.UTC())
	assert.Equal(t, t0, got.Since.UTC(), "the first batch starts the intake")

	got = write(t0.Add(5 * time.Minute))
	assert.Equal(t, t0, got.Since.UTC(), "within the gap: the same intake")

	got = write(t0.Add(2 * time.Minute))
	assert.Equal(t, t0.Add(5*time.Minute), got.At.UTC(), "an older record does not move it back")

	got = write(t0.Add(30 * time.Minute))
	assert.Equal(t, t0.Add(30*time.Minute), got.Since.UTC(), "a batch after a gap restarts it")

	got = write(t0.Add(31*time.Minute), t0.Add(50*time.Minute))
	assert.Equal(t, t0.Add(50*time.Minute), got.Since.UTC(), "a batch spanning a gap restarts it at the gap's end")
	assert.Equal(t, t0.Add(50*time.Minute), got.At.UTC())

	require.NoError(t, in.Write(ctx, nil, nil), "a batch without records writes nothing")
}
