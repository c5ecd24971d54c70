package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Defaults of the live updates.
const (
	DefaultLiveEvery = 15 * time.Second
	DefaultLiveFor   = 5 * time.Minute
)

// LiveValues are the home page's figures by element id, as /portal/live sends
// them: the page's script sets each element's text.
func LiveValues(st readmodel.Stats) map[string]string {
	v := map[string]string{
		"kpi-companies": strconv.Itoa(st.Companies), "kpi-hazards": strconv.Itoa(st.HazardSources),
		"kpi-major": strconv.Itoa(st.MajorHazardSources), "kpi-online-n": strconv.Itoa(st.Online),
		"kpi-online-rate": st.OnlinePercent(), "kpi-warnings": strconv.Itoa(st.OpenWarningsTotal),
		"kpi-alarms": strconv.Itoa(st.ActiveAlarms), "kpi-rejected-n": strconv.Itoa(st.RejectedToday),
		"commit-done": strconv.Itoa(st.CommitDone), "commit-late": strconv.Itoa(st.CommitLate),
		"commit-missing": strconv.Itoa(st.CommitMissing),
	}
	for _, w := range st.OpenWarnings {
		v["warn-"+w.Code] = strconv.Itoa(w.Count)
	}
	return v
}

// liveMap is the "map" event: the city map's series and the table under it, and
// the 下钻 map's data (app.js's drill-data: a city's counties or a county's
// companies), null when the page shows no drill.
func liveMap(st readmodel.Stats, scope tiers.Scope, d drill) ([]byte, error) {
	cities, err := json.Marshal(CityPoints(st, scope))
	if err != nil {
		return nil, err
	}
	data := []byte("null")
	if d.Data != "" {
		data = []byte(d.Data)
	}
	return fmt.Appendf(nil, `{"cities":%s,"drill":%s}`, cities, data), nil
}

// live streams the home page's figures for the caller's region as server-sent
// events ("stats", then "map": the maps' series and their tables for the
// page's ?region=, from the same scoped queries as the page), at once and then
// every LiveEvery. A stream ends after LiveFor, so that the browser's
// EventSource reconnects and the session is checked in full again; at once
// when the server shuts down; and within the guard's check interval (and
// before any event) once the session was logged out, expired or its user
// disabled — regional figures must not keep flowing to a screen whose user
// has left.
func (p *Portal) live(c *fiber.Ctx) error {
	scope := p.guard.Scope(c)
	recheckEvery, check := p.guard.SessionCheck(c)
	region := strings.Clone(c.Query("region"))
	web.Poll(c, web.Stream{Retry: 5 * time.Second, MaxAge: p.cfg.LiveFor, Recheck: recheckEvery, Check: check},
		p.cfg.LiveEvery, func(w io.Writer) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := p.companyQueries.Stats(ctx, scope, p.cfg.Now(), p.cfg.OnlineWindow)
			var d drill
			if err == nil {
				d, err = p.drillDown(ctx, scope, region)
			}
			if err != nil {
				slog.Error("portal: live stats", "err", err)
				return err
			}
			b, err := json.Marshal(LiveValues(st))
			if err != nil {
				return err
			}
			m, err := liveMap(st, scope, d)
			if err != nil {
				return err
			}
			web.WriteEvent(w, "", "stats", b)
			web.WriteEvent(w, "", "map", m)
			return nil
		})
	return nil
}
