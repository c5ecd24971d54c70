package warning

import (
	"sort"
	"time"
)

// OverdueMajors returns the IDs of company code's open 重大隐患 past their deadline
// at now twice: as the enterprise model counts them (from its index) and from every
// 隐患 the company holds. Both sorted.
func OverdueMajors(e *Engine, code string, now time.Time) (indexed, scanned []string) {
	c := e.st.Companies[code]
	if c == nil {
		return nil, nil
	}
	indexed = c.overdueMajors(now)
	for id, d := range c.Dangers {
		if openMajor(d) && now.After(d.Deadline) {
			scanned = append(scanned, id)
		}
	}
	sort.Strings(indexed)
	sort.Strings(scanned)
	return indexed, scanned
}

// AssessEnterpriseTwice returns company code's enterprise model at now twice: as the
// engine assesses it (from the index it keeps of the points) and from an index made
// anew from every indicator and device the company holds.
func AssessEnterpriseTwice(e *Engine, code string, now time.Time) (indexed, scanned Assessment) {
	c := e.st.Companies[code]
	if c == nil {
		return Assessment{}, Assessment{}
	}
	indexed = assessEnterprise(code, c, now, e.intake, &e.cfg)
	whole := *c
	whole.index = nil
	scanned = assessEnterprise(code, &whole, now, e.intake, &e.cfg)
	return indexed, scanned
}

// OfflineTwice returns the devices company code's enterprise model counts offline at
// now twice: from the engine's index and from every device the company holds. Both
// sorted.
func OfflineTwice(e *Engine, code string, now time.Time) (indexed, scanned []string) {
	c := e.st.Companies[code]
	if c == nil {
		return nil, nil
	}
	after := e.cfg.Enterprise.DeviceSilentAfter
	indexed = c.offline(now, e.intake, after)
	for _, d := range c.Devices {
		if !d.Normal || e.intake.Silence(d.At, now) >= after {
			scanned = append(scanned, d.Device)
		}
	}
	sort.Strings(indexed)
	sort.Strings(scanned)
	return indexed, scanned
}

// MarshalFreshLayout1 writes a fresh part as it was stored before layout version 2.
func MarshalFreshLayout1(s *State) []byte { return marshalFresh(s, 1) }

// MarshalHeadVersion2 writes a head as it was stored before layout version 3, with
// the indicators in it.
func MarshalHeadVersion2(s *State) ([]byte, error) { return marshalHead(s, headVersionIndicators) }
