package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/validate"
)

// capture is a Publisher that keeps what it was given.
type capture struct{ msgs []bus.Message }

func (c *capture) Publish(_ context.Context, msgs []bus.Message) error {
	c.msgs = append(c.msgs, msgs...)
	return nil
}

// memFiles is a file store in memory.
type memFiles map[string][]byte

func (m memFiles) Put(data []byte) (string, error) {
	ref := fmt.Sprintf("mem:%d", len(m))
	m[ref] = data
	return ref, nil
}

func (m memFiles) Get(ref string) ([]byte, error) { return m[ref], nil }

// Two changes of one record submitted at the same instant (the base system's
// drainer stamps a whole batch with one time, and the seed's own times have a
// second's resolution) get increasing versions, and so does a change received
// after the clock stepped back: the platform orders a record's versions by
// them, so the later change is the current record.
func TestVersionsIncreaseWithinOneInstant(t *testing.T) {
	pub := &capture{}
	h := ingest.NewHandler(ingest.Config{}, pub, memFiles{}, nil, nil, nil)
	now := testclock.Parse(t, "2026-12-05 10:00:00")
	record := func(content string) schemas.SpecialOperation {
		return schemas.SpecialOperation{ID: "3ec65f5b-b3e2-4ec9-a231-55cad03cbadf", CompanyCode: "370102002",
			TaskDate: schemas.Date{Time: now}, TaskType: "12", TaskBeginTime: schemas.DateTime{Time: now}, TaskEndTime: schemas.DateTime{Time: now},
			IsContractorTask: "0", MajorPerson: "刘洋", MajorPersonMobile: "13805310001", TaskContent: content, IsChanged: "0", IsCancelled: "0",
			File: schemas.File{ContentType: "application/pdf", Data: []byte("%PDF-1.4\n%%EOF\n"), Size: 15}}
	}
	submit := func(at time.Time, contents ...string) {
		t.Helper()
		recs := make([]schemas.SpecialOperation, len(contents))
		for i, c := range contents {
			recs[i] = record(c)
		}
		body, err := json.Marshal(recs)
		require.NoError(t, err)
		reply, err := h.SubmitFrom(context.Background(), schemas.SpecialOperations, "370102002", events.SourceBase, body, at)
		require.NoError(t, err)
		require.Equal(t, len(contents), reply.Accepted, "%+v", reply.Results)
	}
	submit(now, "验收", "归档")             // one batch
	submit(now, "作废")                   // the same instant again
	submit(now.Add(-time.Second), "更正") // the clock stepped back
	var last int64
	for i, m := range pub.msgs {
		var env events.Envelope
		require.NoError(t, json.Unmarshal(m.Value, &env))
		require.Greater(t, env.Version, last, "version %d is not above the one before it", i)
		last = env.Version
	}
	require.Len(t, pub.msgs, 4)
}

// BenchmarkSubmit is the intake of one 500-record batch as the served bench posts
// it — validation, envelopes, the publish (to memory) — per record: two tables of
// small records, and 隐患, the large one.
func BenchmarkSubmit(b *testing.B) {
	now := testclock.Parse(b, "2026-12-05 10:00:00")
	co := simulate.Companies(1, 14)[0]
	for _, t := range []*schemas.Table{schemas.SensorReadings, schemas.VideoDeviceStatuses, schemas.HiddenDangers} {
		recs, body := simulatedBatch(b, t, co, now, 500, 14)
		b.Run(t.Slug, func(b *testing.B) {
			pub := &capture{}
			h := ingest.NewHandler(ingest.Config{}, pub, memFiles{}, nil, nil, nil)
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				pub.msgs = pub.msgs[:0]
				reply, err := h.Submit(context.Background(), t, co.Code, body, now)
				if err != nil || reply.Accepted != len(recs) {
					b.Fatal(err, reply)
				}
			}
			// The process's CPU time (garbage collection included) is what a shared,
			// loaded machine leaves comparable; the wall time is not.
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N*len(recs)), "cpu-ns/record")
		})
	}
}

// simulatedBatch is n of the company's records of table as the simulator makes them
// from seed, and the body that posts them.
func simulatedBatch(tb testing.TB, table *schemas.Table, co simulate.Company, now time.Time, n int, seed uint64) ([]simulate.Record, []byte) {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	recs := make([]simulate.Record, n)
	for i := range recs {
		recs[i] = simulate.NewRecord(r, table, co, now)
	}
	body, err := json.Marshal(recs)
	require.NoError(tb, err)
	return recs, body
}

// processCPU is the user and system CPU time the test process has used.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Every message of a batch carries its record as json.Marshal writes it (the bytes the
// time series' message ids hash) in an envelope of its own: the batch's envelopes
// share arrays, and appending to one must not reach the next.
func TestBatchEnvelopesHoldTheRecordsAsEncodingJSONWritesThem(t *testing.T) {
	now := testclock.Parse(t, "2026-12-05 10:00:00")
	co := simulate.Companies(1, 14)[0]
	for _, table := range []*schemas.Table{schemas.SensorReadings, schemas.HiddenDangers} {
		recs, body := simulatedBatch(t, table, co, now, 400, 7)
		pub := &capture{}
		h := ingest.NewHandler(ingest.Config{}, pub, memFiles{}, nil, nil, nil)
		reply, err := h.Submit(context.Background(), table, co.Code, body, now)
		require.NoError(t, err)
		require.Equal(t, len(recs), reply.Accepted, "%+v", reply.Results)
		verdicts, err := validate.Batch(table, body, validate.Options{Now: now})
		require.NoError(t, err)
		require.Len(t, pub.msgs, len(verdicts))
		for i, m := range pub.msgs {
			require.Equal(t, len(m.Value), cap(m.Value), "message %d can be appended into its neighbour", i)
			_ = append(m.Value, "garbage"...)
		}
		for i, m := range pub.msgs {
			env, err := events.DecodeEnvelope(m.Value)
			require.NoError(t, err, "message %d", i)
			want, err := json.Marshal(verdicts[i].Record)
			require.NoError(t, err)
			require.Equal(t, string(want), string(env.Record), "message %d", i)
			require.Equal(t, table.KeyOf(verdicts[i].Record), env.Key)
		}
	}
}
