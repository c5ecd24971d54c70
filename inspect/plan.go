// Package inspect owns the inspector mobile app (巡查检查移动端, issue 7 item 2):
// 在线巡查 plans and tasks per tier, 抽查 drawn by the system from the inspector's
// region, 检查督导 records with photos and hidden dangers issued to the company
// through the exchange pipeline (隐患来源 11 监管部门监督检查), and 预警处置 through
// the warning service's action API. Its pages live under /m/ as an installable web
// app (manifest, service worker, an offline queue in IndexedDB); every list is
// scoped to the caller's region in SQL and every write is audited.
package inspect

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Tier is the level a patrol plan applies to.
type Tier string

// Tiers of patrol plans. A chemical park's inspectors follow the county plan.
const (
	TierCounty   Tier = "county"
	TierCity     Tier = "city"
	TierProvince Tier = "province"
)

// NameZH is the tier in Chinese.
func (t Tier) NameZH() string {
	switch t {
	case TierCounty:
		return "县级"
	case TierCity:
		return "市级"
	case TierProvince:
		return "省级"
	}
	return string(t)
}

// TierOf is the plan tier of a domain: a division's level, a park the county's;
// false for an enterprise or unknown domain.
func TierOf(domain string) (Tier, bool) {
	if strings.HasPrefix(domain, "park:") {
		return TierCounty, true
	}
	d, ok := tiers.DivisionByCode(domain)
	if !ok {
		return "", false
	}
	switch d.Level {
	case tiers.Province:
		return TierProvince, true
	case tiers.City:
		return TierCity, true
	}
	return TierCounty, true
}

// Cycle is how often a plan's round comes back.
type Cycle string

// Cycles of a plan, each starting on its calendar boundary in Shanghai time.
const (
	CycleDay     Cycle = "day"
	CycleWeek    Cycle = "week" // Monday 00:00
	CycleMonth   Cycle = "month"
	CycleQuarter Cycle = "quarter"
)

// NameZH is the cycle in Chinese (每日、每周 …).
func (c Cycle) NameZH() string {
	switch c {
	case CycleDay:
		return "每日"
	case CycleWeek:
		return "每周"
	case CycleMonth:
		return "每月"
	case CycleQuarter:
		return "每季度"
	}
	return string(c)
}

// Plan is one tier's 在线巡查 plan: every Cycle, Percent of the companies in the
// inspector's region (at least one) are patrolled once.
type Plan struct {
	Cycle   Cycle
	Percent int // 1–100; 100 means every company
}

// DefaultPlans are the documented defaults: a county (or park) patrols every
// company weekly; a city a 20 % sample of its companies monthly; the province a
// 5 % sample quarterly.
func DefaultPlans() map[Tier]Plan {
	return map[Tier]Plan{
		TierCounty:   {Cycle: CycleWeek, Percent: 100},
		TierCity:     {Cycle: CycleMonth, Percent: 20},
		TierProvince: {Cycle: CycleQuarter, Percent: 5},
	}
}

// ErrBadPlan is returned by ParsePlans for a malformed setting.
var ErrBadPlan = errors.New("inspect: a patrol plan is TIER=CYCLE:PERCENT, e.g. county=week:100 (cycles day, week, month, quarter; percent 1-100)")

// ParsePlans reads CHEMGUARD_PATROL_PLANS, comma-separated TIER=CYCLE:PERCENT
// entries ("city=month:30,province=quarter:10"), over the defaults.
func ParsePlans(s string) (map[Tier]Plan, error) {
	plans := DefaultPlans()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tier, rest, ok1 := strings.Cut(part, "=")
		cycle, pct, ok2 := strings.Cut(rest, ":")
		p, err := strconv.Atoi(pct)
		if !ok1 || !ok2 || err != nil {
			return nil, fmt.Errorf("%w: %q", ErrBadPlan, part)
		}
		plan := Plan{Cycle: Cycle(cycle), Percent: p}
		if err := plan.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %q", err, part)
		}
		switch t := Tier(tier); t {
		case TierCounty, TierCity, TierProvince:
			plans[t] = plan
		default:
			return nil, fmt.Errorf("%w: %q", ErrBadPlan, part)
		}
	}
	return plans, nil
}

// Validate checks the cycle and the percentage.
func (p Plan) Validate() error {
	switch p.Cycle {
	case CycleDay, CycleWeek, CycleMonth, CycleQuarter:
	default:
		return ErrBadPlan
	}
	if p.Percent < 1 || p.Percent > 100 {
		return ErrBadPlan
	}
	return nil
}

// Round is the current round of a plan: [Start, End) and how many of the
// region's companies it takes.
type Round struct {
	Start, End time.Time
	Label      string // e.g. 2026-11-23 至 2026-11-29
}

// RoundAt returns the plan's round containing now, on Shanghai calendar
// boundaries.
func (p Plan) RoundAt(now time.Time) Round {
	l := now.In(schemas.Shanghai)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schemas.Shanghai)
	var start, end time.Time
	switch p.Cycle {
	case CycleDay:
		start, end = day, day.AddDate(0, 0, 1)
	case CycleWeek:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		start = day.AddDate(0, 0, -back)
		end = start.AddDate(0, 0, 7)
	case CycleMonth:
		start = time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, schemas.Shanghai)
		end = start.AddDate(0, 1, 0)
	default: // quarter
		q := (int(l.Month()) - 1) / 3
		start = time.Date(l.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, schemas.Shanghai)
		end = start.AddDate(0, 3, 0)
	}
	return Round{Start: start, End: end,
		Label: start.Format(schemas.DateLayout) + " 至 " + end.AddDate(0, 0, -1).Format(schemas.DateLayout)}
}

// SampleSize is how many of n companies a round takes: Percent of them rounded
// up, at least one when there is any.
func (p Plan) SampleSize(n int) int {
	if n <= 0 {
		return 0
	}
	k := int(math.Ceil(float64(n) * float64(p.Percent) / 100))
	return max(1, min(k, n))
}
