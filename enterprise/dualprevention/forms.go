package dualprevention

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web/form"
)

func problemsOf(err error) ([]Problem, string, bool) {
	var e *chemguard.Error
	if errors.As(err, &e) && e.Code == chemguard.EInvalid {
		ps, _ := e.Details.([]Problem)
		return ps, e.MessageZH, true
	}
	return nil, "", false
}

// ---- the list ----

type formPage struct {
	enterprise.Page
	Action     string
	Back       string
	Problems   []Problem
	Message    string
	Unit       UnitInput
	Event      EventInput
	Measure    MeasureInput
	Parent     string // the unit or event the new entry goes under
	Kinds      []string
	Levels     []Level
	Hazards    []HazardSource
	Deps       []enterprise.Department
	People     []enterprise.Person
	Posts      []postOption
	Modes      []schemas.Code
	Class1     []schemas.Code
	Class2     []schemas.Code
	CycleUnits []string
}

type postOption struct {
	ID   int64
	Name string
}

func (mod *Module) newForm(c *fiber.Ctx, m *enterprise.Member, title string) (formPage, error) {
	d, err := mod.svc.directory(c.Context(), m.Company)
	if err != nil {
		return formPage{}, err
	}
	f := formPage{Page: enterprise.NewPage(c, title, false), Back: enterprise.Prefix + "/dp", Kinds: ObjectKinds, Levels: Levels,
		Hazards: d.hazardList, Deps: d.depList, People: d.peopleList, Modes: schemas.CodesControlMode.Codes,
		Class1: schemas.CodesMeasureClass1.Codes, Class2: schemas.CodesMeasureClass2.Codes, CycleUnits: CycleUnits}
	for _, p := range d.postList {
		f.Posts = append(f.Posts, postOption{p.ID, d.postName(p.ID)})
	}
	return f, nil
}

// managerForm is newForm for the member of c, who must manage the list.
func (mod *Module) managerForm(c *fiber.Ctx, title string) (*enterprise.Member, formPage, error) {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return nil, formPage{}, err
	}
	if err := mustManage(m); err != nil {
		return nil, formPage{}, err
	}
	f, err := mod.newForm(c, m, title)
	return m, f, err
}

func (mod *Module) unitForm(c *fiber.Ctx) error {
	m, f, err := mod.managerForm(c, "新增风险分析单元")
	if err != nil {
		return err
	}
	f.Action = enterprise.Prefix + "/dp/units"
	if id := c.Params("id"); id != "" {
		u, _, err := mod.svc.Unit(c.Context(), m.Company, id)
		if err != nil {
			return err
		}
		f.Title, f.Action = "修改风险分析单元", enterprise.Prefix+"/dp/units/"+u.ID
		f.Unit = UnitInput{ObjectKind: u.ObjectKind, HazardCode: u.HazardCode, DepartmentID: u.DepartmentID, LiableUserID: u.LiableUserID, Name: u.Name}
	}
	return mod.pc.Render(c, "unit_form", f)
}

func (mod *Module) unitSave(c *fiber.Ctx, m *enterprise.Member) error {
	in := UnitInput{ObjectKind: c.FormValue("object_kind"), HazardCode: strings.TrimSpace(c.FormValue("hazard_code")),
		DepartmentID: form.Int(c, "department_id"), LiableUserID: form.Int(c, "liable_user_id"), Name: strings.TrimSpace(c.FormValue("name"))}
	id := c.Params("id")
	_, err := mod.svc.SaveUnit(c.Context(), m, id, in)
	return mod.saved(c, m, err, "风险分析单元", "unit_form", "风险分析单元已保存", func(f *formPage) { f.Unit = in })
}

func (mod *Module) eventForm(c *fiber.Ctx) error {
	m, f, err := mod.managerForm(c, "新增风险事件")
	if err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), "/new") {
		u, _, err := mod.svc.Unit(c.Context(), m.Company, c.Params("id"))
		if err != nil {
			return err
		}
		f.Parent, f.Action, f.Event.Level = u.Name, enterprise.Prefix+"/dp/units/"+u.ID+"/events", 4
		return mod.pc.Render(c, "event_form", f)
	}
	e, u, err := mod.svc.findEvent(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	f.Title, f.Parent, f.Action = "修改风险事件", u.Name, enterprise.Prefix+"/dp/events/"+e.ID
	f.Event = EventInput{Name: e.Name, Level: e.Level}
	return mod.pc.Render(c, "event_form", f)
}

func (mod *Module) eventSave(c *fiber.Ctx, m *enterprise.Member) error {
	level, _ := strconv.Atoi(c.FormValue("level"))
	in := EventInput{Name: strings.TrimSpace(c.FormValue("name")), Level: level}
	var err error
	if strings.HasSuffix(c.Path(), "/events") {
		_, err = mod.svc.SaveEvent(c.Context(), m, c.Params("id"), "", in)
	} else {
		_, err = mod.svc.SaveEvent(c.Context(), m, "", c.Params("id"), in)
	}
	return mod.saved(c, m, err, "风险事件", "event_form", "风险事件已保存", func(f *formPage) { f.Event = in })
}

func (mod *Module) measureForm(c *fiber.Ctx) error {
	m, f, err := mod.managerForm(c, "新增管控措施")
	if err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), "/new") {
		e, u, err := mod.svc.findEvent(c.Context(), m.Company, c.Params("id"))
		if err != nil {
			return err
		}
		f.Parent, f.Action = u.Name+" / "+e.Name, enterprise.Prefix+"/dp/events/"+e.ID+"/measures"
		f.Measure = MeasureInput{ControlMode: "2", Class1: "1", Class2: "1-1", Cycle: Cycle{N: 1, Unit: UnitDay}}
		return mod.pc.Render(c, "measure_form", f)
	}
	ms, e, u, err := mod.svc.findMeasure(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	f.Title, f.Parent, f.Action = "修改管控措施", u.Name+" / "+e.Name, enterprise.Prefix+"/dp/measures/"+ms.ID
	f.Measure = MeasureInput{ControlMode: ms.ControlMode, Description: ms.Description, Class1: ms.Class1, Class2: ms.Class2,
		Class3: ms.Class3, Content: ms.Content, PostID: ms.PostID, Cycle: ms.Cycle}
	return mod.pc.Render(c, "measure_form", f)
}

func (mod *Module) measureSave(c *fiber.Ctx, m *enterprise.Member) error {
	n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("cycle_n")))
	in := MeasureInput{ControlMode: c.FormValue("control_mode"), Description: strings.TrimSpace(c.FormValue("description")),
		Class1: c.FormValue("class1"), Class2: c.FormValue("class2"), Class3: strings.TrimSpace(c.FormValue("class3")),
		Content: strings.TrimSpace(c.FormValue("content")), PostID: form.Int(c, "post_id"), Cycle: Cycle{N: n, Unit: c.FormValue("cycle_unit")}}
	var err error
	if strings.HasSuffix(c.Path(), "/measures") {
		_, err = mod.svc.SaveMeasure(c.Context(), m, c.Params("id"), "", in)
	} else {
		_, err = mod.svc.SaveMeasure(c.Context(), m, "", c.Params("id"), in)
	}
	return mod.saved(c, m, err, "管控措施", "measure_form", "管控措施已保存", func(f *formPage) { f.Measure = in })
}

// saved answers a form post: back to the list when err is nil; the form
// again with each field's problem when the input was invalid.
func (mod *Module) saved(c *fiber.Ctx, m *enterprise.Member, err error, title, page, flash string, fill func(*formPage)) error {
	if err == nil {
		return c.Redirect(enterprise.Flash(enterprise.Prefix+"/dp", flash), fiber.StatusSeeOther)
	}
	ps, msg, ok := problemsOf(err)
	if !ok {
		return err
	}
	f, ferr := mod.newForm(c, m, title)
	if ferr != nil {
		return ferr
	}
	f.Action, f.Problems, f.Message = c.Path(), ps, msg
	fill(&f)
	c.Status(fiber.StatusUnprocessableEntity)
	return mod.pc.Render(c, page, f)
}

func (mod *Module) remove(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := enterprise.CurrentMember(c)
		if err != nil {
			return err
		}
		if err := mod.svc.Delete(c.Context(), m, kind, c.Params("id")); err != nil {
			return err
		}
		return c.Redirect(enterprise.Flash(enterprise.Prefix+"/dp", "已删除（已同步删除标志至省平台）"), fiber.StatusSeeOther)
	}
}

func (mod *Module) generate(c *fiber.Ctx, m *enterprise.Member) error {
	args, err := c.Request().MultipartForm()
	var levels []int
	if err == nil {
		for _, v := range args.Value["levels"] {
			n, _ := strconv.Atoi(v)
			levels = append(levels, n)
		}
	} else {
		for _, v := range c.Request().PostArgs().PeekMulti("levels") {
			n, _ := strconv.Atoi(string(v))
			levels = append(levels, n)
		}
	}
	created, disabled, err := mod.svc.Generate(c.Context(), m, levels)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("已生成 %d 个排查任务", created)
	if disabled > 0 {
		msg += fmt.Sprintf("，停用 %d 个（其风险等级未选）", disabled)
	}
	return c.Redirect(enterprise.Flash(enterprise.Prefix+"/dp/tasks", msg), fiber.StatusSeeOther)
}

func (mod *Module) taskSave(c *fiber.Ctx, m *enterprise.Member) error {
	n, _ := strconv.Atoi(c.FormValue("cycle_n"))
	in := TaskInput{PostID: form.Int(c, "post_id"), Cycle: Cycle{N: n, Unit: c.FormValue("cycle_unit")}, Enabled: c.FormValue("enabled") == "1"}
	if err := mod.svc.UpdateTask(c.Context(), m, c.Params("id"), in); err != nil {
		ps, _, ok := problemsOf(err)
		if !ok {
			return err
		}
		t, terr := mod.svc.Task(c.Context(), m.Company, c.Params("id"))
		if terr != nil {
			return terr
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return mod.renderTask(c, m, t, ps)
	}
	return c.Redirect(enterprise.Flash(enterprise.Prefix+"/dp/tasks", "任务配置已保存"), fiber.StatusSeeOther)
}
