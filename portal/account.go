package portal

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/web"
	webform "github.com/shandong-emergency/chemguard/web/form"
)

// The 账号安全 page (/portal/account): every user changes its own password and
// enrols or replaces its TOTP authenticator here. It is the one page an account
// that must first change its password (expired, or set by an administrator) or
// enrol a second factor (its role needs one) can open: session() sends such an
// account here (web.AccountPath) from every other page, and so does the
// inspector app.

func (p *Portal) registerAccount(r fiber.Router) {
	account := strings.TrimPrefix(web.AccountPath, Prefix) // r is the group at Prefix
	r.Get(account, p.accountPage)
	r.Post(account+"/password", p.accountPassword)
	r.Post(account+"/totp", p.accountBeginTOTP)
	r.Post(account+"/totp/confirm", p.accountConfirmTOTP)
}

type accountView struct {
	User   *identity.User
	Notice string
	Error  string
	// Secret and URL are a TOTP secret being enrolled, shown once with the form
	// that confirms it.
	Secret, URL string
}

var accountNotices = map[string]string{
	"password": "密码已修改，本账号的其他登录会话已失效。",
	"totp":     "动态口令已绑定，此后登录须填写身份验证器上的 6 位口令。",
}

func (p *Portal) renderAccount(c *fiber.Ctx, v accountView) error {
	v.User = identity.UserFrom(c)
	if v.Notice == "" {
		v.Notice = accountNotices[c.Query("ok")]
	}
	return p.render(c, "account", "账号安全", "account", v)
}

func (p *Portal) accountPage(c *fiber.Ctx) error { return p.renderAccount(c, accountView{}) }

// accountRefused shows a refused change on the page itself (422): the form is
// where the user corrects it. Other errors go to the error page.
func (p *Portal) accountRefused(c *fiber.Ctx, err error) error {
	var ae *chemguard.Error
	if errors.As(err, &ae) && ae.Code == chemguard.EInvalid {
		return p.renderAccount(c.Status(web.HTTPStatus(err)), accountView{Error: ae.MessageZH})
	}
	return err
}

// passwordForm is the 修改密码 form; the password policy is identity's.
type passwordForm struct {
	Current string `form:"current" label:"当前密码" validate:"required"`
	New     string `form:"new" label:"新密码" validate:"required"`
	New2    string `form:"new2" label:"确认新密码" validate:"eqfield=New"`
}

// totpForm is the form that begins (password, and a current code when one is
// enrolled) or confirms (otp only) an authenticator's enrolment.
type totpForm struct {
	Password string `form:"password" label:"当前密码" validate:"required"`
	OTP      string `form:"otp" label:"动态口令" validate:"omitempty,len=6,numeric"`
}

type totpConfirmForm struct {
	OTP string `form:"otp" label:"动态口令" validate:"required,len=6,numeric"`
}

func (p *Portal) accountPassword(c *fiber.Ctx) error {
	f := passwordForm{Current: strings.Clone(c.FormValue("current")), New: strings.Clone(c.FormValue("new")),
		New2: strings.Clone(c.FormValue("new2"))}
	if err := webform.Check(&f); err != nil {
		return p.accountRefused(c, err)
	}
	err := p.sessions.ChangePassword(c.UserContext(), strings.Clone(c.Cookies(identity.CookieName)),
		f.Current, f.New, c.IP())
	if err != nil {
		return p.accountRefused(c, err)
	}
	return c.Redirect(web.AccountPath+"?ok=password", fiber.StatusSeeOther)
}

func (p *Portal) accountBeginTOTP(c *fiber.Ctx) error {
	f := totpForm{Password: strings.Clone(c.FormValue("password")), OTP: strings.TrimSpace(strings.Clone(c.FormValue("otp")))}
	if err := webform.Check(&f); err != nil {
		return p.accountRefused(c, err)
	}
	secret, url, err := p.sessions.BeginTOTP(c.UserContext(), strings.Clone(c.Cookies(identity.CookieName)),
		f.Password, f.OTP, c.IP())
	if err != nil {
		return p.accountRefused(c, err)
	}
	return p.renderAccount(c, accountView{Secret: secret, URL: url})
}

func (p *Portal) accountConfirmTOTP(c *fiber.Ctx) error {
	f := totpConfirmForm{OTP: strings.TrimSpace(strings.Clone(c.FormValue("otp")))}
	if err := webform.Check(&f); err != nil {
		return p.accountRefused(c, err)
	}
	if err := p.sessions.ConfirmTOTP(c.UserContext(), identity.UserFrom(c), f.OTP, c.IP()); err != nil {
		return p.accountRefused(c, err)
	}
	return c.Redirect(web.AccountPath+"?ok=totp", fiber.StatusSeeOther)
}
