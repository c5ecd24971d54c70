package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// A 200 to a POST means Kafka holds the batch; the sink writes it to PostgreSQL a
// moment later (typically well under a second). Without help, a GET by id sent right
// after the 200 can answer 404 or the previous version. Two things close that gap:
//
//   - The POST reply carries the batch's position (its receive time, to the
//     microsecond PostgreSQL keeps): header X-Chemguard-Position and field
//     "position". A GET by id with ?position=P waits, up to Config.ReadWait, until
//     the record's version received at or after P is stored — on any node.
//   - The node that accepted a batch remembers the position of each key it accepted
//     for ReadWait, so a client that simply GETs what it just POSTed to the same node
//     needs no parameter.
//
// If the bound passes first (the sink is down or lagging), GET answers what is stored
// (404 or the older version) with X-Chemguard-Pending: true, so nothing waits forever.

// positionLayout is the position's text: RFC 3339 with microseconds, the resolution
// of PostgreSQL's timestamptz, so a stored received_at compares equal, not less.
const positionLayout = "2006-01-02T15:04:05.000000Z07:00"

// Position is the position of a batch received at now.
func Position(now time.Time) string {
	return now.UTC().Truncate(time.Microsecond).Format(positionLayout)
}

func parsePosition(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, queryparam.Errorf("查询参数 position「%s」无效：请原样传回上传应答中的 position", "query parameter position %q is invalid: pass back the upload reply's position unchanged", s)
	}
	return t, nil
}

// recentKey names one table of one company.
type recentKey struct{ table, company string }

// recentWrites remembers, per table and company, when each key was last accepted by
// this node, for as long as a GET may wait for it.
type recentWrites struct {
	mu sync.Mutex
	m  map[recentKey]*recentBatch
}

type recentBatch struct {
	newest time.Time
	keys   map[string]time.Time
}

// maxRecentKeys bounds the keys remembered per table and company; past it the older
// ones are forgotten (their GET then needs ?position=).
const maxRecentKeys = 100000

func (r *recentWrites) add(table, company string, at time.Time, keys []string, keep time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[recentKey]*recentBatch{}
	}
	k := recentKey{table, company}
	b := r.m[k]
	if b == nil || at.Sub(b.newest) > keep || len(b.keys)+len(keys) > maxRecentKeys {
		b = &recentBatch{keys: make(map[string]time.Time, len(keys))}
		r.m[k] = b
	}
	b.newest = at
	for _, key := range keys {
		b.keys[key] = at
	}
	if len(r.m) > 50000 { // many idle companies: forget those past the wait
		for k, b := range r.m {
			if at.Sub(b.newest) > keep {
				delete(r.m, k)
			}
		}
	}
}

func (r *recentWrites) get(table, company, key string, now time.Time, keep time.Duration) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.m[recentKey{table, company}]
	if b == nil {
		return time.Time{}, false
	}
	at, ok := b.keys[key]
	if !ok || now.Sub(at) > keep {
		return time.Time{}, false
	}
	return at, true
}

// readPollInterval is how often a waiting GET asks the database again.
const readPollInterval = 20 * time.Millisecond

// current reads the record, waiting up to ReadWait for the version received at or
// after pos (zero: no wait) to be stored. pending says the bound passed first.
func (h *Handler) current(ctx context.Context, t *schemas.Table, company, key string, pos time.Time) (cur store.Current, pending bool, err error) {
	if pos.IsZero() {
		cur, err = h.records.Get(ctx, t, company, key)
		return cur, false, err
	}
	wctx, cancel := context.WithTimeout(ctx, h.cfg.ReadWait)
	defer cancel()
	tick := time.NewTicker(readPollInterval)
	defer tick.Stop()
	for {
		stored, err := h.records.StoredSince(wctx, t, company, key, pos)
		if err == nil && stored {
			break
		}
		if err != nil && wctx.Err() == nil {
			return cur, false, err
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return cur, false, ctx.Err()
			}
			pending = true
		case <-tick.C:
			continue
		}
		break
	}
	cur, err = h.records.Get(ctx, t, company, key)
	return cur, pending, err
}

// positionOf is the position a GET by id waits for: ?position= or, when this node
// accepted the key within ReadWait, that batch's.
func (h *Handler) positionOf(c *fiber.Ctx, t *schemas.Table, company, key string) (time.Time, error) {
	var pos time.Time
	if s := c.Query("position"); s != "" {
		p, err := parsePosition(s)
		if err != nil {
			return pos, err
		}
		pos = p
	}
	if at, ok := h.recent.get(t.Slug, company, key, h.clock(), h.cfg.ReadWait); ok && at.After(pos) {
		pos = at
	}
	return pos, nil
}
