package dualprevention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// ObjectKinds are the 风险分析对象 kinds of annex 2 §4.1.1.
var ObjectKinds = []string{"生产装置", "罐区", "库区"}

// Levels are the 风险等级 of a risk event, 1 the highest.
var Levels = []Level{{1, "重大风险", "红"}, {2, "较大风险", "橙"}, {3, "一般风险", "黄"}, {4, "低风险", "蓝"}}

// Level is one 风险等级.
type Level struct {
	N      int
	NameZH string
	Colour string
}

// LevelName is the Chinese name of level n.
func LevelName(n int) string {
	for _, l := range Levels {
		if l.N == n {
			return l.NameZH
		}
	}
	return ""
}

// Unit is a 风险分析单元 with its object, responsibility and events.
type Unit struct {
	ID             string
	No             int64
	Company        string
	ObjectKind     string
	HazardCode     string
	HazardName     string
	DepartmentID   int64
	DepartmentName string
	LiableUserID   int64
	LiableName     string
	Name           string
	Deleted        bool
	Events         []Event
}

// Event is a 风险事件 of a unit.
type Event struct {
	ID       string
	UnitID   string
	Name     string
	Level    int
	Deleted  bool
	Measures []Measure
}

// Measure is a 管控措施 with its check content, post and cycle.
type Measure struct {
	ID          string
	EventID     string
	ControlMode string
	Description string
	Class1      string
	Class2      string
	Class3      string
	Content     string
	PostID      int64
	PostName    string
	Cycle       Cycle
	Deleted     bool
}

// Class1Name, Class2Name and ControlModeName are the seed's names of the codes.
func (m Measure) Class1Name() string      { return codeName(schemas.CodesMeasureClass1, m.Class1) }
func (m Measure) Class2Name() string      { return codeName(schemas.CodesMeasureClass2, m.Class2) }
func (m Measure) ControlModeName() string { return codeName(schemas.CodesControlMode, m.ControlMode) }

func codeName(t *schemas.CodeTable, v string) string {
	if c, ok := t.Lookup(v); ok {
		return c.NameZH
	}
	return v
}

// HazardSource is a 危险源 registered for the company on the platform: the
// codes a unit may be bound to.
type HazardSource struct{ Code, Name string }

// HazardSources lists the company's registered 危险源编码 (the platform's
// hazard-sources table, as the company or the registration system sent it).
func (s *Service) HazardSources(ctx context.Context, company string) ([]HazardSource, error) {
	rows, err := s.pool.Query(ctx, `SELECT record_key, coalesce(doc->>'HAZARD_NAME', '') FROM x_hazard_sources
		WHERE company_code = $1 AND NOT deleted ORDER BY record_key`, company)
	if err != nil {
		return nil, fmt.Errorf("dualprevention: hazard sources: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[HazardSource])
	if err != nil {
		return nil, fmt.Errorf("dualprevention: hazard sources: %w", err)
	}
	return out, nil
}

// directory is one company's departments, posts and people, looked up once
// per request to name ids and to check that ids belong to the company.
type directory struct {
	deps   map[int64]enterprise.Department
	posts  map[int64]enterprise.Post
	people map[int64]enterprise.Person
	hazard map[string]string
	// in order, for forms
	depList    []enterprise.Department
	postList   []enterprise.Post
	peopleList []enterprise.Person
	hazardList []HazardSource
}

func (s *Service) directory(ctx context.Context, company string) (*directory, error) {
	d := &directory{deps: map[int64]enterprise.Department{}, posts: map[int64]enterprise.Post{},
		people: map[int64]enterprise.Person{}, hazard: map[string]string{}}
	var err error
	if d.depList, err = s.dir.Departments(ctx, company); err != nil {
		return nil, fmt.Errorf("dualprevention: departments: %w", err)
	}
	if d.postList, err = s.dir.Posts(ctx, company); err != nil {
		return nil, fmt.Errorf("dualprevention: posts: %w", err)
	}
	if d.peopleList, err = s.dir.People(ctx, company); err != nil {
		return nil, fmt.Errorf("dualprevention: people: %w", err)
	}
	if d.hazardList, err = s.HazardSources(ctx, company); err != nil {
		return nil, err
	}
	for _, x := range d.depList {
		d.deps[x.ID] = x
	}
	for _, x := range d.postList {
		d.posts[x.ID] = x
	}
	for _, x := range d.peopleList {
		d.people[x.UserID] = x
	}
	for _, x := range d.hazardList {
		d.hazard[x.Code] = x.Name
	}
	return d, nil
}

// postName names a post with its department, as people tell posts apart.
func (d *directory) postName(id int64) string {
	p, ok := d.posts[id]
	if !ok {
		return fmt.Sprintf("岗位 %d（已撤销）", id)
	}
	if dep, ok := d.deps[p.DepartmentID]; ok {
		return dep.Name + "/" + p.Name
	}
	return p.Name
}

func (d *directory) depName(id int64) string {
	if dep, ok := d.deps[id]; ok {
		return dep.Name
	}
	return fmt.Sprintf("部门 %d（已撤销）", id)
}

func (d *directory) personName(id int64) string {
	if p, ok := d.people[id]; ok {
		return p.DisplayName
	}
	return fmt.Sprintf("人员 %d（已离开）", id)
}

// Problem is one reason an entry of the list is refused: the field (the form
// field or the spreadsheet column) and the rule, in Chinese and English; Row is
// the spreadsheet row (0 in a form).
type Problem struct {
	Row       int    `json:"row,omitempty"`
	Field     string `json:"field"`
	Rule      string `json:"rule"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
}

func (p Problem) String() string {
	if p.Row > 0 {
		return fmt.Sprintf("第 %d 行「%s」：%s", p.Row, p.Field, p.MessageZH)
	}
	return fmt.Sprintf("「%s」：%s", p.Field, p.MessageZH)
}

func invalid(zh, en string, problems []Problem) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: en, Details: problems}
}

func notFound(what, en string) error {
	return &chemguard.Error{Code: chemguard.ENotFound, MessageZH: what + "不存在或已删除", MessageEN: en + " not found or deleted"}
}

// mustManage refuses a member who does not manage the company's list.
func mustManage(m *enterprise.Member) error {
	if m == nil || !m.Has(enterprise.Managers...) {
		return chemguard.Errorf(chemguard.EForbidden, "只有企业管理员、主要负责人或安全管理员可以维护双重预防清单",
			"only the company's administrator, principal or safety officer may change the 双重预防 list")
	}
	return nil
}

// textRule checks a required text against the seed's length (in characters,
// as the validator counts them).
func textRule(problems *[]Problem, field, label, v string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		*problems = append(*problems, Problem{Field: field, Rule: "required",
			MessageZH: label + "为必填项", MessageEN: field + " is required"})
	case utf8.RuneCountInString(v) > max:
		*problems = append(*problems, Problem{Field: field, Rule: "max_length",
			MessageZH: fmt.Sprintf("%s最长 %d 个字符（现为 %d 个）", label, max, utf8.RuneCountInString(v)),
			MessageEN: fmt.Sprintf("%s is at most %d characters (has %d)", field, max, utf8.RuneCountInString(v))})
	}
}

// UnitInput is what a form or a spreadsheet row gives for a unit.
type UnitInput struct {
	ObjectKind   string
	HazardCode   string
	DepartmentID int64
	LiableUserID int64
	Name         string
}

func (d *directory) checkUnit(in UnitInput) []Problem {
	var ps []Problem
	ok := false
	for _, k := range ObjectKinds {
		ok = ok || k == in.ObjectKind
	}
	if !ok {
		ps = append(ps, Problem{Field: "object_kind", Rule: "oneof", MessageZH: "风险分析对象类型须为 生产装置、罐区 或 库区",
			MessageEN: "object_kind must be 生产装置, 罐区 or 库区"})
	}
	if _, ok := d.hazard[in.HazardCode]; !ok {
		ps = append(ps, Problem{Field: "hazard_code", Rule: "registered_hazard",
			MessageZH: fmt.Sprintf("危险源编码「%s」不是本企业在平台登记的危险源（请先在危险化学品登记信息管理系统登记并上报危险源）", in.HazardCode),
			MessageEN: fmt.Sprintf("hazard code %q is not a hazard source registered for this company on the platform", in.HazardCode)})
	}
	if _, ok := d.deps[in.DepartmentID]; !ok {
		ps = append(ps, Problem{Field: "department_id", Rule: "department", MessageZH: "责任部门须为本企业的部门",
			MessageEN: "department_id must be one of the company's departments"})
	}
	if _, ok := d.people[in.LiableUserID]; !ok {
		ps = append(ps, Problem{Field: "liable_user_id", Rule: "person", MessageZH: "责任人须为本企业在职人员",
			MessageEN: "liable_user_id must be an active member of the company"})
	}
	textRule(&ps, "name", "风险分析单元名称", in.Name, 200, true)
	return ps
}

// EventInput is what a form or a row gives for a risk event.
type EventInput struct {
	Name  string
	Level int
}

func checkEvent(in EventInput) []Problem {
	var ps []Problem
	textRule(&ps, "name", "风险事件名称", in.Name, 100, true)
	if LevelName(in.Level) == "" {
		ps = append(ps, Problem{Field: "level", Rule: "oneof", MessageZH: "风险等级须为 重大风险、较大风险、一般风险 或 低风险",
			MessageEN: "level must be 1 (重大), 2 (较大), 3 (一般) or 4 (低)"})
	}
	return ps
}

// MeasureInput is what a form or a row gives for a control measure.
type MeasureInput struct {
	ControlMode string
	Description string
	Class1      string
	Class2      string
	Class3      string
	Content     string
	PostID      int64
	Cycle       Cycle
}

func (d *directory) checkMeasure(in MeasureInput) []Problem {
	var ps []Problem
	if in.ControlMode != "" {
		if _, ok := schemas.CodesControlMode.Lookup(in.ControlMode); !ok {
			ps = append(ps, Problem{Field: "control_mode", Rule: "code", MessageZH: "管控方式须为 自动化监控 或 隐患排查",
				MessageEN: "control_mode must be 1 (自动化监控) or 2 (隐患排查)"})
		}
	}
	textRule(&ps, "description", "管控措施描述", in.Description, 1000, true)
	if _, ok := schemas.CodesMeasureClass1.Lookup(in.Class1); !ok {
		ps = append(ps, Problem{Field: "class1", Rule: "code", MessageZH: "管控措施分类1须为 工程技术、维护保养、操作行为 或 应急措施",
			MessageEN: "class1 must be a 管控措施分类1 code (1-4)"})
	} else if c2, ok := schemas.CodesMeasureClass2.Lookup(in.Class2); !ok || c2.Parent != in.Class1 {
		ps = append(ps, Problem{Field: "class2", Rule: "code_parent",
			MessageZH: fmt.Sprintf("管控措施分类2「%s」不属于分类1「%s」", in.Class2, codeName(schemas.CodesMeasureClass1, in.Class1)),
			MessageEN: fmt.Sprintf("class2 %q is not under class1 %q", in.Class2, in.Class1)})
	}
	textRule(&ps, "class3", "管控措施分类3", in.Class3, 100, false)
	textRule(&ps, "content", "隐患排查内容", in.Content, 1000, true)
	if _, ok := d.posts[in.PostID]; !ok {
		ps = append(ps, Problem{Field: "post_id", Rule: "post", MessageZH: "岗位须为本企业的岗位", MessageEN: "post_id must be one of the company's posts"})
	}
	if !in.Cycle.Valid() {
		ps = append(ps, Problem{Field: "cycle", Rule: "cycle", MessageZH: "周期须为 1～9999 的整数，单位为 小时、天、周、月 或 年（周按 7 天上报）",
			MessageEN: "the cycle must be 1-9999 of 小时, 天, 周, 月 or 年 (a week is published as 7 days)"})
	}
	return ps
}

// List returns the company's list, units → events → measures, without the
// deleted ones.
func (s *Service) List(ctx context.Context, m *enterprise.Member) ([]Unit, error) {
	d, err := s.directory(ctx, m.Company)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, s.pool, m.Company, d, "")
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// list reads the company's units (one unit when unitID is not empty).
func (s *Service) list(ctx context.Context, q querier, company string, d *directory, unitID string) ([]Unit, error) {
	rows, err := q.Query(ctx, `SELECT u.id::text, u.no, u.object_kind, u.hazard_code, u.department_id, u.liable_user_id, u.name,
			e.id::text, e.name, e.risk_level,
			ms.id::text, ms.control_mode, ms.description, ms.class1, ms.class2, ms.class3, ms.content, ms.post_id, ms.cycle_n, ms.cycle_unit
		FROM dp_units u
		LEFT JOIN dp_events e ON e.unit_id = u.id AND e.deleted_at IS NULL
		LEFT JOIN dp_measures ms ON ms.event_id = e.id AND ms.deleted_at IS NULL
		WHERE u.company = $1 AND u.deleted_at IS NULL AND ($2 = '' OR u.id::text = $2)
		ORDER BY u.no, e.seq, ms.seq`, company, unitID)
	if err != nil {
		return nil, fmt.Errorf("dualprevention: list: %w", err)
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		var eid, ename, mid, mode, desc, c1, c2, c3, content, unit *string
		var level *int16
		var post *int64
		var n *int32
		if err := rows.Scan(&u.ID, &u.No, &u.ObjectKind, &u.HazardCode, &u.DepartmentID, &u.LiableUserID, &u.Name,
			&eid, &ename, &level, &mid, &mode, &desc, &c1, &c2, &c3, &content, &post, &n, &unit); err != nil {
			return nil, fmt.Errorf("dualprevention: list: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != u.ID {
			u.Company = company
			u.HazardName = d.hazard[u.HazardCode]
			u.DepartmentName = d.depName(u.DepartmentID)
			u.LiableName = d.personName(u.LiableUserID)
			out = append(out, u)
		}
		cur := &out[len(out)-1]
		if eid == nil {
			continue
		}
		if len(cur.Events) == 0 || cur.Events[len(cur.Events)-1].ID != *eid {
			cur.Events = append(cur.Events, Event{ID: *eid, UnitID: cur.ID, Name: *ename, Level: int(*level)})
		}
		ev := &cur.Events[len(cur.Events)-1]
		if mid == nil {
			continue
		}
		ev.Measures = append(ev.Measures, Measure{ID: *mid, EventID: *eid, ControlMode: *mode, Description: *desc,
			Class1: *c1, Class2: *c2, Class3: *c3, Content: *content, PostID: *post, PostName: d.postName(*post),
			Cycle: Cycle{N: int(*n), Unit: *unit}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dualprevention: list: %w", err)
	}
	return out, nil
}

// Unit returns one of the company's units with its events and measures; a
// unit of another company, or a deleted one, is not found.
func (s *Service) Unit(ctx context.Context, company, id string) (Unit, *directory, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Unit{}, nil, notFound("风险分析单元", "risk unit")
	}
	d, err := s.directory(ctx, company)
	if err != nil {
		return Unit{}, nil, err
	}
	us, err := s.list(ctx, s.pool, company, d, id)
	if err != nil {
		return Unit{}, nil, err
	}
	if len(us) == 0 {
		return Unit{}, nil, notFound("风险分析单元", "risk unit")
	}
	return us[0], d, nil
}

// UnitByNo finds a unit by the number printed under its QR label.
func (s *Service) UnitByNo(ctx context.Context, company string, no int64) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id::text FROM dp_units WHERE company = $1 AND no = $2 AND deleted_at IS NULL`, company, no).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", chemguard.Errorf(chemguard.ENotFound, "编号 %d 不是本企业的风险分析单元", "no unit numbered %d in this company", no)
	}
	if err != nil {
		return "", fmt.Errorf("dualprevention: unit by no: %w", err)
	}
	return id, nil
}

// inTx runs fn in one transaction: the list's rows and what they publish
// commit together.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// owned refuses, as not found, an id that is not a live row of the company's
// table: a route naming another company's entry answers 404 whatever the
// form holds, before the form is looked at.
func (s *Service) owned(ctx context.Context, company, table, id string) error {
	what := map[string][2]string{"dp_units": {"风险分析单元", "risk unit"}, "dp_events": {"风险事件", "risk event"},
		"dp_measures": {"管控措施", "control measure"}, "dp_tasks": {"排查任务", "check task"}}[table]
	if _, err := uuid.Parse(id); err != nil {
		return notFound(what[0], what[1])
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1 AND company = $2 AND deleted_at IS NULL)`,
		id, company).Scan(&ok); err != nil {
		return fmt.Errorf("dualprevention: %s: %w", table, err)
	}
	if !ok {
		return notFound(what[0], what[1])
	}
	return nil
}

// ownedOne checks the entry a save names: id in table when changing, else
// the parent it goes under.
func (s *Service) ownedOne(ctx context.Context, company, parentTable, parentID, table, id string) error {
	if id != "" {
		return s.owned(ctx, company, table, id)
	}
	return s.owned(ctx, company, parentTable, parentID)
}

// SaveUnit creates (id "") or changes a unit and publishes 表1.
func (s *Service) SaveUnit(ctx context.Context, m *enterprise.Member, id string, in UnitInput) (string, error) {
	if err := mustManage(m); err != nil {
		return "", err
	}
	if id != "" {
		if err := s.owned(ctx, m.Company, "dp_units", id); err != nil {
			return "", err
		}
	}
	return s.checkedSave(ctx, m.Company, func(d *directory) []Problem { return d.checkUnit(in) },
		"风险分析单元有误，未保存", "the risk unit has errors; nothing was saved",
		func(tx pgx.Tx, d *directory) (string, error) { return s.writeUnit(ctx, tx, m.Company, d, id, in) })
}

// checkedSave checks an input against the company's directory (its people,
// departments and posts) and, when nothing is wrong, writes it in one
// transaction, returning the saved id; problems refuse it whole, zh/en saying what.
func (s *Service) checkedSave(ctx context.Context, company string, check func(*directory) []Problem, zh, en string,
	write func(pgx.Tx, *directory) (string, error)) (id string, err error) {
	d, err := s.directory(ctx, company)
	if err != nil {
		return "", err
	}
	if ps := check(d); len(ps) > 0 {
		return "", invalid(zh, en, ps)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		id, err = write(tx, d)
		return err
	})
	return id, err
}

func (s *Service) writeUnit(ctx context.Context, tx pgx.Tx, company string, d *directory, id string, in UnitInput) (string, error) {
	now := s.now()
	if id == "" {
		id = uuid.NewString()
		if _, err := tx.Exec(ctx, `INSERT INTO dp_units (id, company, object_kind, hazard_code, department_id, liable_user_id, name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, id, company, in.ObjectKind, in.HazardCode, in.DepartmentID, in.LiableUserID, in.Name, now); err != nil {
			return "", fmt.Errorf("dualprevention: insert unit: %w", err)
		}
	} else {
		tag, err := tx.Exec(ctx, `UPDATE dp_units SET object_kind = $3, hazard_code = $4, department_id = $5, liable_user_id = $6, name = $7, updated_at = $8
			WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL`, id, company, in.ObjectKind, in.HazardCode, in.DepartmentID, in.LiableUserID, in.Name, now)
		if err != nil {
			return "", fmt.Errorf("dualprevention: update unit: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return "", notFound("风险分析单元", "risk unit")
		}
	}
	u := Unit{ID: id, HazardCode: in.HazardCode, Name: in.Name}
	return id, s.pub.Stage(ctx, tx, schemas.RiskUnits.Slug, company, unitRecord(u, d.depName(in.DepartmentID), d.personName(in.LiableUserID)))
}

// SaveEvent creates (id "") or changes a risk event of unitID and publishes 表2.
func (s *Service) SaveEvent(ctx context.Context, m *enterprise.Member, unitID, id string, in EventInput) (string, error) {
	if err := mustManage(m); err != nil {
		return "", err
	}
	if err := s.ownedOne(ctx, m.Company, "dp_units", unitID, "dp_events", id); err != nil {
		return "", err
	}
	if ps := checkEvent(in); len(ps) > 0 {
		return "", invalid("风险事件有误，未保存", "the risk event has errors; nothing was saved", ps)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = s.writeEvent(ctx, tx, m.Company, unitID, id, in)
		return err
	})
	return id, err
}

// writeEvent inserts (id "") or updates an event and stages its 表2 record. A
// new event holds its unit's row in share mode until it commits: a deletion
// of the unit reads the unit's events after the unit's own row lock, so it
// then waits and deletes (and stages as deleted) the new event too. The
// foreign key's KEY SHARE lock does not stop a soft deletion, and without
// this the new event was staged as live after its unit's deletion and left
// live under a deleted unit. writeMeasure holds its event the same way.
func (s *Service) writeEvent(ctx context.Context, tx pgx.Tx, company, unitID, id string, in EventInput) (string, error) {
	now := s.now()
	if id == "" {
		id = uuid.NewString()
		tag, err := tx.Exec(ctx, `INSERT INTO dp_events (id, company, unit_id, name, risk_level, created_at, updated_at)
			SELECT $1, $2, u.id, $4, $5, $6, $6 FROM dp_units u WHERE u.id::text = $3 AND u.company = $2 AND u.deleted_at IS NULL
			FOR SHARE OF u`,
			id, company, unitID, in.Name, in.Level, now)
		if err != nil {
			return "", fmt.Errorf("dualprevention: insert event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return "", notFound("风险分析单元", "risk unit")
		}
	} else {
		err := tx.QueryRow(ctx, `UPDATE dp_events SET name = $3, risk_level = $4, updated_at = $5
			WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL RETURNING unit_id::text`, id, company, in.Name, in.Level, now).Scan(&unitID)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", notFound("风险事件", "risk event")
		}
		if err != nil {
			return "", fmt.Errorf("dualprevention: update event: %w", err)
		}
	}
	return id, s.pub.Stage(ctx, tx, schemas.RiskEvents.Slug, company, eventRecord(Event{ID: id, UnitID: unitID, Name: in.Name}))
}

// SaveMeasure creates (id "") or changes a control measure of eventID and
// publishes 表3; a changed measure's task takes its new content (表4).
func (s *Service) SaveMeasure(ctx context.Context, m *enterprise.Member, eventID, id string, in MeasureInput) (string, error) {
	if err := mustManage(m); err != nil {
		return "", err
	}
	if err := s.ownedOne(ctx, m.Company, "dp_events", eventID, "dp_measures", id); err != nil {
		return "", err
	}
	return s.checkedSave(ctx, m.Company, func(d *directory) []Problem { return d.checkMeasure(in) },
		"管控措施有误，未保存", "the control measure has errors; nothing was saved",
		func(tx pgx.Tx, _ *directory) (string, error) {
			return s.writeMeasure(ctx, tx, m.Company, eventID, id, in)
		})
}

func (s *Service) writeMeasure(ctx context.Context, tx pgx.Tx, company, eventID, id string, in MeasureInput) (string, error) {
	now := s.now()
	if id == "" {
		id = uuid.NewString()
		tag, err := tx.Exec(ctx, `INSERT INTO dp_measures (id, company, event_id, control_mode, description, class1, class2, class3, content, post_id, cycle_n, cycle_unit, created_at, updated_at)
			SELECT $1, $2, e.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13 FROM dp_events e
			WHERE e.id::text = $3 AND e.company = $2 AND e.deleted_at IS NULL
			FOR SHARE OF e`,
			id, company, eventID, in.ControlMode, in.Description, in.Class1, in.Class2, in.Class3, in.Content, in.PostID, in.Cycle.N, in.Cycle.Unit, now)
		if err != nil {
			return "", fmt.Errorf("dualprevention: insert measure: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return "", notFound("风险事件", "risk event")
		}
	} else {
		err := tx.QueryRow(ctx, `UPDATE dp_measures SET control_mode = $3, description = $4, class1 = $5, class2 = $6, class3 = $7, content = $8,
				post_id = $9, cycle_n = $10, cycle_unit = $11, updated_at = $12
			WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL RETURNING event_id::text`,
			id, company, in.ControlMode, in.Description, in.Class1, in.Class2, in.Class3, in.Content, in.PostID, in.Cycle.N, in.Cycle.Unit, now).Scan(&eventID)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", notFound("管控措施", "control measure")
		}
		if err != nil {
			return "", fmt.Errorf("dualprevention: update measure: %w", err)
		}
	}
	rec := measureRecord(Measure{ID: id, EventID: eventID, ControlMode: in.ControlMode, Description: in.Description,
		Class1: in.Class1, Class2: in.Class2, Class3: in.Class3, Content: in.Content})
	if err := s.pub.Stage(ctx, tx, schemas.ControlMeasures.Slug, company, rec); err != nil {
		return "", err
	}
	return id, s.republishTasks(ctx, tx, company, `t.measure_id::text = $2`, id)
}

// Delete soft-deletes a unit, event or measure (kind "unit", "event",
// "measure") and everything under it — a deleted unit's events, their
// measures and tasks — and publishes each with DELETED=1, so the platform's
// chain 单元→事件→措施→任务 has no orphan.
func (s *Service) Delete(ctx context.Context, m *enterprise.Member, kind, id string) error {
	if err := mustManage(m); err != nil {
		return err
	}
	d, err := s.directory(ctx, m.Company)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.delete(ctx, tx, m.Company, d, kind, id) })
}

func (s *Service) delete(ctx context.Context, tx pgx.Tx, company string, d *directory, kind, id string) error {
	now := s.now()
	var units, events, measures []string
	switch kind {
	case "unit":
		units = []string{id}
	case "event":
		events = []string{id}
	case "measure":
		measures = []string{id}
	default:
		return notFound("条目", "entry")
	}
	collect := func(sql string, args ...any) ([]string, error) {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return nil, fmt.Errorf("dualprevention: delete: %w", err)
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	}
	var err error
	if len(units) > 0 {
		if units, err = collect(`UPDATE dp_units SET deleted_at = $3, updated_at = $3 WHERE id::text = ANY($1) AND company = $2 AND deleted_at IS NULL RETURNING id::text`, units, company, now); err != nil {
			return err
		}
		if len(units) == 0 {
			return notFound("风险分析单元", "risk unit")
		}
		if events, err = collect(`UPDATE dp_events SET deleted_at = $3, updated_at = $3 WHERE unit_id::text = ANY($1) AND company = $2 AND deleted_at IS NULL RETURNING id::text`, units, company, now); err != nil {
			return err
		}
	} else if len(events) > 0 {
		if events, err = collect(`UPDATE dp_events SET deleted_at = $3, updated_at = $3 WHERE id::text = ANY($1) AND company = $2 AND deleted_at IS NULL RETURNING id::text`, events, company, now); err != nil {
			return err
		}
		if len(events) == 0 {
			return notFound("风险事件", "risk event")
		}
	}
	if len(events) > 0 {
		if measures, err = collect(`UPDATE dp_measures SET deleted_at = $3, updated_at = $3 WHERE event_id::text = ANY($1) AND company = $2 AND deleted_at IS NULL RETURNING id::text`, events, company, now); err != nil {
			return err
		}
	} else if len(measures) > 0 {
		if measures, err = collect(`UPDATE dp_measures SET deleted_at = $3, updated_at = $3 WHERE id::text = ANY($1) AND company = $2 AND deleted_at IS NULL RETURNING id::text`, measures, company, now); err != nil {
			return err
		}
		if len(measures) == 0 {
			return notFound("管控措施", "control measure")
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE dp_tasks SET deleted_at = $3, updated_at = $3 WHERE measure_id::text = ANY($1) AND company = $2 AND deleted_at IS NULL`, measures, company, now); err != nil {
		return fmt.Errorf("dualprevention: delete tasks: %w", err)
	}
	// Publish the deletions bottom-up from the rows as they were.
	if err := s.republishTasks(ctx, tx, company, `t.measure_id::text = ANY($2)`, measures); err != nil {
		return err
	}
	if err := s.stageRows(ctx, tx, company, schemas.ControlMeasures, `SELECT id::text, event_id::text, control_mode, description, class1, class2, class3, content
		FROM dp_measures WHERE id::text = ANY($1) ORDER BY id`, measures, func(r pgx.Rows) (any, error) {
		var ms Measure
		err := r.Scan(&ms.ID, &ms.EventID, &ms.ControlMode, &ms.Description, &ms.Class1, &ms.Class2, &ms.Class3, &ms.Content)
		ms.Deleted = true
		return measureRecord(ms), err
	}); err != nil {
		return err
	}
	if err := s.stageRows(ctx, tx, company, schemas.RiskEvents, `SELECT id::text, unit_id::text, name FROM dp_events WHERE id::text = ANY($1) ORDER BY id`, events,
		func(r pgx.Rows) (any, error) {
			e := Event{Deleted: true}
			err := r.Scan(&e.ID, &e.UnitID, &e.Name)
			return eventRecord(e), err
		}); err != nil {
		return err
	}
	return s.stageRows(ctx, tx, company, schemas.RiskUnits, `SELECT id::text, hazard_code, name, department_id, liable_user_id FROM dp_units WHERE id::text = ANY($1) ORDER BY id`, units,
		func(r pgx.Rows) (any, error) {
			u := Unit{Deleted: true}
			err := r.Scan(&u.ID, &u.HazardCode, &u.Name, &u.DepartmentID, &u.LiableUserID)
			return unitRecord(u, d.depName(u.DepartmentID), d.personName(u.LiableUserID)), err
		})
}

// stageRows publishes the records scan builds from the rows of sql.
func (s *Service) stageRows(ctx context.Context, tx pgx.Tx, company string, t *schemas.Table, sql string, ids []string, scan func(pgx.Rows) (any, error)) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, sql, ids)
	if err != nil {
		return fmt.Errorf("dualprevention: read %s: %w", t.Slug, err)
	}
	var recs []any
	for rows.Next() {
		rec, err := scan(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("dualprevention: read %s: %w", t.Slug, err)
		}
		recs = append(recs, rec)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dualprevention: read %s: %w", t.Slug, err)
	}
	return s.pub.Stage(ctx, tx, t.Slug, company, recs...)
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// findEvent returns one of the company's events with its unit.
func (s *Service) findEvent(ctx context.Context, company, id string) (Event, Unit, error) {
	var unitID string
	err := s.pool.QueryRow(ctx, `SELECT unit_id::text FROM dp_events WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL`, id, company).Scan(&unitID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Event{}, Unit{}, notFound("风险事件", "risk event")
	}
	if err != nil {
		return Event{}, Unit{}, fmt.Errorf("dualprevention: event: %w", err)
	}
	u, _, err := s.Unit(ctx, company, unitID)
	if err != nil {
		return Event{}, Unit{}, err
	}
	for _, e := range u.Events {
		if e.ID == id {
			return e, u, nil
		}
	}
	return Event{}, Unit{}, notFound("风险事件", "risk event")
}

// findMeasure returns one of the company's measures with its event and unit.
func (s *Service) findMeasure(ctx context.Context, company, id string) (Measure, Event, Unit, error) {
	var eventID string
	err := s.pool.QueryRow(ctx, `SELECT event_id::text FROM dp_measures WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL`, id, company).Scan(&eventID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Measure{}, Event{}, Unit{}, notFound("管控措施", "control measure")
	}
	if err != nil {
		return Measure{}, Event{}, Unit{}, fmt.Errorf("dualprevention: measure: %w", err)
	}
	e, u, err := s.findEvent(ctx, company, eventID)
	if err != nil {
		return Measure{}, Event{}, Unit{}, err
	}
	for _, ms := range e.Measures {
		if ms.ID == id {
			return ms, e, u, nil
		}
	}
	return Measure{}, Event{}, Unit{}, notFound("管控措施", "control measure")
}
