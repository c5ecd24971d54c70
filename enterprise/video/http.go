package video

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Module is the 智能视频 / 加油站视频 module of the base system (enterprise.Module).
type Module struct {
	svc    *Service
	pc     *web.Templates
	phone  *web.Templates
	nonces signing.NonceStore
	audit  audit.Recorder // the registry's changes; nil records nothing (unit tests)
}

var _ enterprise.Module = (*Module)(nil)

var funcs = template.FuncMap{
	"hms":    hms,
	"state":  StateName,
	"esc":    url.PathEscape,
	"states": func() []string { return []string{StateReceived, StateAssigned, StateHandled, StateConfirmed} },
	"groups": func() []string { return []string{"按报警类型", "按区域", "按分析设备", "按日期"} },
	"kinds":  func() []schemas.Code { return schemas.CodesKeyAreaKind.Codes },
	"kind": func(v string) string {
		c, _ := schemas.CodesKeyAreaKind.Lookup(v)
		return c.NameZH
	},
	"ago": func(t, now time.Time) string {
		if t.IsZero() {
			return "从未"
		}
		d := now.Sub(t).Round(time.Minute)
		if d < time.Minute {
			return "刚刚"
		}
		if d < time.Hour {
			return fmt.Sprintf("%d 分钟前", int(d.Minutes()))
		}
		return fmt.Sprintf("%.1f 小时前", d.Hours())
	},
}

// New returns the module on svc; nonces remember the boxes' signed requests.
func New(svc *Service, nonces signing.NonceStore) (*Module, error) {
	pc, phone, err := enterprise.ModulePages(templateFS, funcs,
		[]string{"index", "alarm", "devices", "stats"},
		[]string{"m_index", "alarm"})
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	return &Module{svc: svc, pc: pc, phone: phone, nonces: nonces}, nil
}

// Factory builds the module from the foundation (for
// platform.BaseSystemConfig.Modules); started, when not nil, is handed the
// module so that the platform mounts the boxes' intake (RegisterIntake) and
// runs the sweep (Service.Run).
func Factory(cfg Config, started func(*Module)) enterprise.ModuleFactory {
	return enterprise.ServiceModule(func(f enterprise.Foundation) (*Module, enterprise.Module, error) {
		cfg.Now = cfg.Now.Or(f)
		mod, err := New(NewService(cfg, f.Pool, f.Directory, f.Publisher, f.Notifier, f.Files), signing.NewPGNonces(f.Pool, cfg.Now))
		if err != nil {
			return nil, nil, err
		}
		mod.audit = f.Audit
		return mod, mod, nil
	}, started)
}

// Service is the module's service.
func (mod *Module) Service() *Service { return mod.svc }

// Spec is where the module lives and its navigation.
func (mod *Module) Spec() enterprise.ModuleSpec {
	return enterprise.ModuleSpec{Path: "/video",
		PC: []enterprise.NavItem{
			{Label: "视频报警"},
			{Label: "报警统计", Path: "stats", Roles: enterprise.Managers},
			{Label: "视频设备与运维", Path: "devices", Roles: enterprise.Managers},
		},
		Phone: []enterprise.NavItem{{Label: "视频报警"}},
	}
}

// Register mounts the module's pages.
func (mod *Module) Register(pc, phone fiber.Router) {
	pc.Get("/video", enterprise.WithMember(mod.index))
	pc.Get("/video/stats", mod.stats)
	pc.Get("/video/stats.xlsx", mod.statsXLSX)
	pc.Get("/video/devices", func(c *fiber.Ctx) error { return mod.renderDevices(c, nil, nil) })
	pc.Get("/video/devices/:id/edit", enterprise.WithMember(mod.editDevice))
	pc.Get("/video/cameras/:code/edit", enterprise.WithMember(mod.editCamera))
	pc.Get("/video/registry.xlsx", enterprise.WithMember(mod.exportRegistry))
	pc.Post("/video/import", enterprise.WithMember(mod.importRegistry))
	pc.Post("/video/devices", mod.devicesAction("device_save", mod.saveDevice))
	pc.Post("/video/devices/:id/delete", mod.devicesAction("device_disable", func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemoveDevice(c.Context(), m, c.Params("id"))
	}))
	pc.Post("/video/devices/:id/key", enterprise.WithMember(mod.issueKey))
	pc.Post("/video/cameras", mod.devicesAction("camera_save", mod.saveCamera))
	pc.Post("/video/cameras/:code/delete", mod.devicesAction("camera_disable", func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.svc.RemoveCamera(c.Context(), m, c.Params("code"))
	}))
	pc.Post("/video/settings", mod.devicesAction("settings_save", mod.saveSettings))
	mod.alarmRoutes(pc, enterprise.Prefix, false)
	phone.Get("/video", enterprise.WithMember(mod.phoneIndex))
	mod.alarmRoutes(phone, enterprise.PhonePrefix, true)
}

// RegisterIntake mounts the boxes' API on r (the platform's root): alarms and
// heartbeats, signed with the device's credential (signing is required).
func (mod *Module) RegisterIntake(r fiber.Router) {
	signed := signing.Middleware(signing.Config{Required: true, Nonces: mod.nonces, Secrets: mod.svc, Now: mod.svc.cfg.Now})
	r.Post(IntakePrefix+"/alarms", signed, mod.intake)
	r.Post(IntakePrefix+"/heartbeat", signed, func(c *fiber.Ctx) error {
		code, err := mod.svc.Heartbeat(c.Context(), bearer(c))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"device": code, "status": "ok"})
	})
}

func bearer(c *fiber.Ctx) string {
	k, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	return strings.TrimSpace(k)
}

// intake accepts one alarm as multipart (the image as the ALARM_IMAGE file
// part) or JSON (one object or an array, the image in base64).
func (mod *Module) intake(c *fiber.Ctx) error {
	var in []AlarmInput
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		form, err := c.MultipartForm()
		if err != nil {
			return chemguard.Errorf(chemguard.EInvalid, "无法解析 multipart 表单", "the multipart form cannot be read")
		}
		a := AlarmInput{}
		v := func(k string) string {
			if vs := form.Value[k]; len(vs) > 0 {
				return vs[0]
			}
			return ""
		}
		a.EventID, a.Type, a.Status, a.Time, a.VideoCode = v("EVENT_ID"), v("ALARM_TYPE"), v("ALARM_STATUS"), v("ALARM_TIME"), v("VIDEO_CODE")
		if fhs := form.File["ALARM_IMAGE"]; len(fhs) > 0 {
			if fhs[0].Size > MaxImageBytes {
				return &chemguard.Error{Code: chemguard.ETooLarge, MessageZH: fmt.Sprintf("ALARM_IMAGE：图片 %d 字节，超过 4MB", fhs[0].Size),
					MessageEN: fmt.Sprintf("ALARM_IMAGE: the image has %d bytes, more than 4 MB", fhs[0].Size)}
			}
			f, err := fhs[0].Open()
			if err != nil {
				return err
			}
			a.image, err = io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
			f.Close()
			if err != nil {
				return err
			}
		}
		in = append(in, a)
	} else {
		body := bytes.TrimSpace(c.Body())
		var err error
		if len(body) > 0 && body[0] == '[' {
			err = json.Unmarshal(body, &in)
		} else {
			var a AlarmInput
			err = json.Unmarshal(body, &a)
			in = append(in, a)
		}
		if err != nil {
			return &chemguard.Error{Code: chemguard.EMalformed, MessageZH: "请求体不是有效的 JSON：" + err.Error(), MessageEN: "the body is not valid JSON: " + err.Error()}
		}
		if len(in) == 0 {
			return chemguard.Errorf(chemguard.EInvalid, "请求中没有报警记录", "the request holds no alarm")
		}
	}
	res, err := mod.svc.Intake(c.Context(), bearer(c), in)
	if err != nil {
		return err
	}
	rejected := 0
	for _, r := range res {
		if r.Status == "rejected" {
			rejected++
		}
	}
	if rejected == len(res) {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return c.JSON(fiber.Map{"accepted": len(res) - rejected, "rejected": rejected, "results": res})
}

// period reads ?from=&to= (dates, inclusive); the default is the last 7 days.
func (mod *Module) period(c *fiber.Ctx) (from, to time.Time, fromS, toS string) {
	day := func(s string) (time.Time, bool) {
		t, err := time.ParseInLocation(schemas.DateLayout, s, schemas.Shanghai)
		return t, err == nil
	}
	n := mod.svc.cfg.Now().In(schemas.Shanghai)
	last := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, schemas.Shanghai)
	if t, ok := day(c.Query("to")); ok {
		last = t
	}
	first := last.AddDate(0, 0, -6)
	if t, ok := day(c.Query("from")); ok && !t.After(last) {
		first = t
	}
	return first, last.AddDate(0, 0, 1), first.Format(schemas.DateLayout), last.Format(schemas.DateLayout)
}

type indexPage struct {
	enterprise.Page
	Space          Space
	Alarms         []Alarm
	Filter         Filter
	From, To, Type string
	State          string
	Areas          []string
}

func (mod *Module) index(c *fiber.Ctx, m *enterprise.Member) error {
	sp, err := mod.svc.SpaceFor(c.Context(), m)
	if err != nil {
		return err
	}
	from, to, fs, ts := mod.period(c)
	f := Filter{From: from, To: to, Type: c.Query("type"), State: c.Query("state"), Area: c.Query("area")}
	if !m.Has(enterprise.Managers...) {
		f.Mine = true // the others see the alarms sent to them
	}
	p := indexPage{Page: enterprise.NewPage(c, "视频报警", false), Space: sp, Filter: f, From: fs, To: ts, Type: f.Type, State: f.State}
	if p.Alarms, err = mod.svc.Alarms(c.Context(), m, f); err != nil {
		return err
	}
	cams, err := mod.svc.Cameras(c.Context(), m)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, cm := range cams {
		if cm.Area != "" && !seen[cm.Area] {
			seen[cm.Area] = true
			p.Areas = append(p.Areas, cm.Area)
		}
	}
	return mod.pc.Render(c, "index", p)
}

func (mod *Module) phoneIndex(c *fiber.Ctx, m *enterprise.Member) error {
	f := Filter{Mine: !m.Has(enterprise.Managers...)}
	all, err := mod.svc.Alarms(c.Context(), m, f)
	if err != nil {
		return err
	}
	var open []Alarm
	for _, a := range all {
		if a.State != StateConfirmed && len(open) < 100 {
			open = append(open, a)
		}
	}
	return mod.phone.Render(c, "m_index", struct {
		enterprise.Page
		Alarms []Alarm
	}{enterprise.NewPage(c, "视频报警", true), open})
}

type alarmPage struct {
	enterprise.Page
	A       *Alarm
	Prefix  string
	Problem *chemguard.Error
	OK      string
	People  []enterprise.Person
	Manager bool
	MayDo   bool
}

func (mod *Module) alarmRoutes(r fiber.Router, prefix string, phone bool) {
	r.Get("/video/alarms/:id", func(c *fiber.Ctx) error { return mod.alarmPage(c, prefix, phone, nil) })
	r.Get("/video/alarms/:id/images/:ref", enterprise.WithMember(mod.image))
	act := func(name string, fn func(c *fiber.Ctx, m *enterprise.Member, id string) error) {
		r.Post("/video/alarms/:id/"+name, func(c *fiber.Ctx) error {
			m, err := enterprise.CurrentMember(c)
			if err != nil {
				return err
			}
			if err := fn(c, m, c.Params("id")); err != nil {
				var e *chemguard.Error
				if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound {
					c.Status(web.HTTPStatus(err))
					return mod.alarmPage(c, prefix, phone, e)
				}
				return err
			}
			return c.Redirect(prefix+"/video/alarms/"+c.Params("id")+"?ok="+name, fiber.StatusSeeOther)
		})
	}
	act("assign", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		uid, _ := strconv.ParseInt(c.FormValue("assignee"), 10, 64)
		return mod.svc.Assign(c.Context(), m, id, uid)
	})
	act("handle", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		var photo []byte
		if fh, err := c.FormFile("photo"); err == nil && fh.Size > 0 {
			if fh.Size > MaxImageBytes {
				return invalid("处置照片", "不超过 4MB", "the photo must be at most 4 MB")
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			photo, err = io.ReadAll(f)
			f.Close()
			if err != nil {
				return err
			}
			if t := http.DetectContentType(photo); t != "image/png" && t != "image/jpeg" && t != "image/bmp" {
				return invalid("处置照片", "应为 PNG、JPG 或 BMP 图片", "the photo must be PNG, JPEG or BMP")
			}
		}
		return mod.svc.Handle(c.Context(), m, id, c.FormValue("note"), photo)
	})
	act("confirm", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
		return mod.svc.Confirm(c.Context(), m, id, c.FormValue("decision") != "return", c.FormValue("note"))
	})
}

func (mod *Module) alarmPage(c *fiber.Ctx, prefix string, phone bool, problem *chemguard.Error) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	a, err := mod.svc.Alarm(c.Context(), m, c.Params("id"))
	if err != nil {
		return err
	}
	manager := m.Has(enterprise.Managers...)
	if !manager && a.AssigneeID != m.UserID {
		return notFound("报警", "alarm") // a member sees only the alarms sent to them
	}
	p := alarmPage{Page: enterprise.NewPage(c, "视频报警："+a.TypeName, phone), A: a, Prefix: prefix, Problem: problem, OK: c.Query("ok"),
		Manager: manager, MayDo: manager || a.AssigneeID == m.UserID}
	if manager && (a.State == StateReceived || a.State == StateAssigned) {
		if p.People, err = mod.svc.dir.People(c.Context(), m.Company); err != nil {
			return err
		}
	}
	if phone {
		return mod.phone.Render(c, "alarm", p)
	}
	return mod.pc.Render(c, "alarm", p)
}

func (mod *Module) image(c *fiber.Ctx, m *enterprise.Member) error {
	ref, _ := url.PathUnescape(c.Params("ref"))
	data, err := mod.svc.Image(c.Context(), m, c.Params("id"), ref)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	c.Set(fiber.HeaderContentType, http.DetectContentType(data))
	return c.Send(data)
}

type devicesPage struct {
	enterprise.Page
	Space      Space
	Ops        []Operation
	Cameras    []Camera
	Settings   Settings
	Problem    *chemguard.Error
	Flash      string
	Credential *Credential
	Device     string
	Import     *ImportResult
	Now        time.Time
	Intake     string
	// EditDevice and EditCamera fill the forms: the entry being edited, or
	// what a refused form held so nothing typed is lost.
	EditDevice  *Device
	EditCamera  *Camera
	CameraFixed bool // EditCamera is a registered camera: its code cannot change
}

func (mod *Module) renderDevices(c *fiber.Ctx, problem *chemguard.Error, extra func(*devicesPage)) error {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return err
	}
	if err := managersOnly(m); err != nil {
		return err
	}
	p := devicesPage{Page: enterprise.NewPage(c, "视频设备与运维", false), Problem: problem, Flash: c.Query("flash"), Now: mod.svc.cfg.Now(),
		Settings: mod.svc.Settings(c.Context(), m.Company), Intake: IntakePrefix}
	if p.Space, err = mod.svc.SpaceFor(c.Context(), m); err != nil {
		return err
	}
	if p.Ops, err = mod.svc.Operations(c.Context(), m); err != nil {
		return err
	}
	if p.Cameras, err = mod.svc.Cameras(c.Context(), m); err != nil {
		return err
	}
	if extra != nil {
		extra(&p)
	}
	return mod.pc.Render(c, "devices", p)
}

// devicesAction runs a change to the registry, audits it as video_<action>
// (refusals included) and goes back to the page; a refused form is shown
// again with what was typed.
func (mod *Module) devicesAction(action string, fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	audited := func(c *fiber.Ctx, m *enterprise.Member) error {
		return mod.audited(c, action, fn(c, m))
	}
	return enterprise.FormAction(audited, enterprise.InputRefusal, func(c *fiber.Ctx, e *chemguard.Error) error {
		return mod.renderDevices(c, e, func(p *devicesPage) {
			switch action {
			case "device_save":
				auto, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("auto_clear", "0")))
				p.EditDevice = &Device{ID: c.FormValue("id"), Code: c.FormValue("code"), Name: c.FormValue("name"),
					Description: c.FormValue("description"), Vendor: c.FormValue("vendor"), AutoClearMinutes: auto}
			case "camera_save":
				p.EditCamera = &Camera{Code: c.FormValue("code"), Name: c.FormValue("name"), Place: c.FormValue("place"),
					Area: c.FormValue("area"), KeyAreaKind: c.FormValue("key_area_kind"), DeviceID: c.FormValue("device")}
				p.CameraFixed = c.FormValue("edit") != ""
			}
		})
	}, func(*fiber.Ctx) string {
		return enterprise.Flash(enterprise.Prefix+"/video/devices", "已保存")
	})
}

// audited records a member's change to the registry: who, what (the device
// id or channel code the form named), and whether it was refused.
func (mod *Module) audited(c *fiber.Ctx, action string, err error) error {
	if mod.audit == nil {
		return err
	}
	object := c.Params("id", c.Params("code", c.FormValue("id", c.FormValue("code"))))
	return enterprise.Audited(c, mod.audit, "video_"+action, enterprise.AuditObject(c, "video", object), err)
}

// editDevice is the registry page with one analysis device in the form.
func (mod *Module) editDevice(c *fiber.Ctx, m *enterprise.Member) error {
	devices, err := mod.svc.Devices(c.Context(), m)
	if err != nil {
		return err
	}
	for _, d := range devices {
		if d.ID == c.Params("id") {
			return mod.renderDevices(c, nil, func(p *devicesPage) { p.EditDevice = &d })
		}
	}
	return chemguard.Errorf(chemguard.ENotFound, "没有该分析设备（可能已停用）", "no such analysis device (it may be disabled)")
}

// editCamera is the registry page with one camera in the form; its channel
// code is the camera's identity and stays as it is.
func (mod *Module) editCamera(c *fiber.Ctx, m *enterprise.Member) error {
	cameras, err := mod.svc.Cameras(c.Context(), m)
	if err != nil {
		return err
	}
	for _, k := range cameras {
		if k.Code == c.Params("code") {
			return mod.renderDevices(c, nil, func(p *devicesPage) { p.EditCamera, p.CameraFixed = &k, true })
		}
	}
	return chemguard.Errorf(chemguard.ENotFound, "没有该摄像头（可能已移除）", "no such camera (it may be removed)")
}

func (mod *Module) saveDevice(c *fiber.Ctx, m *enterprise.Member) error {
	auto, err := strconv.Atoi(strings.TrimSpace(c.FormValue("auto_clear", "0")))
	if err != nil {
		return invalid("自动销警时间", "应为整数分钟", "auto-clear: whole minutes")
	}
	_, err = mod.svc.SaveDevice(c.Context(), m, Device{ID: c.FormValue("id"), Code: c.FormValue("code"), Name: c.FormValue("name"),
		Description: c.FormValue("description"), Vendor: c.FormValue("vendor"), AutoClearMinutes: auto})
	return err
}

func (mod *Module) saveCamera(c *fiber.Ctx, m *enterprise.Member) error {
	return mod.svc.SaveCamera(c.Context(), m, Camera{Code: c.FormValue("code"), Name: c.FormValue("name"), Place: c.FormValue("place"),
		Area: c.FormValue("area"), KeyAreaKind: c.FormValue("key_area_kind"), DeviceID: c.FormValue("device")})
}

func (mod *Module) saveSettings(c *fiber.Ctx, m *enterprise.Member) error {
	before, err1 := strconv.Atoi(c.FormValue("before", "30"))
	after, err2 := strconv.Atoi(c.FormValue("after", "120"))
	if err1 != nil || err2 != nil {
		return invalid("录像时段", "报警前、后秒数应为整数", "seconds before and after: whole numbers")
	}
	return mod.svc.SaveSettings(c.Context(), m, Settings{Live: c.FormValue("live"), Playback: c.FormValue("playback"), Before: before, After: after})
}

// issueKey shows the new credential once, on the page it answers (never in a
// redirect's URL).
func (mod *Module) issueKey(c *fiber.Ctx, m *enterprise.Member) error {
	cr, err := mod.svc.IssueCredential(c.Context(), m, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return mod.renderDevices(c, nil, func(p *devicesPage) {
		p.Credential = &cr
		for _, o := range p.Ops {
			if o.ID == c.Params("id") {
				p.Device = o.Name + "（" + o.Code + "）"
			}
		}
	})
}

func (mod *Module) exportRegistry(c *fiber.Ctx, m *enterprise.Member) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := mod.svc.ExportRegistry(c.Context(), m, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="video-registry.xlsx"`)
	return c.Send(buf.Bytes())
}

func (mod *Module) importRegistry(c *fiber.Ctx, m *enterprise.Member) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return mod.renderDevices(c.Status(fiber.StatusBadRequest), invalid("文件", "请选择 Excel 文件", "choose an .xlsx file").(*chemguard.Error), nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := mod.svc.ImportRegistry(c.Context(), m, f)
	if err != nil {
		var e *chemguard.Error
		if errors.As(err, &e) && e.Code == chemguard.EInvalid {
			return mod.renderDevices(c.Status(fiber.StatusUnprocessableEntity), e, nil)
		}
		return err
	}
	return mod.renderDevices(c, nil, func(p *devicesPage) { p.Import = &res })
}

type statsPage struct {
	enterprise.Page
	Stats    Stats
	Groups   map[string][]Count
	From, To string
}

// managerPeriod is the manager asking for a statistics page and its period.
func (mod *Module) managerPeriod(c *fiber.Ctx) (m *enterprise.Member, from, to time.Time, fromS, toS string, err error) {
	if m, err = enterprise.CurrentMember(c); err != nil {
		return
	}
	if err = managersOnly(m); err != nil {
		return
	}
	from, to, fromS, toS = mod.period(c)
	return
}

func (mod *Module) stats(c *fiber.Ctx) error {
	m, from, to, fs, ts, err := mod.managerPeriod(c)
	if err != nil {
		return err
	}
	st, err := mod.svc.Statistics(c.Context(), m, from, to)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "stats", statsPage{Page: enterprise.NewPage(c, "视频报警统计", false), Stats: st, From: fs, To: ts,
		Groups: map[string][]Count{"按报警类型": st.ByType, "按区域": st.ByArea, "按分析设备": st.ByDevice, "按日期": st.ByDay}})
}

func (mod *Module) statsXLSX(c *fiber.Ctx) error {
	m, from, to, fs, ts, err := mod.managerPeriod(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := mod.svc.StatsExcel(c.Context(), m, from, to, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="video-alarms-%s-%s.xlsx"`, fs, ts))
	return c.Send(buf.Bytes())
}
