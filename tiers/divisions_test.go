package tiers_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/tiers"
)

// The counts of the source table, 民政部 2024年县以上行政区划代码 (see
// divisions_shandong.txt): 16 cities and 136 county-level divisions, of which
// 58 are 市辖区, 52 县 and 26 县级市.
const (
	wantCities   = 16
	wantCounties = 136
)

var wantCityNames = map[string]string{
	"370100": "济南市", "370200": "青岛市", "370300": "淄博市", "370400": "枣庄市",
	"370500": "东营市", "370600": "烟台市", "370700": "潍坊市", "370800": "济宁市",
	"370900": "泰安市", "371000": "威海市", "371100": "日照市", "371300": "临沂市",
	"371400": "德州市", "371500": "聊城市", "371600": "滨州市", "371700": "菏泽市",
}

func byLevel(tb testing.TB, level tiers.Level) []tiers.Division {
	tb.Helper()
	var out []tiers.Division
	for _, d := range tiers.Divisions() {
		if d.Level == level {
			out = append(out, d)
		}
	}
	return out
}

func TestDivisionCounts(t *testing.T) {
	provinces := byLevel(t, tiers.Province)
	require.Len(t, provinces, 1)
	assert.Equal(t, tiers.Division{Code: tiers.ProvinceCode, NameZH: "山东省", Level: tiers.Province}, provinces[0])

	cities := byLevel(t, tiers.City)
	require.Len(t, cities, wantCities)
	got := map[string]string{}
	for _, c := range cities {
		got[c.Code] = c.NameZH
	}
	assert.Equal(t, wantCityNames, got)

	counties := byLevel(t, tiers.County)
	assert.Len(t, counties, wantCounties)
	assert.Len(t, tiers.Divisions(), 1+wantCities+wantCounties)

	var districts, xian, cityLevel int
	for _, c := range counties {
		switch {
		case strings.HasSuffix(c.NameZH, "区"):
			districts++
		case strings.HasSuffix(c.NameZH, "县"):
			xian++
		case strings.HasSuffix(c.NameZH, "市"):
			cityLevel++
		}
	}
	assert.Equal(t, [3]int{58, 52, 26}, [3]int{districts, xian, cityLevel}, "市辖区, 县, 县级市")
}

func TestDivisionsWellFormed(t *testing.T) {
	all := tiers.Divisions()
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Code < all[j].Code }), "Divisions in code order")

	seen := map[string]bool{}
	for _, d := range all {
		assert.Len(t, d.Code, 6, d.Code)
		assert.True(t, strings.HasPrefix(d.Code, "37"), d.Code)
		assert.False(t, seen[d.Code], "duplicate code %s", d.Code)
		seen[d.Code] = true
		assert.NotEmpty(t, strings.TrimSpace(d.NameZH), d.Code)
		assert.Equal(t, d.NameZH, strings.TrimSpace(d.NameZH), d.Code)
	}
}

func TestCountyParents(t *testing.T) {
	for _, c := range byLevel(t, tiers.County) {
		_, isCity := wantCityNames[c.ParentCode]
		assert.True(t, isCity, "%s %s: parent %s is not one of the 16 cities", c.Code, c.NameZH, c.ParentCode)
		assert.Equal(t, c.ParentCode[:4], c.Code[:4], "%s %s", c.Code, c.NameZH)
		assert.True(t, tiers.IsCounty(c.Code), c.Code)
	}
	for _, c := range byLevel(t, tiers.City) {
		assert.Equal(t, tiers.ProvinceCode, c.ParentCode, c.Code)
		assert.NotEmpty(t, tiers.Children(c.Code), "city %s %s has no counties", c.Code, c.NameZH)
	}
}

func TestAbolishedDivisions(t *testing.T) {
	// 莱芜市 was merged into 济南市 in 2019; 蓬莱市 and 长岛县 became 蓬莱区 in 2020.
	for _, code := range []string{"371200", "371202", "371203", "370684", "370634"} {
		_, ok := tiers.DivisionByCode(code)
		assert.False(t, ok, code)
	}
	for code, name := range map[string]string{"370116": "莱芜区", "370117": "钢城区"} {
		d, ok := tiers.DivisionByCode(code)
		require.True(t, ok, code)
		assert.Equal(t, name, d.NameZH)
		assert.Equal(t, "370100", d.ParentCode)
	}
}

func TestDivisionByCodeSamples(t *testing.T) {
	tests := []struct {
		code, name, parent string
	}{
		{"370102", "历下区", "370100"},
		{"370114", "章丘区", "370100"},
		{"370115", "济阳区", "370100"},
		{"370211", "黄岛区", "370200"},
		{"370215", "即墨区", "370200"},
		{"370503", "河口区", "370500"},
		{"370505", "垦利区", "370500"},
		{"370614", "蓬莱区", "370600"},
		{"371503", "茌平区", "371500"},
		{"371603", "沾化区", "371600"},
		{"371681", "邹平市", "371600"},
		{"371702", "牡丹区", "371700"},
		{"371703", "定陶区", "371700"},
		{"371728", "东明县", "371700"},
		{"371122", "莒县", "371100"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			d, ok := tiers.DivisionByCode(tt.code)
			require.True(t, ok)
			assert.Equal(t, tiers.Division{Code: tt.code, NameZH: tt.name, Level: tiers.County, ParentCode: tt.parent}, d)
		})
	}

	_, ok := tiers.DivisionByCode("")
	assert.False(t, ok)
	_, ok = tiers.DivisionByCode("110101")
	assert.False(t, ok, "a division outside Shandong")
}

func TestChildren(t *testing.T) {
	cities := tiers.Children(tiers.ProvinceCode)
	assert.Len(t, cities, wantCities)

	var names []string
	for _, d := range tiers.Children("370100") {
		names = append(names, d.NameZH)
	}
	assert.Equal(t, []string{"历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区", "平阴县", "商河县"}, names)

	total := 0
	for _, c := range cities {
		total += len(tiers.Children(c.Code))
	}
	assert.Equal(t, wantCounties, total)

	assert.Nil(t, tiers.Children("370102"), "a county has no children")
	assert.Nil(t, tiers.Children("371200"))
}

func TestAncestors(t *testing.T) {
	codes := func(ds []tiers.Division) []string {
		out := []string{}
		for _, d := range ds {
			out = append(out, d.Code)
		}
		return out
	}
	assert.Equal(t, []string{"370200", "370000"}, codes(tiers.Ancestors("370211")))
	assert.Equal(t, []string{"370000"}, codes(tiers.Ancestors("370600")))
	assert.Empty(t, tiers.Ancestors(tiers.ProvinceCode))
	assert.Nil(t, tiers.Ancestors("371200"))
}

func TestContains(t *testing.T) {
	tests := []struct {
		ancestor, descendant string
		want                 bool
	}{
		{"370000", "370000", true},
		{"370000", "370600", true},
		{"370000", "370614", true},
		{"370600", "370614", true},
		{"370614", "370614", true},
		{"370100", "370116", true},
		{"370600", "370600", true},
		{"370614", "370600", false},
		{"370600", "370000", false},
		{"370200", "370614", false},
		{"370400", "370402", true},
		{"370100", "370402", false}, // both are 市中区, in different cities
		{"371200", "371200", false}, // abolished
		{"370000", "", false},
		{"", "370102", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tiers.Contains(tt.ancestor, tt.descendant), "Contains(%q, %q)", tt.ancestor, tt.descendant)
	}
}

func TestIsCounty(t *testing.T) {
	assert.True(t, tiers.IsCounty("370102"))
	assert.False(t, tiers.IsCounty("370100"))
	assert.False(t, tiers.IsCounty(tiers.ProvinceCode))
	assert.False(t, tiers.IsCounty("371202"))
}

func TestDivisionsReturnsCopy(t *testing.T) {
	all := tiers.Divisions()
	all[0].NameZH = "changed"
	kids := tiers.Children(tiers.ProvinceCode)
	kids[0].NameZH = "changed"

	d, _ := tiers.DivisionByCode(tiers.ProvinceCode)
	assert.Equal(t, "山东省", d.NameZH)
	d, _ = tiers.DivisionByCode("370100")
	assert.Equal(t, "济南市", d.NameZH)
}

func TestLevelString(t *testing.T) {
	assert.Equal(t, "province", tiers.Province.String())
	assert.Equal(t, "city", tiers.City.String())
	assert.Equal(t, "county", tiers.County.String())
	assert.Equal(t, "Level(0)", tiers.Level(0).String())
}
