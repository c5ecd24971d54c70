package platform

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The soft memory limit is 352 MiB until the live heap passes half of it, then twice
// the live heap: never a limit the live state alone would exceed.
func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	assert.Equal(t, int64(352<<20), memoryLimitFor(0))
	assert.Equal(t, int64(352<<20), memoryLimitFor(150<<20))
	assert.Equal(t, int64(384<<20), memoryLimitFor(192<<20))
	assert.Equal(t, int64(500<<20), memoryLimitFor(250<<20))
	assert.Equal(t, int64(4<<30), memoryLimitFor(2<<30))
	runtime.GC()
	assert.Positive(t, liveHeap(), "the runtime reports the live heap")
}
