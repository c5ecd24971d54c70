package warning

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shandong-emergency/chemguard/events"
)

// A company's open 隐患 grow with what it sends (every 隐患 stays until it is accepted
// or deleted), while the rest of its state is bounded by its base data (indicators,
// hazard sources, devices, open warnings). Rewriting every open 隐患 whenever one
// reading arrived made the state write cost grow with the company's history, so a
// consumer stores the state in two parts: a head (MarshalHead: everything but the
// open 隐患) and one item per open 隐患, of which only those changed since the last
// store are written (ChangedItems, ItemsStored) and all are read back at a restart
// (RestoreItems). What changed is found by comparing each 隐患 with the copy last
// stored: a plain value, cheap to compare and changed in one place or another of the
// engine (an upload, the prune) without each having to remember to mark it.

// headVersion is the layout version of a head: the state without its items.
const headVersion = 2

// itemDanger is the key prefix of an open 隐患's item: "danger|" + its ID.
const itemDanger = "danger"

// MarshalHead writes the state without its items (the open 隐患), for RestoreItems.
func MarshalHead(s *State) ([]byte, error) {
	h := State{Version: headVersion, Companies: make(map[string]*CompanyState, len(s.Companies))}
	for code, c := range s.Companies {
		cc := *c
		cc.Dangers = nil
		h.Companies[code] = &cc
	}
	return json.Marshal(h)
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
	was := e.storedOf(code)
	out := map[string][]byte{}
	var ids []string
	for id, d := range c.Dangers {
		if w, ok := was[id]; ok && sameDanger(w, d) {
			continue
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("warning: encode items of %s: %w", code, err)
		}
		out[itemDanger+"|"+id] = b
		ids = append(ids, id)
	}
	for id := range was {
		if _, ok := c.Dangers[id]; !ok {
			out[itemDanger+"|"+id] = nil
			ids = append(ids, id)
		}
	}
	if e.unsaved == nil {
		e.unsaved = map[string][]string{}
	}
	e.unsaved[code] = ids
	return out, nil
}

// ItemsStored records that what the last ChangedItems of company code returned is
// stored. The state must not have changed in between.
func (e *Engine) ItemsStored(code string) {
	c, ok := e.st.Companies[code]
	if !ok {
		return
	}
	was := e.storedOf(code)
	for _, id := range e.unsaved[code] {
		if d, ok := c.Dangers[id]; ok {
			was[id] = d
		} else {
			delete(was, id)
		}
	}
	delete(e.unsaved, code)
}

// storedOf is company code's items as last stored, created empty.
func (e *Engine) storedOf(code string) map[string]events.HiddenDanger {
	if e.stored == nil {
		e.stored = map[string]map[string]events.HiddenDanger{}
	}
	was, ok := e.stored[code]
	if !ok {
		was = map[string]events.HiddenDanger{}
		e.stored[code] = was
	}
	return was
}

// sameDanger compares two 隐患 by value (the deadline as an instant, whatever its
// location).
func sameDanger(a, b events.HiddenDanger) bool {
	at, bt := a.Deadline, b.Deadline
	a.Deadline, b.Deadline = at.UTC(), bt.UTC()
	return a == b
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
	if len(items) == 0 {
		return e, nil
	}
	c := st.company(code)
	was := e.storedOf(code)
	for k, b := range items {
		prefix, id, ok := strings.Cut(k, "|")
		if !ok || prefix != itemDanger {
			return nil, fmt.Errorf("warning: read item %q of %s: unknown kind", k, code)
		}
		var d events.HiddenDanger
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("warning: read item %q of %s: %w", k, code, err)
		}
		c.Dangers[id], was[id] = d, d
	}
	return e, nil
}
