package enterprise

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
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
		if tok == "" || identity.HasBearer(c) {
			return c.Next()
		}
		for _, p := range open {
			if c.Path() == p || strings.HasPrefix(c.Path(), p+"/") {
				return c.Next()
			}
		}
		ctx := identity.Passive(identity.AllowPending(c.UserContext()))
		u, err := sessions.Authenticate(ctx, strings.Clone(tok))
		if err != nil || !strings.HasPrefix(u.Domain, tiers.EnterprisePrefix) {
			return c.Next() // not a company session: the UI's own guard decides
		}
		if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
			return web.ErrorHandler(c, errKeepOut)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusForbidden).Type("html", "utf-8").SendString(keepOutPage)
	}
}

const keepOutPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<main><h1>无权访问（403）</h1><p>企业账号只能使用企业安全生产基础系统，不能进入监管部门的页面。本企业的预警请在基础系统的“风险预警”中签收和反馈。</p>
<p>A company account may use the base system only.</p><p><a href="/e/warnings">进入企业安全生产基础系统 · 风险预警</a></p></main></body></html>`
