package governancesvc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The cache holds at most max workbooks and drops the least recently used.
func TestWorkbooksLRU(t *testing.T) {
	c := newWorkbooks(2)
	a, b, d := workbookKey{region: "370100", day: "2021-06-01"}, workbookKey{region: "370100", day: "2021-06-02"},
		workbookKey{region: "370100", day: "2021-06-03"}
	c.put(a, []byte("a"))
	c.put(b, []byte("b"))
	got, ok := c.get(a) // a is now the most recent
	assert.True(t, ok)
	assert.Equal(t, "a", string(got))
	c.put(d, []byte("d"))
	assert.Equal(t, 2, c.len())
	_, ok = c.get(b)
	assert.False(t, ok, "the least recently used is dropped")
	_, ok = c.get(a)
	assert.True(t, ok)
	c.put(a, []byte("a2"))
	got, _ = c.get(a)
	assert.Equal(t, "a2", string(got))
	assert.Equal(t, 2, c.len())
	_, ok = c.get(workbookKey{region: "370100", day: "2021-06-01", config: "other"})
	assert.False(t, ok, "another rules version is another workbook")
}
