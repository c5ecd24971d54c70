package enterprise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
)

// Gateway sends an urgent notice to one person by SMS or IM. The platform's
// gateway is configured once (CHEMGUARD_WARNING_SMS_*); nil means none. id is
// the notification's, the same on every retry, so the gateway can drop a
// duplicate whose reply was lost.
type Gateway interface {
	Send(ctx context.Context, id int64, to Person, n Notice) error
}

// Urgent deliveries that failed are retried by Retry for retryWindow after the
// notice (a notice older than that is stale as a text; it stays in the inbox),
// at most retryBatch a round.
const (
	retryWindow = 24 * time.Hour
	// A failed text is retried after retryFirst, then twice as long after each
	// further failure, never more than retryMax apart: a gateway that is down is
	// not hammered, a short outage still delivers within minutes.
	retryFirst = time.Minute
	retryMax   = time.Hour
	retryBatch = 200
)

// Inbox is the Notifier of the base system: every notice lands in the
// recipients' inbox (enterprise_notifications); an urgent one also goes
// through the Gateway, and its delivery or failure is kept beside it.
type Inbox struct {
	pool    *pgxpool.Pool
	members *Members
	gateway Gateway
	im      *IMRobots
	now     Clock
}

// UseIM makes the inbox also post every urgent notice to the company's own
// group robot (IMRobots), @-mentioning the recipient, when the company set one.
func (in *Inbox) UseIM(r *IMRobots) { in.im = r }

// A channel is one way an urgent notice goes out, with its delivery columns
// in enterprise_notifications (<col>_at, _error, _attempts, _next_at).
type channel struct {
	col  string // "sms" or "im"
	send func(ctx context.Context, in *Inbox, id int64, company string, p Person, n Notice) error
}

var (
	smsChannel = channel{col: "sms", send: func(ctx context.Context, in *Inbox, id int64, _ string, p Person, n Notice) error {
		return in.send(ctx, id, p, n)
	}}
	imChannel = channel{col: "im", send: func(ctx context.Context, in *Inbox, _ int64, company string, p Person, n Notice) error {
		return in.im.send(ctx, company, p, n)
	}}
)

// NewInbox returns the inbox on pool; gateway may be nil (no SMS/IM: urgent
// notices are then marked undelivered with the reason, and still in the inbox).
func NewInbox(pool *pgxpool.Pool, members *Members, gateway Gateway, now Clock) *Inbox {
	if now == nil {
		now = time.Now
	}
	return &Inbox{pool: pool, members: members, gateway: gateway, now: now}
}

var _ Notifier = (*Inbox)(nil)

// Notify puts n in the inbox of each of userIDs who is an active member of
// company (anyone else is skipped: a notice never crosses companies). With a
// Key, a person already told under it is not told again.
func (in *Inbox) Notify(ctx context.Context, company string, userIDs []int64, n Notice) error {
	if strings.TrimSpace(n.Title) == "" {
		return chemguard.Errorf(chemguard.EInvalid, "通知标题不能为空", "a notice needs a title")
	}
	people, err := in.members.People(ctx, company)
	if err != nil {
		return err
	}
	byID := make(map[int64]Person, len(people))
	for _, p := range people {
		byID[p.UserID] = p
	}
	var key *string
	if n.Key != "" {
		key = &n.Key
	}
	now := in.now()
	var errs []error
	for _, id := range userIDs {
		p, ok := byID[id]
		if !ok {
			continue
		}
		var nid int64
		err := in.pool.QueryRow(ctx, `INSERT INTO enterprise_notifications (company, user_id, kind, title, body, link, urgent, dedup_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id`,
			company, id, n.Kind, n.Title, n.Body, n.Link, n.Urgent, key, now).Scan(&nid)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // told before under this key
		}
		if err != nil {
			return fmt.Errorf("enterprise: notify: %w", err)
		}
		if n.Urgent {
			if err := in.deliver(ctx, smsChannel, nid, company, p, n); err != nil {
				errs = append(errs, err)
			}
			if in.im != nil {
				if err := in.deliver(ctx, imChannel, nid, company, p, n); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// deliver sends an urgent notice through ch and records the outcome; a failed
// delivery is logged and kept (<ch>_error), the inbox copy stands. A company
// without a group robot records nothing for the group.
func (in *Inbox) deliver(ctx context.Context, ch channel, id int64, company string, p Person, n Notice) error {
	err := ch.send(ctx, in, id, company, p, n)
	if errors.Is(err, errNoRobot) {
		return nil
	}
	return in.record(ctx, in.pool, ch, id, p.UserID, err)
}

// send texts n to p, or says why it cannot.
func (in *Inbox) send(ctx context.Context, id int64, p Person, n Notice) error {
	switch {
	case in.gateway == nil:
		return errors.New("未配置短信/即时通讯网关 / no SMS or IM gateway is configured")
	case p.Mobile == "":
		return errors.New("该人员未登记手机号 / the person has no mobile number")
	default:
		return in.gateway.Send(ctx, id, p, n)
	}
}

// record keeps the outcome of a delivery beside the notice: when it was
// delivered, or why not.
func (in *Inbox) record(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, ch channel, id, user int64, sendErr error) error {
	var err error
	c := ch.col // a constant of this file, never input
	switch {
	case errors.Is(sendErr, errNoRobot):
		// The robot was switched off after the notice: no further retries.
		_, err = db.Exec(ctx, `UPDATE enterprise_notifications SET `+c+`_error = $2, `+c+`_next_at = 'infinity' WHERE id = $1`,
			id, "本企业已停用群机器人 / the company switched its group robot off")
	case sendErr != nil:
		slog.Warn("enterprise notice: urgent delivery failed; kept in the inbox", "channel", c, "notification", id, "user", user, "err", sendErr)
		_, err = db.Exec(ctx, `UPDATE enterprise_notifications SET `+c+`_error = $2, `+c+`_attempts = `+c+`_attempts + 1,
			`+c+`_next_at = $3::timestamptz + make_interval(secs => LEAST($4::float8 * power(2, `+c+`_attempts), $5::float8))
			WHERE id = $1`, id, sendErr.Error(), in.now(), retryFirst.Seconds(), retryMax.Seconds())
	default:
		_, err = db.Exec(ctx, `UPDATE enterprise_notifications SET `+c+`_at = $2, `+c+`_error = NULL WHERE id = $1`, id, in.now())
	}
	if err != nil {
		return fmt.Errorf("enterprise: record notice delivery: %w", err)
	}
	return nil
}

// Retry sends again every urgent notice of the last 24 h whose delivery
// failed (sms_error set, sms_at not) and whose backoff has passed (1, 2, 4 …
// minutes after the n-th failure, at most an hour, by the injected clock):
// one delivered is never sent twice. Each
// row is locked while it is sent, so two processes retrying at once do not
// both text the same person. It returns the first error of the store; failed
// sends are recorded, not returned.
//
// The group messages of the company robots (UseIM) are retried the same way.
func (in *Inbox) Retry(ctx context.Context) error {
	var channels []channel
	if in.gateway != nil { // else nothing could deliver the texts; the reason is already recorded
		channels = append(channels, smsChannel)
	}
	if in.im != nil {
		channels = append(channels, imChannel)
	}
	for _, ch := range channels {
		var after int64
		for range retryBatch {
			next, err := in.retryOne(ctx, ch, after)
			if err != nil {
				return err
			}
			if next == 0 {
				break
			}
			after = next
		}
	}
	return nil
}

// retryOne retries the first failed urgent notice after id and returns its id
// (0 when none is left).
func (in *Inbox) retryOne(ctx context.Context, ch channel, after int64) (int64, error) {
	tx, err := in.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("enterprise: retry notices: %w", err)
	}
	defer tx.Rollback(ctx)
	var id, user int64
	var company string
	var n Notice
	c := ch.col
	err = tx.QueryRow(ctx, `SELECT id, company, user_id, kind, title, body, link FROM enterprise_notifications
		WHERE id > $1 AND urgent AND `+c+`_at IS NULL AND `+c+`_error IS NOT NULL AND created_at > $2
			AND (`+c+`_next_at IS NULL OR `+c+`_next_at <= $3)
		ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`, after, in.now().Add(-retryWindow), in.now()).
		Scan(&id, &company, &user, &n.Kind, &n.Title, &n.Body, &n.Link)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("enterprise: retry notices: %w", err)
	}
	n.Urgent = true
	p, err := in.members.Person(ctx, company, user)
	var sendErr error
	switch {
	case err != nil && chemguard.ErrorCode(err) == chemguard.ENotFound:
		sendErr = errors.New("该人员已不在本企业在岗 / the person is no longer an active member")
	case err != nil:
		return 0, err
	default:
		sendErr = ch.send(ctx, in, id, company, p, n)
	}
	if err := in.record(ctx, tx, ch, id, user, sendErr); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// Run retries failed urgent deliveries every interval until ctx ends; report
// gets the errors of the store.
func (in *Inbox) Run(ctx context.Context, every time.Duration, report func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := in.Retry(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
		}
	}
}

// Notification is one inbox entry.
type Notification struct {
	ID        int64
	Kind      string
	Title     string
	Body      string
	Link      string
	Urgent    bool
	CreatedAt time.Time
	ReadAt    *time.Time
	SMSAt     *time.Time
	SMSError  string
}

// List returns the member's newest notifications (at most limit).
func (in *Inbox) List(ctx context.Context, company string, user int64, limit int) ([]Notification, error) {
	rows, err := in.pool.Query(ctx, `SELECT id, kind, title, body, link, urgent, created_at, read_at, sms_at, coalesce(sms_error, '')
		FROM enterprise_notifications WHERE company = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
		company, user, limit)
	if err != nil {
		return nil, fmt.Errorf("enterprise: inbox: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		return n, r.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.Urgent, &n.CreatedAt, &n.ReadAt, &n.SMSAt, &n.SMSError)
	})
}

// Unread counts the member's unread notifications.
func (in *Inbox) Unread(ctx context.Context, company string, user int64) (int, error) {
	var n int
	err := in.pool.QueryRow(ctx, `SELECT count(*) FROM enterprise_notifications WHERE company = $1 AND user_id = $2 AND read_at IS NULL`,
		company, user).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("enterprise: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks the member's notification id read (0: all of them).
func (in *Inbox) MarkRead(ctx context.Context, company string, user, id int64) error {
	_, err := in.pool.Exec(ctx, `UPDATE enterprise_notifications SET read_at = $4
		WHERE company = $1 AND user_id = $2 AND ($3 = 0 OR id = $3) AND read_at IS NULL`, company, user, id, in.now())
	if err != nil {
		return fmt.Errorf("enterprise: mark read: %w", err)
	}
	return nil
}
