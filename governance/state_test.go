package governance_test

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
)

// sortedJSON is the journal's facts sorted by ID, as JSON (times compared as written).
func sortedJSON(tb testing.TB, j journal) string {
	tb.Helper()
	facts := j.facts()
	sort.Slice(facts, func(a, b int) bool { return facts[a].ID < facts[b].ID })
	b, err := json.Marshal(facts)
	require.NoError(tb, err)
	return string(b)
}

// A tracker snapshotted midway and restored makes the same facts as one that ran
// through: a consumer can resume after a restart.
func TestStateSnapshotAndRestore(t *testing.T) {
	events := dayOfEvents(t)
	whole := replay(t, events)

	for _, cut := range []int{len(events) / 3, len(events) * 2 / 3} {
		tr := newTracker(t)
		j := journal{}
		run := func(tr *governance.Tracker, evs []timed) {
			for _, e := range evs {
				if e.ev == nil {
					j.add(tr.Tick(e.now))
				} else {
					j.add(tr.Apply(e.ev, e.now))
				}
			}
		}
		run(tr, events[:cut])
		b, err := tr.MarshalState()
		require.NoError(t, err)
		restored, err := governance.Restore(governance.DefaultConfig(), b)
		require.NoError(t, err)
		again, err := restored.MarshalState()
		require.NoError(t, err)
		require.JSONEq(t, string(b), string(again))
		run(restored, events[cut:])
		require.Equal(t, sortedJSON(t, whole), sortedJSON(t, j), "cut at %d", cut)
	}

	_, err := governance.Restore(governance.DefaultConfig(), []byte(`{"version":99}`))
	require.Error(t, err)
}
