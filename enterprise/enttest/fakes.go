package enttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// Outbox is a module's Publisher in its unit tests: like the foundation's, it
// checks the records with the seed's validator at Now and stages them into
// enterprise_outbox in the caller's transaction, so a record the platform
// would refuse fails the module's own test. A refused record is an EInvalid
// naming its place in the batch, with the validator's errors as details.
type Outbox struct{ Now func() time.Time }

// Stage implements enterprise.Publisher.
func (p Outbox) Stage(ctx context.Context, tx pgx.Tx, slug, company string, records ...any) error {
	t, err := schemas.Lookup(slug)
	if err != nil {
		return err
	}
	body, err := json.Marshal(records)
	if err != nil {
		return err
	}
	verdicts, err := validate.Batch(t, body, validate.Options{Now: p.Now()})
	if err != nil {
		return err
	}
	for _, v := range verdicts {
		if !v.OK() {
			return &chemguard.Error{Code: chemguard.EInvalid,
				MessageZH: fmt.Sprintf("第 %d 条记录不符合数据交换要求：%s", v.Index+1, v.Errors[0].MessageZH),
				MessageEN: fmt.Sprintf("record %d is refused: %s", v.Index+1, v.Errors[0].MessageEN), Details: v.Errors}
		}
	}
	for _, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO enterprise_outbox (company, slug, record) VALUES ($1, $2, $3)`, company, slug, b); err != nil {
			return err
		}
	}
	return nil
}

// Sent is one Notify call as the Notifier kept it: the people it reached.
type Sent struct {
	Company string
	To      []int64
	N       enterprise.Notice
}

// Notifier is a module's Notifier in its unit tests. Like the foundation's, a
// notice with a Key reaches each person once however often it is sent; a
// call that reaches nobody new is not kept. Safe for concurrent use.
type Notifier struct {
	mu   sync.Mutex
	seen map[string]bool
	sent []Sent
}

// Notify implements enterprise.Notifier.
func (n *Notifier) Notify(_ context.Context, company string, to []int64, notice enterprise.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	var fresh []int64
	for _, id := range to {
		k := fmt.Sprint(id, "|", notice.Key)
		if notice.Key != "" && n.seen[k] {
			continue
		}
		n.seen[k] = true
		fresh = append(fresh, id)
	}
	if len(fresh) > 0 {
		n.sent = append(n.sent, Sent{Company: company, To: fresh, N: notice})
	}
	return nil
}

// Take returns what was sent since the last Take, in order, and forgets it
// (the Keys already seen stay seen).
func (n *Notifier) Take() []Sent {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.sent
	n.sent = nil
	return out
}

// To returns the notices of kind that reached person id and were not taken.
func (n *Notifier) To(id int64, kind string) []enterprise.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []enterprise.Notice
	for _, s := range n.sent {
		if s.N.Kind != kind {
			continue
		}
		for _, to := range s.To {
			if to == id {
				out = append(out, s.N)
			}
		}
	}
	return out
}

// AuditLog is the audit log of a module's unit tests: it keeps every event.
// Safe for concurrent use.
type AuditLog struct {
	mu     sync.Mutex
	events []audit.Event
}

// Record implements the module's audit recorder.
func (l *AuditLog) Record(_ context.Context, e audit.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	return nil
}

// Events returns the events recorded so far, in order.
func (l *AuditLog) Events() []audit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]audit.Event(nil), l.events...)
}

// Count is how many events of actor, action and result were recorded.
func (l *AuditLog) Count(actor, action, result string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Actor == actor && e.Action == action && e.Result == result {
			n++
		}
	}
	return n
}

// ExchangeGet reads path of the platform's exchange API at base with the
// company's key, as the company's own system would: the status and the
// decoded JSON body (nil when it is not JSON).
func ExchangeGet(tb testing.TB, base, key, path string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(tb, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body
}
