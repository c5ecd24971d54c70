package dualprevention

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

type phoneTasksPage struct {
	enterprise.Page
	Tasks   []Task
	Overdue int
	Pending int
}

func (mod *Module) myTasks(c *fiber.Ctx, m *enterprise.Member) error {
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
func (mod *Module) code(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) unitPhone(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) checkForm(c *fiber.Ctx, m *enterprise.Member) error {
	t, err := mod.svc.Task(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	return mod.phone.Render(c, "m_check", checkFormPage{Page: enterprise.NewPage(c, "记录排查", true), Task: t,
		Statuses: schemas.CodesCheckStatus.Codes, MaxPhotos: mod.svc.cfg.MaxPhotos, In: CheckInput{Status: "0"}})
}

func (mod *Module) checkPost(c *fiber.Ctx, m *enterprise.Member) error {
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

func (mod *Module) checkDone(c *fiber.Ctx, m *enterprise.Member) error {
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
