package positioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/sealed"
)

// MinRetention is the shortest track retention accepted: 指南 4.3 asks for at
// least 30 days of positions.
const MinRetention = 30 * 24 * time.Hour

// Config configures the service.
type Config struct {
	Now enterprise.Clock
	// Retention is how long fixes are kept as tracks (≥ MinRetention; 90 days
	// when zero).
	Retention time.Duration
	// MaxBatch is the most fixes one gateway request may carry (5000 when zero).
	MaxBatch int
	// Permits tells which special operations are under way (4.5(6)); the
	// permit module's tables when nil.
	Permits WorkPermits
	// Box seals the gateways' signing secrets with the platform's data key,
	// as the exchange keys' secrets are: a copy of the database alone does
	// not let anyone sign as a gateway. nil stores them as issued (tests).
	Box *sealed.Box
	// Metrics count the gateways' batches and fixes (both transports);
	// unregistered ones when nil.
	Metrics *Metrics
}

// ErrRetention is returned by Validate for a retention under 30 days.
var ErrRetention = errors.New("positioning: track retention must be at least 30 days (指南 4.3)")

// Validate checks cfg after defaults.
func (c Config) Validate() error {
	if c.Retention < MinRetention {
		return ErrRetention
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retention == 0 {
		c.Retention = 90 * 24 * time.Hour
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 5000
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return c
}

// WorkPermits answers which special operations are under way in a company at
// a time: their 作业位置, guardian and workers.
type WorkPermits interface {
	UnderWay(ctx context.Context, q Querier, company string, at time.Time) ([]WorkPermit, error)
}

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Service is the positioning module's logic. Every method taking a member
// touches only the member's company; the gateway's methods take the company
// its credential belongs to.
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	dir    enterprise.Directory
	pub    enterprise.Publisher
	notify enterprise.Notifier
	files  enterprise.Files
	live   *hub
}

// NewService returns the service; cfg's zero fields take defaults and an
// invalid cfg is an error.
func NewService(cfg Config, pool *pgxpool.Pool, dir enterprise.Directory, pub enterprise.Publisher, notify enterprise.Notifier, files enterprise.Files) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Permits == nil {
		cfg.Permits = permitTables{}
	}
	return &Service{cfg: cfg, pool: pool, dir: dir, pub: pub, notify: notify, files: files, live: newHub()}, nil
}

// Retention is the configured track retention.
func (s *Service) Retention() time.Duration { return s.cfg.Retention }

// manager reports whether m manages positioning (fences, tags, gateways,
// confirmation of handled alarms).
func manager(m *enterprise.Member) bool { return m.Has(enterprise.Managers...) }

func requireManager(m *enterprise.Member) error {
	if !manager(m) {
		return forbidden("仅企业管理员、主要负责人或安全管理员可以操作", "only the company's administrator, principal or safety officer may do this")
	}
	return nil
}

func textField(field, en string, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", invalid(field, "必填", en+" is required")
	}
	if utf8.RuneCountInString(v) > max {
		return "", invalid(field, fmt.Sprintf("不超过 %d 个字符", max), fmt.Sprintf("%s is at most %d characters", en, max))
	}
	return v, nil
}

// hub tells the live map's streams of a company that something changed.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[chan struct{}]struct{}{}} }

// subscribe returns a channel that receives a value after each change of
// company (coalesced: a slow reader sees one), and its cancel.
func (h *hub) subscribe(company string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[company] == nil {
		h.subs[company] = map[chan struct{}]struct{}{}
	}
	h.subs[company][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[company], ch)
		h.mu.Unlock()
	}
}

// kick makes ch deliver at once: a new stream starts with the picture as it is.
func (h *hub) kick(ch <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for c := range subs {
			if c == ch {
				select {
				case c <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (h *hub) changed(company string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[company] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a channel signalled after every change of company's live
// picture (fixes, alarms), coalesced, and the function that ends the
// subscription.
func (s *Service) Subscribe(company string) (<-chan struct{}, func()) {
	return s.live.subscribe(company)
}

// notifyManagers tells the company's safety officers and principals; urgent
// notices also go by SMS.
func (s *Service) notifyManagers(ctx context.Context, company string, extra []int64, n enterprise.Notice) error {
	seen := map[int64]bool{}
	var to []int64
	for _, id := range extra {
		if id != 0 && !seen[id] {
			seen[id] = true
			to = append(to, id)
		}
	}
	for _, r := range []policy.Role{policy.EnterpriseSafety, policy.EnterprisePrincipal} {
		people, err := s.dir.PeopleWithRole(ctx, company, r)
		if err != nil {
			return fmt.Errorf("positioning: notify: %w", err)
		}
		for _, p := range people {
			if !seen[p.UserID] {
				seen[p.UserID] = true
				to = append(to, p.UserID)
			}
		}
	}
	if len(to) == 0 {
		return nil
	}
	return s.notify.Notify(ctx, company, to, n)
}

// The foundation's refusals, under the short names this package's code uses.
var (
	notFound  = enterprise.NotFound
	forbidden = enterprise.Forbidden
	invalid   = enterprise.Invalid
)
