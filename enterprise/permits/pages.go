package permits

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/web"
)

type indexPage struct {
	enterprise.Page
	Today    []Row
	Recent   []Row
	Bookings []Booking
	Kinds    Rules
	Flash    string
}

func (mod *Module) index(c *fiber.Ctx, m *enterprise.Member) error {
	st, err := mod.svc.Statistics(c.Context(), m, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	recent, err := mod.svc.List(c.Context(), m, Filter{Status: c.Query("status"), TaskType: c.Query("type")})
	if err != nil {
		return err
	}
	if len(recent) > 100 {
		recent = recent[:100]
	}
	bookings, err := mod.svc.Bookings(c.Context(), m)
	if err != nil {
		return err
	}
	if len(bookings) > 50 {
		bookings = bookings[:50]
	}
	return mod.pc.Render(c, "index", indexPage{Page: enterprise.NewPage(c, "特殊作业", false), Today: st.Today, Recent: recent,
		Bookings: bookings, Kinds: mod.svc.Rules(), Flash: c.Query("flash")})
}

type bookingPage struct {
	enterprise.Page
	Booking   Booking
	Kind      Kind
	Kinds     []Kind
	Permits   []Row
	People    []enterprise.Person
	Workers   []Worker
	Risks     []string
	Measures  []string
	Reviewer  bool
	Problem   *chemguard.Error
	Now       time.Time
	Contracts map[int64]bool
}

func (mod *Module) booking(c *fiber.Ctx) error { return mod.renderBooking(c, nil) }

func (mod *Module) renderBooking(c *fiber.Ctx, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	b, err := mod.svc.Booking(c.Context(), m, id)
	if err != nil {
		return err
	}
	k, _ := mod.svc.Rules().Kind(b.TaskType)
	all, err := mod.svc.List(c.Context(), m, Filter{})
	if err != nil {
		return err
	}
	var mine []Row
	for _, r := range all {
		if r.PlannedStart.Equal(b.PlannedStart) && r.Place == b.Place {
			mine = append(mine, r)
		}
	}
	people, err := mod.svc.dir.People(c.Context(), m.Company)
	if err != nil {
		return err
	}
	workers, err := mod.svc.Workers(c.Context(), m)
	if err != nil {
		return err
	}
	risks, measures, err := mod.svc.Knowledge(c.Context(), m, k.Category)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "booking", bookingPage{Page: enterprise.NewPage(c, "作业预约："+b.Content, false), Booking: b, Kind: k, Kinds: mod.kinds(),
		Permits: mine, People: people, Workers: workers, Risks: risks, Measures: measures, Reviewer: managerOrHead(m), Problem: problem, Now: mod.svc.cfg.Now()})
}

type permitPage struct {
	enterprise.Page
	P         *Permit
	Prefix    string
	People    []enterprise.Person
	Gases     []GasLimit
	Detectors []DetectorValue
	Videos    []VideoLink
	MaySign   bool
	Manager   bool
	Problem   *chemguard.Error
	OK        string
	Now       time.Time
}

func (mod *Module) permitPage(c *fiber.Ctx, phone bool, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	p, err := mod.svc.Permit(c.Context(), m, c.Params("id"))
	if err != nil {
		return err
	}
	people, err := mod.svc.dir.People(c.Context(), m.Company)
	if err != nil {
		return err
	}
	gases, err := mod.svc.GasLimits(c.Context(), m)
	if err != nil {
		return err
	}
	detectors, err := mod.svc.Detectors(c.Context(), m)
	if err != nil {
		return err
	}
	videos, err := mod.svc.Videos(c.Context(), m, p)
	if err != nil {
		return err
	}
	prefix, tmpl := enterprise.Prefix, mod.pc
	if phone {
		prefix, tmpl = enterprise.PhonePrefix, mod.phone
	}
	ok := ""
	if c.Method() == fiber.MethodGet {
		ok = c.Query("ok")
	}
	return tmpl.Render(c, "permit", permitPage{Page: enterprise.NewPage(c, p.Kind.Name+"安全作业票 "+p.Number, phone), P: p, Prefix: prefix,
		People: people, Gases: gases, Detectors: detectors, Videos: videos, MaySign: p.NextStep != nil && MaySign(*p.NextStep, m.Roles),
		Manager: managerOrHead(m), Problem: problem, OK: ok, Now: mod.svc.cfg.Now()})
}

type statsPage struct {
	enterprise.Page
	Stats    Stats
	From, To string
}

func (mod *Module) statsGuard(c *fiber.Ctx) (*enterprise.Member, error) {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return nil, err
	}
	if !managerOrHead(m) {
		return nil, forbidden("只有管理人员和部门负责人可以查看作业统计", "only managers and department heads see the statistics")
	}
	return m, nil
}

func (mod *Module) stats(c *fiber.Ctx) error {
	m, err := mod.statsGuard(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.cfg.Now(), 30)
	st, err := mod.svc.Statistics(c.Context(), m, from, to)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "stats", statsPage{Page: enterprise.NewPage(c, "特殊作业统计分析", false), Stats: st, From: fs, To: ts})
}

type basePage struct {
	enterprise.Page
	Contractors []Contractor
	Workers     []Worker
	Library     []LibraryItem
	Gases       []GasLimit
	Cameras     []Camera
	Video       string
	Problem     *chemguard.Error
	Flash       string
	Now         time.Time
	CertKinds   []string
}

func (mod *Module) base(c *fiber.Ctx) error { return mod.renderBase(c, nil) }

func (mod *Module) renderBase(c *fiber.Ctx, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if err := managersOnly(m); err != nil {
		return err
	}
	p := basePage{Page: enterprise.NewPage(c, "承包商与基础数据", false), Problem: problem, Flash: c.Query("flash"), Now: mod.svc.cfg.Now(),
		Video: mod.svc.VideoTemplate(c.Context(), m)}
	if p.Contractors, err = mod.svc.Contractors(c.Context(), m); err != nil {
		return err
	}
	if p.Workers, err = mod.svc.Workers(c.Context(), m); err != nil {
		return err
	}
	if p.Library, err = mod.svc.Library(c.Context(), m); err != nil {
		return err
	}
	if p.Gases, err = mod.svc.GasLimits(c.Context(), m); err != nil {
		return err
	}
	if p.Cameras, err = mod.svc.Cameras(c.Context(), m); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, k := range mod.kinds() {
		for _, ck := range k.CertKinds {
			if !seen[ck] {
				seen[ck] = true
				p.CertKinds = append(p.CertKinds, ck)
			}
		}
	}
	return mod.pc.Render(c, "base", p)
}

type phoneIndexPage struct {
	enterprise.Page
	Today []Row
}

func (mod *Module) phoneIndex(c *fiber.Ctx, m *enterprise.Member) error {
	st, err := mod.svc.Statistics(c.Context(), m, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	return mod.phone.Render(c, "m_index", phoneIndexPage{Page: enterprise.NewPage(c, "今日特殊作业", true), Today: st.Today})
}
