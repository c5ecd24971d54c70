package governance

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// A company's memory grows with what it sends: one open fact per finding, one
// pending condition per base-data link not yet settled, one 双重预防 record per risk
// unit, event, measure, task, orphaned check record and open 隐患 — thousands for a
// company that uploads its whole chain. Rewriting all of it whenever one record
// arrives made the state write cost grow with the company's history, so a consumer
// stores the memory in two parts: a head (MarshalHead: everything else, small and
// bounded by the company's base data) and items, one per fact and record and one of
// the pending conditions, of which only those changed since the last store are
// written (ChangedItems, ItemsStored) and all are read back at a restart
// (RestoreItems). A consumer that stores the facts themselves (the Changes) need not
// store their items: it hands them back to RestoreItems from there.
//
// What changed is known without encoding what did not: open facts change only
// through the Changes the tracker returns (the same list that updates the stored
// facts), so the facts those name are marked; pending conditions and chain records
// are plain values, compared with the copy last stored.
//
// The pending conditions are one item for the whole company (pendingSet): each is
// set at one tick and settled — opened as a fact, or dropped — at the next, so one
// item per condition was written at one tick and deleted at the next, two rows per
// finding; the set is one row written at each tick that changed it.

// headVersion is the layout version of a head: the state without its items.
const headVersion = 2

// Item key prefixes: an item's key is its prefix, "|" and its identity within it.
const (
	itemFact    = "fact"    // an open fact: kind|subject (the family's kind)
	itemPending = "pending" // the base-data conditions not yet settled: one item, pendingSet (pending|kind|subject: one condition, as stored before)
	itemUnit    = "unit"    // 风险分析单元, by ID
	itemEvent   = "event"   // 风险事件
	itemMeasure = "measure" // 管控措施
	itemTask    = "task"    // 排查任务 with its last check
	itemOrphan  = "orphan"  // 排查记录 whose task is unknown
	itemDanger  = "danger"  // open 隐患
)

// storedItems is a company's items as they were last stored: what ChangedItems
// compares the memory with.
type storedItems struct {
	pending    map[factKey]time.Time
	oldPending []string                          // items of one pending condition each, as stored before pendingSet: removed at the next store
	records    map[string]map[string]ChainRecord // by prefix, then ID
	tasks      map[string]chainTask
}

func newStoredItems() *storedItems {
	return &storedItems{pending: map[factKey]time.Time{}, tasks: map[string]chainTask{},
		records: map[string]map[string]ChainRecord{itemUnit: {}, itemEvent: {}, itemMeasure: {}, itemOrphan: {}, itemDanger: {}}}
}

// chainRecords are the chain's maps of plain records, by item prefix.
func (s *chainState) records() map[string]map[string]ChainRecord {
	return map[string]map[string]ChainRecord{itemUnit: s.Units, itemEvent: s.Events, itemMeasure: s.Measures,
		itemOrphan: s.Orphans, itemDanger: s.Dangers}
}

// itemOp is one changed item, as ChangedItems encoded it and ItemsStored records it.
type itemOp struct {
	key  string
	save func(*storedItems) // records the item's current value (or its removal) as stored
}

// note marks the open facts the changes name as changed: their items are written
// at the next store. Every public method that changes facts passes its changes here.
func (t *Tracker) note(ch []Change) []Change {
	for i := range ch {
		f := &ch[i].Fact
		if c, ok := t.cos[f.Company]; ok {
			if c.dirty == nil {
				c.dirty = map[factKey]bool{}
			}
			c.dirty[key(f.Kind, f.Subject)] = true
		}
	}
	return ch
}

// setPending notes that the base-data condition k has been seen since.
func (c *company) setPending(k factKey, since time.Time) {
	c.pending[k] = since
	c.pendingChanged(k)
}

// dropPending forgets the base-data condition k, if pending.
func (c *company) dropPending(k factKey) {
	if _, ok := c.pending[k]; ok {
		delete(c.pending, k)
		c.pendingChanged(k)
	}
}

func (c *company) pendingChanged(k factKey) {
	if c.dirtyPending == nil {
		c.dirtyPending = map[factKey]bool{}
	}
	c.dirtyPending[k] = true
}

func factItemKey(k factKey) string { return itemFact + "|" + string(k.family) + "|" + k.subject }

// pendingSetKey is the item of a company's pending conditions.
const pendingSetKey = itemPending + "|"

// pendingSet is the item of a company's pending conditions: by the time each was
// first seen, then by kind, the subjects (a tick sets all its new conditions at
// one time), sorted.
type pendingSet []pendingGroup

type pendingGroup struct {
	Since    time.Time `json:"since"`
	Kind     Kind      `json:"kind"`
	Subjects []string  `json:"subjects"`
}

func newPendingSet(pending map[factKey]time.Time) pendingSet {
	keys := mapKeys(pending)
	sort.Slice(keys, func(i, j int) bool {
		a, b := pending[keys[i]], pending[keys[j]]
		switch {
		case !a.Equal(b):
			return a.Before(b)
		case keys[i].family != keys[j].family:
			return keys[i].family < keys[j].family
		}
		return keys[i].subject < keys[j].subject
	})
	var out pendingSet
	for _, k := range keys {
		since := pending[k]
		if n := len(out); n == 0 || !out[n-1].Since.Equal(since) || out[n-1].Kind != k.family {
			out = append(out, pendingGroup{Since: since, Kind: k.family})
		}
		g := &out[len(out)-1]
		g.Subjects = append(g.Subjects, k.subject)
	}
	return out
}

// samePending compares two sets of pending conditions (times as instants).
func samePending(a, b map[factKey]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, t := range a {
		if u, ok := b[k]; !ok || !t.Equal(u) {
			return false
		}
	}
	return true
}

// MarshalHead writes the tracker's memory without its items (MarshalState less the
// open facts, pending conditions and 双重预防 records), for RestoreItems.
func (t *Tracker) MarshalHead() ([]byte, error) {
	s := stateJSON{Version: headVersion, Companies: map[string]*companyJSON{}}
	for code, c := range t.cos {
		s.Companies[code] = t.marshalCompany(c, false)
	}
	return json.Marshal(s)
}

// ChangedItems encodes the items of company code changed since they were restored
// or last stored (ItemsStored): key → item as JSON, nil for an item that is gone.
// Until ItemsStored is called it returns them again (with anything changed since),
// so a store that failed loses nothing. A company restored from a whole state
// (Restore) or new has all its items changed.
func (t *Tracker) ChangedItems(code string) (map[string][]byte, error) {
	c, ok := t.cos[code]
	if !ok {
		return nil, nil
	}
	// Restored from a whole state, or new: every item is compared with nothing
	// stored until a store succeeds; after that only those marked changed are.
	whole, st := c.stored == nil, c.stored
	if whole {
		st = newStoredItems()
		for k := range c.open {
			if c.dirty == nil {
				c.dirty = map[factKey]bool{}
			}
			c.dirty[k] = true
		}
	}
	out := map[string][]byte{}
	c.unsaved, c.unsavedWhole = c.unsaved[:0], whole
	var err error
	put := func(k string, v any, save func(*storedItems)) {
		if err != nil {
			return
		}
		var b []byte
		if v != nil {
			if b, err = json.Marshal(v); err != nil {
				return
			}
		}
		out[k] = b
		c.unsaved = append(c.unsaved, itemOp{key: k, save: save})
	}
	for k := range c.dirty {
		if f, ok := c.open[k]; ok {
			put(factItemKey(k), f, nil)
		} else {
			put(factItemKey(k), nil, nil)
		}
	}
	if (whole || len(c.dirtyPending) > 0) && !samePending(c.pending, st.pending) || len(st.oldPending) > 0 {
		now := maps.Clone(c.pending)
		var set any
		if len(now) > 0 {
			set = newPendingSet(now)
		}
		put(pendingSetKey, set, func(s *storedItems) { s.pending, s.oldPending = now, nil })
		for _, k := range st.oldPending {
			put(k, nil, nil)
		}
	}
	record := func(prefix, id string) {
		if prefix == itemTask {
			k, ok := c.chain.Tasks[id]
			w, stored := st.tasks[id]
			switch {
			case ok && (!stored || !sameRecord(w.Record, k.Record) || !w.LastCheck.Equal(k.LastCheck)):
				v := *k
				put(itemTask+"|"+id, v, func(s *storedItems) { s.tasks[id] = v })
			case !ok && stored:
				put(itemTask+"|"+id, nil, func(s *storedItems) { delete(s.tasks, id) })
			}
			return
		}
		r, ok := c.chain.records()[prefix][id]
		w, stored := st.records[prefix][id]
		switch {
		case ok && (!stored || !sameRecord(w, r)):
			put(prefix+"|"+id, r, func(s *storedItems) { s.records[prefix][id] = r })
		case !ok && stored:
			put(prefix+"|"+id, nil, func(s *storedItems) { delete(s.records[prefix], id) })
		}
	}
	if whole {
		if c.chain != nil {
			for prefix, m := range c.chain.records() {
				for id := range m {
					record(prefix, id)
				}
			}
			for id := range c.chain.Tasks {
				record(itemTask, id)
			}
		}
	} else {
		if len(c.dirtyRecords) > 0 {
			chain(c)
		}
		for k := range c.dirtyRecords {
			prefix, id, _ := strings.Cut(k, "|")
			record(prefix, id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("governance: encode items of %s: %w", code, err)
	}
	return out, nil
}

// ItemsStored records that what the last ChangedItems of company code returned is
// stored. The memory must not have changed in between.
func (t *Tracker) ItemsStored(code string) {
	c, ok := t.cos[code]
	if !ok {
		return
	}
	if c.stored == nil {
		if !c.unsavedWhole {
			return
		}
		c.stored = newStoredItems()
	}
	for _, op := range c.unsaved {
		if op.save != nil {
			op.save(c.stored)
		}
	}
	c.unsaved = c.unsaved[:0]
	clear(c.dirty)
	clear(c.dirtyPending)
	clear(c.dirtyRecords)
}

// sameRecord compares two records by value (times as instants, whatever their
// location).
func sameRecord(a, b ChainRecord) bool {
	at, bt := a.At, b.At
	a.At, b.At = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}

// RestoreItems returns a tracker with cfg and the memory of company code written as
// a head (MarshalHead; a whole state written by MarshalState is read too, its items
// then count as changed) and its items (ChangedItems, as stored).
func RestoreItems(cfg Config, code string, head []byte, items map[string][]byte) (*Tracker, error) {
	t, err := Restore(cfg, head)
	if err != nil {
		return nil, err
	}
	c := t.company(code)
	if !isHead(head) {
		return t, nil // a whole state, as stored before items: every item is written at the next store
	}
	st := newStoredItems()
	for k, b := range items {
		prefix, id, ok := strings.Cut(k, "|")
		if !ok {
			return nil, fmt.Errorf("governance: read item %q of %s: no prefix", k, code)
		}
		if err := restoreItem(c, st, prefix, id, b); err != nil {
			return nil, fmt.Errorf("governance: read item %q of %s: %w", k, code, err)
		}
	}
	c.stored = st
	c.headChanged = false // the items just read changed nothing of the head
	return t, nil
}

// HeadChanged reports whether the head (MarshalHead) may differ from the one last
// stored or restored (HeadStored): the tracker marks a company's head where it
// changes it, so a consumer that finds no mark need not encode the head to compare
// it with the stored one.
func (t *Tracker) HeadChanged() bool {
	for _, c := range t.cos {
		if c.headChanged {
			return true
		}
	}
	return false
}

// HeadStored records that the head, as it is now, is stored: the marks are cleared.
func (t *Tracker) HeadStored() {
	for _, c := range t.cos {
		c.headChanged = false
	}
}

// isHead reports whether b is a head (headVersion) rather than a whole state.
func isHead(b []byte) bool {
	var v struct {
		Version int `json:"version"`
	}
	return json.Unmarshal(b, &v) == nil && v.Version == headVersion
}

func restoreItem(c *company, st *storedItems, prefix, id string, b []byte) error {
	switch prefix {
	case itemFact:
		var f Fact
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		c.open[key(f.Kind, f.Subject)] = &f
	case itemPending:
		if id != "" { // one condition, as stored before pendingSet
			var p pendingJSON
			if err := json.Unmarshal(b, &p); err != nil {
				return err
			}
			k := factKey{p.Kind, p.Subject}
			c.pending[k], st.pending[k] = p.Since, p.Since
			st.oldPending = append(st.oldPending, itemPending+"|"+id)
			return nil
		}
		var set pendingSet
		if err := json.Unmarshal(b, &set); err != nil {
			return err
		}
		for _, g := range set {
			for _, subject := range g.Subjects {
				k := factKey{g.Kind, subject}
				c.pending[k], st.pending[k] = g.Since, g.Since
			}
		}
	case itemTask:
		var k chainTask
		if err := json.Unmarshal(b, &k); err != nil {
			return err
		}
		chain(c).Tasks[id] = &k
		st.tasks[id] = k
	case itemUnit, itemEvent, itemMeasure, itemOrphan, itemDanger:
		var r ChainRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		chain(c).records()[prefix][id] = r
		st.records[prefix][id] = r
	default:
		return fmt.Errorf("unknown kind of item %q", prefix)
	}
	return nil
}

// chain is the company's chain, started if it was not.
func chain(c *company) *chainState {
	if c.chain == nil {
		c.chain = newChain()
	}
	return c.chain
}
