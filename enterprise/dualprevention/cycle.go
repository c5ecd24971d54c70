package dualprevention

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// The cycle units a list may use. The seed's CHECK_CYCLE_UNIT knows only
// 小时、天、月、年; 周 is offered because companies write their lists in weeks,
// and is published as 7×N 天.
const (
	UnitHour  = "小时"
	UnitDay   = "天"
	UnitWeek  = "周"
	UnitMonth = "月"
	UnitYear  = "年"
)

// CycleUnits are the units in the order the forms offer them.
var CycleUnits = []string{UnitHour, UnitDay, UnitWeek, UnitMonth, UnitYear}

// Cycle is how often a check is due: every N units.
type Cycle struct {
	N    int
	Unit string
}

func (c Cycle) String() string { return strconv.Itoa(c.N) + c.Unit }

// Valid reports whether c is a cycle the list may hold: N from 1 to 9999 (the
// seed's CHECK_CYCLE is 4 digits) and one of CycleUnits.
func (c Cycle) Valid() bool {
	if c.N < 1 || c.N > 9999 {
		return false
	}
	for _, u := range CycleUnits {
		if u == c.Unit {
			return c.Unit != UnitWeek || c.N*7 <= 9999
		}
	}
	return false
}

// Seed returns the cycle as the exchange table writes it: CHECK_CYCLE and
// CHECK_CYCLE_UNIT from the seed's code table (周 becomes 7×N 天).
func (c Cycle) Seed() (n string, unit string) {
	if c.Unit == UnitWeek {
		return strconv.Itoa(c.N * 7), UnitDay
	}
	return strconv.Itoa(c.N), c.Unit
}

// ParseCycleUnit accepts a unit as people write it (日 for 天, 时 for 小时).
func ParseCycleUnit(s string) (string, error) {
	switch s {
	case UnitHour, "时":
		return UnitHour, nil
	case UnitDay, "日":
		return UnitDay, nil
	case UnitWeek, "星期":
		return UnitWeek, nil
	case UnitMonth:
		return UnitMonth, nil
	case UnitYear:
		return UnitYear, nil
	}
	return "", fmt.Errorf("unknown cycle unit %q", s)
}

// Period is one due period of a task: a check in [Start, End) fulfils it; End
// is the deadline.
type Period struct {
	Start, End time.Time
}

// Contains reports whether t is within the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// origin is where a task's periods are counted from: the calendar boundary of
// the unit in Asia/Shanghai at or before anchor (the hour, the day's 00:00,
// Monday 00:00, the 1st of the month, 1 January), so periods fall on the
// boundaries people plan by — a daily check is due by midnight, a monthly one
// by the month's end.
func origin(c Cycle, anchor time.Time) time.Time {
	t := anchor.In(schemas.Shanghai)
	y, m, d := t.Date()
	switch c.Unit {
	case UnitHour:
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, schemas.Shanghai)
	case UnitWeek:
		day := time.Date(y, m, d, 0, 0, 0, 0, schemas.Shanghai)
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	case UnitMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, schemas.Shanghai)
	case UnitYear:
		return time.Date(y, 1, 1, 0, 0, 0, 0, schemas.Shanghai)
	default:
		return time.Date(y, m, d, 0, 0, 0, 0, schemas.Shanghai)
	}
}

// boundary is the start of the k-th period from o.
func boundary(c Cycle, o time.Time, k int) time.Time {
	switch c.Unit {
	case UnitHour:
		return o.Add(time.Duration(k*c.N) * time.Hour)
	case UnitWeek:
		return o.AddDate(0, 0, 7*k*c.N)
	case UnitMonth:
		return o.AddDate(0, k*c.N, 0)
	case UnitYear:
		return o.AddDate(k*c.N, 0, 0)
	default:
		return o.AddDate(0, 0, k*c.N)
	}
}

// approx is a period's length for the first guess of its index.
func approx(c Cycle) time.Duration {
	d := map[string]time.Duration{UnitHour: time.Hour, UnitDay: 24 * time.Hour, UnitWeek: 7 * 24 * time.Hour,
		UnitMonth: 28 * 24 * time.Hour, UnitYear: 365 * 24 * time.Hour}[c.Unit]
	return time.Duration(c.N) * d
}

// PeriodAt returns the period of a task with cycle c and anchor that contains
// t, and its index (0 for the first). For t before the first period it returns
// the first period and ok false.
func PeriodAt(c Cycle, anchor, t time.Time) (p Period, index int, ok bool) {
	o := origin(c, anchor)
	if t.Before(o) {
		return Period{o, boundary(c, o, 1)}, 0, false
	}
	k := int(t.Sub(o) / approx(c))
	for k > 0 && boundary(c, o, k).After(t) {
		k--
	}
	for !boundary(c, o, k+1).After(t) {
		k++
	}
	return Period{boundary(c, o, k), boundary(c, o, k+1)}, k, true
}

// Periods returns the periods of a task that end within (from, to]: the ones
// whose deadline fell in the range, for statistics.
func Periods(c Cycle, anchor, from, to time.Time) []Period {
	o := origin(c, anchor)
	start := from
	if start.Before(o) {
		start = o
	}
	p, k, _ := PeriodAt(c, anchor, start)
	var out []Period
	if !p.End.After(from) {
		k++
		p = Period{boundary(c, o, k), boundary(c, o, k+1)}
	}
	for !p.End.After(to) && len(out) < 100000 {
		out = append(out, p)
		k++
		p = Period{boundary(c, o, k), boundary(c, o, k+1)}
	}
	return out
}

// Task statuses as the pages show them (the seed's 已排查/未排查/超期未排查).
const (
	StatusDone    = "done"    // 已排查: the current period has a check
	StatusPending = "pending" // 未排查: not yet checked, still in time
	StatusOverdue = "overdue" // 超期未排查: the previous period ended without a check, and none since
)

// StatusZH is the status in the seed's words.
func StatusZH(s string) string {
	return map[string]string{StatusDone: "已排查", StatusPending: "未排查", StatusOverdue: "超期未排查"}[s]
}

// Status is where a task stands at now, given the time of its last check
// (zero when never checked). The current period is done when the last check
// lies in it; otherwise the task is overdue when the previous period — one
// that had begun after the task was created — passed without a check, and
// pending while the current one still runs. since is, for an overdue task,
// the first deadline missed since the last check: how long it has been
// overdue, for escalation (zero unless StatusOverdue).
func Status(c Cycle, anchor, lastCheck, now time.Time) (status string, current Period, since time.Time) {
	current, k, ok := PeriodAt(c, anchor, now)
	if !ok {
		return StatusPending, current, time.Time{}
	}
	if !lastCheck.IsZero() && !lastCheck.Before(current.Start) {
		return StatusDone, current, time.Time{}
	}
	o := origin(c, anchor)
	if k > 0 {
		prevStart := boundary(c, o, k-1)
		if lastCheck.IsZero() || lastCheck.Before(prevStart) {
			since = boundary(c, o, 1)
			if _, kl, ok := PeriodAt(c, anchor, lastCheck); ok && !lastCheck.IsZero() {
				since = boundary(c, o, kl+2)
			}
			return StatusOverdue, current, since
		}
	}
	return StatusPending, current, time.Time{}
}
