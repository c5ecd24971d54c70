package simulate

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// job is one company's next upload of one table; recs, when set, are records made in
// advance (the 销警 that follows an alarm).
type job struct {
	due     time.Time
	company int
	table   *schemas.Table
	recs    []Record
}

type jobHeap []job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(job)) }
func (h *jobHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// upload is one batch a company sends: its records of one table at one time.
type upload struct {
	At      time.Time
	Company Company
	index   int // of Company in the simulator's companies (its API key)
	Table   *schemas.Table
	Records []Record
}

// schedule decides what every company sends and when. It is deterministic for a
// seed and start time, and reads no clock: Run sleeps until each due time, Replay
// does not.
type schedule struct {
	companies []Company
	speed     float64
	r         *rand.Rand
	h         jobHeap
}

func newSchedule(companies []Company, start time.Time, speed float64, seed uint64) *schedule {
	if speed <= 0 {
		speed = 1
	}
	s := &schedule{companies: companies, speed: speed, r: rand.New(rand.NewPCG(seed, 7))}
	spread := int64(float64(time.Minute)/speed) + 1
	for i, c := range companies {
		for _, t := range tablesFor(c) {
			due := start.Add(time.Duration(s.r.Int64N(spread)))
			if t == schemas.SensorReadings { // after the indicators that give them meaning
				due = due.Add(time.Duration(spread))
			}
			if n, ok := chainOrder[t]; ok { // the 双重预防 list parents first
				due = start.Add(time.Duration(int64(n) * spread))
			}
			heap.Push(&s.h, job{due: due, company: i, table: t})
		}
	}
	return s
}

// due is when the next upload is due.
func (s *schedule) due() time.Time { return s.h[0].due }

// next makes the next upload and schedules what follows it.
func (s *schedule) next() upload {
	j := heap.Pop(&s.h).(job)
	c := s.companies[j.company]
	u := upload{At: j.due, Company: c, index: j.company, Table: j.table, Records: j.recs}
	if j.recs != nil { // a follow-up made in advance: sent once
		return u
	}
	u.Records = s.records(j, c)
	gap := interval(j.table)
	if !wallClock(j.table) {
		gap = time.Duration(float64(gap) / s.speed)
	}
	if j.table.Frequency.Interval == 0 && j.table != schemas.SensorReadings { // alarms: exponential gaps
		gap = time.Duration(s.r.ExpFloat64() * float64(gap))
	}
	j.due = j.due.Add(max(gap, 100*time.Millisecond))
	heap.Push(&s.h, j)
	return u
}

// tablesFor lists what a company uploads: gas stations send the gas-station video
// tables and their 企业信息, other companies everything else. A gas station makes no
// 安全承诺 (the seed's commitment is the 危险化学品 companies' daily duty).
func tablesFor(c Company) []*schemas.Table {
	if c.GasStation {
		return []*schemas.Table{schemas.GasStationVideoDevices, schemas.GasStationVideoDeviceStatuses, schemas.GasStationVideoAlarms,
			schemas.EnterpriseInfos, schemas.Cameras}
	}
	return []*schemas.Table{schemas.RiskUnits, schemas.RiskEvents, schemas.ControlMeasures, schemas.CheckTasks,
		schemas.CheckRecords, schemas.HiddenDangers, schemas.SpecialOperations, schemas.PositioningAlarms,
		schemas.VideoDevices, schemas.VideoDeviceStatuses, schemas.VideoAlarms,
		schemas.EnterpriseInfos, schemas.HazardSources, schemas.Indicators, schemas.SensorReadings,
		schemas.Cameras, schemas.Commitments}
}

// interval is how often a company uploads t: the seed's frequency, and for the
// real-time alarm tables an average of one alarm an hour per company.
func interval(t *schemas.Table) time.Duration {
	if t == schemas.SensorReadings {
		return 30 * time.Second // every monitored point, twice a minute
	}
	if t.Frequency.Interval == 0 {
		return alarmEvery
	}
	return t.Frequency.Interval
}

// wallClock reports whether t's uploads keep the wall clock at any speed: the
// tables that feed the risk models with new items (readings, alarms, special
// operations). Compressing them would multiply the incidents a regulator sees.
func wallClock(t *schemas.Table) bool {
	return t == schemas.SensorReadings || t == schemas.SpecialOperations || t.Frequency.Interval == 0
}

// batchSize is how many records one upload of t carries.
func batchSize(r *rand.Rand, t *schemas.Table) int {
	switch t.Frequency.ID {
	case schemas.FrequencyDaily.ID, schemas.FrequencyDailyBy10am.ID:
		return 5 + r.IntN(10)
	case schemas.FrequencyHourly.ID:
		return 1 + r.IntN(4)
	case schemas.FrequencyTenMinutes.ID:
		return 4 // one status per analytics box
	}
	return 1
}

// Incident rates, per company: what the warning models see. Calibrated so that a
// day of 50 companies raises mostly 蓝色/黄色 warnings and a 红色 one now and then
// (docs/warning-models.md §9, TestDailyWarningMix).
const (
	fireSmokeChance = 150 // 1 video alarm in fireSmokeChance is 明火/烟雾 (the rest: behaviour)
	// alarmEvery is how often, on average, a company's positioning or video system
	// raises an alarm of each kind. The violation model raises a company that
	// violates three times in a day one level, so the demo's rate is a plant's
	// ordinary few a day, not a storm.
	alarmEvery = 6 * time.Hour
)

// violationMix weighs the alarm types a simulated company raises (code: weight):
// the everyday low-grade ones (越界, 超速, 打电话, 安全帽, 工作服) most, the yellow
// ones now and then, and none of those graded orange or red at once (一键求救,
// 静止, 作业区域, 抽烟, 静电) — in a real plant they are rare events, and in the
// demo they would make every company's day red.
var violationMix = map[*schemas.Table]map[string]int{
	schemas.PositioningAlarms:     {"02": 3, "03": 30, "04": 3, "05": 2, "07": 30},
	schemas.VideoAlarms:           {"3": 2, "4": 2, "5": 3, "6": 2, "7": 30, "9": 30, "10": 30},
	schemas.GasStationVideoAlarms: {"3": 2, "6": 3, "13": 2},
}

// pickViolation draws a type of t's alarms by violationMix, in code order (a
// map's order would make a seeded run differ between runs).
func pickViolation(r *rand.Rand, t *schemas.Table) string {
	mix := violationMix[t]
	codes := make([]string, 0, len(mix))
	for code := range mix {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	weights := make([]int, len(codes))
	for i, code := range codes {
		weights[i] = mix[code]
	}
	return codes[weighted(r, weights)]
}

// operationMix is how many special operations a company plans a day (index: count,
// value: weight) and of which 细类 (TASK_TYPE, weight).
var (
	operationsPerDay = []int{20, 40, 30, 10}
	operationTypes   = []struct {
		code   string
		weight int
	}{
		{"11", 30}, {"12", 15}, {"13", 2}, {"21", 12}, {"31", 8}, {"41", 10}, {"42", 8}, {"43", 5}, {"52", 10},
	}
)

func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// records makes the records of job j for company c at j.due.
func (s *schedule) records(j job, c Company) []Record {
	r, now := s.r, j.due
	switch j.table {
	case schemas.Indicators:
		return IndicatorRecords(c)
	case schemas.SensorReadings:
		return Readings(c, now, now)
	case schemas.RiskUnits, schemas.RiskEvents, schemas.ControlMeasures, schemas.CheckTasks,
		schemas.CheckRecords, schemas.HiddenDangers:
		return chainRecords(r, j.table, c, now)
	case schemas.SpecialOperations:
		// A day's permits, during the working day (08:00–18:00), two to four hours each.
		recs := make([]Record, weighted(r, operationsPerDay))
		day := now.In(schemas.Shanghai)
		morning := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, schemas.Shanghai)
		weights := make([]int, len(operationTypes))
		for i, t := range operationTypes {
			weights[i] = t.weight
		}
		for i := range recs {
			recs[i] = NewRecord(r, j.table, c, now)
			begin := morning.Add(time.Duration(r.IntN(8*60)) * time.Minute)
			recs[i]["TASK_TYPE"] = operationTypes[weighted(r, weights)].code
			recs[i]["TASK_BEGIN_TIME"] = stamp(begin)
			recs[i]["TASK_END_TIME"] = stamp(begin.Add(time.Duration(2+r.IntN(3)) * time.Hour))
		}
		return recs
	case schemas.VideoAlarms, schemas.GasStationVideoAlarms:
		// Mostly behaviour (离岗, 打电话, 未戴安全帽 …), now and then 明火/烟雾; each
		// 销警 after a few minutes, when someone on site has looked.
		rec := NewRecord(r, j.table, c, now)
		fire, smoke := "1", "2"
		if j.table == schemas.GasStationVideoAlarms {
			fire, smoke = "10", "11"
		}
		if r.IntN(fireSmokeChance) == 0 {
			rec["ALARM_TYPE"] = []string{fire, smoke}[r.IntN(2)]
		} else {
			rec["ALARM_TYPE"] = pickViolation(r, j.table)
		}
		rec["ALARM_TIME"] = stamp(now)
		clear := Record{}
		for k, v := range rec {
			clear[k] = v
		}
		at := now.Add(time.Duration(2*60+r.IntN(13*60)) * time.Second)
		clear["ALARM_STATUS"], clear["ALARM_TIME"] = schemas.VideoAlarmCleared, stamp(at)
		heap.Push(&s.h, job{due: at, company: j.company, table: j.table, recs: []Record{clear}})
		return []Record{rec}
	case schemas.PositioningAlarms:
		rec := NewRecord(r, j.table, c, now)
		rec["time"], rec["alarmType"] = stamp(now), pickViolation(r, j.table)
		handled := Record{}
		for k, v := range rec {
			handled[k] = v
		}
		at := now.Add(time.Duration(60+r.IntN(10*60)) * time.Second)
		handled["type"], handled["handleTime"] = schemas.PositioningHandled, stamp(at)
		heap.Push(&s.h, job{due: at, company: j.company, table: j.table, recs: []Record{handled}})
		return []Record{rec}
	}
	recs := make([]Record, batchSize(r, j.table))
	for i := range recs {
		recs[i] = NewRecord(r, j.table, c, now)
		if j.table.Key == "DEVICE_CODE" {
			recs[i]["DEVICE_CODE"] = DeviceCode(c, i+1)
		}
	}
	return recs
}

// Replay calls fn with every upload the simulator would make for companies from
// start until end, in time order, on a fake clock: the same schedule and records as
// Run with the same Speed and Seed (none corrupted: BadShare applies to Run only),
// without a network or a platform. For tests that drive the warning engine with a
// simulated day.
func Replay(cfg Config, companies []Company, start, end time.Time, fn func(at time.Time, c Company, t *schemas.Table, recs []Record)) {
	sch := newSchedule(companies, start, cfg.Speed, cfg.Seed)
	for len(sch.h) > 0 && sch.due().Before(end) {
		u := sch.next()
		if len(u.Records) > 0 {
			fn(u.At, u.Company, u.Table, u.Records)
		}
	}
}
