package main_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
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
	assert.Contains(t, s, "end to end: 3000 records visible in PostgreSQL (ts_sensor_readings)")
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
	// The timeline: ten tenths of the run, every probe of the totals above in one
	// of them, the groups' lag and the machine sampled in the run.
	assert.Regexp(t, `timeline, tenths of \S+ \(the load's start until every group caught up\), [1-9]\d* samples`, s)
	tenth := regexp.MustCompile(`(?m)^  tenth (\d+) \([^)]*\): warning probes (\d+) \((\d+) missed\) [^;]*; fact probes (\d+) \((\d+) missed\) [^;]*;` +
		` (no samples|lag [\d?]+ / [\d?]+ / [\d?]+;( CPU served \d+ % PostgreSQL \d+ %;)? RSS \d+ MiB; backends CPU [\d.]+ IO [\d.]+ Lock [\d.]+ LWLock [\d.]+ Client [\d.]+ other [\d.]+ else [\d.]+)$`)
	tenths := tenth.FindAllStringSubmatch(s, -1)
	require.Len(t, tenths, 10, s)
	sum := func(m []string, i int) int { n, _ := strconv.Atoi(m[i]); return n }
	var warnings, warningMisses, facts, factMisses, sampled int
	for k, m := range tenths {
		assert.Equal(t, strconv.Itoa(k+1), m[1])
		warnings, warningMisses, facts, factMisses = warnings+sum(m, 2), warningMisses+sum(m, 3), facts+sum(m, 4), factMisses+sum(m, 5)
		if m[6] != "no samples" {
			sampled++
		}
	}
	assert.Positive(t, sampled)
	total := regexp.MustCompile(`under the load: (\d+) probes \((\d+) missed after 10 s\)`).FindStringSubmatch(s)
	require.NotNil(t, total)
	assert.Equal(t, sum(total, 1)+sum(total, 2), warnings)
	assert.Equal(t, sum(total, 2), warningMisses)
	total = regexp.MustCompile(`under the load: (\d+) probes \((\d+) missed after 1 min\)`).FindStringSubmatch(s)
	require.NotNil(t, total)
	assert.Equal(t, sum(total, 1)+sum(total, 2), facts)
	assert.Equal(t, sum(total, 2), factMisses)
}
