package simulate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/validate"
)

func valueOf(tb testing.TB, r simulate.Record) float64 {
	tb.Helper()
	v, err := r["VALUE"].(json.Number).Float64()
	require.NoError(tb, err)
	return v
}

// The plant's indicators and readings are valid exchange records, and every reading
// belongs to a declared indicator.
func TestPlantRecordsValidate(t *testing.T) {
	c := simulate.Companies(3, 1)[2]
	now := testclock.Start(t)
	inds := simulate.IndicatorRecords(c)
	body, _ := json.Marshal(inds)
	vs, err := validate.Batch(schemas.Indicators, body, validate.Options{Now: now})
	require.NoError(t, err)
	declared := map[string]bool{}
	for i, v := range vs {
		require.True(t, v.OK(), "%v", v.Errors)
		declared[inds[i]["INDICATOR_CODE"].(string)] = true
	}
	readings := simulate.Readings(c, now, now)
	body, _ = json.Marshal(readings)
	vs, err = validate.Batch(schemas.SensorReadings, body, validate.Options{Now: now})
	require.NoError(t, err)
	for i, v := range vs {
		require.True(t, v.OK(), "%v", v.Errors)
		assert.True(t, declared[readings[i]["INDICATOR_CODE"].(string)])
	}
}

// Temperatures follow the day; tanks fill and empty; some sensors stick or fall
// silent. (Leaks: TestLeakEpisodes.)
func TestPlantBehaviour(t *testing.T) {
	companies := simulate.Companies(40, 1)
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, schemas.Shanghai)
	temp := map[int]float64{}
	var sawStuck, sawSilent, sawLevelRange bool
	for _, c := range companies {
		points := len(simulate.Plant(c))
		var levelMin, levelMax = 1e9, -1e9
		for m := 0; m < 24*60; m += 5 {
			t0 := day.Add(time.Duration(m) * time.Minute)
			rs := simulate.Readings(c, t0, t0)
			if len(rs) < points {
				sawSilent = true
			}
			for _, r := range rs {
				code := r["INDICATOR_CODE"].(string)
				v := valueOf(t, r)
				switch code[len(code)-3] {
				case 'T':
					if c == companies[0] && code[len(code)-2:] == "01" {
						temp[t0.Hour()] = v
					}
				case 'L':
					levelMin, levelMax = min(levelMin, v), max(levelMax, v)
				}
			}
			later := simulate.Readings(c, t0.Add(10*time.Minute), t0)
			same := map[string]any{}
			for _, r := range rs {
				same[r["INDICATOR_CODE"].(string)] = r["VALUE"]
			}
			for _, r := range later {
				code := r["INDICATOR_CODE"].(string)
				if code[len(code)-3] == 'T' && same[code] == r["VALUE"] {
					sawStuck = true
				}
			}
		}
		if levelMax-levelMin > 5 {
			sawLevelRange = true
		}
	}
	assert.Greater(t, temp[15], temp[4]+6, "afternoon warmer than before dawn: %v", temp)
	assert.True(t, sawLevelRange, "tank levels fill and empty")
	assert.True(t, sawStuck, "some sensor sticks")
	assert.True(t, sawSilent, "some sensor falls silent")
	// Deterministic.
	assert.Equal(t, simulate.Readings(companies[0], day, day), simulate.Readings(companies[0], day, day))
}

// A leak that reaches a whole area is rare (about one in a hundred leaks, a leak
// in about one area-window in 96) but exists: FindLeak finds one, and 30 minutes into
// it the area's three detectors read past 一级 (20 %LEL), two of them past 二级
// (40 %LEL); an hour and a half in, they are back to background.
func TestLeakEpisodes(t *testing.T) {
	c := simulate.Companies(3, 1)[2]
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, schemas.Shanghai)
	start, area, ok := simulate.FindLeak(c, now, 3)
	require.True(t, ok)
	require.True(t, start.Before(now))
	gas := func(at time.Time) []float64 {
		area := area
		var vs []float64
		byCode := map[string]string{}
		for _, p := range simulate.Plant(c) {
			byCode[p.Code] = p.Area
		}
		for _, r := range simulate.Readings(c, at, at) {
			code := r["INDICATOR_CODE"].(string)
			if byCode[code] == area && code[len(code)-3] == 'G' {
				vs = append(vs, valueOf(t, r))
			}
		}
		return vs
	}
	peak := gas(start.Add(30 * time.Minute))
	require.Len(t, peak, 3)
	over40 := 0
	for _, v := range peak {
		assert.Greater(t, v, 20.0)
		if v > 40 {
			over40++
		}
	}
	assert.GreaterOrEqual(t, over40, 2)
	for _, v := range gas(start.Add(90 * time.Minute)) {
		assert.Less(t, v, 5.0)
	}
	// Rare: in a year of one company's windows, whole-area leaks are a handful.
	n := 0
	for at := now; ; n++ {
		s, _, ok := simulate.FindLeak(c, at, 3)
		if !ok || s.Before(now.AddDate(-1, 0, 0)) {
			break
		}
		at = s
	}
	assert.Less(t, n, 10, "whole-area leaks in a year")
}
