package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shandong-emergency/chemguard/auth/signing"
)

// Config configures a simulation run.
type Config struct {
	URL      string  // the platform's base URL
	Rate     float64 // at most this many records per second in all
	BadShare float64 // share of records deliberately broken (0.05 = 5 %)
	// Speed compresses the seed's upload frequencies of lists and statuses: 60 sends
	// the 10-minute device status every 10 seconds. 1 is real time. The plant's
	// readings, its alarms and special operations keep the wall clock at any speed:
	// the platform judges warnings on that clock, so compressing them would multiply
	// the incidents a regulator sees by Speed.
	Speed   float64
	Workers int // concurrent HTTP senders
	Seed    uint64
	// Secrets are the companies' signing secrets (same order as the keys): when
	// given, every upload is signed as a company's own system would
	// (X-Chemguard-Timestamp, -Nonce, -Signature; see docs/api-signing.md).
	Secrets []string
	// Now is the clock the records, their schedule and the signatures' timestamps
	// follow; nil: the machine's. A test gives the platform's own (CHEMGUARD_TEST_NOW),
	// or the platform would refuse every record as in the future and every signature
	// as outside its window.
	Now func() time.Time
}

// Stats counts what a run sent.
type Stats struct {
	Batches, Accepted, Rejected, Failed atomic.Int64
}

// Simulator streams every table for its companies at the seed's frequencies.
type Simulator struct {
	cfg       Config
	companies []Company
	keys      []string
	client    *http.Client
	Stats     Stats
}

// New returns a simulator for companies whose API keys are keys (same order).
func New(cfg Config, companies []Company, keys []string) *Simulator {
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Simulator{cfg: cfg, companies: companies, keys: keys,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers}}}
}

// Run streams until ctx ends. Every table's first upload happens within the first
// minute (daily lists arrive first), then each repeats at its frequency (see
// Config.Speed). The uploads and their records are those Replay makes.
func (s *Simulator) Run(ctx context.Context) error {
	sch := newSchedule(s.companies, s.cfg.Now(), s.cfg.Speed, s.cfg.Seed)
	work := make(chan upload, s.cfg.Workers*2)
	var wg sync.WaitGroup
	for w := 0; w < s.cfg.Workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, 11))
			for u := range work {
				s.send(ctx, wr, u)
			}
		}(s.cfg.Seed + uint64(w) + 1)
	}
	defer func() { close(work); wg.Wait() }()
	// A token bucket of records keeps the total under Rate.
	tokens, last := s.cfg.Rate, time.Now()
	for {
		if !sleepFor(ctx, sch.due().Sub(s.cfg.Now())) {
			return nil
		}
		u := sch.next()
		n := float64(len(u.Records))
		for {
			t := time.Now()
			tokens = min(s.cfg.Rate, tokens+t.Sub(last).Seconds()*s.cfg.Rate)
			last = t
			if tokens >= n || n > s.cfg.Rate {
				tokens -= n
				break
			}
			if !sleepFor(ctx, time.Duration((n-tokens)/s.cfg.Rate*float64(time.Second))) {
				return nil
			}
		}
		select {
		case work <- u:
		case <-ctx.Done():
			return nil
		}
	}
}

// sleepFor waits d (a due time less the clock's now) or until ctx ends; false when
// ctx ended.
func sleepFor(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

func (s *Simulator) send(ctx context.Context, r *rand.Rand, u upload) {
	recs := u.Records
	for i := range recs {
		if r.Float64() < s.cfg.BadShare {
			recs[i], _ = Corrupt(r, u.Table, recs[i])
		}
	}
	n := len(recs)
	if n == 0 {
		return // every point silent this time
	}
	secret := ""
	if u.index < len(s.cfg.Secrets) {
		secret = s.cfg.Secrets[u.index]
	}
	body, err := json.Marshal(recs)
	if err != nil {
		s.Stats.Failed.Add(int64(n))
		return
	}
	accepted, rejected, err := post(ctx, s.client, s.cfg.URL, s.keys[u.index], secret, u.Table.Slug, body, s.cfg.Now())
	s.Stats.Batches.Add(1)
	if err != nil {
		s.Stats.Failed.Add(int64(n))
		if ctx.Err() == nil {
			slog.Warn("simulate: upload failed", "company", u.Company.Code, "table", u.Table.Slug, "err", err)
		}
		return
	}
	s.Stats.Accepted.Add(int64(accepted))
	s.Stats.Rejected.Add(int64(rejected))
}

// Post sends one batch and returns the counts the platform answered with. A 422
// (every record refused) is an answer, not an error.
func Post(ctx context.Context, client *http.Client, base, key, slug string, recs any) (accepted, rejected int, err error) {
	body, err := json.Marshal(recs)
	if err != nil {
		return 0, 0, err
	}
	return PostRaw(ctx, client, base, key, slug, body)
}

// PostRaw is Post for an already encoded body.
func PostRaw(ctx context.Context, client *http.Client, base, key, slug string, body []byte) (accepted, rejected int, err error) {
	return post(ctx, client, base, key, "", slug, body, time.Time{})
}

// post sends a batch, signed with secret at signedAt when secret is not "".
func post(ctx context.Context, client *http.Client, base, key, secret, slug string, body []byte, signedAt time.Time) (accepted, rejected int, err error) {
	path := "/api/v1/exchange/" + slug
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if secret != "" {
		if err := signing.SignRequest(req.Header, secret, http.MethodPost, path, body, signedAt); err != nil {
			return 0, 0, err
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnprocessableEntity {
		return 0, 0, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	var rep struct{ Accepted, Rejected int }
	if err := json.Unmarshal(raw, &rep); err != nil {
		return 0, 0, fmt.Errorf("decode reply: %w", err)
	}
	return rep.Accepted, rep.Rejected, nil
}
