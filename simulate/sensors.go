package simulate

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"
)

// Point is one monitored point of a simulated company: the indicator it declares
// and how its readings behave.
type Point struct {
	Code, HazardCode, Area string
	plan                   int  // index into indicatorPlans
	detector               int  // 0-based position among the area's gas detectors
	warehouse              bool // on a warehouse (仓库): air-conditioned, kept cooler
	rangeHigh, high        float64
}

// Plant is the fixed equipment of a simulated company: three hazard sources and
// their monitored points, three gas detectors per area so the leak model sees a
// leak spread. The same company always has the same plant.
func Plant(c Company) []Point {
	h := hash(c.Code)
	var pts []Point
	for k := 0; k < 3; k++ {
		n := int((h + uint64(k*2)) % uint64(len(hazardPlans)))
		area := hazardPlans[n].name
		for j, plan := range indicatorPlans {
			count := 1
			if plan.kind == "5" { // combustible gas: several detectors per area
				count = 3
			}
			for d := 0; d < count; d++ {
				rh, _ := plan.rangeHigh.Float64()
				hi, _ := plan.high.Float64()
				pts = append(pts, Point{Code: fmt.Sprintf("%s-%s%02d", HazardCode(c, n), plan.suffix, d+1),
					HazardCode: HazardCode(c, n), Area: area, plan: j, detector: d, rangeHigh: rh, high: hi,
					warehouse: hazardPlans[n].kind == "2"})
			}
		}
	}
	return pts
}

// IndicatorRecords returns the company's 指标信息: every point with its thresholds.
func IndicatorRecords(c Company) []Record {
	var out []Record
	for _, p := range Plant(c) {
		plan := indicatorPlans[p.plan]
		name := p.Area + plan.name
		if plan.kind == "5" { // three to an area: a regulator tells them apart by number
			name += fmt.Sprintf("%d号探测器", p.detector+1)
		}
		out = append(out, Record{"INDICATOR_CODE": p.Code, "COMPANY_CODE": c.Code, "HAZARD_CODE": p.HazardCode,
			"INDICATOR_NAME": name, "INDICATOR_KIND": plan.kind, "UNIT": plan.unit,
			"RANGE_LOW": plan.rangeLow, "RANGE_HIGH": plan.rangeHigh, "HIGH": plan.high, "HIGH_HIGH": plan.highHigh,
			"AREA": p.Area, "DELETED": "0"})
	}
	return out
}

// Behaviour of the simulated plant. Everything runs on the clock the readings are
// stamped with: the platform judges alarms and warnings on that clock, so the rate of
// incidents a regulator sees is the rate written here, at any simulator speed.
//
// The rates are calibrated to a realistic demo (docs/warning-models.md §9): a company
// has a leak incident about once in three days, most of them one detector briefly
// over its first limit, one in a hundred spreading over a whole area.
const (
	episodeWindow = 2 * time.Hour // at most one leak or fault episode per area or point per window
	leakChance    = 96            // 1 area-window in leakChance has a leak
	stuckChance   = 400           // 1 point-window in stuckChance is stuck
	silentChance  = 600           // 1 point-window in silentChance sends nothing
)

// Readings returns the company's 感知数据 at plant time t, stamped at (the wall
// clock's) collected: temperatures follow the day, tank levels fill and empty, now
// and then a leak spreads across one area's detectors, a sensor sticks on one value
// or falls silent. Deterministic: the same company and t give the same readings.
func Readings(c Company, t, collected time.Time) []Record {
	var out []Record
	for _, p := range Plant(c) {
		window := t.Truncate(episodeWindow)
		key := fmt.Sprintf("%s|%s|%d", c.Code, p.Code, window.Unix())
		if hash(key)%silentChance == 0 {
			continue // silent: no data for the whole window
		}
		at := t
		if hash(key+"|stuck")%stuckChance == 0 {
			at = window // stuck: repeats the value it had when it stuck
		}
		out = append(out, Record{"INDICATOR_CODE": p.Code,
			"VALUE": json.Number(fmt.Sprintf("%.2f", value(c, p, at))), "COLLECT_TIME": stamp(collected)})
	}
	return out
}

// value is point p's reading at time t.
func value(c Company, p Point, t time.Time) float64 {
	plan := indicatorPlans[p.plan]
	day := float64(t.In(time.UTC).Hour()*3600+t.Minute()*60+t.Second()) / 86400
	noise := (float64(hash(fmt.Sprintf("%s|%d", p.Code, t.Unix()/10))%1000)/1000 - 0.5) * 0.04 * plan.normal
	switch plan.kind {
	case "1": // 温度: coolest before dawn, warmest mid-afternoon (UTC+8)
		normal, swing := plan.normal, 6.0
		if p.warehouse { // an air-conditioned store of oxidizers stays well under its 30 ℃
			normal, swing = 20, 3
		}
		return normal + swing*math.Sin(2*math.Pi*(day+8.0/24-9.0/24)) + noise
	case "2": // 压力 follows the temperature a little
		return plan.normal*(1+0.05*math.Sin(2*math.Pi*(day-1.0/24))) + noise
	case "3": // 液位: filled and emptied every six hours, 25 %–70 % of the range (under 高报 80 %)
		phase := math.Mod(day*4, 1)
		frac := 0.25 + 0.45*(1-math.Abs(2*phase-1))
		return frac*p.rangeHigh + noise
	case "5": // 可燃气体: low background; during a leak the area's detectors rise in turn
		return plan.normal + math.Abs(noise) + leak(c, p, t)
	}
	return plan.normal + noise
}

// Episode is a leak in one area of a company: how many of its gas detectors it
// reaches (in turn, five minutes apart) and the peak %LEL of each.
type Episode struct {
	Detectors int
	Peaks     [3]float64
}

// episode is the leak in c's area during the window starting at window, if any.
// Most leaks are small: the severities are drawn so that one in a hundred reaches
// all three detectors of the area.
func episode(c Company, area string, window time.Time) (Episode, bool) {
	h := hash(fmt.Sprintf("%s|%s|%d|leak", c.Code, area, window.Unix()))
	if h%leakChance != 0 {
		return Episode{}, false
	}
	sev := (h / leakChance) % 100
	peak := func(k uint64, lo, hi float64) float64 { // a peak in [lo, hi), drawn from h
		return lo + (hi-lo)*float64((h/(leakChance*100*k))%1000)/1000
	}
	switch {
	case sev < 55: // one detector just over 一级（高报 20 %LEL）
		return Episode{Detectors: 1, Peaks: [3]float64{peak(1, 23, 35)}}, true
	case sev < 80: // one detector past 二级（高高报 40 %LEL）
		return Episode{Detectors: 1, Peaks: [3]float64{peak(1, 42, 55)}}, true
	case sev < 95: // spreading to a second detector
		return Episode{Detectors: 2, Peaks: [3]float64{peak(1, 28, 45), peak(7, 23, 30)}}, true
	case sev < 99: // a second detector past 二级 too
		return Episode{Detectors: 2, Peaks: [3]float64{peak(1, 45, 60), peak(7, 42, 50)}}, true
	}
	return Episode{Detectors: 3, Peaks: [3]float64{55, 50, peak(1, 30, 45)}}, true // the whole area
}

// leak is the extra %LEL a gas detector reads during a leak episode in its area: the
// first detector starts rising at once, each next one five minutes later, each peaks
// twenty minutes after it started and is back to background after an hour.
func leak(c Company, p Point, t time.Time) float64 {
	window := t.Truncate(episodeWindow)
	ep, ok := episode(c, p.Area, window)
	if !ok || p.detector >= ep.Detectors {
		return 0
	}
	top := ep.Peaks[p.detector]
	since := t.Sub(window) - time.Duration(p.detector)*5*time.Minute
	switch {
	case since < 0 || since > time.Hour:
		return 0
	case since < 20*time.Minute:
		return top * since.Minutes() / 20
	default:
		return top * (60 - since.Minutes()) / 40
	}
}

// FindLeak returns the start of the latest leak episode before t in one of c's areas
// that reaches at least detectors gas detectors, searching back up to ten years, and
// the area; ok is false when there is none. A leak's detectors are all in alarm
// 30 minutes after its start.
func FindLeak(c Company, before time.Time, detectors int) (start time.Time, area string, ok bool) {
	areas := map[string]bool{}
	for _, p := range Plant(c) {
		areas[p.Area] = true
	}
	for w := before.Add(-time.Nanosecond).Truncate(episodeWindow); w.After(before.AddDate(-10, 0, 0)); w = w.Add(-episodeWindow) {
		for a := range areas {
			if ep, ok := episode(c, a, w); ok && ep.Detectors >= detectors {
				return w, a, true
			}
		}
	}
	return time.Time{}, "", false
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
