// Package governancesvc runs data-quality governance (数据质量治理, package governance)
// inside the platform. governance is pure — rules that turn events into facts and
// facts into scores; this package is everything around it that touches Kafka,
// PostgreSQL and HTTP, in the way package alerting runs package warning:
//
//   - a consumer (group chemguard-governance) reads every exchange topic and the
//     rejections topic: each accepted record and each refused one counts as an
//     upload of its table (online status, upload frequency, rejected share), and the
//     records of governance.Tables() are decoded and applied to the company's tracker;
//   - the warning engine's alarms and warning history, as package alerting stores them
//     (tables alarms and warning_events), are followed through a durable cursor
//     (governance_cursors) and applied as alarm and warning changes, never queried
//     at page load;
//   - a ticker, in one process at a time (a PostgreSQL advisory lock), advances every
//     tracker's clock (facts from absence: no commitment, no data) and recomputes
//     the day's scores and regional rollups from the stored facts every 30 s,
//     finalising the previous day after local midnight.
//
// Facts, the trackers' state (one versioned row per company, like
// warning_engine_state, with the items that grow with the company's history beside
// it, migration 00100) and the cursor are written in one transaction before Kafka
// offsets are committed, so nothing acknowledged is lost and a replay changes
// nothing. Scores depend only on the stored facts (Recompute), so they can be rebuilt
// at any time with the same result. The tables are described in
// schemas/migrations/00007_governance.sql and the API in http.go; the rules in
// docs/governance.md.
package governancesvc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Group is the governance consumer's consumer group.
const Group = "chemguard-governance"

// Defaults of Config.
const (
	DefaultTick          = 10 * time.Second
	DefaultScoreEvery    = 30 * time.Second
	DefaultFinalizeAfter = 10 * time.Minute
)

// Config configures the service; cmd/chemguard fills it from CHEMGUARD_GOVERNANCE_*.
type Config struct {
	// Rules are the facts' limits and the score formula (governance.DefaultConfig
	// when Version is ""; CHEMGUARD_GOVERNANCE_CONFIG names a YAML file, LoadRules).
	Rules governance.Config
	// Tick is how often the trackers' clocks advance and the warning engine's
	// stored changes are read (CHEMGUARD_GOVERNANCE_TICK, DefaultTick when zero).
	Tick time.Duration
	// ScoreEvery is how often today's scores are recomputed from the stored facts
	// (CHEMGUARD_GOVERNANCE_SCORE_EVERY, DefaultScoreEvery when zero).
	ScoreEvery time.Duration
	// FinalizeAfter is how long after local midnight the previous day's scores are
	// finalised: facts from an absence open at the first tick after their limit, so
	// the day is left open a little while (CHEMGUARD_GOVERNANCE_FINALIZE_AFTER), at
	// least the rules' longest limit and a tick (Service.FinalizeDelay).
	FinalizeAfter time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// StateWrites, when set, counts the trackers' states stored (runner.NewWrites).
	StateWrites *runner.Writes
	// Yield, when set, is called before each batch is stored and may wait; what it
	// returns is how long it waited. The platform waits there while its warning
	// consumer is late, as the sink does: a fact has seconds to spare (its target is
	// 5 s), a warning 200 ms, and on a node short of cores the two compete for them.
	Yield func(ctx context.Context) time.Duration
}

// YieldMost is the longest the platform's Config.Yield waits before one batch: with
// batches of up to a second, a fact stays within its 5 s.
const YieldMost = 2 * time.Second

// Errors returned by Config.Validate.
var ErrNegativeInterval = errors.New("quality: intervals must not be negative")

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.Tick < 0 || c.ScoreEvery < 0 || c.FinalizeAfter < 0 {
		return ErrNegativeInterval
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.ScoreEvery == 0 {
		c.ScoreEvery = DefaultScoreEvery
	}
	if c.FinalizeAfter == 0 {
		c.FinalizeAfter = DefaultFinalizeAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rules.Version == "" {
		c.Rules = governance.DefaultConfig()
	}
	return c.Rules.Validate()
}

// Topics are the topics the governance consumer reads: every exchange table (each
// record is an upload) and the rejections.
func Topics() []string { return events.Topics() }

// NewConsumer joins the governance consumer group for Topics.
//
// Its batches run up to a second (or 20,000 messages) while records keep coming,
// and end 100 ms after the last when they stop. Each batch stores the state of every
// company it touched, fresh part and all (106 kB for a company of 1,000 points), so
// under load the number of batches is what governance writes: batches that ended at
// 5,000 messages stored each company twice a second at 20,000 readings/s, 2.7 GB of
// fresh parts in 10 minutes (docs/performance.md, "What is next", item 10). Its facts
// have seconds to spare (a limit of minutes; issue 14's target 5 s).
func NewConsumer(cfg bus.Config) (*bus.Consumer, error) {
	return bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: Group, Topics: Topics(),
		MaxBatch: 20000, MaxWait: time.Second, Idle: 100 * time.Millisecond})
}

// Source is where batches come from; *bus.Consumer implements it.
type Source = runner.Source

// Service is the governance integration of one process. Its methods are safe for
// concurrent use: tracker calls are serialized (by its runner).
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	src    Source
	states *runner.Runner[*governance.Tracker]
	intake *runner.Intake

	scoreMu   sync.Mutex
	lastScore time.Time
}

// New loads every company's stored tracker state. src may be nil for a process that
// serves the API without consuming.
func New(ctx context.Context, pool *pgxpool.Pool, src Source, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	states, err := runner.New(ctx, pool, runner.Config[*governance.Tracker]{
		Name:   "quality",
		States: stateTable,
		// The head (MarshalHead) is rewritten when it changes; 双重预防 records and
		// the pending conditions are items written when they change, so a batch costs
		// what it changed, not the company's history; open facts are read back from
		// governance_facts (stateItems).
		Marshal: (*governance.Tracker).MarshalHead,
		Items: &runner.Items[*governance.Tracker]{
			Table: stateItems,
			Load: func(code string, head []byte, items map[string][]byte) (*governance.Tracker, error) {
				if head != nil {
					return governance.RestoreItems(cfg.Rules, code, head, items)
				}
				tr, err := governance.New(cfg.Rules)
				if err == nil {
					tr.Register(code)
				}
				return tr, err
			},
			Changed: func(code string, tr *governance.Tracker) (map[string][]byte, error) { return tr.ChangedItems(code) },
			Saved:   func(code string, tr *governance.Tracker) { tr.ItemsStored(code) },
		},
		// Last uploads, batch counts and the indicators' and devices' last reports
		// move with every record: written apart, so a batch that opened or closed
		// nothing does not rewrite the company's definitions and base data with them.
		Fresh: &runner.Fresh[*governance.Tracker]{
			Marshal: (*governance.Tracker).MarshalFresh,
			Restore: (*governance.Tracker).RestoreFresh,
		},
		// The tracker marks a company's head where it changes it: a batch that changed
		// only the fresh part and items does not encode the head to learn that.
		Head:     &runner.Head[*governance.Tracker]{Changed: (*governance.Tracker).HeadChanged, Stored: (*governance.Tracker).HeadStored},
		StoreNew: true,
		Now:      cfg.Now,
		Writes:   cfg.StateWrites,
	})
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, pool: pool, src: src, states: states, intake: &runner.Intake{
		Name: "quality", Table: "governance_intake", Gap: cfg.Rules.Limits.IntakeGap,
		Stalled: "平台接入中断 — no exchange record from any company; facts from absence are held until the intake resumes",
		Resumed: "platform intake of exchange records resumed",
	}}, nil
}

// Rules returns the governance configuration in use.
func (s *Service) Rules() *governance.Config { return &s.cfg.Rules }

// Run consumes batches and ticks until ctx ends. A batch already fetched is still
// written and committed after ctx ends.
func (s *Service) Run(ctx context.Context) error {
	return runner.Run(ctx, s.pool, runner.Loop{Name: "quality", Source: s.src,
		// Stored but not committed, a batch replays harmlessly: ApplyMessages skips the
		// records it applied before.
		Store: func(msgs []bus.Message) func(context.Context) error {
			return func(ctx context.Context) error {
				if s.cfg.Yield != nil {
					s.cfg.Yield(ctx)
				}
				return s.ApplyMessages(ctx, msgs)
			}
		},
		Tick: s.round, Every: s.cfg.Tick, Lock: tickLock})
}

// tickLock is the PostgreSQL advisory lock whose holder ticks and scores.
const tickLock = 0x63670006 // "cg", issue 6

// round is what the ticking process does at every tick.
func (s *Service) round(ctx context.Context) {
	if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
		slog.Error("quality: tick failed", "err", err)
	}
	if err := s.ScoreIfDue(ctx); err != nil && ctx.Err() == nil {
		slog.Error("quality: scoring failed", "err", err)
	}
}

// ApplyMessages decodes a batch of exchange and rejection messages (Decode) and
// applies it like Apply, skipping the messages below the offset stored for their
// topic partition (governance_offsets, migration 00013) and storing the new offsets
// in the same transaction: a batch delivered again changes nothing.
func (s *Service) ApplyMessages(ctx context.Context, msgs []bus.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	now := s.cfg.Now()
	var evs []governance.Event
	var next map[partition]position
	var in *runner.Batch
	var after events.Intake
	return s.transact(ctx, func(ctx context.Context, tx pgx.Tx, _ []string) ([]string, error) {
		fresh, n, err := unapplied(ctx, tx, msgs)
		if err != nil {
			return nil, err
		}
		var received []time.Time
		evs, received = decode(fresh)
		next = n
		in = s.intake.Of(received)
		before, err := s.intake.Read(ctx, tx)
		if err != nil {
			return nil, err
		}
		after = s.intake.After(before, in)
		codes := make([]string, 0, len(evs))
		for _, ev := range evs {
			codes = append(codes, ev.CompanyCode())
		}
		return codes, nil
	}, func(t *runner.Txn[*governance.Tracker], w *writer) error {
		for _, ev := range evs {
			tr := t.Get(ev.CompanyCode())
			tr.SetIntake(after)
			w.facts(tr.Apply(ev, now))
		}
		w.uploads(evs)
		w.offsets(next)
		t.OnSend(func(ctx context.Context, tx pgx.Tx) error { return s.intake.Write(ctx, tx, in) })
		return nil
	})
}

// Decode turns a batch of exchange and rejection messages into tracker events, in
// order: one governance.Upload per company and table of the batch (at the place of
// its first record), counting the accepted records and the refused ones by their
// first rule, and the decoded records of the tables governance reads. Messages it
// cannot read are logged with their position and skipped.
func Decode(msgs []bus.Message) []governance.Event {
	evs, _ := decode(msgs)
	return evs
}

// decode is Decode with the platform's receive times (ingest's received_at) of the
// records and rejections among the messages, from every company: the intake clock
// facts from absence are judged on (docs/governance.md §1, 平台接入中断).
func decode(msgs []bus.Message) ([]governance.Event, []time.Time) {
	var out []governance.Event
	var received []time.Time
	uploads := map[[3]string]int{} // company, table, source → index in out
	count := func(company, table, source string, rule string, at time.Time) {
		k := [3]string{company, table, source}
		i, ok := uploads[k]
		if !ok {
			i = len(out)
			uploads[k] = i
			out = append(out, governance.Upload{Company: company, Table: table, Source: source})
		}
		u := out[i].(governance.Upload)
		if rule == "" {
			u.Accepted++
			if !at.IsZero() && (u.First.IsZero() || at.Before(u.First)) {
				u.First = at
			}
			if at.After(u.Last) {
				u.Last = at
			}
		} else {
			if u.Rejected == nil {
				u.Rejected = map[string]int{}
			}
			u.Rejected[rule]++
		}
		out[i] = u
	}
	for _, m := range msgs {
		if m.Topic == events.RejectionsTopic {
			var r events.RejectionEnvelope
			if err := json.Unmarshal(m.Value, &r); err != nil || r.Company == "" {
				slog.Error("quality: undecodable rejection skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
				continue
			}
			rule := "invalid"
			if len(r.Errors) > 0 && r.Errors[0].Rule != "" {
				rule = string(r.Errors[0].Rule)
			}
			count(r.Company, r.Table, "", rule, r.ReceivedAt)
			if !r.ReceivedAt.IsZero() {
				received = append(received, r.ReceivedAt)
			}
			continue
		}
		e, err := events.DecodeEnvelope(m.Value)
		if err != nil || e.Company == "" {
			slog.Error("quality: undecodable message skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			continue
		}
		count(e.Company, e.Table, e.Source, "", e.ReceivedAt)
		if !e.ReceivedAt.IsZero() {
			received = append(received, e.ReceivedAt)
		}
		evs, err := governance.Decode(e.Table, e.Company, e.Record)
		if errors.Is(err, governance.ErrIgnoredTable) {
			continue
		}
		if err != nil {
			slog.Error("quality: record skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			continue
		}
		out = append(out, evs...)
	}
	return out, received
}

// Apply applies events in order at the current time and stores the facts they
// changed with the trackers' state, in one transaction.
func (s *Service) Apply(ctx context.Context, evs []governance.Event) error {
	if len(evs) == 0 {
		return nil
	}
	codes := events.Companies(evs)
	now := s.cfg.Now()
	return s.transact(ctx, runner.These(codes...),
		func(t *runner.Txn[*governance.Tracker], w *writer) error {
			for _, ev := range evs {
				w.facts(t.Get(ev.CompanyCode()).Apply(ev, now))
			}
			w.uploads(evs)
			return nil
		})
}

// tickChunk is how many companies one tick transaction locks at most, and tickFacts
// how many facts it gathers before it commits and the tick goes on in the next: the
// round is cut so that the consumer's batches interleave with it (the trackers are
// held for a transaction's length) and a transaction's memory does not grow with a
// burst. A 隐患 upload's unknown links become facts at one tick, two per 隐患 — tens
// of thousands at once after an unpaced load, which held the governance group back
// for seconds and grew the process by hundreds of MiB (docs/performance.md).
const (
	tickChunk = 250
	tickFacts = 5000
)

// Tick reads the warning engine's stored alarm and warning changes since the cursor
// and applies them, registers the companies of the enterprise registry, and advances
// every tracker to the current time — except those of companies disabled in the
// registry (enterprises.disabled_at), whose open facts it closes at the time they
// were disabled (governance.Tracker.Retire). The changes read, the cursor and the
// first companies ticked are stored in one transaction; the other companies follow
// in transactions of at most tickChunk companies, each ending once it holds
// tickFacts facts. A tick cut short by an error or a stop leaves the companies it
// did not reach to the next one, which advances them to its own time.
func (s *Service) Tick(ctx context.Context) error {
	now := s.cfg.Now()
	var feed alertFeed
	var in events.Intake
	var off map[string]time.Time
	var kinds map[string]string
	var rest []string // the companies still to tick, sorted
	chunk := func() []string { return rest[:min(tickChunk, len(rest))] }
	first := true
	for first || len(rest) > 0 {
		err := s.transact(ctx, func(ctx context.Context, tx pgx.Tx, held []string) ([]string, error) {
			if !first {
				return chunk(), nil
			}
			var err error
			if feed, err = readAlertFeed(ctx, tx); err != nil {
				return nil, err
			}
			if kinds, err = registeredKinds(ctx, tx); err != nil {
				return nil, err
			}
			if off, err = disabled(ctx, tx); err != nil {
				return nil, err
			}
			if in, err = s.intake.Read(ctx, tx); err != nil {
				return nil, err
			}
			s.intake.Watch(now, in)
			codes, err := registered(ctx, tx)
			if err != nil {
				return nil, err
			}
			all, err := allStates(ctx, tx)
			if err != nil {
				return nil, err
			}
			alerted := feed.companies()
			rest = append(append(append(codes, alerted...), all...), held...)
			slices.Sort(rest)
			rest = slices.Compact(rest)
			return append(alerted, chunk()...), nil
		}, func(t *runner.Txn[*governance.Tracker], w *writer) error {
			if first {
				for _, a := range feed.alarms {
					w.facts(t.Get(a.Company).ApplyAlarm(a))
				}
				for _, x := range feed.warnings {
					at := now
					if !x.At.IsZero() {
						at = x.At
					}
					w.facts(t.Get(x.Company).ApplyWarning(x, at))
				}
				w.cursor(feed.position)
			}
			for n := len(chunk()); n > 0 && len(w.list) < tickFacts; n-- {
				code := rest[0]
				rest = rest[1:]
				if at, ok := off[code]; ok {
					// A disabled company accrues no facts: its open ones close when it was disabled.
					w.facts(t.Get(code).Retire(code, at, "企业已于 "+at.In(schemas.Shanghai).Format(schemas.DateTimeLayout)+
						" 停用，不再计入数据质量"))
					continue
				}
				tr := t.Get(code)
				tr.SetKind(code, kinds[code])
				w.facts(tr.TickIntake(now, in))
			}
			return nil
		})
		if err != nil {
			return err
		}
		first = false
	}
	return nil
}

// transact runs fn over the trackers of the companies codes lists in one runner
// transaction, storing with the states that changed what fn queued on the writer.
func (s *Service) transact(ctx context.Context, codes runner.Codes,
	fn func(t *runner.Txn[*governance.Tracker], w *writer) error) error {
	return s.states.Transact(ctx, codes, func(_ context.Context, t *runner.Txn[*governance.Tracker]) error {
		w := &writer{now: s.cfg.Now(), rules: &s.cfg.Rules}
		if err := fn(t, w); err != nil {
			return err
		}
		t.OnSend(w.send)
		return nil
	})
}
