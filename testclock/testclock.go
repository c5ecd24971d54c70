// Package testclock is the clock tests run the platform on. It starts at the instant
// in CHEMGUARD_TEST_NOW (RFC 3339) when that is set, at the machine's time otherwise,
// and then advances with real time, so tickers, timeouts and waits behave as they do
// in production while the hour of day is the one chosen: `make test-clocks` runs the
// clock-driven tests at 09:59, 10:01 and 23:59 Asia/Shanghai with it. A test that
// needs a phase of the day of its own (before the 10:00 commitment) pins it with
// Clock.Set. A test that counts windows to the second (lockouts, TOTP steps, rate
// limits, stale-data timeouts) takes a Frozen clock instead, which moves only when
// the test moves it. Only tests import it; the service never reads CHEMGUARD_TEST_NOW.
package testclock

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// EnvNow names the variable holding the instant test clocks start from.
const EnvNow = "CHEMGUARD_TEST_NOW"

// Shanghai is the time zone of the platform's daily rules.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600) // China has kept UTC+8 without DST since 1991
	}
	return loc
}()

// Start returns the instant test clocks start from: EnvNow when set (the test fails
// on a value that is not RFC 3339), the machine's time otherwise.
func Start(tb testing.TB) time.Time {
	tb.Helper()
	v := os.Getenv(EnvNow)
	if v == "" {
		return time.Now()
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		tb.Fatalf("testclock: %s=%q is not an RFC 3339 instant (e.g. 2026-12-05T09:59:00+08:00): %v", EnvNow, v, err)
	}
	return t
}

// Clock is a clock that reads base + the real time elapsed since base was set, or
// base alone when frozen. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	base   time.Time
	since  time.Time // machine time when base was set (monotonic)
	frozen bool
}

// New returns a clock started at Start(tb).
func New(tb testing.TB) *Clock {
	tb.Helper()
	return At(Start(tb))
}

// At returns a clock started at t.
func At(t time.Time) *Clock { return &Clock{base: t, since: time.Now()} }

// Frozen returns a clock that stands at t and moves only by Set and Add, so a test
// sees exactly the instants it chose however slowly the machine runs it.
func Frozen(t time.Time) *Clock { return &Clock{base: t, frozen: true} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.base
	}
	return c.base.Add(time.Since(c.since))
}

// Set moves the clock to t; unless frozen it advances from there.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.since = t, time.Now()
}

// Add moves the clock forward by d (backward when d < 0).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base = c.base.Add(d)
}

// OnDay returns hh:mm:00 Asia/Shanghai on the Shanghai day of t: a test pins the phase of
// the day its rule needs while the date stays the one CHEMGUARD_TEST_NOW chose.
func OnDay(t time.Time, hh, mm int) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, hh, mm, 0, 0, Shanghai)
}

// Parse reads "2006-01-02 15:04:05" in Asia/Shanghai, as the exchange tables write
// instants (schemas.DateTimeLayout), for tests that feed the engines fixed times; the
// test fails on another form.
func Parse(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(schemas.DateTimeLayout, s, schemas.Shanghai)
	if err != nil {
		tb.Fatalf("testclock: %v", err)
	}
	return t
}
