package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ next, want string }{
		{"/portal/companies?q=370", "/portal/companies?q=370"},
		{"/portal/", "/portal/"},
		{"", "/portal/"},
		{"/portal", "/portal/"},
		{"/portalx/evil", "/portal/"},
		{"//evil.example/portal/", "/portal/"},
		{"https://evil.example/portal/", "/portal/"},
		{"/\\evil.example", "/portal/"},
		{"/portal/\\\\evil.example", "/portal/"},
		{"/m/records", "/portal/"}, // another UI
		{"javascript:alert(1)", "/portal/"},
	} {
		assert.Equal(t, tc.want, web.SafeNext("/portal", tc.next), "next=%q", tc.next)
	}
	assert.Equal(t, "/m/records", web.SafeNext("/m", "/m/records"))
}

func TestIsAccountPath(t *testing.T) {
	assert.True(t, web.IsAccountPath(web.AccountPath))
	assert.True(t, web.IsAccountPath(web.AccountPath+"/totp/confirm"))
	assert.False(t, web.IsAccountPath(web.AccountPath+"s"))
	assert.False(t, web.IsAccountPath("/portal/"))
}

// sessions accepts the password "right" and records logouts.
type sessions struct{ loggedOut []string }

func (s *sessions) Login(_ context.Context, username, password, _, _ string) (*identity.Session, error) {
	if password != "right" {
		return nil, chemguard.Errorf(chemguard.EUnauthorized, "用户名或密码错误", "wrong username or password")
	}
	// The server's clock is months from the browser's (here: the test's machine):
	// the cookie still lives the session's hour, counted by the browser.
	return &identity.Session{Token: "cgs_" + username, ExpiresAt: time.Date(2026, 3, 10, 2, 30, 0, 0, time.UTC), Lifetime: time.Hour}, nil
}

func (s *sessions) Logout(_ context.Context, token, _ string) error {
	s.loggedOut = append(s.loggedOut, token)
	return nil
}

func (s *sessions) ChangePassword(context.Context, string, string, string, string) error { return nil }
func (s *sessions) BeginTOTP(context.Context, string, string, string, string) (string, string, error) {
	return "", "", nil
}
func (s *sessions) ConfirmTOTP(context.Context, *identity.User, string, string) error { return nil }

func TestSignInAndOut(t *testing.T) {
	ss := &sessions{}
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Post("/login", func(c *fiber.Ctx) error {
		if err := web.SignIn(c, ss, false); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	app.Post("/logout", func(c *fiber.Ctx) error {
		if err := web.SignOut(c, ss, false); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	post := func(path, form string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest(fiber.MethodPost, path, strings.NewReader(form))
		req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		return resp
	}

	refused := post("/login", url.Values{"username": {"li"}, "password": {"wrong"}}.Encode(), nil)
	assert.Equal(t, http.StatusUnauthorized, refused.StatusCode)
	assert.Empty(t, refused.Cookies(), "no cookie for a refused login")

	resp := post("/login", url.Values{"username": {"li"}, "password": {"right"}}.Encode(), nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Len(t, resp.Cookies(), 1)
	ck := resp.Cookies()[0]
	assert.Equal(t, identity.CookieName, ck.Name)
	assert.Equal(t, "cgs_li", ck.Value)
	assert.True(t, ck.HttpOnly, "no script reads the session")
	assert.True(t, ck.Secure)
	assert.Equal(t, http.SameSiteStrictMode, ck.SameSite, "no other site's page sends it")
	assert.Equal(t, "/", ck.Path, "one cookie for every UI")
	assert.Equal(t, 3600, ck.MaxAge, "the browser counts the session's lifetime on its own clock, whatever the server's says")

	out := post("/logout", "", &http.Cookie{Name: identity.CookieName, Value: "cgs_li"})
	require.Equal(t, http.StatusNoContent, out.StatusCode)
	assert.Equal(t, []string{"cgs_li"}, ss.loggedOut, "the session is revoked, not only forgotten")
	require.Len(t, out.Cookies(), 1)
	assert.Empty(t, out.Cookies()[0].Value)
	assert.True(t, out.Cookies()[0].Expires.Before(time.Now()), "the browser drops it")

	none := post("/logout", "", nil)
	assert.Equal(t, http.StatusNoContent, none.StatusCode)
	assert.Empty(t, none.Cookies(), "nothing to clear")
	assert.Len(t, ss.loggedOut, 1)
}

// A page app opened with web.PageApp: the login form and its post, the logout
// and the public pages need no session; every page mounted after sits behind
// the guard; a form post without its token is refused through Fail.
func TestPageApp(t *testing.T) {
	ss := &sessions{}
	forms := csrf.Secrets{SessionCookie: identity.CookieName}
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	r := web.PageApp{Prefix: "/m", CSP: "default-src 'self'", Forms: forms, Sessions: ss, ClearCache: true,
		Render: func(c *fiber.Ctx, f web.LoginForm) error {
			return c.SendString(fmt.Sprintf("login next=%s user=%s error=%s", f.Next, f.Username, f.Error))
		},
		Fail: func(c *fiber.Ctx, err error) error {
			status, msg := web.ErrorMessage(c, err)
			return c.Status(status).SendString("error page: " + msg)
		},
		Public: map[string]fiber.Handler{"/offline": func(c *fiber.Ctx) error { return c.SendString("offline") }},
		Session: []fiber.Handler{func(c *fiber.Ctx) error {
			if c.Cookies(identity.CookieName) == "" {
				return c.Redirect("/m/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return c.Next()
		}}}.Mount(app)
	r.Get("/records", func(c *fiber.Ctx) error { return c.SendString("records") })

	const pre = "pre-secret"
	do := func(method, path string, form url.Values, cookie *http.Cookie) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
		}
		req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: pre})
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := app.Test(req, -1)
		require.NoError(t, err)
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(raw)
	}

	resp, body := do(http.MethodGet, "/m/records", nil, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "a page needs a session")
	assert.Equal(t, "/m/login?next=%2Fm%2Frecords", resp.Header.Get("Location"))
	resp, body = do(http.MethodGet, "/m/login?next=//evil.example/m/", nil, nil)
	assert.Equal(t, "login next=/m/ user= error=", body, "the next page stays in the app")
	assert.Equal(t, "no-store", resp.Header.Get(fiber.HeaderCacheControl), "every page has the page headers")
	assert.Equal(t, "default-src 'self'", resp.Header.Get(fiber.HeaderContentSecurityPolicy))
	_, body = do(http.MethodGet, "/m/offline", nil, nil)
	assert.Equal(t, "offline", body, "a public page needs no session")

	login := url.Values{"username": {"li"}, "password": {"wrong"}, "next": {"/m/records"}}
	resp, body = do(http.MethodPost, "/m/login", login, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no token: refused before the password is looked at")
	assert.Contains(t, body, "error page: ")

	login.Set(csrf.FieldName, csrf.Token(pre))
	resp, body = do(http.MethodPost, "/m/login", login, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "login next=/m/records user=li error=用户名或密码错误", body, "the form again, with the refusal")

	login.Set("password", "right")
	resp, _ = do(http.MethodPost, "/m/login", login, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/m/records", resp.Header.Get("Location"))
	require.Len(t, resp.Cookies(), 1)
	session := resp.Cookies()[0]
	assert.Equal(t, identity.CookieName, session.Name)
	_, body = do(http.MethodGet, "/m/records", nil, session)
	assert.Equal(t, "records", body)

	resp, _ = do(http.MethodPost, "/m/logout", url.Values{csrf.FieldName: {csrf.Token(session.Value)}}, session)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/m/login", resp.Header.Get("Location"))
	assert.Equal(t, `"cache"`, resp.Header.Get("Clear-Site-Data"), "a shared phone keeps no page of the last person")
	assert.Equal(t, []string{session.Value}, ss.loggedOut)
}

// A refusal other than a wrong name, password or code (the service down) is
// the app's error page, not the login form.
func TestPageAppLoginFailure(t *testing.T) {
	down := chemguard.Errorf(chemguard.EUnavailable, "服务暂不可用", "unavailable")
	app := fiber.New()
	web.PageApp{Prefix: "/portal", Forms: csrf.Secrets{SessionCookie: identity.CookieName}, Sessions: &failing{err: down},
		Render: func(c *fiber.Ctx, f web.LoginForm) error { return c.SendString("login form") },
		Fail:   func(c *fiber.Ctx, err error) error { return c.Status(web.HTTPStatus(err)).SendString("error page") }}.Mount(app)
	req := httptest.NewRequest(http.MethodPost, "/portal/login", strings.NewReader(url.Values{"username": {"li"}, "password": {"x"},
		csrf.FieldName: {csrf.Token("p")}}.Encode()))
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
	req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: "p"})
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "error page", string(raw))
}

// failing is a session service whose login fails with err.
type failing struct {
	sessions
	err error
}

func (f *failing) Login(context.Context, string, string, string, string) (*identity.Session, error) {
	return nil, f.err
}
