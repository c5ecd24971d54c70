package enterprise

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

// WarningActions applies a company's 签收 and 处置反馈 to its own warning
// (warningsvc.Service implements it): the engine's rules, the same as the
// warnings API applies, with another company's warning not_found.
type WarningActions interface {
	ActForCompany(ctx context.Context, company string, id int64, a warning.Action) error
}

// The roles that read the company's 预警 and the roles that sign for them and
// answer them on the company's behalf. A contractor is a guest on the site:
// the platform's warnings about the company are not theirs to read.
var (
	warningReaders  = []policy.Role{policy.EnterpriseAdmin, policy.EnterprisePrincipal, policy.EnterpriseSafety, policy.EnterpriseDeptHead, policy.EnterpriseStaff}
	warningHandlers = Managers
)

// warningPageSize is the list's page length.
const warningPageSize = 30

type warningsPage struct {
	Page
	Status   string
	Warnings []readmodel.WarningRow
	Pager    web.Pager
}

// warningsList is the company's 预警 from the platform, worst first: the
// platform's read model scoped to the member's company only.
func (a *App) warningsList(phone bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := MemberFrom(c)
		status := c.Query("status", "open")
		if status != "open" && status != "settled" && status != "all" {
			return a.fail(c, chemguard.Errorf(chemguard.EInvalid, "状态（status）须为处置中（open）、已归档（settled）或全部（all）",
				"status must be open, settled or all"))
		}
		number, err := web.PageNumber(c)
		if err != nil {
			return a.fail(c, err)
		}
		list, total, err := a.warnings.List(c.UserContext(), tiers.Scope{Enterprise: m.Company},
			readmodel.WarningFilter{Status: status}, (number-1)*warningPageSize, warningPageSize)
		if err != nil {
			return err
		}
		path := Prefix + "/warnings"
		if phone {
			path = PhonePrefix + "/warnings"
		}
		p := warningsPage{Page: NewPage(c, "风险预警", phone), Status: status, Warnings: list,
			Pager: web.NewPager(path, url.Values{"status": {status}}, number, warningPageSize, total)}
		if phone {
			return a.phone.Render(c, "phone_warnings", p)
		}
		return a.pages.Render(c, "warnings", p)
	}
}

// companyAction is one action the company may take now.
type companyAction struct{ Kind, LabelZH string }

type warningPage struct {
	Page
	readmodel.WarningDetail
	Actions []companyAction
	Waiting string // what the disposal waits for, e.g. 等待监管部门核查
	Why     string // why nothing is offered to this member
	Error   string
	Done    bool
}

// errNoWarning is any warning id that is not the member's company's: not
// found, whether it exists elsewhere or not.
var errNoWarning = chemguard.Errorf(chemguard.ENotFound, "本企业没有该预警", "your company has no such warning")

// loadWarning returns the warning :id of the member's company.
func (a *App) loadWarning(c *fiber.Ctx) (readmodel.WarningDetail, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return readmodel.WarningDetail{}, errNoWarning
	}
	d, err := a.warnings.Get(c.UserContext(), id)
	if errors.Is(err, readmodel.ErrNoWarning) || (err == nil && d.Company != MemberFrom(c).Company) {
		return readmodel.WarningDetail{}, errNoWarning
	}
	if err != nil {
		return d, err
	}
	d.Events, d.EventsOmitted, err = a.warnings.Events(c.UserContext(), id)
	return d, err
}

// warningDetail shows one of the company's warnings: why it was raised, its
// timeline, and the 签收/反馈 form when the disposal waits for the company
// and the member may sign for it.
func (a *App) warningDetail(phone bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := a.loadWarning(c)
		if err != nil {
			return a.fail(c, err)
		}
		return a.renderWarning(c, phone, d, "", c.Query("done") != "")
	}
}

func (a *App) renderWarning(c *fiber.Ctx, phone bool, d readmodel.WarningDetail, msg string, done bool) error {
	p := warningPage{Page: NewPage(c, "预警详情", phone), WarningDetail: d, Error: msg, Done: done}
	if d.Status == "open" {
		step := warning.Step(d.Step)
		level, _ := warning.ParseLevel(d.Level)
		p.Waiting = warningsvc.WaitingZH(step, level, "本企业")
		may := MemberFrom(c).Has(warningHandlers...)
		for _, k := range warning.ActionKinds {
			if k.May(step, warning.RoleCompany) == nil && may {
				p.Actions = append(p.Actions, companyAction{Kind: string(k), LabelZH: k.NameZH()})
			}
		}
		switch {
		case len(p.Actions) > 0:
		case !may:
			p.Why = "签收和处置反馈由企业管理员、主要负责人或企业安全管理员办理（" + p.Waiting + "）"
		default:
			p.Why = "当前环节无本企业可办理的处置操作：" + p.Waiting
		}
	}
	if msg != "" {
		refused(c)
	}
	if phone {
		return a.phone.Render(c, "phone_warning", p)
	}
	return a.pages.Render(c, "warning", p)
}

// warningActForm is the 签收/反馈 form.
type warningActForm struct {
	Action string `form:"action" label:"处置操作" validate:"required,oneof=acknowledge feedback"`
	Note   string `form:"note" label:"处置情况" validate:"max=2000"`
	Phone  string `form:"phone"`
}

// warningAct signs for or answers the company's warning with the engine's
// rules; every attempt, refusals included, is audited as the warnings API
// audits it. A refusal (a feedback without its note, a step already taken)
// is shown on the warning's page.
func (a *App) warningAct(c *fiber.Ctx) error {
	var f warningActForm
	d, err := a.loadWarning(c)
	if err != nil {
		return a.fail(c, err)
	}
	phone := c.FormValue("phone") != ""
	show := func(msg string) error {
		if fresh, err := a.loadWarning(c); err == nil {
			d = fresh
		}
		return a.renderWarning(c, phone, d, msg, false)
	}
	if err := form.Bind(c, &f); err != nil {
		return a.formError(c, err, show)
	}
	m := MemberFrom(c)
	act := warning.Action{Kind: warning.ActionKind(f.Action),
		Actor: warning.Actor{ID: strconv.FormatInt(m.UserID, 10), Name: m.DisplayName, Role: warning.RoleCompany},
		At:    a.cfg.Now(), Note: strings.TrimSpace(f.Note), Unapproved: true}
	err = a.actions.ActForCompany(c.UserContext(), m.Company, d.ID, act)
	if err := a.audited(c, warningsvc.ActionWarning, "warning:"+strconv.FormatInt(d.ID, 10),
		map[string]string{"action": f.Action, "note": act.Note, "via": "base_system"}, err); err != nil {
		return a.formError(c, err, show)
	}
	path := Prefix
	if phone {
		path = PhonePrefix
	}
	return c.Redirect(path+"/warnings/"+strconv.FormatInt(d.ID, 10)+"?done="+f.Action, fiber.StatusSeeOther)
}
