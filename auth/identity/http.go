package identity

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web/form"
)

// CookieName is the portal's session cookie (HttpOnly, Secure, SameSite=Strict).
const CookieName = "chemguard_session"

const localsUser = "identity.user"

// Handler serves the /auth routes and authenticates requests.
type Handler struct {
	svc *Service
	// InsecureCookie drops the Secure attribute (plain-HTTP development only;
	// CHEMGUARD_INSECURE_COOKIE).
	InsecureCookie bool
}

// NewHandler returns the HTTP face of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register mounts under r (the /api/v1 group): POST /auth/login, POST
// /auth/logout, GET /auth/me, POST /auth/password {current, new}, POST
// /auth/totp {password, otp} and POST /auth/totp/confirm {otp}. All but login
// and logout accept the session of an account that must first change its
// password or enrol a second factor (they are how it does so); every other
// route refuses it (Load).
func (h *Handler) Register(r fiber.Router) {
	r.Post("/auth/login", h.login)
	r.Post("/auth/logout", h.logout)
	r.Get("/auth/me", h.AuthenticatePending, h.me)
	r.Post("/auth/password", h.AuthenticatePending, h.changePassword)
	r.Post("/auth/totp", h.AuthenticatePending, h.beginTOTP)
	r.Post("/auth/totp/confirm", h.AuthenticatePending, h.confirmTOTP)
}

// AuthenticatePending is Authenticate for the routes a pending account may use
// (identity.AllowPending): its own password, second factor and profile.
func (h *Handler) AuthenticatePending(c *fiber.Ctx) error {
	c.SetUserContext(AllowPending(c.UserContext()))
	return h.Authenticate(c)
}

// loginRequest is POST /auth/login. Its checks are of shape only, the same
// for every account, so a refusal tells nothing about one; the password
// bound keeps a huge password from costing a hash. The username has no bound
// here: however long, it is a failed login that the audit log records
// (truncated), as TestAuditLogAbuseBounded requires.
type loginRequest struct {
	Username string `json:"username" label:"用户名" validate:"required"`
	Password string `json:"password" label:"密码" validate:"required,max=256"`
	OTP      string `json:"otp" label:"动态口令" validate:"omitempty,len=6,numeric"`
}

func (h *Handler) login(c *fiber.Ctx) error {
	// JSON only: a cross-site HTML form can post form fields but not JSON (without
	// a CORS preflight this server never grants), so no other site can log a
	// browser in to an account of its choosing (login CSRF). The portal and the
	// phone app log in through their own forms, which carry a token.
	if !c.Is("json") {
		return chemguard.Errorf(chemguard.EUnsupported, "登录请求体应为 JSON（Content-Type: application/json）：{username, password, otp}",
			"the login body must be JSON (Content-Type: application/json): {username, password, otp}")
	}
	var req loginRequest
	if err := c.BodyParser(&req); err != nil {
		return chemguard.Errorf(chemguard.EMalformed, "请求体应为 JSON：{username, password, otp}", "the body must be JSON {username, password, otp}")
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	se, err := h.svc.Login(c.UserContext(), req.Username, req.Password, req.OTP, c.IP())
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: CookieName, Value: se.Token, Path: "/", Expires: se.ExpiresAt, MaxAge: MaxAge(se),
		HTTPOnly: true, Secure: !h.InsecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"token": se.Token, "expires_at": se.ExpiresAt.Format(time.RFC3339),
		"user": userView(se.User)})
}

func (h *Handler) logout(c *fiber.Ctx) error {
	if tok := tokenOf(c); tok != "" {
		if err := h.svc.Logout(c.UserContext(), tok, c.IP()); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{Name: CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: !h.InsecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
	return c.SendStatus(fiber.StatusNoContent)
}

func userView(u *User) fiber.Map {
	roles := make([]fiber.Map, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = fiber.Map{"role": r, "label": r.Label()}
	}
	return fiber.Map{"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "domain": u.Domain,
		"roles": roles, "totp_enrolled": u.TOTPEnrolled,
		"must_change_password": u.MustChangePassword, "must_enrol_totp": u.MustEnrolTOTP}
}

func (h *Handler) me(c *fiber.Ctx) error { return c.JSON(userView(UserFrom(c))) }

func (h *Handler) changePassword(c *fiber.Ctx) error {
	var req struct {
		Current string `json:"current" label:"当前密码" validate:"required"`
		New     string `json:"new" label:"新密码" validate:"required"`
	}
	if err := c.BodyParser(&req); err != nil {
		return chemguard.Errorf(chemguard.EMalformed, "请求体应为 JSON：{current, new}", "the body must be JSON {current, new}")
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	if err := h.svc.ChangePassword(c.UserContext(), strings.Clone(tokenOf(c)), req.Current, req.New, c.IP()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) beginTOTP(c *fiber.Ctx) error {
	var req struct {
		Password string `json:"password" label:"当前密码" validate:"required"`
		OTP      string `json:"otp" label:"动态口令" validate:"omitempty,len=6,numeric"`
	}
	if err := c.BodyParser(&req); err != nil {
		return chemguard.Errorf(chemguard.EMalformed, "请求体应为 JSON：{password, otp}（已绑定动态口令时 otp 为当前口令）",
			"the body must be JSON {password, otp} (otp: a current code when an authenticator is enrolled)")
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	secret, url, err := h.svc.BeginTOTP(c.UserContext(), strings.Clone(tokenOf(c)), req.Password, req.OTP, c.IP())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"secret": secret, "otpauth_url": url})
}

func (h *Handler) confirmTOTP(c *fiber.Ctx) error {
	var req struct {
		OTP string `json:"otp" label:"动态口令" validate:"required,len=6,numeric"`
	}
	if err := c.BodyParser(&req); err != nil {
		return chemguard.Errorf(chemguard.EMalformed, "请求体应为 JSON：{otp}", "the body must be JSON {otp}")
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	if err := h.svc.ConfirmTOTP(c.UserContext(), UserFrom(c), req.OTP, c.IP()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// HasBearer reports whether the request authenticates with "Authorization:
// Bearer" (then the session cookie, if any, is not what authenticates it).
func HasBearer(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
}

// tokenOf returns the session token from "Authorization: Bearer" (the API) or
// the session cookie (the portal).
func tokenOf(c *fiber.Ctx) string {
	if tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	return c.Cookies(CookieName)
}

// Authenticate is fiber middleware that loads the session's user (see
// UserFrom) or answers 401.
func (h *Handler) Authenticate(c *fiber.Ctx) error {
	if _, err := h.Load(c); err != nil {
		return err
	}
	return c.Next()
}

// Load resolves the request's session token to its user and stores it for
// UserFrom; it returns an unauthorized error for a missing or invalid token.
func (h *Handler) Load(c *fiber.Ctx) (*User, error) {
	if u := UserFrom(c); u != nil {
		return u, nil
	}
	tok := tokenOf(c)
	if tok == "" {
		return nil, chemguard.Errorf(chemguard.EUnauthorized, "请先登录", "log in first: send Authorization: Bearer TOKEN")
	}
	u, err := h.svc.Authenticate(c.UserContext(), strings.Clone(tok))
	if err != nil {
		return nil, err
	}
	c.Locals(localsUser, u)
	return u, nil
}

// UserFrom returns the user Authenticate loaded, or nil.
func UserFrom(c *fiber.Ctx) *User {
	u, _ := c.Locals(localsUser).(*User)
	return u
}

// recheckTimeout bounds one Recheck query.
const recheckTimeout = 5 * time.Second

// Recheck returns a function that checks again, passively (not extending the
// idle window), that the session c was authenticated with is still valid: not
// logged out, expired or idle, its user not disabled or locked. A long-lived
// response (a server-sent event stream) calls it while it runs, because it
// outlives the check made when it began. It is safe to call from another
// goroutine once the handler has returned (the request's context is gone by
// then: each check has its own deadline); the error is unauthorized.
func (h *Handler) Recheck(c *fiber.Ctx) func() error {
	tok := strings.Clone(tokenOf(c))
	u := UserFrom(c)
	return func() error {
		if tok == "" || u == nil {
			return errBadToken
		}
		ctx, cancel := context.WithTimeout(context.Background(), recheckTimeout)
		defer cancel()
		got, err := h.svc.Authenticate(Passive(ctx), tok)
		if err != nil {
			return err
		}
		if got.ID != u.ID {
			return errBadToken
		}
		return nil
	}
}

// MaxAge is the session cookie's Max-Age in seconds: the session's lifetime, which
// the browser counts from receiving the cookie on its own clock (RFC 6265 5.3: it
// wins over Expires, an instant of the server's clock); 0 (no Max-Age) when the
// lifetime is unknown.
func MaxAge(se *Session) int { return int(se.Lifetime / time.Second) }
