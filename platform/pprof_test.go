package platform

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The profiler is served on loopback only, and an address elsewhere is refused
// with the variable named.
func TestPprofOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:6060", ":6060", "example.com:6060", "nonsense"} {
		_, err := pprofListener(addr)
		assert.ErrorContains(t, err, "CHEMGUARD_PPROF_ADDR", addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := pprofListener("127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	require.NoError(t, servePprof(ctx, addr))
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(b), "heap profile")
}
