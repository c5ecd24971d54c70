package enterprise

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/web"
)

// loginPage shows the login form in the shell.
func (a *App) loginPage(c *fiber.Ctx, f web.LoginForm) error {
	p := struct {
		Page
		web.LoginForm
	}{NewPage(c, "登录", false), f}
	tok, err := a.forms.FormToken(c)
	if err != nil {
		return err
	}
	p.CSRF = tok
	return a.pages.Render(c, "login", p)
}

type accountPage struct {
	Page
	MustChange, MustEnrol, TOTP bool
	Secret, URL                 string
	Error, Done                 string
}

func (a *App) renderAccount(c *fiber.Ctx, p accountPage) error {
	u := identity.UserFrom(c)
	p.Page = NewPage(c, "账户安全", false)
	p.MustChange, p.MustEnrol, p.TOTP = u.MustChangePassword, u.MustEnrolTOTP, u.TOTPEnrolled
	return a.renderForm(c, "account", p.Error, p)
}

func (a *App) accountPage(c *fiber.Ctx) error {
	return a.renderAccount(c, accountPage{Done: map[string]string{"password": "密码已修改。", "totp": "动态口令已绑定。"}[c.Query("done")]})
}

// formError shows a refusal on the page's form; other errors go to the error page.
func (a *App) formError(c *fiber.Ctx, err error, show func(msg string) error) error {
	var ae *chemguard.Error
	if errors.As(err, &ae) && ae.Code != chemguard.EInternal && ae.Code != chemguard.EUnavailable {
		c.Status(web.HTTPStatus(err))
		return show(ae.MessageZH)
	}
	return a.fail(c, err)
}

func sessionToken(c *fiber.Ctx) string { return strings.Clone(c.Cookies(identity.CookieName)) }

func (a *App) changePassword(c *fiber.Ctx) error {
	cur, next, again := strings.Clone(c.FormValue("current")), strings.Clone(c.FormValue("new")), c.FormValue("confirm")
	if next != again {
		return a.renderAccount(c, accountPage{Error: "两次输入的新密码不一致"})
	}
	if err := a.ident.ChangePassword(c.UserContext(), sessionToken(c), cur, next, c.IP()); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderAccount(c, accountPage{Error: msg}) })
	}
	return c.Redirect(Prefix+"/account?done=password", fiber.StatusSeeOther)
}

func (a *App) beginTOTP(c *fiber.Ctx) error {
	secret, url, err := a.ident.BeginTOTP(c.UserContext(), sessionToken(c), strings.Clone(c.FormValue("password")),
		strings.TrimSpace(c.FormValue("otp")), c.IP())
	if err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderAccount(c, accountPage{Error: msg}) })
	}
	return a.renderAccount(c, accountPage{Secret: secret, URL: url})
}

func (a *App) confirmTOTP(c *fiber.Ctx) error {
	if err := a.ident.ConfirmTOTP(c.UserContext(), identity.UserFrom(c), strings.TrimSpace(c.FormValue("otp")), c.IP()); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderAccount(c, accountPage{Error: msg}) })
	}
	return c.Redirect(Prefix+"/account?done=totp", fiber.StatusSeeOther)
}

type homePage struct {
	Page
	CompanyName string
	Recent      []Notification
	System      System
	Pending     int // exchange records waiting or refused (managers)
	Refused     int
	Manager     bool
	Modules     []NavItem
}

func (a *App) homeData(c *fiber.Ctx, title string, phone bool) (homePage, error) {
	m := MemberFrom(c)
	p := homePage{Page: NewPage(c, title, phone)}
	ctx := c.UserContext()
	if err := a.pool.QueryRow(ctx, `SELECT name FROM enterprises WHERE code = $1`, m.Company).Scan(&p.CompanyName); err != nil {
		return p, err
	}
	var err error
	if p.Recent, err = a.inbox.List(ctx, m.Company, m.UserID, 5); err != nil {
		return p, err
	}
	if p.System, err = a.systems.Current(ctx, m.Company); err != nil {
		return p, err
	}
	if p.Manager = m.Has(Managers...); p.Manager {
		st, err := a.outbox.Status(ctx, m.Company)
		if err != nil {
			return p, err
		}
		for _, s := range st {
			p.Pending += s.Pending
			p.Refused += s.Refused
		}
	}
	for _, it := range p.Nav {
		if it.Path != Prefix+"/" && it.Path != PhonePrefix+"/" {
			p.Modules = append(p.Modules, it)
		}
	}
	return p, nil
}

func (a *App) home(c *fiber.Ctx) error {
	p, err := a.homeData(c, "首页", false)
	if err != nil {
		return err
	}
	return a.pages.Render(c, "home", p)
}

func (a *App) phoneHome(c *fiber.Ctx) error {
	p, err := a.homeData(c, "企业安全生产", true)
	if err != nil {
		return err
	}
	return a.phone.Render(c, "phone_home", p)
}

type inboxPage struct {
	Page
	Items []Notification
}

func (a *App) inboxPage(phone bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := MemberFrom(c)
		items, err := a.inbox.List(c.UserContext(), m.Company, m.UserID, 200)
		if err != nil {
			return err
		}
		p := inboxPage{Page: NewPage(c, "消息", phone), Items: items}
		if phone {
			return a.phone.Render(c, "phone_inbox", p)
		}
		return a.pages.Render(c, "inbox", p)
	}
}

// markRead marks one notification (id) or all read and goes back, or to the
// notification's link when open is set.
func (a *App) markRead(c *fiber.Ctx) error {
	m := MemberFrom(c)
	id := parseID(c.FormValue("id"))
	if err := a.inbox.MarkRead(c.UserContext(), m.Company, m.UserID, id); err != nil {
		return err
	}
	back := Prefix + "/inbox"
	if c.FormValue("phone") != "" {
		back = PhonePrefix + "/inbox"
	}
	if to := c.FormValue("open"); to != "" && (strings.HasPrefix(to, Prefix+"/") && !strings.HasPrefix(to, "//")) {
		back = to
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

type exchangePage struct {
	Page
	Tables  []TableStatus
	System  System
	History []Choice
	Admin   bool
	Error   string
}

func (a *App) exchangePage(c *fiber.Ctx) error { return a.renderExchange(c, "") }

func (a *App) renderExchange(c *fiber.Ctx, msg string) error {
	m := MemberFrom(c)
	ctx := c.UserContext()
	p := exchangePage{Page: NewPage(c, "数据上报", false), Admin: m.Has(adminRole), Error: msg}
	var err error
	if p.Tables, err = a.outbox.Status(ctx, m.Company); err != nil {
		return err
	}
	if p.System, err = a.systems.Current(ctx, m.Company); err != nil {
		return err
	}
	if p.History, err = a.systems.History(ctx, m.Company); err != nil {
		return err
	}
	return a.renderForm(c, "exchange", msg, p)
}

func (a *App) chooseSystem(c *fiber.Ctx) error {
	m := MemberFrom(c)
	sys, reason := System(c.FormValue("system")), strings.TrimSpace(c.FormValue("reason"))
	err := a.systems.Choose(c.UserContext(), m.Company, sys, reason, m.UserID, a.cfg.Now())
	if err := a.audited(c, "enterprise_system_choose", "enterprise:"+m.Company, map[string]string{"system": string(sys), "reason": reason}, err); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderExchange(c, msg) })
	}
	return c.Redirect(Prefix+"/exchange", fiber.StatusSeeOther)
}

// refused gives a page that shows a refusal on its form the refusal's status:
// the one formError set, else 422 (a check of the form itself).
func refused(c *fiber.Ctx) {
	if c.Response().StatusCode() < 400 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
}

// renderForm draws the form page name with p; msg, when not "", is the
// refusal the page shows, and the answer carries its status (refused).
func (a *App) renderForm(c *fiber.Ctx, name, msg string, p any) error {
	if msg != "" {
		refused(c)
	}
	return a.pages.Render(c, name, p)
}
