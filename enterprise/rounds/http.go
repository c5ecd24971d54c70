package rounds

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html
var pagesFS embed.FS

// Module is the 日常巡检 pages (enterprise.Module).
type Module struct {
	svc   *Service
	dir   enterprise.Directory
	audit audit.Recorder
	pc    *web.Templates
	phone *web.Templates
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"num": func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	"reading": func(p Patrol, id int64) *Reading {
		if r, ok := p.Readings[id]; ok {
			return &r
		}
		return nil
	},
	"dangerLink": func(r Reading) string {
		q := url.Values{"hazard_code": {r.Point.HazardCode}, "place": {r.Point.Name},
			"name": {fmt.Sprintf("%s%s超出正常范围", r.Point.Name, r.Point.Parameter)}}
		return enterprise.PhonePrefix + "/dangers/new?" + q.Encode()
	},
	"at": func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02 15:04") },
}

// New returns the rounds module; every change a member attempts is audited
// with rec.
func New(pool *pgxpool.Pool, dir enterprise.Directory, rec audit.Recorder, clock enterprise.Clock) (*Module, error) {
	pc, phone, err := enterprise.ModulePages(pagesFS, funcs,
		[]string{"routes", "route", "sheet"},
		[]string{"m_routes", "m_patrol", "m_done"})
	if err != nil {
		return nil, fmt.Errorf("rounds: %w", err)
	}
	return &Module{svc: NewService(pool, clock), dir: dir, audit: rec, pc: pc, phone: phone}, nil
}

// Service is the module's rules.
func (m *Module) Service() *Service { return m.svc }

// Spec is /rounds: 日常巡检 on the PC, 巡检 on the phone.
func (m *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/rounds", PC: []enterprise.NavItem{{Label: "日常巡检"}}, Phone: []enterprise.NavItem{{Label: "巡检"}}}
}

// Register mounts the routes.
func (m *Module) Register(pc, phone fiber.Router) {
	r := pc.Group("/rounds")
	r.Get("", m.routes)
	r.Post("", enterprise.WithMember(m.createRoute))
	// one route (巡检路线): its points, its printable sheet, its removal
	route := r.Group("/:id")
	route.Get("", m.route)
	route.Post("/points", enterprise.WithMember(m.addPoint))
	route.Post("/points/:pid/delete", enterprise.WithMember(m.deletePoint))
	route.Post("/delete", enterprise.WithMember(m.deleteRoute))
	route.Get("/sheet", m.sheet)
	route.Get("/sheet.xlsx", m.sheetXLSX)

	phone.Get("/rounds", enterprise.WithMember(m.phoneRoutes))
	phone.Get("/rounds/:id", m.phonePatrol)
	phone.Post("/rounds/:id", m.phoneRecord)
	phone.Get("/rounds/patrols/:pid", enterprise.WithMember(m.phoneDone))
}

// audited records what a member did (refusals included) and returns err.
func (m *Module) audited(c *fiber.Ctx, action, object string, err error) error {
	return enterprise.Audited(c, m.audit, "rounds_"+action, enterprise.AuditObject(c, "rounds", object), err)
}

// routeOf is the member of c and their company's route named by :id.
func (m *Module) routeOf(c *fiber.Ctx) (*enterprise.Member, Route, error) {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return nil, Route{}, err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return nil, Route{}, err
	}
	r, err := m.svc.Route(c.UserContext(), mem.Company, id)
	return mem, r, err
}

func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil {
		return 0, notFound()
	}
	return id, nil
}

func optFloat(field, label, s string) (*float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, invalid(field, "「"+label+"」须为数值，收到「"+s+"」", field+" must be a number, got "+strconv.Quote(s))
	}
	return &v, nil
}

type routesPage struct {
	enterprise.Page
	Routes      []Route
	Departments []enterprise.Department
	Manager     bool
	Error       string
}

func (m *Module) renderRoutes(c *fiber.Ctx, flash error) error {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	rs, err := m.svc.Routes(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	deps, err := m.dir.Departments(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	p := routesPage{Page: enterprise.NewPage(c, "日常巡检", false), Routes: rs, Departments: deps, Manager: mem.Has(enterprise.Managers...)}
	if flash != nil {
		status, msg := web.ErrorMessage(c, flash)
		p.Error = msg
		c.Status(status)
	}
	return m.pc.Render(c, "routes", p)
}

func (m *Module) routes(c *fiber.Ctx) error { return m.renderRoutes(c, nil) }

func shown(err error) bool {
	switch chemguard.ErrorCode(err) {
	case chemguard.EInvalid, chemguard.EConflict, chemguard.EForbidden:
		return true
	}
	return false
}

func (m *Module) createRoute(c *fiber.Ctx, mem *enterprise.Member) error {
	dep, _ := strconv.ParseInt(c.FormValue("department"), 10, 64)
	id, err := m.svc.CreateRoute(c.UserContext(), mem, c.FormValue("name"), dep)
	if err = m.audited(c, "create_route", strconv.FormatInt(id, 10), err); err != nil {
		if shown(err) {
			return m.renderRoutes(c, err)
		}
		return err
	}
	return c.Redirect(enterprise.Prefix+"/rounds/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

type routePage struct {
	enterprise.Page
	R       Route
	Manager bool
	Error   string
}

func (m *Module) renderRoute(c *fiber.Ctx, flash error) error {
	mem, r, err := m.routeOf(c)
	if err != nil {
		return err
	}
	p := routePage{Page: enterprise.NewPage(c, "巡检路线："+r.Name, false), R: r, Manager: mem.Has(enterprise.Managers...)}
	if flash != nil {
		status, msg := web.ErrorMessage(c, flash)
		p.Error = msg
		c.Status(status)
	}
	return m.pc.Render(c, "route", p)
}

func (m *Module) route(c *fiber.Ctx) error { return m.renderRoute(c, nil) }

func (m *Module) addPoint(c *fiber.Ctx, mem *enterprise.Member) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	in := PointInput{Name: c.FormValue("name"), Parameter: c.FormValue("parameter"), Unit: c.FormValue("unit"),
		HazardCode: c.FormValue("hazard_code")}
	if in.Min, err = optFloat("min", "正常范围下限", c.FormValue("min")); err == nil {
		if in.Max, err = optFloat("max", "正常范围上限", c.FormValue("max")); err == nil {
			err = m.svc.AddPoint(c.UserContext(), mem, id, in)
		}
	}
	if err = m.audited(c, "add_point", c.Params("id"), err); err != nil {
		if shown(err) {
			return m.renderRoute(c, err)
		}
		return err
	}
	return c.Redirect(enterprise.Prefix+"/rounds/"+c.Params("id"), fiber.StatusSeeOther)
}

func (m *Module) deletePoint(c *fiber.Ctx, mem *enterprise.Member) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	pid, err := idParam(c, "pid")
	if err != nil {
		return err
	}
	if err := m.audited(c, "delete_point", c.Params("id")+"/"+c.Params("pid"), m.svc.DeletePoint(c.UserContext(), mem, id, pid)); err != nil {
		return err
	}
	return c.Redirect(enterprise.Prefix+"/rounds/"+c.Params("id"), fiber.StatusSeeOther)
}

func (m *Module) deleteRoute(c *fiber.Ctx, mem *enterprise.Member) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := m.audited(c, "delete_route", c.Params("id"), m.svc.DeleteRoute(c.UserContext(), mem, id)); err != nil {
		return err
	}
	return c.Redirect(enterprise.Prefix+"/rounds", fiber.StatusSeeOther)
}

// sheetOf is the 巡检记录表 the query asks for: ?from=&to= days (default the
// last 7 days).
func (m *Module) sheetOf(c *fiber.Ctx) (Sheet, error) {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return Sheet{}, err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return Sheet{}, err
	}
	now := m.svc.clock().In(schemas.Shanghai)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schemas.Shanghai)
	from, to := today.AddDate(0, 0, -6), today
	for _, q := range []struct {
		key string
		dst *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := c.Query(q.key); s != "" {
			t, err := time.ParseInLocation(schemas.DateLayout, s, schemas.Shanghai)
			if err != nil {
				return Sheet{}, chemguard.Errorf(chemguard.EBadParam, "日期须为 yyyy-MM-dd，收到「%s」", "dates are yyyy-MM-dd, got %q", s)
			}
			*q.dst = t
		}
	}
	if to.Before(from) {
		return Sheet{}, chemguard.Errorf(chemguard.EBadParam, "截止日期不能早于起始日期", "the end date is before the start date")
	}
	return m.svc.Sheet(c.UserContext(), mem.Company, id, from, to.AddDate(0, 0, 1))
}

type sheetPage struct {
	enterprise.Page
	S        Sheet
	From, To string
	XLSXURL  string
}

func (m *Module) sheet(c *fiber.Ctx) error {
	sh, err := m.sheetOf(c)
	if err != nil {
		return err
	}
	from, to := sh.From.Format(schemas.DateLayout), sh.To.AddDate(0, 0, -1).Format(schemas.DateLayout)
	return m.pc.Render(c, "sheet", sheetPage{Page: enterprise.NewPage(c, "巡检记录表："+sh.Route.Name, false), S: sh,
		From: from, To: to, XLSXURL: enterprise.Prefix + "/rounds/" + c.Params("id") + "/sheet.xlsx?from=" + from + "&to=" + to})
}

// WriteSheet writes the 巡检记录表 as a workbook: one row per patrol, one column
// per point (参数 and range in the header), out-of-range values in red.
func WriteSheet(sh Sheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const name = "巡检记录表"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	red, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "C00000", Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FDE9E7"}}})
	if err != nil {
		return nil, err
	}
	title := []any{"巡检记录表 · " + sh.Route.Name + " · " + sh.From.Format(schemas.DateLayout) + " 至 " +
		sh.To.AddDate(0, 0, -1).Format(schemas.DateLayout)}
	if err := f.SetSheetRow(name, "A1", &title); err != nil {
		return nil, err
	}
	header := []any{"巡检时间", "巡检人"}
	for _, p := range sh.Points {
		header = append(header, fmt.Sprintf("%s %s（%s）", p.Name, p.Parameter, p.Range()))
	}
	header = append(header, "超出范围", "备注")
	if err := f.SetSheetRow(name, "A2", &header); err != nil {
		return nil, err
	}
	for i, pt := range sh.Patrols {
		row := []any{pt.RecordedAt.In(schemas.Shanghai).Format(schemas.DateTimeLayout), pt.UserName}
		for _, p := range sh.Points {
			if r, ok := pt.Readings[p.ID]; ok {
				row = append(row, r.Value)
			} else {
				row = append(row, "")
			}
		}
		row = append(row, len(pt.OutOfRange(sh.Points)), pt.Note)
		cell := "A" + strconv.Itoa(i+3)
		if err := f.SetSheetRow(name, cell, &row); err != nil {
			return nil, err
		}
		for j, p := range sh.Points {
			if r, ok := pt.Readings[p.ID]; ok && !r.In {
				c, _ := excelize.CoordinatesToCellName(j+3, i+3)
				if err := f.SetCellStyle(name, c, c, red); err != nil {
					return nil, err
				}
			}
		}
	}
	_ = f.SetColWidth(name, "A", "A", 20)
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (m *Module) sheetXLSX(c *fiber.Ctx) error {
	sh, err := m.sheetOf(c)
	if err != nil {
		return err
	}
	data, err := WriteSheet(sh)
	if err != nil {
		return fmt.Errorf("rounds: xlsx: %w", err)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="rounds.xlsx"; filename*=UTF-8''`+
		url.PathEscape("巡检记录表-"+sh.Route.Name+"-"+sh.From.Format("20060102")+".xlsx"))
	return c.Send(data)
}

// ---- phone ----

type phoneRoutesPage struct {
	enterprise.Page
	Routes []Route
}

func (m *Module) phoneRoutes(c *fiber.Ctx, mem *enterprise.Member) error {
	rs, err := m.svc.Routes(c.UserContext(), mem.Company)
	if err != nil {
		return err
	}
	return m.phone.Render(c, "m_routes", phoneRoutesPage{Page: enterprise.NewPage(c, "日常巡检", true), Routes: rs})
}

type patrolPage struct {
	enterprise.Page
	R        Route
	Values   map[string]string
	Error    string
	ClientID string
}

func (m *Module) phonePatrol(c *fiber.Ctx) error {
	_, r, err := m.routeOf(c)
	if err != nil {
		return err
	}
	return m.phone.Render(c, "m_patrol", patrolPage{Page: enterprise.NewPage(c, r.Name, true), R: r,
		Values: map[string]string{}, ClientID: newClientID()})
}

func (m *Module) phoneRecord(c *fiber.Ctx) error {
	mem, r, err := m.routeOf(c)
	if err != nil {
		return err
	}
	values, shownValues := map[int64]string{}, map[string]string{}
	for _, p := range r.Points {
		key := "point_" + strconv.FormatInt(p.ID, 10)
		values[p.ID] = c.FormValue(key)
		shownValues[key] = c.FormValue(key)
	}
	at, _ := time.Parse(time.RFC3339, c.FormValue("recorded_at"))
	pid, err := m.svc.Record(c.UserContext(), mem, r.ID, values, strings.TrimSpace(c.FormValue("note")), c.FormValue("client_id"), at)
	if err = m.audited(c, "patrol", c.Params("id"), err); err != nil {
		if wantsJSON(c) || !shown(err) {
			return err
		}
		_, msg := web.ErrorMessage(c, err)
		c.Status(web.HTTPStatus(err))
		return m.phone.Render(c, "m_patrol", patrolPage{Page: enterprise.NewPage(c, r.Name, true), R: r, Values: shownValues,
			Error: msg, ClientID: c.FormValue("client_id")})
	}
	url := enterprise.PhonePrefix + "/rounds/patrols/" + strconv.FormatInt(pid, 10)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": pid, "url": url})
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

type donePage struct {
	enterprise.Page
	P      Patrol
	Points []Point
	Out    []Reading
}

func (m *Module) phoneDone(c *fiber.Ctx, mem *enterprise.Member) error {
	id, err := idParam(c, "pid")
	if err != nil {
		return err
	}
	p, points, err := m.svc.Patrol(c.UserContext(), mem.Company, id)
	if err != nil {
		return err
	}
	return m.phone.Render(c, "m_done", donePage{Page: enterprise.NewPage(c, "巡检已记录", true), P: p, Points: points,
		Out: p.OutOfRange(points)})
}

func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
}

// Factory builds the module from the platform's foundation (an
// enterprise.ModuleFactory).
func Factory(f enterprise.Foundation) (enterprise.Module, error) {
	return New(f.Pool, f.Directory, f.Audit, f.Now)
}
