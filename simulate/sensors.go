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
	plan                   int // index into indicatorPlans
	detector               int // 0-based position among the area's gas detectors
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
					HazardCode: HazardCode(c, n), Area: area, plan: j, detector: d, rangeHigh: rh, high: hi})
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
		out = append(out, Record{"INDICATOR_CODE": p.Code, "COMPANY_CODE": c.Code, "HAZARD_CODE": p.HazardCode,
			"INDICATOR_NAME": p.Area + plan.name, "INDICATOR_KIND": plan.kind, "UNIT": plan.unit,
			"RANGE_LOW": plan.rangeLow, "RANGE_HIGH": plan.rangeHigh, "HIGH": plan.high, "HIGH_HIGH": plan.highHigh,
			"AREA": p.Area, "DELETED": "0"})
	}
	return out
}

// Behaviour of the simulated plant, in plant time (the simulator's clock runs
// Speed times faster than the wall clock, so a day's cycle is seen in minutes).
const (
	episodeWindow = 2 * time.Hour // one possible leak or fault per company per window
	leakChance    = 8             // 1 window in leakChance has a leak in one area
	stuckChance   = 40            // 1 point-window in stuckChance is stuck
	silentChance  = 60            // 1 point-window in silentChance sends nothing
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

// value is point p's reading at plant time t.
func value(c Company, p Point, t time.Time) float64 {
	plan := indicatorPlans[p.plan]
	day := float64(t.In(time.UTC).Hour()*3600+t.Minute()*60+t.Second()) / 86400
	noise := (float64(hash(fmt.Sprintf("%s|%d", p.Code, t.Unix()/10))%1000)/1000 - 0.5) * 0.04 * plan.normal
	switch plan.kind {
	case "1": // 温度: coolest before dawn, warmest mid-afternoon (UTC+8)
		return plan.normal + 6*math.Sin(2*math.Pi*(day+8.0/24-9.0/24)) + noise
	case "2": // 压力 follows the temperature a little
		return plan.normal*(1+0.05*math.Sin(2*math.Pi*(day-1.0/24))) + noise
	case "3": // 液位: filled and emptied every six hours, 25 %–80 % of the range
		phase := math.Mod(day*4, 1)
		frac := 0.25 + 0.55*(1-math.Abs(2*phase-1))
		return frac*p.rangeHigh + noise
	case "5": // 可燃气体: low background; during a leak the area's detectors rise in turn
		return plan.normal + math.Abs(noise) + leak(c, p, t)
	}
	return plan.normal + noise
}

// leak is the extra %LEL a gas detector reads during a leak episode in its area: the
// first detector starts rising at once, each next one five minutes later, each peaks
// at 55 %LEL twenty minutes after it started and is back to background after an hour.
func leak(c Company, p Point, t time.Time) float64 {
	window := t.Truncate(episodeWindow)
	if hash(fmt.Sprintf("%s|%s|%d|leak", c.Code, p.Area, window.Unix()))%leakChance != 0 {
		return 0
	}
	since := t.Sub(window) - time.Duration(p.detector)*5*time.Minute
	switch {
	case since < 0 || since > time.Hour:
		return 0
	case since < 20*time.Minute:
		return 55 * since.Minutes() / 20
	default:
		return 55 * (60 - since.Minutes()) / 40
	}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
