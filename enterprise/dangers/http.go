package dangers

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html partials/*.html
var embedded embed.FS

// pagesFS is the module's pages, each with the partials (a danger's fields,
// its loop steps, its history) appended: the shell parses one file per page,
// and the PC and phone pages share those parts.
var pagesFS = func() fstest.MapFS {
	out := fstest.MapFS{}
	partials, err := fs.ReadFile(embedded, "partials/steps.html")
	if err != nil {
		panic(err)
	}
	pages, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range pages {
		b, err := fs.ReadFile(embedded, name)
		if err != nil {
			panic(err)
		}
		out[name] = &fstest.MapFile{Data: append(append(b, '\n'), partials...), Mode: 0o444}
	}
	return out
}()

// Module is the hidden-danger ledger's pages (enterprise.Module).
type Module struct {
	svc   *Service
	pc    *web.Templates
	phone *web.Templates
}

// New returns the ledger module on deps; Service() gives its rules to the
// checks (enterprise.DangerRegistry) and its Sweep to the scheduler.
func New(deps Deps, cfg Config) (*Module, error) {
	svc, err := NewService(deps, cfg)
	if err != nil {
		return nil, err
	}
	pc, phone, err := enterprise.ModulePages(pagesFS, funcs,
		[]string{"list", "form", "detail", "import", "stats"},
		[]string{"m_new", "m_list", "m_detail"})
	if err != nil {
		return nil, fmt.Errorf("dangers: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone}, nil
}

// Service is the module's ledger.
func (m *Module) Service() *Service { return m.svc }

var _ enterprise.Module = (*Module)(nil)

// Spec is /dangers: 隐患清单 and 隐患统计 on the PC, 登记隐患, 我的整改 and 待我验收 on the phone.
func (m *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/dangers",
		PC: []enterprise.NavItem{{Label: "隐患清单"}, {Label: "隐患统计", Path: "stats", Roles: enterprise.Supervisors}},
		Phone: []enterprise.NavItem{
			{Label: "登记隐患", Path: "new"},
			{Label: "我的整改"},
			{Label: "待我验收", Path: "/accept"}, // the accepter's queue, across the ledger
		},
	}
}

// Register mounts the routes.
func (m *Module) Register(pc, phone fiber.Router) {
	enterprise.MountLedger(pc.Group("/dangers"), enterprise.Ledger{
		List: enterprise.WithMember(m.list), NewForm: m.newForm, Create: enterprise.WithMember(m.create), Detail: m.detail, EditForm: enterprise.WithMember(m.editForm), Edit: enterprise.WithMember(m.edit),
		Export: m.export, Template: m.template, ImportForm: m.importForm, Import: enterprise.WithMember(m.importFile), Stats: m.stats, StatsXLSX: m.statsXLSX,
	})
	m.workflow(pc.Group("/dangers/:id"))
	pc.Post("/dangers/:id/assign", enterprise.WithMember(m.assign))
	pc.Post("/dangers/:id/delete", enterprise.WithMember(m.remove))

	phone.Get("/accept", enterprise.WithMember(m.phoneAccept))
	d := phone.Group("/dangers")
	d.Get("", enterprise.WithMember(m.phoneMine))
	d.Get("/new", m.phoneNew)
	d.Post("", enterprise.WithMember(m.phoneCreate))
	d.Get("/:id", m.phoneDetail)
	m.workflow(d.Group("/:id"))
}

// workflow mounts a danger's steps that the PC and the phone share on r
// (/dangers/:id): rectify, accept or send back, and its photos.
func (m *Module) workflow(r fiber.Router) {
	r.Post("/rectify", enterprise.WithMember(m.rectify))
	r.Post("/accept", enterprise.WithMember(m.accept))
	r.Post("/return", enterprise.WithMember(m.sendBack))
	r.Get("/photos/:ref", enterprise.WithMember(m.photo))
}

func codeName(t *schemas.CodeTable, v string) string {
	if c, ok := t.Lookup(v); ok {
		return c.NameZH
	}
	return v
}

var funcs = template.FuncMap{
	"stateZH":  func(s State) string { return StateZH[s] },
	"levelZH":  func(l int) string { return codeName(schemas.CodesDangerLevel, strconv.Itoa(l)) },
	"typeZH":   func(t int) string { return codeName(schemas.CodesDangerType, strconv.Itoa(t)) },
	"srcZH":    func(s string) string { return codeName(schemas.CodesDangerSrc, s) },
	"manageZH": func(t int) string { return codeName(schemas.CodesManageType, strconv.Itoa(t)) },
	"actionZH": func(a string) string { return ActionZH[a] },
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateLayout)
	},
	"at": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format("2006-01-02 15:04")
	},
	"money": func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 2, 64)
	},
	"codes": func(name string) []schemas.Code {
		switch name {
		case "level":
			return schemas.CodesDangerLevel.Codes
		case "type":
			return schemas.CodesDangerType.Codes
		case "src":
			return schemas.CodesDangerSrc.Codes
		case "manage":
			return schemas.CodesManageType.Codes
		}
		return nil
	},
	"str": func(v any) string { return fmt.Sprint(v) },
	"add": func(a, b int) int { return a + b },
	"chart": func(cs []Count) struct {
		Bars   []Bar
		Height int
	} {
		bars, h := Chart(cs)
		return struct {
			Bars   []Bar
			Height int
		}{bars, h}
	},
}

// audited records what a member did to a danger (refusals included) in the
// platform's audit log, and returns err.
func (m *Module) audited(c *fiber.Ctx, action, id string, err error) error {
	return enterprise.Audited(c, m.svc.Audit, "danger_"+action, enterprise.AuditObject(c, "danger", id), err)
}

func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
}

// ---- forms ----

// formValues is a submitted form as strings, kept to fill the form again when
// it is refused.
type formValues map[string]string

func readForm(c *fiber.Ctx, names ...string) formValues {
	v := formValues{}
	for _, n := range names {
		v[n] = strings.TrimSpace(c.FormValue(n))
	}
	return v
}

var dangerFields = []string{"hazard_code", "risk_measure_id", "name", "description", "place", "level", "type", "source",
	"manage_type", "basis", "reason", "found_on", "department", "inspectors", "deadline", "liable_unit", "liable",
	"accept_unit", "acceptor", "rectification", "funds", "funds_source"}

func parseDay(field, label, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, invalid(field, "「%s」为必填项", "%s is required", label)
		}
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(schemas.DateLayout, s, schemas.Shanghai)
	if err != nil {
		return time.Time{}, invalid(field, "「%s」须为日期（yyyy-MM-dd），收到「%s」", "%s must be a date (yyyy-MM-dd), got %q", label, s)
	}
	return t, nil
}

// endOfDay is a deadline given as a day: the day's last second.
func endOfDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(24*time.Hour - time.Second)
}

func parseInt(field, label, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalid(field, "「%s」须选择，收到「%s」", "%s must be chosen, got %q", label, s)
	}
	return n, nil
}

func parseID(field, label, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalid(field, "「%s」无效", "%s is not valid", label)
	}
	return n, nil
}

func parseMoney(s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, invalid("funds", "「整改资金」须为金额（元），收到「%s」", "the funds must be an amount in yuan, got %q", s)
	}
	return &f, nil
}

func (v formValues) input() (Input, error) {
	var in Input
	var err error
	errs := func(e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return err != nil
	}
	in.HazardCode, in.RiskMeasureID, in.Name, in.Description = v["hazard_code"], v["risk_measure_id"], v["name"], v["description"]
	in.Place, in.Source, in.Basis, in.Reason, in.Inspectors = v["place"], v["source"], v["basis"], v["reason"], v["inspectors"]
	in.LiableUnit, in.AcceptUnit, in.Rectification, in.FundsSource = v["liable_unit"], v["accept_unit"], v["rectification"], v["funds_source"]
	var e error
	in.Level, e = parseInt("DANGER_LEVEL", "隐患等级", v["level"])
	errs(e)
	in.Type, e = parseInt("HAZARD_DANGER_TYPE", "隐患类型", v["type"])
	errs(e)
	in.ManageType, e = parseInt("DANGER_MANAGE_TYPE", "治理类型", v["manage_type"])
	errs(e)
	in.FoundOn, e = parseDay("found_on", "排查日期", v["found_on"], true)
	errs(e)
	var deadline time.Time
	deadline, e = parseDay("DANGER_MANAGE_DEADLINE", "整改期限", v["deadline"], false)
	errs(e)
	in.Deadline = endOfDay(deadline)
	in.DepartmentID, e = parseID("department", "实施部门", v["department"])
	errs(e)
	in.LiableID, e = parseID("liable", "整改责任人", v["liable"])
	errs(e)
	in.AcceptorID, e = parseID("acceptor", "评估验收人员", v["acceptor"])
	errs(e)
	in.Funds, e = parseMoney(v["funds"])
	errs(e)
	return in, err
}

func valuesOf(d *Danger) formValues {
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateLayout)
	}
	v := formValues{"hazard_code": d.HazardCode, "risk_measure_id": d.RiskMeasureID, "name": d.Name,
		"description": d.Description, "place": d.Place, "level": strconv.Itoa(d.Level), "type": strconv.Itoa(d.Type),
		"source": d.Source, "manage_type": strconv.Itoa(d.ManageType), "basis": d.Basis, "reason": d.Reason,
		"found_on": day(d.FoundOn), "department": id(d.DepartmentID), "inspectors": d.Inspectors,
		"deadline": day(d.Deadline), "liable_unit": d.LiableUnit, "liable": id(d.LiableID), "accept_unit": d.AcceptUnit,
		"acceptor": id(d.AcceptorID), "funds_source": d.FundsSource, "rectification": d.Rectification}
	if d.Funds != nil {
		v["funds"] = strconv.FormatFloat(*d.Funds, 'f', 2, 64)
	}
	return v
}

// storePhotos keeps the step's photos in the file store.
func (s *Service) storePhotos(c *fiber.Ctx) ([]string, error) {
	form, err := c.MultipartForm()
	if err != nil {
		if errors.Is(err, fiber.ErrUnprocessableEntity) || strings.Contains(err.Error(), "multipart") {
			return nil, nil // a form without files
		}
		return nil, nil
	}
	files := form.File["photos"]
	if len(files) > s.cfg.MaxPhotos {
		return nil, invalid("photos", "每一步最多 %d 张照片，收到 %d 张", "at most %d photos a step, got %d", s.cfg.MaxPhotos, len(files))
	}
	refs := []string{}
	for i, fh := range files {
		ref, err := s.storePhoto(i+1, fh)
		if err != nil {
			return nil, err
		}
		if ref != "" {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

func (s *Service) storePhoto(n int, fh *multipart.FileHeader) (string, error) {
	if fh.Size > int64(s.cfg.MaxPhotoBytes) {
		return "", chemguard.Errorf(chemguard.ETooLarge, "第 %d 张照片超过 %d MB", "photo %d is larger than %d MB", n, s.cfg.MaxPhotoBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("dangers: open photo: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(s.cfg.MaxPhotoBytes)+1))
	f.Close()
	if err != nil {
		return "", fmt.Errorf("dangers: read photo: %w", err)
	}
	if len(data) == 0 {
		return "", nil
	}
	if !strings.HasPrefix(http.DetectContentType(data), "image/") {
		return "", invalid("photos", "第 %d 个文件不是图片", "file %d is not an image", n)
	}
	ref, err := s.Files.Put(data)
	if err != nil {
		return "", &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "文件存储暂时不可用，请稍后重试",
			MessageEN: "the file store is unavailable; retry later", Err: err}
	}
	return ref, nil
}

// ---- PC pages ----

type listPage struct {
	enterprise.Page
	Rows        []Danger
	Q           url.Values
	Departments []enterprise.Department
	Now         time.Time
	Overdue     map[uuid.UUID]bool
	Manager     bool
	Synced      int
	ExportURL   string
}

func filterOf(q url.Values) Filter {
	dep, _ := strconv.ParseInt(q.Get("department"), 10, 64)
	return Filter{State: State(q.Get("state")), Level: q.Get("level"), Source: q.Get("source"), DepartmentID: dep,
		Overdue: q.Get("overdue") == "1", Deleted: q.Get("deleted") == "1", Query: q.Get("q")}
}

// filtered is the member's dangers as the query filters them, at now.
func (m *Module) filtered(c *fiber.Ctx) (mem *enterprise.Member, q url.Values, rows []Danger, now time.Time, err error) {
	if mem, err = enterprise.CurrentMember(c); err != nil {
		return
	}
	q, _ = url.ParseQuery(string(c.Request().URI().QueryString()))
	now = m.svc.Clock()
	rows, err = m.svc.List(c.UserContext(), mem.Company, filterOf(q), now)
	return
}

func (m *Module) list(c *fiber.Ctx, mem *enterprise.Member) error {
	synced, err := m.svc.Sync(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	_, q, rows, now, err := m.filtered(c)
	if err != nil {
		return err
	}
	deps, err := m.svc.Directory.Departments(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	p := listPage{Page: enterprise.NewPage(c, "隐患清单", false), Rows: rows, Q: q, Departments: deps, Now: now,
		Overdue: map[uuid.UUID]bool{}, Manager: mem.Has(enterprise.Managers...), Synced: synced,
		ExportURL: enterprise.Prefix + "/dangers/export.xlsx?" + q.Encode()}
	for i := range rows {
		p.Overdue[rows[i].ID] = rows[i].Overdue(now)
	}
	return m.pc.Render(c, "list", p)
}

type formPage struct {
	enterprise.Page
	V           formValues
	Error       string
	Action      string
	Edit        bool
	Departments []enterprise.Department
	People      []enterprise.Person
}

func (m *Module) renderForm(c *fiber.Ctx, title, action string, edit bool, v formValues, ferr error) error {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	deps, err := m.svc.Directory.Departments(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	ps, err := m.svc.Directory.People(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	p := formPage{Page: enterprise.NewPage(c, title, false), V: v, Action: action, Edit: edit, Departments: deps, People: ps}
	if ferr != nil {
		status, msg := web.ErrorMessage(c, ferr)
		p.Error = msg
		c.Status(status)
	}
	return m.pc.Render(c, "form", p)
}

func (m *Module) newForm(c *fiber.Ctx) error {
	now := m.svc.Clock().In(schemas.Shanghai)
	v := formValues{"found_on": now.Format(schemas.DateLayout), "level": "0", "manage_type": "1", "source": "1", "type": "1"}
	for _, k := range []string{"hazard_code", "risk_measure_id", "place", "name"} {
		if s := c.Query(k); s != "" {
			v[k] = s
		}
	}
	return m.renderForm(c, "新增隐患", enterprise.Prefix+"/dangers", false, v, nil)
}

// formError is a refusal the form shows again (bad input, a rule); anything
// else goes to the error handler.
func formError(err error) bool {
	code := chemguard.ErrorCode(err)
	return code == chemguard.EInvalid || code == chemguard.EConflict || code == chemguard.ETooLarge
}

func (m *Module) create(c *fiber.Ctx, mem *enterprise.Member) error {
	v := readForm(c, dangerFields...)
	in, err := v.input()
	var id string
	if err == nil {
		var photos []string
		if photos, err = m.svc.storePhotos(c); err == nil {
			id, err = m.svc.Register(c.UserContext(), mem, in, Step{Photos: photos}, "ledger")
		}
	}
	if err = m.audited(c, "register", id, err); err != nil {
		if formError(err) {
			return m.renderForm(c, "新增隐患", enterprise.Prefix+"/dangers", false, v, err)
		}
		return err
	}
	return c.Redirect(enterprise.Prefix+"/dangers/"+id+"?saved=1", fiber.StatusSeeOther)
}

func (m *Module) editForm(c *fiber.Ctx, mem *enterprise.Member) error {
	d, err := m.svc.Get(c.UserContext(), mem.Company, c.Params("id"))
	if err != nil {
		return err
	}
	if !canManage(mem, &d) {
		return forbidden("只有安全管理员、主要负责人或本部门负责人可以修改隐患", "only a manager or the department's head may edit the danger")
	}
	return m.renderForm(c, "修改隐患", enterprise.Prefix+"/dangers/"+d.ID.String(), true, valuesOf(&d), nil)
}

func (m *Module) edit(c *fiber.Ctx, mem *enterprise.Member) error {
	id := c.Params("id")
	// Another company's danger is not found before its form is read.
	if _, err := m.svc.Get(c.UserContext(), mem.Company, id); err != nil {
		return m.audited(c, "edit", id, err)
	}
	v := readForm(c, dangerFields...)
	in, err := v.input()
	if err == nil {
		err = m.svc.Edit(c.UserContext(), mem, id, in)
	}
	if err = m.audited(c, "edit", id, err); err != nil {
		if formError(err) {
			return m.renderForm(c, "修改隐患", enterprise.Prefix+"/dangers/"+id, true, v, err)
		}
		return err
	}
	return c.Redirect(enterprise.Prefix+"/dangers/"+id+"?saved=1", fiber.StatusSeeOther)
}

type detailPage struct {
	enterprise.Page
	D         Danger
	Events    []Event
	People    []enterprise.Person
	Now       time.Time
	Overdue   bool
	Manage    bool
	Rectify   bool
	Accept    bool
	Deletable bool
	Error     string
	Saved     bool
	Base      string // the pages' prefix (PC or phone)
}

func (m *Module) detailData(c *fiber.Ctx, phone bool, flash error) (detailPage, error) {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return detailPage{}, err
	}
	d, err := m.svc.Get(c.UserContext(), mem.Company, c.Params("id"))
	if err != nil {
		return detailPage{}, err
	}
	evs, err := m.svc.Events(c.UserContext(), mem.Company, d.ID)
	if err != nil {
		return detailPage{}, err
	}
	ps, err := m.svc.Directory.People(c.UserContext(), mem.Company)
	if err != nil {
		return detailPage{}, err
	}
	now := m.svc.Clock()
	base := enterprise.Prefix
	if phone {
		base = enterprise.PhonePrefix
	}
	p := detailPage{Page: enterprise.NewPage(c, "隐患："+d.Name, phone), D: d, Events: evs, People: ps, Now: now,
		Overdue: d.Overdue(now), Base: base, Saved: c.Query("saved") == "1"}
	if !d.Deleted() {
		p.Manage = canManage(mem, &d) && (d.State == Registered || d.State == Rectifying)
		p.Rectify = d.State == Rectifying && (d.LiableID == mem.UserID || canManage(mem, &d))
		p.Accept = d.State == Pending && canAccept(mem, &d)
		p.Deletable = mem.Has(enterprise.Managers...)
	}
	if flash != nil {
		status, msg := web.ErrorMessage(c, flash)
		p.Error = msg
		c.Status(status)
	}
	return p, nil
}

func (m *Module) detail(c *fiber.Ctx) error {
	p, err := m.detailData(c, false, nil)
	if err != nil {
		return err
	}
	return m.pc.Render(c, "detail", p)
}

// stepDone answers a loop step: JSON for the phone's offline queue, otherwise
// back to the danger's page; a refusal is shown on that page.
func (m *Module) stepDone(c *fiber.Ctx, err error) error {
	phone := strings.HasPrefix(c.Path(), enterprise.PhonePrefix+"/")
	if err != nil {
		if wantsJSON(c) || !formError(err) && chemguard.ErrorCode(err) != chemguard.EForbidden {
			return err
		}
		p, lerr := m.detailData(c, phone, err)
		if lerr != nil {
			return lerr
		}
		if phone {
			return m.phone.Render(c, "m_detail", p)
		}
		return m.pc.Render(c, "detail", p)
	}
	base := enterprise.Prefix
	if phone {
		base = enterprise.PhonePrefix
	}
	url := base + "/dangers/" + c.Params("id")
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": c.Params("id"), "url": url})
	}
	return c.Redirect(url+"?saved=1", fiber.StatusSeeOther)
}

func (m *Module) assign(c *fiber.Ctx, mem *enterprise.Member) error {
	if _, err := m.svc.Get(c.UserContext(), mem.Company, c.Params("id")); err != nil {
		return m.audited(c, "assign", c.Params("id"), err)
	}
	v := readForm(c, "liable", "deadline", "acceptor", "liable_unit", "accept_unit")
	var err error
	var a Assignment
	var deadline time.Time
	if a.LiableID, err = parseID("liable", "整改责任人", v["liable"]); err == nil {
		if deadline, err = parseDay("DANGER_MANAGE_DEADLINE", "整改期限", v["deadline"], true); err == nil {
			a.AcceptorID, err = parseID("acceptor", "评估验收人员", v["acceptor"])
		}
	}
	a.Deadline, a.LiableUnit, a.AcceptUnit = endOfDay(deadline), v["liable_unit"], v["accept_unit"]
	if err == nil {
		err = m.svc.Assign(c.UserContext(), mem, c.Params("id"), a)
	}
	return m.stepDone(c, m.audited(c, "assign", c.Params("id"), err))
}

func (m *Module) rectify(c *fiber.Ctx, mem *enterprise.Member) error {
	var err error
	v := readForm(c, "rectification", "funds", "funds_source", "completed_on", "client_id")
	r := Rectification{Done: v["rectification"], FundsSource: v["funds_source"]}
	if r.Funds, err = parseMoney(v["funds"]); err == nil {
		r.CompletedOn, err = parseDay("completed_on", "整改完成日期", v["completed_on"], false)
	}
	if err == nil {
		var photos []string
		if photos, err = m.svc.storePhotos(c); err == nil {
			err = m.svc.Rectify(c.UserContext(), mem, c.Params("id"), r, Step{Photos: photos, ClientID: v["client_id"]})
		}
	}
	return m.stepDone(c, m.audited(c, "rectify", c.Params("id"), err))
}

func (m *Module) accept(c *fiber.Ctx, mem *enterprise.Member) error {
	v := readForm(c, "comment", "client_id")
	photos, err := m.svc.storePhotos(c)
	if err == nil {
		err = m.svc.Accept(c.UserContext(), mem, c.Params("id"), v["comment"], Step{Photos: photos, ClientID: v["client_id"]})
	}
	return m.stepDone(c, m.audited(c, "accept", c.Params("id"), err))
}

func (m *Module) sendBack(c *fiber.Ctx, mem *enterprise.Member) error {
	v := readForm(c, "reason", "client_id")
	photos, err := m.svc.storePhotos(c)
	if err == nil {
		err = m.svc.Return(c.UserContext(), mem, c.Params("id"), v["reason"], Step{Photos: photos, ClientID: v["client_id"]})
	}
	return m.stepDone(c, m.audited(c, "return", c.Params("id"), err))
}

func (m *Module) remove(c *fiber.Ctx, mem *enterprise.Member) error {
	err := m.svc.Delete(c.UserContext(), mem, c.Params("id"), strings.TrimSpace(c.FormValue("reason")))
	if err = m.audited(c, "delete", c.Params("id"), err); err != nil {
		return m.stepDone(c, err)
	}
	return c.Redirect(enterprise.Prefix+"/dangers?deleted=1", fiber.StatusSeeOther)
}

func (m *Module) photo(c *fiber.Ctx, mem *enterprise.Member) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return notFound(c.Params("id"))
	}
	ref := c.Params("ref")
	ok, err := m.svc.HasPhoto(c.UserContext(), mem.Company, id, ref)
	if err != nil {
		return err
	}
	if !ok {
		return chemguard.Errorf(chemguard.ENotFound, "未找到该照片", "no such photo")
	}
	data, err := m.svc.Files.Get(ref)
	if err != nil {
		return chemguard.Errorf(chemguard.ENotFound, "未找到该照片", "no such photo")
	}
	c.Set(fiber.HeaderContentType, http.DetectContentType(data))
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return c.Send(data)
}

// ---- phone pages ----

type phoneNewPage struct {
	enterprise.Page
	V        formValues
	Error    string
	ClientID string
}

// phoneNew is the phone's 登记隐患 form. The check pages open it from a unit
// with ?hazard_code=…&risk_measure_id=…&place=… so the danger is bound to the
// unit's 危险源 and measure without typing.
func (m *Module) phoneNew(c *fiber.Ctx) error {
	now := m.svc.Clock().In(schemas.Shanghai)
	v := formValues{"found_on": now.Format(schemas.DateLayout), "level": "0", "manage_type": "1", "type": "1", "source": "1"}
	for _, k := range []string{"hazard_code", "risk_measure_id", "place", "name"} {
		if s := c.Query(k); s != "" {
			v[k] = s
		}
	}
	return m.phone.Render(c, "m_new", phoneNewPage{Page: enterprise.NewPage(c, "登记隐患", true), V: v, ClientID: uuid.NewString()})
}

func (m *Module) phoneCreate(c *fiber.Ctx, mem *enterprise.Member) error {
	v := readForm(c, append([]string{"client_id", "recorded_at"}, dangerFields...)...)
	if v["found_on"] == "" {
		v["found_on"] = m.svc.Clock().In(schemas.Shanghai).Format(schemas.DateLayout)
	}
	if v["source"] == "" {
		v["source"] = "1"
	}
	in, err := v.input()
	var id string
	if err == nil {
		var photos []string
		if photos, err = m.svc.storePhotos(c); err == nil {
			at, _ := time.Parse(time.RFC3339, v["recorded_at"])
			id, err = m.svc.Register(c.UserContext(), mem, in, Step{Photos: photos, ClientID: v["client_id"], At: at}, "phone")
		}
	}
	if err = m.audited(c, "register", id, err); err != nil {
		if wantsJSON(c) || !formError(err) {
			return err
		}
		_, msg := web.ErrorMessage(c, err)
		c.Status(web.HTTPStatus(err))
		return m.phone.Render(c, "m_new", phoneNewPage{Page: enterprise.NewPage(c, "登记隐患", true), V: v, Error: msg, ClientID: uuid.NewString()})
	}
	url := enterprise.PhonePrefix + "/dangers/" + id
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": id, "client_id": v["client_id"], "url": url})
	}
	return c.Redirect(url+"?saved=1", fiber.StatusSeeOther)
}

type phoneListPage struct {
	enterprise.Page
	Rows    []Danger
	Now     time.Time
	Empty   string
	Overdue map[uuid.UUID]bool
}

func (m *Module) phoneList(c *fiber.Ctx, title, empty string, f Filter) error {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if _, err := m.svc.Sync(c.UserContext(), mem.Company); err != nil {
		return err
	}
	now := m.svc.Clock()
	rows, err := m.svc.List(c.UserContext(), mem.Company, f, now)
	if err != nil {
		return err
	}
	p := phoneListPage{Page: enterprise.NewPage(c, title, true), Rows: rows, Now: now, Empty: empty, Overdue: map[uuid.UUID]bool{}}
	for i := range rows {
		p.Overdue[rows[i].ID] = rows[i].Overdue(now)
	}
	return m.phone.Render(c, "m_list", p)
}

func (m *Module) phoneMine(c *fiber.Ctx, mem *enterprise.Member) error {
	return m.phoneList(c, "我的整改", "没有需要您整改的隐患", Filter{Mine: mem.UserID, State: Rectifying})
}

func (m *Module) phoneAccept(c *fiber.Ctx, mem *enterprise.Member) error {
	return m.phoneList(c, "待我验收", "没有等待您验收的隐患", Filter{Acceptor: mem.UserID, Manager: mem.Has(enterprise.Managers...)})
}

func (m *Module) phoneDetail(c *fiber.Ctx) error {
	p, err := m.detailData(c, true, nil)
	if err != nil {
		return err
	}
	return m.phone.Render(c, "m_detail", p)
}
