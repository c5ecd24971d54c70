package dualprevention

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The list's spreadsheet: one row per control measure, the unit and event
// repeated on each of their rows; a unit without events or an event without
// measures has a row of its own with the later columns empty. The ID columns
// let an exported list come back as changes rather than copies.
const (
	SheetList  = "风险分级管控及隐患排查清单"
	SheetCodes = "填写说明"
)

// Columns are the list sheet's headers, in order.
var Columns = []string{"风险分析对象类型", "危险源编码", "责任部门", "责任人", "风险分析单元名称", "风险事件名称", "风险等级",
	"管控方式", "管控措施分类1", "管控措施分类2", "管控措施分类3", "管控措施描述", "隐患排查内容", "岗位", "周期", "周期单位",
	"单元ID", "事件ID", "措施ID"}

const (
	colKind = iota
	colHazard
	colDep
	colPerson
	colUnit
	colEvent
	colLevel
	colMode
	colClass1
	colClass2
	colClass3
	colDesc
	colContent
	colPost
	colCycleN
	colCycleUnit
	colUnitID
	colEventID
	colMeasureID
)

// seedColumn maps a field the exchange validator names to the sheet's column.
var seedColumn = map[string]int{"HAZARD_CODE": colHazard, "HAZARD_DEP": colDep, "HAZARD_LIABLE_PERSON": colPerson,
	"RISK_UNIT_NAME": colUnit, "RISK_EVENT_NAME": colEvent, "DATA_SRC": colMode, "RISK_MEASURE_DESC": colDesc,
	"CLASSIFY1": colClass1, "CLASSIFY2": colClass2, "CLASSIFY3": colClass3, "TROUBLESHOOT_CONTENT": colContent}

// formColumn maps the form checks' fields to columns, per kind.
var formColumn = map[string]int{"object_kind": colKind, "hazard_code": colHazard, "department_id": colDep,
	"liable_user_id": colPerson, "control_mode": colMode, "description": colDesc, "class1": colClass1, "class2": colClass2,
	"class3": colClass3, "content": colContent, "post_id": colPost, "cycle": colCycleN, "level": colLevel}

// Export writes the company's list as a workbook.
func (s *Service) Export(ctx context.Context, m *enterprise.Member, w io.Writer) error {
	units, err := s.List(ctx, m)
	if err != nil {
		return err
	}
	var rows [][]any
	for _, u := range units {
		head := []any{u.ObjectKind, u.HazardCode, u.DepartmentName, u.LiableName, u.Name}
		if len(u.Events) == 0 {
			rows = append(rows, pad(head, colUnitID, u.ID))
		}
		for _, e := range u.Events {
			ev := append(append([]any{}, head...), e.Name, LevelName(e.Level))
			if len(e.Measures) == 0 {
				rows = append(rows, pad(ev, colUnitID, u.ID, e.ID))
			}
			for _, ms := range e.Measures {
				row := append(append([]any{}, ev...), ms.ControlModeName(), ms.Class1Name(), ms.Class2Name(), ms.Class3,
					ms.Description, ms.Content, ms.PostName, ms.Cycle.N, ms.Cycle.Unit, u.ID, e.ID, ms.ID)
				if ms.ControlMode == "" {
					row[colMode] = ""
				}
				rows = append(rows, row)
			}
		}
	}
	return writeBook(w, rows)
}

// Template writes an empty workbook with the headers, dropdowns and the
// explanation sheet.
func Template(w io.Writer) error { return writeBook(w, nil) }

func pad(row []any, at int, tail ...any) []any {
	for len(row) < at {
		row = append(row, "")
	}
	return append(row, tail...)
}

func writeBook(w io.Writer, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetList); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetCodes); err != nil {
		return err
	}
	head := make([]any, len(Columns))
	for i, c := range Columns {
		head[i] = c
	}
	if err := f.SetSheetRow(SheetList, "A1", &head); err != nil {
		return err
	}
	if err := enterprise.WriteRows(f, SheetList, 2, rows); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(Columns), 1)
	if err := f.SetCellStyle(SheetList, "A1", last, bold); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetList, "A", "S", 16); err != nil {
		return err
	}
	if err := f.SetPanes(SheetList, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	lists := map[int][]string{colKind: ObjectKinds, colMode: names(schemas.CodesControlMode), colClass1: names(schemas.CodesMeasureClass1),
		colClass2: names(schemas.CodesMeasureClass2), colCycleUnit: CycleUnits}
	for _, l := range Levels {
		lists[colLevel] = append(lists[colLevel], l.NameZH)
	}
	for col, opts := range lists {
		name, _ := excelize.ColumnNumberToName(col + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = name + "2:" + name + "5000"
		if err := dv.SetDropList(opts); err != nil {
			return err
		}
		if err := f.AddDataValidation(SheetList, dv); err != nil {
			return err
		}
	}
	notes := [][]any{
		{"填写说明"},
		{"每行一条管控措施；同一风险分析单元、同一风险事件的各行重复填写单元和事件的信息（须一致）。"},
		{"导入为全部成功或全部不导入：单元→事件→措施互相引用，部分导入会使清单断链；有任何一行出错时不导入任何一行，并列出每行的错误。"},
		{"导出的清单带有 单元ID/事件ID/措施ID：保留它们即修改原条目，清空则新增；表中没有的条目不会被删除（请在页面上删除）。"},
		{"危险源编码须为本企业已在平台登记的危险源；责任部门、岗位（部门/岗位）、责任人须为本企业的部门、岗位和人员。"},
		{"周期单位可填 小时、天、周、月、年；按省平台数据交换要求，周按 7 天上报。"},
		{""},
		{"管控措施分类1", "管控措施分类2（所属分类1）"},
	}
	for _, c := range schemas.CodesMeasureClass2.Codes {
		notes = append(notes, []any{codeName(schemas.CodesMeasureClass1, c.Parent), c.NameZH + "（" + c.Value + "）"})
	}
	if err := enterprise.WriteRows(f, SheetCodes, 1, notes); err != nil {
		return err
	}
	if err := f.SetColWidth(SheetCodes, "A", "B", 40); err != nil {
		return err
	}
	return f.Write(w)
}

func names(t *schemas.CodeTable) []string {
	out := make([]string, len(t.Codes))
	for i, c := range t.Codes {
		out[i] = c.NameZH
	}
	return out
}

// ImportResult says what an import did.
type ImportResult struct {
	Units, Events, Measures int // created or changed
}

type planUnit struct {
	row int
	id  string // existing id, "" to create
	in  UnitInput
	key string
}

type planEvent struct {
	row  int
	id   string
	unit *planUnit
	in   EventInput
}

type planMeasure struct {
	row   int
	id    string
	event *planEvent
	in    MeasureInput
}

// Import reads a workbook in the list's layout and applies it in one
// transaction: every row is checked first (the module's rules and the
// exchange validator's), and when any row is wrong nothing is imported and
// every row's problems are returned (row, column, rule, in Chinese and
// English). Rows without IDs create entries; with IDs they change them.
func (s *Service) Import(ctx context.Context, m *enterprise.Member, data []byte) (ImportResult, error) {
	if err := mustManage(m); err != nil {
		return ImportResult{}, err
	}
	wb, err := enterprise.OpenWorkbook(bytes.NewReader(data))
	if err != nil {
		return ImportResult{}, err
	}
	defer wb.Close()
	sheet := SheetList
	if !wb.Has(SheetList) {
		sheet = wb.First()
	}
	rows, ok := wb.Rows(sheet)
	if !ok {
		return ImportResult{}, invalid("无法读取工作表「"+sheet+"」", "cannot read sheet "+sheet, nil)
	}
	if len(rows) == 0 || len(rows[0]) < colCycleUnit+1 || strings.TrimSpace(rows[0][0]) != Columns[0] {
		return ImportResult{}, invalid("表头与模板不符：请下载模板填写（第 1 行为列名）", "the header row does not match the template", nil)
	}
	d, err := s.directory(ctx, m.Company)
	if err != nil {
		return ImportResult{}, err
	}
	existing, err := s.list(ctx, s.pool, m.Company, d, "")
	if err != nil {
		return ImportResult{}, err
	}
	p := &planner{d: d, company: m.Company, now: s.cfg.Now, empty: true, units: map[string]*planUnit{}, events: map[string]*planEvent{},
		known: map[string]Unit{}, knownEvents: map[string]Event{}, knownMeasures: map[string]bool{}}
	for _, u := range existing {
		p.known[u.ID] = u
		for _, e := range u.Events {
			p.knownEvents[e.ID] = e
			for _, ms := range e.Measures {
				p.knownMeasures[ms.ID] = true
			}
		}
	}
	for i, r := range rows[1:] {
		p.row(i+2, r)
	}
	if p.empty {
		return ImportResult{}, invalid("工作簿中没有数据行", "the workbook has no data rows", nil)
	}
	if len(p.problems) > 0 {
		return ImportResult{}, invalid(fmt.Sprintf("有 %d 处错误，未导入任何一行（清单各行互相引用，须全部正确后一次导入）", len(p.problems)),
			fmt.Sprintf("%d problems; nothing was imported (the rows reference each other, so they are imported all together)", len(p.problems)), p.problems)
	}
	var res ImportResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, u := range p.unitList {
			id, err := s.writeUnit(ctx, tx, m.Company, d, u.id, u.in)
			if err != nil {
				return rowError(u.row, err)
			}
			u.id = id
			res.Units++
		}
		for _, e := range p.eventList {
			id, err := s.writeEvent(ctx, tx, m.Company, e.unit.id, e.id, e.in)
			if err != nil {
				return rowError(e.row, err)
			}
			e.id = id
			res.Events++
		}
		for _, ms := range p.measures {
			if _, err := s.writeMeasure(ctx, tx, m.Company, ms.event.id, ms.id, ms.in); err != nil {
				return rowError(ms.row, err)
			}
			res.Measures++
		}
		return nil
	})
	return res, err
}

// rowError names the row of an error the database or the Publisher returned
// after the rows were checked (a concurrent change).
func rowError(row int, err error) error {
	return fmt.Errorf("第 %d 行 (row %d): %w", row, row, err)
}

type planner struct {
	d             *directory
	company       string
	now           enterprise.Clock
	units         map[string]*planUnit // by id or "name:"+name
	events        map[string]*planEvent
	unitList      []*planUnit
	eventList     []*planEvent
	measures      []*planMeasure
	known         map[string]Unit
	knownEvents   map[string]Event
	knownMeasures map[string]bool
	problems      []Problem
	empty         bool
	rows          int
}

func (p *planner) fail(row, col int, rule, zh, en string) {
	p.problems = append(p.problems, Problem{Row: row, Field: Columns[col], Rule: rule, MessageZH: zh, MessageEN: en})
}

func (p *planner) row(n int, r enterprise.Row) {
	cell := r.Cell
	blank := true
	for c := 0; c < len(Columns); c++ {
		blank = blank && cell(c) == ""
	}
	if blank {
		return
	}
	p.rows++
	if p.rows == 1 {
		p.empty = false
	}
	// The unit.
	uin := UnitInput{ObjectKind: cell(colKind), HazardCode: cell(colHazard), Name: cell(colUnit)}
	ok := true
	if id, found := p.department(cell(colDep)); found {
		uin.DepartmentID = id
	} else {
		p.fail(n, colDep, "department", fmt.Sprintf("责任部门「%s」不是本企业的部门", cell(colDep)), fmt.Sprintf("department %q is not one of the company's", cell(colDep)))
		ok = false
	}
	if id, msg := p.person(cell(colPerson)); msg == "" {
		uin.LiableUserID = id
	} else {
		p.fail(n, colPerson, "person", msg, fmt.Sprintf("person %q is not a unique active member of the company", cell(colPerson)))
		ok = false
	}
	if !ok {
		uin.DepartmentID, uin.LiableUserID = p.anyDep(), p.anyPerson()
	}
	var ps []Problem
	for _, x := range p.d.checkUnit(uin) {
		if x.Field == "name" {
			x.Field = "unit_name"
		}
		if x.Field == "department_id" || x.Field == "liable_user_id" {
			continue // reported above by name
		}
		ps = append(ps, x)
	}
	p.failNamed(n, ps, map[string]int{"unit_name": colUnit})
	if errs, _ := seedErrors(schemas.RiskUnits, unitRecord(Unit{ID: uuid.NewString(), HazardCode: uin.HazardCode, Name: uin.Name},
		cell(colDep), cell(colPerson)), p.now()); len(errs) > 0 && len(ps) == 0 {
		for _, e := range errs {
			p.fail(n, seedColumn[e.Field], string(e.Rule), e.MessageZH, e.MessageEN)
		}
	}
	u := p.unit(n, cell(colUnitID), uin)
	if cell(colEvent) == "" && cell(colEventID) == "" {
		if p.measureGiven(cell) {
			p.fail(n, colEvent, "required", "填写了管控措施的行须填写风险事件名称", "a row with a control measure needs the risk event's name")
		}
		return
	}
	// The event.
	ein := EventInput{Name: cell(colEvent), Level: parseLevel(cell(colLevel))}
	ps = nil
	for _, x := range checkEvent(ein) {
		if x.Field == "name" {
			x.Field = "event_name"
		}
		ps = append(ps, x)
	}
	p.failNamed(n, ps, map[string]int{"event_name": colEvent, "level": colLevel})
	e := p.event(n, u, cell(colEventID), ein)
	if !p.measureGiven(cell) {
		return
	}
	// The measure.
	min := MeasureInput{ControlMode: parseCode(schemas.CodesControlMode, cell(colMode), ""), Description: cell(colDesc),
		Class1: parseCode(schemas.CodesMeasureClass1, cell(colClass1), ""), Class3: cell(colClass3), Content: cell(colContent)}
	min.Class2 = parseCode(schemas.CodesMeasureClass2, cell(colClass2), min.Class1)
	if id, msg := p.post(cell(colPost)); msg == "" {
		min.PostID = id
	} else {
		p.fail(n, colPost, "post", msg, fmt.Sprintf("post %q is not one unique post of the company (write 部门/岗位)", cell(colPost)))
		min.PostID = p.anyPost()
	}
	cn, err := strconv.Atoi(cell(colCycleN))
	unit, uerr := ParseCycleUnit(cell(colCycleUnit))
	min.Cycle = Cycle{N: cn, Unit: unit}
	if err != nil || uerr != nil {
		min.Cycle = Cycle{}
	}
	ps = nil
	for _, x := range p.d.checkMeasure(min) {
		if x.Field != "post_id" {
			ps = append(ps, x)
		}
	}
	p.failNamed(n, ps, nil)
	if len(ps) == 0 {
		if errs, _ := seedErrors(schemas.ControlMeasures, measureRecord(Measure{ID: uuid.NewString(), EventID: uuid.NewString(),
			ControlMode: min.ControlMode, Description: min.Description, Class1: min.Class1, Class2: min.Class2, Class3: min.Class3,
			Content: min.Content}), p.now()); len(errs) > 0 {
			for _, e := range errs {
				p.fail(n, seedColumn[e.Field], string(e.Rule), e.MessageZH, e.MessageEN)
			}
		}
	}
	ms := &planMeasure{row: n, event: e, in: min}
	if id := cell(colMeasureID); id != "" {
		if !p.knownMeasures[id] {
			p.fail(n, colMeasureID, "unknown_id", "措施ID「"+id+"」不是本企业现有的管控措施（新增请清空此列）",
				"measure ID "+id+" is not an existing control measure of the company (clear it to add one)")
		}
		ms.id = id
	}
	p.measures = append(p.measures, ms)
}

func (p *planner) measureGiven(cell func(int) string) bool {
	for c := colMode; c <= colCycleUnit; c++ {
		if cell(c) != "" {
			return true
		}
	}
	return cell(colMeasureID) != ""
}

func (p *planner) failNamed(row int, ps []Problem, extra map[string]int) {
	for _, x := range ps {
		col, ok := extra[x.Field]
		if !ok {
			col, ok = formColumn[x.Field]
		}
		if !ok {
			col = colUnit
		}
		p.fail(row, col, x.Rule, x.MessageZH, "column "+Columns[col]+": "+x.MessageEN)
	}
}

// unit finds the row's unit: by ID, else by name among the file's and the
// company's units; a later row of the same unit must agree with the first.
func (p *planner) unit(n int, id string, in UnitInput) *planUnit {
	key := "name:" + in.Name
	if id != "" {
		if _, ok := p.known[id]; !ok {
			p.fail(n, colUnitID, "unknown_id", "单元ID「"+id+"」不是本企业现有的风险分析单元（新增请清空此列）",
				"unit ID "+id+" is not an existing risk unit of the company (clear it to add one)")
		}
		key = id
	} else {
		for _, u := range p.known {
			if u.Name == in.Name {
				id, key = u.ID, u.ID
				break
			}
		}
	}
	if u, ok := p.units[key]; ok {
		if u.in != in {
			p.fail(n, colUnit, "consistent", fmt.Sprintf("与第 %d 行是同一风险分析单元，但对象类型、危险源编码、责任部门、责任人或名称不一致", u.row),
				fmt.Sprintf("the same risk unit as row %d, with a different object kind, hazard code, department, person or name", u.row))
		}
		return u
	}
	u := &planUnit{row: n, id: id, in: in, key: key}
	p.units[key] = u
	p.unitList = append(p.unitList, u)
	return u
}

func (p *planner) event(n int, u *planUnit, id string, in EventInput) *planEvent {
	key := u.key + "/name:" + in.Name
	if id != "" {
		if _, ok := p.knownEvents[id]; !ok {
			p.fail(n, colEventID, "unknown_id", "事件ID「"+id+"」不是本企业现有的风险事件（新增请清空此列）",
				"event ID "+id+" is not an existing risk event of the company (clear it to add one)")
		}
		key = id
	} else if ku, ok := p.known[u.id]; ok {
		for _, e := range ku.Events {
			if e.Name == in.Name {
				id, key = e.ID, e.ID
			}
		}
	}
	if e, ok := p.events[key]; ok {
		if e.in != in {
			p.fail(n, colLevel, "consistent", fmt.Sprintf("与第 %d 行是同一风险事件，但名称或风险等级不一致", e.row),
				fmt.Sprintf("the same risk event as row %d, with a different name or level", e.row))
		}
		return e
	}
	e := &planEvent{row: n, id: id, unit: u, in: in}
	p.events[key] = e
	p.eventList = append(p.eventList, e)
	return e
}

func (p *planner) department(name string) (int64, bool) {
	for _, d := range p.d.depList {
		if d.Name == name {
			return d.ID, true
		}
	}
	return 0, false
}

// person finds a member by display name or username; a name two members
// share must be written as the username.
func (p *planner) person(name string) (int64, string) {
	var found []int64
	for _, x := range p.d.peopleList {
		if x.Username == name {
			return x.UserID, ""
		}
		if x.DisplayName == name {
			found = append(found, x.UserID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], ""
	case 0:
		return 0, fmt.Sprintf("责任人「%s」不是本企业在职人员", name)
	}
	return 0, fmt.Sprintf("本企业有 %d 人名为「%s」，请填写其用户名", len(found), name)
}

// post finds a post as 部门/岗位, or by its name alone when only one post has it.
func (p *planner) post(name string) (int64, string) {
	var found []int64
	for _, x := range p.d.postList {
		if p.d.postName(x.ID) == name {
			return x.ID, ""
		}
		if x.Name == name {
			found = append(found, x.ID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], ""
	case 0:
		return 0, fmt.Sprintf("岗位「%s」不是本企业的岗位（请写 部门/岗位）", name)
	}
	return 0, fmt.Sprintf("有 %d 个部门都有岗位「%s」，请写 部门/岗位", len(found), name)
}

func (p *planner) anyDep() int64 {
	for id := range p.d.deps {
		return id
	}
	return 0
}

func (p *planner) anyPerson() int64 {
	for id := range p.d.people {
		return id
	}
	return 0
}

func (p *planner) anyPost() int64 {
	for id := range p.d.posts {
		return id
	}
	return 0
}

// parseLevel reads 风险等级 as its name, colour or number; 0 when none.
func parseLevel(s string) int {
	for _, l := range Levels {
		if s == l.NameZH || s == l.Colour || s == strconv.Itoa(l.N) || s == l.Colour+"色" {
			return l.N
		}
	}
	return 0
}

// parseCode reads a code as its value or its Chinese name (a class2 name is
// looked up under parent); what matches neither is kept for the checks to name.
func parseCode(t *schemas.CodeTable, s, parent string) string {
	if _, ok := t.Lookup(s); ok {
		return s
	}
	for _, c := range t.Codes {
		if c.NameZH == s && (parent == "" || c.Parent == parent) {
			return c.Value
		}
	}
	return s
}
