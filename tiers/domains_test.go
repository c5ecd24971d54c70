package tiers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/tiers"
)

func TestWithin(t *testing.T) {
	path := tiers.EnterprisePath("370102", "P1", "C1")
	require.Equal(t, "370000/370100/370102/park:P1/ent:C1", path)
	tests := []struct {
		domain, path string
		want         bool
	}{
		{"370000", path, true},
		{"370100", path, true},
		{"370102", path, true},
		{"park:P1", path, true},
		{"ent:C1", path, true},
		{"370103", path, false},
		{"370200", path, false},
		{"park:P2", path, false},
		{"ent:C2", path, false},
		{"ent:C", path, false},
		{"3701", path, false},
		{"", path, false},
		{"370103", "", true},
		{"370100", tiers.RegionPath("370102"), true},
		{"370102", tiers.RegionPath("370100"), false},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"@"+tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, tiers.Within(tt.domain, tt.path))
		})
	}
	assert.Equal(t, tiers.ProvinceCode, tiers.EnterprisePath("370100", "", "C1"), "a city is not a county: the province alone reaches it")
}

// A park code with "/" in it once made a 黄岛 company's path read
// ".../370211/park:HD/370102/ent:C1", whose "370102" segment let every 历下
// user reach it. Paths are now read back into fields (division, park,
// enterprise) and matched field by field; a malformed path, however it was
// built, is reached by no region.
func TestWithinIsStructural(t *testing.T) {
	forged := "370000/370200/370211/park:HD/370102/ent:C1"
	for _, tt := range []struct {
		domain, path string
		want         bool
	}{
		{"370102", forged, false},
		{"370100", forged, false},
		{"370211", forged, false},
		{"370000", forged, false},
		{"park:HD", forged, false},
		{"370102", tiers.EnterprisePath("370211", "HD/370102", "C1"), false},
		{"370211", tiers.EnterprisePath("370211", "HD/370102", "C1"), false},
		{"370102", tiers.EnterprisePath("370211", "", "C1/370102"), false},
		{"370102", "370000/370200/370211/ent:C1/370102", false},
		{"370102", "370102/ent:C1", false},                      // no province: not a path
		{"370102", "370000/370102/ent:C1", false},               // a county straight under the province
		{"370102", "370000/370100/370102/ent:C1/ent:C2", false}, // two enterprises
		{"370102", "370000/370100/370102/ent:C1/", false},       // trailing "/"
		{"park:P1", "370000/370100/370102/ent:C1/park:P1", false},
		{"370102", "370000/370100/370102/park:P1/ent:C1", true},
		{"park:P1", "370000/370100/370102/park:P1", true},
		{"370100", "370000/370100/park:P1", true},
	} {
		t.Run(tt.domain+"@"+tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, tiers.Within(tt.domain, tt.path))
		})
	}
	assert.Equal(t, tiers.ProvinceCode, tiers.EnterprisePath("370211", "HD/370102", "C1"), "a malformed park: the province alone")
	assert.True(t, tiers.ScopeOf("park:HD/370102").Empty(), "a malformed park domain reaches nothing")
	assert.True(t, tiers.ScopeOf("ent:C1/370102").Empty())
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { tiers.Within("370102", forged) }))
}
