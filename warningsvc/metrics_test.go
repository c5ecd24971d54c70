package warningsvc

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// Each message with a publish time counts once, by its age at the moment given; a
// message without one (none from the broker has none) is left out, and a clock
// behind the publisher's counts as no delay rather than a negative one.
func TestObserveAgesPerMessage(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	observeAges(m.Stored, []bus.Message{
		{Time: at.Add(-300 * time.Millisecond)},
		{Time: at.Add(-100 * time.Millisecond)},
		{},
		{Time: at.Add(time.Second)},
	}, at)
	require.Equal(t, 1, testutil.CollectAndCount(m.Stored))
	got, err := testutil.GatherAndCount(reg, "chemguard_warning_stored_after_seconds")
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() == "chemguard_warning_stored_after_seconds" {
			h := f.GetMetric()[0].GetHistogram()
			assert.Equal(t, uint64(3), h.GetSampleCount())
			assert.InDelta(t, 0.4, h.GetSampleSum(), 1e-9)
			return
		}
	}
	t.Fatal("chemguard_warning_stored_after_seconds not gathered")
}
