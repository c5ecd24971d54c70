package warningsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/store"
)

// Notifier delivers warning changes to one target: a webhook, an SMS gateway, an IM
// group robot, the log. Deliveries are recorded per event and target (and per
// recipient for a PersonalNotifier) in warning_notifications, so each change is
// told once and failures are retried with backoff.
type Notifier interface {
	// Target names the channel and recipient, e.g. "webhook:https://…"; it must be
	// stable, as deliveries are recorded under it, and must not hold a secret.
	Target() string
	// Notify delivers one notice; an error is retried later, with backoff.
	Notify(ctx context.Context, n Notice) error
}

// Selective is a Notifier told only some kinds of change (warning_events.kind,
// e.g. warning_raised, reminder); the others are never queued for it.
type Selective interface {
	Kinds() []string
}

// Limited is a Notifier whose channel allows at most PerMinute messages a minute
// (an IM group robot: 20). The lower of it and Config.NotifyPerMinute applies.
type Limited interface {
	PerMinute() int
}

// PersonalNotifier is a Notifier that tells people one by one (SMS): for each
// notice the service looks up its Recipients — the company's responsible people
// from 企业信息 and the regulators of the tier watching the warning — and calls
// Notify once per person with Notice.Recipient set. Each person's delivery is
// recorded, and the rate limit applies per person.
type PersonalNotifier interface {
	Notifier
	Personal()
}

// Recipient is a person a notice is sent to.
type Recipient struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	Role   string `json:"role"` // 企业主要负责人, 企业安全负责人, or the regulator role
}

// LogNotifier writes notices to the log (the development adapter).
type LogNotifier struct{}

// Target implements Notifier.
func (LogNotifier) Target() string { return "log" }

// Notify implements Notifier.
func (LogNotifier) Notify(_ context.Context, n Notice) error {
	slog.Info("预警通知 warning notice", "company", n.Company, "warning", n.ID, "kind", n.Kind, "level", n.Level,
		"step", n.Step, "tier", n.Tier, "reason", n.Reason)
	return nil
}

// Webhook POSTs each notice as JSON to URL; any 2xx reply is a delivery.
type Webhook struct {
	URL    string
	Client HTTPDoer // a 10 s timeout client when nil
}

// Target implements Notifier.
func (w Webhook) Target() string { return "webhook:" + w.URL }

// Notify implements Notifier.
func (w Webhook) Notify(ctx context.Context, n Notice) error {
	_, err := postJSON(ctx, w.Client, w.URL, n, nil)
	return err
}

// KindReminder is the warning_events kind of a reminder: a warning still waiting
// for the company's 签收 is announced again every Config.RemindEvery.
const KindReminder = "reminder"

// Remind records a reminder for every open warning still waiting for 签收 whose
// last announcement (发布 or reminder) is at least RemindEvery old; the notifiers
// tell it like any change. The ticking process calls it before Notify.
func (s *Service) Remind(ctx context.Context) error {
	now := s.cfg.Now()
	_, err := s.pool.Exec(ctx, `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason)
		SELECT w.id, $1, $2, w.level, w.step, w.tier, '提醒：预警尚未签收，请企业立即签收并处置'
		FROM warnings w
		WHERE w.status = 'open' AND w.step = 'published' AND COALESCE((SELECT max(e.at) FROM warning_events e
			WHERE e.warning_id = w.id AND e.kind IN ($1, 'warning_raised')), w.raised_at) <= $3`,
		KindReminder, now, now.Add(-s.cfg.RemindEvery))
	if err != nil {
		return fmt.Errorf("alerting: remind: %w", err)
	}
	return nil
}

// Delivery limits: events older than notifyWindow are not sent any more, and a
// message the gateway refuses (ErrRefused: this event, or this person) is tried at
// most notifyAttempts times. A target that is down (any other error) is never the
// reason to give an event up: it waits retryDelay(attempts) before it is tried
// again — 5 s, 10 s, 20 s … then every 10 min for as long as it is down — and its
// events wait, in order.
const (
	notifyWindow   = 24 * time.Hour
	notifyAttempts = 10
	notifyBatch    = 500
	retryBase      = 5 * time.Second
	retryMax       = 10 * time.Minute
)

// retryDelay is how long a target waits after its attempts-th failed attempt.
func retryDelay(attempts int) time.Duration {
	return min(retryBase<<min(max(attempts-1, 0), 10), retryMax)
}

// Notify sends every recorded warning event of the last 24 h that a configured
// notifier has not been told yet (nor given up on), and records each attempt. The
// ticking process calls it after each tick, so a change is told within a tick of
// being stored, by one process, and none is lost while the notifiers are down.
func (s *Service) Notify(ctx context.Context) error {
	for _, nf := range s.cfg.Notifiers {
		if err := s.notify(ctx, nf); err != nil {
			return err
		}
	}
	return nil
}

// pending is an event a target has not been told yet.
type pending struct {
	event int64
	n     Notice
}

func (s *Service) notify(ctx context.Context, nf Notifier) error {
	now := s.cfg.Now()
	target := nf.Target()
	wait, err := s.backingOff(ctx, target, "", now)
	if err != nil || wait {
		return err
	}
	perMinute := s.cfg.NotifyPerMinute
	if l, ok := nf.(Limited); ok && l.PerMinute() > 0 && (perMinute == 0 || l.PerMinute() < perMinute) {
		perMinute = l.PerMinute()
	}
	personal, isPersonal := nf.(PersonalNotifier)
	limit := notifyBatch
	if perMinute > 0 && !isPersonal {
		recent, err := s.sentRecently(ctx, target, "", now)
		if err != nil {
			return err
		}
		if limit = min(limit, perMinute-recent); limit <= 0 {
			return nil
		}
	}
	var kinds []string
	if sel, ok := nf.(Selective); ok {
		kinds = sel.Kinds()
	}
	list, err := s.pendingFor(ctx, target, kinds, now, limit)
	if err != nil {
		return err
	}
	for _, p := range list {
		if isPersonal {
			down, err := s.notifyPeople(ctx, personal, p, perMinute, now)
			if err != nil || down {
				return err
			}
			continue
		}
		failed := nf.Notify(ctx, p.n)
		if err := s.record(ctx, p.event, target, Recipient{}, failed, now); err != nil {
			return err
		}
		if failed != nil {
			return nil // the target is down: try again after the backoff, in order
		}
	}
	return nil
}

// notifyPeople tells each recipient of p who has not been told (nor given up on)
// and is under the per-minute limit, then closes the event for the target once
// nobody is left. It reports whether the gateway failed (the round stops there).
func (s *Service) notifyPeople(ctx context.Context, nf PersonalNotifier, p pending, perMinute int, now time.Time) (bool, error) {
	target := nf.Target()
	people, err := s.Recipients(ctx, p.n)
	if err != nil {
		return false, err
	}
	done, err := s.settledRecipients(ctx, p.event, target)
	if err != nil {
		return false, err
	}
	complete := true
	for _, r := range people {
		who := s.recipientID(r.Mobile)
		if done[who] {
			continue
		}
		if wait, err := s.backingOff(ctx, target, who, now); err != nil || wait {
			if err != nil {
				return false, err
			}
			complete = false // refused recently: this person waits for the retry
			continue
		}
		if perMinute > 0 {
			recent, err := s.sentRecently(ctx, target, who, now)
			if err != nil {
				return false, err
			}
			if recent >= perMinute {
				complete = false // this person waits for a later round; the others are told now
				continue
			}
		}
		n := p.n
		n.Recipient = &r
		failed := nf.Notify(ctx, n)
		if err := s.record(ctx, p.event, target, r, failed, now); err != nil {
			return false, err
		}
		if errors.Is(failed, ErrRefused) {
			complete = false // only this person: the others are still told
			continue
		}
		if failed != nil {
			return true, nil
		}
	}
	if !complete {
		return false, nil
	}
	status := "sent"
	if len(people) == 0 {
		status = "no_recipient"
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO warning_notifications (event_id, target, recipient, status, attempts, last_error, sent_at, updated_at)
		VALUES ($1, $2, '', $3, 1, $4, $5, $5) ON CONFLICT (event_id, target, recipient) DO NOTHING`,
		p.event, target, status, fmt.Sprintf("%d 人 recipients", len(people)), now)
	if err != nil {
		return false, fmt.Errorf("alerting: record notification: %w", err)
	}
	return false, nil
}

// backingOff reports whether a failure is too recent to try again: with recipient
// "", whether target was down (status failed, any recipient); otherwise whether
// that recipient failed or was refused.
func (s *Service) backingOff(ctx context.Context, target, recipient string, now time.Time) (bool, error) {
	var attempts int
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT attempts, updated_at FROM warning_notifications
		WHERE target = $1 AND updated_at > $3 AND (($4 = '' AND status = 'failed')
			OR ($4 <> '' AND recipient = $4 AND status IN ('failed', 'refused') AND attempts < $2))
		ORDER BY updated_at DESC LIMIT 1`, target, notifyAttempts, now.Add(-retryMax), recipient).Scan(&attempts, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	return now.Before(at.Add(retryDelay(attempts))), nil
}

// sentRecently counts what target sent (to recipient, "" for the target itself) in
// the minute before now.
func (s *Service) sentRecently(ctx context.Context, target, recipient string, now time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM warning_notifications
		WHERE target = $1 AND recipient = $2 AND sent_at > $3`, target, recipient, now.Add(-time.Minute)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	return n, nil
}

// pendingFor lists, oldest first, the events of the last 24 h of the given kinds
// (all when nil) that target has not been told and not given up on.
func (s *Service) pendingFor(ctx context.Context, target string, kinds []string, now time.Time, limit int) ([]pending, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.id, w.id, w.warning_key, w.company_code, COALESCE(en.division_code, ''),
		COALESCE(en.park_code, ''), e.kind, e.level, e.step, e.tier, e.reason, e.at, COALESCE(en.name, ''), w.model,
		w.subject_name
		FROM warning_events e JOIN warnings w ON w.id = e.warning_id LEFT JOIN enterprises en ON en.code = w.company_code
		WHERE e.recorded_at > $2 AND ($5::text[] IS NULL OR e.kind = ANY($5)) AND NOT EXISTS (SELECT 1 FROM warning_notifications n
			WHERE n.event_id = e.id AND n.target = $1 AND n.recipient = ''
				AND (n.status IN ('sent', 'no_recipient') OR (n.status = 'refused' AND n.attempts >= $3)))
		ORDER BY e.id LIMIT $4`, target, now.Add(-notifyWindow), notifyAttempts, limit, kinds)
	if err != nil {
		return nil, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		err := r.Scan(&p.event, &p.n.ID, &p.n.Key, &p.n.Company, &p.n.Division, &p.n.Park, &p.n.Kind, &p.n.Level,
			&p.n.Step, &p.n.Tier, &p.n.Reason, &p.n.At, &p.n.CompanyName, &p.n.Model, &p.n.SubjectName)
		p.n.Event = p.event
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	return list, nil
}

// recipientID is how warning_notifications names a person: a pseudonym of the
// mobile (masked form and keyed digest), so the table tells people apart
// without holding their numbers.
func (s *Service) recipientID(mobile string) string {
	return s.cfg.Personal.Pseudonym(store.NotificationRecipientColumn, mobile)
}

// settledRecipients returns the recipient IDs of event already told by target, or
// given up on.
func (s *Service) settledRecipients(ctx context.Context, event int64, target string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT recipient FROM warning_notifications
		WHERE event_id = $1 AND target = $2 AND recipient <> '' AND (status = 'sent' OR (status = 'refused' AND attempts >= $3))`,
		event, target, notifyAttempts)
	if err != nil {
		return nil, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	out := map[string]bool{}
	var m string
	if _, err := pgx.ForEachRow(rows, []any{&m}, func() error { out[m] = true; return nil }); err != nil {
		return nil, fmt.Errorf("alerting: notify %s: %w", target, err)
	}
	return out, nil
}

// record stores one attempt to tell event to target (and recipient r). The status
// of a warning_notifications row is sent; failed (the target was down — retried
// with backoff, the target's later events waiting); refused (the gateway refused
// this recipient — retried with backoff, the others go on); or, on the row with
// recipient ” that closes an event for a personal notifier, sent or no_recipient.
func (s *Service) record(ctx context.Context, event int64, target string, r Recipient, failed error, now time.Time) error {
	status, msg, sentAt := "sent", "", any(now)
	switch {
	case errors.Is(failed, ErrRefused):
		status, msg, sentAt = "refused", failed.Error(), nil
		slog.Warn("alerting: notification refused", "target", target, "event", event, "err", failed)
	case failed != nil:
		status, msg, sentAt = "failed", failed.Error(), nil
		slog.Warn("alerting: notification failed", "target", target, "event", event, "err", failed)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO warning_notifications (event_id, target, recipient, recipient_name, status,
			attempts, last_error, sent_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8)
		ON CONFLICT (event_id, target, recipient) DO UPDATE SET status = EXCLUDED.status,
			attempts = warning_notifications.attempts + 1, last_error = EXCLUDED.last_error,
			sent_at = EXCLUDED.sent_at, updated_at = EXCLUDED.updated_at`,
		event, target, s.recipientID(r.Mobile), r.Name, status, msg, sentAt, now); err != nil {
		return fmt.Errorf("alerting: record notification: %w", err)
	}
	return nil
}
