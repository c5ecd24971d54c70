package warning

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// A company's open 隐患 grow with what it sends (every 隐患 stays until it is accepted
// or deleted), and its indicators with its base data: a company with a thousand points
// has a thousand definitions, each with its pending exceedance and alarms. The rest of
// its state (hazard sources, company alarms, open warnings) is small. Rewriting every
// open 隐患 and every indicator whenever one of them changed made the state write cost
// grow with the company's size — a reading that raised one alarm and one warning
// rewrote 140 kB of definitions — so a consumer stores the state in parts: a head
// (MarshalHead: everything but the open 隐患 and the indicators), one item per open
// 隐患 and one per indicator (its definition and alarms; its last value and time are
// in the fresh part), of which only those changed since the last store are written
// (ChangedItems, ItemsStored) and all are read back at a restart (RestoreItems). The
// engine marks an item changed where it changes it (mark): a set of keys, not a copy
// of what was stored, so the memory does not hold every item twice.

// headVersion is the layout version of a head: the state without its items. Heads of
// version 2 (whose indicators were in the head, not items) are still read.
const headVersion = 3

// headVersionIndicators is the head layout that still held the indicators.
const headVersionIndicators = 2

// The key prefixes of items: "danger|" + an open 隐患's ID, "indicator|" + an
// indicator's code.
const (
	itemDanger    = "danger"
	itemIndicator = "indicator"
)

// itemKey names one item of a company: its kind (itemDanger, itemIndicator) and ID.
type itemKey struct{ kind, id string }

func (k itemKey) String() string { return k.kind + "|" + k.id }

// MarshalHead writes the state without its items (the open 隐患 and the indicators),
// for RestoreItems, and without what MarshalFresh writes (the devices), which
// RestoreFresh lays over it.
func MarshalHead(s *State) ([]byte, error) { return marshalHead(s, headVersion) }

// marshalHead writes a head in layout version (headVersionIndicators: with the
// indicators less their last values, for tests of reading heads stored before
// version 3).
func marshalHead(s *State, version int) ([]byte, error) {
	h := State{Version: version, Companies: make(map[string]*CompanyState, len(s.Companies))}
	for code, c := range s.Companies {
		cc := *c
		cc.Dangers, cc.Devices, cc.Indicators = nil, nil, nil
		if version == headVersionIndicators {
			cc.Indicators = make(map[string]*IndicatorState, len(c.Indicators))
			for k, i := range c.Indicators {
				cc.Indicators[k] = i.withoutLast()
			}
		}
		h.Companies[code] = &cc
	}
	return json.Marshal(h)
}

// withoutLast returns a copy of the indicator without its last value and time (the
// fresh part's).
func (s *IndicatorState) withoutLast() *IndicatorState {
	i := *s
	i.Last, i.LastAt = 0, time.Time{}
	return &i
}

// HeadChanged reports whether the head (MarshalHead) may have changed since the
// engine was made or HeadStored was last called: the engine marks a company's head
// where it changes it, so a consumer that finds no mark need not encode the head to
// compare it with the stored one.
func (e *Engine) HeadChanged() bool {
	for _, c := range e.st.Companies {
		if c.headChanged {
			return true
		}
	}
	return false
}

// HeadStored records that the head, as it is now, is stored: the marks are cleared.
func (e *Engine) HeadStored() {
	for _, c := range e.st.Companies {
		c.headChanged = false
	}
}

// Outdated reports whether the engine was read from a head in a layout older than
// MarshalHead writes: its head must be written again even though nothing changed,
// or the older head would be read, and its items rewritten, at every restart.
func (e *Engine) Outdated() bool { return e.outdated }

// itemState is what the engine knows of a company's stored items.
type itemState struct {
	restored bool                 // its items were read back: only marked ones differ from what is stored
	dirty    map[itemKey]struct{} // items set or forgotten since the last store
	unsaved  []itemKey            // what the last ChangedItems returned
}

// mark notes that company's item (kind, id) was set, changed or forgotten.
func (e *Engine) mark(company, kind, id string) {
	it := e.itemsOf(company)
	if it.dirty == nil {
		it.dirty = map[itemKey]struct{}{}
	}
	it.dirty[itemKey{kind, id}] = struct{}{}
}

// markAll marks every item company c holds.
func (e *Engine) markAll(company string, c *CompanyState) {
	for id := range c.Dangers {
		e.mark(company, itemDanger, id)
	}
	for code := range c.Indicators {
		e.mark(company, itemIndicator, code)
	}
}

func (e *Engine) itemsOf(company string) *itemState {
	if e.items == nil {
		e.items = map[string]*itemState{}
	}
	it, ok := e.items[company]
	if !ok {
		it = &itemState{}
		e.items[company] = it
	}
	return it
}

// ChangedItems encodes the items of company code changed since they were restored
// or last stored (ItemsStored): key → item as JSON, nil for an item that is gone.
// Until ItemsStored is called it returns them again (with anything changed since),
// so a store that failed loses nothing. A company restored from a whole state
// (UnmarshalState) or new has all its items changed.
func (e *Engine) ChangedItems(code string) (map[string][]byte, error) {
	c, ok := e.st.Companies[code]
	if !ok {
		return nil, nil
	}
	it := e.itemsOf(code)
	if !it.restored {
		e.markAll(code, c)
	}
	out := make(map[string][]byte, len(it.dirty))
	it.unsaved = it.unsaved[:0]
	for k := range it.dirty {
		var v any
		switch k.kind {
		case itemDanger:
			if d, ok := c.Dangers[k.id]; ok {
				v = d
			}
		case itemIndicator:
			if i, ok := c.Indicators[k.id]; ok {
				v = i.withoutLast()
			}
		}
		var b []byte
		if v != nil {
			var err error
			if b, err = json.Marshal(v); err != nil {
				return nil, fmt.Errorf("warning: encode items of %s: %w", code, err)
			}
		}
		out[k.String()] = b
		it.unsaved = append(it.unsaved, k)
	}
	return out, nil
}

// ItemsStored records that what the last ChangedItems of company code returned is
// stored. The state must not have changed in between.
func (e *Engine) ItemsStored(code string) {
	it, ok := e.items[code]
	if !ok {
		return
	}
	for _, k := range it.unsaved {
		delete(it.dirty, k)
	}
	it.unsaved = it.unsaved[:0]
	it.restored = true
}

// RestoreItems returns an engine with cfg over the state of company code written as
// a head (MarshalHead; a whole state written by MarshalState is read too, its items
// then count as changed; nil: a company with no state yet) and its items
// (ChangedItems, as stored). A head of version 2 holds the indicators: they count as
// changed, and the engine is Outdated until its head is stored again.
func RestoreItems(cfg Config, code string, head []byte, items map[string][]byte) (*Engine, error) {
	st := NewState()
	if head != nil {
		var err error
		if st, err = UnmarshalState(head); err != nil {
			return nil, err
		}
	}
	version := st.Version
	st.Version = stateVersion // the memory is whole again once its items are in
	e, err := New(cfg, st)
	if err != nil {
		return nil, err
	}
	if version != headVersion && version != headVersionIndicators {
		return e, nil // new, or a whole state as stored before items: every item is written at the next store
	}
	e.itemsOf(code).restored = true
	if c, ok := st.Companies[code]; ok && version == headVersionIndicators {
		e.outdated = true
		for k := range c.Indicators {
			e.mark(code, itemIndicator, k)
		}
	}
	if len(items) == 0 {
		return e, nil
	}
	c := st.company(code)
	for k, b := range items {
		prefix, id, _ := strings.Cut(k, "|")
		var err error
		switch prefix {
		case itemDanger:
			var d events.HiddenDanger
			if err = json.Unmarshal(b, &d); err == nil {
				c.Dangers[id] = d
			}
		case itemIndicator:
			i := &IndicatorState{}
			if err = json.Unmarshal(b, i); err == nil {
				c.Indicators[id] = i
			}
		default:
			err = errors.New("unknown kind")
		}
		if err != nil {
			return nil, fmt.Errorf("warning: read item %q of %s: %w", k, code, err)
		}
	}
	c.majors, c.index = nil, nil // made again from the 隐患 and indicators read
	return e, nil
}

// sameDanger compares two 隐患 by value (the deadline as an instant, whatever its
// location).
func sameDanger(a, b events.HiddenDanger) bool {
	at, bt := a.Deadline, b.Deadline
	a.Deadline, b.Deadline = at.UTC(), bt.UTC()
	return a == b
}
