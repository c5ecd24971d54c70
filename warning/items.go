package warning

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// A company's open 隐患 grow with what it sends (every 隐患 stays until it is accepted
// or deleted), while the rest of its state is bounded by its base data (indicators,
// hazard sources, devices, open warnings). Rewriting every open 隐患 whenever one
// reading arrived made the state write cost grow with the company's history, so a
// consumer stores the state in two parts: a head (MarshalHead: everything but the
// open 隐患) and one item per open 隐患, of which only those changed since the last
// store are written (ChangedItems, ItemsStored) and all are read back at a restart
// (RestoreItems). The engine marks a 隐患 changed where it sets or forgets one
// (markDanger): a set of IDs, not a copy of what was stored, so the memory does not
// hold every open 隐患 twice.

// headVersion is the layout version of a head: the state without its items.
const headVersion = 2

// itemDanger is the key prefix of an open 隐患's item: "danger|" + its ID.
const itemDanger = "danger"

// MarshalHead writes the state without its items (the open 隐患), for RestoreItems,
// and without what MarshalFresh writes (the indicators' last values and times, the
// devices), which RestoreFresh lays over it.
func MarshalHead(s *State) ([]byte, error) {
	h := State{Version: headVersion, Companies: make(map[string]*CompanyState, len(s.Companies))}
	for code, c := range s.Companies {
		cc := *c
		cc.Dangers, cc.Devices = nil, nil
		cc.Indicators = make(map[string]*IndicatorState, len(c.Indicators))
		for k, i := range c.Indicators {
			ii := *i
			ii.Last, ii.LastAt = 0, time.Time{}
			cc.Indicators[k] = &ii
		}
		h.Companies[code] = &cc
	}
	return json.Marshal(h)
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

// itemState is what the engine knows of a company's stored items.
type itemState struct {
	restored bool                // its items were read back: only marked ones differ from what is stored
	dirty    map[string]struct{} // 隐患 set or forgotten since the last store
	unsaved  []string            // what the last ChangedItems returned
}

// markDanger notes that company's 隐患 id was set or forgotten.
func (e *Engine) markDanger(company, id string) {
	it := e.itemsOf(company)
	if it.dirty == nil {
		it.dirty = map[string]struct{}{}
	}
	it.dirty[id] = struct{}{}
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
		for id := range c.Dangers {
			e.markDanger(code, id)
		}
	}
	out := make(map[string][]byte, len(it.dirty))
	it.unsaved = it.unsaved[:0]
	for id := range it.dirty {
		var b []byte
		if d, ok := c.Dangers[id]; ok {
			var err error
			if b, err = json.Marshal(d); err != nil {
				return nil, fmt.Errorf("warning: encode items of %s: %w", code, err)
			}
		}
		out[itemDanger+"|"+id] = b
		it.unsaved = append(it.unsaved, id)
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
	for _, id := range it.unsaved {
		delete(it.dirty, id)
	}
	it.unsaved = it.unsaved[:0]
	it.restored = true
}

// RestoreItems returns an engine with cfg over the state of company code written as
// a head (MarshalHead; a whole state written by MarshalState is read too, its items
// then count as changed; nil: a company with no state yet) and its items
// (ChangedItems, as stored).
func RestoreItems(cfg Config, code string, head []byte, items map[string][]byte) (*Engine, error) {
	st := NewState()
	if head != nil {
		var err error
		if st, err = UnmarshalState(head); err != nil {
			return nil, err
		}
	}
	isHead := st.Version == headVersion
	st.Version = stateVersion // the memory is whole again once its items are in
	e, err := New(cfg, st)
	if err != nil {
		return nil, err
	}
	if !isHead {
		return e, nil // new, or a whole state as stored before items: every item is written at the next store
	}
	e.itemsOf(code).restored = true
	if len(items) == 0 {
		return e, nil
	}
	c := st.company(code)
	for k, b := range items {
		prefix, id, ok := strings.Cut(k, "|")
		if !ok || prefix != itemDanger {
			return nil, fmt.Errorf("warning: read item %q of %s: unknown kind", k, code)
		}
		var d events.HiddenDanger
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("warning: read item %q of %s: %w", k, code, err)
		}
		c.Dangers[id] = d
	}
	c.majors = nil // made again from the 隐患 read
	return e, nil
}

// sameDanger compares two 隐患 by value (the deadline as an instant, whatever its
// location).
func sameDanger(a, b events.HiddenDanger) bool {
	at, bt := a.Deadline, b.Deadline
	a.Deadline, b.Deadline = at.UTC(), bt.UTC()
	return a == b
}
