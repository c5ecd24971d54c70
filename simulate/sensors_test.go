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

// Temperatures follow the day; tanks fill and empty; somewhere a leak spreads over
// the three detectors of one area past HIGH_HIGH (40 %LEL) and recedes; some
// sensors stick or fall silent.
func TestPlantBehaviour(t *testing.T) {
	companies := simulate.Companies(40, 1)
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, schemas.Shanghai)
	temp := map[int]float64{}
	var sawLeak, sawStuck, sawSilent, sawLevelRange bool
	for _, c := range companies {
		points := len(simulate.Plant(c))
		var levelMin, levelMax = 1e9, -1e9
		for m := 0; m < 24*60; m += 5 {
			t0 := day.Add(time.Duration(m) * time.Minute)
			rs := simulate.Readings(c, t0, t0)
			if len(rs) < points {
				sawSilent = true
			}
			above := map[string]int{}
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
				case 'G':
					if v > 40 {
						above[code[:len(code)-4]]++ // per hazard source (area)
					}
				}
			}
			for _, n := range above {
				if n >= 3 {
					sawLeak = true
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
	assert.True(t, sawLeak, "a leak reaches three detectors of one area past HIGH_HIGH")
	assert.True(t, sawStuck, "some sensor sticks")
	assert.True(t, sawSilent, "some sensor falls silent")
	// Deterministic.
	assert.Equal(t, simulate.Readings(companies[0], day, day), simulate.Readings(companies[0], day, day))
}
