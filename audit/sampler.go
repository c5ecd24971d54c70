package audit

import (
	"context"
	"sync"
	"time"
)

// SamplerConfig bounds how many refusals from one source are recorded one by
// one. The defaults keep every refusal of a misconfigured client visible and a
// flood to a few rows a minute.
type SamplerConfig struct {
	PerSource  int           // rows per source per window (10)
	Global     int           // rows per window from all sources together (600)
	Window     time.Duration // one minute
	MaxSources int           // sources tracked per window; the rest share one ("*") (10000)
	Now        func() time.Time
}

func (c *SamplerConfig) defaults() {
	if c.PerSource <= 0 {
		c.PerSource = 10
	}
	if c.Global <= 0 {
		c.Global = 600
	}
	if c.Window <= 0 {
		c.Window = time.Minute
	}
	if c.MaxSources <= 0 {
		c.MaxSources = 10000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Sampler records events that anyone can cause at will (refused exchange
// requests) without letting them fill the log: per window, the first PerSource
// events of a source are recorded as they come; the rest are counted and, once
// the window is over, recorded as one summary row per source with the count.
// It is safe for concurrent use.
type Sampler struct {
	rec Recorder
	cfg SamplerConfig

	mu      sync.Mutex
	start   time.Time
	total   int
	sources map[string]*sampled
}

type sampled struct {
	recorded, suppressed int
	last                 Event
}

// OverflowSource is the source that stands for every source beyond MaxSources.
const OverflowSource = "*"

// NewSampler returns a sampler recording into rec.
func NewSampler(rec Recorder, cfg SamplerConfig) *Sampler {
	cfg.defaults()
	return &Sampler{rec: rec, cfg: cfg, start: cfg.Now(), sources: map[string]*sampled{}}
}

// Record records e unless source has used up its share of the window, in which
// case it is counted for the window's summary. A window that has ended is
// summarised first.
func (s *Sampler) Record(ctx context.Context, source string, e Event) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	src, ok := s.sources[source]
	if !ok && len(s.sources) >= s.cfg.MaxSources {
		source = OverflowSource
		src, ok = s.sources[source]
	}
	if !ok {
		src = &sampled{}
		s.sources[source] = src
	}
	write := src.recorded < s.cfg.PerSource && s.total < s.cfg.Global
	if write {
		src.recorded++
		s.total++
	} else {
		src.suppressed++
		src.last = e
	}
	s.mu.Unlock()
	if !write {
		return nil
	}
	return s.rec.Record(ctx, e)
}

// Flush records the summaries of a window that has ended (nothing when the
// current one is still open). Run calls it every window, so a flood's count is
// recorded even when nothing follows it.
func (s *Sampler) Flush(ctx context.Context) error {
	now := s.cfg.Now()
	s.mu.Lock()
	if now.Sub(s.start) < s.cfg.Window {
		s.mu.Unlock()
		return nil
	}
	start, sources := s.start, s.sources
	s.start, s.total, s.sources = now, 0, map[string]*sampled{}
	s.mu.Unlock()
	for source, src := range sources {
		if src.suppressed == 0 {
			continue
		}
		e := src.last
		e.Action, e.Result = ActionExchangeRefusedSummary, ResultDenied
		e.Detail = map[string]any{"source": source, "recorded": src.recorded, "not_recorded": src.suppressed,
			"from": start.UTC().Format(time.RFC3339), "to": now.UTC().Format(time.RFC3339),
			"note": "同一来源在该时间窗内的其余拒绝只计数不逐条记录 / further refusals from this source in the window were counted, not recorded one by one"}
		if err := s.rec.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Run flushes every window until ctx ends, then once more; failures are
// reported to onErr.
func (s *Sampler) Run(ctx context.Context, onErr func(error)) {
	t := time.NewTicker(s.cfg.Window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}
