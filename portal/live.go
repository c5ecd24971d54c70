package portal

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
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
	done := c.Context().Done()
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set("X-Accel-Buffering", "no")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		every := time.NewTicker(p.cfg.LiveEvery)
		defer every.Stop()
		recheck := time.NewTicker(recheckEvery)
		defer recheck.Stop()
		end := time.NewTimer(p.cfg.LiveFor)
		defer end.Stop()
		fmt.Fprintf(w, "retry: %d\n\n", 5000)
		for {
			if check() != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			st, err := p.companyQueries.Stats(ctx, scope, p.cfg.Now(), p.cfg.OnlineWindow)
			var d drill
			if err == nil {
				d, err = p.drillDown(ctx, scope, region)
			}
			cancel()
			if err != nil {
				slog.Error("portal: live stats", "err", err)
				return
			}
			b, err := json.Marshal(LiveValues(st))
			if err != nil {
				return
			}
			m, err := liveMap(st, scope, d)
			if err != nil {
				return
			}
			fmt.Fprintf(w, "event: stats\ndata: %s\n\nevent: map\ndata: %s\n\n", b, m)
			if err := w.Flush(); err != nil {
				return // the browser went away
			}
			if !waitTick(done, end.C, recheck.C, every.C, check) {
				return
			}
		}
	})
	return nil
}

// waitTick waits for the next tick, checking the session on every recheck; it
// reports false when the stream must end (server shutdown, its time is up, or
// the session is over).
func waitTick(done <-chan struct{}, end, recheck, tick <-chan time.Time, check func() error) bool {
	for {
		select {
		case <-done:
			return false
		case <-end:
			return false
		case <-recheck:
			if check() != nil {
				return false
			}
		case <-tick:
			return true
		}
	}
}
