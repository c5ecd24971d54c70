package enterprise

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
)

// RowError is one refused row (or cell) of a workbook import: which sheet and
// row (as Excel numbers it), which column or field, which rule, in Chinese and
// English. One type for every module's import, so the pages and the reports
// show a refused row the same way; a module fills what applies to it.
type RowError struct {
	Sheet     string
	Row       int
	Column    string
	Field     string
	Rule      string
	MessageZH string
	MessageEN string
}

// Workbook is an uploaded .xlsx a module imports (a ledger, a list of people,
// a device registry): each module reads its own sheets and reports its own
// rows; opening the file and reading a sheet's rows are the same for all.
type Workbook struct{ f *excelize.File }

// OpenWorkbook reads an uploaded workbook. A file that is not one is an
// EInvalid on the field 文件 (the member chose the wrong file), said alike in
// every module. The caller closes the workbook.
func OpenWorkbook(r io.Reader) (*Workbook, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		e := chemguard.Errorf(chemguard.EInvalid, "不是有效的 Excel（.xlsx）文件：请上传由模板填写的文件",
			"not a valid .xlsx workbook: upload the filled-in template")
		e.Details = map[string]string{"field": "文件"}
		return nil, e
	}
	return &Workbook{f: f}, nil
}

// OpenImport opens an upload of one of a module's import templates for m and
// reads the rows of its sheets, by name. Every module's import opens the same
// way: only a manager imports (EForbidden); a file that is not a workbook is
// OpenWorkbook's EInvalid; a workbook with none of sheets is an EInvalid on
// the field 文件 naming them all (文件：缺少“人员”工作表（请先下载模板）). A
// sheet that is absent has no rows in the map: a template of several sheets
// may come back with only some of them.
func OpenImport(m *Member, r io.Reader, sheets ...string) (map[string][]Row, error) {
	if m == nil || !m.Has(Managers...) {
		return nil, Forbidden("只有企业管理员、主要负责人或安全管理员可以导入", "only the company's administrator, principal or safety officer may import")
	}
	wb, err := OpenWorkbook(r)
	if err != nil {
		return nil, err
	}
	defer wb.Close()
	out := make(map[string][]Row, len(sheets))
	for _, name := range sheets {
		if rows, ok := wb.Rows(name); ok {
			out[name] = rows
		}
	}
	if len(out) == 0 {
		return nil, Invalid("文件", "缺少“"+strings.Join(sheets, "”和“")+"”工作表（请先下载模板）",
			"the workbook has no sheet "+strings.Join(sheets, " or ")+" (download the template first)")
	}
	return out, nil
}

// Close releases the workbook's temporary files.
func (w *Workbook) Close() error { return w.f.Close() }

// Has reports whether the workbook has a sheet called name.
func (w *Workbook) Has(name string) bool {
	i, _ := w.f.GetSheetIndex(name)
	return i >= 0
}

// First is the name of the workbook's first sheet.
func (w *Workbook) First() string { return w.f.GetSheetName(0) }

// Rows returns the rows of sheet as Excel stores them (row 1 first); ok is
// false when the workbook has no such sheet or it cannot be read, and the
// module says which sheet its template needs.
func (w *Workbook) Rows(sheet string) (rows []Row, ok bool) {
	raw, err := w.f.GetRows(sheet)
	if err != nil {
		return nil, false
	}
	rows = make([]Row, len(raw))
	for i, r := range raw {
		rows[i] = r
	}
	return rows, true
}

// Row is one row of a sheet: its cells from column A, as text.
type Row []string

// Cell is the text of column i (0 is A) without surrounding white space; ""
// past the row's last cell.
func (r Row) Cell(i int) string {
	if i < len(r) {
		return strings.TrimSpace(r[i])
	}
	return ""
}

// Blank reports whether every cell of the row is empty or white space: a
// row the member left out, skipped rather than refused.
func (r Row) Blank() bool {
	for _, c := range r {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// NewBook is a new workbook whose first sheet is called first (excelize
// names it Sheet1): every template and export starts so. The caller closes it.
func NewBook(first string) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", first); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("enterprise: sheet %s: %w", first, err)
	}
	return f, nil
}

// RowFault is err as the refusal of one imported row: a *chemguard.Error
// other than EInternal is the row's own fault, its messages go into the
// import's report and the import goes on; ok is false for any other error,
// which is the platform's.
func RowFault(err error) (zh, en string, ok bool) {
	var ce *chemguard.Error
	if errors.As(err, &ce) && ce.Code != chemguard.EInternal {
		return ce.MessageZH, ce.MessageEN, true
	}
	return "", "", false
}

// WriteRows writes rows on sheet from row first (1 is the top row), one
// slice of cells a row from column A: a template's header and examples, a
// 填写说明 sheet, an export.
func WriteRows(f *excelize.File, sheet string, first int, rows [][]any) error {
	for i, r := range rows {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", first+i), &r); err != nil {
			return fmt.Errorf("enterprise: sheet %s row %d: %w", sheet, first+i, err)
		}
	}
	return nil
}

// HelpSheet is the name of a template's sheet of instructions.
const HelpSheet = "填写说明"

// WriteHelp adds a template's 填写说明 sheet: a header row (列, 填写要求) and
// notes, one row a column or rule (its name, then what to enter), in columns
// wide enough to read the rules without resizing.
func WriteHelp(f *excelize.File, notes [][]any) error {
	if _, err := f.NewSheet(HelpSheet); err != nil {
		return fmt.Errorf("enterprise: help sheet: %w", err)
	}
	if err := WriteRows(f, HelpSheet, 1, append([][]any{{"列", "填写要求"}}, notes...)); err != nil {
		return err
	}
	_ = f.SetColWidth(HelpSheet, "A", "A", 24)
	_ = f.SetColWidth(HelpSheet, "B", "B", 100)
	return nil
}
