package positioning

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

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

func (mod *Module) setupAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderSetup(c, e, nil) }, func(c *fiber.Ctx) string {
		return enterprise.Flash(enterprise.Prefix+"/positioning/setup", "已保存") + "&floor=" + url.QueryEscape(c.FormValue("floor"))
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

func (mod *Module) issueGateway(c *fiber.Ctx, m *enterprise.Member) error {
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

// importPeople registers the uploaded workbook's rows and shows the people
// page with the report: how many were added and bound, and each refused row.
func (mod *Module) importPeople(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) peopleAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, mod.renderPeople, func(*fiber.Ctx) string {
		return enterprise.Flash(enterprise.Prefix+"/positioning/people", "已保存")
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
		return enterprise.Flash(enterprise.Prefix+"/positioning/alarms/"+url.PathEscape(c.Params("id")), "已保存")
	})
}

func (mod *Module) evacuate(c *fiber.Ctx, m *enterprise.Member) error {
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
