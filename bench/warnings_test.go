package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
)

// `bench --scenario warnings` with small settings — a load that ends within a
// second or two — still probes: under the load while it lasts, then after it.
func TestBenchWarningsSmallLoad(t *testing.T) {
	base := pgtest.ServerURL(t)
	var out bytes.Buffer
	err := runWarnings(context.Background(), base, warningOptions{companies: 3, indicators: 5, readings: 60, batch: 1000,
		concurrency: 2, probes: 3, rate: 2000}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "background load: 900 readings accepted")
	assert.Regexp(t, `(under load: \d+ probes|after the load: \d+ probes)`, out.String())
	t.Log(out.String())
}
