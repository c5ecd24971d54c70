package portal

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/ingest"
)

// The session plumbing of server-rendered pages, shared by the portal and the
// inspector app (inspect/): both log in through the identity service and keep
// the same HttpOnly, SameSite=Strict cookie.

// SignIn logs in the user of the posted form (username, password, otp) with
// sessions and sets the session cookie. A refused login is a *chemguard.Error
// with code unauthorized, whose MessageZH the login form shows; other errors are
// for the error page.
func SignIn(c *fiber.Ctx, sessions Sessions, insecureCookie bool) error {
	se, err := sessions.Login(c.UserContext(), strings.Clone(c.FormValue("username")), strings.Clone(c.FormValue("password")),
		strings.TrimSpace(c.FormValue("otp")), c.IP())
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: identity.CookieName, Value: se.Token, Path: "/", Expires: se.ExpiresAt,
		HTTPOnly: true, Secure: !insecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
	return nil
}

// SignOut revokes the session of the request's cookie, if any, and clears it.
func SignOut(c *fiber.Ctx, sessions Sessions, insecureCookie bool) error {
	if tok := c.Cookies(identity.CookieName); tok != "" {
		if err := sessions.Logout(c.UserContext(), strings.Clone(tok), c.IP()); err != nil {
			return err
		}
	}
	ClearSessionCookie(c, insecureCookie)
	return nil
}

// ClearSessionCookie tells the browser to drop the session cookie it sent.
func ClearSessionCookie(c *fiber.Ctx, insecureCookie bool) {
	if c.Cookies(identity.CookieName) == "" {
		return
	}
	c.Cookie(&fiber.Cookie{Name: identity.CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: !insecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
}

// SafeNext keeps a post-login redirect inside prefix (e.g. /portal), else prefix/.
func SafeNext(prefix, next string) string {
	if strings.HasPrefix(next, prefix+"/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return prefix + "/"
}

// ErrorMessage is the HTTP status and Chinese message an error page shows for
// err. Internal errors are logged, never shown.
func ErrorMessage(c *fiber.Ctx, err error) (int, string) {
	status := ingest.HTTPStatus(err)
	var ae *chemguard.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae) && ae.Code != chemguard.EInternal:
		return status, ae.MessageZH
	case errors.As(err, &fe):
		if fe.Code == fiber.StatusNotFound {
			return status, "未找到该页面"
		}
		return status, http.StatusText(fe.Code)
	}
	slog.Error("internal error", "path", c.Path(), "err", err)
	return fiber.StatusInternalServerError, "服务器内部错误，已记录，请稍后重试"
}
