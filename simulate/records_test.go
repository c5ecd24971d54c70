package simulate_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/validate"
)

// The simulator's records are what a correct integration sends: every generated
// record of every table passes validation, and every corrupted one fails on the
// field Corrupt says it broke.
func TestRecordsAreValidAndCorruptionsAreNot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	now := testclock.Start(t)
	c := simulate.Companies(1, 1)[0]
	for _, tbl := range schemas.Tables() {
		t.Run(tbl.Slug, func(t *testing.T) {
			for i := 0; i < 200; i++ {
				good := simulate.NewRecord(r, tbl, c, now)
				bad, field := simulate.Corrupt(r, tbl, good)
				body, err := json.Marshal([]simulate.Record{good, bad})
				require.NoError(t, err)
				vs, err := validate.Batch(tbl, body, validate.Options{Now: now})
				require.NoError(t, err)
				require.True(t, vs[0].OK(), "generated record rejected: %+v", vs[0].Errors)
				require.False(t, vs[1].OK(), "corrupted record accepted")
				fields := map[string]bool{}
				for _, e := range vs[1].Errors {
					fields[e.Field] = true
				}
				assert.True(t, fields[field], "error on %s, got %+v", field, vs[1].Errors)
			}
		})
	}
}

func TestCompaniesCoverEveryCity(t *testing.T) {
	cs := simulate.Companies(500, 1)
	require.Len(t, cs, 500)
	cities, codes := map[string]bool{}, map[string]bool{}
	var stations int
	for _, c := range cs {
		require.True(t, tiers.IsCounty(c.County), c.County)
		require.Len(t, c.Code, 9, "9 characters, so VIDEO_CODE can embed it")
		assert.True(t, validate.IsGB28181Channel(simulate.VideoCode(c, 1)))
		require.False(t, codes[c.Code], "duplicate company code %s", c.Code)
		codes[c.Code] = true
		cities[tiers.Ancestors(c.County)[0].Code] = true
		if c.GasStation {
			stations++
		}
	}
	assert.Len(t, cities, 16, "companies in all 16 cities")
	assert.InDelta(t, 500/6, stations, 40, "about one in six a gas station")
	assert.Equal(t, cs, simulate.Companies(500, 1), "deterministic for a seed")
}
