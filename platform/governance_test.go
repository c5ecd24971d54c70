package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

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

// recordedFor is platform/testdata/governance_recorded.json as company code's
// system sends it (the recording is of company 370102951).
func recordedFor(tb testing.TB, code string) recorded {
	tb.Helper()
	raw, err := os.ReadFile("testdata/governance_recorded.json")
	require.NoError(tb, err)
	var rec recorded
	require.NoError(tb, json.Unmarshal([]byte(strings.ReplaceAll(string(raw), "370102951", code)), &rec))
	return rec
}

// governanceApp starts the platform on one fake clock: ingest's receive times, the
// governance service and the rest.
func governanceApp(tb testing.TB, clk *testclock.Clock) *running {
	tb.Helper()
	return startApp(tb, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(tb), DataDir: tb.TempDir(),
		Now: clk.Now, Governance: governancesvc.Config{Tick: 100 * time.Millisecond}})
}

// sendReadings posts the readings of rec (returning: its returning ones) with
// COLLECT_TIME from now.
func sendReadings(tb testing.TB, base, key string, values []recordedValue, now time.Time) {
	tb.Helper()
	var readings []any
	for _, v := range values {
		readings = append(readings, v.record(now))
	}
	rep := post(tb, base, key, "sensor-readings", readings)
	require.Equal(tb, http.StatusOK, rep.Status, string(rep.Raw))
	require.EqualValues(tb, len(readings), rep.Body["accepted"], string(rep.Raw))
}

// lastReadingApplied waits until the governance consumer has applied a reading of
// the company received at or after since.
func lastReadingApplied(tb testing.TB, app *running, code string, since time.Time) {
	tb.Helper()
	eventually(tb, 20*time.Second, "the readings in the governance state", func() bool {
		// The last reading is in the state's fresh part, laid over its head.
		var head, fresh []byte
		err := app.Pool.QueryRow(context.Background(), `SELECT state, fresh FROM governance_state
			WHERE company_code = $1`, code).Scan(&head, &fresh)
		if errors.Is(err, pgx.ErrNoRows) || fresh == nil {
			return false
		}
		require.NoError(tb, err)
		tr, err := governance.RestoreItems(governance.DefaultConfig(), code, head, nil)
		require.NoError(tb, err)
		require.NoError(tb, tr.RestoreFresh(fresh))
		whole, err := tr.MarshalState()
		require.NoError(tb, err)
		var st struct {
			Companies map[string]struct {
				LastReading time.Time `json:"last_reading"`
			} `json:"companies"`
		}
		require.NoError(tb, json.Unmarshal(whole, &st))
		return !st.Companies[code].LastReading.Before(since)
	})
}

// Recorded readings sent through the exchange API reach the governance consumer; a
// company that stops sending, while another company keeps sending (the platform
// keeps taking data), goes offline (数据采集离线) once the limit has passed on the
// governance clock, and back online when data returns — the fact closed, with its
// start and end, as a county regulator reads it. Another county's regulator is refused.
func TestCompanyGoesOfflineAndBackOnlineThroughThePipeline(t *testing.T) {
	t.Parallel()
	clk := testclock.Frozen(testclock.Start(t))
	app := governanceApp(t, clk)
	const code, county, otherCode = "370102951", "370102", "370102952"
	key := addCompany(t, app.App, code, county)
	otherKey := addCompany(t, app.App, otherCode, county)
	addUser(t, app.App, "lixia", policy.CountyStaff, county)
	addUser(t, app.App, "huangdao", policy.CountyStaff, "370211")
	lixia, other := login(t, app.URL(), "lixia"), login(t, app.URL(), "huangdao")
	path := "/api/v1/governance/companies/" + code

	rec, otherRec := recordedFor(t, code), recordedFor(t, otherCode)
	for k, r := range map[string]recorded{key: rec, otherKey: otherRec} {
		rep := post(t, app.URL(), k, "indicators", r.Indicators)
		require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	}
	start := clk.Now()
	sendReadings(t, app.URL(), key, rec.Readings, start)
	sendReadings(t, app.URL(), otherKey, otherRec.Readings, start)
	lastReadingApplied(t, app, code, start)
	r := get(t, app.URL(), lixia, path)
	assert.NotContains(t, openKinds(t, r), "offline_readings")
	assert.Equal(t, true, r.Body["online"])

	// The other company sends every minute; this one is silent. Nine minutes: still
	// online (the limit is 10 minutes).
	minute := func() {
		clk.Add(time.Minute)
		sendReadings(t, app.URL(), otherKey, otherRec.Returning, clk.Now())
	}
	for range 9 {
		minute()
	}
	lastReadingApplied(t, app, otherCode, clk.Now())
	time.Sleep(500 * time.Millisecond) // several ticks
	assert.NotContains(t, openKinds(t, get(t, app.URL(), lixia, path)), "offline_readings")
	// Past the limit: offline, from the last reading.
	minute()
	minute()
	eventually(t, 20*time.Second, "数据采集离线", func() bool {
		return contains(openKinds(t, get(t, app.URL(), lixia, path)), "offline_readings")
	})
	r = get(t, app.URL(), lixia, path)
	assert.Equal(t, false, r.Body["online"])
	assert.Equal(t, http.StatusForbidden, get(t, app.URL(), other, path).Status)
	assert.NotContains(t, openKinds(t, get(t, app.URL(), lixia, "/api/v1/governance/companies/"+otherCode)),
		"offline_readings", "the company that kept sending is online")

	// Data returns: online again, the fact closed at the reading with its duration.
	sendReadings(t, app.URL(), key, rec.Returning, clk.Now())
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

// A platform-side outage across 10:00 — nobody's data arrives from 09:50 to 10:20
// (ingest down), then everyone's does — opens no offline fact and no 未承诺 for
// anyone: the governance clock ran on, the platform's intake did not. After the
// resumption the companies have 10 minutes to send the day's commitment: the one
// that did is fine, the one that did not is then 未承诺, and neither is offline.
func TestPlatformOutageAcross10ChargesNoCompany(t *testing.T) {
	t.Parallel()
	local := testclock.Start(t).In(schemas.Shanghai)
	clk := testclock.Frozen(time.Date(local.Year(), local.Month(), local.Day(), 9, 50, 0, 0, schemas.Shanghai))
	app := governanceApp(t, clk)
	const county = "370102"
	codes := []string{"370102961", "370102962"}
	keys := map[string]string{}
	recs := map[string]recorded{}
	for _, code := range codes {
		keys[code] = addCompany(t, app.App, code, county)
		recs[code] = recordedFor(t, code)
		rep := post(t, app.URL(), keys[code], "indicators", recs[code].Indicators)
		require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
		sendReadings(t, app.URL(), keys[code], recs[code].Readings, clk.Now())
	}
	for _, code := range codes {
		lastReadingApplied(t, app, code, clk.Now())
	}
	addUser(t, app.App, "lixia", policy.CountyStaff, county)
	lixia := login(t, app.URL(), "lixia")
	kinds := func(code string) []string {
		return openKinds(t, get(t, app.URL(), lixia, "/api/v1/governance/companies/"+code))
	}
	absent := []string{"offline_readings", "offline_indicator", "offline_system", "commitment_missing"}

	// The outage: 30 minutes of the governance clock, nothing received.
	for range 30 {
		clk.Add(time.Minute)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // several ticks at 10:20
	for _, code := range codes {
		for _, k := range absent {
			assert.NotContains(t, kinds(code), k, "%s during the outage", code)
		}
	}

	// Everyone resumes at 10:20; the first company resends its commitment of 09:45.
	commitment := map[string]any{"ID": "c9d6d1e4-5d7a-4a8e-9a43-1f0e5b0b7a01", "COMPANY_CODE": codes[0],
		"COMMIT_DATE": clk.Now().In(schemas.Shanghai).Format(schemas.DateLayout), "COMMIT_PERSON": "张三",
		"COMMIT_TIME": stamp(clk.Now().Add(-35 * time.Minute)), "UNITS_RUNNING": 3, "UNITS_STOPPED": 0,
		"UNITS_MAINTENANCE": 0, "HOT_WORK_SPECIAL": 0, "HOT_WORK_1": 0, "HOT_WORK_2": 0, "CONFINED_SPACE": 0,
		"OTHER_SPECIAL_OPS": 0, "TRIAL_PRODUCTION": "0", "STARTUP_SHUTDOWN": "0", "MAJOR_HAZARD_NORMAL": "1",
		"CONTENT": "今日我公司各生产装置运行正常。", "DELETED": "0"}
	rep := post(t, app.URL(), keys[codes[0]], "commitments", []any{commitment})
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	require.EqualValues(t, 1, rep.Body["accepted"], string(rep.Raw))
	for m := 0; m < 9; m++ {
		for _, code := range codes {
			sendReadings(t, app.URL(), keys[code], recs[code].Returning, clk.Now())
		}
		clk.Add(time.Minute)
	}
	for _, code := range codes {
		sendReadings(t, app.URL(), keys[code], recs[code].Returning, clk.Now())
		lastReadingApplied(t, app, code, clk.Now())
	}
	time.Sleep(500 * time.Millisecond) // several ticks at 10:29, within the grace
	for _, code := range codes {
		for _, k := range absent {
			assert.NotContains(t, kinds(code), k, "%s after the resumption", code)
		}
	}

	// 10:31: the grace is over; the company that has not committed is 未承诺.
	for range 2 {
		clk.Add(time.Minute)
		for _, code := range codes {
			sendReadings(t, app.URL(), keys[code], recs[code].Returning, clk.Now())
		}
	}
	eventually(t, 20*time.Second, "未承诺 of the company that did not commit", func() bool {
		return contains(kinds(codes[1]), "commitment_missing")
	})
	for _, k := range append(absent, "commitment_late") {
		assert.NotContains(t, kinds(codes[0]), k, "the company that resent its commitment")
	}
	for _, k := range absent[:3] {
		assert.NotContains(t, kinds(codes[1]), k)
	}
}
