package tiers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/tiers"
)

func TestScopeWhere(t *testing.T) {
	tests := []struct {
		domain string
		sql    string
		args   int
	}{
		{"370000", "TRUE", 0},
		{"370100", "e.division_code = ANY($3::text[])", 1},
		{"370102", "e.division_code = ANY($3::text[])", 1},
		{"park:P1", "e.park_code = $3", 1},
		{"ent:C1", "e.code = $3", 1},
		{"999999", "FALSE", 0},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			sql, args := tiers.ScopeOf(tt.domain).Where("e", 3)
			assert.Equal(t, tt.sql, sql)
			assert.Len(t, args, tt.args)
		})
	}
	city := tiers.ScopeOf("370100")
	assert.Len(t, city.Counties, len(tiers.Children("370100")))
	assert.Equal(t, []string{"370102"}, tiers.ScopeOf("370102").Counties)
}
