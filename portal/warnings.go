package portal

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web"
)

type warningsPage struct {
	Filter   readmodel.WarningFilter
	Levels   []readmodel.Count
	Warnings []readmodel.WarningRow
	Pager    web.Pager
}

func (p *Portal) warnings(c *fiber.Ctx) error {
	f := readmodel.WarningFilter{Level: c.Query("level"), Status: c.Query("status", "open")}
	if f.Level != "" {
		if l, err := warning.ParseLevel(f.Level); err != nil || l == warning.LevelNone {
			return chemguard.Errorf(chemguard.EInvalid, "预警等级须为红、橙、黄、蓝之一", "level must be red, orange, yellow or blue")
		}
	}
	if f.Status != "open" && f.Status != "settled" && f.Status != "all" {
		return chemguard.Errorf(chemguard.EInvalid, "状态须为处置中、已归档或全部", "status must be open, settled or all")
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	list, total, err := p.warningQueries.List(c.UserContext(), p.guard.Scope(c), f, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	var levels []readmodel.Count
	for _, l := range []warning.Level{warning.LevelRed, warning.LevelOrange, warning.LevelYellow, warning.LevelBlue} {
		levels = append(levels, readmodel.Count{Code: l.String(), Name: l.NameZH()})
	}
	return p.render(c, "warnings", "风险预警", "warnings", warningsPage{Filter: f, Levels: levels, Warnings: list,
		Pager: p.pager(Prefix+"/warnings", url.Values{"level": {f.Level}, "status": {f.Status}}, number, total)})
}

// warning shows one warning: a caller outside its company's region is refused
// (403, audited); an unknown id is 404 only for a caller reaching the province.
func (p *Portal) warning(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return readmodel.ErrNoWarning
	}
	d, err := p.warningQueries.Get(c.UserContext(), id)
	if errors.Is(err, readmodel.ErrNoWarning) {
		if cerr := p.guard.Check(c, policy.ObjWarning, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return err
	}
	if err := p.guard.Check(c, policy.ObjWarning, policy.ActRead,
		tiers.EnterprisePath(d.DivisionCode, d.ParkCode, d.Company)); err != nil {
		return err
	}
	if d.Events, d.EventsOmitted, err = p.warningQueries.Events(c.UserContext(), id); err != nil {
		return err
	}
	if d.Notifications, err = p.warningQueries.Notifications(c.UserContext(), id); err != nil {
		return err
	}
	page := warningPage{WarningDetail: d}
	if d.Status == "open" {
		page.Offer = p.offer(c, d)
	}
	return p.render(c, "warning", "预警详情", "warnings", page)
}

// warningPage is one warning with the 处置操作 the caller may take.
type warningPage struct {
	readmodel.WarningDetail
	Offer Offer // an open warning only
}

// ActionOffer is one 处置操作 the caller may take now.
type ActionOffer struct{ Kind, LabelZH string }

// Offer is what the 处置操作 form offers the caller at a warning's step, from
// the workflow's rules (warning.ActionKind.May) and the caller's permissions
// (alerting.Permission via the Guard): the same the warnings API enforces.
type Offer struct {
	Actions []ActionOffer
	// Waiting is what the disposal waits for (等待企业签收); Why, when nothing is
	// offered, says why.
	Waiting, Why string
	// Reason, ToLevel: an offered action needs the field.
	Reason, ToLevel bool
}

var actionLabelZH = map[warning.ActionKind]string{
	warning.ActAcknowledge: "签收（企业）", warning.ActFeedback: "处置反馈（企业，须填写处置情况）",
	warning.ActVerify: "核查（监管部门）", warning.ActClose: "解除（监管部门领导）",
	warning.ActDowngrade: "降级（监管部门领导，须填写原因和目标等级）", warning.ActFalseAlarm: "误报（须填写原因；橙色、红色预警由监管部门领导审批）",
}

// offer returns the actions the caller may take on the open warning d now.
func (p *Portal) offer(c *fiber.Ctx, d readmodel.WarningDetail) Offer {
	step := warning.Step(d.Step)
	level, _ := warning.ParseLevel(d.Level)
	o := Offer{Waiting: warningsvc.WaitingZH(step, level, "企业")}
	var role warning.Role
	ok := false
	if u := identity.UserFrom(c); u != nil {
		role, ok = warningsvc.RoleOf(u.Domain)
	}
	if !ok {
		o.Why = "本账号不能处置预警"
		return o
	}
	res := tiers.EnterprisePath(d.DivisionCode, d.ParkCode, d.Company)
	roleMay := false
	for _, k := range warning.ActionKinds {
		if k.May(step, role) != nil {
			continue
		}
		roleMay = true
		if perm, _ := warningsvc.Permission(k, level); !p.guard.Allowed(c, policy.ObjWarning, perm, res) {
			continue
		}
		o.Actions = append(o.Actions, ActionOffer{Kind: string(k), LabelZH: actionLabelZH[k]})
		o.Reason = o.Reason || k == warning.ActDowngrade || k == warning.ActFalseAlarm
		o.ToLevel = o.ToLevel || k == warning.ActDowngrade
	}
	switch {
	case len(o.Actions) > 0:
	case roleMay:
		o.Why = "本账号的角色无权执行当前环节的处置操作（" + o.Waiting + "）"
	default:
		o.Why = "当前环节无本账号可执行的处置操作：" + o.Waiting
	}
	return o
}
