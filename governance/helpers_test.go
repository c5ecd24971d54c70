package governance_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/testclock"
)

// clock is a fake clock: tests move it forward by hand.
type clock struct{ now time.Time }

func (c *clock) Set(t time.Time) time.Time         { c.now = t; return t }
func (c *clock) Advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// at returns a Shanghai time on 2021-06-01 ("08:00:00").
func at(tb testing.TB, hms string) time.Time {
	tb.Helper()
	return atDay(tb, "2021-06-01", hms)
}

func atDay(tb testing.TB, day, hms string) time.Time {
	tb.Helper()
	return testclock.Parse(tb, day+" "+hms)
}

func f(v float64) *float64 { return &v }

func newTracker(tb testing.TB) *governance.Tracker {
	tb.Helper()
	tr, err := governance.New(governance.DefaultConfig())
	require.NoError(tb, err)
	return tr
}

// ofKind returns the changes about facts of kind k.
func ofKind(ch []governance.Change, k governance.Kind) []governance.Change {
	var out []governance.Change
	for _, c := range ch {
		if c.Fact.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// openOf returns the tracker's open facts of kind k for company.
func openOf(tr *governance.Tracker, company string, k governance.Kind) []governance.Fact {
	var out []governance.Fact
	for _, f := range tr.OpenFacts(company) {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

// journal keeps the latest version of every fact by ID, as a consumer upserting
// changes would.
type journal map[string]governance.Fact

func (j journal) add(ch []governance.Change) {
	for _, c := range ch {
		j[c.Fact.ID] = c.Fact
	}
}

func (j journal) facts() []governance.Fact {
	out := make([]governance.Fact, 0, len(j))
	for _, f := range j {
		out = append(out, f)
	}
	return out
}
