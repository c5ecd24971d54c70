package simulate

import (
	"bytes"
	"container/heap"
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

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/signing"
)

// Config configures a simulation run.
type Config struct {
	URL      string  // the platform's base URL
	Rate     float64 // at most this many records per second in all
	BadShare float64 // share of records deliberately broken (0.05 = 5 %)
	// Speed compresses the seed's frequencies: 60 sends the 10-minute device status
	// every 10 seconds. 1 is real time.
	Speed   float64
	Workers int // concurrent HTTP senders
	Seed    uint64
	// Secrets are the companies' signing secrets (same order as the keys): when
	// given, every upload is signed as a company's own system would
	// (X-Chemguard-Timestamp, -Nonce, -Signature; see docs/api-signing.md).
	Secrets []string
}

// Stats counts what a run sent.
type Stats struct {
	Batches, Accepted, Rejected, Failed atomic.Int64
}

// job is one company's next upload of one table.
type job struct {
	due     time.Time
	company int
	table   *schemas.Table
}

type jobHeap []job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(job)) }
func (h *jobHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Simulator streams every table for its companies at the seed's frequencies.
type Simulator struct {
	cfg       Config
	companies []Company
	keys      []string
	client    *http.Client
	start     time.Time
	Stats     Stats
}

// plantTime is the simulated plant's clock: it runs Speed times faster than the wall
// clock from the start of the run, so a day's temperature cycle, tank fills and
// leak episodes unfold within minutes at the default speed.
func (s *Simulator) plantTime(now time.Time) time.Time {
	return s.start.Add(time.Duration(float64(now.Sub(s.start)) * s.cfg.Speed))
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
	return &Simulator{cfg: cfg, companies: companies, keys: keys,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Workers}}}
}

// tablesFor lists what a company uploads: gas stations send the gas-station video
// tables, other companies everything else.
func tablesFor(c Company) []*schemas.Table {
	if c.GasStation {
		return []*schemas.Table{schemas.GasStationVideoDevices, schemas.GasStationVideoDeviceStatuses, schemas.GasStationVideoAlarms,
			schemas.EnterpriseInfos, schemas.Cameras, schemas.Commitments}
	}
	return []*schemas.Table{schemas.RiskUnits, schemas.RiskEvents, schemas.ControlMeasures, schemas.CheckTasks,
		schemas.CheckRecords, schemas.HiddenDangers, schemas.SpecialOperations, schemas.PositioningAlarms,
		schemas.VideoDevices, schemas.VideoDeviceStatuses, schemas.VideoAlarms,
		schemas.EnterpriseInfos, schemas.HazardSources, schemas.Indicators, schemas.SensorReadings,
		schemas.Cameras, schemas.Commitments}
}

// interval is how often a company uploads t: the seed's frequency, and for the
// real-time alarm tables an average of one alarm an hour per company.
func interval(t *schemas.Table) time.Duration {
	if t == schemas.SensorReadings {
		return 30 * time.Second // every monitored point, twice a minute
	}
	if t.Frequency.Interval == 0 {
		return time.Hour
	}
	return t.Frequency.Interval
}

// batchSize is how many records one upload of t carries.
func batchSize(r *rand.Rand, t *schemas.Table) int {
	switch t.Frequency.ID {
	case schemas.FrequencyDaily.ID, schemas.FrequencyDailyBy10am.ID:
		return 5 + r.IntN(10)
	case schemas.FrequencyHourly.ID:
		return 1 + r.IntN(4)
	case schemas.FrequencyTenMinutes.ID:
		return 4 // one status per analytics box
	}

	return 1
}

// Run streams until ctx ends. Every table's first upload happens within the first
// minute (daily lists arrive first), then each repeats at its frequency / Speed.
func (s *Simulator) Run(ctx context.Context) error {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 7))
	h := &jobHeap{}
	now := time.Now()
	spread := int64(float64(time.Minute)/s.cfg.Speed) + 1
	s.start = now
	for i, c := range s.companies {
		for _, t := range tablesFor(c) {
			due := now.Add(time.Duration(r.Int64N(spread)))
			if t == schemas.SensorReadings { // after the indicators that give them meaning
				due = due.Add(time.Duration(spread))
			}
			heap.Push(h, job{due: due, company: i, table: t})
		}
	}
	work := make(chan job, s.cfg.Workers*2)
	var wg sync.WaitGroup
	for w := 0; w < s.cfg.Workers; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(seed, 11))
			for j := range work {
				s.send(ctx, wr, j)
			}
		}(s.cfg.Seed + uint64(w) + 1)
	}
	defer func() { close(work); wg.Wait() }()
	// A token bucket of records keeps the total under Rate.
	tokens, last := s.cfg.Rate, time.Now()
	for h.Len() > 0 {
		j := heap.Pop(h).(job)
		if !sleepUntil(ctx, j.due) {
			return nil
		}
		n := float64(batchSize(r, j.table))
		if j.table == schemas.SensorReadings || j.table == schemas.Indicators {
			n = float64(len(Plant(s.companies[j.company]))) // one record per monitored point
		}
		for {
			t := time.Now()
			tokens = min(s.cfg.Rate, tokens+t.Sub(last).Seconds()*s.cfg.Rate)
			last = t
			if tokens >= n || n > s.cfg.Rate {
				tokens -= n
				break
			}
			if !sleepUntil(ctx, t.Add(time.Duration((n-tokens)/s.cfg.Rate*float64(time.Second)))) {
				return nil
			}
		}
		select {
		case work <- j:
		case <-ctx.Done():
			return nil
		}
		next := time.Duration(float64(interval(j.table)) / s.cfg.Speed)
		if j.table.Frequency.Interval == 0 && j.table != schemas.SensorReadings { // alarms: exponential gaps
			next = time.Duration(r.ExpFloat64() * float64(next))
		}
		j.due = j.due.Add(max(next, 100*time.Millisecond))
		heap.Push(h, j)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
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

func (s *Simulator) send(ctx context.Context, r *rand.Rand, j job) {
	c := s.companies[j.company]
	now := time.Now()
	var recs []Record
	switch j.table {
	case schemas.Indicators:
		recs = IndicatorRecords(c)
	case schemas.SensorReadings:
		recs = Readings(c, s.plantTime(now), now)
	default:
		recs = make([]Record, batchSize(r, j.table))
		for i := range recs {
			recs[i] = NewRecord(r, j.table, c, now)
			if j.table.Key == "DEVICE_CODE" {
				recs[i]["DEVICE_CODE"] = DeviceCode(c, i+1)
			}
		}
	}
	for i := range recs {
		if r.Float64() < s.cfg.BadShare {
			recs[i], _ = Corrupt(r, j.table, recs[i])
		}
	}
	n := len(recs)
	if n == 0 {
		return // every point silent this time
	}
	secret := ""
	if j.company < len(s.cfg.Secrets) {
		secret = s.cfg.Secrets[j.company]
	}
	body, err := json.Marshal(recs)
	if err != nil {
		s.Stats.Failed.Add(int64(n))
		return
	}
	accepted, rejected, err := post(ctx, s.client, s.cfg.URL, s.keys[j.company], secret, j.table.Slug, body)
	s.Stats.Batches.Add(1)
	if err != nil {
		s.Stats.Failed.Add(int64(n))
		if ctx.Err() == nil {
			slog.Warn("simulate: upload failed", "company", c.Code, "table", j.table.Slug, "err", err)
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
	return post(ctx, client, base, key, "", slug, body)
}

// post sends a batch, signed with secret when it is not "".
func post(ctx context.Context, client *http.Client, base, key, secret, slug string, body []byte) (accepted, rejected int, err error) {
	path := "/api/v1/exchange/" + slug
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	if secret != "" {
		if err := signing.SignRequest(req.Header, secret, http.MethodPost, path, body, time.Now()); err != nil {
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
