package permits_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/permits"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// TestBrowserHotWork runs e2e/hotwork.mjs in Chromium against the module:
// a 一级动火 with a contractor is booked, reviewed, opened and approved through
// the chain with drawn signatures; on a phone-sized page the guardian confirms
// the measures, has the welder sign the briefing and records the gas
// analysis; the start is refused once the analysis lapsed (the test's clock is
// moved through /test/clock), a new analysis lets the work start, it finishes,
// is accepted and archived, and the permit PDF prints. With
// CHEMGUARD_SCREENSHOTS=1 it saves the pages to docs/screenshots.
// CHEMGUARD_SKIP_BROWSER=1 skips it, as for the other browser tests.
func TestBrowserHotWork(t *testing.T) {
	tools := browsertest.Require(t)
	f := newFixture(t)
	app := f.app(t)
	app.Post("/test/clock", func(c *fiber.Ctx) error {
		at, err := time.ParseInLocation("2006-01-02 15:04", c.Query("at"), schemas.Shanghai)
		if err != nil {
			return err
		}
		f.clock.Set(at)
		return c.SendStatus(fiber.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })

	env := map[string]any{
		"baseURL": "http://" + ln.Addr().String(), "chromium": tools.Chromium, "playwright": tools.Playwright,
		"applicant": f.A.Applicant.Username, "guardian": f.A.Guardian.Username, "head": f.A.Head.Username, "safety": f.A.Safety.Username,
		"guardianID": f.A.Guardian.UserID, "welder": f.A.Welder,
	}
	if shots := tools.Screenshots(t); shots != "" {
		env["screenshots"] = shots
	}
	tools.Run(t, 4*time.Minute, env, "e2e/hotwork.mjs")

	id := pgtest.Scalar[string](t, f.pool, `SELECT id::text FROM permits WHERE company = $1`, f.A.Code)
	p, err := f.svc.Permit(context.Background(), f.A.Safety, id)
	require.NoError(t, err)
	require.Equal(t, permits.StatusArchived, p.Status)
	require.Len(t, p.Approvals, 2)
	require.Len(t, p.Analyses, 2)
	recs := f.staged(t, f.A.Code)
	require.Equal(t, "1", recs[len(recs)-1]["IS_CONTRACTOR_TASK"])
}
