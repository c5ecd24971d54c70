package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

func TestParseProcStatCPUCountsFromTheLastParenthesis(t *testing.T) {
	// A command name with spaces and a ')' of its own: fields are counted after the last ')'.
	stat := "4242 (chem guard) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 12 0 100 2000000 5000 18446744073709551615\n"
	cpu, err := parseProcStatCPU([]byte(stat))
	require.NoError(t, err)
	assert.Equal(t, 18010*time.Millisecond, cpu) // (1234 + 567) ticks at 100 Hz

	_, err = parseProcStatCPU([]byte("4242 chemguard S 1"))
	assert.ErrorContains(t, err, "without a command name")
	_, err = parseProcStatCPU([]byte("4242 (chemguard) S 1 2 3"))
	assert.ErrorContains(t, err, "fields after the name")
	_, err = parseProcStatCPU([]byte("1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 5 0"))
	assert.ErrorContains(t, err, `"x"`)
}

func TestParseStatusBytes(t *testing.T) {
	status := "Name:\tchemguard\nVmPeak:\t 2000000 kB\nVmHWM:\t  409600 kB\nVmRSS:\t  204800 kB\n"
	hwm, err := parseStatusBytes([]byte(status), "VmHWM")
	require.NoError(t, err)
	assert.Equal(t, int64(400<<20), hwm)
	rss, err := parseStatusBytes([]byte(status), "VmRSS")
	require.NoError(t, err)
	assert.Equal(t, int64(200<<20), rss)
	_, err = parseStatusBytes([]byte(status), "VmSwap")
	assert.ErrorContains(t, err, "no VmSwap line")
	_, err = parseStatusBytes([]byte("VmRSS:\t 12 MB\n"), "VmRSS")
	assert.ErrorContains(t, err, "want N kB")
}

// This process's own /proc entries read as a live process: CPU grows with work,
// the peak is at least the current resident set.
func TestReadProcOfThisProcess(t *testing.T) {
	s0, err := readProc(os.Getpid())
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	var s1 procSample
	for x := 0; ; x++ { // burn CPU until the kernel's tick counts it
		_ = strings.Repeat("x", x%1000)
		if x%100000 == 0 {
			s1, err = readProc(os.Getpid())
			require.NoError(t, err)
			if s1.CPU > s0.CPU || time.Now().After(deadline) {
				break
			}
		}
	}
	assert.Greater(t, s1.CPU, s0.CPU)
	assert.Positive(t, s1.RSS)
	assert.GreaterOrEqual(t, s1.PeakRSS, s1.RSS)
}

func TestAckCurveSortsAndAccumulates(t *testing.T) {
	c := ackCurve([]mark{{300 * time.Millisecond, 5}, {100 * time.Millisecond, 10}, {200 * time.Millisecond, 0}})
	assert.Equal(t, curve{{100 * time.Millisecond, 10}, {200 * time.Millisecond, 10}, {300 * time.Millisecond, 15}}, c)
	at, ok := c.reached(11)
	assert.True(t, ok)
	assert.Equal(t, 300*time.Millisecond, at)
	at, ok = c.reached(10)
	assert.True(t, ok)
	assert.Equal(t, 100*time.Millisecond, at)
	_, ok = c.reached(16)
	assert.False(t, ok)
}

func TestLagsRecordByRecord(t *testing.T) {
	ms := time.Millisecond
	acked := curve{{100 * ms, 2}, {200 * ms, 4}}
	// Visible: the first record at 150 ms, three at 400 ms; the fourth never.
	visible := curve{{150 * ms, 1}, {400 * ms, 3}}
	l, missing := lags(acked, visible)
	assert.Equal(t, []time.Duration{50 * ms, 300 * ms, 200 * ms}, l)
	assert.Equal(t, int64(1), missing)

	// Visible before acknowledged (the reply was slow to arrive): no negative lag.
	l, missing = lags(curve{{500 * ms, 2}}, curve{{450 * ms, 2}})
	assert.Equal(t, []time.Duration{0, 0}, l)
	assert.Zero(t, missing)

	l, missing = lags(nil, visible)
	assert.Empty(t, l)
	assert.Zero(t, missing)
}

func TestQuantileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 50*time.Millisecond, quantile(d, 0.50))
	assert.Equal(t, 99*time.Millisecond, quantile(d, 0.99))
	assert.Equal(t, 100*time.Millisecond, quantile(d, 1))
	assert.Equal(t, 1*time.Millisecond, quantile(d, 0))
	assert.Equal(t, 7*time.Millisecond, quantile([]time.Duration{7 * time.Millisecond}, 0.99))
	assert.Zero(t, quantile(nil, 0.5))
	assert.Equal(t, "p50 2ms  p99 3ms  max 3ms", summary([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}))
	assert.Equal(t, "none", summary(nil))
}

func TestMetricValue(t *testing.T) {
	text := `# HELP chemguard_sink_batch_records Messages per sink batch.
# TYPE chemguard_sink_batch_records histogram
chemguard_sink_batch_records_bucket{le="1"} 0
chemguard_sink_batch_records_sum 123456
chemguard_sink_batch_records_sum_other 9
chemguard_sink_batch_records_count 31
`
	v, err := metricValue(strings.NewReader(text), "chemguard_sink_batch_records_sum")
	require.NoError(t, err)
	assert.Equal(t, 123456.0, v)
	_, err = metricValue(strings.NewReader(text), "chemguard_missing")
	assert.ErrorContains(t, err, "not exposed")
	v, err = metricValue(strings.NewReader("m 1.5e+06\n"), "m")
	require.NoError(t, err)
	assert.Equal(t, 1.5e6, v)
}

// The bench's scrape of /metrics (40 a second) asks for the exposition uncompressed,
// so the served process does not gzip it each time, and reads the sample from it.
func TestMetricScrapeUncompressed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "identity" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "want identity and the token, got "+r.Header.Get("Accept-Encoding"), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "chemguard_sink_batch_records_sum 42")
	}))
	defer srv.Close()
	s := &served{url: srv.URL, token: "tok"}
	v, err := s.metric(context.Background(), srv.Client(), "chemguard_sink_batch_records_sum")
	require.NoError(t, err)
	assert.Equal(t, 42.0, v)
}

// The report's lines on the engines' stored states read runner.Writes' counters as
// the served process exposes them (labels and all); a served binary without them
// reports nothing.
func TestStateWritesReadFromTheRunnersCounters(t *testing.T) {
	reg := prometheus.NewRegistry()
	alerting, quality := runner.NewWrites(reg, "alerting"), runner.NewWrites(reg, "quality")
	alerting.Rows.WithLabelValues("whole").Add(3)
	alerting.Rows.WithLabelValues("fresh").Add(40)
	alerting.Bytes.WithLabelValues("head").Add(2.5e6)
	quality.Rows.WithLabelValues("fresh").Add(7)
	quality.Bytes.WithLabelValues("items").Add(1e5)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	s := &served{url: srv.URL, token: "tok"}
	assert.Equal(t, []string{
		"alerting states stored: 3 rows whole (heads 2.5 MB), 40 with the fresh part alone; fresh parts 0.0 MB, items 0.0 MB",
		"quality states stored: 0 rows whole (heads 0.0 MB), 7 with the fresh part alone; fresh parts 0.0 MB, items 0.1 MB",
	}, s.stateWrites(context.Background(), srv.Client()))

	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "chemguard_sink_batch_records_sum 42")
	}))
	defer old.Close()
	assert.Empty(t, (&served{url: old.URL}).stateWrites(context.Background(), old.Client()))
}

// Time-series records are distinct facts of a fixed set of points per company, the
// newest at now; every record is in exactly one request of its company's key.
func TestBuildRequestsDistinctFacts(t *testing.T) {
	comps := simulate.Companies(3, 42)
	keys := []string{"k0", "k1", "k2"}
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, schemas.Shanghai)
	reqs := buildRequests(schemas.SensorReadings, servedOptions{records: 3000, batch: 400, points: 50}, comps, keys, now)
	seen := map[string]bool{}
	total := 0
	for i, q := range reqs {
		var recs []map[string]any
		require.NoError(t, json.Unmarshal(q.body, &recs))
		assert.Len(t, recs, q.records)
		assert.Equal(t, keys[i%3], q.key)
		for _, r := range recs {
			point, at := r["INDICATOR_CODE"].(string), r["COLLECT_TIME"].(string)
			assert.True(t, strings.HasPrefix(point, comps[i%3].Code+"-P"), point)
			fact := point + "@" + at
			assert.False(t, seen[fact], "fact %s twice", fact)
			seen[fact] = true
			ts, err := time.ParseInLocation(schemas.DateTimeLayout, at, schemas.Shanghai)
			require.NoError(t, err)
			assert.False(t, ts.After(now), at)
		}
		total += len(recs)
	}
	assert.Equal(t, 3000, total)
	assert.Len(t, seen, 3000)
}

// In a paced run every record is taken when its request is sent: the time written
// into the body is the request's planned send time, and with the points
// pacedPoints gives no point reports twice in a second.
func TestBuildRequestsPacedStampsTheSendTime(t *testing.T) {
	comps := simulate.Companies(4, 42)
	keys := []string{"k0", "k1", "k2", "k3"}
	const rate, batch = 2000.0, 200
	points := pacedPoints(100, batch, len(comps), rate)
	assert.Equal(t, 600, points, "500 a second per company, in whole batches of 200")
	assert.Equal(t, 900, pacedPoints(900, batch, len(comps), rate), "enough points stay")
	assert.Equal(t, 100, pacedPoints(100, batch, len(comps), 0), "unpaced: as given")

	built := time.Date(2026, 12, 5, 10, 0, 0, 0, schemas.Shanghai)
	reqs := buildRequests(schemas.SensorReadings, servedOptions{records: 20000, batch: batch, points: points, rate: rate},
		comps, keys, built)
	start := built.Add(47*time.Second + 300*time.Millisecond) // the load starts after the build
	seen := map[string]bool{}
	before := 0
	for i, q := range reqs {
		planned := plannedAt(start, before, rate)
		q.stamp(planned)
		var recs []map[string]any
		require.NoError(t, json.Unmarshal(q.body, &recs), "request %d", i)
		require.Len(t, q.stampAt, q.records)
		for _, r := range recs {
			at := r["COLLECT_TIME"].(string)
			assert.Equal(t, planned.In(schemas.Shanghai).Format(schemas.DateTimeLayout), at)
			fact := r["INDICATOR_CODE"].(string) + "@" + at
			require.False(t, seen[fact], "fact %s twice", fact)
			seen[fact] = true
		}
		before += q.records
	}
	assert.Len(t, seen, 20000)
	assert.Equal(t, start.Add(9*time.Second+900*time.Millisecond), plannedAt(start, 19800, rate), "the last request")
}

// A postmaster's CPU counts its own time, the backends it reaped and its live
// backends, not other processes'.
func TestTreeCPU(t *testing.T) {
	line := func(pid, ppid int, utime, stime, cutime, cstime int) []byte {
		return fmt.Appendf(nil, "%d (postgres: x) S %d 1 1 0 -1 0 0 0 0 0 %d %d %d %d 20 0 1 0", pid, ppid, utime, stime, cutime, cstime)
	}
	stats := map[int][]byte{
		100: line(100, 1, 10, 5, 300, 200), // postmaster: 0.15 s own, 5 s reaped
		101: line(101, 100, 40, 10, 0, 0),  // backend: 0.5 s
		102: line(102, 100, 100, 0, 0, 0),  // backend: 1 s
		200: line(200, 1, 900, 900, 0, 0),  // someone else's
		201: line(201, 200, 900, 0, 0, 0),  // someone else's child
		300: []byte("garbage"),             // ended while read
	}
	cpu, err := treeCPU(100, stats)
	require.NoError(t, err)
	assert.Equal(t, 6650*time.Millisecond, cpu)
	_, err = treeCPU(999, stats)
	assert.Error(t, err)
}

// The timeline puts each probe in the tenth it was sent in and each sample in the
// tenth it was taken in: lag is the tenth's largest, CPU the tenth's use over its
// samples' span, backends the average per sample.
func TestReportTimelineByTenth(t *testing.T) {
	s := time.Second
	moments := []moment{
		{at: 0, lag: []int64{0, 0, 0}, cpu: 0, pgCPU: 0, rss: 100 << 20, active: map[string]int{"CPU": 2}},
		{at: 5 * s, lag: []int64{900, 7, 0}, cpu: 5 * s, pgCPU: 2500 * time.Millisecond, rss: 300 << 20, active: map[string]int{"IO": 1}},
		{at: 10 * s, lag: []int64{400, -1, 3}, cpu: 6 * s, pgCPU: 5 * s, rss: 200 << 20, active: map[string]int{"Lock": 4, "Extension": 2}},
		{at: 95 * s, lag: []int64{0, 0, 0}, cpu: 7 * s, pgCPU: 5 * s, rss: 150 << 20, active: map[string]int{}},
	}
	warning := []probeOutcome{
		{at: 1 * s, took: 100 * time.Millisecond, acked: 30 * time.Millisecond, read: 8 * time.Millisecond, ok: true},
		{at: 2 * s, took: 300 * time.Millisecond, acked: 20 * time.Millisecond, read: 90 * time.Millisecond, ok: true},
		{at: 3 * s, acked: 10 * time.Millisecond, ok: false},
		{at: 12 * s, took: 50 * time.Millisecond, acked: 5 * time.Millisecond, read: 4 * time.Millisecond, ok: true},
	}
	fact := []probeOutcome{{at: 99 * s, took: 2 * s, ok: true}}
	acked, after, read := ackedAndAfter(warning)
	assert.Equal(t, []time.Duration{30 * time.Millisecond, 20 * time.Millisecond, 5 * time.Millisecond}, acked,
		"the POST's part of each readable probe, the missed one left out")
	assert.Equal(t, []time.Duration{70 * time.Millisecond, 280 * time.Millisecond, 45 * time.Millisecond}, after)
	assert.Equal(t, []time.Duration{8 * time.Millisecond, 90 * time.Millisecond, 4 * time.Millisecond}, read,
		"the GET that found each readable probe")
	var b strings.Builder
	reportTimeline(&b, 100*s, moments, warning, fact)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	require.Len(t, lines, 11, b.String())
	assert.Contains(t, lines[0], "tenths of 1m40s")
	assert.Contains(t, lines[0], "4 samples")
	assert.Contains(t, lines[0], "chemguard-sink / chemguard-warning / chemguard-governance")
	assert.Equal(t, "  tenth 1 (0s–10s): warning probes 3 (1 missed) p50 100ms  p99 300ms  max 300ms; fact probes 0 (0 missed) none;"+
		" lag 900 / 7 / 0; CPU served 100 % PostgreSQL 50 %; RSS 300 MiB; backends CPU 1.0 IO 0.5 Lock 0.0 LWLock 0.0 Client 0.0 other 0.0 else 0.0", lines[1])
	assert.Equal(t, "  tenth 2 (10s–20s): warning probes 1 (0 missed) p50 50ms  p99 50ms  max 50ms; fact probes 0 (0 missed) none;"+
		" lag 400 / ? / 3; CPU served 20 % PostgreSQL 50 %; RSS 200 MiB; backends CPU 0.0 IO 0.0 Lock 4.0 LWLock 0.0 Client 0.0 other 0.0 else 2.0", lines[2])
	assert.Equal(t, "  tenth 3 (20s–30s): warning probes 0 (0 missed) none; fact probes 0 (0 missed) none; no samples", lines[3])
	assert.Equal(t, "  tenth 10 (1m30s–1m40s): warning probes 0 (0 missed) none; fact probes 1 (0 missed) p50 2s  p99 2s  max 2s;"+
		" lag 0 / 0 / 0; CPU served 1 % PostgreSQL 0 %; RSS 150 MiB; backends CPU 0.0 IO 0.0 Lock 0.0 LWLock 0.0 Client 0.0 other 0.0 else 0.0", lines[10])
}

// A histogram is read from the exposition as promhttp writes it, and its quantiles
// are the upper bounds of the buckets they fall in.
func TestHistogramQuantiles(t *testing.T) {
	exposition := `# HELP chemguard_warning_batch_seconds Time to store one warning-consumer batch.
# TYPE chemguard_warning_batch_seconds histogram
chemguard_warning_batch_seconds_bucket{le="0.001"} 0
chemguard_warning_batch_seconds_bucket{le="0.002"} 10
chemguard_warning_batch_seconds_bucket{le="0.004"} 90
chemguard_warning_batch_seconds_bucket{le="0.008"} 99
chemguard_warning_batch_seconds_bucket{le="+Inf"} 100
chemguard_warning_batch_seconds_sum 0.4
chemguard_warning_batch_seconds_count 100
chemguard_warning_batch_seconds_other 3
`
	h, err := readHistogram(strings.NewReader(exposition), "chemguard_warning_batch_seconds")
	require.NoError(t, err)
	assert.Equal(t, 100.0, h.count)
	assert.Equal(t, 0.4, h.sum)
	assert.Equal(t, 0.004, h.quantile(0.5))
	assert.Equal(t, 0.008, h.quantile(0.99))
	assert.True(t, math.IsInf(h.quantile(0.999), 1), "past the last finite bound")
	_, err = readHistogram(strings.NewReader(exposition), "chemguard_sink_batch_seconds")
	require.Error(t, err, "a family not exposed")
}
