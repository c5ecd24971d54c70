package dualprevention_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

// badWorkbook is the template with two rows: one whose 危险源编码 the company
// never registered, one whose 分类2 is not under its 分类1.
func badWorkbook(t *testing.T, f *fixture) []byte {
	t.Helper()
	var tmpl bytes.Buffer
	require.NoError(t, dp.Template(&tmpl))
	book, err := excelize.OpenReader(&tmpl)
	require.NoError(t, err)
	rows := [][]string{
		{"库区", "370102999999", "储运部", "王操作", "甲类仓库", "仓库火灾", "一般风险", "隐患排查", "操作行为", "交接班", "", "交接班检查", "检查交接班记录", "储运部/巡检工", "1", "天"},
		{"库区", f.A.Hazard, "储运部", "王操作", "甲类仓库", "仓库火灾", "一般风险", "隐患排查", "操作行为", "动设备", "", "泵检查", "检查泵的密封", "储运部/巡检工", "2", "周"},
	}
	for i, r := range rows {
		require.NoError(t, book.SetSheetRow(dp.SheetList, "A"+strconv.Itoa(i+2), &r))
	}
	var out bytes.Buffer
	require.NoError(t, book.Write(&out))
	return out.Bytes()
}

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
	// A second event (低风险) with a weekly measure of another post, and three
	// days later: the board and the statistics have something to show.
	ctx := context.Background()
	ev, err := f.svc.SaveEvent(ctx, f.A.Safety, a.unit, "", dp.EventInput{Name: "储罐超压", Level: 4})
	require.NoError(t, err)
	_, err = f.svc.SaveMeasure(ctx, f.A.Safety, ev, "", dp.MeasureInput{ControlMode: "2", Description: "安全阀定期校验",
		Class1: "2", Class2: "2-2", Content: "检查安全阀铅封和校验标签", PostID: f.A.OtherPost, Cycle: dp.Cycle{N: 1, Unit: dp.UnitWeek}})
	require.NoError(t, err)
	_, _, err = f.svc.Generate(ctx, f.A.Safety, []int{1, 2, 3, 4})
	require.NoError(t, err)
	f.clock.Set(testclock.Parse(t, "2026-12-08 10:00:00"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	base := "http://" + ln.Addr().String()

	env := map[string]any{
		"baseURL": base, "chromium": "/usr/bin/chromium", "playwright": pw,
		"worker": f.A.Worker.Username, "safety": f.A.Safety.Username,
		"unitID": a.unit, "unitName": "液氨储罐区", "qrURL": base + "/e/m/units/" + a.unit,
		"photo": base64.StdEncoding.EncodeToString(tinyPNG), "badImport": base64.StdEncoding.EncodeToString(badWorkbook(t, f)),
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
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
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
