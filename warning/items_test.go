package warning_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// itemStore is what a consumer keeps of one company: the head and the items, written
// as the engine says they changed.
type itemStore struct {
	head, fresh []byte
	items       map[string][]byte
}

// store writes what changed, as the runner does in its transaction, and tells the
// engine it is stored; it returns the keys written.
func (s *itemStore) store(tb testing.TB, e *warning.Engine) []string {
	tb.Helper()
	changed, err := e.ChangedItems("C1")
	require.NoError(tb, err)
	s.head, err = warning.MarshalHead(e.State())
	require.NoError(tb, err)
	s.fresh = warning.MarshalFresh(e.State())
	var keys []string
	for k, b := range changed {
		if b == nil {
			delete(s.items, k)
		} else {
			s.items[k] = b
		}
		keys = append(keys, k)
	}
	e.ItemsStored("C1")
	return keys
}

// restoredEqual checks that the state read back from head and items is the live one
// and has nothing left to write.
func (s *itemStore) restoredEqual(tb testing.TB, e *warning.Engine) {
	tb.Helper()
	cfg, err := warning.DefaultConfig()
	require.NoError(tb, err)
	r, err := warning.RestoreItems(cfg, "C1", s.head, maps.Clone(s.items))
	require.NoError(tb, err)
	require.NoError(tb, warning.RestoreFresh(r.State(), s.fresh))
	want, err := warning.MarshalState(e.State())
	require.NoError(tb, err)
	got, err := warning.MarshalState(r.State())
	require.NoError(tb, err)
	assert.JSONEq(tb, string(want), string(got))
	again, err := r.ChangedItems("C1")
	require.NoError(tb, err)
	assert.Empty(tb, again, "a restored state has nothing to write")
}

func TestItemsWrittenOnlyWhenChangedAndRestoredWhole(t *testing.T) {
	e := newEngine(t)
	now := at(t, "08:00:00")
	danger := func(id string, major, accepted bool) events.HiddenDanger {
		return events.HiddenDanger{ID: id, Company: "C1", Hazard: "H1", Name: "法兰泄漏", Major: major,
			Accepted: accepted, Deadline: now.Add(72 * time.Hour).In(time.FixedZone("CST", 8*3600))}
	}
	e.Apply(pressure, now)
	e.Apply(events.Reading{Indicator: "PT-101", Company: "C1", Value: 1.0, At: now}, now)
	for _, d := range []events.HiddenDanger{danger("D1", false, false), danger("D2", true, false), danger("D3", false, false)} {
		e.Apply(d, now)
	}
	s := &itemStore{items: map[string][]byte{}}

	// A store that failed (ItemsStored not called) returns the same items again.
	first, err := e.ChangedItems("C1")
	require.NoError(t, err)
	assert.Len(t, first, 4)
	assert.ElementsMatch(t, []string{"danger|D1", "danger|D2", "danger|D3", "indicator|PT-101"}, s.store(t, e))
	assert.NotContains(t, string(s.head), "D1", "the head holds no 隐患")
	assert.NotContains(t, string(s.head), "PT-101", "the head holds no indicator")
	assert.NotContains(t, string(s.items["indicator|PT-101"]), "last_at", "an indicator's item holds no last value")
	s.restoredEqual(t, e)

	// A reading that raises nothing, and a device's status, change the fresh part
	// only: the head is the same, byte for byte.
	head, fresh := s.head, s.fresh
	e.Apply(events.Reading{Indicator: "PT-101", Company: "C1", Value: 1.1, At: now.Add(10 * time.Second)}, now.Add(10*time.Second))
	e.Apply(events.DeviceStatus{Company: "C1", Device: "AI-01", At: now.Add(10 * time.Second), Normal: true}, now.Add(10*time.Second))
	assert.Empty(t, s.store(t, e))
	assert.Equal(t, string(head), string(s.head))
	assert.NotEqual(t, fresh, s.fresh)
	s.restoredEqual(t, e)
	// The same 隐患 sent again is no change.
	e.Apply(danger("D1", false, false), now)
	assert.Empty(t, s.store(t, e))
	// A reading past the limit starts a pending exceedance: its indicator's item is
	// written, and the head, which holds no indicator, is the same.
	e.Apply(events.Reading{Indicator: "PT-101", Company: "C1", Value: 1.3, At: now.Add(20 * time.Second)}, now.Add(20*time.Second))
	assert.Equal(t, []string{"indicator|PT-101"}, s.store(t, e))
	assert.Equal(t, string(head), string(s.head))
	assert.Contains(t, string(s.items["indicator|PT-101"]), `"pending"`)
	s.restoredEqual(t, e)
	// A new indicator is an item of its own, even before its definition.
	e.Apply(events.Reading{Indicator: "PT-102", Company: "C1", Value: 0.5, At: now.Add(20 * time.Second)}, now.Add(20*time.Second))
	assert.Equal(t, []string{"indicator|PT-102"}, s.store(t, e))
	s.restoredEqual(t, e)
	// One accepted and one new: two items; the accepted one goes at the prune.
	e.Apply(danger("D2", true, true), now.Add(time.Minute))
	e.Apply(danger("D4", false, false), now.Add(time.Minute))
	assert.ElementsMatch(t, []string{"danger|D2", "danger|D4"}, s.store(t, e))
	s.restoredEqual(t, e)
	e.Tick(now.Add(2 * time.Minute))
	assert.Equal(t, []string{"danger|D2"}, s.store(t, e))
	assert.NotContains(t, s.items, "danger|D2")
	s.restoredEqual(t, e)

	// A state stored whole before items is read, and all its 隐患 count as changed.
	whole, err := warning.MarshalState(e.State())
	require.NoError(t, err)
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	r, err := warning.RestoreItems(cfg, "C1", whole, nil)
	require.NoError(t, err)
	moved, err := r.ChangedItems("C1")
	require.NoError(t, err)
	assert.Len(t, moved, 5, "3 隐患 and 2 indicators")
	assert.False(t, r.Outdated(), "a whole state is written whole anyway")
	got, err := warning.MarshalState(r.State())
	require.NoError(t, err)
	assert.JSONEq(t, string(whole), string(got))

	// A head of version 2 holds the indicators, its 隐患 are items: they are read,
	// the indicators count as changed, and the engine is outdated (its head is to be
	// written again without them).
	head2, err := warning.MarshalHeadVersion2(e.State())
	require.NoError(t, err)
	require.Contains(t, string(head2), "PT-101")
	dangers := maps.Clone(s.items)
	delete(dangers, "indicator|PT-101")
	delete(dangers, "indicator|PT-102")
	r, err = warning.RestoreItems(cfg, "C1", head2, dangers)
	require.NoError(t, err)
	require.NoError(t, warning.RestoreFresh(r.State(), s.fresh))
	assert.True(t, r.Outdated())
	moved, err = r.ChangedItems("C1")
	require.NoError(t, err)
	assert.Equal(t, []string{"indicator|PT-101", "indicator|PT-102"}, slices.Sorted(maps.Keys(moved)))
	got, err = warning.MarshalState(r.State())
	require.NoError(t, err)
	assert.JSONEq(t, string(whole), string(got))
	restored, err := warning.RestoreItems(cfg, "C1", s.head, maps.Clone(s.items))
	require.NoError(t, err)
	assert.False(t, restored.Outdated(), "a head of version 3 is current")

	// A fresh part naming a company or indicator the head lacks is an error, not
	// dropped.
	bare, err := warning.RestoreItems(cfg, "C1", nil, nil)
	require.NoError(t, err)
	assert.Error(t, warning.RestoreFresh(bare.State(), warning.MarshalFresh(e.State())))
	bare.Apply(events.Reading{Indicator: "PT-999", Company: "C1", Value: 1, At: now}, now)
	assert.ErrorContains(t, warning.RestoreFresh(bare.State(), warning.MarshalFresh(e.State())), "indicator PT-101 of C1 not in the head or its items")

	// An item of a kind the engine does not know is an error, not silently dropped.
	_, err = warning.RestoreItems(cfg, "C1", s.head, map[string][]byte{"fact|x": []byte(`{}`)})
	assert.ErrorContains(t, err, `item "fact|x" of C1: unknown kind`)
	_, err = warning.RestoreItems(cfg, "C1", s.head, map[string][]byte{"indicator|PT-101": []byte(`{"def":1}`)})
	assert.ErrorContains(t, err, `item "indicator|PT-101" of C1`)
}

// A fresh part stored in either layout version lays the same last values, times and
// device statuses over the head; version 2 in well under half the bytes; an unknown
// version is an error.
func TestFreshPartOfEitherLayout(t *testing.T) {
	e := newEngine(t)
	shanghai := time.FixedZone("CST", 8*3600)
	now := at(t, "08:00:00")
	for i := range 300 {
		code := fmt.Sprintf("370102001-PT%05d", i)
		e.Apply(events.IndicatorDef{Code: code, Company: "C1", Name: code, Kind: events.KindPressure, Unit: "MPa",
			RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2)}}, now)
		at := now.Add(time.Duration(i%60) * time.Second).In(shanghai)
		if i%7 == 0 {
			at = at.Add(123 * time.Millisecond).UTC()
		}
		e.Apply(events.Reading{Company: "C1", Indicator: code, Value: 0.5 + float64(i)/1000, At: at}, now)
	}
	for i := range 5 {
		e.Apply(events.DeviceStatus{Company: "C1", Device: fmt.Sprintf("CAM%02d", i), At: now.In(shanghai), Normal: i != 2}, now)
	}
	head, err := warning.MarshalHead(e.State())
	require.NoError(t, err)
	items, err := e.ChangedItems("C1")
	require.NoError(t, err)
	want, err := warning.MarshalState(e.State())
	require.NoError(t, err)
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	fresh, fresh1 := warning.MarshalFresh(e.State()), warning.MarshalFreshLayout1(e.State())
	for name, b := range map[string][]byte{"version 2": fresh, "version 1": fresh1} {
		r, err := warning.RestoreItems(cfg, "C1", head, maps.Clone(items))
		require.NoError(t, err)
		require.NoError(t, warning.RestoreFresh(r.State(), b), name)
		got, err := warning.MarshalState(r.State())
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got), name)
	}
	assert.Less(t, len(fresh)*100, len(fresh1)*50, "version 2: %d bytes, version 1: %d", len(fresh), len(fresh1))
	t.Logf("fresh part of 300 points: version 2 %d bytes, version 1 %d", len(fresh), len(fresh1))

	r, err := warning.RestoreItems(cfg, "C1", head, items)
	require.NoError(t, err)
	assert.ErrorContains(t, warning.RestoreFresh(r.State(), append([]byte{3}, fresh[1:]...)), "layout version 3")
}
