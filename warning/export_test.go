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
