package inspect

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

// reachable loads the enterprise and checks the caller may do act on obj of it:
// 403 (audited) outside the caller's region; an unregistered code is 404 only
// for a caller who reaches the whole province.
func (a *App) reachable(c *fiber.Ctx, code, obj, act string) (readmodel.Enterprise, error) {
	e, err := a.store.companies.Enterprise(c.UserContext(), code)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := a.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return e, cerr
		}
	}
	if err != nil {
		return e, err
	}
	return e, a.guard.Check(c, obj, act, e.Path())
}

// tierOf is the caller's plan tier, or a forbidden error for an enterprise account.
func tierOf(c *fiber.Ctx) (Tier, error) {
	t, ok := TierOf(identity.UserFrom(c).Domain)
	if !ok {
		return "", chemguard.Errorf(chemguard.EForbidden, "巡查检查移动端仅供监管部门和巡查检查人员使用",
			"the inspector app is for regulators and inspectors")
	}
	return t, nil
}

type homePage struct {
	Tier       Tier
	Plan       Plan
	Round      Round
	Due, Total int
	OpenSpots  int
	Waiting    int
	NeedsMe    int
	Recent     []Record
	CanWrite   bool
}

func (a *App) canWrite(c *fiber.Ctx) bool {
	u := identity.UserFrom(c)
	return a.perms.Allowed(u.Subject(), u.Domain, policy.ObjInspection, policy.ActWrite, "")
}

func (a *App) home(c *fiber.Ctx) error {
	tier, err := tierOf(c)
	if err != nil {
		return err
	}
	ctx, scope, domain := c.UserContext(), a.guard.Scope(c), identity.UserFrom(c).Domain
	page := homePage{Tier: tier, Plan: a.cfg.Plans[tier], CanWrite: a.canWrite(c)}
	tasks, round, err := a.store.PatrolTasks(ctx, scope, domain, tier, page.Plan, a.cfg.Now())
	if err != nil {
		return err
	}
	page.Round, page.Total = round, len(tasks)
	for _, t := range tasks {
		if t.DoneAt == nil {
			page.Due++
		}
	}
	spots, err := a.store.Spots(ctx, scope, domain, 100)
	if err != nil {
		return err
	}
	for _, s := range spots {
		if s.InspectionID == nil {
			page.OpenSpots++
		}
	}
	waiting, err := a.store.Waiting(ctx, scope, tier, 200)
	if err != nil {
		return err
	}
	page.Waiting = len(waiting)
	for _, w := range waiting {
		if w.Step == "fed_back" || w.Step == "verified" {
			page.NeedsMe++
		}
	}
	if page.Recent, _, err = a.store.Records(ctx, scope, "", 0, 5); err != nil {
		return err
	}
	return a.render(c, "home", "巡查检查", "home", page)
}

type patrolPage struct {
	Tier  Tier
	Plan  Plan
	Round Round
	Tasks []Task
}

func (a *App) patrol(c *fiber.Ctx) error {
	tier, err := tierOf(c)
	if err != nil {
		return err
	}
	plan := a.cfg.Plans[tier]
	tasks, round, err := a.store.PatrolTasks(c.UserContext(), a.guard.Scope(c), identity.UserFrom(c).Domain, tier, plan, a.cfg.Now())
	if err != nil {
		return err
	}
	return a.render(c, "patrol", "在线巡查", "patrol", patrolPage{Tier: tier, Plan: plan, Round: round, Tasks: tasks})
}

// checklist turns a company's live status into the patrol's checklist items
// (the verdicts left false).
func checklist(l Live, now time.Time) []CheckItem {
	d := l.Detail
	online := "从未上传数据"
	if l.LastSeen != nil {
		state := "离线"
		if l.Online {
			state = "在线"
		}
		online = fmt.Sprintf("%s（最近上传 %s）", state, l.LastSeen.In(schemas.Shanghai).Format(schemas.DateTimeLayout))
	}
	alarms := "无当前报警"
	if n := len(d.Alarms); n > 0 {
		alarms = fmt.Sprintf("当前报警 %d 条，最近：%s %s", n, d.Alarms[0].SourceZH(), d.Alarms[0].SeverityZH())
	}
	warnings := "无处置中预警"
	if n := len(d.Warnings); n > 0 {
		warnings = fmt.Sprintf("处置中预警 %d 条，最高：%s（%s）", n, d.Warnings[0].LevelZH(), d.Warnings[0].StepZH())
	}
	commit := "今日未承诺"
	switch {
	case d.Enterprise.Kind == "加油站":
		commit = "加油站无需每日承诺"
	case d.Commitment != nil && d.CommitmentLate():
		commit = fmt.Sprintf("逾期承诺（%v，承诺人 %v）", d.Commitment["COMMIT_TIME"], d.Commitment["COMMIT_PERSON"])
	case d.Commitment != nil:
		commit = fmt.Sprintf("按时承诺（%v，承诺人 %v）", d.Commitment["COMMIT_TIME"], d.Commitment["COMMIT_PERSON"])
	}
	ops := "今日无特殊作业"
	if n := len(d.SpecialOps); n > 0 {
		var kinds []string
		for i, op := range d.SpecialOps {
			if i == 3 {
				kinds = append(kinds, "…")
				break
			}
			v := fmt.Sprint(op["TASK_TYPE"])
			if c, ok := schemas.CodesTaskType.Lookup(v); ok {
				v = c.NameZH
			}
			kinds = append(kinds, v)
		}
		ops = fmt.Sprintf("今日特殊作业 %d 项：%s", n, strings.Join(kinds, "、"))
	}
	return []CheckItem{
		{Item: "online", Label: "数据在线", Status: online},
		{Item: "alarms", Label: "报警处置", Status: alarms},
		{Item: "warnings", Label: "预警处置", Status: warnings},
		{Item: "commitment", Label: "今日安全承诺", Status: commit},
		{Item: "operations", Label: "今日特殊作业", Status: ops},
	}
}

// checkPage is the record form of every kind.
type checkPage struct {
	Kind, KindZH string
	Company      readmodel.Enterprise
	Items        []CheckItem
	Spot         *Spot
	ClientID     string
	Hazards      []HazardOption
	Deadline     string // default 隐患治理期限: a week from today
	Today        string
	MaxPhotos    int
	Codes        struct{ Level, ManageType, DangerType []schemas.Code }
}

func (a *App) checkForm(c *fiber.Ctx, kind string, e readmodel.Enterprise, spot *Spot) error {
	now := a.cfg.Now()
	l, err := a.store.Live(c.UserContext(), e, now, a.cfg.OnlineWindow)
	if err != nil {
		return err
	}
	p := checkPage{Kind: kind, KindZH: KindZH(kind), Company: e, Items: checklist(l, now), Spot: spot,
		ClientID: uuid.NewString(), MaxPhotos: a.cfg.MaxPhotos,
		Today:    now.In(schemas.Shanghai).Format(schemas.DateLayout),
		Deadline: now.In(schemas.Shanghai).AddDate(0, 0, 7).Format(schemas.DateLayout)}
	if p.Hazards, err = a.store.HazardOptions(c.UserContext(), e.Code); err != nil {
		return err
	}
	p.Codes.Level = schemas.CodesDangerLevel.Codes
	p.Codes.ManageType = schemas.CodesManageType.Codes
	p.Codes.DangerType = schemas.CodesDangerType.Codes
	return a.render(c, "check", KindZH(kind)+" · "+e.Name, navOf(kind), p)
}

func navOf(kind string) string {
	return map[string]string{KindPatrol: "patrol", KindSpot: "spot", KindSupervision: "supervise"}[kind]
}

func (a *App) patrolForm(c *fiber.Ctx) error {
	e, err := a.reachable(c, strings.Clone(c.Params("code")), policy.ObjData, policy.ActRead)
	if err != nil {
		return err
	}
	return a.checkForm(c, KindPatrol, e, nil)
}

type spotsPage struct {
	Kinds    []string
	Spots    []Spot
	ClientID string
}

func (a *App) spots(c *fiber.Ctx) error {
	if _, err := tierOf(c); err != nil {
		return err
	}
	list, err := a.store.Spots(c.UserContext(), a.guard.Scope(c), identity.UserFrom(c).Domain, 50)
	if err != nil {
		return err
	}
	return a.render(c, "spot", "抽查", "spot", spotsPage{Kinds: []string{SpotCompany, SpotWarning, SpotCommitment, SpotPermit},
		Spots: list, ClientID: uuid.NewString()})
}

// ActionDraw is the audit action of drawing a spot check.
const ActionDraw = "spot_check_draw"

func init() {
	form.Register("spot_kind", func(s string) bool { return SpotKindZH(s) != "" },
		"{0}须为企业、预警、今日安全承诺或今日特殊作业票", "{0} must be company, warning, commitment or permit")
}

// drawForm is the 抽查 draw form; its client_id is read first (parseClientID),
// since a replayed draw answers with the spot already drawn.
type drawForm struct {
	Kind string `form:"kind" label:"抽查对象" validate:"spot_kind"`
}

// draw picks a random target of the asked kind from the caller's region,
// records and audits the draw, and shows it.
func (a *App) draw(c *fiber.Ctx) error {
	if _, err := tierOf(c); err != nil {
		return err
	}
	if err := a.guard.Check(c, policy.ObjInspection, policy.ActWrite, ""); err != nil {
		return err
	}
	clientID, err := parseClientID(c.FormValue("client_id"))
	if err != nil {
		return err
	}
	u := identity.UserFrom(c)
	kind := strings.Clone(c.FormValue("kind"))
	// A refused form is a failed draw, audited like the others.
	var sp Spot
	derr := form.Check(&drawForm{Kind: kind})
	if derr == nil {
		sp, derr = a.store.Draw(c.UserContext(), a.guard.Scope(c), kind, clientID, u.Username, u.Domain, a.cfg.Now())
	}
	ev := a.guard.Actor(c)
	ev.Action, ev.Object, ev.Result = ActionDraw, "spot_check", "ok"
	ev.Detail = fiber.Map{"kind": kind, "client_id": clientID}
	if derr != nil {
		ev.Result = "failed"
	} else {
		ev.Object = "spot_check:" + strconv.FormatInt(sp.ID, 10)
		ev.Detail = fiber.Map{"kind": kind, "client_id": clientID, "company": sp.Company, "target": sp.TargetKey}
	}
	if err := a.audit.Record(c.UserContext(), ev); err != nil {
		return err
	}
	if derr != nil {
		return derr
	}
	return c.Redirect(Prefix+"/spot/"+strconv.FormatInt(sp.ID, 10), fiber.StatusSeeOther)
}

func (a *App) spotForm(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errNoSpot
	}
	sp, err := a.store.Spot(c.UserContext(), id)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := a.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return err
	}
	e, err := a.reachable(c, sp.Company, policy.ObjData, policy.ActRead)
	if err != nil {
		return err
	}
	return a.checkForm(c, KindSpot, e, &sp)
}

type supervisePage struct {
	Q         string
	Companies []readmodel.Enterprise
	Total     int
}

func (a *App) supervise(c *fiber.Ctx) error {
	if _, err := tierOf(c); err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	list, total, err := a.store.companies.Enterprises(c.UserContext(), a.guard.Scope(c), q, nil, 0, 30)
	if err != nil {
		return err
	}
	return a.render(c, "supervise", "检查督导", "supervise", supervisePage{Q: q, Companies: list, Total: total})
}

func (a *App) superviseForm(c *fiber.Ctx) error {
	e, err := a.reachable(c, strings.Clone(c.Params("code")), policy.ObjData, policy.ActRead)
	if err != nil {
		return err
	}
	return a.checkForm(c, KindSupervision, e, nil)
}

// warningsPage is 预警处置: the open warnings the caller's tier watches and the
// actions its roles may take; the buttons call the warning API.
type warningsPage struct {
	Tier       Tier
	Warnings   []Waiting
	Elsewhere  []Waiting // in the caller's region, watched by another tier: shown with why not the caller's
	CanHandle  bool      // 核查, 误报
	CanApprove bool      // 解除, 降级
	Levels     []warning.Level
}

func (a *App) warnings(c *fiber.Ctx) error {
	tier, err := tierOf(c)
	if err != nil {
		return err
	}
	list, err := a.store.Waiting(c.UserContext(), a.guard.Scope(c), tier, 100)
	if err != nil {
		return err
	}
	elsewhere, err := a.store.Elsewhere(c.UserContext(), a.guard.Scope(c), tier, 50)
	if err != nil {
		return err
	}
	u := identity.UserFrom(c)
	return a.render(c, "warnings", "预警处置", "warnings", warningsPage{Tier: tier, Warnings: list, Elsewhere: elsewhere,
		CanHandle:  a.perms.Allowed(u.Subject(), u.Domain, policy.ObjWarning, policy.ActHandle, ""),
		CanApprove: a.perms.Allowed(u.Subject(), u.Domain, policy.ObjWarning, policy.ActApprove, ""),
		Levels:     []warning.Level{warning.LevelOrange, warning.LevelYellow, warning.LevelBlue, warning.LevelNone}})
}

type recordsPage struct {
	Kind    string
	Records []Record
	Pager   web.Pager
}

func (a *App) records(c *fiber.Ctx) error {
	kind := c.Query("kind")
	if kind != "" && KindZH(kind) == "" {
		return chemguard.Errorf(chemguard.EInvalid, "记录类型须为在线巡查、抽查或检查督导", "kind must be patrol, spot or supervision")
	}
	number, err := web.PageNumber(c)
	if err != nil {
		return err
	}
	list, total, err := a.store.Records(c.UserContext(), a.guard.Scope(c), kind, (number-1)*a.cfg.PageSize, a.cfg.PageSize)
	if err != nil {
		return err
	}
	pg := web.NewPager(Prefix+"/records", url.Values{"kind": {kind}}, number, a.cfg.PageSize, total)
	return a.render(c, "records", "检查记录", "records", recordsPage{Kind: kind, Records: list, Pager: pg})
}

// reachableRecord loads record :id and checks the caller may read its company's data.
func (a *App) reachableRecord(c *fiber.Ctx) (Record, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return Record{}, errNoRecord
	}
	r, err := a.store.Record(c.UserContext(), id)
	return web.Readable(c, a.guard, r, err)
}

func (a *App) record(c *fiber.Ctx) error {
	r, err := a.reachableRecord(c)
	if err != nil {
		return err
	}
	var danger []schemas.HiddenDanger
	if len(r.Danger) > 0 {
		_ = json.Unmarshal(r.Danger, &danger) // written by submit: the batch of one as sent
	}
	var d schemas.HiddenDanger
	if len(danger) > 0 {
		d = danger[0]
	}
	return a.render(c, "record", r.KindZH()+"记录", "records", map[string]any{"R": r, "Danger": d, "Sent": c.Query("sent") != ""})
}

// photo serves photo :n of record :id to a caller who may read its company.
func (a *App) photo(c *fiber.Ctx) error {
	r, err := a.reachableRecord(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 0 || n >= len(r.Photos) {
		return chemguard.Errorf(chemguard.ENotFound, "没有该照片", "no such photo")
	}
	data, err := a.files.Get(r.Photos[n].Ref)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, r.Photos[n].ContentType)
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return c.Send(data)
}
