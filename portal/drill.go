package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"

	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
)

// drill is the 下钻 part of 综合分析: a city's counties on the city's county
// map, or a county's companies plotted by their coordinates.
type drill struct {
	City, CityName     string                  // the city shown, "" for none
	Counties           []readmodel.CountyCount // its counties the caller reaches
	County, CountyName string                  // the county shown, "" for none
	Companies          []readmodel.MapCompany  // its companies the caller reaches
	Unplaced           int                     // of them, without coordinates
	Data               template.JS             // JSON for app.js: {city, county, counties|companies}
}

// drillDown fills the drill for region (a city or county code; "" the
// caller's own city when it reaches several counties of one).
func (p *Portal) drillDown(ctx context.Context, scope tiers.Scope, region string) (drill, error) {
	var d drill
	if region == "" && len(scope.Counties) > 1 {
		if c, ok := tiers.DivisionByCode(scope.Counties[0]); ok {
			region = c.ParentCode
		}
	}
	div, ok := tiers.DivisionByCode(region)
	if !ok || div.Level == tiers.Province {
		return d, nil
	}
	payload := map[string]any{}
	var err error
	switch div.Level {
	case tiers.City:
		if d.Counties, err = p.companyQueries.Counties(ctx, scope, div.Code); err != nil || len(d.Counties) == 0 {
			return drill{}, err
		}
		d.City, d.CityName = div.Code, div.NameZH
		type county struct {
			Code     string `json:"code"`
			Name     string `json:"name"`
			Value    int    `json:"value"`
			Warnings int    `json:"warnings"`
		}
		cs := make([]county, len(d.Counties))
		for i, c := range d.Counties {
			cs[i] = county{c.Code, c.Name, c.Companies, c.Warnings}
		}
		payload["counties"] = cs
	case tiers.County:
		if scope.Empty() || !(scope.All || scope.Park != "" || scope.Enterprise != "" || slices.Contains(scope.Counties, div.Code)) {
			return drill{}, nil
		}
		if d.Companies, err = p.companyQueries.CountyCompanies(ctx, scope, div.Code); err != nil {
			return drill{}, err
		}
		city, _ := tiers.DivisionByCode(div.ParentCode)
		d.City, d.CityName, d.County, d.CountyName = city.Code, city.NameZH, div.Code, div.NameZH
		for _, c := range d.Companies {
			if c.Lon == nil || c.Lat == nil {
				d.Unplaced++
			}
		}
		payload["companies"] = d.Companies
	}
	payload["city"], payload["county"] = d.City, d.County
	b, err := json.Marshal(payload)
	if err != nil {
		return drill{}, fmt.Errorf("portal: drill data: %w", err)
	}
	d.Data = template.JS(b)
	return d, nil
}
