package enterprise

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Sessions resolves a session token without extending it
// (identity.Service implements it; KeepOut passes identity.Passive).
type Sessions interface {
	Authenticate(ctx context.Context, token string) (*identity.User, error)
}

// errKeepOut is the refusal of a company account on a regulators' UI.
var errKeepOut = chemguard.Errorf(chemguard.EForbidden,
	"企业账号只能使用企业安全生产基础系统（/e/），不能进入监管部门的页面；本企业的预警请在基础系统的“风险预警”中签收和反馈",
	"a company account may use the base system (/e/) only, not the regulators' pages; sign for and answer your warnings under 风险预警 there")

// KeepOut is middleware for a regulators' UI (the portal, the inspector app):
// a session of any company account — every account of an ent: domain, the
// 企业管理员 and the legacy 企业用户 as much as the base system's roles — is
// refused with 403 (its login, logout and static files stay reachable, so the
// page can say where to go). A company signs for and answers its warnings in
// the base system (/e/warnings). Bearer callers of the API are not sessions
// and pass to the route's own guard.
func KeepOut(sessions Sessions, open ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok := c.Cookies(identity.CookieName)
		if tok == "" || identity.HasBearer(c) || openPath(c.Path(), open) {
			return c.Next()
		}
		if companySession(c, sessions, tok) == nil {
			return c.Next() // not a company session: the UI's own guard decides
		}
		if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
			return web.ErrorHandler(c, errKeepOut)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusForbidden).Type("html", "utf-8").SendString(keepOutPage)
	}
}

// errKeepOutAPI is the refusal of a company account on the regulators' API.
var errKeepOutAPI = chemguard.Errorf(chemguard.EForbidden,
	"企业账号不能调用监管部门的接口（/api/v1）；本企业的预警请在企业安全生产基础系统（/e/）的“风险预警”中签收和反馈，数据请用企业的 API 密钥通过数据交换接口上报",
	"a company account may not call the regulators' API (/api/v1); sign for and answer your warnings under 风险预警 in the base system (/e/), and send data through the exchange API with the company's key")

// KeepOutAPI is KeepOut for the regulators' JSON API: a session of a company
// account, whether its token comes as the cookie or as "Authorization: Bearer",
// is refused with 403 and the refusal is audited. The routes under open (the
// login and logout, and the routes a company's system reaches with its signed
// key: the exchange, its 整改通知, the gateways' and boxes' intakes) are left to
// their own guard — there a bearer token is a company key, not a session, and
// looking it up as one would cost every upload a query.
func KeepOutAPI(sessions Sessions, rec audit.Recorder, open ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if openPath(c.Path(), open) {
			return c.Next()
		}
		tok := c.Cookies(identity.CookieName)
		if bearer, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
			tok = strings.TrimSpace(bearer)
		}
		if tok == "" {
			return c.Next()
		}
		u := companySession(c, sessions, tok)
		if u == nil {
			return c.Next() // no session, or a regulator's: the route's own guard decides
		}
		ev := audit.Event{Actor: u.Username, ActorRole: u.RoleNames(), ClientIP: c.IP(), Action: audit.ActionDeny,
			Object: c.Method() + " " + strings.Clone(c.Path()), Result: audit.ResultDenied,
			Detail: map[string]string{"reason": "company_account", "domain": u.Domain}}
		if err := rec.Record(c.UserContext(), ev); err != nil {
			return err
		}
		return errKeepOutAPI
	}
}

// openPath reports whether path is one of open or under one of them.
func openPath(path string, open []string) bool {
	for _, p := range open {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// companySession resolves tok passively (not extending the session, and also
// for an account that must still change its password) and returns its user
// when it is a company account's session, else nil.
func companySession(c *fiber.Ctx, sessions Sessions, tok string) *identity.User {
	ctx := identity.Passive(identity.AllowPending(c.UserContext()))
	u, err := sessions.Authenticate(ctx, strings.Clone(tok))
	if err != nil || !strings.HasPrefix(u.Domain, tiers.EnterprisePrefix) {
		return nil
	}
	return u
}

const keepOutPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<main><h1>无权访问（403）</h1><p>企业账号只能使用企业安全生产基础系统，不能进入监管部门的页面。本企业的预警请在基础系统的“风险预警”中签收和反馈。</p>
<p>A company account may use the base system only.</p><p><a href="/e/warnings">进入企业安全生产基础系统 · 风险预警</a></p></main></body></html>`
