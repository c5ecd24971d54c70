package dualprevention_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
)

// TestBrowserPhoneFlow runs e2e/phone.mjs in Chromium against the module:
// an employee at a phone-sized page opens a unit by its QR code's URL and
// records a check that finds a hidden danger with a photo. With
// CHEMGUARD_SCREENSHOTS=1 it saves every page to docs/screenshots.
// CHEMGUARD_SKIP_BROWSER=1 skips it, as for the other browser tests.
func TestBrowserPhoneFlow(t *testing.T) {
	if os.Getenv("CHEMGUARD_SKIP_BROWSER") == "1" {
		t.Skip("CHEMGUARD_SKIP_BROWSER=1")
	}
	pw, err := filepath.Abs("../../portal/e2e/node_modules/playwright-core")
	require.NoError(t, err)
	if _, err := os.Stat(pw); err != nil {
		t.Fatalf("playwright-core is missing: run `make e2e-deps` (%v)", err)
	}
	f := newFixture(t)
	app := f.app(t)
	a := f.world(t, f.A, "液氨储罐区")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	base := "http://" + ln.Addr().String()

	env := map[string]any{
		"baseURL": base, "chromium": "/usr/bin/chromium", "playwright": pw,
		"worker": f.A.Worker.Username, "safety": f.A.Safety.Username,
		"unitID": a.unit, "unitName": "液氨储罐区", "qrURL": base + "/e/m/units/" + a.unit,
		"photo": base64.StdEncoding.EncodeToString(tinyPNG),
		"pcPages": [][2]string{{"list", "/e/dp"}, {"unit-form", "/e/dp/units/" + a.unit + "/edit"},
			{"measure-form", "/e/dp/measures/" + a.measure + "/edit"}, {"import", "/e/dp/import"},
			{"tasks", "/e/dp/tasks"}, {"task", "/e/dp/tasks/" + a.task}, {"checks", "/e/dp/checks"}, {"stats", "/e/dp/stats"}},
	}
	if os.Getenv("CHEMGUARD_SCREENSHOTS") == "1" {
		dir, err := filepath.Abs("../../docs/screenshots")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		env["screenshots"] = dir
	}
	b, err := json.Marshal(env)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/phone.mjs")
	cmd.Env = append(os.Environ(), "CHEMGUARD_E2E_ENV="+string(b))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))

	require.Len(t, f.dangers.findings, 1, "the check's finding reached the hidden-danger ledger")
	fd := f.dangers.findings[0]
	require.Equal(t, "液位计失准", fd.Name)
	require.Len(t, fd.Photos, 1)
	require.Equal(t, f.A.Hazard, fd.HazardCode)
	require.Equal(t, 1, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_checks WHERE status = '1' AND jsonb_array_length(photos) = 1`))
	recs := f.staged(t, f.A.Code, "check-records")
	require.Equal(t, "1", recs[len(recs)-1]["CHECK_STATUS"])
}
