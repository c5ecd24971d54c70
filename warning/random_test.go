package warning_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// life is a random company's life, fed to an engine step by step: indicators
// defined, redefined and deleted; readings crossing their limits; hazard sources,
// devices, company alarms, permits, commitments, 隐患 and the company's kind; ticks
// on a moving intake; disposal actions on the open warnings. What each step may
// touch is small on purpose, so that states repeat and change often.
type life struct {
	r   *rand.Rand
	now time.Time
	in  events.Intake
}

// indicatorCodes are the company's points: gas detectors in two areas, pressures on
// a tank farm, and a warehouse's temperature and humidity.
var indicatorCodes = []string{"G-1", "G-2", "G-3", "G-4", "P-1", "P-2", "T-1", "H-1"}

func (c *life) def(code string) events.IndicatorDef {
	d := events.IndicatorDef{Code: code, Company: "C1", Hazard: "TK", Kind: events.KindPressure, Unit: "MPa",
		RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}
	switch code[0] {
	case 'G':
		d.Kind, d.Unit, d.RangeHigh, d.Thresholds = events.KindCombustible, "%LEL", f(100), events.Thresholds{}
		d.Area = "区域" + string(rune('A'+int(code[2]-'1')%2))
	case 'T':
		d.Hazard, d.Kind, d.Unit, d.Thresholds = "WH", events.KindTemperature, "℃", events.Thresholds{High: f(35)}
	case 'H':
		d.Hazard, d.Kind, d.Unit, d.Thresholds = "WH", events.KindHumidity, "%", events.Thresholds{}
	}
	if c.r.IntN(4) == 0 { // limits corrected
		d.Thresholds.High = f(1.0 + c.r.Float64())
	}
	d.Deleted = c.r.IntN(12) == 0
	return d
}

func (c *life) value(code string) float64 {
	vals := map[byte][]float64{'G': {5, 22, 30, 60}, 'P': {0.8, 1.3, 1.6}, 'T': {20, 31, 36, 45}, 'H': {40, 70, 90}}[code[0]]
	return vals[c.r.IntN(len(vals))]
}

// step feeds the engine one random event (or a tick, or an action) and advances the
// clock.
func (c *life) step(e *warning.Engine) {
	r := c.r
	c.now = c.now.Add(time.Duration(r.IntN(90)) * time.Second)
	if r.IntN(8) == 0 { // the platform's intake moves, lags or resumes
		c.in = events.Intake{At: c.now.Add(-time.Duration(r.IntN(600)) * time.Second)}
		if r.IntN(3) == 0 {
			c.in.Since = c.in.At.Add(-time.Duration(r.IntN(900)) * time.Second)
		}
		e.SetIntake(c.in)
	}
	code := indicatorCodes[r.IntN(len(indicatorCodes))]
	device := fmt.Sprintf("CAM-%d", r.IntN(5))
	var ev events.Event
	switch k := r.IntN(40); {
	case k < 18:
		ev = events.Reading{Company: "C1", Indicator: code, Value: c.value(code),
			At: c.now.Add(-time.Duration(r.IntN(3)) * time.Hour)}
	case k < 21:
		ev = c.def(code)
	case k < 25:
		ev = events.DeviceStatus{Company: "C1", Device: device, Normal: r.IntN(4) > 0,
			At: c.now.Add(-time.Duration(r.IntN(1200)) * time.Second)}
	case k == 25:
		ev = events.HazardSource{Code: "TK", Company: "C1", Kind: events.HazardTankFarm, Grade: 1 + r.IntN(2)}
	case k == 26:
		ev = events.HazardSource{Code: "WH", Company: "C1", Name: "硝酸铵库", Kind: events.HazardWarehouse,
			Grade: 2, KeySubstance: "01", Deleted: r.IntN(6) == 0}
	case k == 27:
		ev = events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: fmt.Sprint("v", r.IntN(3)), Type: "1",
			Where: device, Fire: true, Raised: r.IntN(2) == 0, At: c.now}
	case k == 28:
		ev = events.CompanyAlarm{Company: "C1", Source: events.SourcePositioning, ID: fmt.Sprint("p", r.IntN(3)),
			Type: "01", Raised: r.IntN(2) == 0, At: c.now}
	case k == 29:
		ev = events.Operation{ID: fmt.Sprint("op", r.IntN(3)), Company: "C1", Type: events.OpHotWork1,
			Position: "硝酸铵库区东侧", Begin: c.now.Add(-time.Hour), End: c.now.Add(time.Duration(r.IntN(4)) * time.Hour)}
	case k == 30:
		ev = events.Commitment{ID: fmt.Sprint("cm", r.IntN(2)), Company: "C1", Date: c.now.Truncate(24 * time.Hour),
			At: c.now, MajorHazardOK: r.IntN(2) == 0, StartupShutdown: r.IntN(3) == 0}
	case k == 31:
		ev = events.HiddenDanger{ID: fmt.Sprint("D", r.IntN(4)), Company: "C1", Hazard: "TK", Name: "法兰泄漏",
			Major: true, Accepted: r.IntN(4) == 0, Deadline: c.now.Add(time.Duration(r.IntN(3)-1) * time.Hour)}
	case k == 32:
		ev = events.Enterprise{Company: "C1", Type: []string{"", events.EnterpriseGasStation}[r.IntN(2)]}
	case k == 33:
		ev = events.Camera{Company: "C1", VideoCode: device}
	case k < 37:
		e.TickIntake(c.now, c.in)
		return
	default:
		c.act(e)
		return
	}
	e.Apply(ev, c.now)
}

// act takes a random disposal action on one of the open warnings (refused ones too).
func (c *life) act(e *warning.Engine) {
	open := e.Warnings("C1")
	if len(open) == 0 {
		return
	}
	w := open[c.r.IntN(len(open))]
	county := warning.Actor{ID: "r1", Name: "张科长", Role: warning.RoleCounty}
	actions := []warning.Action{
		{Kind: warning.ActAcknowledge, Actor: warning.Actor{ID: "c1", Name: "王工", Role: warning.RoleCompany}},
		{Kind: warning.ActFeedback, Actor: warning.Actor{ID: "c1", Name: "王工", Role: warning.RoleCompany}, Note: "已处置"},
		{Kind: warning.ActVerify, Actor: county, Note: "属实"},
		{Kind: warning.ActClose, Actor: county, Reason: "已解除"},
		{Kind: warning.ActFalseAlarm, Actor: county, Reason: "标定"},
	}
	a := actions[c.r.IntN(len(actions))]
	a.At = c.now
	_, _ = e.Act("C1", w.ID, a) // a refused action is part of the life too
}

// restart reads the engine back from what s holds, as a new process would.
func (s *itemStore) restart(tb testing.TB) *warning.Engine {
	tb.Helper()
	cfg, err := warning.DefaultConfig()
	require.NoError(tb, err)
	e, err := warning.RestoreItems(cfg, "C1", s.head, maps.Clone(s.items))
	require.NoError(tb, err)
	require.NoError(tb, warning.RestoreFresh(e.State(), s.fresh))
	return e
}

// The engine marks its head changed where it changes it, so a consumer skips the
// encoding of unmarked heads: over random lives, every step whose head differs from
// the one last stored is marked (a store is skipped now and then, as a tick skips
// companies with nothing to report: the mark waits for the next store), a restored
// engine carries no mark, and most steps — readings of quiet points, devices, 隐患 —
// leave the head alone and unmarked.
func TestHeadMarkedWhereItChanges(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := &life{r: rand.New(rand.NewPCG(seed, 29)), now: at(t, "08:00:00")}
			e := newEngine(t)
			s := &itemStore{items: map[string][]byte{}}
			s.store(t, e)
			e.HeadStored()
			const steps = 1000
			unmarked := 0
			for i := range steps {
				c.step(e)
				head, err := warning.MarshalHead(e.State())
				require.NoError(t, err)
				if !e.HeadChanged() {
					if string(head) != string(s.head) {
						t.Fatalf("step %d changed the head without marking it", i)
					}
					unmarked++
				}
				switch k := c.r.IntN(10); {
				case k == 0: // not stored this time
				case k == 1:
					s.store(t, e)
					s.restoredEqual(t, e) // every item changed was marked
					e = s.restart(t)
					require.False(t, e.HeadChanged(), "a restored engine's head is the stored one")
				default:
					s.store(t, e)
					e.HeadStored()
				}
			}
			assert.Greater(t, unmarked, steps/4, "most steps leave the head alone")
		})
	}
}

// The enterprise model reads an index of the points it counts (alarmed, without
// data, devices offline) kept where they change, not every point of the company: over
// random lives, at every step and at a random later time (a device falls silent with
// time alone), its assessment is the one made from every point, and so are the
// devices it counts offline.
func TestEnterpriseIndexMatchesEveryPoint(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c := &life{r: rand.New(rand.NewPCG(seed, 31)), now: at(t, "08:00:00")}
			e := newEngine(t)
			s := &itemStore{items: map[string][]byte{}}
			offline := 0
			for i := range 1000 {
				c.step(e)
				if c.r.IntN(20) == 0 { // a restart reads the devices back from the fresh part
					s.store(t, e)
					e = s.restart(t)
					e.SetIntake(c.in)
				}
				for _, when := range []time.Time{c.now, c.now.Add(time.Duration(c.r.IntN(3600)) * time.Second)} {
					indexed, scanned := warning.AssessEnterpriseTwice(e, "C1", when)
					sameAssessment(t, scanned, indexed, fmt.Sprintf("step %d at %s", i, when))
					ix, sc := warning.OfflineTwice(e, "C1", when)
					require.ElementsMatch(t, sc, ix, "step %d at %s: devices offline", i, when)
					offline += len(ix)
				}
			}
			assert.Positive(t, offline, "devices went offline")
		})
	}
}

// sameAssessment compares two assessments; a factor's count and points may differ by
// the rounding of sums taken in another order (map order).
func sameAssessment(tb testing.TB, want, got warning.Assessment, where string) {
	tb.Helper()
	require.Equal(tb, want.Level, got.Level, where)
	require.InDelta(tb, want.Score, got.Score, 0.05, where)
	require.Equal(tb, factorCodes(want.Factors), factorCodes(got.Factors), where)
	for i, f := range want.Factors {
		g := got.Factors[i]
		require.Equal(tb, f.Detail, g.Detail, where)
		require.InDelta(tb, f.Count, g.Count, 0.02, where)
		require.InDelta(tb, f.Points, g.Points, 0.05, where)
	}
}
