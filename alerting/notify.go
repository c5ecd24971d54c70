package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notifier delivers warning changes to one target: a webhook, an SMS or IM
// gateway, the log. Deliveries are recorded per event and target
// (warning_notifications), so each change is told once and failures are retried.
type Notifier interface {
	// Target names the channel and recipient, e.g. "webhook:https://…"; it must be
	// stable, as deliveries are recorded under it.
	Target() string
	// Notify delivers one notice; an error is retried at later ticks.
	Notify(ctx context.Context, n Notice) error
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
	Client *http.Client // a 10 s timeout client when nil
}

// Target implements Notifier.
func (w Webhook) Target() string { return "webhook:" + w.URL }

// Notify implements Notifier.
func (w Webhook) Notify(ctx context.Context, n Notice) error {
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
	}
	return nil
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
// target is tried at most notifyAttempts times per event.
const (
	notifyWindow   = 24 * time.Hour
	notifyAttempts = 10
	notifyBatch    = 500
)

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

func (s *Service) notify(ctx context.Context, nf Notifier) error {
	now := s.cfg.Now()
	limit := notifyBatch
	if per := s.cfg.NotifyPerMinute; per > 0 {
		var recent int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM warning_notifications WHERE target = $1 AND sent_at > $2`,
			nf.Target(), now.Add(-time.Minute)).Scan(&recent); err != nil {
			return fmt.Errorf("alerting: notify %s: %w", nf.Target(), err)
		}
		if limit = min(limit, per-recent); limit <= 0 {
			return nil
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT e.id, w.id, w.warning_key, w.company_code, COALESCE(en.division_code, ''),
		COALESCE(en.park_code, ''), e.kind, e.level, e.step, e.tier, e.reason, e.at
		FROM warning_events e JOIN warnings w ON w.id = e.warning_id LEFT JOIN enterprises en ON en.code = w.company_code
		WHERE e.recorded_at > $2 AND NOT EXISTS (SELECT 1 FROM warning_notifications n
			WHERE n.event_id = e.id AND n.target = $1 AND (n.status = 'sent' OR n.attempts >= $3))
		ORDER BY e.id LIMIT $4`, nf.Target(), now.Add(-notifyWindow), notifyAttempts, limit)
	if err != nil {
		return fmt.Errorf("alerting: notify %s: %w", nf.Target(), err)
	}
	type pending struct {
		event int64
		n     Notice
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		err := r.Scan(&p.event, &p.n.ID, &p.n.Key, &p.n.Company, &p.n.Division, &p.n.Park, &p.n.Kind, &p.n.Level,
			&p.n.Step, &p.n.Tier, &p.n.Reason, &p.n.At)
		p.n.Event = p.event
		return p, err
	})
	if err != nil {
		return fmt.Errorf("alerting: notify %s: %w", nf.Target(), err)
	}
	for _, p := range list {
		status, msg, sentAt := "sent", "", any(now)
		failed := nf.Notify(ctx, p.n)
		if failed != nil {
			status, msg, sentAt = "failed", failed.Error(), nil
			slog.Warn("alerting: notification failed", "target", nf.Target(), "event", p.event, "err", failed)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO warning_notifications (event_id, target, status, attempts, last_error, sent_at, updated_at)
			VALUES ($1, $2, $3, 1, $4, $5, $6)
			ON CONFLICT (event_id, target) DO UPDATE SET status = EXCLUDED.status, attempts = warning_notifications.attempts + 1,
				last_error = EXCLUDED.last_error, sent_at = EXCLUDED.sent_at, updated_at = EXCLUDED.updated_at`,
			p.event, nf.Target(), status, msg, sentAt, now); err != nil {
			return fmt.Errorf("alerting: record notification: %w", err)
		}
		if failed != nil {
			return nil // the target is down: try again at the next tick, in order
		}
	}
	return nil
}
