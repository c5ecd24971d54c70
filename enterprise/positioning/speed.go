package positioning

import (
	"fmt"
	"math"
	"time"
)

// DefaultSpeedLimit is the plant's 厂内限速 in km/h when the company has set
// none: 15 km/h is the usual limit on a hazardous-chemical plant's roads
// (loading bays and tank farms are set lower on their fences, commonly 5).
const DefaultSpeedLimit = 15.0

// MaxSpeed bounds a reported or configured speed (km/h): a value beyond it is
// a gateway's unit mix-up (m/s × 1000, mm/s), not a vehicle.
const MaxSpeed = 200.0

// SpeedWindow is the shortest time between the two positions a vehicle's
// speed is computed from. UWB and GNSS positions jitter by about a metre
// (Move); over a window of a few seconds that is a couple of km/h, while two
// fixes 100 ms apart would turn the same jitter into tens of km/h.
const SpeedWindow = 3 * time.Second

// SpeedGap is how long a speed stays true: a vehicle whose tag has sent
// nothing for longer (parked, out of coverage) has no speed, and positions
// further apart say nothing about how fast it went between them.
const SpeedGap = time.Minute

// Anchor is the start of the window a vehicle's speed is being measured over.
type Anchor struct {
	Floor string
	At    Point
	Time  time.Time
}

// Velocity returns a tag's speed (km/h) after its fix at t, whether it is
// known, and the anchor of the next window. A speed the gateway measured
// (GNSS Doppler, the vendor's filter) is taken as sent; otherwise it is the
// distance from the anchor over the time since, once SpeedWindow has passed —
// until then the previous speed stands. A move within the jitter (Move) is
// standing still; a change of floor or a gap over SpeedGap starts afresh.
func Velocity(prev *Person, floor string, at Point, t time.Time, reported *float64) (speed float64, known bool, next Anchor) {
	here := Anchor{Floor: floor, At: at, Time: t}
	if reported != nil {
		return *reported, true, here
	}
	if prev == nil || prev.Anchor.Time.IsZero() || prev.Anchor.Floor != floor || t.Sub(prev.Anchor.Time) > SpeedGap || t.Before(prev.Anchor.Time) {
		return 0, false, here
	}
	dt := t.Sub(prev.Anchor.Time)
	if dt < SpeedWindow {
		return prev.Speed, prev.SpeedKnown, prev.Anchor
	}
	d := math.Hypot(at.X-prev.Anchor.At.X, at.Y-prev.Anchor.At.Y)
	if d <= Move {
		return 0, true, here
	}
	return d / dt.Seconds() * 3.6, true, here
}

// Speeding returns the 车辆超速 conditions at now: a vehicle whose known,
// fresh speed is over its limit — the lowest limit of the active fences it is
// inside that set one, else the plant's (plantLimit km/h; DefaultSpeedLimit
// when ≤ 0). The condition holds while the speed stays over the limit and
// ends when the vehicle slows down, stops reporting or the fence is off.
func Speeding(now time.Time, fences []Fence, people []Person, plantLimit float64) []Condition {
	if plantLimit <= 0 {
		plantLimit = DefaultSpeedLimit
	}
	var out []Condition
	for _, p := range people {
		if !p.Vehicle || !p.SpeedKnown || now.Sub(p.FixTime) > SpeedGap {
			continue
		}
		limit, loc, fid := plantLimit, "厂区", int64(0)
		fenced := false
		for _, f := range fences {
			if f.SpeedLimit <= 0 || !f.ActiveAt(now) || !f.Contains(p.Floor, p.At) {
				continue
			}
			if !fenced || f.SpeedLimit < limit {
				limit, loc, fid, fenced = f.SpeedLimit, f.Name, f.ID, true
			}
		}
		if p.Speed <= limit {
			continue
		}
		out = append(out, Condition{Key: "07/" + p.Card, Type: AlarmSpeeding, FenceID: fid, Location: loc, Floor: p.Floor, At: p.At,
			Card: p.Card, Name: clipName(p.Name), Info: clip(fmt.Sprintf("车辆%s在%s车速 %.0f km/h，超过限速 %s km/h", p.Name, loc, p.Speed, kmh(limit)))})
	}
	return out
}

// kmh prints a limit without a needless decimal (15, 7.5).
func kmh(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
