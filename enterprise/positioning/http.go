package positioning

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
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
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// APIPath is where the plant's positioning gateway posts its fixes.
const APIPath = "/api/v1/positioning/fixes"

// Module is the 人员定位 module of the base system (enterprise.Module).
type Module struct {
	svc   *Service
	pc    *web.Templates
	phone *web.Templates
	// nonces remembers the gateways' signed requests: a replayed batch of
	// fixes is refused.
	nonces signing.NonceStore
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"kind":       KindName,
	"personKind": PersonKindName,
	"alarmName":  AlarmName,
	"hm": func(m int) string {
		return fmt.Sprintf("%02d:%02d", m/60, m%60)
	},
	"minutes":      func(d time.Duration) int { return int(d.Minutes()) },
	"speedDefault": func() float64 { return DefaultSpeedLimit },
	"when":         fmtTime,
	"local":        func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02T15:04") },
}

// New returns the module on svc.
func New(svc *Service) (*Module, error) {
	pc, err := enterprise.Pages(templateFS, funcs, "index", "setup", "people", "person", "alarms", "alarm")
	if err != nil {
		return nil, fmt.Errorf("positioning: %w", err)
	}
	phone, err := enterprise.PhonePages(templateFS, funcs, "m_index", "m_alarm")
	if err != nil {
		return nil, fmt.Errorf("positioning: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone, nonces: signing.NewPGNonces(svc.pool, svc.cfg.Now)}, nil
}

// Factory builds the module from the base system's foundation. started, when
// not nil, is handed the service so that the platform runs its sweep
// (Service.Run).
func Factory(cfg Config, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc, err := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, f.Files)
		if err != nil {
			return nil, nil, err
		}
		mod, err := New(svc)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/positioning", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "人员定位"},
			{Label: "定位报警与统计", Path: "alarms"},
			{Label: "人员与定位卡", Path: "people", Roles: enterprise.Managers},
			{Label: "地图与电子围栏", Path: "setup", Roles: enterprise.Managers},
		},
		Phone: []enterprise.NavItem{{Label: "人员定位"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/positioning", mod.index)
	pc.Get("/positioning/live.json", mod.liveJSON)
	pc.Get("/positioning/live", mod.liveStream)
	pc.Get("/positioning/floors/:floor/plan", mod.plan)
	pc.Get("/positioning/setup", mod.setup)
	pc.Post("/positioning/floors", mod.setupAction(mod.saveFloor))
	pc.Post("/positioning/fences", mod.setupAction(mod.saveFence))
	pc.Post("/positioning/fences/:id/delete", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemoveFence(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Post("/positioning/fences/:id/suspend", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.SuspendFence(c.Context(), m, paramInt(c, "id"), c.FormValue("suspended") == "1")
	}))
	pc.Post("/positioning/suspend", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Suspend(c.Context(), m, c.FormValue("suspended") == "1", c.FormValue("reason"))
	}))
	pc.Post("/positioning/speed-limit", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		kmh, err := formFloat(c, "speed_limit", "厂内限速", "speed limit")
		if err != nil {
			return err
		}
		return mod.svc.SetSpeedLimit(c.Context(), m, kmh)
	}))
	pc.Post("/positioning/gateways", mod.issueGateway)
	pc.Post("/positioning/gateways/:id/revoke", mod.setupAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RevokeGateway(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Get("/positioning/people", mod.people)
	pc.Post("/positioning/people", mod.peopleAction(mod.addPerson))
	pc.Get("/positioning/people/template.xlsx", mod.peopleTemplate)
	pc.Post("/positioning/people/import", mod.importPeople)
	pc.Post("/positioning/people/:id/delete", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemovePerson(c.Context(), m, paramInt(c, "id"))
	}))
	pc.Post("/positioning/people/:id/bind", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Bind(c.Context(), m, paramInt(c, "id"), c.FormValue("card_no"))
	}))
	pc.Post("/positioning/people/:id/post", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.SetPost(c.Context(), m, paramInt(c, "id"), form.Int(c, "fence"))
	}))
	pc.Post("/positioning/tags/unbind", mod.peopleAction(func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.Unbind(c.Context(), m, c.FormValue("card_no"))
	}))
	pc.Get("/positioning/people/:id", mod.person)
	pc.Get("/positioning/people/:id/track.json", mod.trackJSON)
	pc.Get("/positioning/alarms", mod.alarms)
	pc.Get("/positioning/alarms.xlsx", mod.alarmsXLSX)
	pc.Get("/positioning/alarms/:id", mod.alarm)
	pc.Post("/positioning/alarms/:id/handle", mod.alarmAction(mod.handleAlarm))
	pc.Post("/positioning/alarms/:id/confirm", mod.alarmAction(mod.confirmAlarm))
	pc.Post("/positioning/evacuate", mod.evacuate)
	mod.registerPhone(phone)
}

// RegisterIntake mounts the gateway's batch API on the platform's router,
// outside the member guard: the gateway signs each request with its
// credential (the exchange API's HMAC scheme, always required here).
func (mod *Module) RegisterIntake(r fiber.Router) {
	r.Post(APIPath, signing.Middleware(signing.Config{Required: true, Nonces: mod.nonces, Secrets: mod.svc, Now: mod.svc.cfg.Now}), mod.fixes)
}

func (mod *Module) fixes(c *fiber.Ctx) error {
	key, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	company, _, err := mod.svc.SigningSecret(c.UserContext(), strings.TrimSpace(key))
	if err != nil {
		return err
	}
	received := time.Now()
	res, err := mod.svc.Ingest(c.UserContext(), company, c.Body())
	mod.svc.cfg.Metrics.Observe(TransportHTTP, res, err, received)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if res.Accepted == 0 {
		status = fiber.StatusUnprocessableEntity
	}
	if res.Errors == nil {
		res.Errors = []validate.FieldError{}
	}
	return c.Status(status).JSON(res)
}

func paramInt(c *fiber.Ctx, key string) int64 {
	n, _ := strconv.ParseInt(c.Params(key), 10, 64)
	return n
}

func formFloat(c *fiber.Ctx, key, field, en string) (float64, error) {
	v := strings.TrimSpace(c.FormValue(key))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, invalid(field, "应为数字", en+" must be a number")
	}
	return f, nil
}

// shown reports whether err is the member's to see on the form (bad input, a
// conflict) rather than the error page's.
func shown(err error) (*chemguard.Error, bool) {
	var e *chemguard.Error
	if errors.As(err, &e) && (e.Code == chemguard.EInvalid || e.Code == chemguard.EConflict) {
		return e, true
	}
	return nil, false
}

// ---- live map ----

type indexPage struct {
	enterprise.Page
	Floors  []Floor
	Fences  []Fence
	Manager bool
	Alarm   string
}

func (mod *Module) index(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	floors, err := mod.svc.Floors(c.Context(), m.Company)
	if err != nil {
		return err
	}
	fs, err := mod.svc.Fences(c.Context(), m.Company)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "index", indexPage{Page: enterprise.NewPage(c, "人员定位", false), Floors: floors, Fences: fs,
		Manager: manager(m), Alarm: c.Query("alarm")})
}

func (mod *Module) liveJSON(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	live, err := mod.svc.Live(c.Context(), m.Company)
	if err != nil {
		return err
	}
	return c.JSON(live)
}

// liveStream pushes the live picture after every change: a fix, an alarm, its
// handling. The stream ends after two minutes (the browser reconnects and the
// session is checked in full again) and as soon as the member's account is
// disabled.
func (mod *Module) liveStream(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	// Only an EventSource (which always asks for text/event-stream) gets the
	// endless stream; anything else is told so at once instead of hanging.
	if !strings.Contains(c.Get(fiber.HeaderAccept), "text/event-stream") {
		return c.Status(fiber.StatusNotAcceptable).SendString("实时位置为事件流（text/event-stream），请用页面打开 / this is an event stream: request it with Accept: text/event-stream")
	}
	company, user := m.Company, m.UserID
	changes, cancel := mod.svc.live.subscribe(company)
	mod.svc.live.kick(changes)
	check := func() error {
		ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		people, err := mod.svc.dir.People(ctx, company)
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.UserID == user {
				return nil
			}
		}
		return errors.New("positioning: member no longer active")
	}
	web.Push(c, web.Stream{Retry: 2 * time.Second, Heartbeat: 15 * time.Second, MaxAge: 2 * time.Minute, Recheck: 30 * time.Second, Check: check},
		changes, func(w io.Writer, _ struct{}) error {
			ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			live, err := mod.svc.Live(ctx, company)
			if err != nil {
				return err
			}
			b, err := json.Marshal(live)
			if err != nil {
				return err
			}
			web.WriteEvent(w, "", "live", b)
			return nil
		}, cancel)
	return nil
}

func (mod *Module) plan(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	data, typ, err := mod.svc.FloorImage(c.Context(), m.Company, c.Params("floor"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, typ)
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	return c.Send(data)
}

// ---- setup: floors, fences, suspension, gateways ----

type setupPage struct {
	enterprise.Page
	Floors     []Floor
	Fences     []Fence
	Gateways   []Gateway
	Suspension Suspension
	Floor      string
	Credential *Credential
	Problem    *chemguard.Error
	Flash      string
	APIPath    string
}

func (mod *Module) setup(c *fiber.Ctx) error { return mod.renderSetup(c, nil, nil) }

func (mod *Module) renderSetup(c *fiber.Ctx, problem *chemguard.Error, cred *Credential) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if err := requireManager(m); err != nil {
		return err
	}
	p := setupPage{Page: enterprise.NewPage(c, "地图与电子围栏", false), Problem: problem, Credential: cred, Flash: c.Query("flash"),
		Suspension: mod.svc.Suspended(c.Context(), m.Company), Floor: c.Query("floor"), APIPath: APIPath}
	if p.Floors, err = mod.svc.Floors(c.Context(), m.Company); err != nil {
		return err
	}
	if p.Fences, err = mod.svc.Fences(c.Context(), m.Company); err != nil {
		return err
	}
	if p.Gateways, err = mod.svc.Gateways(c.Context(), m.Company); err != nil {
		return err
	}
	if p.Floor == "" && len(p.Floors) > 0 {
		p.Floor = p.Floors[0].Floor
	}
	return mod.pc.Render(c, "setup", p)
}

func (mod *Module) setupAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderSetup(c, e, nil) }, func(c *fiber.Ctx) string {
		return enterprise.Prefix + "/positioning/setup?flash=" + url.QueryEscape("已保存") + "&floor=" + url.QueryEscape(c.FormValue("floor"))
	})
}

func (mod *Module) saveFloor(c *fiber.Ctx, m *enterprise.Member) error {
	w, err := formFloat(c, "width", "平面图宽度", "width")
	if err != nil {
		return err
	}
	h, err := formFloat(c, "height", "平面图高度", "height")
	if err != nil {
		return err
	}
	var image []byte
	if fh, err := c.FormFile("plan"); err == nil && fh.Size > 0 {
		if fh.Size > 10<<20 {
			return invalid("平面图", "不超过 10 MB", "the plan image must be at most 10 MB")
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("positioning: plan: %w", err)
		}
		defer f.Close()
		if image, err = io.ReadAll(f); err != nil {
			return fmt.Errorf("positioning: plan: %w", err)
		}
	}
	return mod.svc.SetFloor(c.Context(), m, Floor{Floor: c.FormValue("floor"), Name: c.FormValue("name"), Width: w, Height: h}, image)
}

// parsePoints reads the polygon the map's clicks put in the form: "x,y;x,y;…".
func parsePoints(s string) (Polygon, error) {
	var out Polygon
	for _, pair := range strings.Split(strings.TrimSpace(s), ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		xs, ys, ok := strings.Cut(pair, ",")
		x, errX := strconv.ParseFloat(strings.TrimSpace(xs), 64)
		y, errY := strconv.ParseFloat(strings.TrimSpace(ys), 64)
		if !ok || errX != nil || errY != nil {
			return nil, invalid("围栏范围", "坐标格式应为 x,y;x,y;…（米）", "points must be x,y;x,y;… in metres")
		}
		out = append(out, Point{X: x, Y: y})
	}
	return out, nil
}

func (mod *Module) saveFence(c *fiber.Ctx, m *enterprise.Member) error {
	poly, err := parsePoints(c.FormValue("points"))
	if err != nil {
		return err
	}
	from, err := parseHM(c.FormValue("active_from"))
	if err != nil {
		return err
	}
	to, err := parseHM(c.FormValue("active_to"))
	if err != nil {
		return err
	}
	if to == 0 {
		to = 1440
	}
	f := Fence{ID: form.Int(c, "id"), Name: c.FormValue("name"), Floor: c.FormValue("floor"), Kind: c.FormValue("kind"), Polygon: poly,
		MaxPeople: int(form.Int(c, "max_people")), MinPeople: int(form.Int(c, "min_people")),
		MaxStay: time.Duration(form.Int(c, "max_stay_min")) * time.Minute, StillFor: time.Duration(form.Int(c, "still_min")) * time.Minute,
		ActiveFrom: from, ActiveTo: to}
	if f.SpeedLimit, err = formFloat(c, "speed_limit", "车辆限速", "speed limit"); err != nil {
		return err
	}
	_, err = mod.svc.SaveFence(c.Context(), m, f)
	return err
}

func (mod *Module) issueGateway(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	cred, err := mod.svc.IssueGateway(c.Context(), m, c.FormValue("name"))
	if err != nil {
		if e, ok := shown(err); ok {
			c.Status(web.HTTPStatus(err))
			return mod.renderSetup(c, e, nil)
		}
		return err
	}
	// Shown once, on this answer only: the page is not cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return mod.renderSetup(c, nil, &cred)
}

// ---- people and tags ----

type peoplePage struct {
	enterprise.Page
	People    []Carrier
	Members   []enterprise.Person
	Workers   []Worker
	Posts     []Fence
	History   []Binding
	Kinds     []string
	Problem   *chemguard.Error
	Flash     string
	Positions map[int64]bool
	Import    *ImportReport
}

func (mod *Module) people(c *fiber.Ctx) error { return mod.renderPeople(c, nil) }

func (mod *Module) peopleTemplate(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := PeopleTemplate(&buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="positioning-people-template.xlsx"; filename*=UTF-8''`+url.PathEscape("人员与定位卡导入模板.xlsx"))
	return c.Send(buf.Bytes())
}

// importPeople registers the uploaded workbook's rows and shows the people
// page with the report: how many were added and bound, and each refused row.
func (mod *Module) importPeople(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		c.Status(fiber.StatusUnprocessableEntity)
		return mod.renderPeople(c, invalid("文件", "请选择要导入的 Excel 文件", "choose the .xlsx file to import").(*chemguard.Error))
	}
	if fh.Size > 10<<20 {
		c.Status(fiber.StatusUnprocessableEntity)
		return mod.renderPeople(c, invalid("文件", "不超过 10 MB", "the file must be at most 10 MB").(*chemguard.Error))
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("positioning: import: %w", err)
	}
	defer f.Close()
	rep, err := mod.svc.ImportPeople(c.Context(), m, f)
	if err != nil {
		if e, ok := shown(err); ok {
			c.Status(fiber.StatusUnprocessableEntity)
			return mod.renderPeople(c, e)
		}
		return err
	}
	if len(rep.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return mod.renderPeopleWith(c, nil, &rep)
}

func (mod *Module) renderPeople(c *fiber.Ctx, problem *chemguard.Error) error {
	return mod.renderPeopleWith(c, problem, nil)
}

func (mod *Module) renderPeopleWith(c *fiber.Ctx, problem *chemguard.Error, imported *ImportReport) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if err := requireManager(m); err != nil {
		return err
	}
	p := peoplePage{Page: enterprise.NewPage(c, "人员与定位卡", false), Problem: problem, Flash: c.Query("flash"), Kinds: PersonKinds, Import: imported}
	ctx := c.Context()
	if p.People, err = mod.svc.People(ctx, m.Company); err != nil {
		return err
	}
	if p.Members, err = mod.svc.dir.People(ctx, m.Company); err != nil {
		return err
	}
	if p.Workers, err = mod.svc.Workers(ctx, m.Company); err != nil {
		return err
	}
	fs, err := mod.svc.Fences(ctx, m.Company)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Kind == KindPost {
			p.Posts = append(p.Posts, f)
		}
	}
	if p.History, err = mod.svc.TagHistory(ctx, m.Company); err != nil {
		return err
	}
	return mod.pc.Render(c, "people", p)
}

func (mod *Module) peopleAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, mod.renderPeople, func(*fiber.Ctx) string {
		return enterprise.Prefix + "/positioning/people?flash=" + url.QueryEscape("已保存")
	})
}

func (mod *Module) addPerson(c *fiber.Ctx, m *enterprise.Member) error {
	id, err := mod.svc.AddPerson(c.Context(), m, Carrier{Kind: c.FormValue("kind"), UserID: form.Int(c, "user"), WorkerID: form.Int(c, "worker"),
		Name: c.FormValue("name"), Unit: c.FormValue("unit"), Age: int(form.Int(c, "age")), Trade: c.FormValue("trade"), Training: c.FormValue("training")})
	if err != nil {
		return err
	}
	if card := strings.TrimSpace(c.FormValue("card_no")); card != "" {
		return mod.svc.Bind(c.Context(), m, id, card)
	}
	return nil
}

type personPage struct {
	enterprise.Page
	Person   Carrier
	Floors   []Floor
	From, To time.Time
}

func (mod *Module) findPerson(c *fiber.Ctx) (*enterprise.Member, Carrier, error) {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return nil, Carrier{}, err
	}
	people, err := mod.svc.People(c.Context(), m.Company)
	if err != nil {
		return nil, Carrier{}, err
	}
	id := paramInt(c, "id")
	for _, p := range people {
		if p.ID == id {
			return m, p, nil
		}
	}
	return nil, Carrier{}, notFound("人员", "person")
}

func (mod *Module) person(c *fiber.Ctx) error {
	m, p, err := mod.findPerson(c)
	if err != nil {
		return err
	}
	floors, err := mod.svc.Floors(c.Context(), m.Company)
	if err != nil {
		return err
	}
	from, to := trackRange(c, mod.svc.cfg.Now())
	return mod.pc.Render(c, "person", personPage{Page: enterprise.NewPage(c, "人员详情与历史轨迹："+p.Name, false), Person: p, Floors: floors, From: from, To: to})
}

// trackRange is the replay's period from the query (datetime-local, Asia/
// Shanghai), by default the last 24 hours.
func trackRange(c *fiber.Ctx, now time.Time) (time.Time, time.Time) {
	to, err := time.ParseInLocation("2006-01-02T15:04", c.Query("to"), schemas.Shanghai)
	if err != nil {
		to = now
	}
	from, err := time.ParseInLocation("2006-01-02T15:04", c.Query("from"), schemas.Shanghai)
	if err != nil {
		from = to.Add(-24 * time.Hour)
	}
	return from, to
}

func (mod *Module) trackJSON(c *fiber.Ctx) error {
	m, p, err := mod.findPerson(c)
	if err != nil {
		return err
	}
	from, to := trackRange(c, mod.svc.cfg.Now())
	pts, err := mod.svc.Track(c.Context(), m.Company, p.ID, from, to)
	if err != nil {
		return err
	}
	if pts == nil {
		pts = []TrackPoint{}
	}
	return c.JSON(pts)
}

// ---- alarms ----

type alarmsPage struct {
	enterprise.Page
	Alarms   []Alarm
	Stats    Stats
	From, To string
	Type     string
	Types    []string
	Problem  *chemguard.Error
	Flash    string
	Manager  bool
}

// dayRange reads the from/to dates of a statistics page; the last 30 days by default.
func dayRange(c *fiber.Ctx, now time.Time) (time.Time, time.Time, string, string) {
	day := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation(schemas.DateLayout, s, schemas.Shanghai)
		return t, err == nil
	}
	today := now.In(schemas.Shanghai)
	to, ok := day(c.Query("to"))
	if !ok {
		to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, schemas.Shanghai)
	}
	from, ok := day(c.Query("from"))
	if !ok {
		from = to.AddDate(0, 0, -29)
	}
	return from, to.AddDate(0, 0, 1), from.Format(schemas.DateLayout), to.Format(schemas.DateLayout)
}

func (mod *Module) alarms(c *fiber.Ctx) error { return mod.renderAlarms(c, nil) }

func (mod *Module) renderAlarms(c *fiber.Ctx, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := dayRange(c, mod.svc.cfg.Now())
	p := alarmsPage{Page: enterprise.NewPage(c, "定位报警与统计", false), From: fs, To: ts, Type: c.Query("type"), Problem: problem,
		Flash: c.Query("flash"), Manager: m.Has(enterprise.Supervisors...),
		Types: []string{AlarmSOS, AlarmStay, AlarmBoundary, AlarmOvercrowd, AlarmShortage, AlarmStill, AlarmSpeeding, AlarmGuardLeft, AlarmIntruder}}
	if p.Alarms, err = mod.svc.Alarms(c.Context(), m.Company, AlarmFilter{From: from, To: to, Type: p.Type}); err != nil {
		return err
	}
	p.Stats = Statistics(p.Alarms)
	return mod.pc.Render(c, "alarms", p)
}

func (mod *Module) alarmsXLSX(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := dayRange(c, mod.svc.cfg.Now())
	alarms, err := mod.svc.Alarms(c.Context(), m.Company, AlarmFilter{From: from, To: to, Type: c.Query("type")})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := AlarmsExcel(alarms, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="positioning-alarms-%s-%s.xlsx"`, fs, ts))
	return c.Send(buf.Bytes())
}

type alarmPage struct {
	enterprise.Page
	Alarm    Alarm
	Cameras  []Camera
	Inside   []LivePerson
	Problem  *chemguard.Error
	Flash    string
	Manager  bool
	Confirm  bool
	Evacuate *Evacuation
}

func (mod *Module) alarm(c *fiber.Ctx) error {
	return mod.renderAlarm(c, c.Params("id"), nil, nil, false)
}

// renderAlarm shows one of the company's alarms (another company's is not
// found) on the PC or the phone: what happened where, the cameras of the
// area, who is inside it now, and the handling or confirming the member may do.
func (mod *Module) renderAlarm(c *fiber.Ctx, id string, problem *chemguard.Error, ev *Evacuation, phone bool) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	a, err := mod.svc.Alarm(c.Context(), m.Company, id)
	if err != nil {
		return err
	}
	p := alarmPage{Page: enterprise.NewPage(c, AlarmName(a.Type)+"："+a.Location, phone), Alarm: a, Problem: problem, Flash: c.Query("flash"),
		Manager: manager(m), Confirm: m.Has(enterprise.Supervisors...), Evacuate: ev}
	if p.Cameras, err = mod.svc.Cameras(c.Context(), m.Company, a.Location, a.RaisedAt); err != nil {
		return err
	}
	live, err := mod.svc.Live(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p.Inside = inside(live, a.FenceID)
	if phone {
		return mod.phone.Render(c, "m_alarm", p)
	}
	return mod.pc.Render(c, "alarm", p)
}

func (mod *Module) handleAlarm(c *fiber.Ctx, m *enterprise.Member) error {
	return mod.svc.Handle(c.Context(), m, c.Params("id"), c.FormValue("handle_info"))
}

func (mod *Module) confirmAlarm(c *fiber.Ctx, m *enterprise.Member) error {
	return mod.svc.Confirm(c.Context(), m, c.Params("id"))
}

func (mod *Module) alarmAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderAlarm(c, c.Params("id"), e, nil, false) }, func(c *fiber.Ctx) string {
		if c.FormValue("back") == "map" {
			return enterprise.Prefix + "/positioning"
		}
		return enterprise.Prefix + "/positioning/alarms/" + url.PathEscape(c.Params("id")) + "?flash=" + url.QueryEscape("已保存")
	})
}

func (mod *Module) evacuate(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	ev, err := mod.svc.Evacuate(c.Context(), m, form.Int(c, "fence"), c.FormValue("instruction"))
	if err != nil {
		if e, ok := shown(err); ok && c.FormValue("alarm") != "" {
			c.Status(web.HTTPStatus(err))
			return mod.renderAlarm(c, c.FormValue("alarm"), e, nil, false)
		}
		return err
	}
	if id := c.FormValue("alarm"); id != "" {
		return mod.renderAlarm(c, id, nil, &ev, false)
	}
	return c.Redirect(enterprise.Prefix+"/positioning", fiber.StatusSeeOther)
}
