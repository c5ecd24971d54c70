package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
)

type memRecorder struct {
	mu  sync.Mutex
	evs []audit.Event
}

func (m *memRecorder) Record(_ context.Context, e audit.Event) error {
	m.mu.Lock()
	m.evs = append(m.evs, e)
	m.mu.Unlock()
	return nil
}

// A flood from one source is recorded as its first events and one summary row
// with the count; a quiet source is recorded in full.
func TestSamplerBoundsAFlood(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	rec := &memRecorder{}
	s := audit.NewSampler(rec, audit.SamplerConfig{PerSource: 3, Global: 50, Window: time.Minute, Now: func() time.Time { return now }})
	ev := audit.Event{Actor: "key:cgk_bad…", Action: audit.ActionExchangeRefused, Result: audit.ResultDenied}
	for i := 0; i < 1000; i++ {
		require.NoError(t, s.Record(ctx, "203.0.113.9", ev))
	}
	require.NoError(t, s.Record(ctx, "198.51.100.1", ev))
	assert.Len(t, rec.evs, 4, "3 of the flood and the quiet source's one")
	now = now.Add(61 * time.Second)
	require.NoError(t, s.Flush(ctx))
	require.Len(t, rec.evs, 5)
	sum := rec.evs[4]
	assert.Equal(t, audit.ActionExchangeRefusedSummary, sum.Action)
	d := sum.Detail.(map[string]any)
	assert.Equal(t, "203.0.113.9", d["source"])
	assert.Equal(t, 997, d["not_recorded"])
	// The next window starts afresh.
	require.NoError(t, s.Record(ctx, "203.0.113.9", ev))
	assert.Len(t, rec.evs, 6)
}

// Many sources together are bounded by the global share and the source cap.
func TestSamplerBoundsManySources(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	rec := &memRecorder{}
	s := audit.NewSampler(rec, audit.SamplerConfig{PerSource: 2, Global: 20, MaxSources: 100, Window: time.Minute,
		Now: func() time.Time { return now }})
	for i := 0; i < 5000; i++ {
		require.NoError(t, s.Record(ctx, fmt.Sprintf("10.0.%d.%d", i/250, i%250), audit.Event{Action: audit.ActionExchangeRefused}))
	}
	assert.Len(t, rec.evs, 20)
	now = now.Add(time.Minute)
	require.NoError(t, s.Flush(ctx))
	assert.LessOrEqual(t, len(rec.evs), 20+101, "at most one summary per tracked source and one for the rest")
}
