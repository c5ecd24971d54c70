package enterprise_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/enterprise"
)

// Only the filters set add a condition, and each numbers its parameter after
// the ones already bound.
func TestWhereNumbersOnlyTheFiltersSet(t *testing.T) {
	w := enterprise.NewWhere("SELECT 1 FROM t WHERE company = $1", "C1")
	w.If(true, "a = $%d", "x")
	w.If(false, "b = $%d", "y")
	w.If(true, "c::text = $%d", 7)
	assert.Equal(t, "SELECT 1 FROM t WHERE company = $1 AND a = $2 AND c::text = $3", w.SQL)
	assert.Equal(t, []any{"C1", "x", 7}, w.Args)
}
