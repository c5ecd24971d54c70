package warning

import (
	"container/heap"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// The enterprise model is assessed at every event that feeds it (every device
// status, every reading that changes an alarm) and counts only a few of a company's
// points: those alarmed, those without data and the devices offline. Passing over
// every indicator and device of the company at each assessment cost each event the
// company's size, so the model reads an index of those points instead, kept by the
// engine where it changes an indicator's alarms or a device's status. What time alone
// changes — a device falling silent — is read from the devices ordered by their last
// status: only those old enough to be silent are looked at.

// pointIndex is a company's index of the points the enterprise model counts.
type pointIndex struct {
	alarmed  map[string]*IndicatorState // indicators with an active threshold alarm, by code
	noData   map[string]*IndicatorState // indicators with an active 数据中断, by code
	abnormal map[string]bool            // devices whose last status is not normal, by key
	devices  deviceQueue                // every device, the oldest last status first
}

// points returns the company's index, made from every point when first needed (so
// not stored) and kept by trackIndicator and trackDevice.
func (c *CompanyState) points() *pointIndex {
	if c.index != nil {
		return c.index
	}
	p := &pointIndex{alarmed: map[string]*IndicatorState{}, noData: map[string]*IndicatorState{},
		abnormal: map[string]bool{}, devices: deviceQueue{pos: map[string]int{}}}
	c.index = p
	for code, s := range c.Indicators {
		c.trackIndicator(code, s)
	}
	for key, d := range c.Devices {
		c.trackDevice(key, d)
	}
	return p
}

// trackIndicator records what indicator code's alarms are now in the index (if one
// is made).
func (c *CompanyState) trackIndicator(code string, s *IndicatorState) {
	p := c.index
	if p == nil {
		return
	}
	if s.Alarm != nil {
		p.alarmed[code] = s
	} else {
		delete(p.alarmed, code)
	}
	if s.NoData != nil {
		p.noData[code] = s
	} else {
		delete(p.noData, code)
	}
}

// trackDevice records device key's last status d in the index (if one is made).
func (c *CompanyState) trackDevice(key string, d events.DeviceStatus) {
	p := c.index
	if p == nil {
		return
	}
	if d.Normal {
		delete(p.abnormal, key)
	} else {
		p.abnormal[key] = true
	}
	q := &p.devices
	if i, ok := q.pos[key]; ok {
		q.at[i] = d.At
		heap.Fix(q, i)
		return
	}
	heap.Push(q, deviceAt{key: key, at: d.At})
}

// offline lists the devices the enterprise model counts offline at now: not normal,
// or silent on the intake clock in for after or longer.
func (c *CompanyState) offline(now time.Time, in events.Intake, after time.Duration) []string {
	p := c.points()
	out := make([]string, 0, len(p.abnormal))
	for key := range p.abnormal {
		out = append(out, c.Devices[key].Device)
	}
	// Silence only shrinks as the last status gets newer, so the devices silent at
	// now are a top of the queue: a subtree whose root is not silent holds none.
	q := &p.devices
	var walk func(i int)
	walk = func(i int) {
		if i >= len(q.keys) || in.Silence(q.at[i], now) < after {
			return
		}
		if !p.abnormal[q.keys[i]] {
			out = append(out, c.Devices[q.keys[i]].Device)
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	return out
}

// deviceAt is a device's key and the time of its last status.
type deviceAt struct {
	key string
	at  time.Time
}

// deviceQueue is a min-heap of the devices by the time of their last status
// (container/heap), with each key's position for updates.
type deviceQueue struct {
	keys []string
	at   []time.Time
	pos  map[string]int
}

func (q *deviceQueue) Len() int           { return len(q.keys) }
func (q *deviceQueue) Less(i, j int) bool { return q.at[i].Before(q.at[j]) }
func (q *deviceQueue) Swap(i, j int) {
	q.keys[i], q.keys[j] = q.keys[j], q.keys[i]
	q.at[i], q.at[j] = q.at[j], q.at[i]
	q.pos[q.keys[i]], q.pos[q.keys[j]] = i, j
}

func (q *deviceQueue) Push(x any) {
	d := x.(deviceAt)
	q.pos[d.key] = len(q.keys)
	q.keys, q.at = append(q.keys, d.key), append(q.at, d.at)
}

// Pop is never used (devices are not forgotten); it is part of heap.Interface.
func (q *deviceQueue) Pop() any {
	n := len(q.keys) - 1
	d := deviceAt{key: q.keys[n], at: q.at[n]}
	delete(q.pos, d.key)
	q.keys, q.at = q.keys[:n], q.at[:n]
	return d
}
