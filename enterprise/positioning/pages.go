package positioning

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

type indexPage struct {
	enterprise.Page
	Floors  []Floor
	Fences  []Fence
	Manager bool
	Alarm   string
}

func (mod *Module) index(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) liveJSON(c *fiber.Ctx, m *enterprise.Member) error {
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
func (mod *Module) liveStream(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) plan(c *fiber.Ctx, m *enterprise.Member) error {
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
