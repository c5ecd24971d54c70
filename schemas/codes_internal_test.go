package schemas

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLoadCodeTablesRefuses: a defect in codes.yaml stops the start with a message
// that names the table and what is wrong with it.
func TestLoadCodeTablesRefuses(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown key", "- {id: a, name_zh: 甲, source: s, codes: [{value: '1', name: 一}]}", "field name not found"},
		{"no codes", "- {id: a, name_zh: 甲, source: s}", `table "a": needs id, name_zh, source and codes`},
		{"no name", "- {id: a, source: s, codes: [{value: '1', name_zh: 一}]}", `table "a": needs id, name_zh, source and codes`},
		{"code without name", "- {id: a, name_zh: 甲, source: s, codes: [{value: '1'}]}", `table "a": code 1 needs value and name_zh`},
		{"duplicate code", "- {id: a, name_zh: 甲, source: s, codes: [{value: '1', name_zh: 一}, {value: '1', name_zh: 二}]}", `table "a": duplicate code 1`},
		{"duplicate table", "- {id: a, name_zh: 甲, source: s, codes: [{value: '1', name_zh: 一}]}\n- {id: a, name_zh: 乙, source: s, codes: [{value: '1', name_zh: 一}]}", `table "a": listed twice`},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				assert.Contains(t, msg, "schemas: codes.yaml")
				assert.Contains(t, msg, c.want)
			}()
			loadCodeTables([]byte(c.yaml))
			t.Fatal("loaded")
		})
	}
	byID, list := loadCodeTables([]byte("- {id: a, name_zh: 甲, source: s, codes: [{value: '01', name_zh: 一}, {value: '1-1', name_zh: 二, parent: '01'}]}"))
	assert.Len(t, list, 1)
	c, ok := byID["a"].Lookup("1-1")
	assert.True(t, ok)
	assert.Equal(t, Code{Value: "1-1", NameZH: "二", Parent: "01"}, c)
	_, ok = byID["a"].Lookup("1")
	assert.False(t, ok, "codes compare as text")
}
