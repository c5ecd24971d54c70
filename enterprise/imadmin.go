package enterprise

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// imPage is the administrator's 群机器人 page: the company's group robot that
// urgent notices also go to.
type imPage struct {
	Page
	Robot  IMRobot
	Has    bool
	Result string // the last 测试's outcome, errcode and message
	Error  string
}

func (a *App) renderIM(c *fiber.Ctx, msg, result string) error {
	p := imPage{Page: NewPage(c, "群机器人（即时通讯）", false), Error: msg, Result: result}
	var err error
	if p.Robot, p.Has, err = a.im.Get(c.UserContext(), MemberFrom(c).Company); err != nil {
		return err
	}
	if p.Result == "" {
		p.Result = p.Robot.TestResult
	}
	return a.renderForm(c, "im", msg, p)
}

func (a *App) imSettings(c *fiber.Ctx) error { return a.renderIM(c, "", "") }

// imChange audits a change of the robot and goes back to the page (or shows
// the refusal there).
func (a *App) imChange(c *fiber.Ctx, action string, detail any, err error) error {
	if err := a.audited(c, action, "enterprise:"+MemberFrom(c).Company+"/im", detail, err); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderIM(c, msg, "") })
	}
	return c.Redirect(Prefix+"/admin/im", fiber.StatusSeeOther)
}

func (a *App) imSave(c *fiber.Ctx) error {
	m := MemberFrom(c)
	kind := strings.Clone(c.FormValue("kind"))
	err := a.im.Save(c.UserContext(), m.Company, kind, strings.Clone(c.FormValue("webhook")),
		strings.Clone(c.FormValue("secret")), m.Username)
	// Neither the webhook (its key) nor the secret is audited.
	return a.imChange(c, "enterprise_im_save", map[string]string{"kind": kind}, err)
}

func (a *App) imDisable(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := MemberFrom(c)
		err := a.im.SetDisabled(c.UserContext(), m.Company, disabled, m.Username)
		return a.imChange(c, "enterprise_im_disable", map[string]bool{"disabled": disabled}, err)
	}
}

func (a *App) imTest(c *fiber.Ctx) error {
	m := MemberFrom(c)
	me, err := a.members.Person(c.UserContext(), m.Company, m.UserID)
	if err != nil {
		return err
	}
	result, err := a.im.Test(c.UserContext(), m.Company, me)
	if err := a.audited(c, "enterprise_im_test", "enterprise:"+m.Company+"/im", map[string]string{"result": result}, err); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderIM(c, msg, "") })
	}
	return a.renderIM(c, "", result)
}
