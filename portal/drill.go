package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/tiers"
)

// MapCompany is a company on a county's map: its position from its latest
// 企业信息 (LONGITUDE/LATITUDE), nil when it has sent none, and its open warnings.
type MapCompany struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	Warnings int      `json:"warnings"`
}

// MapCompanyLimit caps the companies one county's map plots.
const MapCompanyLimit = 500

// jsonNumber is a SQL expression turning a JSON field to float8, NULL unless it is a
// plain decimal number.
func jsonNumber(field string) string {
	return fmt.Sprintf(`CASE WHEN x.doc->>'%[1]s' ~ '^-?[0-9]{1,3}(\.[0-9]+)?$' THEN (x.doc->>'%[1]s')::float8 END`, field)
}

// CountyCompanies returns the companies of county that scope reaches (none
// outside it), with positions and open warnings, most warnings first, at most
// MapCompanyLimit.
func (s *Store) CountyCompanies(ctx context.Context, scope tiers.Scope, county string) ([]MapCompany, error) {
	where, args := scope.Where("e", 3)
	rows, err := s.pool.Query(ctx, `SELECT e.code, e.name, e.kind, `+jsonNumber("LONGITUDE")+`, `+jsonNumber("LATITUDE")+`,
		(SELECT count(*) FROM warnings w WHERE w.company_code = e.code AND w.status = 'open' AND w.level <> 'none') AS open
		FROM enterprises e
		LEFT JOIN LATERAL (SELECT doc FROM x_enterprise_info i WHERE i.company_code = e.code AND NOT i.deleted
			ORDER BY i.updated_at DESC LIMIT 1) x ON TRUE
		WHERE e.disabled_at IS NULL AND e.division_code = $1 AND `+where+`
		ORDER BY open DESC, e.code LIMIT $2`, append([]any{county, MapCompanyLimit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("portal: county companies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MapCompany, error) {
		var m MapCompany
		return m, r.Scan(&m.Code, &m.Name, &m.Kind, &m.Lon, &m.Lat, &m.Warnings)
	})
	if err != nil {
		return nil, fmt.Errorf("portal: county companies: %w", err)
	}
	return out, nil
}

// drill is the 下钻 part of 综合分析: a city's counties on the city's county
// map, or a county's companies plotted by their coordinates.
type drill struct {
	City, CityName     string        // the city shown, "" for none
	Counties           []CountyCount // its counties the caller reaches
	County, CountyName string        // the county shown, "" for none
	Companies          []MapCompany  // its companies the caller reaches
	Unplaced           int           // of them, without coordinates
	Data               template.JS   // JSON for app.js: {city, county, counties|companies}
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
		if d.Counties, err = p.store.Counties(ctx, scope, div.Code); err != nil || len(d.Counties) == 0 {
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
		if d.Companies, err = p.store.CountyCompanies(ctx, scope, div.Code); err != nil {
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
