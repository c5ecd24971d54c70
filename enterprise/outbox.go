package enterprise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// Exchange publishes records through the exchange pipeline exactly as a
// company's own system does, marked as sent by the base system (source
// events.SourceBase, for rollout tracking); ingest.Handler implements it.
type Exchange interface {
	SubmitFrom(ctx context.Context, t *schemas.Table, company, source string, body []byte, now time.Time) (*ingest.BatchReply, error)
}

// OutboxConfig tunes the Outbox. Zero fields take the defaults.
type OutboxConfig struct {
	// Check is the exchange API's configuration: Stage validates with its Check,
	// so a record the API would refuse is never staged.
	Check ingest.Config
	// Interval is how often the drainer looks for staged rows (1 s).
	Interval time.Duration
	// Batch is the most rows of one company's table published at once (500).
	Batch int
	// MinBackoff and MaxBackoff bound the wait after the broker refused a
	// batch: it doubles with each attempt (2 s … 5 min).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock (time.Now when nil).
	Now Clock
}

// Defaults of OutboxConfig.
const (
	DefaultOutboxInterval = time.Second
	DefaultOutboxBatch    = 500
	DefaultMinBackoff     = 2 * time.Second
	DefaultMaxBackoff     = 5 * time.Minute
)

// Outbox is the Publisher of the base system and its drainer. It is safe for
// concurrent use, and several processes may run Drain on the same database:
// each (company, table) is drained by one of them at a time, in id order.
type Outbox struct {
	cfg      OutboxConfig
	pool     *pgxpool.Pool
	exchange Exchange
	systems  *Systems
}

// NewOutbox returns the outbox on pool publishing through exchange.
func NewOutbox(cfg OutboxConfig, pool *pgxpool.Pool, exchange Exchange) *Outbox {
	chemguard.Default(&cfg.Interval, DefaultOutboxInterval)
	chemguard.Default(&cfg.Batch, DefaultOutboxBatch)
	chemguard.Default(&cfg.MinBackoff, DefaultMinBackoff)
	chemguard.Default(&cfg.MaxBackoff, DefaultMaxBackoff)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Outbox{cfg: cfg, pool: pool, exchange: exchange, systems: NewSystems(pool)}
}

var _ Publisher = (*Outbox)(nil)

// ErrOwnSystem refuses a change made in the base system while the company
// publishes from its own system: the base system is read-only then, so the
// two systems never write the same records at once.
var ErrOwnSystem = chemguard.Errorf(chemguard.EConflict,
	"本企业已切换为使用自有系统上报数据，基础系统仅供查阅，不能再登记或修改；如需继续使用基础系统，请企业管理员在「数据上报」页切换回基础系统",
	"the company publishes from its own system: the base system is read-only (switch back on the 数据上报 page to record here)")

// Stage validates records as the exchange API would for company's upload of
// table slug and, when every one is valid, queues them in tx. A record the API
// would refuse makes the whole call fail with EInvalid, naming each refused
// record, field and rule (Details is the []validate.FieldError), and nothing is
// queued. While the company uses its own system Stage returns ErrOwnSystem.
func (o *Outbox) Stage(ctx context.Context, tx pgx.Tx, slug, company string, records ...any) error {
	if len(records) == 0 {
		return nil
	}
	t, err := schemas.Lookup(slug)
	if err != nil {
		return err
	}
	system, err := o.systems.staging(ctx, tx, company)
	if err != nil {
		return err
	}
	if system == SystemOwn {
		return ErrOwnSystem
	}
	docs := make([]json.RawMessage, len(records))
	for i, r := range records {
		if docs[i], err = json.Marshal(r); err != nil {
			return fmt.Errorf("enterprise: stage %s: record %d: %w", slug, i, err)
		}
	}
	body, err := json.Marshal(docs)
	if err != nil {
		return fmt.Errorf("enterprise: stage %s: %w", slug, err)
	}
	reply, _, err := o.cfg.Check.Check(t, company, body, o.cfg.Now())
	if err != nil {
		return err
	}
	if reply.Rejected > 0 {
		return refusal(t, reply)
	}
	now := o.cfg.Now()
	for _, d := range docs {
		if _, err := tx.Exec(ctx, `INSERT INTO enterprise_outbox (company, slug, record, staged_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $4)`, company, t.Slug, d, now); err != nil {
			return fmt.Errorf("enterprise: stage %s: %w", slug, err)
		}
	}
	return nil
}

// refusal is the EInvalid error of a batch the validator refused: every
// refused record's field errors, in Chinese and in English.
func refusal(t *schemas.Table, reply *ingest.BatchReply) error {
	var all []validate.FieldError
	var zh, en []string
	for _, r := range reply.Results {
		for _, e := range r.Errors {
			all = append(all, e)
			zh = append(zh, e.MessageZH)
			en = append(en, e.MessageEN)
		}
	}
	return &chemguard.Error{Code: chemguard.EInvalid,
		MessageZH: fmt.Sprintf("「%s」有 %d 条记录不符合数据交换规范，均未保存：%s", t.NameZH, reply.Rejected, strings.Join(zh, "；")),
		MessageEN: fmt.Sprintf("%d record(s) of %s break the exchange rules; nothing was saved: %s", reply.Rejected, t.Slug, strings.Join(en, "; ")),
		Details:   all}
}

// Run drains the outbox every Interval until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := o.Drain(ctx); err != nil && ctx.Err() == nil {
			slog.Error("enterprise outbox: drain", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain publishes what is due once, group by group (company, table), and
// returns how many records were accepted. A group another process is draining
// is skipped. A broker that cannot take a batch leaves it staged with its
// error and a later attempt time; a record the exchange refuses (its rules
// changed since it was staged) is set aside with the refusal and the rest of
// its group goes on.
func (o *Outbox) Drain(ctx context.Context) (int, error) {
	rows, err := o.pool.Query(ctx, `SELECT DISTINCT company, slug FROM enterprise_outbox
		WHERE sent_at IS NULL AND refused_at IS NULL AND next_attempt_at <= $1`, o.cfg.Now())
	if err != nil {
		return 0, fmt.Errorf("enterprise: outbox: due groups: %w", err)
	}
	type group struct{ company, slug string }
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (group, error) {
		var g group
		return g, r.Scan(&g.company, &g.slug)
	})
	if err != nil {
		return 0, fmt.Errorf("enterprise: outbox: due groups: %w", err)
	}
	sent := 0
	var errs []error
	for _, g := range groups {
		n, err := o.drainGroup(ctx, g.company, g.slug)
		sent += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return sent, errors.Join(errs...)
}

// drainGroup publishes one company's staged rows of one table in id order.
// The transaction-scoped advisory lock keeps two processes from publishing
// the same group out of order; FOR UPDATE SKIP LOCKED keeps them off the
// same rows. Kafka is written inside the transaction: if the commit then
// fails the rows are published again, which the exchange absorbs (records
// are keyed by their UUID, a second copy is the same version).
func (o *Outbox) drainGroup(ctx context.Context, company, slug string) (int, error) {
	t, err := schemas.Lookup(slug)
	if err != nil {
		return 0, err
	}
	tx, err := o.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("enterprise: outbox: %w", err)
	}
	defer tx.Rollback(ctx)
	var mine bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('enterprise_outbox/' || $1 || '/' || $2, 0))`,
		company, slug).Scan(&mine); err != nil {
		return 0, fmt.Errorf("enterprise: outbox: lock %s/%s: %w", company, slug, err)
	}
	if !mine {
		return 0, nil
	}
	now := o.cfg.Now()
	rows, err := tx.Query(ctx, `SELECT id, record, attempts FROM enterprise_outbox
		WHERE company = $1 AND slug = $2 AND sent_at IS NULL AND refused_at IS NULL AND next_attempt_at <= $3
		ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED`, company, slug, now, o.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("enterprise: outbox: claim %s/%s: %w", company, slug, err)
	}
	type staged struct {
		id       int64
		record   json.RawMessage
		attempts int
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (staged, error) {
		var s staged
		return s, r.Scan(&s.id, &s.record, &s.attempts)
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	docs := make([]json.RawMessage, len(batch))
	ids := make([]int64, len(batch))
	for i, s := range batch {
		docs[i], ids[i] = s.record, s.id
	}
	body, err := json.Marshal(docs)
	if err != nil {
		return 0, err
	}
	reply, err := o.exchange.SubmitFrom(ctx, t, company, events.SourceBase, body, now)
	if err != nil {
		// The whole batch waits: the broker is down, or the batch as a whole
		// was refused (company code). The error is kept for the 数据上报 page.
		wait := o.backoff(batch[0].attempts + 1)
		slog.Warn("enterprise outbox: publish failed; will retry", "company", company, "table", slug,
			"records", len(batch), "retry_in", wait, "err", err)
		if _, uerr := tx.Exec(ctx, `UPDATE enterprise_outbox SET attempts = attempts + 1, last_error = $2,
			next_attempt_at = $3 WHERE id = ANY($1)`, ids, errorText(err), now.Add(wait)); uerr != nil {
			return 0, fmt.Errorf("enterprise: outbox: note failure: %w", uerr)
		}
		return 0, tx.Commit(ctx)
	}
	accepted := 0
	for i, r := range reply.Results {
		if r.Status == "accepted" {
			accepted++
			if _, err := tx.Exec(ctx, `UPDATE enterprise_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL
				WHERE id = $1`, ids[i], now); err != nil {
				return 0, fmt.Errorf("enterprise: outbox: mark sent: %w", err)
			}
			continue
		}
		msgs := make([]string, len(r.Errors))
		for j, e := range r.Errors {
			msgs[j] = e.MessageZH + " / " + e.MessageEN
		}
		slog.Error("enterprise outbox: the exchange refused a staged record; kept with its refusal",
			"company", company, "table", slug, "outbox_id", ids[i], "errors", strings.Join(msgs, "; "))
		if _, err := tx.Exec(ctx, `UPDATE enterprise_outbox SET refused_at = $2, attempts = attempts + 1, last_error = $3
			WHERE id = $1`, ids[i], now, strings.Join(msgs, "；")); err != nil {
			return 0, fmt.Errorf("enterprise: outbox: mark refused: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("enterprise: outbox: commit %s/%s: %w", company, slug, err)
	}
	return accepted, nil
}

// backoff is the wait before attempt n+1: MinBackoff doubled per attempt, at
// most MaxBackoff.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.cfg.MinBackoff
	for i := 1; i < attempts && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.cfg.MaxBackoff)
}

// errorText is what the 数据上报 page shows of a failed publish: the
// platform's bilingual message, not internal detail.
func errorText(err error) string {
	var ae *chemguard.Error
	if errors.As(err, &ae) {
		return ae.MessageZH + " / " + ae.MessageEN
	}
	return "发布失败 / publish failed"
}

// TableStatus is one exchange table on the 数据上报 page.
type TableStatus struct {
	Slug, NameZH string
	Sent         int
	Pending      int
	Refused      int
	LastSentAt   *time.Time
	LastError    string // the latest failure or refusal; "" when none
}

// Status returns, per exchange table the base system staged for company, what
// was published, what waits and what was refused.
func (o *Outbox) Status(ctx context.Context, company string) ([]TableStatus, error) {
	rows, err := o.pool.Query(ctx, `SELECT slug,
			count(*) FILTER (WHERE sent_at IS NOT NULL),
			count(*) FILTER (WHERE sent_at IS NULL AND refused_at IS NULL),
			count(*) FILTER (WHERE refused_at IS NOT NULL),
			max(sent_at),
			(SELECT last_error FROM enterprise_outbox l WHERE l.company = o.company AND l.slug = o.slug
				AND l.last_error IS NOT NULL AND l.sent_at IS NULL ORDER BY l.id DESC LIMIT 1)
		FROM enterprise_outbox o WHERE company = $1 GROUP BY company, slug ORDER BY slug`, company)
	if err != nil {
		return nil, fmt.Errorf("enterprise: outbox status: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TableStatus, error) {
		var s TableStatus
		var last *string
		if err := r.Scan(&s.Slug, &s.Sent, &s.Pending, &s.Refused, &s.LastSentAt, &last); err != nil {
			return s, err
		}
		if last != nil {
			s.LastError = *last
		}
		s.NameZH = s.Slug
		if t, err := schemas.Lookup(s.Slug); err == nil {
			s.NameZH = t.NameZH
		}
		return s, nil
	})
}
