package permits

import (
	"bytes"
	"embed"
	"encoding/base64"
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
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Module is the 特殊作业 module of the base system (enterprise.Module).
type Module struct {
	svc   *Service
	pc    *web.Templates
	phone *web.Templates
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"hm":     hm,
	"status": StatusName,
	"event":  EventName,
	"inc":    func(i int) int { return i + 1 },
	"date":   func(t time.Time) string { return t.In(schemas.Shanghai).Format("2006-01-02") },
	"local": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(schemas.Shanghai).Format("2006-01-02T15:04")
	},
	"statuses": func() []string {
		return []string{StatusApproving, StatusRejected, StatusIssued, StatusWorking, StatusInterrupted, StatusFinished, StatusAccepted,
			StatusArchived, StatusRevoked, StatusVoided}
	},
	"expired": func(t, now time.Time) bool { return !t.IsZero() && t.Before(now) },
	"limit": func(l GasLimit) string {
		var parts []string
		if l.Low != nil {
			parts = append(parts, fmt.Sprintf("≥ %g", *l.Low))
		}
		if l.High != nil {
			parts = append(parts, fmt.Sprintf("≤ %g", *l.High))
		}
		return strings.Join(parts, " 且 ") + " " + l.Unit
	},
}

// New returns the module on svc.
func New(svc *Service) (*Module, error) {
	pc, err := enterprise.Pages(templateFS, funcs, "index", "booking_form", "booking", "permit", "base", "stats")
	if err != nil {
		return nil, fmt.Errorf("permits: %w", err)
	}
	phone, err := enterprise.PhonePages(templateFS, funcs, "m_index", "permit")
	if err != nil {
		return nil, fmt.Errorf("permits: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone}, nil
}

// Factory builds the module from the base system's foundation (for
// platform.BaseSystemConfig.Modules). started, when not nil, is handed the
// service so that the platform runs its sweep and the day's plan (Service.Run).
func Factory(cfg Config, started func(*Service)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Service, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		svc := NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, f.Files)
		mod, err := New(svc)
		return svc, mod, err
	}, started)
}

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/permits", Static: staticFS,
		PC: []enterprise.NavItem{
			{Label: "特殊作业"},
			{Label: "作业预约", Path: "bookings/new"},
			{Label: "作业统计", Path: "stats", Roles: enterprise.Supervisors},
			{Label: "承包商与基础数据", Path: "base", Roles: enterprise.Managers},
		},
		Phone: []enterprise.NavItem{{Label: "今日作业"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/permits", mod.index)
	pc.Get("/permits/bookings/new", mod.bookingForm)
	pc.Post("/permits/bookings", mod.bookingSave)
	pc.Get("/permits/bookings/:id", mod.booking)
	pc.Post("/permits/bookings/:id/review", mod.bookingReview)
	pc.Post("/permits/bookings/:id/permits", mod.permitCreate)
	pc.Get("/permits/list.pdf", mod.listPDF)
	pc.Get("/permits/stats", mod.stats)
	pc.Get("/permits/stats.xlsx", mod.statsXLSX)
	pc.Get("/permits/base", mod.base)
	pc.Post("/permits/base/contractors", mod.baseAction(mod.addContractor))
	pc.Post("/permits/base/workers", mod.baseAction(mod.addWorker))
	pc.Post("/permits/base/workers/:id/delete", mod.baseAction(mod.removeWorker))
	pc.Post("/permits/base/library", mod.baseAction(mod.addLibrary))
	pc.Post("/permits/base/cameras", mod.baseAction(mod.bindCamera))
	pc.Post("/permits/base/video", mod.baseAction(mod.videoTemplate))
	mod.permitRoutes(pc, enterprise.Prefix, false)
	phone.Get("/permits", mod.phoneIndex)
	mod.permitRoutes(phone, enterprise.PhonePrefix, true)
}

// permitRoutes mounts a permit's page and actions under prefix; the phone
// and the PC share them (on-site issuing, gas analysis, checks, signatures and
// photos on the phone).
func (mod *Module) permitRoutes(r fiber.Router, prefix string, phone bool) {
	page := func(c *fiber.Ctx) error { return mod.permitPage(c, phone, nil) }
	r.Get("/permits/:id", page)
	r.Get("/permits/:id/permit.pdf", mod.pdf(false))
	r.Get("/permits/:id/risk.pdf", mod.pdf(true))
	r.Get("/permits/:id/files/:ref", mod.file)
	act := func(name string, fn func(c *fiber.Ctx, m *enterprise.Member, id string) error) {
		r.Post("/permits/:id/"+name, func(c *fiber.Ctx) error {
			m, err := enterprise.CurrentMember(c)
			if err != nil {
				return err
			}
			if err := fn(c, m, c.Params("id")); err != nil {
				var e *chemguard.Error
				if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound && e.Code != chemguard.EUnavailable {
					c.Status(web.HTTPStatus(err))
					return mod.permitPage(c, phone, e)
				}
				return err
			}
			return c.Redirect(prefix+"/permits/"+c.Params("id")+"?ok="+url.QueryEscape(name), fiber.StatusSeeOther)
		})
	}
	act("approve", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		sig, err := signature(c)
		if err != nil {
			return err
		}
		return mod.svc.Approve(c.Context(), m, id, c.FormValue("decision") != "reject", c.FormValue("note"), sig)
	})
	act("gas", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		sig, err := signature(c)
		if err != nil {
			return err
		}
		at, err := time.ParseInLocation("2006-01-02T15:04", c.FormValue("sampled_at"), schemas.Shanghai)
		if err != nil {
			return invalid("取样时间", "格式应为 年-月-日 时:分", "sampling time: expected yyyy-MM-ddTHH:mm")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue("value")), 64)
		if err != nil {
			return invalid("检测值", "应为数字", "value: a number")
		}
		_, err = mod.svc.RecordGas(c.Context(), m, id, GasInput{SampledAt: at, Point: c.FormValue("point"), Gas: c.FormValue("gas"), Value: v,
			Indicator: c.FormValue("indicator"), Signature: sig})
		return err
	})
	act("measures", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		i, err := strconv.Atoi(c.FormValue("index"))
		if err != nil {
			return invalid("安全措施", "未选择", "no measure chosen")
		}
		return mod.svc.ConfirmMeasure(c.Context(), m, id, i)
	})
	act("briefing", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		sig, err := signature(c)
		if err != nil {
			return err
		}
		return mod.svc.SignBriefing(c.Context(), m, id, form.Int(c, "worker"), sig)
	})
	act("start", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Start(c.Context(), m, id) })
	act("interrupt", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		return mod.svc.Interrupt(c.Context(), m, id, c.FormValue("reason"))
	})
	act("resume", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Resume(c.Context(), m, id) })
	act("guardian", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		return mod.svc.ChangeGuardian(c.Context(), m, id, form.Int(c, "guardian"), c.FormValue("reason"))
	})
	act("finish", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Finish(c.Context(), m, id) })
	act("accept", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		sig, err := signature(c)
		if err != nil {
			return err
		}
		return mod.svc.Accept(c.Context(), m, id, c.FormValue("note"), sig)
	})
	act("archive", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Archive(c.Context(), m, id) })
	act("revoke", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		return mod.svc.Revoke(c.Context(), m, id, c.FormValue("reason"))
	})
	act("void", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		return mod.svc.Void(c.Context(), m, id, c.FormValue("reason"))
	})
	act("photos", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		fh, err := c.FormFile("photo")
		if err != nil {
			return invalid("照片", "请选择照片", "choose a photo")
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("permits: photo: %w", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 10<<20+1))
		if err != nil {
			return fmt.Errorf("permits: photo: %w", err)
		}
		return mod.svc.AddPhoto(c.Context(), m, id, c.FormValue("note"), data)
	})
}

// signature reads the drawn signature the page's canvas put in the form as a
// data: URI; "" is no signature.
func signature(c *fiber.Ctx) ([]byte, error) {
	v := strings.TrimSpace(c.FormValue("signature"))
	if v == "" {
		return nil, nil
	}
	b64, ok := strings.CutPrefix(v, "data:image/png;base64,")
	if !ok {
		return nil, invalid("签名", "签名应为 PNG 图片", "the signature must be a PNG image")
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, invalid("签名", "签名数据无法读取", "the signature cannot be read")
	}
	return data, nil
}

// ---- index, bookings ----

type indexPage struct {
	enterprise.Page
	Today    []Row
	Recent   []Row
	Bookings []Booking
	Kinds    Rules
	Flash    string
}

func (mod *Module) index(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
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

type bookingFormPage struct {
	enterprise.Page
	Kinds       []Kind
	Contractors []Contractor
	In          BookingInput
	Problem     *chemguard.Error
}

func (mod *Module) kinds() []Kind {
	r := mod.svc.Rules()
	out := make([]Kind, 0, len(r.Kinds))
	for _, c := range r.Codes() {
		out = append(out, r.Kinds[c])
	}
	return out
}

func (mod *Module) bookingForm(c *fiber.Ctx) error {
	return mod.renderBookingForm(c, BookingInput{}, nil)
}

func (mod *Module) renderBookingForm(c *fiber.Ctx, in BookingInput, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	cs, err := mod.svc.Contractors(c.Context(), m)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "booking_form", bookingFormPage{Page: enterprise.NewPage(c, "作业活动预约", false), Kinds: mod.kinds(),
		Contractors: cs, In: in, Problem: problem})
}

func parseLocal(v string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(v), schemas.Shanghai)
	return t
}

func (mod *Module) bookingSave(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	in := BookingInput{TaskType: c.FormValue("task_type"), Content: c.FormValue("content"), Place: c.FormValue("place"), Unit: c.FormValue("unit"),
		ContractorID: form.Int(c, "contractor"), PlannedStart: parseLocal(c.FormValue("planned_start")), PlannedEnd: parseLocal(c.FormValue("planned_end"))}
	id, err := mod.svc.Book(c.Context(), m, in)
	if err != nil {
		var e *chemguard.Error
		if errors.As(err, &e) && e.Code != chemguard.EInternal {
			c.Status(web.HTTPStatus(err))
			return mod.renderBookingForm(c, in, e)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/permits/bookings/%d", enterprise.Prefix, id), fiber.StatusSeeOther)
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

func (mod *Module) bookingReview(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	if err := mod.svc.ReviewBooking(c.Context(), m, id, c.FormValue("decision") == "approve", c.FormValue("note")); err != nil {
		var e *chemguard.Error
		if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound {
			c.Status(web.HTTPStatus(err))
			return mod.renderBooking(c, e)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/permits/bookings/%d", enterprise.Prefix, id), fiber.StatusSeeOther)
}

func (mod *Module) permitCreate(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	mf, err := c.MultipartForm()
	var workers []int64
	var extra []string
	if err == nil {
		for _, v := range mf.Value["workers"] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				workers = append(workers, n)
			}
		}
		extra = mf.Value["measures"]
	} else {
		args := c.Request().PostArgs()
		for _, v := range args.PeekMulti("workers") {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				workers = append(workers, n)
			}
		}
		for _, v := range args.PeekMulti("measures") {
			extra = append(extra, string(v))
		}
	}
	var measures []string
	for _, t := range extra {
		measures = append(measures, strings.Split(strings.ReplaceAll(t, "\r", ""), "\n")...)
	}
	pid, err := mod.svc.CreatePermit(c.Context(), m, id, PermitInput{TaskType: c.FormValue("task_type"), MajorPerson: c.FormValue("major_person"),
		MajorMobile: c.FormValue("major_mobile"), GuardianID: form.Int(c, "guardian"), Risks: c.FormValue("risks"), Measures: measures,
		Workers: workers, Onsite: c.FormValue("onsite") == "1"})
	if err != nil {
		var e *chemguard.Error
		if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound {
			c.Status(web.HTTPStatus(err))
			return mod.renderBooking(c, e)
		}
		return err
	}
	return c.Redirect(enterprise.Prefix+"/permits/"+pid, fiber.StatusSeeOther)
}

// ---- the permit ----

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

func (mod *Module) pdf(risk bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := enterprise.CurrentMember(c)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		name := "permit"
		if risk {
			name = "risk"
			err = mod.svc.RiskSheetPDF(c.Context(), m, c.Params("id"), &buf)
		} else {
			err = mod.svc.PermitPDF(c.Context(), m, c.Params("id"), &buf)
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s-%s.pdf"`, name, c.Params("id")))
		return c.Send(buf.Bytes())
	}
}

func (mod *Module) file(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	ref, _ := url.PathUnescape(c.Params("ref"))
	data, err := mod.svc.File(c.Context(), m, c.Params("id"), ref)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	c.Set(fiber.HeaderContentType, detectType(data))
	return c.Send(data)
}

func detectType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		return "image/png"
	case len(b) > 2 && b[0] == 0xFF && b[1] == 0xD8:
		return "image/jpeg"
	}
	return "application/octet-stream"
}

// ---- lists, statistics ----

func (mod *Module) listPDF(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	from, to, _, _ := web.DateRange(c, mod.svc.cfg.Now(), 30)
	var buf bytes.Buffer
	if err := mod.svc.ListPDF(c.Context(), m, from, to, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
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

func (mod *Module) statsXLSX(c *fiber.Ctx) error {
	m, err := mod.statsGuard(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.cfg.Now(), 30)
	var buf bytes.Buffer
	if err := mod.svc.StatsExcel(c.Context(), m, from, to, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="permits-%s-%s.xlsx"`, fs, ts))
	return c.Send(buf.Bytes())
}

// ---- base data ----

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

func (mod *Module) baseAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, enterprise.InputRefusal, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderBase(c, e) },
		func(*fiber.Ctx) string {
			return enterprise.Prefix + "/permits/base?flash=" + url.QueryEscape("已保存")
		})
}

func (mod *Module) addContractor(c *fiber.Ctx, m *enterprise.Member) error {
	_, err := mod.svc.AddContractor(c.Context(), m, Contractor{Name: c.FormValue("name"), Contact: c.FormValue("contact"), Mobile: c.FormValue("mobile")})
	return err
}

func (mod *Module) addWorker(c *fiber.Ctx, m *enterprise.Member) error {
	var valid time.Time
	if v := strings.TrimSpace(c.FormValue("cert_valid_to")); v != "" {
		t, err := time.ParseInLocation(schemas.DateLayout, v, schemas.Shanghai)
		if err != nil {
			return invalid("证书有效期", "格式应为 年-月-日", "certificate validity: expected yyyy-MM-dd")
		}
		valid = t
	}
	_, err := mod.svc.AddWorker(c.Context(), m, Worker{ContractorID: form.Int(c, "contractor"), Name: c.FormValue("name"), Mobile: c.FormValue("mobile"),
		CertNo: c.FormValue("cert_no"), CertKind: c.FormValue("cert_kind"), CertValidTo: valid})
	return err
}

func (mod *Module) removeWorker(c *fiber.Ctx, m *enterprise.Member) error {
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	return mod.svc.RemoveWorker(c.Context(), m, id)
}

func (mod *Module) addLibrary(c *fiber.Ctx, m *enterprise.Member) error {
	num := func(k string) *float64 {
		v, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue(k)), 64)
		if err != nil {
			return nil
		}
		return &v
	}
	return mod.svc.AddLibrary(c.Context(), m, LibraryItem{Kind: c.FormValue("kind"), Name: c.FormValue("name"), Unit: c.FormValue("unit"),
		Low: num("low"), High: num("high")})
}

func (mod *Module) bindCamera(c *fiber.Ctx, m *enterprise.Member) error {
	return mod.svc.BindCamera(c.Context(), m, c.FormValue("code"), c.FormValue("area"))
}

func (mod *Module) videoTemplate(c *fiber.Ctx, m *enterprise.Member) error {
	return mod.svc.SetVideoTemplate(c.Context(), m, c.FormValue("template"))
}

// ---- phone ----

type phoneIndexPage struct {
	enterprise.Page
	Today []Row
}

func (mod *Module) phoneIndex(c *fiber.Ctx) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	st, err := mod.svc.Statistics(c.Context(), m, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	return mod.phone.Render(c, "m_index", phoneIndexPage{Page: enterprise.NewPage(c, "今日特殊作业", true), Today: st.Today})
}
