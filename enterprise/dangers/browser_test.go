package dangers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// TestBrowserRegisterRectifyAccept drives testdata/browser.cjs in Debian's
// Chromium: register with a photo on a phone-sized page, assign, rectify with
// a photo, accept. Without node, Chromium or portal/e2e/node_modules it fails
// (`make e2e-deps` installs them); CHEMGUARD_SKIP_BROWSER=1 skips it on
// purpose. CHEMGUARD_SCREENSHOTS=1 writes the pages to docs/screenshots.
func TestBrowserRegisterRectifyAccept(t *testing.T) {
	tools := browsertest.Require(t)

	f := newFixture(t)
	// The shell's style sheet, so the screenshots look as in production (its
	// scripts stay out: this test drives the forms without the offline queue).
	f.app.Get("/e/static/e.css", func(c *fiber.Ctx) error { return c.SendFile("../static/e.css") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = f.app.Listener(ln) }()
	t.Cleanup(func() { _ = f.app.Shutdown() })

	photo := filepath.Join(t.TempDir(), "现场.png")
	require.NoError(t, os.WriteFile(photo, scenePNG(t), 0o600))
	env := map[string]string{"baseURL": "http://" + ln.Addr().String(), "chromium": tools.Chromium, "photo": photo}
	if shots := tools.Screenshots(t); shots != "" {
		env["screenshots"] = shots
	}
	out := tools.Run(t, 3*time.Minute, env, "testdata/browser.cjs")

	var res struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(string(out))), &res))
	d, err := f.svc.Get(context.Background(), companyA, res.ID)
	require.NoError(t, err)
	assert.Equal(t, dangers.Accepted, d.State)
	assert.Equal(t, "李安全", d.AcceptorName)
	states := []string{}
	for _, r := range f.outbox(res.ID) {
		states = append(states, num(r["DANGER_STATE"]))
	}
	assert.Equal(t, []string{"0", "1", "9"}, states)
}

// scenePNG is a 640×480 picture (sky, a grey tank, a red flange) to stand in
// for a phone's photo in the screenshots.
func scenePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			c := color.RGBA{R: 170, G: 200, B: 230, A: 255}
			switch {
			case x > 200 && x < 440 && y > 180 && y <= 400:
				c = color.RGBA{R: 150, G: 150, B: 155, A: 255}
			case y > 400:
				c = color.RGBA{R: 110, G: 110, B: 100, A: 255}
			}
			if x > 300 && x < 340 && y > 250 && y < 290 {
				c = color.RGBA{R: 200, G: 40, B: 40, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}
