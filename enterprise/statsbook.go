package enterprise

import (
	"fmt"
	"io"
)

// StatsBook is a module's statistics export (作业统计, 报警统计…): the period's
// records one a row on a first sheet, and a 统计 sheet with the totals and,
// after a blank line each, the counts by group (by type, by unit, by day…).
type StatsBook struct {
	Sheet  string  // the first sheet's name, e.g. 作业票
	Header []any   // its first row
	Rows   [][]any // one a record
	Totals [][]any // the 统计 sheet's first lines: label, value
	Groups []StatsGroup
}

// StatsGroup is one group of the 统计 sheet: its heading line, then a line a count.
type StatsGroup struct {
	Heading []any
	Lines   [][]any
}

// Write writes the workbook as .xlsx.
func (b StatsBook) Write(w io.Writer) error {
	x, err := NewBook(b.Sheet)
	if err != nil {
		return err
	}
	defer x.Close()
	_ = x.SetSheetRow(b.Sheet, "A1", &b.Header)
	for i, r := range b.Rows {
		_ = x.SetSheetRow(b.Sheet, fmt.Sprintf("A%d", i+2), &r)
	}
	sum := "统计"
	if _, err := x.NewSheet(sum); err != nil {
		return err
	}
	line := 1
	put := func(vals []any) {
		_ = x.SetSheetRow(sum, fmt.Sprintf("A%d", line), &vals)
		line++
	}
	for _, t := range b.Totals {
		put(t)
	}
	for _, g := range b.Groups {
		line++
		put(g.Heading)
		for _, l := range g.Lines {
			put(l)
		}
	}
	return x.Write(w)
}
