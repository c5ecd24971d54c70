package dualprevention

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Module is the 双重预防 module of the base system: the list, tasks and
// checks (enterprise.Module).
type Module struct {
	svc   *Service
	audit audit.Recorder
	pc    *web.Templates
	phone *web.Templates
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"levelName": LevelName,
	"percent":   func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
	"date":      func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02") },
	"hm":        func(t time.Time) string { return t.In(schemas.Shanghai).Format("01-02 15:04") },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"has": func(xs []int, x int) bool {
		for _, v := range xs {
			if v == x {
				return true
			}
		}
		return false
	},
	"times": func(a, b int) int { return a * b },
	"bar":   func(f float64) string { return strconv.FormatFloat(f*3, 'f', 1, 64) },
}

// New returns the module on svc; every change a member attempts is recorded
// on rec (ok, failed or denied).
func New(svc *Service, rec audit.Recorder) (*Module, error) {
	pc, err := enterprise.Pages(templateFS, funcs, "list", "unit_form", "event_form", "measure_form", "import", "tasks", "task", "checks", "stats")
	if err != nil {
		return nil, fmt.Errorf("dualprevention: %w", err)
	}
	phone, err := enterprise.PhonePages(templateFS, funcs, "m_tasks", "m_unit", "m_check", "m_scan", "m_done")
	if err != nil {
		return nil, fmt.Errorf("dualprevention: %w", err)
	}
	return &Module{svc: svc, audit: rec, pc: pc, phone: phone}, nil
}

// Factory builds the module from the base system's foundation (for
// platform.BaseSystemConfig.Modules). dangers is the hidden-danger ledger a
// check's finding is entered in (enterprise/dangers). started, when not nil,
// is handed the service so that the platform runs its pushes (Service.Run).
func Factory(cfg Config, dangers enterprise.DangerRegistry, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, dangers, f.Files)
		mod, err := New(svc, f.Audit)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/dp", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "风险分级管控清单"},
			{Label: "排查任务", Path: "tasks"},
			{Label: "排查记录", Path: "checks"},
			{Label: "排查统计", Path: "stats", Roles: enterprise.Supervisors},
		},
		Phone: []enterprise.NavItem{{Label: "我的排查"}, {Label: "扫码排查", Path: "scan"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/dp", mod.list)
	pc.Get("/dp/template.xlsx", mod.template)
	pc.Get("/dp/export.xlsx", mod.export)
	pc.Get("/dp/import", mod.importPage)
	pc.Post("/dp/import", mod.audited("dp_import", mod.importPost))
	pc.Get("/dp/labels.pdf", mod.labels)
	pc.Get("/dp/units/new", mod.unitForm)
	pc.Post("/dp/units", mod.audited("dp_unit_save", mod.unitSave))
	pc.Get("/dp/units/:id/edit", mod.unitForm)
	pc.Post("/dp/units/:id", mod.audited("dp_unit_save", mod.unitSave))
	pc.Post("/dp/units/:id/delete", mod.audited("dp_unit_delete", mod.remove("unit")))
	pc.Get("/dp/units/:id/events/new", mod.eventForm)
	pc.Post("/dp/units/:id/events", mod.audited("dp_event_save", mod.eventSave))
	pc.Get("/dp/events/:id/edit", mod.eventForm)
	pc.Post("/dp/events/:id", mod.audited("dp_event_save", mod.eventSave))
	pc.Post("/dp/events/:id/delete", mod.audited("dp_event_delete", mod.remove("event")))
	pc.Get("/dp/events/:id/measures/new", mod.measureForm)
	pc.Post("/dp/events/:id/measures", mod.audited("dp_measure_save", mod.measureSave))
	pc.Get("/dp/measures/:id/edit", mod.measureForm)
	pc.Post("/dp/measures/:id", mod.audited("dp_measure_save", mod.measureSave))
	pc.Post("/dp/measures/:id/delete", mod.audited("dp_measure_delete", mod.remove("measure")))
	pc.Get("/dp/tasks", mod.tasks)
	pc.Get("/dp/tasks/live", mod.tasksLive)
	pc.Post("/dp/tasks/generate", mod.audited("dp_tasks_generate", mod.generate))
	pc.Get("/dp/tasks/:id", mod.task)
	pc.Post("/dp/tasks/:id", mod.audited("dp_task_save", mod.taskSave))
	pc.Get("/dp/checks", mod.checks)
	pc.Get("/dp/checks/:id/photos/:n", mod.photo)
	pc.Get("/dp/stats", mod.stats)
	pc.Get("/dp/stats.xlsx", mod.statsXLSX)

	phone.Get("/dp", mod.myTasks)
	phone.Get("/dp/scan", mod.scan)
	phone.Get("/dp/code", mod.code)
	phone.Get("/units/:id", mod.unitPhone)
	phone.Get("/dp/tasks/:id/check", mod.checkForm)
	phone.Post("/dp/checks", mod.audited("dp_check_record", mod.checkPost))
	phone.Get("/dp/checks/:id", mod.checkDone)
	phone.Get("/dp/checks/:id/photos/:n", mod.photo)
}

// audited records each attempt of a change on the platform's audit log: ok,
// failed (the input was refused) or denied (not the member's to change, or
// not there), with the member and the path.
func (mod *Module) audited(action string, h fiber.Handler) fiber.Handler {
	return enterprise.AuditedHandler(mod.audit, action, h)
}

func problemsOf(err error) ([]Problem, string, bool) {
	var e *chemguard.Error
	if errors.As(err, &e) && e.Code == chemguard.EInvalid {
		ps, _ := e.Details.([]Problem)
		return ps, e.MessageZH, true
	}
	return nil, "", false
}

// ---- the list ----

type listPage struct {
	enterprise.Page
	Units   []Unit
	Manager bool
	Flash   string
}

func (mod *Module) list(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	units, err := mod.svc.List(c.Context(), m)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "list", listPage{Page: enterprise.NewPage(c, "风险分级管控及隐患排查清单", false), Units: units,
		Manager: m.Has(enterprise.Managers...), Flash: c.Query("flash")})
}

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

func (mod *Module) unitSave(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	in := UnitInput{ObjectKind: c.FormValue("object_kind"), HazardCode: strings.TrimSpace(c.FormValue("hazard_code")),
		DepartmentID: form.Int(c, "department_id"), LiableUserID: form.Int(c, "liable_user_id"), Name: strings.TrimSpace(c.FormValue("name"))}
	id := c.Params("id")
	_, err = mod.svc.SaveUnit(c.Context(), m, id, in)
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

func (mod *Module) eventSave(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	level, _ := strconv.Atoi(c.FormValue("level"))
	in := EventInput{Name: strings.TrimSpace(c.FormValue("name")), Level: level}
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

func (mod *Module) measureSave(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("cycle_n")))
	in := MeasureInput{ControlMode: c.FormValue("control_mode"), Description: strings.TrimSpace(c.FormValue("description")),
		Class1: c.FormValue("class1"), Class2: c.FormValue("class2"), Class3: strings.TrimSpace(c.FormValue("class3")),
		Content: strings.TrimSpace(c.FormValue("content")), PostID: form.Int(c, "post_id"), Cycle: Cycle{N: n, Unit: c.FormValue("cycle_unit")}}
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
		return c.Redirect(enterprise.Prefix+"/dp?flash="+url.QueryEscape(flash), fiber.StatusSeeOther)
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
		return c.Redirect(enterprise.Prefix+"/dp?flash="+url.QueryEscape("已删除（已同步删除标志至省平台）"), fiber.StatusSeeOther)
	}
}

func sendFile(c *fiber.Ctx, contentType, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename*=UTF-8''`+url.PathEscape(name))
	return c.Send(b)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (mod *Module) template(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Template(&b); err != nil {
		return fmt.Errorf("dualprevention: template: %w", err)
	}
	return sendFile(c, xlsxType, "风险分级管控及隐患排查清单模板.xlsx", b.Bytes())
}

func (mod *Module) export(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := mod.svc.Export(c.Context(), m, &b); err != nil {
		return err
	}
	return sendFile(c, xlsxType, "风险分级管控及隐患排查清单-"+mod.svc.now().In(schemas.Shanghai).Format("20060102")+".xlsx", b.Bytes())
}

type importPage struct {
	enterprise.Page
	Problems []Problem
	Message  string
	Result   *ImportResult
}

func (mod *Module) importPage(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if err := mustManage(m); err != nil {
		return err
	}
	return mod.pc.Render(c, "import", importPage{Page: enterprise.NewPage(c, "导入清单", false)})
}

func (mod *Module) importPost(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	p := importPage{Page: enterprise.NewPage(c, "导入清单", false)}
	fh, err := c.FormFile("file")
	if err != nil {
		return chemguard.Errorf(chemguard.EInvalid, "请选择要导入的 Excel 文件", "choose the Excel file to import")
	}
	file, err := fh.Open()
	if err != nil {
		return fmt.Errorf("dualprevention: import: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(file, 20<<20))
	file.Close()
	if err != nil {
		return fmt.Errorf("dualprevention: import: %w", err)
	}
	res, err := mod.svc.Import(c.Context(), m, data)
	if err != nil {
		ps, msg, ok := problemsOf(err)
		if !ok {
			return err
		}
		p.Problems, p.Message = ps, msg
		c.Status(fiber.StatusUnprocessableEntity)
		if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
			return c.JSON(fiber.Map{"message_zh": msg, "errors": ps})
		}
		return mod.pc.Render(c, "import", p)
	}
	p.Result = &res
	return mod.pc.Render(c, "import", p)
}

func (mod *Module) labels(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	var ids []string
	for _, v := range c.Context().QueryArgs().PeekMulti("unit") {
		ids = append(ids, string(v))
	}
	var b bytes.Buffer
	if err := mod.svc.Labels(c.Context(), m, c.BaseURL(), ids, &b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename*=UTF-8''`+url.PathEscape("二维码标签.pdf"))
	return c.Send(b.Bytes())
}

// ---- tasks ----

type tasksPage struct {
	enterprise.Page
	Tasks    []Task
	Settings Settings
	Levels   []Level
	Posts    []postOption
	Counts   map[string]int
	Status   string
	Level    int
	Post     int64
	Manager  bool
	Flash    string
}

func (mod *Module) taskFilter(c *fiber.Ctx, m *enterprise.Member) TaskFilter {
	f := TaskFilter{Status: c.Query("status"), All: m.Has(enterprise.Managers...)}
	f.Level, _ = strconv.Atoi(c.Query("level"))
	f.PostID, _ = strconv.ParseInt(c.Query("post"), 10, 64)
	if !m.Has(enterprise.Managers...) && !m.Has(policy.EnterpriseDeptHead) {
		f.Posts = []int64{}
		for _, p := range m.Posts {
			f.Posts = append(f.Posts, p.ID)
		}
	}
	return f
}

func (mod *Module) tasks(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	f := mod.taskFilter(c, m)
	status := f.Status
	f.Status = ""
	ts, err := mod.svc.Tasks(c.Context(), m.Company, f)
	if err != nil {
		return err
	}
	st, err := mod.svc.Settings(c.Context(), m.Company)
	if err != nil {
		return err
	}
	d, err := mod.svc.directory(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p := tasksPage{Page: enterprise.NewPage(c, "隐患排查任务", false), Settings: st, Levels: Levels, Status: status, Level: f.Level, Post: f.PostID,
		Counts: map[string]int{}, Manager: m.Has(enterprise.Managers...), Flash: c.Query("flash")}
	for _, t := range ts {
		if t.Enabled {
			p.Counts[t.Status]++
		}
		if status == "" || t.Status == status {
			p.Tasks = append(p.Tasks, t)
		}
	}
	for _, x := range d.postList {
		p.Posts = append(p.Posts, postOption{x.ID, d.postName(x.ID)})
	}
	return mod.pc.Render(c, "tasks", p)
}

// liveTask is one task's status as the live page updates it.
type liveTask struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	StatusZH string `json:"status_zh"`
	Last     string `json:"last"`
	Due      string `json:"due"`
}

// tasksLive answers the statuses of the tasks the page shows as JSON; the
// board fetches it every 15 s, so 已排查/未排查/超期未排查 change on screen as
// checks arrive and deadlines pass. (A fetch rather than a stream: each
// refresh passes the member guard again, and nothing stays open.)
func (mod *Module) tasksLive(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	f := mod.taskFilter(c, m)
	f.Status = ""
	ts, err := mod.svc.Tasks(c.Context(), m.Company, f)
	if err != nil {
		return err
	}
	out := make([]liveTask, 0, len(ts))
	for _, t := range ts {
		lt := liveTask{ID: t.ID, Status: t.Status, StatusZH: t.StatusZH(), Due: t.Period.End.In(schemas.Shanghai).Format("01-02 15:04")}
		if t.LastCheck != nil {
			lt.Last = t.LastCheck.In(schemas.Shanghai).Format("01-02 15:04") + " " + t.LastStatusZH()
		}
		out = append(out, lt)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (mod *Module) generate(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
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
	return c.Redirect(enterprise.Prefix+"/dp/tasks?flash="+url.QueryEscape(msg), fiber.StatusSeeOther)
}

type taskPage struct {
	enterprise.Page
	Task       Task
	Checks     []Check
	Posts      []postOption
	CycleUnits []string
	Manager    bool
	Problems   []Problem
}

func (mod *Module) task(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	t, err := mod.svc.Task(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	return mod.renderTask(c, m, t, nil)
}

func (mod *Module) renderTask(c *fiber.Ctx, m *enterprise.Member, t Task, ps []Problem) error {
	checks, _, err := mod.svc.Checks(c.Context(), m.Company, CheckFilter{TaskID: t.ID, Limit: 50})
	if err != nil {
		return err
	}
	d, err := mod.svc.directory(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p := taskPage{Page: enterprise.NewPage(c, "排查任务："+t.UnitName, false), Task: t, Checks: checks, CycleUnits: CycleUnits,
		Manager: m.Has(enterprise.Managers...), Problems: ps}
	for _, x := range d.postList {
		p.Posts = append(p.Posts, postOption{x.ID, d.postName(x.ID)})
	}
	return mod.pc.Render(c, "task", p)
}

func (mod *Module) taskSave(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
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
	return c.Redirect(enterprise.Prefix+"/dp/tasks?flash="+url.QueryEscape("任务配置已保存"), fiber.StatusSeeOther)
}

// ---- check records ----

type checksPage struct {
	enterprise.Page
	Checks   []Check
	Total    int
	From, To string
	Status   string
	Pager    web.Pager
	Statuses []schemas.Code
}

func (mod *Module) checks(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	number, err := web.PageNumber(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.now(), 30)
	size := web.DefaultPageSize
	checks, total, err := mod.svc.Checks(c.Context(), m.Company, CheckFilter{From: from, To: to, Status: c.Query("status"),
		Limit: size, Offset: (number - 1) * size})
	if err != nil {
		return err
	}
	q := url.Values{"from": {fs}, "to": {ts}, "status": {c.Query("status")}}
	return mod.pc.Render(c, "checks", checksPage{Page: enterprise.NewPage(c, "隐患排查记录", false), Checks: checks, Total: total,
		From: fs, To: ts, Status: c.Query("status"), Pager: web.NewPager(c.Path(), q, number, size, total),
		Statuses: schemas.CodesCheckStatus.Codes})
}

func (mod *Module) photo(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.Params("n"))
	data, ct, err := mod.svc.CheckPhoto(c.Context(), m.Company, c.Params("id"), n)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(data)
}

// ---- statistics ----

type statsPage struct {
	enterprise.Page
	Stats    Stats
	From, To string
}

func (mod *Module) statsOf(c *fiber.Ctx) (Stats, string, string, error) {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return Stats{}, "", "", err
	}
	if !m.Has(enterprise.Managers...) && !m.Has(policy.EnterpriseDeptHead) {
		return Stats{}, "", "", chemguard.Errorf(chemguard.EForbidden, "只有管理人员和部门负责人可以查看排查统计", "only managers and department heads see the statistics")
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.now(), 30)
	if to.After(mod.svc.now()) {
		to = mod.svc.now()
	}
	st, err := mod.svc.Stats(c.Context(), m.Company, from, to)
	return st, fs, ts, err
}

func (mod *Module) stats(c *fiber.Ctx) error {
	st, fs, ts, err := mod.statsOf(c)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "stats", statsPage{Page: enterprise.NewPage(c, "隐患排查任务完成情况统计", false), Stats: st, From: fs, To: ts})
}

func (mod *Module) statsXLSX(c *fiber.Ctx) error {
	st, fs, ts, err := mod.statsOf(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := WriteStatsXLSX(&b, st); err != nil {
		return fmt.Errorf("dualprevention: stats xlsx: %w", err)
	}
	return sendFile(c, xlsxType, "排查任务完成情况-"+fs+"至"+ts+".xlsx", b.Bytes())
}

// ---- phone ----

type phoneTasksPage struct {
	enterprise.Page
	Tasks   []Task
	Overdue int
	Pending int
}

func (mod *Module) myTasks(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	posts := []int64{}
	for _, p := range m.Posts {
		posts = append(posts, p.ID)
	}
	ts, err := mod.svc.Tasks(c.Context(), m.Company, TaskFilter{Posts: posts})
	if err != nil {
		return err
	}
	p := phoneTasksPage{Page: enterprise.NewPage(c, "我的排查任务", true)}
	// Overdue first, then pending, then done: what needs doing now on top.
	for _, want := range []string{StatusOverdue, StatusPending, StatusDone} {
		for _, t := range ts {
			if t.Status == want {
				p.Tasks = append(p.Tasks, t)
			}
		}
	}
	for _, t := range ts {
		switch t.Status {
		case StatusOverdue:
			p.Overdue++
		case StatusPending:
			p.Pending++
		}
	}
	return mod.phone.Render(c, "m_tasks", p)
}

type scanPage struct {
	enterprise.Page
	Problem string
}

func (mod *Module) scan(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	return mod.phone.Render(c, "m_scan", scanPage{Page: enterprise.NewPage(c, "扫码排查", true)})
}

// code opens a unit from what was scanned or typed: the label's number, or
// the whole URL the QR code holds.
func (mod *Module) code(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	v := strings.TrimSpace(c.Query("code"))
	if i := strings.LastIndex(v, "/units/"); i >= 0 {
		id := v[i+len("/units/"):]
		if _, _, err := mod.svc.Unit(c.Context(), m.Company, id); err != nil {
			return mod.phone.Render(c.Status(fiber.StatusNotFound), "m_scan", scanPage{Page: enterprise.NewPage(c, "扫码排查", true),
				Problem: "该二维码不是本企业的风险分析单元"})
		}
		return c.Redirect(enterprise.PhonePrefix+"/units/"+id, fiber.StatusSeeOther)
	}
	no, err := strconv.ParseInt(strings.TrimLeft(v, "#"), 10, 64)
	if err != nil {
		return mod.phone.Render(c.Status(fiber.StatusUnprocessableEntity), "m_scan", scanPage{Page: enterprise.NewPage(c, "扫码排查", true),
			Problem: "请输入标签上的单元编号（数字）"})
	}
	id, err := mod.svc.UnitByNo(c.Context(), m.Company, no)
	if err != nil {
		return mod.phone.Render(c.Status(fiber.StatusNotFound), "m_scan", scanPage{Page: enterprise.NewPage(c, "扫码排查", true),
			Problem: fmt.Sprintf("编号 %d 不是本企业的风险分析单元", no)})
	}
	return c.Redirect(enterprise.PhonePrefix+"/units/"+id, fiber.StatusSeeOther)
}

type unitPhonePage struct {
	enterprise.Page
	Unit  Unit
	Tasks []Task
	Mine  map[string]bool
}

func (mod *Module) unitPhone(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	u, _, err := mod.svc.Unit(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	ts, err := mod.svc.Tasks(c.Context(), m.Company, TaskFilter{UnitID: u.ID})
	if err != nil {
		return err
	}
	p := unitPhonePage{Page: enterprise.NewPage(c, u.Name, true), Unit: u, Tasks: ts, Mine: map[string]bool{}}
	for _, t := range ts {
		p.Mine[t.ID] = m.HoldsPost(t.PostID) || m.Has(enterprise.Managers...)
	}
	return mod.phone.Render(c, "m_unit", p)
}

type checkFormPage struct {
	enterprise.Page
	Task      Task
	Statuses  []schemas.Code
	MaxPhotos int
	Problems  []Problem
	Message   string
	In        CheckInput
}

func (mod *Module) checkForm(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	t, err := mod.svc.Task(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	return mod.phone.Render(c, "m_check", checkFormPage{Page: enterprise.NewPage(c, "记录排查", true), Task: t,
		Statuses: schemas.CodesCheckStatus.Codes, MaxPhotos: mod.svc.cfg.MaxPhotos, In: CheckInput{Status: "0"}})
}

func (mod *Module) checkPost(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	level, _ := strconv.Atoi(c.FormValue("danger_level"))
	in := CheckInput{TaskID: c.FormValue("task_id"), ClientID: c.FormValue("client_id"), Status: c.FormValue("status"),
		Note: strings.TrimSpace(c.FormValue("note")), DangerName: strings.TrimSpace(c.FormValue("danger_name")),
		DangerDesc: strings.TrimSpace(c.FormValue("danger_desc")), DangerLevel: level}
	if t, err := time.Parse(time.RFC3339, c.FormValue("checked_at")); err == nil {
		in.CheckedAt = t
	}
	if form, err := c.MultipartForm(); err == nil {
		for _, fh := range form.File["photos"] {
			if fh.Size > int64(mod.svc.cfg.MaxPhotoBytes) {
				return chemguard.Errorf(chemguard.ETooLarge, "照片「%s」超过 %d MB", "photo %s is larger than %d MB", fh.Filename, mod.svc.cfg.MaxPhotoBytes>>20)
			}
			f, err := fh.Open()
			if err != nil {
				return fmt.Errorf("dualprevention: photo: %w", err)
			}
			data, err := io.ReadAll(io.LimitReader(f, int64(mod.svc.cfg.MaxPhotoBytes)+1))
			f.Close()
			if err != nil {
				return fmt.Errorf("dualprevention: photo: %w", err)
			}
			in.Photos = append(in.Photos, PhotoUpload{Data: data})
		}
	}
	wantsJSON := strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
	if in.ClientID == "" {
		in.ClientID = c.Get("X-Client-ID")
	}
	stored, err := mod.svc.RecordCheck(c.Context(), m, in)
	if err != nil {
		ps, msg, ok := problemsOf(err)
		if !ok || wantsJSON {
			return err
		}
		t, terr := mod.svc.Task(c.Context(), m.Company, in.TaskID)
		if terr != nil {
			return terr
		}
		in.Photos = nil
		c.Status(fiber.StatusUnprocessableEntity)
		return mod.phone.Render(c, "m_check", checkFormPage{Page: enterprise.NewPage(c, "记录排查", true), Task: t,
			Statuses: schemas.CodesCheckStatus.Codes, MaxPhotos: mod.svc.cfg.MaxPhotos, Problems: ps, Message: msg, In: in})
	}
	// A redirect on success: the foundation's offline queue turns it into
	// JSON for its replays and keeps it for a replay whose answer was lost.
	return c.Redirect(enterprise.PhonePrefix+"/dp/checks/"+stored.ID, fiber.StatusSeeOther)
}

type donePage struct {
	enterprise.Page
	Check Check
}

func (mod *Module) checkDone(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	var found *Check
	checks, _, err := mod.svc.Checks(c.Context(), m.Company, CheckFilter{CheckID: id, Limit: 1})
	if err != nil {
		return err
	}
	if len(checks) == 1 {
		found = &checks[0]
	}
	if found == nil {
		return notFound("排查记录", "check record")
	}
	return mod.phone.Render(c, "m_done", donePage{Page: enterprise.NewPage(c, "排查已记录", true), Check: *found})
}
