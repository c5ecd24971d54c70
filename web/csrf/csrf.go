// Package csrf owns the cross-site request forgery defences of the platform's
// web front ends: the synchronizer token that every server-rendered form (the
// regulator portal, the inspector app) carries in a hidden field, and the
// origin check for the JSON API when it is called with the session cookie.
//
// The token is an HMAC of the session cookie's value, so it needs no storage,
// changes with every login and dies with the session; a page from another site
// can neither read the HttpOnly cookie nor the page that carries the token.
// Before login the secret is a random pre-session cookie, so that the login
// form is protected too (an attacker cannot log a victim into the attacker's
// account).
package csrf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
)

const (
	// FieldName is the hidden form field that carries the token.
	FieldName = "csrf_token"
	// HeaderName carries the token on script requests (fetch) that have no form.
	HeaderName = "X-CSRF-Token"
	// PreSessionCookie is the random secret of a browser that has not logged in.
	PreSessionCookie = "chemguard_presession"
)

const localsToken = "csrf.token"

// Token returns the token of the secret (a session or pre-session cookie value);
// "" for no secret.
func Token(secret string) string {
	if secret == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("chemguard csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid reports whether got is the token of secret, in constant time.
func Valid(secret, got string) bool {
	want := Token(secret)
	return want != "" && got != "" && hmac.Equal([]byte(want), []byte(got))
}

// Secrets names the cookies a front end's forms are bound to.
type Secrets struct {
	// SessionCookie is the session cookie's name (identity.CookieName).
	SessionCookie string
	// InsecureCookie drops the pre-session cookie's Secure attribute (plain-HTTP
	// development, as for the session cookie).
	InsecureCookie bool
}

// secret is what the request's forms are bound to: the session cookie when the
// browser sends one, otherwise the pre-session cookie.
func (s Secrets) secret(c *fiber.Ctx) string {
	if v := c.Cookies(s.SessionCookie); v != "" {
		return v
	}
	return c.Cookies(PreSessionCookie)
}

// FormToken returns the token the page being rendered puts in its forms. A
// browser with neither cookie gets a new pre-session cookie in this response.
func (s Secrets) FormToken(c *fiber.Ctx) (string, error) {
	if t, ok := c.Locals(localsToken).(string); ok {
		return t, nil
	}
	secret := s.secret(c)
	if secret == "" {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		secret = base64.RawURLEncoding.EncodeToString(raw)
		c.Cookie(&fiber.Cookie{Name: PreSessionCookie, Value: secret, Path: "/", Expires: time.Now().Add(12 * time.Hour),
			HTTPOnly: true, Secure: !s.InsecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
	}
	t := Token(secret)
	c.Locals(localsToken, t)
	return t, nil
}

// ErrForm is the refusal of a form post without the page's token.
var ErrForm = chemguard.Errorf(chemguard.EForbidden, "表单已失效或来源不是本站，请刷新页面后重新提交",
	"the form's CSRF token is missing or wrong (reload the page and submit again)")

// ErrOrigin is the refusal of a post whose Origin names another site.
var ErrOrigin = chemguard.Errorf(chemguard.EForbidden, "请求来源不是本站，已拒绝", "cross-origin request refused")

// CheckForm checks a form post (url-encoded or multipart): an Origin, when the
// browser sends one, must be this host, and the token (field or header) must be
// the one of the browser's cookie. Browsers in compatibility mode (360, QQ) send
// no Origin, which is why the token is required in every case.
func (s Secrets) CheckForm(c *fiber.Ctx) error {
	if o := c.Get(fiber.HeaderOrigin); o != "" && !sameHost(o, requestHost(c)) {
		return ErrOrigin
	}
	got := c.Get(HeaderName)
	if got == "" {
		got = c.FormValue(FieldName)
	}
	if !Valid(s.secret(c), got) {
		return ErrForm
	}
	return nil
}

// Safe reports whether the method cannot change anything (GET, HEAD, OPTIONS).
func Safe(method string) bool {
	return method == fiber.MethodGet || method == fiber.MethodHead || method == fiber.MethodOptions
}

// SameOrigin reports whether a request comes from a page of this host: its
// Origin names the host, or (a browser that sends no Origin on this request)
// Sec-Fetch-Site says same-origin. A request with neither is not same-origin.
func SameOrigin(c *fiber.Ctx) bool {
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		return sameHost(o, requestHost(c))
	}
	return c.Get("Sec-Fetch-Site") == "same-origin"
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.EqualFold(u.Host, host)
}

// ErrNotJSON is the refusal of a cookie-authenticated API call whose body is
// not JSON: only a page's script can send JSON, a cross-site form cannot.
var ErrNotJSON = chemguard.Errorf(chemguard.EUnsupported,
	"使用登录会话调用接口时请求体须为 JSON（Content-Type: application/json）",
	"requests authenticated by the session cookie must send Content-Type: application/json")

// ErrAPIOrigin is the refusal of a cookie-authenticated API call from another
// site (or one that proves nothing: no Origin, no Sec-Fetch-Site, no token).
var ErrAPIOrigin = chemguard.Errorf(chemguard.EForbidden,
	"请求来源不是本站（缺少同源的 Origin 或 CSRF 令牌），已拒绝",
	"cross-origin request refused: a session-cookie call needs a same-origin Origin or Sec-Fetch-Site, or the X-CSRF-Token header")

// CheckAPI checks a state-changing API call authenticated by the session
// cookie secret: a body must be JSON (an empty body may omit the type), and the
// call must come from this origin or carry the token in HeaderName (pages in
// browsers that send no Origin). Calls with a bearer token are not cookie calls
// and are not checked.
func CheckAPI(c *fiber.Ctx, secret string) error {
	ct := c.Get(fiber.HeaderContentType)
	if ct != "" || c.Request().Header.ContentLength() != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != fiber.MIMEApplicationJSON {
			return ErrNotJSON
		}
	}
	if SameOrigin(c) {
		return nil
	}
	if o := c.Get(fiber.HeaderOrigin); o == "" && Valid(secret, c.Get(HeaderName)) {
		return nil
	}
	return ErrAPIOrigin
}

// requestHost is the host (and port) the request was sent to: the Host header,
// or the absolute request URI's host. X-Forwarded-Host is not consulted: the
// proxy in front must pass the browser's Host through.
func requestHost(c *fiber.Ctx) string { return string(c.Request().Host()) }
