package governance

import (
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/statebin"
)

// Every record moves its company's last upload and that day's batch count, every
// reading its indicator's last-seen time, value and day range, every device status
// its device's last report; the rest of the head (definitions, base data, alarms,
// commitments) changes far more rarely. Rewriting the whole head — every indicator
// with its definition — at each batch cost the same whatever the number of records,
// so a consumer stores those parts apart (MarshalFresh, compact and cheap to encode)
// and the head (MarshalHead) without them: a batch of readings that opened or closed
// nothing changes the fresh part alone.

// freshVersion is the layout version of a fresh part: 2 writes times and keys as
// differences from the ones before them (statebin's second layout); 1, still read,
// wrote them whole.
const freshVersion = 2

// MarshalFresh writes what MarshalHead leaves out — each company's last upload and
// reading, uploads by table and batch counts by day, each indicator's last-seen time,
// value, run of equal values and day range, each device's last report — for
// RestoreFresh. Equal memories encode to equal bytes.
func (t *Tracker) MarshalFresh() ([]byte, error) { return t.marshalFresh(freshVersion), nil }

// marshalFresh writes a fresh part in layout version (1: for tests of reading parts
// stored before version 2).
func (t *Tracker) marshalFresh(version int) []byte {
	var w statebin.Writer
	w.Begin(version)
	statebin.Map(&w, t.cos, func(c *company) {
		w.Time(c.lastUpload)
		w.Time(c.lastReading)
		statebin.Map(&w, c.tables, w.Time)
		statebin.Map(&w, c.batches, func(b *batchCount) {
			w.Int(b.total)
			statebin.Map(&w, b.rejected, w.Int)
		})
		statebin.MapKeys(&w, c.indicators, &c.freshKeys.indicators, func(i *indicator) {
			w.Time(i.lastSeen)
			w.Time(i.lastAt)
			w.Float(i.last)
			w.Int(i.same)
			w.Time(i.sameSince)
			w.String(i.day)
			w.Float(i.min)
			w.Float(i.max)
		})
		statebin.MapKeys(&w, c.devices, &c.freshKeys.devices, func(d *device) {
			w.Time(d.last)
			w.Bool(d.normal)
		})
	})
	return w.Bytes()
}

// RestoreFresh lays a fresh part (MarshalFresh) over a memory read from its head
// (MarshalHead, RestoreItems). It fails for a company or indicator the head does not
// hold: the two are written together whenever the head changes, so the head holds
// every one.
func (t *Tracker) RestoreFresh(b []byte) error {
	r := statebin.NewReader(b)
	if err := r.Begin(freshVersion); err != nil {
		return fmt.Errorf("governance: read fresh part: %w", err)
	}
	var missing error
	r.Entries(func(code string) {
		c, ok := t.cos[code]
		if !ok {
			missing = fmt.Errorf("governance: read fresh part: company %s not in the head", code)
			// Read on into a scratch copy, to report the first error met.
			c = &company{tables: map[string]time.Time{}, batches: map[string]*batchCount{},
				indicators: map[string]*indicator{}, devices: map[string]*device{}}
		}
		c.lastUpload, c.lastReading = r.Time(), r.Time()
		clear(c.tables)
		r.Entries(func(k string) { c.tables[k] = r.Time() })
		clear(c.batches)
		r.Entries(func(k string) {
			bc := &batchCount{total: r.Int(), rejected: map[string]int{}}
			r.Entries(func(rule string) { bc.rejected[rule] = r.Int() })
			c.batches[k] = bc
		})
		r.Entries(func(k string) {
			i, ok := c.indicators[k]
			if !ok {
				if missing == nil {
					missing = fmt.Errorf("governance: read fresh part: indicator %s of %s not in the head", k, code)
				}
				i = &indicator{}
			}
			i.lastSeen, i.lastAt, i.last, i.same = r.Time(), r.Time(), r.Float(), r.Int()
			i.sameSince, i.day, i.min, i.max = r.Time(), r.String(), r.Float(), r.Float()
		})
		clear(c.devices)
		r.Entries(func(k string) { c.devices[k] = &device{last: r.Time(), normal: r.Bool()} })
	})
	if err := r.End(); err != nil {
		return fmt.Errorf("governance: read fresh part: %w", err)
	}
	return missing
}
