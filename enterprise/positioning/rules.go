package positioning

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// The alarm types of 人员定位 表2.
const (
	AlarmSOS       = "01" // 一键求救报警
	AlarmStay      = "02" // 滞留预警
	AlarmBoundary  = "03" // 越界报警 (离岗、串岗)
	AlarmOvercrowd = "04" // 超员预警
	AlarmShortage  = "05" // 缺员预警
	AlarmStill     = "06" // 静止预警
	AlarmSpeeding  = "07" // 车辆超速报警
	AlarmGuardLeft = "08" // 作业人员离开报警
	AlarmIntruder  = "09" // 非作业人员闯入报警
)

// AlarmName is the Chinese name of a 表2 type.
func AlarmName(code string) string {
	return map[string]string{AlarmSOS: "一键求救报警", AlarmStay: "滞留预警", AlarmBoundary: "越界报警", AlarmOvercrowd: "超员预警",
		AlarmShortage: "缺员预警", AlarmStill: "静止预警", AlarmSpeeding: "车辆超速报警", AlarmGuardLeft: "作业人员离开报警",
		AlarmIntruder: "非作业人员闯入报警"}[code]
}

// Fence kinds: what an area is for decides which rules apply to it.
const (
	KindHazard  = "hazard"  // 危险区域 (重大危险源、装卸区): 超员, 滞留, 静止
	KindArea    = "area"    // 一般限制区域: 超员, 滞留
	KindControl = "control" // 控制室、值班室: 缺员 (and 超员 when set)
	KindPost    = "post"    // 岗位区域: 离岗 (its people outside) and 串岗 (others inside)
	KindWork    = "work"    // 特殊作业区域: linked to the permits whose 作业位置 is its name
)

// KindName is the Chinese name of a fence kind.
func KindName(k string) string {
	return map[string]string{KindHazard: "危险区域", KindArea: "限制区域", KindControl: "控制室/值班室", KindPost: "岗位区域",
		KindWork: "特殊作业区域"}[k]
}

// Point is a position on a floor's plan, in metres from its origin.
type Point struct{ X, Y float64 }

// Polygon is a fence's outline, its points in order (closed implicitly).
type Polygon []Point

// Contains reports whether p is inside the polygon or on its edge (a person
// standing on the line is inside: the fence errs towards alarming).
func (poly Polygon) Contains(p Point) bool {
	n := len(poly)
	if n < 3 {
		return false
	}
	inside := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if onSegment(a, b, p) {
			return true
		}
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			inside = !inside
		}
	}
	return inside
}

func onSegment(a, b, p Point) bool {
	cross := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
	if math.Abs(cross) > 1e-9 {
		return false
	}
	return p.X >= math.Min(a.X, b.X)-1e-9 && p.X <= math.Max(a.X, b.X)+1e-9 &&
		p.Y >= math.Min(a.Y, b.Y)-1e-9 && p.Y <= math.Max(a.Y, b.Y)+1e-9
}

// Fence is an electronic fence (电子围栏) with its rules.
type Fence struct {
	ID        int64
	Name      string // the 报警位置 of its alarms
	Floor     string
	Kind      string
	Polygon   Polygon
	MaxPeople int           // 超员 when this many are inside at once; 0 none
	MinPeople int           // 缺员 when fewer are inside; 0 none
	MaxStay   time.Duration // 滞留 when one person stays longer; 0 none
	StillFor  time.Duration // 静止 when one person does not move this long; 0 none
	// ActiveFrom and ActiveTo are the fence's daily hours (生效时间) as minutes
	// after midnight in Asia/Shanghai; ActiveFrom > ActiveTo spans midnight.
	ActiveFrom, ActiveTo int
	Suspended            bool
	// SpeedLimit is the vehicles' limit inside the fence in km/h (装卸区 5);
	// 0 leaves the plant's 厂内限速.
	SpeedLimit float64
}

// ActiveAt reports whether the fence's rules apply at t.
func (f Fence) ActiveAt(t time.Time) bool {
	if f.Suspended {
		return false
	}
	from, to := f.ActiveFrom, f.ActiveTo
	if from == 0 && to == 0 || from == 0 && to >= 1440 {
		return true
	}
	l := t.In(schemas.Shanghai)
	m := l.Hour()*60 + l.Minute()
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// Contains reports whether p on floor is inside the fence.
func (f Fence) Contains(floor string, p Point) bool { return f.Floor == floor && f.Polygon.Contains(p) }

// Person is a tag's carrier as the rules see it.
type Person struct {
	Card       string
	Name       string
	PersonID   int64
	UserID     int64 // an employee's member id; 0 otherwise
	WorkerID   int64 // a contractor's person in the permit module; 0 otherwise
	PostFence  int64 // the 岗位区域 the person belongs to; 0 none
	Floor      string
	At         Point
	FixTime    time.Time
	StillSince time.Time           // since when the tag has not moved
	Entered    map[int64]time.Time // fence id → when the tag entered it
	// Vehicle is a vehicle's tag (指南 4.8): 车辆超速 applies to it.
	Vehicle bool
	// Speed is the tag's latest speed in km/h, SpeedKnown whether there is
	// one; Anchor is where the window measuring the next began (Velocity).
	Speed      float64
	SpeedKnown bool
	Anchor     Anchor
}

// WorkPermit is a special operation under way whose 作业位置 is a work fence:
// only its guardian and its workers belong there.
type WorkPermit struct {
	ID         string
	Number     string
	Place      string // 作业位置 = the work fence's name
	GuardianID int64  // the 监护人's member id
	Guardian   string
	UserIDs    []int64 // the company's own people named on the permit
	WorkerIDs  []int64 // the permit module's workers named on it
}

func (w WorkPermit) admits(p Person) bool {
	if p.UserID != 0 && (p.UserID == w.GuardianID || contains(w.UserIDs, p.UserID)) {
		return true
	}
	return p.WorkerID != 0 && contains(w.WorkerIDs, p.WorkerID)
}

func contains(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// Condition is one alarm condition holding now. Key names its episode: the
// same condition seen again on the next fix is the same alarm.
type Condition struct {
	Key      string
	Type     string // 表2 code
	FenceID  int64  // 0 for an SOS outside every fence
	Location string // 报警位置
	Floor    string
	At       Point
	Card     string // the person the alarm is about (for a count alarm, the latest to enter or the first left)
	Name     string // 报警人员名称; the people concerned for a count alarm
	Info     string // 报警信息, ≤ 100 characters
	PermitID string
}

// Move is how far a tag may drift and still count as not moving: UWB and
// Bluetooth fixes jitter by about a metre around a standing person.
const Move = 1.5

// Moved reports whether a tag at to has moved from from.
func Moved(from, to Point) bool { return math.Hypot(to.X-from.X, to.Y-from.Y) > Move }

// Evaluate returns the alarm conditions that hold at now for people (each
// tag's latest fix, with its entry times and still-since), fences and the
// permits under way; sos are the cards whose tag pressed 一键求救 and that have
// not been handled. It reads no clock: now is the platform's.
func Evaluate(now time.Time, fences []Fence, people []Person, permits []WorkPermit, sos []string) []Condition {
	var out []Condition
	byCard := map[string]Person{}
	for _, p := range people {
		byCard[p.Card] = p
	}
	for _, card := range sos {
		p, ok := byCard[card]
		if !ok {
			continue
		}
		loc, fid := "厂区", int64(0)
		for _, f := range fences {
			if f.Contains(p.Floor, p.At) {
				loc, fid = f.Name, f.ID
				break
			}
		}
		out = append(out, Condition{Key: "01/" + card, Type: AlarmSOS, FenceID: fid, Location: loc, Floor: p.Floor, At: p.At,
			Card: card, Name: p.Name, Info: clip(fmt.Sprintf("%s在%s一键求救，请立即前往救援", p.Name, loc))})
	}
	work := map[string][]WorkPermit{}
	for _, w := range permits {
		work[w.Place] = append(work[w.Place], w)
	}
	for _, f := range fences {
		if !f.ActiveAt(now) {
			continue
		}
		var inside []Person
		for _, p := range people {
			if f.Contains(p.Floor, p.At) {
				inside = append(inside, p)
			}
		}
		sort.Slice(inside, func(i, j int) bool { return entered(inside[i], f.ID).Before(entered(inside[j], f.ID)) })
		fk := fmt.Sprint(f.ID)
		centre := f.Polygon.centre()
		if f.MaxPeople > 0 && len(inside) >= f.MaxPeople {
			last := inside[len(inside)-1]
			out = append(out, Condition{Key: "04/" + fk, Type: AlarmOvercrowd, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: last.At,
				Card: last.Card, Name: clipName(names(inside)), Info: clip(fmt.Sprintf("%s现有 %d 人，达到限定人数 %d 人", f.Name, len(inside), f.MaxPeople))})
		}
		if f.MinPeople > 0 && len(inside) < f.MinPeople {
			card, name := "-", "无人在岗"
			if len(inside) > 0 {
				card, name = inside[0].Card, clipName(names(inside))
			}
			out = append(out, Condition{Key: "05/" + fk, Type: AlarmShortage, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: centre,
				Card: card, Name: name, Info: clip(fmt.Sprintf("%s现有 %d 人，少于设定人数 %d 人", f.Name, len(inside), f.MinPeople))})
		}
		for _, p := range inside {
			if since := entered(p, f.ID); f.MaxStay > 0 && !since.IsZero() && now.Sub(since) >= f.MaxStay {
				out = append(out, Condition{Key: "02/" + fk + "/" + p.Card, Type: AlarmStay, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: p.At,
					Card: p.Card, Name: p.Name, Info: clip(fmt.Sprintf("%s在%s已滞留 %s，超过 %s", p.Name, f.Name, minutes(now.Sub(since)), minutes(f.MaxStay)))})
			}
			if f.StillFor > 0 && !p.StillSince.IsZero() && now.Sub(p.StillSince) >= f.StillFor {
				out = append(out, Condition{Key: "06/" + fk + "/" + p.Card, Type: AlarmStill, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: p.At,
					Card: p.Card, Name: p.Name, Info: clip(fmt.Sprintf("%s在%s已 %s 未移动，请确认人员安全", p.Name, f.Name, minutes(now.Sub(p.StillSince))))})
			}
			if f.Kind == KindPost && p.PostFence != 0 && p.PostFence != f.ID {
				out = append(out, Condition{Key: "03/" + fk + "/" + p.Card, Type: AlarmBoundary, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: p.At,
					Card: p.Card, Name: p.Name, Info: clip(fmt.Sprintf("%s串岗：进入%s", p.Name, f.Name))})
			}
		}
		if f.Kind == KindPost {
			for _, p := range people {
				if p.PostFence == f.ID && !f.Contains(p.Floor, p.At) {
					out = append(out, Condition{Key: "03/" + fk + "/" + p.Card, Type: AlarmBoundary, FenceID: f.ID, Location: f.Name, Floor: p.Floor, At: p.At,
						Card: p.Card, Name: p.Name, Info: clip(fmt.Sprintf("%s离岗：离开%s", p.Name, f.Name))})
				}
			}
		}
		if f.Kind == KindWork {
			for _, w := range work[f.Name] {
				for _, p := range inside {
					if !w.admits(p) {
						out = append(out, Condition{Key: "09/" + w.ID + "/" + p.Card, Type: AlarmIntruder, FenceID: f.ID, Location: f.Name, Floor: f.Floor, At: p.At,
							Card: p.Card, Name: p.Name, PermitID: w.ID, Info: clip(fmt.Sprintf("%s进入作业区域%s（作业票 %s），非该作业人员", p.Name, f.Name, w.Number))})
					}
				}
				for _, p := range people {
					if w.GuardianID != 0 && p.UserID == w.GuardianID && !f.Contains(p.Floor, p.At) {
						out = append(out, Condition{Key: "08/" + w.ID + "/" + p.Card, Type: AlarmGuardLeft, FenceID: f.ID, Location: f.Name, Floor: p.Floor, At: p.At,
							Card: p.Card, Name: p.Name, PermitID: w.ID, Info: clip(fmt.Sprintf("监护人%s离开作业区域%s（作业票 %s）", p.Name, f.Name, w.Number))})
					}
				}
			}
		}
	}
	return out
}

func entered(p Person, fence int64) time.Time { return p.Entered[fence] }

func names(ps []Person) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return strings.Join(s, "、")
}

func minutes(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf("%d 小时 %d 分钟", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d 分钟", int(d.Minutes()))
}

// clip keeps s within the 100 characters of 报警信息/处理信息.
func clip(s string) string { return clipRunes(s, 100) }

// clipName keeps s within the 50 characters of 报警人员名称.
func clipName(s string) string { return clipRunes(s, 50) }

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (poly Polygon) centre() Point {
	var c Point
	for _, p := range poly {
		c.X += p.X
		c.Y += p.Y
	}
	if len(poly) > 0 {
		c.X /= float64(len(poly))
		c.Y /= float64(len(poly))
	}
	return c
}

// Track updates a tag's history with its new fix at t: since when it has
// not moved and since when it has been inside each fence it is inside now
// (fences it left are forgotten).
func Track(prev *Person, floor string, at Point, t time.Time, fences []Fence) (stillSince time.Time, entered map[int64]time.Time) {
	stillSince = t
	if prev != nil && prev.Floor == floor && !Moved(prev.At, at) && !prev.StillSince.IsZero() {
		stillSince = prev.StillSince
	}
	entered = map[int64]time.Time{}
	for _, f := range fences {
		if !f.Contains(floor, at) {
			continue
		}
		entered[f.ID] = t
		if prev != nil {
			if since, ok := prev.Entered[f.ID]; ok && f.Contains(prev.Floor, prev.At) {
				entered[f.ID] = since
			}
		}
	}
	return stillSince, entered
}
