package inspect_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/schemas"
)

func TestRoundAt(t *testing.T) {
	now := time.Date(2026, 11, 28, 1, 30, 0, 0, time.UTC) // Saturday 09:30 in Shanghai
	tests := []struct {
		cycle      inspect.Cycle
		start, end string
	}{
		{inspect.CycleDay, "2026-11-28", "2026-11-29"},
		{inspect.CycleWeek, "2026-11-23", "2026-11-30"},
		{inspect.CycleMonth, "2026-11-01", "2026-12-01"},
		{inspect.CycleQuarter, "2026-10-01", "2027-01-01"},
	}
	for _, tt := range tests {
		t.Run(string(tt.cycle), func(t *testing.T) {
			r := inspect.Plan{Cycle: tt.cycle, Percent: 100}.RoundAt(now)
			require.Equal(t, tt.start, r.Start.Format(schemas.DateLayout))
			require.Equal(t, tt.end, r.End.Format(schemas.DateLayout))
			require.Equal(t, schemas.Shanghai, r.Start.Location())
			require.True(t, !now.Before(r.Start) && now.Before(r.End))
		})
	}
	// Sunday late evening in Shanghai is still the week that began on Monday.
	sunday := time.Date(2026, 11, 29, 15, 59, 0, 0, time.UTC)
	require.Equal(t, "2026-11-23", inspect.Plan{Cycle: inspect.CycleWeek, Percent: 1}.RoundAt(sunday).Start.Format(schemas.DateLayout))
	// A minute later it is Monday there: a new round.
	require.Equal(t, "2026-11-30", inspect.Plan{Cycle: inspect.CycleWeek, Percent: 1}.RoundAt(sunday.Add(time.Minute)).Start.Format(schemas.DateLayout))
}

func TestSampleSize(t *testing.T) {
	p := inspect.Plan{Cycle: inspect.CycleMonth, Percent: 20}
	require.Equal(t, 0, p.SampleSize(0))
	require.Equal(t, 1, p.SampleSize(1))
	require.Equal(t, 1, p.SampleSize(5))
	require.Equal(t, 2, p.SampleSize(6))
	require.Equal(t, 100, p.SampleSize(500))
	require.Equal(t, 7, inspect.Plan{Cycle: inspect.CycleWeek, Percent: 100}.SampleSize(7))
}

func TestParsePlans(t *testing.T) {
	plans, err := inspect.ParsePlans("")
	require.NoError(t, err)
	require.Equal(t, inspect.DefaultPlans(), plans)
	plans, err = inspect.ParsePlans(" city=week:50 , province=month:10")
	require.NoError(t, err)
	require.Equal(t, inspect.Plan{Cycle: inspect.CycleWeek, Percent: 50}, plans[inspect.TierCity])
	require.Equal(t, inspect.Plan{Cycle: inspect.CycleMonth, Percent: 10}, plans[inspect.TierProvince])
	require.Equal(t, inspect.DefaultPlans()[inspect.TierCounty], plans[inspect.TierCounty])
	for _, bad := range []string{"city", "city=week", "city=year:10", "city=week:0", "city=week:101", "town=week:10", "city=week:x"} {
		_, err := inspect.ParsePlans(bad)
		require.ErrorIs(t, err, inspect.ErrBadPlan, bad)
	}
}

func TestTierOf(t *testing.T) {
	for domain, want := range map[string]inspect.Tier{"370000": inspect.TierProvince, "370100": inspect.TierCity,
		"370102": inspect.TierCounty, "park:P1": inspect.TierCounty} {
		got, ok := inspect.TierOf(domain)
		require.True(t, ok, domain)
		require.Equal(t, want, got, domain)
	}
	_, ok := inspect.TierOf("ent:C1")
	require.False(t, ok)
}
