package portal

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/shandong-emergency/chemguard/readmodel"
)

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
	Enterprise readmodel.Enterprise
	Indicator  readmodel.Doc
	Limits     []Limit // the thresholds set, in rising order; the unset ones are left out
	Points     []readmodel.Point
	Recent     []readmodel.Point // the last readings, newest first, for the table
	Data       template.JS
}

func (p *Portal) trend(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	ind, pts, err := p.companyQueries.Trend(c.UserContext(), e.Code, strings.Clone(c.Params("indicator")), p.cfg.Now())
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
	recent := make([]readmodel.Point, 0, 50)
	for i := len(pts) - 1; i >= 0 && len(recent) < 50; i-- {
		recent = append(recent, pts[i])
	}
	return p.render(c, "trend", str(ind["INDICATOR_NAME"]), "companies",
		trendPage{Enterprise: e, Indicator: ind, Limits: limits, Points: pts, Recent: recent, Data: template.JS(b)})
}
