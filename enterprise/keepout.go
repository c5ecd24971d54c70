package enterprise

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Sessions resolves a session token without extending it
// (identity.Service implements it; KeepOut passes identity.Passive).
type Sessions interface {
	Authenticate(ctx context.Context, token string) (*identity.User, error)
}

// baseSystemRoles are the company roles that exist only for the base system.
// An account holding only these has no business on the regulators' pages.
var baseSystemRoles = []policy.Role{policy.EnterprisePrincipal, policy.EnterpriseSafety, policy.EnterpriseDeptHead,
	policy.EnterpriseStaff, policy.EnterpriseContractor}

// errKeepOut is the refusal of a base-system account on a regulators' UI.
var errKeepOut = chemguard.Errorf(chemguard.EForbidden,
	"企业人员账号只能使用企业安全生产基础系统（/e/），不能进入监管部门的页面",
	"a company member's account may use the base system (/e/) only, not the regulators' pages")

// KeepOut is middleware for a regulators' UI (the portal, the inspector app):
// a session of a company account holding only base-system roles is refused
// with 403 (its login, logout and static files stay reachable, so the page
// can say where to go). The company's 企业管理员 and 企业用户 keep what they
// could do before the base system existed — their own warnings' 签收 and
// 反馈 in the portal. The /api/v1 routes need no such guard: the base-system
// roles hold no permission in the policy, so every check refuses them there.
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
		for _, r := range u.Roles {
			if !isBaseSystemRole(r) {
				return c.Next()
			}
		}
		if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
			return web.ErrorHandler(c, errKeepOut)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusForbidden).Type("html", "utf-8").SendString(keepOutPage)
	}
}

func isBaseSystemRole(r policy.Role) bool {
	for _, b := range baseSystemRoles {
		if b == r {
			return true
		}
	}
	return false
}

const keepOutPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<main><h1>无权访问（403）</h1><p>企业人员账号只能使用企业安全生产基础系统，不能进入监管部门的页面。</p>
<p>A company member's account may use the base system only.</p><p><a href="/e/">进入企业安全生产基础系统</a></p></main></body></html>`
