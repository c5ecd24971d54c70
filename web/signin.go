package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// LoginForm is what a UI's login page shows: the name typed, where to go
// after signing in, the refusal, and whether to ask for the one-time code.
type LoginForm struct {
	Username string
	Next     string // a path under the UI's prefix (SafeNext)
	Error    string // the refusal, in Chinese
	OTPHint  bool   // the account needs its second factor
}

// PageApp is the opening every page UI (the portal, the inspector app, the
// base system) mounts the same way: under Prefix, every page gets
// PageHeaders; the login form, the login and the logout need no session (one
// sign-in for all three, through Sessions and the platform's session
// cookie); Public pages neither; every page mounted on the router Mount returns
// sits behind the Session guard.
type PageApp struct {
	Prefix         string // "/portal", "/m", "/e"
	CSP            string
	Forms          csrf.Secrets
	Sessions       Sessions
	InsecureCookie bool // the session cookie without Secure (plain-HTTP development)
	// Render shows the login page with f; after a refusal the response's
	// status is already the refusal's.
	Render func(c *fiber.Ctx, f LoginForm) error
	// Fail shows an error as the UI does (its error page, or JSON to an offline queue).
	Fail func(c *fiber.Ctx, err error) error
	// ClearCache: signing out also tells the browser to drop the pages it
	// cached (Clear-Site-Data), for phones passed between people.
	ClearCache bool
	// Before run ahead of the page headers on every page.
	Before []fiber.Handler
	// Public are GET pages (path under Prefix → handler) that need no session.
	Public map[string]fiber.Handler
	// Session guards every page mounted on the router Mount returns.
	Session []fiber.Handler
}

// Mount opens the UI on app: GET and POST Prefix/login, POST Prefix/logout and
// the public pages, then the session guard. It returns the group to mount the
// UI's pages on.
func (p PageApp) Mount(app fiber.Router) fiber.Router {
	handlers := append(append([]fiber.Handler{}, p.Before...), PageHeaders(p.CSP, p.Forms, p.Fail))
	r := app.Group(p.Prefix, handlers...)
	r.Get("/login", p.loginPage)
	r.Post("/login", p.login)
	r.Post("/logout", p.logout)
	for path, h := range p.Public {
		r.Get(path, h)
	}
	for _, h := range p.Session {
		r.Use(h)
	}
	return r
}

func (p PageApp) loginPage(c *fiber.Ctx) error {
	return p.Render(c, LoginForm{Next: SafeNext(p.Prefix, c.Query("next"))})
}

// login checks the form with the identity service (the same check as POST
// /api/v1/auth/login: lockout, second factor, audit) and sets the session
// cookie; a wrong name, password or code shows the form again with the
// refusal, anything else the error page.
func (p PageApp) login(c *fiber.Ctx) error {
	form := LoginForm{Username: strings.Clone(c.FormValue("username")), Next: SafeNext(p.Prefix, c.FormValue("next"))}
	if err := SignIn(c, p.Sessions, p.InsecureCookie); err != nil {
		var ae *chemguard.Error
		if !errors.As(err, &ae) || ae.Code != chemguard.EUnauthorized {
			return p.Fail(c, err)
		}
		form.Error = ae.MessageZH
		if d, ok := ae.Details.(map[string]any); ok && d["otp_required"] == true {
			form.OTPHint = true
		}
		return p.Render(c.Status(HTTPStatus(err)), form)
	}
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

func (p PageApp) logout(c *fiber.Ctx) error {
	if err := SignOut(c, p.Sessions, p.InsecureCookie); err != nil {
		return p.Fail(c, err)
	}
	if p.ClearCache {
		c.Set("Clear-Site-Data", `"cache"`)
	}
	return c.Redirect(p.Prefix+"/login", fiber.StatusSeeOther)
}
