package portal_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Every county of every city has exactly one boundary in the embedded county
// maps, named and coded as tiers names it; every city's file is served.
func TestCountyMapsCoverEveryCounty(t *testing.T) {
	e := start(t)
	anon := &browser{&platformtest.Session{TB: t, Base: e.App.URL()}}
	seen := 0
	for _, city := range tiers.Children(tiers.ProvinceCode) {
		p := anon.Get("/portal/static/counties/" + city.Code + ".json")
		require.Equal(t, http.StatusOK, p.Status, city.Code)
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Properties struct{ Name, Code string } `json:"properties"`
				Geometry   struct {
					Type        string           `json:"type"`
					Coordinates [][][][2]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		require.NoError(t, json.Unmarshal([]byte(p.Body), &fc), city.Code)
		assert.Equal(t, "FeatureCollection", fc.Type)
		counties := tiers.Children(city.Code)
		require.Len(t, fc.Features, len(counties), city.NameZH)
		for i, f := range fc.Features {
			assert.Equal(t, counties[i].Code, f.Properties.Code)
			assert.Equal(t, counties[i].NameZH, f.Properties.Name)
			require.NotEmpty(t, f.Geometry.Coordinates, f.Properties.Name)
			pt := f.Geometry.Coordinates[0][0][0]
			assert.True(t, pt[0] > 114 && pt[0] < 123 && pt[1] > 34 && pt[1] < 39, "%s outside Shandong: %v", f.Properties.Name, pt)
			seen++
		}
	}
	assert.Equal(t, 136, seen)
	assert.Contains(t, anon.Get("/portal/static/counties/LICENSE").Body, "MIT License")
	assert.Contains(t, anon.Get("/portal/static/app.js").Body, "/portal/static/counties/")
}

var drillData = regexp.MustCompile(`<script type="application/json" id="drill-data">([^<]*)</script>`)

// 下钻 from a city to its counties and to a county's companies, plotted by the
// coordinates of their 企业信息; a regulator drilling into a county outside its
// region sees nothing of it.
func TestMapDrillsDownToCountiesAndCompanies(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.company("370102002", "370102", "历下乙石化有限公司", "经营")
	e.company("370103001", "370103", "市中丙新材料有限公司", "生产")
	e.company("370202001", "370202", "市南丁氯碱有限公司", "生产")
	info := func(code string, lon, lat string) {
		rec := simulate.NewRecord(rand.New(rand.NewPCG(1, 2)), schemas.EnterpriseInfos, simulate.Company{Code: code, Name: "x", County: code[:6]}, e.Clock.Now())
		rec["LONGITUDE"], rec["LATITUDE"] = json.Number(lon), json.Number(lat)
		require.Equal(t, 1, e.upload(code, schemas.EnterpriseInfos, rec))
		// With its 企业信息 the warning engine knows the company as a chemical one: today's
		// 安全承诺 keeps a 10:00 warning out of the counts below at any hour.
		cm := simulate.NewRecord(rand.New(rand.NewPCG(1, 3)), schemas.Commitments, simulate.Company{Code: code, County: code[:6]}, e.Clock.Now())
		require.Equal(t, 1, e.upload(code, schemas.Commitments, cm))
	}
	info("370102001", "117.076441", "36.666465")
	info("370202001", "120.384428", "36.062030")
	require.Eventually(t, func() bool {
		var n int
		_ = e.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM x_enterprise_info`).Scan(&n)
		return n == 2
	}, 30*time.Second, 50*time.Millisecond)
	f := fixture{Code: "370102002"}
	e.warn(&f)
	e.user("jinan_staff", policy.CityStaff, "370100")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	city := e.login("jinan_staff")

	// The city's counties, with the data the county map is drawn from.
	p := city.Get("/portal/?region=370100")
	require.Equal(t, http.StatusOK, p.Status)
	accessible(t, p)
	m := drillData.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "no drill data")
	var cityData struct {
		City     string `json:"city"`
		Counties []struct {
			Code            string
			Value, Warnings int
		} `json:"counties"`
	}
	require.NoError(t, json.Unmarshal([]byte(m[1]), &cityData))
	assert.Equal(t, "370100", cityData.City)
	assert.Len(t, cityData.Counties, len(tiers.Children("370100")))
	for _, c := range cityData.Counties {
		switch c.Code {
		case "370102":
			assert.Equal(t, 2, c.Value)
			assert.Equal(t, 1, c.Warnings)
		case "370103":
			assert.Equal(t, 1, c.Value)
		default:
			assert.Zero(t, c.Value, c.Code)
		}
	}
	assert.Contains(t, p.Body, `href="/portal/?region=370102#drill"`)

	// The county's companies, plotted where their 企业信息 puts them.
	p = city.Get("/portal/?region=370102")
	require.Equal(t, http.StatusOK, p.Status)
	accessible(t, p)
	assert.Contains(t, p.Body, "历下区企业分布")
	assert.Contains(t, p.Body, "<td>117.076441</td><td>36.666465</td>")
	assert.Contains(t, p.Body, "其中 1 家尚未在企业信息中上报经纬度")
	m = drillData.FindStringSubmatch(p.Body)
	require.NotNil(t, m)
	var countyData struct {
		City, County string
		Companies    []struct {
			Code     string
			Lon, Lat *float64
			Warnings int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(m[1]), &countyData))
	assert.Equal(t, "370100", countyData.City)
	assert.Equal(t, "370102", countyData.County)
	require.Len(t, countyData.Companies, 2)
	assert.Equal(t, "370102002", countyData.Companies[0].Code, "most warnings first")
	assert.Equal(t, 1, countyData.Companies[0].Warnings)
	assert.Nil(t, countyData.Companies[0].Lon)
	require.NotNil(t, countyData.Companies[1].Lon)
	assert.InDelta(t, 117.076441, *countyData.Companies[1].Lon, 1e-9)
	assert.NotContains(t, p.Body, "370103001")

	// Outside the region: nothing of another city's or county's companies.
	for _, region := range []string{"370202", "370200"} {
		p = city.Get("/portal/?region=" + region)
		require.Equal(t, http.StatusOK, p.Status)
		assert.NotContains(t, p.Body, "市南丁氯碱有限公司")
		assert.NotContains(t, p.Body, "120.384428")
		assert.NotContains(t, p.Body, `id="drill-data"`)
	}
	county := e.login("lixia_staff")
	p = county.Get("/portal/?region=370103")
	assert.NotContains(t, p.Body, "市中丙新材料有限公司")
	p = county.Get("/portal/?region=370100")
	assert.NotContains(t, p.Body, "市中丙")
	m = drillData.FindStringSubmatch(p.Body)
	require.NotNil(t, m)
	assert.NotContains(t, m[1], "370103", "a county user sees only its own county on the city's map")
}
