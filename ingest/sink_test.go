package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/bus/bustest"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// position is where a message sits in the broker.
type position struct {
	partition int
	offset    int64
}

// laneLog is a fake broker and database in one: it hands out prepared batches,
// records what the writer stores and checks every commit against it.
type laneLog struct {
	t       *testing.T
	mu      sync.Mutex
	queue   bustest.Batches
	at      map[uuid.UUID]position // message id → where it was fetched from
	total   int
	stored  map[position]int // how often each message was stored
	last    map[int]int64    // partition → last offset stored
	commit  map[int]int64    // partition → committed (the next offset to read)
	allDone chan struct{}
	cancel  context.CancelFunc
	// the first write waits until another worker has written, so writes overlap
	firstWrite bool
	overlap    chan struct{}
	overlapped sync.Once
}

// checkRecordMessage is a new 检查记录 of company as the intake publishes it, at offset
// of partition, with its message id.
func checkRecordMessage(t *testing.T, company string, partition int, offset int64, received time.Time) (uuid.UUID, bus.Message) {
	id := uuid.New()
	env := events.Envelope{Head: events.Head{MsgID: id, Table: schemas.CheckRecords.Slug,
		Company: company, Key: id.String(), Version: 1, ReceivedAt: received},
		Record: []byte(`{"ID":"` + id.String() + `"}`)}
	value, err := env.Marshal()
	require.NoError(t, err)
	return id, bus.Message{Topic: schemas.CheckRecords.Topic(), Partition: partition, Offset: offset, Value: value}
}

func newLaneLog(t *testing.T, partitions, batches, perBatch int, cancel context.CancelFunc) *laneLog {
	l := &laneLog{t: t, at: map[uuid.UUID]position{}, stored: map[position]int{}, last: map[int]int64{},
		commit: map[int]int64{}, allDone: make(chan struct{}), cancel: cancel, firstWrite: true, overlap: make(chan struct{})}
	next := map[int]int64{}
	received := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	// Each batch is one partition's run with a message of every other partition, as
	// the reader hands them over under a backlog.
	for b := range batches {
		var batch []bus.Message
		for i := range perBatch {
			p := b % partitions
			if i < partitions-1 {
				p = (b + 1 + i) % partitions
			}
			id, m := checkRecordMessage(t, fmt.Sprintf("37010%d001", p), p, next[p], received)
			batch = append(batch, m)
			l.at[id] = position{p, next[p]}
			next[p]++
			l.total++
		}
		l.queue.Queue = append(l.queue.Queue, batch)
	}
	return l
}

func (l *laneLog) FetchBatch(ctx context.Context) ([]bus.Message, error) {
	if b, ok := l.queue.Next(); ok {
		return b, nil
	}
	select {
	case <-l.allDone:
		l.cancel()
	case <-ctx.Done():
	}
	return nil, ctx.Err()
}

func (l *laneLog) Apply(ctx context.Context, versions map[*schemas.Table][]store.Version, _ []store.Rejection) error {
	l.mu.Lock()
	first := l.firstWrite
	l.firstWrite = false
	l.mu.Unlock()
	if first {
		select {
		case <-l.overlap:
		case <-time.After(10 * time.Second): // a deadlock guard, not a measure of speed
			l.t.Error("no other worker wrote while the first write was in its transaction")
		}
	} else {
		l.overlapped.Do(func() { close(l.overlap) })
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range versions[schemas.CheckRecords] {
		pos := l.at[v.MsgID]
		if last, ok := l.last[pos.partition]; ok && pos.offset <= last {
			l.t.Errorf("partition %d: offset %d stored after offset %d", pos.partition, pos.offset, last)
		}
		l.last[pos.partition] = pos.offset
		l.stored[pos]++
	}
	return nil
}

func (l *laneLog) Commit(_ context.Context, msgs []bus.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range msgs {
		// Committing offset o says every message before it is stored.
		for o := l.commit[m.Partition]; o <= m.Offset; o++ {
			if l.stored[position{m.Partition, o}] == 0 {
				l.t.Errorf("partition %d: offset %d committed before offset %d was stored", m.Partition, m.Offset, o)
			}
		}
		l.commit[m.Partition] = max(l.commit[m.Partition], m.Offset+1)
	}
	committed := 0
	for _, c := range l.commit {
		committed += int(c)
	}
	if committed == l.total {
		select {
		case <-l.allDone:
		default:
			close(l.allDone)
		}
	}
	return nil
}

func (l *laneLog) Lag() int64 { return 0 }

// The sink's workers write side by side (the first write waits for another worker's),
// yet each partition is stored in offset order and an offset is committed only after
// every message of its partition up to it is stored: nothing acknowledged is lost on
// a crash, and a company's versions (one partition) keep their order. Every message
// is stored once, including the batches fetched when shutdown began.
func TestSinkWorkersKeepPartitionOrderAndCommitAfterStore(t *testing.T) {
	for _, workers := range []int{2, 3, 6} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l := newLaneLog(t, 6, 24, 40, cancel)
			sink := ingest.NewSink(l, l, nil)
			sink.Workers = workers
			require.NoError(t, sink.Run(ctx))
			l.mu.Lock()
			defer l.mu.Unlock()
			assert.Len(t, l.stored, l.total, "every message stored")
			for pos, n := range l.stored {
				assert.Equal(t, 1, n, "message %v stored once", pos)
			}
		})
	}
}

// checkRecordBatches is n batches of perBatch new 检查记录 of one company, in
// partition 0 at consecutive offsets.
func checkRecordBatches(t *testing.T, n, perBatch int) [][]bus.Message {
	received := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var batches [][]bus.Message
	for b := range n {
		var batch []bus.Message
		for i := range perBatch {
			_, m := checkRecordMessage(t, "370102001", 0, int64(b*perBatch+i), received)
			batch = append(batch, m)
		}
		batches = append(batches, batch)
	}
	return batches
}

// shutdownLog is a fake broker and database whose first write fails as shutdown
// begins, after the next batch of the same partition has been fetched.
type shutdownLog struct {
	bustest.Batches
	mu               sync.Mutex
	fetches, applies int
	nextFetched      chan struct{} // closed once the batch after the first is handed over
	cancel           context.CancelFunc
	stored           int
	committed        []int64
}

func (l *shutdownLog) FetchBatch(ctx context.Context) ([]bus.Message, error) {
	l.mu.Lock()
	l.fetches++
	if l.fetches == 3 { // the second batch's handler has queued it
		close(l.nextFetched)
	}
	l.mu.Unlock()
	return l.Batches.FetchBatch(ctx)
}

func (l *shutdownLog) Apply(ctx context.Context, versions map[*schemas.Table][]store.Version, _ []store.Rejection) error {
	l.mu.Lock()
	l.applies++
	first := l.applies == 1
	l.mu.Unlock()
	if first {
		<-l.nextFetched
		l.cancel() // shutdown begins while the database is down
		return errors.New("database down")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stored += len(versions[schemas.CheckRecords])
	return nil
}

func (l *shutdownLog) Commit(_ context.Context, msgs []bus.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range msgs {
		l.committed = append(l.committed, m.Offset)
	}
	return nil
}

func (l *shutdownLog) Lag() int64 { return 0 }

// A worker that could not store a batch at shutdown stores and commits nothing of its
// partitions after it: the next batch's commit would cover the one not stored, lost
// for good. Both come back after the restart instead.
func TestSinkStopsAWorkerAfterABatchNotStored(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &shutdownLog{Batches: bustest.Batches{Queue: checkRecordBatches(t, 2, 5)}, nextFetched: make(chan struct{}), cancel: cancel}
	sink := ingest.NewSink(l, l, nil)
	sink.Workers = 1
	sink.MaxBackoff = time.Millisecond
	require.NoError(t, sink.Run(ctx))
	l.mu.Lock()
	defer l.mu.Unlock()
	assert.Zero(t, l.stored, "the batch after the one not stored")
	assert.Empty(t, l.committed)
}

// orderLog is a fake broker and database that records, in order, what the sink
// does: its yields, its writes and its commits.
type orderLog struct {
	bustest.Batches
	mu      sync.Mutex
	events  []string
	cancel  context.CancelFunc
	commits int
}

func (l *orderLog) record(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *orderLog) Apply(_ context.Context, versions map[*schemas.Table][]store.Version, _ []store.Rejection) error {
	l.record(fmt.Sprint("write ", len(versions[schemas.CheckRecords])))
	return nil
}

func (l *orderLog) Commit(context.Context, []bus.Message) error {
	l.record("commit")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.commits++; l.commits == 2 {
		l.cancel()
	}
	return nil
}

func (l *orderLog) Lag() int64 { return 0 }

// The sink yields before it writes each batch (the platform's Yield waits while the
// warning consumer is late), and counts the time it waited in
// chemguard_sink_yield_seconds_total.
func TestSinkYieldsBeforeEachWrite(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &orderLog{Batches: bustest.Batches{Queue: checkRecordBatches(t, 2, 3)}, cancel: cancel}
	metrics := ingest.NewMetrics(prometheus.NewRegistry())
	sink := ingest.NewSink(l, l, metrics)
	sink.Yield = func(context.Context) time.Duration {
		l.record("yield")
		return 250 * time.Millisecond // what it would have waited: the fake does not
	}
	require.NoError(t, sink.Run(ctx))
	l.mu.Lock()
	defer l.mu.Unlock()
	assert.Equal(t, []string{"yield", "write 3", "commit", "yield", "write 3", "commit"}, l.events)
	assert.InDelta(t, 0.5, testutil.ToFloat64(metrics.SinkYieldSeconds), 1e-9)
}

// The sink tells its Behind how late it is (the per-minute trend's refresh waits for
// it): as late as the oldest message of the batch it is writing, and on time once
// the batch is written.
func TestSinkTellsHowLateItIs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := checkRecordBatches(t, 2, 3)
	appended := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	for b := range batches {
		for i := range batches[b] {
			batches[b][i].Time = appended.Add(time.Duration(b*10+i) * time.Second)
		}
	}
	clk := testclock.Frozen(appended.Add(time.Minute))
	l := &orderLog{Batches: bustest.Batches{Queue: batches}, cancel: cancel}
	sink := ingest.NewSink(l, l, nil)
	sink.Behind = bus.NewBehind(clk.Now)
	var late []time.Duration
	sink.Yield = func(context.Context) time.Duration {
		late = append(late, sink.Behind.Late())
		return 0
	}
	require.NoError(t, sink.Run(ctx))
	assert.Equal(t, []time.Duration{time.Minute, 50 * time.Second}, late,
		"each batch's oldest message, appended at :00 and :10, at :60")
	assert.Zero(t, sink.Behind.Late(), "both written")
}
