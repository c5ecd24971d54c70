package warning_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warning"
)

// clock is a fake clock: tests move it forward by hand.
type clock struct{ now time.Time }

func (c *clock) Advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// at returns a Shanghai time on 2021-06-01 ("08:00:00").
func at(tb testing.TB, hms string) time.Time {
	tb.Helper()
	return testclock.Parse(tb, "2021-06-01 "+hms)
}

func f(v float64) *float64 { return &v }

func newEngine(tb testing.TB) *warning.Engine {
	tb.Helper()
	cfg, err := warning.DefaultConfig()
	require.NoError(tb, err)
	e, err := warning.New(cfg, nil)
	require.NoError(tb, err)
	return e
}

// kinds lists the kinds of the changes, alarms first.
func kinds(ch warning.Changes) []warning.ChangeKind {
	var out []warning.ChangeKind
	for _, a := range ch.Alarms {
		out = append(out, a.Kind)
	}
	for _, w := range ch.Warnings {
		out = append(out, w.Kind)
	}
	return out
}

// warningsOf returns the warning changes of one model.
func warningsOf(ch warning.Changes, model string) []warning.WarningChange {
	var out []warning.WarningChange
	for _, w := range ch.Warnings {
		if w.Warning.Model == model {
			out = append(out, w)
		}
	}
	return out
}

// openOf returns the open warnings of one model.
func openOf(e *warning.Engine, company, model string) []warning.Warning {
	var found []warning.Warning
	for _, w := range e.Warnings(company) {
		if w.Model == model {
			found = append(found, w)
		}
	}
	return found
}

// only returns the single open warning of a model, failing otherwise.
func only(tb testing.TB, e *warning.Engine, company, model string) warning.Warning {
	tb.Helper()
	found := openOf(e, company, model)
	require.Len(tb, found, 1, "open %s warnings", model)
	return found[0]
}

func factorCodes(fs []warning.Factor) []string {
	out := make([]string, len(fs))
	for i, x := range fs {
		out[i] = x.Code
	}
	return out
}
