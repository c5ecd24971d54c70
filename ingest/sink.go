package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// SinkGroup is the consumer group of the database sink.
const SinkGroup = "chemguard-sink"

// Writer stores one consumed batch atomically.
type Writer interface {
	Apply(ctx context.Context, versions map[*schemas.Table][]store.Version, rejections []store.Rejection) error
}

// Source is where the sink reads batches from and commits them.
type Source interface {
	FetchBatch(ctx context.Context) ([]bus.Message, error)
	Commit(ctx context.Context, msgs []bus.Message) error
	Lag() int64
}

// Sink moves what Kafka holds into PostgreSQL: fetch a batch, write it in one
// transaction, and only then commit the offsets. A crash between the two replays the
// batch, which the writer's keys make harmless.
//
// Its Workers write side by side, each in its own transaction, while the next batch
// is fetched and decoded: a fetched batch is split by partition and each worker owns
// the partitions p with p % Workers equal to its number (bus.FetchLanes), writing
// and committing its parts in the order they were fetched. One PostgreSQL backend
// writing one batch after another held the sink to one core of the database while
// Go fetched and decoded in between.
type Sink struct {
	src     Source
	w       Writer
	metrics *Metrics
	byTopic map[string]*schemas.Table
	// MaxBackoff caps the wait between retries while the database is down.
	MaxBackoff time.Duration
	// Workers is how many transactions write at once (DefaultSinkWorkers when
	// NewSink made it); a partition is written by one of them only.
	Workers int
	// Yield, when set, is waited on before each batch is written and returns how long
	// it waited: the platform's waits while the warning consumer is late
	// (bus.Behind.Yield, CHEMGUARD_SINK_YIELD), so the database serves the warning
	// engine's transactions first.
	Yield func(ctx context.Context) time.Duration
	// Behind, when set, is told each part a worker takes and finishes, so that others
	// can tell how late the sink is (the per-minute trend's refresh waits for it).
	Behind *bus.Behind
}

// DefaultSinkWorkers is the sink's writers by default (CHEMGUARD_SINK_WORKERS): one,
// which still fetches the next batch while it writes. More writers overlap the
// database's work (docs/performance.md, "The sink side by side"), but where
// PostgreSQL has no idle core they take its CPU from the warning consumer's
// transactions: in the 10-minute run at 20,000 readings/s on 2 cores, 3 writers
// stored no more (14,894 against 15,494/s) and 73 of 300 warning probes were missed
// against 3 ("Quiet rerun after the tenth session's merge"). A warning late is worse
// than a raw record late, so a node whose database has cores to spare raises it.
const DefaultSinkWorkers = 1

// DefaultSinkYield is how late the warning consumer may be before the sink waits for
// it (CHEMGUARD_SINK_YIELD): on a node that keeps up, the warning group's batches are
// 100–300 ms old while it stores them (docs/performance.md, "The warning group
// first"), so a later one is short of the database.
const DefaultSinkYield = 300 * time.Millisecond

// SinkYieldMost is the longest the sink waits before one batch for the warning
// consumer (Sink.Yield): where the warning group stays late however long the sink
// waits, the sink still writes a batch after each second of waiting.
const SinkYieldMost = time.Second

// NewSink returns a sink reading src and writing w.
func NewSink(src Source, w Writer, m *Metrics) *Sink {
	s := &Sink{src: src, w: w, metrics: m, byTopic: map[string]*schemas.Table{}, MaxBackoff: 5 * time.Second,
		Workers: DefaultSinkWorkers}
	for _, t := range schemas.Tables() {
		s.byTopic[t.Topic()] = t
	}
	return s
}

// NewSinkConsumer joins the sink's consumer group for every exchange topic.
func NewSinkConsumer(cfg bus.Config) (*bus.Consumer, error) {
	return bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: SinkGroup, Topics: events.Topics(),
		MaxBatch: 5000, MaxWait: 20 * time.Millisecond})
}

// Run consumes until ctx ends. The batches already fetched are still written and
// committed after ctx ends (the drain on shutdown), within a bounded time.
func (s *Sink) Run(ctx context.Context) error {
	err := bus.FetchLanes(ctx, "sink", s.Workers, s.src.FetchBatch, func(msgs []bus.Message) error {
		if err := s.handle(ctx, msgs); err != nil {
			return err
		}
		if s.metrics != nil {
			s.metrics.SinkLag.Set(float64(s.src.Lag()))
		}
		return nil
	})
	if errors.Is(err, errNotStored) {
		return nil // shutdown with a batch not stored: it comes back after the restart
	}
	return err
}

// errNotStored ends a worker's parts after one it could not store (only once ctx has
// ended: bus.StoreThenCommit retries while it lasts). Its later parts, of the same
// partitions, must not be stored and committed after it — their commit would cover
// the one not stored.
var errNotStored = errors.New("ingest: batch not stored at shutdown")

// handle writes and commits one batch (a worker's part of a fetched batch), retrying
// with backoff while the database or broker is unavailable (bus.StoreThenCommit: a
// fetched batch is still written when shutdown begins; one not written is not
// committed and comes back).
func (s *Sink) handle(ctx context.Context, msgs []bus.Message) error {
	defer s.Behind.Hold(msgs)()
	versions, rejections := s.decode(msgs)
	if s.Yield != nil {
		if waited := s.Yield(ctx); waited > 0 && s.metrics != nil {
			s.metrics.SinkYieldSeconds.Add(waited.Seconds())
		}
	}
	start := time.Now()
	write := func(wctx context.Context) error {
		err := s.w.Apply(wctx, versions, rejections)
		if err != nil && store.IsDataError(err) {
			// The database refuses something in the batch itself: retrying cannot
			// help, so write record by record and keep any refused one as a rejection.
			err = s.applyEach(wctx, versions, rejections)
		}
		if err == nil && s.metrics != nil {
			s.metrics.SinkBatchSize.Observe(float64(len(msgs)))
			s.metrics.SinkSeconds.Observe(time.Since(start).Seconds())
		}
		return err
	}
	commit := func(cctx context.Context) error { return s.src.Commit(cctx, msgs) }
	var failed func()
	if s.metrics != nil {
		failed = s.metrics.SinkErrors.Inc
	}
	if !bus.StoreThenCommit(ctx, "sink", len(msgs), s.MaxBackoff, write, commit, failed) {
		return errNotStored
	}
	return nil
}

// decode turns messages into rows. A message that does not decode was not written by
// ingest; it is logged with its position and skipped rather than blocking the
// partition forever.
func (s *Sink) decode(msgs []bus.Message) (map[*schemas.Table][]store.Version, []store.Rejection) {
	versions := map[*schemas.Table][]store.Version{}
	var rejections []store.Rejection
	for _, m := range msgs {
		if m.Topic == events.RejectionsTopic {
			var r events.RejectionEnvelope
			if err := json.Unmarshal(m.Value, &r); err != nil {
				logUndecodable(m, err)
				continue
			}
			errs, _ := json.Marshal(r.Errors)
			rejections = append(rejections, store.Rejection{MsgID: r.MsgID, Table: r.Table, Company: r.Company,
				ReceivedAt: r.ReceivedAt, Index: r.Index, Key: r.Key, Errors: errs, Raw: r.Raw})
			continue
		}
		t, ok := s.byTopic[m.Topic]
		if !ok {
			logUndecodable(m, fmt.Errorf("unknown topic"))
			continue
		}
		// The record's bytes are stored as they are in the message (ingest validated
		// them), and m.Value stays in msgs until the batch is written.
		e, err := events.DecodeEnvelope(m.Value)
		if err != nil {
			logUndecodable(m, err)
			continue
		}
		v := store.Version{MsgID: e.MsgID, Company: e.Company, Key: e.Key, Deleted: e.Deleted,
			Version: e.Version, ReceivedAt: e.ReceivedAt, Doc: e.Record}
		if e.EventTime != nil {
			v.EventTime = *e.EventTime
		}
		if t.TimeSeries {
			v.PriorID = priorFactID(t.Slug, e.Company, e.Record, v.EventTime, e.MsgID)
		}
		versions[t] = append(versions[t], v)
	}
	return versions, rejections
}

func logUndecodable(m bus.Message, err error) {
	slog.Error("sink: undecodable message skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
}

// applyEach writes a batch one message at a time. A version the database refuses is
// stored instead as a rejection with rule "storage" and the record as evidence, so an
// acknowledged record is never dropped and never blocks its partition.
func (s *Sink) applyEach(ctx context.Context, versions map[*schemas.Table][]store.Version, rejections []store.Rejection) error {
	for t, vs := range versions {
		for _, v := range vs {
			err := s.w.Apply(ctx, map[*schemas.Table][]store.Version{t: {v}}, nil)
			if err == nil {
				continue
			}
			if !store.IsDataError(err) {
				return err
			}
			slog.Error("sink: the database refused an accepted record; kept as a rejection",
				"table", t.Slug, "company", v.Company, "key", v.Key, "msg_id", v.MsgID, "err", err)
			errs, _ := json.Marshal([]map[string]any{{"index": -1, "id": v.Key, "rule": "storage",
				"message_zh": "数据库拒绝存储该记录（已接收后），已作为拒收证据保存：" + err.Error(),
				"message_en": "the database refused to store this accepted record; kept as rejection evidence: " + err.Error()}})
			rej := store.Rejection{MsgID: v.MsgID, Table: t.Slug, Company: v.Company, ReceivedAt: v.ReceivedAt,
				Index: -1, Key: v.Key, Errors: errs, Raw: strings.ToValidUTF8(string(v.Doc), "\uFFFD")}
			if err := s.w.Apply(ctx, nil, []store.Rejection{rej}); err != nil {
				return err
			}
		}
	}
	for _, r := range rejections {
		if err := s.w.Apply(ctx, nil, []store.Rejection{r}); err != nil && !store.IsDataError(err) {
			return err
		} else if err != nil {
			slog.Error("sink: the database refused a rejection record", "table", r.Table, "msg_id", r.MsgID, "err", err)
		}
	}
	return nil
}
