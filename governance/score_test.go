package governance_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// timed is an event and the time it is processed; a nil event is a tick.
type timed struct {
	ev  governance.Event
	now time.Time
}

// dayOfEvents is a recorded day of five companies with a bit of everything: late and
// missing commitments, hot work, silent data collection, a device going offline,
// base-data gaps, stuck values and duplicates, and ticks every minute.
func dayOfEvents(tb testing.TB) []timed {
	tb.Helper()
	var out []timed
	t0 := at(tb, "00:00:00")
	for i := 1; i <= 5; i++ {
		c := fmt.Sprintf("C%d", i)
		out = append(out, timed{events.HazardSource{Code: c + "-H1", Company: c, Kind: events.HazardTankFarm, Grade: 2}, t0},
			timed{events.HazardSource{Code: c + "-H2", Company: c, Kind: events.HazardWarehouse}, t0},
			timed{events.IndicatorDef{Code: c + "-P1", Company: c, Hazard: c + "-H1", Kind: events.KindPressure,
				RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}, t0},
			timed{events.IndicatorDef{Code: c + "-T1", Company: c, Hazard: c + "-H1", Kind: events.KindTemperature}, t0},
			timed{governance.Location{Company: c, Table: "enterprise-info", Lon: f(117 + float64(i)), Lat: f(36.5)}, t0})
	}
	for m := 0; m < 24*60; m++ {
		now := t0.Add(time.Duration(m) * time.Minute)
		for i := 1; i <= 5; i++ {
			c := fmt.Sprintf("C%d", i)
			silent := i == 2 && m >= 14*60 && m < 16*60 // C2's collection stops 14:00–16:00
			if !silent && m%2 == 0 {
				v := 0.8 + 0.001*float64(m%7)
				if i == 3 {
					v = 0.8 // C3's pressure is stuck
				}
				out = append(out, timed{governance.Upload{Company: c, Table: "sensor-readings", Accepted: 2}, now},
					timed{events.Reading{Company: c, Indicator: c + "-P1", Value: v, At: now}, now},
					timed{events.Reading{Company: c, Indicator: c + "-T1", Value: 20, At: now.Add(-time.Duration(i%2) * time.Second)}, now})
				if i == 4 && m%60 == 0 { // C4 re-sends a reading
					out = append(out, timed{events.Reading{Company: c, Indicator: c + "-P1", Value: v, At: now}, now.Add(time.Second)})
				}
			}
			if m%10 == 0 && !(i == 5 && m >= 20*60) { // C5's video device stops at 20:00
				out = append(out, timed{events.DeviceStatus{Company: c, Device: c + "-D1", At: now, Normal: true}, now})
			}
			switch {
			case m == 9*60 && i != 4 && i != 5:
				out = append(out, timed{events.Commitment{ID: c + "-CM", Company: c, Date: t0, At: now, UnitsRunning: 2}, now})
			case m == 10*60+30 && i == 4:
				out = append(out, timed{events.Commitment{ID: c + "-CM", Company: c, Date: t0, At: now, UnitsRunning: 2}, now})
			case m == 11*60 && i == 1:
				out = append(out, timed{events.Operation{ID: c + "-OP", Company: c, Type: events.OpHotWork2, Begin: now.Add(time.Hour)}, now})
			}
		}
		out = append(out, timed{nil, now})
	}
	out = append(out, timed{nil, atDay(tb, "2021-06-02", "00:00:30")})
	return out
}

func replay(tb testing.TB, events []timed) journal {
	tb.Helper()
	tr := newTracker(tb)
	j := journal{}
	for _, e := range events {
		if e.ev == nil {
			j.add(tr.Tick(e.now))
		} else {
			j.add(tr.Apply(e.ev, e.now))
		}
	}
	return j
}

var companies = []string{"C1", "C2", "C3", "C4", "C5"}

// Recomputing a day's scores from the stored facts gives the same result: whatever
// the facts' order, after a round trip through storage (JSON), at any time after the
// day, and from a replay of the same events.
func TestScoresDeterministic(t *testing.T) {
	cfg := governance.DefaultConfig()
	events := dayOfEvents(t)
	facts := replay(t, events).facts()
	day := at(t, "12:00:00")
	first := governance.ScoreAll(&cfg, companies, day, atDay(t, "2021-06-02", "00:00:30"), facts)

	// The scenario makes the facts it says it does.
	kinds := map[governance.Kind][]string{}
	for _, f := range facts {
		kinds[f.Kind] = append(kinds[f.Kind], f.Company)
	}
	assert.Contains(t, kinds[governance.CommitmentLate], "C4")
	assert.Contains(t, kinds[governance.CommitmentMissing], "C5")
	assert.Equal(t, []string{"C1"}, kinds[governance.CommitmentContradiction])
	assert.Equal(t, []string{"C2"}, kinds[governance.OfflineReadings])
	assert.Contains(t, kinds[governance.SensorStuck], "C3")
	assert.Equal(t, []string{"C4"}, kinds[governance.SensorDuplicate])
	assert.Equal(t, []string{"C5"}, kinds[governance.OfflineVideoDevice])
	assert.Len(t, kinds[governance.HazardNoIndicator], 5)
	assert.Len(t, kinds[governance.IndicatorNoThreshold], 5)
	for _, s := range first {
		assert.Less(t, s.Score, 100.0, s.Company)
		assert.Greater(t, s.Score, 0.0, s.Company)
	}

	t.Run("any order", func(t *testing.T) {
		r := rand.New(rand.NewSource(6))
		for i := 0; i < 20; i++ {
			shuffled := append([]governance.Fact(nil), facts...)
			r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			require.Equal(t, first, governance.ScoreAll(&cfg, companies, day, atDay(t, "2021-06-02", "00:00:30"), shuffled))
		}
	})
	t.Run("stored and read back", func(t *testing.T) {
		b, err := json.Marshal(facts)
		require.NoError(t, err)
		var stored []governance.Fact
		require.NoError(t, json.Unmarshal(b, &stored))
		got := governance.ScoreAll(&cfg, companies, day, atDay(t, "2021-06-02", "00:00:30"), stored)
		for i := range got { // time zones differ after the round trip; the instants do not
			assert.True(t, first[i].AsOf.Equal(got[i].AsOf))
			got[i].AsOf = first[i].AsOf
		}
		require.Equal(t, first, got)
	})
	t.Run("recomputed later", func(t *testing.T) {
		require.Equal(t, first, governance.ScoreAll(&cfg, companies, day, atDay(t, "2021-06-05", "08:00:00"), facts))
	})
	t.Run("replayed", func(t *testing.T) {
		again := replay(t, events)
		require.Equal(t, replay(t, events), again)
		require.Equal(t, first, governance.ScoreAll(&cfg, companies, day, atDay(t, "2021-06-02", "00:00:30"), again.facts()))
	})
}

func TestScoreDayCountsOverlap(t *testing.T) {
	cfg := governance.DefaultConfig()
	overnight := governance.Fact{ID: "x", Company: "C1", Kind: governance.OfflineReadings,
		Started: atDay(t, "2021-05-31", "22:00:00"), Ended: at(t, "02:00:00")}
	yesterday := governance.Fact{ID: "y", Company: "C1", Kind: governance.SensorFuture,
		Started: atDay(t, "2021-05-31", "08:00:00"), Ended: at(t, "00:00:00")}
	other := governance.Fact{ID: "z", Company: "C2", Kind: governance.HazardNoIndicator, Started: at(t, "08:00:00")}
	s := governance.ScoreDay(&cfg, "C1", at(t, "12:00:00"), time.Time{}, []governance.Fact{overnight, yesterday, other})
	require.Len(t, s.Deductions, 1, "a fact that ended at midnight and another company's fact do not count")
	assert.Equal(t, 2.0, s.Deductions[0].Hours, "only the hours within the day")
	assert.Equal(t, 100-(5+2.0), s.Score)
	prev := governance.ScoreDay(&cfg, "C1", atDay(t, "2021-05-31", "12:00:00"), time.Time{}, []governance.Fact{overnight, yesterday})
	assert.Equal(t, 100-(5+2.0)-1, prev.Score)

	// A dimension cannot lose more than its weight.
	var many []governance.Fact
	for i := 0; i < 40; i++ {
		many = append(many, governance.Fact{ID: fmt.Sprint(i), Company: "C1", Kind: governance.HazardNoIndicator, Started: at(t, "08:00:00")})
	}
	s = governance.ScoreDay(&cfg, "C1", at(t, "12:00:00"), time.Time{}, many)
	assert.Equal(t, 75.0, s.Score)
	assert.Equal(t, 25.0, s.Dimensions[4].Deducted)
}

func scores(day string, byCompany map[string]float64) []governance.CompanyScore {
	var out []governance.CompanyScore
	for c, v := range byCompany {
		out = append(out, governance.CompanyScore{Company: c, Day: day, Score: v})
	}
	return out
}

var members = []governance.Member{
	{Company: "C1", County: "370102"},             // 济南 历下区
	{Company: "C2", County: "370102"},             // 济南 历下区
	{Company: "C5", County: "370102", Park: "P1"}, // 济南 历下区, in park P1
	{Company: "C3", County: "370103"},             // 济南 市中区
	{Company: "C4", County: "370202"},             // 青岛 市南区
	{Company: "C6", County: "999999"},             // not a Shandong county
	{Company: "C7", County: "370100"},             // a city, not a county
}

func region(tb testing.TB, rollup []governance.RegionScore, level, code string) governance.RegionScore {
	tb.Helper()
	for _, r := range rollup {
		if r.Level == level && r.Region == code {
			return r
		}
	}
	tb.Fatalf("no %s %s in the rollup", level, code)
	return governance.RegionScore{}
}

// A county's score is computed from exactly its companies.
func TestRollupCountyFromExactlyItsCompanies(t *testing.T) {
	base := map[string]float64{"C1": 90, "C2": 80, "C5": 70, "C3": 60, "C4": 10, "C6": 0, "C7": 0}
	rollup := governance.Rollup(scores("2021-06-01", base), members)

	lixia := region(t, rollup, governance.LevelCounty, "370102")
	assert.Equal(t, 80.0, lixia.Score, "(90+80+70)/3")
	assert.Equal(t, 3, lixia.Companies)
	assert.Equal(t, 70.0, lixia.Min)
	assert.Equal(t, 90.0, lixia.Max)
	assert.Equal(t, "370100", lixia.Parent)
	assert.Equal(t, 60.0, region(t, rollup, governance.LevelCounty, "370103").Score)
	jinan := region(t, rollup, governance.LevelCity, "370100")
	assert.Equal(t, 75.0, jinan.Score, "mean over its 4 companies, not of its counties' means (70)")
	assert.Equal(t, 4, jinan.Companies)
	province := region(t, rollup, governance.LevelProvince, "370000")
	assert.Equal(t, 62.0, province.Score, "(90+80+70+60+10)/5: C6 and C7 have no valid county")
	assert.Equal(t, 70.0, region(t, rollup, governance.LevelPark, "P1").Score)

	// Changing a company elsewhere, or adding one elsewhere, leaves the county alone.
	other := map[string]float64{"C1": 90, "C2": 80, "C5": 70, "C3": 0, "C4": 100, "C8": 5}
	again := governance.Rollup(scores("2021-06-01", other), append(members, governance.Member{Company: "C8", County: "370103"}))
	assert.Equal(t, lixia, region(t, again, governance.LevelCounty, "370102"))
}

// A city's ranking holds only its counties; the province's only its cities.
func TestRankings(t *testing.T) {
	rollup := governance.Rollup(scores("2021-06-01", map[string]float64{"C1": 90, "C2": 80, "C5": 70, "C3": 85, "C4": 99}), members)
	jinan := governance.RankRegions(rollup, "370100", governance.LevelCounty)
	require.Len(t, jinan, 2)
	assert.Equal(t, []string{"370103", "370102"}, []string{jinan[0].Region, jinan[1].Region})
	assert.Equal(t, []int{1, 2}, []int{jinan[0].Rank, jinan[1].Rank})
	for _, r := range jinan {
		assert.NotEqual(t, "370202", r.Region, "青岛's county is not in 济南's ranking")
	}
	cities := governance.RankRegions(rollup, "370000", governance.LevelCity)
	require.Len(t, cities, 2)
	assert.Equal(t, "370200", cities[0].Region)
	parks := governance.RankRegions(rollup, "370102", governance.LevelPark)
	require.Len(t, parks, 1)

	ranked := governance.RankCompanies(scores("2021-06-01", map[string]float64{"C1": 90, "C2": 80, "C5": 90, "C3": 85, "C4": 99}), members, "370100")
	var got []string
	for _, r := range ranked {
		got = append(got, fmt.Sprintf("%d:%s", r.Rank, r.Company))
	}
	assert.Equal(t, []string{"1:C1", "1:C5", "3:C3", "4:C2"}, got, "ties share a rank; C4 is in 青岛")
	assert.Len(t, governance.RankCompanies(scores("2021-06-01", map[string]float64{"C1": 90, "C5": 80}), members, "P1"), 1)
}

func TestTrendsAndFallers(t *testing.T) {
	yesterday := scores("2021-05-31", map[string]float64{"C1": 90, "C2": 80, "C3": 85, "C4": 60})
	today := scores("2021-06-01", map[string]float64{"C1": 70, "C2": 79.5, "C3": 95, "C4": 40, "C5": 50})
	trends := governance.CompanyTrends(today, yesterday)
	require.Len(t, trends, 5)
	assert.Equal(t, governance.Trend{Key: "C5", Score: 50, Previous: 50, New: true}, trends[4])
	fallers := governance.Fallers(trends, 2)
	require.Len(t, fallers, 2)
	assert.Equal(t, "C1", fallers[0].Key, "ties by key")
	assert.Equal(t, -20.0, fallers[0].Change)
	assert.Equal(t, "C4", fallers[1].Key)
	assert.Len(t, governance.Fallers(trends, 10), 3, "only those that fell")

	rt := governance.RegionTrends(governance.Rollup(today, members), governance.Rollup(yesterday, members))
	for _, r := range rt {
		if r.Key == "county|370102" {
			assert.Equal(t, -18.5, r.Change, "(70+79.5+50)/3 = 66.5 against (90+80)/2 = 85")
		}
	}
}
