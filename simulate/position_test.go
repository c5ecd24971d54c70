package simulate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// inside reports whether pt lies inside ring (even-odd rule).
func inside(pt [2]float64, ring [][2]float64) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a[1] > pt[1]) != (b[1] > pt[1]) && pt[0] < (b[0]-a[0])*(pt[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// Every simulated company stands inside its county's boundary as the portal's
// county map draws it, and always at the same place.
func TestPositionIsInsideTheCounty(t *testing.T) {
	for _, city := range tiers.Children(tiers.ProvinceCode) {
		raw, err := os.ReadFile(filepath.Join("..", "portal", "static", "counties", city.Code+".json"))
		require.NoError(t, err)
		var fc struct {
			Features []struct {
				Properties struct{ Code string } `json:"properties"`
				Geometry   struct {
					Coordinates [][][][2]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		require.NoError(t, json.Unmarshal(raw, &fc))
		for _, f := range fc.Features {
			for serial := 1; serial <= 20; serial++ {
				c := simulate.Company{Code: fmt.Sprintf("%s%03d", f.Properties.Code, serial), County: f.Properties.Code}
				lon, lat := simulate.Position(c)
				lon2, lat2 := simulate.Position(c)
				assert.Equal(t, [2]float64{lon, lat}, [2]float64{lon2, lat2})
				in := false
				for _, poly := range f.Geometry.Coordinates {
					in = in || inside([2]float64{lon, lat}, poly[0])
				}
				assert.True(t, in, "%s at %.4f,%.4f is outside its county", c.Code, lon, lat)
			}
		}
	}
}
