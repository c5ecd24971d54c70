package mqttgw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/shandong-emergency/chemguard"
)

// The default per-gateway limits: a plant's 2,500 tags reporting once a
// second, each fix ≈ 100 bytes on the wire, fit with room to spare; a gateway
// may send LimitBurst worth at once (a backlog after a network outage comes
// in one 5,000-fix batch, the most a batch may carry).
const (
	DefaultFixesPerSecond = 2500
	DefaultBytesPerSecond = 1 << 20
	LimitBurst            = 2 * time.Second
)

// limiter keeps each gateway credential within its fixes/s and bytes/s: a
// token bucket of each per key, so one gateway flooding the broker spends
// only its own allowance and its surplus batches are refused before they
// cost a database transaction.
type limiter struct {
	fixes, bytes rate.Limit
	fixBurst     int
	byteBurst    int
	now          func() time.Time

	mu   sync.Mutex
	byID map[string]*buckets
}

type buckets struct{ fixes, bytes *rate.Limiter }

func newLimiter(cfg Config) *limiter {
	fixes, bytes := cfg.FixesPerSecond, cfg.BytesPerSecond
	if fixes <= 0 {
		fixes = DefaultFixesPerSecond
	}
	if bytes <= 0 {
		bytes = DefaultBytesPerSecond
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	return &limiter{fixes: rate.Limit(fixes), bytes: rate.Limit(bytes), now: now, byID: map[string]*buckets{},
		fixBurst: max(1, int(math.Ceil(fixes*LimitBurst.Seconds()))), byteBurst: max(1, int(math.Ceil(bytes*LimitBurst.Seconds())))}
}

// admit takes n fixes and size bytes from key's allowance, or refuses the
// batch whole — taking nothing — with how long to wait before resending.
func (l *limiter) admit(key string, n, size int) (*Refusal, bool) {
	l.mu.Lock()
	b := l.byID[key]
	if b == nil {
		b = &buckets{fixes: rate.NewLimiter(l.fixes, l.fixBurst), bytes: rate.NewLimiter(l.bytes, l.byteBurst)}
		l.byID[key] = b
	}
	l.mu.Unlock()
	now := l.now()
	if n > l.fixBurst || size > l.byteBurst {
		return l.refusal(fmt.Sprintf("本批 %d 条、%d 字节，超过单个网关 %s 内可上报的量，请拆分后重发", n, size, LimitBurst),
			fmt.Sprintf("the batch of %d fixes, %d bytes is more than a gateway may send in %s: split it", n, size, LimitBurst), 0), false
	}
	rf := b.fixes.ReserveN(now, n)
	rb := b.bytes.ReserveN(now, size)
	wait := max(rf.DelayFrom(now), rb.DelayFrom(now))
	if wait > 0 {
		rf.CancelAt(now)
		rb.CancelAt(now)
		return l.refusal(fmt.Sprintf("本批 %d 条定位数据未处理：超出网关限速，请 %.1f 秒后重发", n, wait.Seconds()),
			fmt.Sprintf("the batch of %d fixes was not read: over the gateway's rate limit; send it again in %.1f s", n, wait.Seconds()), wait), false
	}
	return nil, true
}

func (l *limiter) refusal(zh, en string, wait time.Duration) *Refusal {
	limit := fmt.Sprintf("（每个网关凭证每秒 %g 条、%g 字节）", float64(l.fixes), float64(l.bytes))
	return &Refusal{Code: chemguard.ERateLimited, MessageZH: zh + limit,
		MessageEN: en + fmt.Sprintf(" (%g fixes/s and %g bytes/s per gateway credential)", float64(l.fixes), float64(l.bytes)),
		Retry:     true, RetryAfter: math.Ceil(wait.Seconds()*10) / 10}
}

// countFixes counts the elements of a JSON array without decoding them; a
// payload that is not an array counts as one (Ingest refuses it whole).
func countFixes(payload []byte) int {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return 1
	}
	n := 0
	for dec.More() {
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
		n++
	}
	return max(n, 1)
}
