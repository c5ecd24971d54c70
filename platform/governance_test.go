package platform_test

import (
	"encoding/json"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/quality"
	"github.com/shandong-emergency/chemguard/tiers"
)

// govClock is the governance service's fake clock.
type govClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *govClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *govClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorded is platform/testdata/governance_recorded.json: an indicator and readings
// as a company's system sent them, with their COLLECT_TIME as an offset from now.
type recorded struct {
	Indicators []map[string]any `json:"indicators"`
	Readings   []recordedValue  `json:"readings"`
	Returning  []recordedValue  `json:"returning"`
}

type recordedValue struct {
	Indicator string      `json:"INDICATOR_CODE"`
	Value     json.Number `json:"VALUE"`
	Offset    int         `json:"offset_s"`
}

func (v recordedValue) record(now time.Time) map[string]any {
	return map[string]any{"INDICATOR_CODE": v.Indicator, "VALUE": v.Value,
		"COLLECT_TIME": stamp(now.Add(time.Duration(v.Offset) * time.Second))}
}

func openKinds(tb testing.TB, r reply) []string {
	tb.Helper()
	require.Equal(tb, http.StatusOK, r.Status, string(r.Raw))
	var out []string
	for _, f := range r.Body["open_facts"].([]any) {
		out = append(out, f.(map[string]any)["kind"].(string))
	}
	return out
}

// Recorded readings sent through the exchange API reach the governance consumer; a
// company that stops sending goes offline (数据采集离线) once the limit has passed on
// the governance clock, and back online when data returns — the fact closed, with its
// start and end, as a county regulator reads it. Another county's regulator is refused.
func TestCompanyGoesOfflineAndBackOnlineThroughThePipeline(t *testing.T) {
	raw, err := os.ReadFile("testdata/governance_recorded.json")
	require.NoError(t, err)
	var rec recorded
	require.NoError(t, json.Unmarshal(raw, &rec))

	clk := &govClock{t: time.Now()}
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewDatabase(t), DataDir: t.TempDir(),
		Governance: quality.Config{Now: clk.Now, Tick: 100 * time.Millisecond}})
	const code, county = "370102951", "370102"
	key := addCompany(t, app.App, code, county)
	addUser(t, app.App, "lixia", tiers.CountyStaff, county)
	addUser(t, app.App, "huangdao", tiers.CountyStaff, "370211")
	lixia, other := login(t, app.URL(), "lixia"), login(t, app.URL(), "huangdao")
	path := "/api/v1/governance/companies/" + code

	rep := post(t, app.URL(), key, "indicators", rec.Indicators)
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	var readings []any
	for _, v := range rec.Readings {
		readings = append(readings, v.record(time.Now()))
	}
	rep = post(t, app.URL(), key, "sensor-readings", readings)
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	require.EqualValues(t, len(readings), rep.Body["accepted"], string(rep.Raw))
	eventually(t, 20*time.Second, "the readings in the governance state", func() bool {
		return count(t, app.App, `SELECT count(*) FROM governance_state WHERE company_code = $1
			AND state->'companies'->$1->>'last_reading' IS NOT NULL`, code) == 1
	})
	r := get(t, app.URL(), lixia, path)
	assert.NotContains(t, openKinds(t, r), "offline_readings")
	assert.Equal(t, true, r.Body["online"])

	// Nine minutes of silence: still online (the limit is 10 minutes).
	clk.Add(9 * time.Minute)
	time.Sleep(500 * time.Millisecond) // several ticks
	assert.NotContains(t, openKinds(t, get(t, app.URL(), lixia, path)), "offline_readings")
	// Past the limit: offline, from the last reading.
	clk.Add(2 * time.Minute)
	eventually(t, 20*time.Second, "数据采集离线", func() bool {
		return contains(openKinds(t, get(t, app.URL(), lixia, path)), "offline_readings")
	})
	r = get(t, app.URL(), lixia, path)
	assert.Equal(t, false, r.Body["online"])
	assert.Equal(t, http.StatusForbidden, get(t, app.URL(), other, path).Status)

	// Data returns: online again, the fact closed at the reading with its duration.
	readings = nil
	for _, v := range rec.Returning {
		readings = append(readings, v.record(time.Now()))
	}
	rep = post(t, app.URL(), key, "sensor-readings", readings)
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	eventually(t, 20*time.Second, "back online", func() bool {
		return !contains(openKinds(t, get(t, app.URL(), lixia, path)), "offline_readings")
	})
	r = get(t, app.URL(), lixia, path)
	assert.Equal(t, true, r.Body["online"])
	var closed map[string]any
	for _, f := range r.Body["recent_facts"].([]any) {
		if m := f.(map[string]any); m["kind"] == "offline_readings" {
			closed = m
		}
	}
	require.NotNil(t, closed, string(r.Raw))
	started, err := time.Parse(time.RFC3339Nano, closed["started"].(string))
	require.NoError(t, err)
	ended, err := time.Parse(time.RFC3339Nano, closed["ended"].(string))
	require.NoError(t, err)
	assert.Equal(t, 11*time.Minute, ended.Sub(started).Round(time.Second))
	assert.NotEmpty(t, closed["evidence"])
}
