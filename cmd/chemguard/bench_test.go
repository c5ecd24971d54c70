package main_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
)

// `chemguard bench` runs the platform as served: `chemguard serve` as a process of
// its own with every consumer group, a small load over HTTP followed to PostgreSQL
// and through every group, the figures reported. It asserts what the run must
// show (every record stored, every group caught up, each figure present, the
// probes of a warning and of a governance fact read back under the load), never a
// rate: a benchmark is not a timed test.
func TestBenchServesTheRealProcess(t *testing.T) {
	t.Parallel()
	base := pgtest.ServerURL(t)
	bin := buildBinary(t)
	cmd := exec.Command(bin, "bench", "--records", "3000", "--companies", "3", "--batch", "250", "--concurrency", "2",
		"--table", "sensor-readings", "--points", "20", "--profile", t.TempDir(), "--rate", "1000", "--probe-every", "300ms")
	cmd.Env = append(os.Environ(), "CHEMGUARD_DATABASE_URL="+base)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	s := string(out)
	t.Log(s)
	assert.Regexp(t, `bench served: chemguard serve pid \d+ on http://127\.0\.0\.1:\d+, 3000 sensor-readings records`, s)
	assert.Regexp(t, `HTTP: 12 requests \(0 failed, 0 records refused\)`, s)
	assert.Contains(t, s, "end to end: 3000 records visible in PostgreSQL (x_sensor_readings_history)")
	for _, g := range []string{"chemguard-sink", "chemguard-warning", "chemguard-governance"} {
		assert.Regexp(t, `consumer group `+g+` caught up at `, s)
	}
	assert.Regexp(t, `acknowledged → visible lag: p50 \S+  p99 \S+  max \S+ \(0 records never seen\)`, s)
	assert.Regexp(t, `served process: [0-9.]+ CPU s over the run = [0-9.]+ CPU s per 1,000 records; RSS at end \d+ MiB, peak \d+ MiB`, s)
	assert.Regexp(t, `(PostgreSQL \(postmaster \d+ and its backends\)|PostgreSQL CPU not measured: )`, s)
	assert.Regexp(t, `ceiling, plain COPY of the same rows in the same database: \d+ rows/s`, s)
	assert.Regexp(t, `profiles: .*sensor-readings\.\{cpu,allocs\}\.pprof`, s)
	// The probes' own readings are not counted as the load's (3000 above).
	assert.Regexp(t, `HIGH_HIGH reading → warning readable via GET /api/v1/warnings, under the load: [1-9]\d* probes \(\d+ missed after 10 s\): p50 \S+  p99 \S+  max \S+`, s)
	assert.Regexp(t, `late reading → governance fact stored \(governance_facts\), under the load: [1-9]\d* probes \(\d+ missed after 1 min\): p50 \S+`, s)
}
