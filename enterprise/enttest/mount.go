package enttest

import (
	"context"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/web"
)

// TinyPNG is a 1×1 PNG, the photo of the modules' tests.
var TinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// MemberHeader names the member a request of Mount's app is made as.
const MemberHeader = "X-Test-Member"

// Mount mounts mod on a fiber app as the foundation does (PC pages under
// enterprise.Prefix, phone pages under enterprise.PhonePrefix, the web
// layer's error handler) behind a stand-in guard: the member is members'
// entry for the MemberHeader of the request; a request without one is
// refused as not signed in, as the foundation's guard refuses it.
func Mount(mod enterprise.Module, members map[string]*enterprise.Member) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, BodyLimit: 32 << 20, DisableStartupMessage: true})
	guard := func(c *fiber.Ctx) error {
		m, ok := members[c.Get(MemberHeader)]
		if !ok {
			return chemguard.Errorf(chemguard.EUnauthorized, "请先登录", "sign in first")
		}
		enterprise.SetMember(c, m)
		pc, phone := enterprise.ModuleNav(mod)
		enterprise.SetPageContext(c, "test-csrf", pc, phone)
		return c.Next()
	}
	phone := app.Group(enterprise.PhonePrefix, guard)
	pc := app.Group(enterprise.Prefix, guard)
	enterprise.MountModule(mod, pc, phone)
	return app
}

// Staged returns the records the module staged in enterprise_outbox for
// company and the exchange table slug, oldest first.
func Staged(tb testing.TB, pool *pgxpool.Pool, company, slug string) []map[string]any {
	tb.Helper()
	rows, err := pool.Query(context.Background(), `SELECT record FROM enterprise_outbox WHERE company = $1 AND slug = $2 ORDER BY id`, company, slug)
	require.NoError(tb, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (map[string]any, error) {
		var m map[string]any
		err := r.Scan(&m)
		return m, err
	})
	require.NoError(tb, err)
	return out
}
