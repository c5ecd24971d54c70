package dualprevention_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/testclock"
)

func TestPeriodBoundariesInShanghai(t *testing.T) {
	at := func(s string) time.Time { return testclock.Parse(t, s) }
	cases := []struct {
		name        string
		cycle       dp.Cycle
		anchor, now string
		start, end  string
		index       int
	}{
		{"hourly, first hour", dp.Cycle{N: 1, Unit: dp.UnitHour}, "2026-12-05 09:40:00", "2026-12-05 09:59:59", "2026-12-05 09:00:00", "2026-12-05 10:00:00", 0},
		{"hourly, on the boundary", dp.Cycle{N: 1, Unit: dp.UnitHour}, "2026-12-05 09:40:00", "2026-12-05 10:00:00", "2026-12-05 10:00:00", "2026-12-05 11:00:00", 1},
		{"every 4 hours", dp.Cycle{N: 4, Unit: dp.UnitHour}, "2026-12-05 09:40:00", "2026-12-05 13:00:00", "2026-12-05 13:00:00", "2026-12-05 17:00:00", 1},
		{"daily, due at Shanghai midnight", dp.Cycle{N: 1, Unit: dp.UnitDay}, "2026-12-05 15:00:00", "2026-12-05 23:59:59", "2026-12-05 00:00:00", "2026-12-06 00:00:00", 0},
		{"daily, next day at 00:00", dp.Cycle{N: 1, Unit: dp.UnitDay}, "2026-12-05 15:00:00", "2026-12-06 00:00:00", "2026-12-06 00:00:00", "2026-12-07 00:00:00", 1},
		{"every 3 days", dp.Cycle{N: 3, Unit: dp.UnitDay}, "2026-12-05 15:00:00", "2026-12-10 08:00:00", "2026-12-08 00:00:00", "2026-12-11 00:00:00", 1},
		{"weekly from Monday", dp.Cycle{N: 1, Unit: dp.UnitWeek}, "2026-12-05 15:00:00", "2026-12-06 23:00:00", "2026-11-30 00:00:00", "2026-12-07 00:00:00", 0},
		{"weekly, the next Monday", dp.Cycle{N: 1, Unit: dp.UnitWeek}, "2026-12-05 15:00:00", "2026-12-07 00:00:00", "2026-12-07 00:00:00", "2026-12-14 00:00:00", 1},
		{"monthly, to the 1st", dp.Cycle{N: 1, Unit: dp.UnitMonth}, "2026-12-05 15:00:00", "2026-12-31 23:59:59", "2026-12-01 00:00:00", "2027-01-01 00:00:00", 0},
		{"monthly across February", dp.Cycle{N: 1, Unit: dp.UnitMonth}, "2027-01-31 15:00:00", "2027-02-28 12:00:00", "2027-02-01 00:00:00", "2027-03-01 00:00:00", 1},
		{"quarterly", dp.Cycle{N: 3, Unit: dp.UnitMonth}, "2026-12-05 15:00:00", "2027-03-01 00:00:00", "2027-03-01 00:00:00", "2027-06-01 00:00:00", 1},
		{"yearly", dp.Cycle{N: 1, Unit: dp.UnitYear}, "2026-12-05 15:00:00", "2027-01-01 00:00:00", "2027-01-01 00:00:00", "2028-01-01 00:00:00", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, k, ok := dp.PeriodAt(tc.cycle, at(tc.anchor), at(tc.now))
			require.True(t, ok)
			require.Equal(t, at(tc.start), p.Start, "start")
			require.Equal(t, at(tc.end), p.End, "end")
			require.Equal(t, tc.index, k)
		})
	}
}

func TestStatusDonePendingOverdue(t *testing.T) {
	at := func(s string) time.Time { return testclock.Parse(t, s) }
	daily := dp.Cycle{N: 1, Unit: dp.UnitDay}
	anchor := at("2026-12-05 15:00:00")
	never := time.Time{}

	st, _, _ := dp.Status(daily, anchor, never, at("2026-12-05 23:59:59"))
	require.Equal(t, dp.StatusPending, st, "first day, not yet due")

	st, _, _ = dp.Status(daily, anchor, at("2026-12-05 16:00:00"), at("2026-12-05 18:00:00"))
	require.Equal(t, dp.StatusDone, st)

	st, _, missed := dp.Status(daily, anchor, never, at("2026-12-06 00:00:00"))
	require.Equal(t, dp.StatusOverdue, st, "the first day passed without a check")
	require.Equal(t, at("2026-12-06 00:00:00"), missed)

	st, _, _ = dp.Status(daily, anchor, at("2026-12-05 16:00:00"), at("2026-12-06 09:00:00"))
	require.Equal(t, dp.StatusPending, st, "yesterday done, today still in time")

	st, _, _ = dp.Status(daily, anchor, at("2026-12-05 16:00:00"), at("2026-12-07 00:00:01"))
	require.Equal(t, dp.StatusOverdue, st, "the 6th passed without a check")
	st, _, since := dp.Status(daily, anchor, never, at("2026-12-08 10:00:00"))
	require.Equal(t, dp.StatusOverdue, st)
	require.Equal(t, at("2026-12-06 00:00:00"), since, "overdue since the first deadline missed")

	st, _, _ = dp.Status(daily, anchor, at("2026-12-07 00:30:00"), at("2026-12-07 01:00:00"))
	require.Equal(t, dp.StatusDone, st, "a late check clears the overdue for the new period")

	hourly := dp.Cycle{N: 1, Unit: dp.UnitHour}
	st, _, _ = dp.Status(hourly, at("2026-12-05 09:10:00"), at("2026-12-05 09:20:00"), at("2026-12-05 10:59:00"))
	require.Equal(t, dp.StatusPending, st, "the 09:00 hour was checked; the 10:00 hour still runs")
	st, _, missed = dp.Status(hourly, at("2026-12-05 09:10:00"), at("2026-12-05 09:20:00"), at("2026-12-05 11:00:00"))
	require.Equal(t, dp.StatusOverdue, st, "the 10:00 hour passed without a check")
	require.Equal(t, at("2026-12-05 11:00:00"), missed)
}

func TestSeedCycleMapsWeekToDays(t *testing.T) {
	for _, tc := range []struct {
		c       dp.Cycle
		n, unit string
		valid   bool
	}{
		{dp.Cycle{N: 2, Unit: dp.UnitWeek}, "14", "天", true},
		{dp.Cycle{N: 8, Unit: dp.UnitHour}, "8", "小时", true},
		{dp.Cycle{N: 1, Unit: dp.UnitMonth}, "1", "月", true},
		{dp.Cycle{N: 1, Unit: dp.UnitYear}, "1", "年", true},
		{dp.Cycle{N: 0, Unit: dp.UnitDay}, "0", "天", false},
		{dp.Cycle{N: 10000, Unit: dp.UnitDay}, "10000", "天", false},
		{dp.Cycle{N: 1500, Unit: dp.UnitWeek}, "10500", "天", false},
		{dp.Cycle{N: 1, Unit: "季"}, "1", "季", false},
	} {
		n, unit := tc.c.Seed()
		require.Equal(t, tc.n, n, tc.c.String())
		require.Equal(t, tc.unit, unit, tc.c.String())
		require.Equal(t, tc.valid, tc.c.Valid(), tc.c.String())
	}
}

func TestPeriodsEndingInRange(t *testing.T) {
	at := func(s string) time.Time { return testclock.Parse(t, s) }
	ps := dp.Periods(dp.Cycle{N: 1, Unit: dp.UnitDay}, at("2026-12-01 10:00:00"), at("2026-12-03 00:00:00"), at("2026-12-06 00:00:00"))
	require.Len(t, ps, 3, "the 3rd, 4th and 5th end within (3rd 00:00, 6th 00:00]")
	require.Equal(t, at("2026-12-03 00:00:00"), ps[0].Start)
	require.Equal(t, at("2026-12-06 00:00:00"), ps[2].End)
	require.Empty(t, dp.Periods(dp.Cycle{N: 1, Unit: dp.UnitDay}, at("2026-12-10 10:00:00"), at("2026-12-03 00:00:00"), at("2026-12-06 00:00:00")),
		"no period before the task existed")
}
