package platform_test

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/platform"
)

// serve collects at three times the live heap (GOGC=200) unless the operator set
// GOGC, whose value stands.
func TestTuneGCKeepsTheOperatorsSetting(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	gcPercent := func() int { v := debug.SetGCPercent(100); debug.SetGCPercent(v); return v } // only a set reads it
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}

	assert.True(t, platform.TuneGC(env(map[string]string{"GOMEMLIMIT": "1GiB"})))
	assert.Equal(t, 200, gcPercent(), "applied to the runtime")

	debug.SetGCPercent(50)
	assert.False(t, platform.TuneGC(env(map[string]string{"GOGC": "50"})))
	assert.Equal(t, 50, gcPercent(), "the operator's GOGC stands")
}
