package platform_test

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/platform"
)

// serve collects at three times the live heap (GOGC=200) under a soft memory limit
// unless the operator set GOGC or GOMEMLIMIT, whose values stand.
func TestTuneGCKeepsTheOperatorsSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	gcPercent := func() int { v := debug.SetGCPercent(100); debug.SetGCPercent(v); return v } // only a set reads it
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	gc, limit := platform.TuneGC(ctx, env(nil))
	assert.True(t, gc)
	assert.True(t, limit)
	assert.Equal(t, 200, gcPercent(), "applied to the runtime")
	assert.GreaterOrEqual(t, debug.SetMemoryLimit(-1), int64(352<<20))
	cancel()

	debug.SetGCPercent(50)
	debug.SetMemoryLimit(1 << 30)
	gc, limit = platform.TuneGC(context.Background(), env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}))
	assert.False(t, gc)
	assert.False(t, limit)
	assert.Equal(t, 50, gcPercent(), "the operator's GOGC stands")
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "and their GOMEMLIMIT")
}
