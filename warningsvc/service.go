// Package warningsvc runs the warning engine (package warning) inside the platform: it
// consumes the exchange topics the engine reads (consumer group chemguard-warning),
// applies each batch, stores the alarms, warnings, their history and the engine's
// state in one PostgreSQL transaction before committing the offsets, ticks the
// engine's clock, and serves the alarm and warning API with its disposal actions.
//
// State is kept per company: one engine per company, its state in a versioned row
// of warning_engine_state. Whoever changes a company (a batch, a tick, an action)
// locks the row and reloads the state when the stored version is not the one it
// holds, so the state stays right when partitions move between processes or an
// action is taken through another process.
package warningsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/warning"
)

// Group is the warning consumer's consumer group.
const Group = "chemguard-warning"

// DefaultTick is how often the engine's clock is advanced.
const DefaultTick = 5 * time.Second

// Config configures the service.
type Config struct {
	// Models is the engine configuration (warning.DefaultConfig when Version is "").
	Models warning.Config
	// Tick is how often Tick runs (CHEMGUARD_WARNING_TICK, DefaultTick when zero).
	Tick time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Metrics, when set, are updated by the consumer and the ticker.
	Metrics *Metrics
	// StateWrites, when set, counts the engine states stored (runner.NewWrites).
	StateWrites *runner.Writes
	// Behind, when set, is kept by the consumer: how late it is (the sink yields to it).
	Behind *bus.Behind
	// Personal opens the sealed mobile numbers SMS are sent to (the data key);
	// without it only numbers stored unsealed can be texted.
	Personal *sealed.Box
	// Notifiers are told every warning change by the ticking process
	// (CHEMGUARD_WARNING_WEBHOOKS adds webhooks).
	Notifiers []Notifier
	// RemindEvery repeats the announcement of a warning not yet acknowledged
	// (CHEMGUARD_WARNING_REMIND, DefaultRemind when zero).
	RemindEvery time.Duration
	// NotifyPerMinute caps what one notifier target is sent per minute
	// (CHEMGUARD_WARNING_NOTIFY_RATE, 0 = no cap); the rest waits, in order, for the
	// next rounds: nothing is dropped.
	NotifyPerMinute int
}

// DefaultRemind is how often an unacknowledged warning is announced again.
const DefaultRemind = 5 * time.Minute

// Errors returned by Config.Validate.
var (
	ErrNegativeTick   = errors.New("alerting: tick interval must not be negative")
	ErrNegativeRemind = errors.New("alerting: reminder interval and notification rate must not be negative")
)

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.Tick < 0 {
		return ErrNegativeTick
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.RemindEvery < 0 || c.NotifyPerMinute < 0 {
		return ErrNegativeRemind
	}
	if c.RemindEvery == 0 {
		c.RemindEvery = DefaultRemind
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Models.Version == "" {
		m, err := warning.DefaultConfig()
		if err != nil {
			return err
		}
		c.Models = m
	}
	return c.Models.Validate()
}

// Topics are the exchange topics of the tables the engine consumes.
func Topics() []string {
	var out []string
	for _, slug := range events.Tables() {
		if t, ok := schemas.TableBySlug(slug); ok {
			out = append(out, t.Topic())
		}
	}
	return out
}

// NewConsumer joins the warning consumer group for Topics. The group's first start
// reads from the oldest retained offset (bus consumers start at the first offset),
// so definitions sent long ago are known; readings older than the model file's
// alarms.stale_after raise nothing, so a replay rebuilds only the current alarms
// (docs/warning-models.md §7).
func NewConsumer(cfg bus.Config) (*bus.Consumer, error) {
	return bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: Group, Topics: Topics(),
		MaxBatch: 5000, MaxWait: 20 * time.Millisecond})
}

// Source is where batches come from; *bus.Consumer implements it.
type Source interface {
	runner.Source
	Lag() int64
}

// Service is the warning integration of one process. Its methods are safe for
// concurrent use: engine calls are serialized (by its runner).
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	src    Source
	states *runner.Runner[*warning.Engine]
	intake *runner.Intake
	// written is what this process last wrote of each company's active alarms and
	// open warnings: a transaction writes only those that changed since.
	written written

	streams streams // live streams of this process
}

// New loads every company's stored engine state. src may be nil for a process that
// serves the API without consuming.
func New(ctx context.Context, pool *pgxpool.Pool, src Source, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	states, err := runner.New(ctx, pool, runner.Config[*warning.Engine]{
		Name:   "alerting",
		States: stateTable,
		// The open 隐患 and the indicators are items written one by one when they
		// change, so a batch costs what it changed, not every 隐患 the company has
		// open nor every indicator it defined.
		Marshal: func(e *warning.Engine) ([]byte, error) { return warning.MarshalHead(e.State()) },
		Items: &runner.Items[*warning.Engine]{
			Table: stateItems,
			Load: func(code string, head []byte, items map[string][]byte) (*warning.Engine, error) {
				e, err := warning.RestoreItems(cfg.Models, code, head, items)
				if err != nil {
					return nil, fmt.Errorf("read states: %w", err)
				}
				return e, nil
			},
			Changed: func(code string, e *warning.Engine) (map[string][]byte, error) { return e.ChangedItems(code) },
			Saved:   func(code string, e *warning.Engine) { e.ItemsStored(code) },
		},
		// The indicators' last values and the devices' last status move with every
		// record: written apart, so a batch of readings that raised nothing does not
		// rewrite every indicator's definition with them.
		Fresh: &runner.Fresh[*warning.Engine]{
			Marshal: func(e *warning.Engine) ([]byte, error) { return warning.MarshalFresh(e.State()), nil },
			Restore: func(e *warning.Engine, b []byte) error { return warning.RestoreFresh(e.State(), b) },
		},
		// The engine marks its head where it changes it: a batch that moved only
		// last values is not encoded whole to learn that.
		Head: &runner.Head[*warning.Engine]{Changed: (*warning.Engine).HeadChanged, Stored: (*warning.Engine).HeadStored},
		// A head stored with its indicators (before they were items) is rewritten
		// without them at the next write.
		Outdated: (*warning.Engine).Outdated,
		Now:      cfg.Now,
		Writes:   cfg.StateWrites,
	})
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, pool: pool, src: src, states: states, intake: &runner.Intake{
		Name: "alerting", Table: "warning_intake", Gap: cfg.Models.Alarms.IntakeGap,
		Stalled: "平台接入中断 — no sensor reading from any company; 数据中断 alarms are held until the intake resumes",
		Resumed: "platform intake of sensor readings resumed",
	}}, nil
}

// Run consumes batches and ticks the clock until ctx ends. A batch already fetched
// is still written and committed after ctx ends.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.listen(ctx)
	}()
	defer wg.Wait()
	defer s.streams.close()
	m := s.cfg.Metrics
	l := runner.Loop{Name: "alerting", Tick: s.round, Every: s.cfg.Tick, Lock: tickLock, Behind: s.cfg.Behind,
		Store: func(msgs []bus.Message) func(context.Context) error {
			if m != nil {
				observeAges(m.Fetched, msgs, time.Now())
			}
			evs, received := decode(msgs)
			in := s.intake.Of(received)
			// Stored but not committed, a batch replays harmlessly (readings not newer are ignored).
			return func(ctx context.Context) error { return s.apply(ctx, evs, in) }
		},
		Failed: func() {
			if m != nil {
				m.Errors.Inc()
			}
		},
		Committed: func(took time.Duration) {
			if m != nil {
				m.CommitSeconds.Observe(took.Seconds())
			}
		},
		HeldBack: func(took time.Duration) {
			if m != nil {
				m.HeldBackSeconds.Observe(took.Seconds())
			}
		},
		Stored: func(msgs []bus.Message, took time.Duration) {
			if m != nil {
				m.BatchSize.Observe(float64(len(msgs)))
				m.BatchSeconds.Observe(took.Seconds())
				observeAges(m.Stored, msgs, time.Now())
				m.Lag.Set(float64(s.src.Lag()))
			}
		}}
	if s.src != nil {
		l.Source = s.src
	}
	return runner.Run(ctx, s.pool, l)
}

// tickLock is the PostgreSQL advisory lock whose holder ticks: one process ticks
// every company (reloading those others changed); if it dies its session ends, the
// lock is free and the next process to try takes over.
const tickLock = 0x63670005 // "cg", issue 5

// round is what the ticking process does at every tick.
func (s *Service) round(ctx context.Context) {
	if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
		slog.Error("alerting: tick failed", "err", err)
		if m := s.cfg.Metrics; m != nil {
			m.Errors.Inc()
		}
	}
	if err := s.Remind(ctx); err != nil && ctx.Err() == nil {
		slog.Error("alerting: remind failed", "err", err)
	}
	if err := s.Notify(ctx); err != nil && ctx.Err() == nil {
		slog.Error("alerting: notify failed", "err", err)
	}
}

// decode turns messages into engine events, skipping tables the engine does not
// read and records it cannot (logged with their position), with the platform's
// receive times of the sensor readings among them. Decoding is pure and the
// costliest step of a batch, so it runs on every core; the order is kept.
func decode(msgs []bus.Message) ([]events.Event, []time.Time) {
	evs := make([]events.Event, len(msgs))
	recv := make([]time.Time, len(msgs))
	workers := min(runtime.GOMAXPROCS(0), 8, max(1, len(msgs)/256))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(msgs); i += workers {
				evs[i], recv[i] = decodeOne(msgs[i])
			}
		}()
	}
	wg.Wait()
	out := evs[:0]
	var received []time.Time
	for i, ev := range evs {
		if ev != nil {
			out = append(out, ev)
		}
		if !recv[i].IsZero() {
			received = append(received, recv[i])
		}
	}
	return out, received
}

// decodeOne decodes one message, and returns its receive time when it is a
// sensor reading (whether or not the record itself could be used: the platform
// received it).
func decodeOne(m bus.Message) (events.Event, time.Time) {
	e, err := events.DecodeEnvelope(m.Value)
	if err != nil {
		slog.Error("alerting: undecodable message skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return nil, time.Time{}
	}
	var received time.Time
	if e.Table == schemas.SensorReadings.Slug {
		received = e.ReceivedAt
	}
	ev, err := events.Decode(e.Table, e.Company, e.Record)
	if errors.Is(err, events.ErrIgnoredTable) {
		return nil, received
	}
	if err != nil {
		slog.Error("alerting: record skipped", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return nil, received
	}
	return ev, received
}

// Apply applies events in order at the current time and stores everything they
// changed with the engine state, in one transaction.
func (s *Service) Apply(ctx context.Context, evs []events.Event) error {
	return s.apply(ctx, evs, nil)
}

// apply is Apply recording, in the same transaction, what the batch says of the
// platform's intake (nil: nothing).
func (s *Service) apply(ctx context.Context, evs []events.Event, in *runner.Batch) error {
	if len(evs) == 0 && in == nil {
		return nil
	}
	codes := events.Companies(evs)
	now := s.cfg.Now()
	stored, err := s.intake.Read(ctx, s.pool)
	if err != nil {
		return err
	}
	intake := s.intake.After(stored, in)
	return s.transact(ctx, runner.These(codes...), now, func(t *runner.Txn[*warning.Engine], w *writer) error {
		for _, code := range codes {
			t.Get(code).SetIntake(intake)
		}
		for _, ev := range evs {
			w.changes(t.Get(ev.CompanyCode()).Apply(ev, now))
		}
		t.OnSend(func(ctx context.Context, tx pgx.Tx) error { return s.intake.Write(ctx, tx, in) })
		return nil
	})
}

// tickChunk is how many companies one tick transaction covers: the round is cut
// into chunks so that the consumer's batches interleave with a long round (every
// company changing at once) instead of waiting for all of it.
const tickChunk = 250

// Tick advances every company's engine to the current time (数据中断, time-based
// factors, hysteresis, overdue disposal steps) and stores what changed, tickChunk
// companies per transaction. Only the companies with a reported change have their
// state written: what a tick changes silently (a hysteresis timer starting,
// pruning) is stored with the company's next change, and after a restart merely
// starts again.
func (s *Service) Tick(ctx context.Context) error {
	now := s.cfg.Now()
	codes, err := s.allCodes(ctx)
	if err != nil {
		return err
	}
	in, err := s.intake.Read(ctx, s.pool)
	if err != nil {
		return err
	}
	if age := s.intake.Watch(now, in); age > 0 {
		if m := s.cfg.Metrics; m != nil {
			m.IntakeAge.Set(age.Seconds())
		}
	}
	for len(codes) > 0 {
		chunk := codes[:min(tickChunk, len(codes))]
		codes = codes[len(chunk):]
		err := s.transact(ctx, runner.These(chunk...), now, func(t *runner.Txn[*warning.Engine], w *writer) error {
			changed := map[string]bool{}
			for _, code := range chunk {
				if ch := t.Get(code).TickIntake(now, in); !ch.Empty() {
					w.changes(ch)
					changed[code] = true
				}
			}
			t.StoreOnly(changed)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// allCodes lists every company with a stored state or a copy in memory, sorted.
func (s *Service) allCodes(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT company_code FROM warning_engine_state`)
	if err != nil {
		return nil, fmt.Errorf("alerting: list companies: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("alerting: list companies: %w", err)
	}
	codes = append(codes, s.states.Held()...)
	slices.Sort(codes)
	return slices.Compact(codes), nil
}

// Act applies a disposal action to the open warning key of company and stores it.
func (s *Service) Act(ctx context.Context, code, key string, a warning.Action) (warning.Changes, error) {
	var out warning.Changes
	err := s.transact(ctx, runner.These(code), a.At, func(t *runner.Txn[*warning.Engine], w *writer) error {
		ch, err := t.Get(code).Act(code, key, a)
		if err != nil {
			return err
		}
		w.changes(ch)
		out = ch
		return nil
	})
	return out, err
}

// transact runs fn over the engines of codes in one runner transaction, storing
// with each company's changed state those of its current alarms and warnings that
// changed since written (writer.current), and what fn queued on the writer.
func (s *Service) transact(ctx context.Context, codes runner.Codes, now time.Time,
	fn func(t *runner.Txn[*warning.Engine], w *writer) error) error {
	return s.states.Transact(ctx, codes, func(_ context.Context, t *runner.Txn[*warning.Engine]) error {
		w := &writer{now: now, rows: &s.written}
		if err := fn(t, w); err != nil {
			return err
		}
		t.OnStore(w.current)
		t.OnSend(w.send)
		t.OnCommit(func() { w.committed(); s.cfg.Metrics.count(w.kinds) })
		return nil
	})
}
