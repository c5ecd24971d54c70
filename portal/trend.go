package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
)

// Point is one reading of an indicator.
type Point struct {
	At    string `json:"t"` // COLLECT_TIME, the seed's layout
	Value string `json:"v"`
}

// maxPoints bounds a trend: a reading a minute for 24 hours is 1,440.
const maxPoints = 5000

// Trend returns the indicator's definition and its latest maxPoints readings received within the
// day before now, oldest first; a not_found error when the company has no such
// indicator.
func (s *Store) Trend(ctx context.Context, company, indicator string, now time.Time) (Doc, []Point, error) {
	docs, err := s.docs(ctx, `SELECT doc FROM x_indicators WHERE company_code = $1 AND record_key = $2`, company, indicator)
	if err != nil {
		return nil, nil, err
	}
	if len(docs) == 0 {
		return nil, nil, chemguard.Errorf(chemguard.ENotFound, "该企业没有指标「%s」", "the company has no indicator %q", indicator)
	}
	// The latest maxPoints readings (an indicator read more often than that in a
	// day loses its oldest, not its newest), oldest first.
	rows, err := s.pool.Query(ctx, `SELECT at, v FROM (
		SELECT doc->>'COLLECT_TIME' AS at, doc->>'VALUE' AS v, event_time, received_at FROM x_sensor_readings_history
		WHERE company_code = $1 AND record_key = $2 AND received_at >= $3 AND NOT deleted
		ORDER BY event_time DESC NULLS FIRST, received_at DESC LIMIT $4) latest
		ORDER BY event_time NULLS LAST, received_at`, company, indicator, now.Add(-24*time.Hour), maxPoints)
	if err != nil {
		return nil, nil, fmt.Errorf("portal: trend: %w", err)
	}
	pts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Point, error) {
		var p Point
		var at, v *string
		err := r.Scan(&at, &v)
		if at != nil {
			p.At = *at
		}
		if v != nil {
			p.Value = *v
		}
		return p, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("portal: trend: %w", err)
	}
	return docs[0], pts, nil
}

// Limit is one alarm threshold an indicator declares, named as the page shows it.
type Limit struct {
	Name  string // 低低报, 低报, 高报, 高高报
	Value string
}

// limitNames are the thresholds of 指标信息 in rising order, with their names.
var limitNames = []struct{ field, name string }{
	{"LOW_LOW", "低低报"}, {"LOW", "低报"}, {"HIGH", "高报"}, {"HIGH_HIGH", "高高报"},
}

type trendPage struct {
	Enterprise Enterprise
	Indicator  Doc
	Limits     []Limit // the thresholds set, in rising order; the unset ones are left out
	Points     []Point
	Recent     []Point // the last readings, newest first, for the table
	Data       template.JS
}

func (p *Portal) trend(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	ind, pts, err := p.store.Trend(c.UserContext(), e.Code, strings.Clone(c.Params("indicator")), p.cfg.Now())
	if err != nil {
		return err
	}
	thresholds := map[string]string{}
	var limits []Limit
	for _, k := range limitNames {
		if s := str(ind[k.field]); s != "" {
			thresholds[k.field] = s
			limits = append(limits, Limit{Name: k.name, Value: s})
		}
	}
	// The range bounds the chart's axis, which otherwise spans the readings and
	// every threshold.
	b, err := json.Marshal(map[string]any{"name": str(ind["INDICATOR_NAME"]), "unit": str(ind["UNIT"]),
		"points": pts, "thresholds": thresholds, "range_low": str(ind["RANGE_LOW"]), "range_high": str(ind["RANGE_HIGH"])})
	if err != nil {
		return fmt.Errorf("portal: trend data: %w", err)
	}
	recent := make([]Point, 0, 50)
	for i := len(pts) - 1; i >= 0 && len(recent) < 50; i-- {
		recent = append(recent, pts[i])
	}
	return p.render(c, "trend", str(ind["INDICATOR_NAME"]), "companies",
		trendPage{Enterprise: e, Indicator: ind, Limits: limits, Points: pts, Recent: recent, Data: template.JS(b)})
}
