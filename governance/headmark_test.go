package governance_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// life is a random company's life, fed to a tracker step by step: readings of
// defined, redefined and unknown points, uploads with refusals, base data (hazard
// sources, cameras, video devices, locations), commitments, permits and hot work,
// company and indicator alarms, disposal steps, device status, 双重预防 records,
// the registry's kind, ticks on a moving intake across days (so day-bound memory is
// pruned), the company retired. What each step may touch is small on purpose, so
// that states repeat and change often.
type life struct {
	r     *rand.Rand
	now   time.Time
	in    events.Intake
	chain []timed // 双重预防 records and their base data (randomChain), taken in turn
}

func newLife(tb testing.TB, seed uint64) *life {
	return &life{r: rand.New(rand.NewPCG(seed, 37)), now: at(tb, "08:00:00"), chain: randomChain(tb, seed, 2000)}
}

// chainRecord is the next record of the life's chain.
func (l *life) chainRecord() governance.Event {
	for len(l.chain) > 0 {
		e := l.chain[0]
		l.chain = l.chain[1:]
		if _, isRetire := e.ev.(retire); e.ev != nil && !isRetire {
			return e.ev
		}
	}
	return events.HazardSource{Company: "C1", Code: "H0"}
}

// step feeds the tracker one random event (or a tick, a kind, a retirement) and
// advances the clock.
func (l *life) step(tr *governance.Tracker) {
	r := l.r
	l.now = l.now.Add(time.Duration(r.IntN(90)) * time.Second)
	if r.IntN(80) == 0 { // a night, or a long weekend
		l.now = l.now.Add(time.Duration(10+r.IntN(50)) * time.Hour)
	}
	if r.IntN(8) == 0 { // the platform's intake moves, lags or resumes
		l.in = events.Intake{At: l.now.Add(-time.Duration(r.IntN(600)) * time.Second)}
		if r.IntN(3) == 0 {
			l.in.Since = l.in.At.Add(-time.Duration(r.IntN(900)) * time.Second)
		}
		tr.SetIntake(l.in)
	}
	const code = "C1"
	point := fmt.Sprint("I", r.IntN(5)) // I3 and I4 are never defined: readings make them
	device := fmt.Sprint("CAM-", r.IntN(4))
	var ev governance.Event
	switch k := r.IntN(100); {
	case k < 30:
		ev = events.Reading{Company: code, Indicator: point, Value: []float64{0.5, 0.5, 1.2, 3, -1}[r.IntN(5)],
			At: l.now.Add(time.Duration(r.IntN(5)-3) * time.Hour)}
	case k < 38:
		u := governance.Upload{Company: code, Table: []string{events.TableSensorReadings, events.TableVideoDeviceStatus,
			events.TableCommitments}[r.IntN(3)], Accepted: r.IntN(20)}
		if r.IntN(3) == 0 {
			u.Rejected = map[string]int{"required": 1 + r.IntN(30)}
		}
		ev = u
	case k < 41:
		ev = events.IndicatorDef{Company: code, Code: fmt.Sprint("I", r.IntN(3)), Hazard: fmt.Sprint("H", r.IntN(4)),
			Kind: []events.IndicatorKind{events.KindPressure, events.KindGrounding}[r.IntN(2)], RangeLow: f(0), RangeHigh: f(2),
			Thresholds: events.Thresholds{High: f(1 + r.Float64()/2)}, Deleted: r.IntN(10) == 0}
	case k < 43:
		ev = governance.Camera{Company: code, VideoCode: device, Hazard: "H1", Deleted: r.IntN(5) == 0}
	case k < 45:
		ev = governance.VideoDevice{Company: code, Code: fmt.Sprint("DEV-", r.IntN(3))}
	case k < 47:
		lon := 117 + r.Float64()
		ev = governance.Location{Company: code, Table: governance.TableEnterpriseInfo, Lon: &lon, Lat: f(36.6)}
	case k < 50:
		ev = events.Commitment{ID: fmt.Sprint("cm", r.IntN(2)), Company: code, Date: l.now, At: l.now,
			UnitsRunning: r.IntN(2), UnitsStopped: 1, HotWork1: r.IntN(2), ConfinedSpace: r.IntN(2), MajorHazardOK: true}
	case k < 54:
		ev = events.Operation{ID: fmt.Sprint("op", r.IntN(4)), Company: code, Type: []string{"11", "12", "13", "21"}[r.IntN(4)],
			Begin: l.now.Add(time.Duration(r.IntN(48)-24) * time.Hour), Cancelled: r.IntN(5) == 0}
	case k < 57:
		ev = events.CompanyAlarm{Company: code, Source: []events.AlarmSource{events.SourceVideo, events.SourceGasStation,
			events.SourcePositioning}[r.IntN(3)], ID: fmt.Sprint("a", r.IntN(3)), Type: "1", Where: device,
			Device: fmt.Sprint("DEV-", r.IntN(4)), Raised: r.IntN(2) == 0, At: l.now}
	case k < 64:
		ev = events.DeviceStatus{Company: code, Device: fmt.Sprint("DEV-", r.IntN(4)), Normal: r.IntN(3) > 0, At: l.now}
	case k < 74:
		ev = l.chainRecord()
	case k < 77:
		tr.ApplyAlarm(governance.IndicatorAlarm{Company: code, ID: fmt.Sprint("w", r.IntN(3)), Indicator: point,
			NoData: r.IntN(6) == 0, Cleared: r.IntN(2) == 0, Start: l.now.Add(-time.Hour), Clear: l.now})
		return
	case k < 79:
		step := governance.DisposalStep{Company: code, Warning: fmt.Sprint("W", r.IntN(2)), LevelZH: "橙色预警",
			Taken: r.IntN(2) == 0, At: l.now}
		if !step.Taken {
			step.Overdue = &governance.Overdue{Step: "签收", Deadline: l.now.Add(-time.Minute), At: l.now, From: "县级", To: "市级"}
		}
		tr.ApplyWarning(step, l.now)
		return
	case k < 81:
		tr.SetKind(code, []string{"", "生产", governance.KindGasStation}[r.IntN(3)])
		return
	case k < 82:
		tr.Retire(code, l.now, "企业已停用")
		return
	default:
		tr.TickIntake(l.now, l.in)
		return
	}
	tr.Apply(ev, l.now)
}

// The tracker marks its head changed where it changes it, so a consumer skips the
// encoding of unmarked heads: over random lives, a store that encodes the head only
// when it is marked holds at every step the head an encoding at every step would
// (a step whose head differs from the stored one without a mark fails at once); a
// store is skipped or fails now and then, as a tick skips companies or a
// transaction rolls back (the mark waits for the next store); a tracker restarted
// from the marked store remembers what the running one does and carries no mark;
// and most steps — readings, uploads, device status — leave the head alone.
func TestHeadMarkedWhereItChanges(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			l := newLife(t, seed)
			tr := newTracker(t)
			tr.Register("C1")
			s := &itemStore{code: "C1", items: map[string][]byte{}, marks: true}
			s.save(t, tr, false)
			const steps = 1500
			unmarked := 0
			for i := range steps {
				l.step(tr)
				if !tr.HeadChanged() {
					head, err := tr.MarshalHead()
					require.NoError(t, err)
					if string(head) != string(s.head) {
						require.JSONEq(t, string(s.head), string(head), "step %d changed the head without marking it", i)
					}
					unmarked++
				}
				switch k := l.r.IntN(10); {
				case k == 0: // not stored this time
				case k == 1:
					s.save(t, tr, true) // rolled back
				case k == 2:
					s.save(t, tr, false)
					restarted := s.load(t)
					require.False(t, restarted.HeadChanged(), "a restored tracker's head is the stored one")
					restarted.SetIntake(l.in)
					sameMemory(t, tr, restarted, fmt.Sprintf("restarted after step %d", i))
					tr = restarted
				default:
					s.save(t, tr, false)
				}
			}
			assert.Greater(t, unmarked, steps/2, "most steps leave the head alone")
			t.Logf("%d of %d steps left the head unmarked; %d heads written", unmarked, steps, s.heads)
		})
	}
}

// A company new to a tracker whose head is stored is a change of the head (a
// consumer's tracker holds one company, but the tracker's head holds every one).
func TestHeadMarkedWhenACompanyIsAdded(t *testing.T) {
	tr := newTracker(t)
	tr.Register("C1")
	tr.HeadStored()
	tr.Register("C1")
	require.False(t, tr.HeadChanged(), "a known company is no change")
	tr.Register("C2")
	require.True(t, tr.HeadChanged())
}
