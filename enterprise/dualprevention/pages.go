package dualprevention

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

type listPage struct {
	enterprise.Page
	Units   []Unit
	Manager bool
	Flash   string
}

func (mod *Module) list(c *fiber.Ctx, m *enterprise.Member) error {
	units, err := mod.svc.List(c.Context(), m)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "list", listPage{Page: enterprise.NewPage(c, "风险分级管控及隐患排查清单", false), Units: units,
		Manager: m.Has(enterprise.Managers...), Flash: c.Query("flash")})
}

type tasksPage struct {
	enterprise.Page
	Tasks    []Task
	Settings Settings
	Levels   []Level
	Posts    []postOption
	Counts   map[string]int
	Status   string
	Level    int
	Post     int64
	Manager  bool
	Flash    string
}

func (mod *Module) taskFilter(c *fiber.Ctx, m *enterprise.Member) TaskFilter {
	f := TaskFilter{Status: c.Query("status"), All: m.Has(enterprise.Managers...)}
	f.Level, _ = strconv.Atoi(c.Query("level"))
	f.PostID, _ = strconv.ParseInt(c.Query("post"), 10, 64)
	if !m.Has(enterprise.Managers...) && !m.Has(policy.EnterpriseDeptHead) {
		f.Posts = []int64{}
		for _, p := range m.Posts {
			f.Posts = append(f.Posts, p.ID)
		}
	}
	return f
}

func (mod *Module) tasks(c *fiber.Ctx, m *enterprise.Member) error {
	f := mod.taskFilter(c, m)
	status := f.Status
	f.Status = ""
	ts, err := mod.svc.Tasks(c.Context(), m.Company, f)
	if err != nil {
		return err
	}
	st, err := mod.svc.Settings(c.Context(), m.Company)
	if err != nil {
		return err
	}
	d, err := mod.svc.directory(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p := tasksPage{Page: enterprise.NewPage(c, "隐患排查任务", false), Settings: st, Levels: Levels, Status: status, Level: f.Level, Post: f.PostID,
		Counts: map[string]int{}, Manager: m.Has(enterprise.Managers...), Flash: c.Query("flash")}
	for _, t := range ts {
		if t.Enabled {
			p.Counts[t.Status]++
		}
		if status == "" || t.Status == status {
			p.Tasks = append(p.Tasks, t)
		}
	}
	for _, x := range d.postList {
		p.Posts = append(p.Posts, postOption{x.ID, d.postName(x.ID)})
	}
	return mod.pc.Render(c, "tasks", p)
}

// liveTask is one task's status as the live page updates it.
type liveTask struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	StatusZH string `json:"status_zh"`
	Last     string `json:"last"`
	Due      string `json:"due"`
}

// tasksLive answers the statuses of the tasks the page shows as JSON; the
// board fetches it every 15 s, so 已排查/未排查/超期未排查 change on screen as
// checks arrive and deadlines pass. (A fetch rather than a stream: each
// refresh passes the member guard again, and nothing stays open.)
func (mod *Module) tasksLive(c *fiber.Ctx, m *enterprise.Member) error {
	f := mod.taskFilter(c, m)
	f.Status = ""
	ts, err := mod.svc.Tasks(c.Context(), m.Company, f)
	if err != nil {
		return err
	}
	out := make([]liveTask, 0, len(ts))
	for _, t := range ts {
		lt := liveTask{ID: t.ID, Status: t.Status, StatusZH: t.StatusZH(), Due: t.Period.End.In(schemas.Shanghai).Format("01-02 15:04")}
		if t.LastCheck != nil {
			lt.Last = t.LastCheck.In(schemas.Shanghai).Format("01-02 15:04") + " " + t.LastStatusZH()
		}
		out = append(out, lt)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

type taskPage struct {
	enterprise.Page
	Task       Task
	Checks     []Check
	Posts      []postOption
	CycleUnits []string
	Manager    bool
	Problems   []Problem
}

func (mod *Module) task(c *fiber.Ctx, m *enterprise.Member) error {
	t, err := mod.svc.Task(c.Context(), m.Company, c.Params("id"))
	if err != nil {
		return err
	}
	return mod.renderTask(c, m, t, nil)
}

func (mod *Module) renderTask(c *fiber.Ctx, m *enterprise.Member, t Task, ps []Problem) error {
	checks, _, err := mod.svc.Checks(c.Context(), m.Company, CheckFilter{TaskID: t.ID, Limit: 50})
	if err != nil {
		return err
	}
	d, err := mod.svc.directory(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p := taskPage{Page: enterprise.NewPage(c, "排查任务："+t.UnitName, false), Task: t, Checks: checks, CycleUnits: CycleUnits,
		Manager: m.Has(enterprise.Managers...), Problems: ps}
	for _, x := range d.postList {
		p.Posts = append(p.Posts, postOption{x.ID, d.postName(x.ID)})
	}
	return mod.pc.Render(c, "task", p)
}

// ---- check records ----

type checksPage struct {
	enterprise.Page
	Checks   []Check
	Total    int
	From, To string
	Status   string
	Pager    web.Pager
	Statuses []schemas.Code
}

func (mod *Module) checks(c *fiber.Ctx, m *enterprise.Member) error {
	number, err := web.PageNumber(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.now(), 30)
	size := web.DefaultPageSize
	checks, total, err := mod.svc.Checks(c.Context(), m.Company, CheckFilter{From: from, To: to, Status: c.Query("status"),
		Limit: size, Offset: (number - 1) * size})
	if err != nil {
		return err
	}
	q := url.Values{"from": {fs}, "to": {ts}, "status": {c.Query("status")}}
	return mod.pc.Render(c, "checks", checksPage{Page: enterprise.NewPage(c, "隐患排查记录", false), Checks: checks, Total: total,
		From: fs, To: ts, Status: c.Query("status"), Pager: web.NewPager(c.Path(), q, number, size, total),
		Statuses: schemas.CodesCheckStatus.Codes})
}

func (mod *Module) photo(c *fiber.Ctx, m *enterprise.Member) error {
	n, _ := strconv.Atoi(c.Params("n"))
	data, ct, err := mod.svc.CheckPhoto(c.Context(), m.Company, c.Params("id"), n)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(data)
}

// ---- statistics ----

type statsPage struct {
	enterprise.Page
	Stats    Stats
	From, To string
}

func (mod *Module) statsOf(c *fiber.Ctx) (Stats, string, string, error) {
	m, err := enterprise.CurrentMember(c)
	if err != nil {
		return Stats{}, "", "", err
	}
	if !m.Has(enterprise.Managers...) && !m.Has(policy.EnterpriseDeptHead) {
		return Stats{}, "", "", chemguard.Errorf(chemguard.EForbidden, "只有管理人员和部门负责人可以查看排查统计", "only managers and department heads see the statistics")
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.now(), 30)
	if to.After(mod.svc.now()) {
		to = mod.svc.now()
	}
	st, err := mod.svc.Stats(c.Context(), m.Company, from, to)
	return st, fs, ts, err
}

func (mod *Module) stats(c *fiber.Ctx) error {
	st, fs, ts, err := mod.statsOf(c)
	if err != nil {
		return err
	}
	return mod.pc.Render(c, "stats", statsPage{Page: enterprise.NewPage(c, "隐患排查任务完成情况统计", false), Stats: st, From: fs, To: ts})
}
