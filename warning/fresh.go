package warning

import (
	"fmt"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/statebin"
)

// Every reading moves its indicator's last value and time, and every device status
// its device's; the rest of a company's head (definitions, pending exceedances,
// alarms, warnings, base data) changes far more rarely. Rewriting the whole head —
// every indicator with its definition — at each batch that carried a reading cost
// the same whatever the number of readings, so a consumer stores those parts apart
// (MarshalFresh, compact and cheap to encode) and the head (MarshalHead) without
// them: a batch of readings that raised nothing changes the fresh part alone.

// freshVersion is the layout version of a fresh part: 2 writes times and keys as
// differences from the ones before them (statebin's second layout); 1, still read,
// wrote them whole.
const freshVersion = 2

// MarshalFresh writes what MarshalHead leaves out: each indicator's last value and
// its time and each device's last status, for RestoreFresh. Equal states encode to
// equal bytes.
func MarshalFresh(s *State) []byte { return marshalFresh(s, freshVersion) }

// marshalFresh writes a fresh part in layout version (1: for tests of reading parts
// stored before version 2).
func marshalFresh(s *State, version int) []byte {
	var w statebin.Writer
	w.Begin(version)
	statebin.Map(&w, s.Companies, func(c *CompanyState) {
		statebin.MapKeys(&w, c.Indicators, &c.freshKeys.indicators, func(i *IndicatorState) {
			w.Float(i.Last)
			w.Time(i.LastAt)
		})
		statebin.MapKeys(&w, c.Devices, &c.freshKeys.devices, func(d events.DeviceStatus) {
			w.String(d.Company)
			w.String(d.Device)
			w.Time(d.At)
			w.Bool(d.Normal)
		})
	})
	return w.Bytes()
}

// RestoreFresh lays a fresh part (MarshalFresh) over a state read from its head
// (MarshalHead) and items (RestoreItems). It fails for an indicator or company they
// do not hold: an indicator's item is written in the transaction that first writes
// the fresh part with it, so they hold every one.
func RestoreFresh(s *State, b []byte) error {
	r := statebin.NewReader(b)
	if err := r.Begin(freshVersion); err != nil {
		return fmt.Errorf("warning: read fresh part: %w", err)
	}
	var missing error
	r.Entries(func(code string) {
		c, ok := s.Companies[code]
		if !ok {
			missing = fmt.Errorf("warning: read fresh part: company %s not in the head", code)
			c = newCompanyState() // read on, to report the first error met
		}
		r.Entries(func(k string) {
			last, at := r.Float(), r.Time()
			if i, ok := c.Indicators[k]; ok {
				i.Last, i.LastAt = last, at
			} else if missing == nil {
				missing = fmt.Errorf("warning: read fresh part: indicator %s of %s not in the head or its items", k, code)
			}
		})
		c.Devices = map[string]events.DeviceStatus{}
		c.index = nil // made again from the devices read
		r.Entries(func(k string) {
			c.Devices[k] = events.DeviceStatus{Company: r.String(), Device: r.String(), At: r.Time(), Normal: r.Bool()}
		})
	})
	if err := r.End(); err != nil {
		return fmt.Errorf("warning: read fresh part: %w", err)
	}
	return missing
}
