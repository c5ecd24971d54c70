package warningsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// notifyChannel is the PostgreSQL channel warning changes are announced on, from
// inside the transaction that stores them: a notice is sent only once the change
// is committed, and reaches every process's live stream.
const notifyChannel = "chemguard_warnings"

// Notice is one warning change as the live stream sends it.
type Notice struct {
	Event    int64     `json:"event_id,omitempty"` // the warning_events row (notifiers only)
	ID       int64     `json:"id"`
	Key      string    `json:"key"`
	Company  string    `json:"company_code"`
	Division string    `json:"division_code"`
	Park     string    `json:"park_code,omitempty"`
	Kind     string    `json:"kind"`
	Level    string    `json:"level"`
	Step     string    `json:"step"`
	Tier     string    `json:"tier"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
	// Filled for notifiers only: the names a message shows, and the person an SMS
	// goes to (PersonalNotifier).
	CompanyName string     `json:"company_name,omitempty"`
	Model       string     `json:"model,omitempty"`
	SubjectName string     `json:"subject_name,omitempty"`
	Recipient   *Recipient `json:"-"`
}

// notifySQL announces the change of the warning $1 (kind $2, reason $3, at $4).
const notifySQL = `SELECT pg_notify('` + notifyChannel + `', json_build_object('id', w.id, 'key', w.warning_key,
	'company_code', w.company_code, 'division_code', COALESCE(e.division_code, ''), 'park_code', COALESCE(e.park_code, ''),
	'kind', $2::text, 'level', w.level, 'step', w.step, 'tier', w.tier, 'reason', left($3::text, 2000),
	'at', $4::timestamptz)::text)
	FROM warnings w LEFT JOIN enterprises e ON e.code = w.company_code WHERE w.warning_key = $1`

// subscriber is one open live stream.
type subscriber struct {
	scope tiers.Scope
	ch    chan Notice
}

// streams fans notices out to the open live streams of this process.
type streams struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

func (s *streams) subscribe(scope tiers.Scope) *subscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := &subscriber{scope: scope, ch: make(chan Notice, 64)}
	if s.closed {
		close(sub.ch)
		return sub
	}
	if s.subs == nil {
		s.subs = map[*subscriber]struct{}{}
	}
	s.subs[sub] = struct{}{}
	return sub
}

func (s *streams) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[sub]; ok {
		delete(s.subs, sub)
		close(sub.ch)
	}
}

// publish hands n to every stream whose scope reaches its company. A stream too
// slow to take it is ended (its client reconnects and reads the list again).
func (s *streams) publish(n Notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		if !reaches(sub.scope, n) {
			continue
		}
		select {
		case sub.ch <- n:
		default:
			delete(s.subs, sub)
			close(sub.ch)
		}
	}
}

// close ends every stream and refuses new ones.
func (s *streams) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for sub := range s.subs {
		close(sub.ch)
	}
	s.subs = nil
}

// reaches reports whether scope covers the notice's company, as Scope.Where does in SQL.
func reaches(sc tiers.Scope, n Notice) bool {
	switch {
	case sc.All:
		return true
	case sc.Enterprise != "":
		return sc.Enterprise == n.Company
	case sc.Park != "":
		return sc.Park == n.Park
	}
	for _, c := range sc.Counties {
		if c == n.Division {
			return true
		}
	}
	return false
}

// CloseStreams ends every live stream of this process, so that an HTTP shutdown
// does not wait for them.
func (s *Service) CloseStreams() { s.streams.close() }

// listen receives the committed notices of every process until ctx ends.
func (s *Service) listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.listenOnce(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("alerting: listen failed, retrying", "err", err)
			bus.Sleep(ctx, time.Second)
		}
	}
}

func (s *Service) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("alerting: listen: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("alerting: listen: %w", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("alerting: listen: %w", err)
		}
		var notice Notice
		if err := json.Unmarshal([]byte(n.Payload), &notice); err != nil {
			slog.Error("alerting: unreadable notice", "err", err)
			continue
		}
		s.streams.publish(notice)
	}
}

// streamMaxAge ends a stream after this long; EventSource clients reconnect.
const streamMaxAge = 10 * time.Minute

// stream serves GET /warnings/stream: server-sent events, one per committed
// warning change in the caller's region (event name = the change kind, data = a
// Notice), and a comment every 15 s to keep proxies from closing it. The
// session is checked again every guard interval and before each event, and the
// stream ends once it was logged out, expired or its user disabled.
func (h *Handler) stream(c *fiber.Ctx) error {
	recheckEvery, check := h.guard.SessionCheck(c)
	sub := h.svc.streams.subscribe(tiers.ScopeOf(h.guard.Domain(c)))
	web.Push(c, web.Stream{Retry: 3 * time.Second, Comment: "预警实时推送 warnings live stream", Heartbeat: 15 * time.Second,
		MaxAge: streamMaxAge, Recheck: recheckEvery, Check: check}, sub.ch,
		func(w io.Writer, n Notice) error {
			b, err := json.Marshal(n)
			if err != nil {
				return err
			}
			web.WriteEvent(w, strconv.FormatInt(n.ID, 10), n.Kind, b)
			return nil
		},
		func() { h.svc.streams.unsubscribe(sub) })
	return nil
}
