package governance_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// itemStore is what a consumer keeps of one company: the head and the items, written
// the way the runner writes them (only the changed items).
type itemStore struct {
	code        string
	head, fresh []byte // fresh: nil for a row written before the fresh part
	fresh1      []byte // the same fresh part in layout version 1
	items       map[string][]byte
	written     int // items written over the store's life
	heads       int // heads written over the store's life (when they changed)
	// marks: the head is encoded only when the tracker marked it changed (or none is
	// stored yet), and the marks are cleared once stored, as the runner does.
	marks bool
}

// save stores what changed; fail leaves the store as it was (a transaction that
// rolled back), without telling the tracker.
func (s *itemStore) save(tb testing.TB, tr *governance.Tracker, fail bool) {
	tb.Helper()
	changed, err := tr.ChangedItems(s.code)
	require.NoError(tb, err)
	head := s.head
	if !s.marks || s.head == nil || tr.HeadChanged() {
		head, err = tr.MarshalHead()
		require.NoError(tb, err)
	}
	fresh, err := tr.MarshalFresh()
	require.NoError(tb, err)
	if fail {
		return
	}
	for k, b := range changed {
		if b == nil {
			delete(s.items, k)
		} else {
			s.items[k] = b
		}
	}
	s.written += len(changed)
	if string(head) != string(s.head) {
		s.heads++
	}
	s.head, s.fresh, s.fresh1 = head, fresh, governance.MarshalFreshLayout1(tr)
	tr.ItemsStored(s.code)
	if s.marks {
		tr.HeadStored()
	}
}

func (s *itemStore) load(tb testing.TB) *governance.Tracker {
	tb.Helper()
	tr, err := governance.RestoreItems(governance.DefaultConfig(), s.code, s.head, s.items)
	require.NoError(tb, err)
	if s.fresh != nil {
		require.NoError(tb, tr.RestoreFresh(s.fresh))
		// The same memory from the fresh part as stored before layout version 2.
		tr1, err := governance.RestoreItems(governance.DefaultConfig(), s.code, s.head, s.items)
		require.NoError(tb, err)
		require.NoError(tb, tr1.RestoreFresh(s.fresh1))
		sameMemory(tb, tr, tr1, "restored from a layout 1 fresh part")
		require.Less(tb, len(s.fresh), len(s.fresh1), "layout 2 is the smaller")
	}
	return tr
}

// sameMemory fails unless two trackers remember the same.
func sameMemory(tb testing.TB, want, got *governance.Tracker, msg string) {
	tb.Helper()
	a, err := want.MarshalState()
	require.NoError(tb, err)
	b, err := got.MarshalState()
	require.NoError(tb, err)
	require.JSONEq(tb, string(a), string(b), msg)
}

// chainDays is two days of one company's 双重预防 records, in and out of order,
// with deletions, acceptances, orphans whose tasks come later, and ticks.
func chainDays(tb testing.TB) []timed {
	tb.Helper()
	t0 := at(tb, "08:00:00")
	var out []timed
	add := func(now time.Time, evs ...governance.Event) {
		for _, ev := range evs {
			out = append(out, timed{ev, now})
		}
		out = append(out, timed{nil, now}, timed{nil, now.Add(time.Minute)})
	}
	add(t0, events.HazardSource{Company: "C1", Code: "H1"}, unit("U1", "H1"), link(governance.TableRiskEvents, "E1", "U1"),
		link(governance.TableControlMeasures, "M1", "E1"), link(governance.TableControlMeasures, "M2", "E9"))
	for i := range 30 {
		now := t0.Add(time.Duration(i) * 20 * time.Minute)
		id := fmt.Sprintf("D%d", i)
		add(now,
			danger(id, []string{"H1", "H9"}[i%2], []string{"M1", "M2", "M7", ""}[i%4], now.Add(time.Hour), i%5 == 0, "0"),
			link(governance.TableCheckRecords, fmt.Sprintf("R%d", i), fmt.Sprintf("T%d", i%3)))
		if i%3 == 2 {
			add(now.Add(time.Minute), task(fmt.Sprintf("T%d", i%3), "M1", now.Add(-time.Hour), 1, "小时"))
		}
		if i%4 == 1 { // accepted, or withdrawn, a while later
			d := danger(fmt.Sprintf("D%d", i-1), "H1", "M1", now, false, "9")
			d.Deleted = i%8 == 1
			add(now.Add(2*time.Minute), d)
		}
		if i == 12 {
			gone := link(governance.TableControlMeasures, "M1", "E1")
			gone.Deleted = true
			add(now, gone)
		}
		if i == 20 {
			add(now, link(governance.TableControlMeasures, "M1", "E1"), link(governance.TableCheckRecords, "R1", "T1"))
		}
	}
	add(atDay(tb, "2021-06-02", "09:00:00"))
	return out
}

// Stored item by item, only what changed, a tracker restores to the same memory at
// any point — after stores that failed too — and resumes making the same facts.
func TestItemsRestoreTheSameMemory(t *testing.T) {
	var day []timed
	for _, e := range dayOfEvents(t) {
		if e.ev == nil || e.ev.CompanyCode() == "C3" {
			day = append(day, e)
		}
	}
	for name, c := range map[string]struct {
		code   string
		events []timed
		every  int // events between stores
	}{
		"chain": {"C1", chainDays(t), 1},
		"day":   {"C3", day, 97},
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTracker(t)
			tr.Register(c.code)
			s := &itemStore{code: c.code, items: map[string][]byte{}}
			s.save(t, tr, false)
			whole, j := journal{}, journal{}
			var resumed *governance.Tracker
			for i, e := range c.events {
				ch := apply(tr, e)
				whole.add(ch)
				if resumed != nil {
					j.add(apply(resumed, e))
				}
				if i%c.every != 0 && i != len(c.events)-1 {
					continue
				}
				s.save(t, tr, i%7 == 3) // now and then a store fails: its items come again
				if i%7 == 3 {
					continue
				}
				sameMemory(t, tr, s.load(t), fmt.Sprintf("after event %d", i))
				if resumed == nil && i >= len(c.events)/2 {
					resumed = s.load(t) // a restart midway
					j = journal{}
					for _, f := range whole {
						j[f.ID] = f
					}
				}
			}
			require.NotNil(t, resumed)
			assert.Equal(t, sortedJSON(t, whole), sortedJSON(t, j), "the restarted tracker made the same facts")
			assert.NotEmpty(t, s.items)
			assert.NotEmpty(t, tr.OpenFacts(c.code))
			t.Logf("%d items stored, %d written over %d events", len(s.items), s.written, len(c.events))
		})
	}
}

func apply(tr *governance.Tracker, e timed) []governance.Change {
	if e.ev == nil {
		return tr.Tick(e.now)
	}
	return tr.Apply(e.ev, e.now)
}

// A state stored whole, as before items, restores and then writes every item once;
// a head with nothing changed writes none.
func TestWholeStateMovesToItems(t *testing.T) {
	tr := newTracker(t)
	for _, e := range chainDays(t)[:60] {
		apply(tr, e)
	}
	whole, err := tr.MarshalState()
	require.NoError(t, err)
	s := &itemStore{code: "C1", head: whole, items: map[string][]byte{}}
	back := s.load(t)
	sameMemory(t, tr, back, "a whole state")
	s.save(t, back, false)
	assert.NotEmpty(t, s.items)
	sameMemory(t, tr, s.load(t), "moved to items")
	changed, err := s.load(t).ChangedItems("C1")
	require.NoError(t, err)
	assert.Empty(t, changed, "restored from items, nothing has changed")
	head, err := back.MarshalHead()
	require.NoError(t, err)
	assert.Less(t, len(head), len(whole)/2, "the head leaves the items out")
}

// Uploads, readings and device reports that open or close no fact change the fresh
// part only — the head is the same, byte for byte, so it is not written again — and
// head and fresh part restore the same memory. A fresh part naming a company or an
// indicator its head does not hold is an error.
func TestRecordsChangeTheFreshPartOnly(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	tr.Apply(events.IndicatorDef{Code: "C1-P1", Company: "C1", Kind: events.KindPressure, RangeLow: f(0), RangeHigh: f(2)}, t0)
	tr.Apply(events.Reading{Company: "C1", Indicator: "C1-P1", Value: 0.8, At: t0}, t0)
	tr.Apply(events.DeviceStatus{Company: "C1", Device: "AI-01", At: t0, Normal: true}, t0)
	s := &itemStore{code: "C1", items: map[string][]byte{}}
	s.save(t, tr, false)
	head, fresh := s.head, s.fresh
	for i := 1; i <= 5; i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		tr.Apply(governance.Upload{Company: "C1", Table: "sensor-readings", Accepted: 1, Rejected: map[string]int{"range": 1}}, now)
		tr.Apply(events.Reading{Company: "C1", Indicator: "C1-P1", Value: 0.8 + float64(i)/100, At: now}, now)
		tr.Apply(events.DeviceStatus{Company: "C1", Device: "AI-01", At: now, Normal: true}, now)
		s.save(t, tr, false)
		require.Equal(t, string(head), string(s.head), "minute %d", i)
		require.NotEqual(t, fresh, s.fresh)
		fresh = s.fresh
		sameMemory(t, tr, s.load(t), fmt.Sprintf("minute %d", i))
	}

	other := newTracker(t)
	other.Register("C2")
	assert.Error(t, other.RestoreFresh(s.fresh), "no such company")
	other.Register("C1")
	assert.Error(t, other.RestoreFresh(s.fresh), "no such indicator")
	assert.Error(t, tr.RestoreFresh(s.fresh[:len(s.fresh)-1]), "truncated")
}

// The pending conditions of a company are one item: a tick that finds 80 broken
// links writes it once, the next tick (which opens them as facts) deletes it, where
// one item per condition wrote 80 rows and deleted them again.
func TestPendingConditionsAreOneItem(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	for i := range 40 { // bound to a hazard and a measure nobody registered: two findings each
		tr.Apply(danger(fmt.Sprintf("D%02d", i), "H9", "M9", t0.Add(24*time.Hour), false, "0"), t0)
	}
	s := &itemStore{code: "C1", items: map[string][]byte{}}
	s.save(t, tr, false)
	pendingWrites := func(tick time.Time) (written int, deleted bool) {
		tr.Tick(tick)
		changed, err := tr.ChangedItems("C1")
		require.NoError(t, err)
		for k, b := range changed {
			if strings.HasPrefix(k, "pending|") {
				written++
				deleted = b == nil
			}
		}
		s.save(t, tr, false)
		return written, deleted
	}
	n, deleted := pendingWrites(t0.Add(time.Minute))
	assert.Equal(t, 1, n, "80 findings pending: one item")
	assert.False(t, deleted)
	sameMemory(t, tr, s.load(t), "80 conditions pending")
	n, deleted = pendingWrites(t0.Add(2 * time.Minute))
	assert.Equal(t, 1, n)
	assert.True(t, deleted, "all opened: the item goes")
	assert.Len(t, tr.OpenFacts("C1"), 80)
	n, _ = pendingWrites(t0.Add(3 * time.Minute))
	assert.Zero(t, n, "nothing pending, nothing written")
	sameMemory(t, tr, s.load(t), "the facts open")
}

// Pending conditions stored one item each (before they were one item) restore the
// same memory; the next store replaces them by the one item.
func TestPendingConditionsStoredOneByOneMoveToOneItem(t *testing.T) {
	tr := newTracker(t)
	t0 := at(t, "08:00:00")
	for i := range 5 {
		tr.Apply(danger(fmt.Sprintf("D%02d", i), "H9", "", t0.Add(24*time.Hour), false, "0"), t0)
	}
	tr.Tick(t0.Add(time.Minute))
	s := &itemStore{code: "C1", items: map[string][]byte{}}
	s.save(t, tr, false)
	var set []struct {
		Since    time.Time       `json:"since"`
		Kind     governance.Kind `json:"kind"`
		Subjects []string        `json:"subjects"`
	}
	require.NoError(t, json.Unmarshal(s.items["pending|"], &set))
	delete(s.items, "pending|")
	for _, g := range set {
		for _, subject := range g.Subjects {
			b, err := json.Marshal(map[string]any{"kind": g.Kind, "subject": subject, "since": g.Since})
			require.NoError(t, err)
			s.items["pending|"+string(g.Kind)+"|"+subject] = b
		}
	}
	require.Len(t, s.items, 5+5, "five 隐患 and their five conditions, one item each")

	back := s.load(t)
	sameMemory(t, tr, back, "conditions stored one by one")
	s.save(t, back, false)
	assert.Len(t, s.items, 5+1, "five 隐患 and one item of conditions")
	assert.Contains(t, s.items, "pending|")
	sameMemory(t, tr, s.load(t), "moved to one item")
	want, err := json.Marshal(tr.Tick(t0.Add(2 * time.Minute)))
	require.NoError(t, err)
	got, err := json.Marshal(s.load(t).Tick(t0.Add(2 * time.Minute)))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "the same facts open")
	assert.Contains(t, string(want), "danger_hazard_unknown")
}
