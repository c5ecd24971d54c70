package testclock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/testclock"
)

func TestStartFollowsTheVariable(t *testing.T) {
	t.Setenv(testclock.EnvNow, "2026-12-05T09:59:00+08:00")
	c := testclock.New(t)
	now := c.Now()
	require.Equal(t, "2026-12-05 09:59", now.In(testclock.Shanghai).Format("2006-01-02 15:04"))
	time.Sleep(20 * time.Millisecond)
	require.True(t, c.Now().After(now), "the clock advances with real time")

	c.Set(testclock.OnDay(now, 23, 59))
	require.Equal(t, "2026-12-05 23:59", c.Now().In(testclock.Shanghai).Format("2006-01-02 15:04"))
	c.Add(2 * time.Minute)
	require.Equal(t, "2026-12-06 00:01", c.Now().In(testclock.Shanghai).Format("2006-01-02 15:04"))
}

func TestStartWithoutTheVariableIsTheMachinesTime(t *testing.T) {
	t.Setenv(testclock.EnvNow, "")
	require.WithinDuration(t, time.Now(), testclock.New(t).Now(), time.Second)
}

func TestFrozenMovesOnlyWhenTold(t *testing.T) {
	at := time.Date(2026, 12, 5, 1, 59, 0, 0, time.UTC)
	c := testclock.Frozen(at)
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, at, c.Now(), "real time does not move a frozen clock")
	c.Add(31 * time.Second)
	require.Equal(t, at.Add(31*time.Second), c.Now())
	c.Set(at.Add(time.Hour))
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, at.Add(time.Hour), c.Now(), "still frozen after Set")
}

func TestOnDayTakesTheShanghaiDate(t *testing.T) {
	// 2026-12-05 20:30 UTC is already the 6th in Shanghai.
	got := testclock.OnDay(time.Date(2026, 12, 5, 20, 30, 0, 0, time.UTC), 9, 0)
	require.Equal(t, "2026-12-06 09:00 +0800", got.Format("2006-01-02 15:04 -0700"))
}

func TestParseReadsShanghaiTime(t *testing.T) {
	require.Equal(t, "2021-06-01 00:00:00 +0000", testclock.Parse(t, "2021-06-01 08:00:00").UTC().Format("2006-01-02 15:04:05 -0700"))
}
