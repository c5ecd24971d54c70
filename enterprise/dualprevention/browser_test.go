package dualprevention_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/color"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// recordingDangers stands in for enterprise/dangers on the real foundation:
// it keeps the findings handed to it (nothing staged, so the outbox stays
// valid).
type recordingDangers struct {
	mu       sync.Mutex
	findings []enterprise.Finding
}

func (d *recordingDangers) RegisterFinding(_ context.Context, _ pgx.Tx, f enterprise.Finding) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.findings = append(d.findings, f)
	return "9a1d3c6e-2b4f-4e8a-9c1d-" + strconv.Itoa(100000000000+len(d.findings)), nil
}

// badWorkbook is the template with two rows: one whose 危险源编码 the company
// never registered, one whose 分类2 is not under its 分类1.
func badWorkbook(t *testing.T, hazard, post string) []byte {
	t.Helper()
	var tmpl bytes.Buffer
	require.NoError(t, dp.Template(&tmpl))
	book, err := excelize.OpenReader(&tmpl)
	require.NoError(t, err)
	rows := [][]string{
		{"库区", "370102999999", "生产部", "x", "甲类仓库", "仓库火灾", "一般风险", "隐患排查", "操作行为", "交接班", "", "交接班检查", "检查交接班记录", post, "1", "天"},
		{"库区", hazard, "生产部", "x", "甲类仓库", "仓库火灾", "一般风险", "隐患排查", "操作行为", "动设备", "", "泵检查", "检查泵的密封", post, "2", "周"},
	}
	for i, r := range rows {
		require.NoError(t, book.SetSheetRow(dp.SheetList, "A"+strconv.Itoa(i+2), &r))
	}
	var out bytes.Buffer
	require.NoError(t, book.Write(&out))
	return out.Bytes()
}

// TestBrowserPhoneFlow runs e2e/phone.mjs in Chromium against the real base
// system: an employee at a phone-sized page opens a unit by its QR code's URL
// and records, through the foundation's offline queue, a check that finds a
// hidden danger with a photo; the 安全管理员 imports a file with bad rows.
// The list is dated three days back, so the board and the statistics show
// missed periods. CHEMGUARD_SCREENSHOTS=1 saves every page to
// docs/screenshots; CHEMGUARD_SKIP_BROWSER=1 skips it, as for the other
// browser tests.
func TestBrowserPhoneFlow(t *testing.T) {
	tools := browsertest.Require(t)
	dangers := &recordingDangers{}
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond},
			Modules: []enterprise.ModuleFactory{dp.Factory(dp.Config{}, dangers, nil)}}})
	a := buildThroughPages(t, app, enttest.Setup(t, app.App, "370102001", "370102"), "370102100001", "液氨储罐区")
	// As if the list and the first check were three days old (the sessions
	// cannot be: a login three days ago has expired).
	for _, sql := range []string{`UPDATE dp_tasks SET anchor = anchor - interval '72 hours'`,
		`UPDATE dp_checks SET checked_at = checked_at - interval '72 hours'`} {
		_, err := app.Pool.Exec(context.Background(), sql)
		require.NoError(t, err)
	}
	base := app.URL()
	cookie := func(role policy.Role) map[string]string {
		c := enttest.Login(t, base, a.co.Members[role].Username, enttest.Password)
		u, err := url.Parse(base)
		require.NoError(t, err)
		for _, k := range c.HTTP.Jar.Cookies(u) {
			if k.Name == identity.CookieName {
				return map[string]string{"name": k.Name, "value": k.Value}
			}
		}
		t.Fatalf("no session cookie for %s", role)
		return nil
	}
	env := map[string]any{
		"baseURL": base, "chromium": tools.Chromium, "playwright": tools.Playwright,
		"worker": cookie(policy.EnterpriseStaff), "safety": cookie(policy.EnterpriseSafety),
		"unitID": a.unit, "unitName": a.name, "qrURL": base + "/e/m/units/" + a.unit, "qrVideo": qrVideo(t, base, a.unit),
		"photo":     base64.StdEncoding.EncodeToString(tinyPNG),
		"badImport": base64.StdEncoding.EncodeToString(badWorkbook(t, "370102100001", "生产部/操作工")),
		"pcPages": [][2]string{{"list", "/e/dp"}, {"unit-form", "/e/dp/units/" + a.unit + "/edit"},
			{"measure-form", "/e/dp/measures/" + a.measure + "/edit"}, {"import", "/e/dp/import"},
			{"tasks", "/e/dp/tasks"}, {"task", "/e/dp/tasks/" + a.task}, {"checks", "/e/dp/checks"}, {"stats", "/e/dp/stats"}},
	}
	if shots := tools.Screenshots(t); shots != "" {
		env["screenshots"] = shots
	}
	tools.Run(t, 4*time.Minute, env, "e2e/phone.mjs")

	require.Len(t, dangers.findings, 1, "the check's finding reached the hidden-danger ledger")
	fd := dangers.findings[0]
	require.Equal(t, "液位计失准", fd.Name)
	require.Len(t, fd.Photos, 1)
	require.Equal(t, "370102100001", fd.HazardCode)
	require.Equal(t, a.measure, fd.RiskMeasureID)
	require.Equal(t, 1, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM dp_checks WHERE status = '1' AND jsonb_array_length(photos) = 1`))
	check := pgtest.Scalar[string](t, app.Pool, `SELECT id::text FROM dp_checks WHERE status = '1'`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := enttest.ExchangeGet(t, base, a.co.Key, "/api/v1/exchange/check-records/"+check)
		if status == http.StatusOK && body["CHECK_STATUS"] == "1" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the check record read back through the exchange: %d %v", status, body)
		time.Sleep(200 * time.Millisecond)
	}
}

// qrVideo writes a Y4M video (the raw format Chromium's fake camera plays,
// --use-file-for-fake-video-capture) of the unit's label QR code — the image
// the label PDF prints — on white, as a phone held to the label would film it,
// and returns its path.
func qrVideo(t *testing.T, base, unit string) string {
	t.Helper()
	code, err := dp.UnitQR(base, unit, 360)
	require.NoError(t, err)
	const w, h, frames = 640, 480, 5
	var y4m bytes.Buffer
	fmt.Fprintf(&y4m, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	luma := make([]byte, w*h)
	ox, oy := (w-code.Bounds().Dx())/2, (h-code.Bounds().Dy())/2
	for y := range h {
		for x := range w {
			luma[y*w+x] = 255
			if px, py := x-ox, y-oy; px >= 0 && py >= 0 && px < code.Bounds().Dx() && py < code.Bounds().Dy() {
				luma[y*w+x] = color.GrayModel.Convert(code.At(code.Bounds().Min.X+px, code.Bounds().Min.Y+py)).(color.Gray).Y
			}
		}
	}
	chroma := bytes.Repeat([]byte{128}, w/2*h/2) // grey: no colour
	for range frames {
		y4m.WriteString("FRAME\n")
		y4m.Write(luma)
		y4m.Write(chroma)
		y4m.Write(chroma)
	}
	path := filepath.Join(t.TempDir(), "label.y4m")
	require.NoError(t, os.WriteFile(path, y4m.Bytes(), 0o600))
	return path
}
