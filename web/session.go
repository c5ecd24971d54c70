package web

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/auth/identity"
)

// The session plumbing of server-rendered pages: every UI logs in through the
// identity service and keeps the same HttpOnly, SameSite=Strict cookie, so one
// login serves the portal and the inspector app alike.

// Sessions logs users in and out and lets them change their own password and
// authenticator; identity.Service implements it.
type Sessions interface {
	Login(ctx context.Context, username, password, otp, ip string) (*identity.Session, error)
	Logout(ctx context.Context, token, ip string) error
	ChangePassword(ctx context.Context, token, current, next, ip string) error
	BeginTOTP(ctx context.Context, token, password, otp, ip string) (secret, url string, err error)
	ConfirmTOTP(ctx context.Context, u *identity.User, code, ip string) error
}

// AccountPath is the 账号安全 page (served by the portal): the one page an
// account that must first change its password or enrol a second factor may
// open, so every UI sends such an account there.
const AccountPath = "/portal/account"

// IsAccountPath reports whether path is one of the 账号安全 routes, which a
// pending account may use.
func IsAccountPath(path string) bool {
	return path == AccountPath || strings.HasPrefix(path, AccountPath+"/")
}

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
	setSessionCookie(c, se.Token, se.ExpiresAt, identity.MaxAge(se), insecureCookie)
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
	setSessionCookie(c, "", time.Unix(0, 0), 0, insecureCookie)
}

// setSessionCookie sets the cookie only this host's pages send (SameSite=Strict)
// and no script reads; Secure unless insecureCookie (plain-HTTP development).
// maxAge (seconds, 0: none) wins over expires in browsers (RFC 6265 5.3).
func setSessionCookie(c *fiber.Ctx, token string, expires time.Time, maxAge int, insecureCookie bool) {
	c.Cookie(&fiber.Cookie{Name: identity.CookieName, Value: token, Path: "/", Expires: expires, MaxAge: maxAge,
		HTTPOnly: true, Secure: !insecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
}

// SafeNext keeps a post-login redirect inside prefix (e.g. /portal), else
// prefix/: a next that leaves it — another site (//host, /\host) or another UI —
// would make the login form an open redirect.
func SafeNext(prefix, next string) string {
	if strings.HasPrefix(next, prefix+"/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return prefix + "/"
}
