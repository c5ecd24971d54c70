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
	Range      readmodel.TrendRange
	Ranges     []readmodel.TrendRange
	Points     []readmodel.Point // one per bucket of the range's aggregate
	Readings   int64
	Recent     []readmodel.Point // the last readings, newest first, for the table
	Data       template.JS
}

// trend serves an indicator's trend over ?range= (24h per minute, 7d or 30d per
// hour), from the readings' aggregates.
func (p *Portal) trend(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	rng, err := readmodel.LookupTrendRange(c.Query("range"))
	if err != nil {
		return err
	}
	tr, err := p.companyQueries.Trend(c.UserContext(), e.Code, strings.Clone(c.Params("indicator")), p.cfg.Now(), rng)
	if err != nil {
		return err
	}
	ind := tr.Indicator
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
		"points": tr.Points, "thresholds": thresholds, "range_low": str(ind["RANGE_LOW"]), "range_high": str(ind["RANGE_HIGH"]),
		"bucket": rng.Bucket})
	if err != nil {
		return fmt.Errorf("portal: trend data: %w", err)
	}
	return p.render(c, "trend", str(ind["INDICATOR_NAME"]), "companies",
		trendPage{Enterprise: e, Indicator: ind, Limits: limits, Range: rng, Ranges: readmodel.TrendRanges,
			Points: tr.Points, Readings: tr.Readings, Recent: tr.Recent, Data: template.JS(b)})
}
