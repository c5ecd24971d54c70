package simulate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/warning"
)

// dayMix is what a simulated day made the warning engine conclude.
type dayMix struct {
	companies int
	byLevel   map[warning.Level]int // warnings by the highest level each reached
	byModel   map[string]int        // warnings by model
	red       map[string][]string   // company → why each of its red warnings was red
	redScores []float64             // each red warning's points summed over its factors at its peak
}

// simulateDay replays the simulator's uploads for companies over one day from start
// on a fake clock, as the simulator sends them (seed 1; at real-time speed: the
// demo's speed 60 sends lists and statuses more often but readings, alarms and
// permits at the same rates), through the real warning engine (default models),
// ticking it every minute like the warning service.
func simulateDay(tb testing.TB, companies []simulate.Company, start time.Time) dayMix {
	tb.Helper()
	cfg, err := warning.DefaultConfig()
	require.NoError(tb, err)
	eng, err := warning.New(cfg, nil)
	require.NoError(tb, err)
	top := map[string]warning.Level{}
	why := map[string]string{}
	peak := map[string][]warning.Factor{}
	model := map[string]string{}
	company := map[string]string{}
	note := func(ch warning.Changes) {
		for _, c := range ch.Warnings {
			w := c.Warning
			if w.Level > top[w.ID] {
				top[w.ID] = w.Level
				peak[w.ID] = w.Factors
				var fs []string
				for _, f := range w.Factors {
					fs = append(fs, fmt.Sprintf("%s %g×%g=%g", f.NameZH, f.Count, f.Weight, f.Points))
				}
				why[w.ID] = fmt.Sprintf("%s %s %s（%s）：%s", warning.ModelNameZH(w.Model), w.SubjectName, w.Level.NameZH(),
					c.Reason, strings.Join(fs, "；"))
			}
			model[w.ID], company[w.ID] = w.Model, w.Company
		}
	}
	tick := start
	simulate.Replay(simulate.Config{Speed: 1, Seed: 1}, companies, start, start.Add(24*time.Hour),
		func(at time.Time, c simulate.Company, t *schemas.Table, recs []simulate.Record) {
			for ; !tick.After(at); tick = tick.Add(time.Minute) {
				note(eng.Tick(tick))
			}
			for _, rec := range recs {
				raw, err := json.Marshal(rec)
				require.NoError(tb, err)
				ev, err := events.Decode(t.Slug, c.Code, raw)
				if errors.Is(err, events.ErrIgnoredTable) {
					return
				}
				require.NoError(tb, err, "%s %s", t.Slug, raw)
				note(eng.Apply(ev, at))
			}
		})
	m := dayMix{companies: len(companies), byLevel: map[warning.Level]int{}, byModel: map[string]int{}, red: map[string][]string{}}
	for id, l := range top {
		m.byLevel[l]++
		m.byModel[model[id]]++
		if l == warning.LevelRed {
			m.red[company[id]] = append(m.red[company[id]], why[id])
			var sum float64
			for _, f := range peak[id] {
				sum += f.Points
			}
			m.redScores = append(m.redScores, sum)
		}
	}
	return m
}

// A day of the demo's 50 companies on a fake clock, through the real warning
// engine: mostly 蓝色/黄色 warnings, a 红色 one now and then (at most 2 % of
// company-days), and each red one explained by its factors.
func TestDailyWarningMix(t *testing.T) {
	companies := simulate.Companies(50, 1)
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, schemas.Shanghai)
	m := simulateDay(t, companies, start)
	t.Logf("warnings by highest level: 蓝 %d, 黄 %d, 橙 %d, 红 %d; by model %v",
		m.byLevel[warning.LevelBlue], m.byLevel[warning.LevelYellow], m.byLevel[warning.LevelOrange], m.byLevel[warning.LevelRed], m.byModel)
	var reds []string
	for c, w := range m.red {
		reds = append(reds, c+" "+strings.Join(w, " | "))
	}
	sort.Strings(reds)
	for _, r := range reds {
		t.Log("红色: " + r)
	}
	assert.LessOrEqual(t, float64(len(m.red)), 0.02*float64(m.companies), "company-days with a red warning")
	lower := m.byLevel[warning.LevelBlue] + m.byLevel[warning.LevelYellow]
	assert.Greater(t, lower, 2*(m.byLevel[warning.LevelOrange]+m.byLevel[warning.LevelRed]), "mostly blue and yellow")
	assert.GreaterOrEqual(t, lower, m.companies/5, "a demo day is not empty: blue/yellow warnings for at least one company in five")
	for _, sum := range m.redScores { // explainable: its listed factors add up to red
		assert.GreaterOrEqual(t, sum, 80.0, "a red warning's factors add up to its level")
	}
}
