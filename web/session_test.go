package web_test

import (
	"context"
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
