package permits

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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

func (mod *Module) bookingSave(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) bookingReview(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) permitCreate(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) baseAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, enterprise.InputRefusal, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderBase(c, e) },
		func(*fiber.Ctx) string {
			return enterprise.Flash(enterprise.Prefix+"/permits/base", "已保存")
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

// permitAction is one step a member takes on a permit's page (PC or phone):
// its name in the path, /permits/:id/<name>, and what it does.
type permitAction struct {
	name string
	do   func(c *fiber.Ctx, m *enterprise.Member, id string) error
}

// permitActions are the steps of a permit, from approval to the photos taken
// on site.
func (mod *Module) permitActions() []permitAction {
	return []permitAction{
		{"approve", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			sig, err := signature(c)
			if err != nil {
				return err
			}
			return mod.svc.Approve(c.Context(), m, id, c.FormValue("decision") != "reject", c.FormValue("note"), sig)
		}},
		{"gas", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
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
		}},
		{"measures", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			i, err := strconv.Atoi(c.FormValue("index"))
			if err != nil {
				return invalid("安全措施", "未选择", "no measure chosen")
			}
			return mod.svc.ConfirmMeasure(c.Context(), m, id, i)
		}},
		{"briefing", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			sig, err := signature(c)
			if err != nil {
				return err
			}
			return mod.svc.SignBriefing(c.Context(), m, id, form.Int(c, "worker"), sig)
		}},
		{"start", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Start(c.Context(), m, id) }},
		{"interrupt", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			return mod.svc.Interrupt(c.Context(), m, id, c.FormValue("reason"))
		}},
		{"resume", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Resume(c.Context(), m, id) }},
		{"guardian", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			return mod.svc.ChangeGuardian(c.Context(), m, id, form.Int(c, "guardian"), c.FormValue("reason"))
		}},
		{"finish", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Finish(c.Context(), m, id) }},
		{"accept", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			sig, err := signature(c)
			if err != nil {
				return err
			}
			return mod.svc.Accept(c.Context(), m, id, c.FormValue("note"), sig)
		}},
		{"archive", func(c *fiber.Ctx, m *enterprise.Member, id string) error { return mod.svc.Archive(c.Context(), m, id) }},
		{"revoke", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			return mod.svc.Revoke(c.Context(), m, id, c.FormValue("reason"))
		}},
		{"void", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
			return mod.svc.Void(c.Context(), m, id, c.FormValue("reason"))
		}},
		{"photos", func(c *fiber.Ctx, m *enterprise.Member, id string) error {
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
		}},
	}
}

// permitRefusal is what the permit's page shows beside the permit: every
// refusal but a fault, a missing permit and an unavailable service, which the
// error page explains.
func permitRefusal(err error) (*chemguard.Error, bool) {
	var e *chemguard.Error
	if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound && e.Code != chemguard.EUnavailable {
		return e, true
	}
	return nil, false
}
