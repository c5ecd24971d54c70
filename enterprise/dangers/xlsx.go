package dangers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The ledger's workbook: one sheet, one danger a row. Export, template and
// import share the columns, so an exported file edited and imported again
// updates the same dangers (the 编号 column).
const (
	sheetLedger = "隐患清单"
)

type column struct {
	Header string
	Field  string // the form/seed field it fills, to name it in errors
	Import bool   // read on import (the rest are the loop's, shown only)
}

var columns = []column{
	{"编号", "ID", true},
	{"排查日期", "found_on", true},
	{"实施部门", "department", true},
	{"排查人员", "inspectors", true},
	{"隐患名称", "DANGER_NAME", true},
	{"隐患内容", "DANGER_DESC", true},
	{"隐患地点", "place", true},
	{"隐患等级", "DANGER_LEVEL", true},
	{"隐患类型", "HAZARD_DANGER_TYPE", true},
	{"隐患来源", "DANGER_SRC", true},
	{"治理类型", "DANGER_MANAGE_TYPE", true},
	{"判定依据", "basis", true},
	{"原因分析", "DANGER_REASON", true},
	{"危险源编码", "HAZARD_CODE", true},
	{"管控措施主键", "RISK_MEASURE_ID", true},
	{"整改期限", "DANGER_MANAGE_DEADLINE", true},
	{"整改责任单位", "liable_unit", true},
	{"整改责任人", "liable", true},
	{"整改资金（元）", "funds", true},
	{"资金来源", "funds_source", true},
	{"评估验收单位", "accept_unit", true},
	{"评估验收人员", "acceptor", true},
	{"整改落实情况", "rectification", true},
	{"整改完成日期", "completed_on", false},
	{"隐患状态", "DANGER_STATE", false},
	{"登记人", "REGISTRANT", false},
	{"登记时间", "REGIST_TIME", false},
	{"验收时间", "CHECK_ACCEPT_TIME", false},
	{"验收情况", "CHECK_ACCEPT_COMMENT", false},
}

func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func rowOf(d *Danger) []any {
	funds := ""
	if d.Funds != nil {
		funds = strconv.FormatFloat(*d.Funds, 'f', 2, 64)
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateLayout)
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	}
	state := StateZH[d.State]
	if d.Deleted() {
		state = "已删除"
	}
	return []any{d.ID.String(), day(d.FoundOn), d.DepartmentName, d.Inspectors, d.Name, d.Description, d.Place,
		codeName(schemas.CodesDangerLevel, strconv.Itoa(d.Level)), codeName(schemas.CodesDangerType, strconv.Itoa(d.Type)),
		codeName(schemas.CodesDangerSrc, d.Source), codeName(schemas.CodesManageType, strconv.Itoa(d.ManageType)),
		d.Basis, d.Reason, d.HazardCode, d.RiskMeasureID, day(d.Deadline), d.LiableUnit, d.LiableName, funds,
		d.FundsSource, d.AcceptUnit, d.AcceptorName, d.Rectification, day(d.CompletedOn), state, d.RegistrantName,
		at(d.RegisteredAt), at(d.AcceptedAt), d.AcceptComment}
}

// WriteLedger writes dangers as the ledger's workbook (with the 填写说明 sheet).
func WriteLedger(w io.Writer, dangers []Danger) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetLedger); err != nil {
		return fmt.Errorf("dangers: xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("dangers: xlsx: %w", err)
	}
	header := make([]any, len(columns))
	for i, c := range columns {
		header[i] = c.Header
	}
	if err := f.SetSheetRow(sheetLedger, "A1", &header); err != nil {
		return fmt.Errorf("dangers: xlsx: %w", err)
	}
	if err := f.SetCellStyle(sheetLedger, "A1", colName(len(columns)-1)+"1", bold); err != nil {
		return fmt.Errorf("dangers: xlsx: %w", err)
	}
	for i := range dangers {
		row := rowOf(&dangers[i])
		if err := f.SetSheetRow(sheetLedger, "A"+strconv.Itoa(i+2), &row); err != nil {
			return fmt.Errorf("dangers: xlsx: %w", err)
		}
	}
	_ = f.SetColWidth(sheetLedger, "A", "A", 38)
	_ = f.SetColWidth(sheetLedger, "B", colName(len(columns)-1), 16)
	_ = f.SetPanes(sheetLedger, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if err := writeHelp(f); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func writeHelp(f *excelize.File) error {
	lines := [][]any{
		{"编号", "导出的隐患带编号：修改后导入即更新该隐患；新增隐患留空。"},
		{"排查日期、整改期限", "日期，格式 yyyy-MM-dd（如 2026-12-05）。指定整改责任人时必须填写整改期限。"},
		{"实施部门", "须为本企业已建的部门名称。"},
		{"整改责任人、评估验收人员", "须为本企业在册人员的姓名（或登录名）；留空则待安全管理员分派。"},
		{"隐患等级", "一般隐患 / 重大隐患（或 0 / 1）"},
		{"隐患类型", "安全、工艺、电气、仪表、消防、总图、设备、其他（或 1–8）"},
		{"隐患来源", codeList(schemas.CodesDangerSrc)},
		{"治理类型", "即查即改 / 限期整改（或 0 / 1）；即查即改须填写整改落实情况，导入即验收关闭。"},
		{"隐患状态等列", "整改完成日期、隐患状态、登记人、登记时间、验收时间、验收情况只供查看，导入时不读取：整改和验收须在系统中逐步办理并留痕。"},
		{"出错的行", "有错误的行不导入，其余正确的行照常导入；导入结果逐行列出错误（行号、列、规则）。改正后可再次导入整个文件：已导入的行按编号更新，或按“排查日期+隐患名称+地点+危险源编码”识别为重复而跳过。"},
	}
	if err := enterprise.WriteHelp(f, lines); err != nil {
		return fmt.Errorf("dangers: xlsx: %w", err)
	}
	return nil
}

func codeList(t *schemas.CodeTable) string {
	parts := make([]string, len(t.Codes))
	for i, c := range t.Codes {
		parts[i] = c.Value + " " + c.NameZH
	}
	return strings.Join(parts, "；")
}

func sendXLSX(c *fiber.Ctx, name string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="dangers.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	return c.Send(b.Bytes())
}

func (m *Module) export(c *fiber.Ctx) error {
	mem, _, rows, now, err := m.filtered(c)
	if err != nil {
		return err
	}
	name := "隐患清单-" + mem.Company + "-" + now.In(schemas.Shanghai).Format("20060102") + ".xlsx"
	return sendXLSX(c, name, func(w io.Writer) error { return WriteLedger(w, rows) })
}

func (m *Module) template(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	return sendXLSX(c, "隐患清单导入模板.xlsx", func(w io.Writer) error { return WriteLedger(w, nil) })
}

// RowError is one refused cell of an import: which row, which column, which
// rule.
type RowError = enterprise.RowError

// ImportReport is what an import did.
type ImportReport struct {
	Created  int
	Updated  int
	Skipped  []string // duplicates, one line each
	Errors   []RowError
	Rows     int
	FileName string
}

// Import reads the ledger's workbook and enters each good row (new without 编号,
// an update with one); a bad row is reported and left out, the good rows beside
// it are kept: each row is a danger of its own, and a ledger of hundreds must
// not wait for one typo. Importing the corrected file again is safe (编号
// updates; a new row already entered is recognised and skipped).
func (s *Service) Import(ctx context.Context, m *enterprise.Member, r io.Reader) (ImportReport, error) {
	var rep ImportReport
	sheets, err := enterprise.OpenImport(m, r, sheetLedger)
	if err != nil {
		return rep, err
	}
	rows := sheets[sheetLedger]
	if len(rows) == 0 {
		return rep, chemguard.Errorf(chemguard.EInvalid, "「%s」工作表是空的", "sheet %q is empty", sheetLedger)
	}
	at := map[string]int{}
	for i, h := range rows[0] {
		at[strings.TrimSpace(h)] = i
	}
	for _, c := range columns {
		if _, ok := at[c.Header]; !ok && c.Import {
			return rep, chemguard.Errorf(chemguard.EInvalid, "第 1 行缺少列「%s」：请使用下载的模板", "row 1 lacks column %q; use the template", c.Header)
		}
	}
	dir, err := s.directory(ctx, m.Company)
	if err != nil {
		return rep, err
	}
	depByName := map[string]int64{}
	for _, d := range dir.deps {
		depByName[d.Name] = d.ID
	}
	for i, row := range rows[1:] {
		n := i + 2
		if row.Blank() {
			continue
		}
		get := func(h string) string { return row.Cell(at[h]) }
		rep.Rows++
		fail := func(err error) {
			rep.Errors = append(rep.Errors, rowError(n, err))
		}
		v, err := rowValues(get, depByName, dir)
		if err != nil {
			fail(err)
			continue
		}
		in, err := v.input()
		if err != nil {
			fail(err)
			continue
		}
		if id := get("编号"); id != "" {
			if err := s.Edit(ctx, m, id, in); err != nil {
				fail(err)
				continue
			}
			rep.Updated++
			continue
		}
		dup, err := s.duplicate(ctx, m.Company, in)
		if err != nil {
			return rep, err
		}
		if dup != "" {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("第 %d 行「%s」与已有隐患 %s 重复（同一排查日期、名称、地点、危险源编码），未重复导入", n, in.Name, dup))
			continue
		}
		if _, err := s.Register(ctx, m, in, Step{Note: "Excel 导入"}, "import"); err != nil {
			fail(err)
			continue
		}
		rep.Created++
	}
	return rep, nil
}

// rowValues turns a row's cells into the form's values: names of codes,
// departments and people into their ids.
func rowValues(get func(string) string, deps map[string]int64, dir people) (formValues, error) {
	v := formValues{"hazard_code": get("危险源编码"), "risk_measure_id": get("管控措施主键"), "name": get("隐患名称"),
		"description": get("隐患内容"), "place": get("隐患地点"), "basis": get("判定依据"), "reason": get("原因分析"),
		"found_on": get("排查日期"), "inspectors": get("排查人员"), "deadline": get("整改期限"),
		"liable_unit": get("整改责任单位"), "accept_unit": get("评估验收单位"), "funds": get("整改资金（元）"),
		"funds_source": get("资金来源"), "rectification": get("整改落实情况")}
	codes := []struct {
		key, header, field string
		table              *schemas.CodeTable
		def                string
	}{
		{"level", "隐患等级", "DANGER_LEVEL", schemas.CodesDangerLevel, ""},
		{"type", "隐患类型", "HAZARD_DANGER_TYPE", schemas.CodesDangerType, ""},
		{"source", "隐患来源", "DANGER_SRC", schemas.CodesDangerSrc, ""},
		{"manage_type", "治理类型", "DANGER_MANAGE_TYPE", schemas.CodesManageType, "1"},
	}
	for _, c := range codes {
		cell := get(c.header)
		if cell == "" && c.def != "" {
			cell = c.def
		}
		code, ok := codeOf(c.table, cell)
		if !ok {
			return v, invalid(c.field, "「%s」须为 %s，收到「%s」", "%s must be one of %s, got %q", c.header, codeList(c.table), cell)
		}
		v[c.key] = code
	}
	if name := get("实施部门"); name != "" {
		id, ok := deps[name]
		if !ok {
			return v, invalid("department", "「实施部门」「%s」不是本企业已建的部门", "department %q is not one of the company's", name)
		}
		v["department"] = strconv.FormatInt(id, 10)
	}
	for _, p := range []struct{ key, header, field string }{{"liable", "整改责任人", "liable"}, {"acceptor", "评估验收人员", "acceptor"}} {
		name := get(p.header)
		if name == "" {
			continue
		}
		person, ok := dir.names[name]
		if !ok {
			return v, invalid(p.field, "「%s」「%s」不是本企业在册人员（或重名，请填登录名）", "%s %q is not a (unique) member of the company", p.header, name)
		}
		v[p.key] = strconv.FormatInt(person.UserID, 10)
	}
	return v, nil
}

// codeOf reads a code cell: the code or its Chinese name.
func codeOf(t *schemas.CodeTable, cell string) (string, bool) {
	if _, ok := t.Lookup(cell); ok {
		return cell, true
	}
	for _, c := range t.Codes {
		if c.NameZH == cell {
			return c.Value, true
		}
	}
	return "", false
}

func rowError(n int, err error) RowError {
	var ae *chemguard.Error
	if !errors.As(err, &ae) {
		return RowError{Row: n, Rule: "internal", MessageZH: "该行保存失败，已记录", MessageEN: "the row could not be saved; it was logged"}
	}
	re := RowError{Row: n, Rule: ae.Code, MessageZH: ae.MessageZH, MessageEN: ae.MessageEN}
	if d, ok := ae.Details.(map[string]string); ok {
		re.Field = d["field"]
		for _, c := range columns {
			if c.Field == re.Field {
				re.Column = c.Header
			}
		}
		if re.Column == "" {
			re.Column = re.Field
		}
	}
	return re
}

// duplicate finds a live danger the row already entered.
func (s *Service) duplicate(ctx context.Context, company string, in Input) (string, error) {
	var id string
	err := s.Pool.QueryRow(ctx, `SELECT id::text FROM enterprise_dangers WHERE company = $1 AND deleted_at IS NULL
		AND found_on = $2 AND name = $3 AND place = $4 AND hazard_code = $5 LIMIT 1`,
		company, in.FoundOn, strings.TrimSpace(in.Name), in.Place, strings.TrimSpace(in.HazardCode)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("dangers: duplicate: %w", err)
	}
	return id, nil
}

type importPage struct {
	enterprise.Page
	Report *ImportReport
	Error  string
}

func (m *Module) importForm(c *fiber.Ctx) error {
	return m.pc.Render(c, "import", importPage{Page: enterprise.NewPage(c, "导入隐患清单", false)})
}

func (m *Module) importFile(c *fiber.Ctx, mem *enterprise.Member) error {
	p := importPage{Page: enterprise.NewPage(c, "导入隐患清单", false)}
	fh, err := c.FormFile("file")
	if err != nil {
		p.Error = "请选择要导入的 .xlsx 文件"
		c.Status(fiber.StatusUnprocessableEntity)
		return m.pc.Render(c, "import", p)
	}
	file, err := fh.Open()
	if err != nil {
		return fmt.Errorf("dangers: open upload: %w", err)
	}
	defer file.Close()
	rep, err := m.svc.Import(c.UserContext(), mem, file)
	if err = m.audited(c, "import", fh.Filename, err); err != nil {
		if !formError(err) {
			return err
		}
		p.Error = err.(*chemguard.Error).MessageZH
		c.Status(fiber.StatusUnprocessableEntity)
		return m.pc.Render(c, "import", p)
	}
	rep.FileName = fh.Filename
	p.Report = &rep
	if wantsJSON(c) {
		return c.JSON(rep)
	}
	return m.pc.Render(c, "import", p)
}
