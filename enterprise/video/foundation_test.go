package video_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/video"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/testclock"
)

const (
	plant   = "370102001" // a chemical company (附件5)
	station = "370203901" // a gas station (附件7)
)

func pngImage(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, image.NewGray(image.Rect(0, 0, 32, 24))))
	return b.Bytes()
}

type box struct {
	t                 *testing.T
	base, key, secret string
	now               func() time.Time
}

// send posts body signed with the box's credential; it returns the request
// so that a test can send it again (a replay).
func (b *box) send(path, contentType string, body []byte) (*http.Request, int, string) {
	b.t.Helper()
	req, err := video.NewBoxRequest(b.base, b.key, b.secret, path, contentType, body, b.now())
	require.NoError(b.t, err)
	status, out := do(b.t, req)
	return req, status, out
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

type results struct {
	Accepted, Rejected int
	Results            []video.Result
}

func alarmJSON(t *testing.T, typ, status, at, camera, event string, img []byte) map[string]string {
	return map[string]string{"EVENT_ID": event, "ALARM_TYPE": typ, "ALARM_STATUS": status, "ALARM_TIME": at, "VIDEO_CODE": camera,
		"ALARM_IMAGE": base64.StdEncoding.EncodeToString(img)}
}

// register makes co's device (auto-clear minutes) and camera through the
// pages and returns the box with its credential.
func register(t *testing.T, app *platformtest.Running, co *enttest.Company, auto string, now func() time.Time) (*box, string, string) {
	t.Helper()
	safety := co.Clients[policy.EnterpriseSafety]
	safety.Get("/e/video/devices")
	r := safety.Post("/e/video/devices", url.Values{"code": {"BOX-" + co.Code}, "name": {co.Code + "分析盒"}, "auto_clear": {auto}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	id := pgtest.Scalar[string](t, app.Pool, `SELECT id::text FROM video_devices WHERE company = $1`, co.Code)
	camera := co.Code + "0132" + "0000007"
	r = safety.Post("/e/video/cameras", url.Values{"code": {camera}, "name": {co.Code + "秘密摄像头"}, "place": {"罐区北"}, "area": {"罐区"},
		"key_area_kind": {"3"}, "device": {id}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = safety.Post("/e/video/devices/"+id+"/key", nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	cut := func(after string) string {
		_, rest, ok := strings.Cut(r.Body, after)
		require.True(t, ok, after)
		v, _, _ := strings.Cut(rest, "<")
		return v
	}
	return &box{t: t, base: app.URL(), key: cut(`id="box-key">`), secret: cut(`id="box-secret">`), now: now}, id, camera
}

// start runs the base system with the video module on a new database, on a
// test clock; the outbox is not drained, so what the module staged stays.
func start(t *testing.T) (*platformtest.Running, *testclock.Clock, *video.Module) {
	t.Helper()
	clk := testclock.New(t)
	var mod *video.Module
	secrets, err := sealed.NewBox(sealed.NewRandomKey())
	require.NoError(t, err)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Now: clk.Now,
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: time.Hour},
			Modules: []enterprise.ModuleFactory{video.Factory(video.Config{Secrets: secrets}, func(m *video.Module) { mod = m })}}})
	require.NotNil(t, mod)
	return app, clk, mod
}

// TestVideoOnTheFoundation runs the module in the real base system: the two
// code spaces, the intake's per-record refusals (type, channel code, an
// unregistered camera, the 4 MB image), replays, auto-clear for a box that
// sends no 销警, 表3 online then offline, the Excel import keeping good rows
// beside bad ones, the closed loop's rules, and isolation between companies.
func TestVideoOnTheFoundation(t *testing.T) {
	app, clk, mod := start(t)
	a := enttest.Setup(t, app.App, plant, "370102")
	b := enttest.Setup(t, app.App, station, "370203")
	_, err := app.Pool.Exec(context.Background(), `UPDATE enterprises SET kind = '加油站' WHERE code = $1`, station)
	require.NoError(t, err)
	boxA, _, cameraA := register(t, app, a, "5", clk.Now)
	boxB, _, cameraB := register(t, app, b, "0", clk.Now)
	img := pngImage(t)
	at := clk.Now().Add(-time.Minute).In(time.FixedZone("CST", 8*3600)).Format(time.DateTime)

	// The enterprise's 8 is 抽烟; 13 exists only for gas stations; B's channel,
	// an unregistered channel and a 4 MB + 1 image are refused one by one.
	batch, _ := json.Marshal([]map[string]string{
		alarmJSON(t, "8", "1", at, cameraA, "", img),
		alarmJSON(t, "13", "1", at, cameraA, "", img),
		alarmJSON(t, "8", "1", at, cameraB, "", img),
		alarmJSON(t, "8", "1", at, plant+"0132"+"0000099", "", img),
		alarmJSON(t, "8", "1", at, cameraA, "", append(img, make([]byte, video.MaxImageBytes)...)),
		alarmJSON(t, "8", "1", at, cameraA, "", []byte("GIF89a not an accepted format")),
	})
	req, status, body := boxA.send("/alarms", "application/json", batch)
	require.Equal(t, http.StatusOK, status, body)
	var res results
	require.NoError(t, json.Unmarshal([]byte(body), &res), body)
	require.Equal(t, 1, res.Accepted, body)
	want := []struct{ status, field, zh string }{{"raised", "", ""}, {"rejected", "ALARM_TYPE", "智能视频 表1"},
		{"rejected", "VIDEO_CODE", "本企业编码"}, {"rejected", "VIDEO_CODE", "未在本企业登记"}, {"rejected", "ALARM_IMAGE", "超过 4MB"},
		{"rejected", "ALARM_IMAGE", "PNG、JPG"}}
	for i, w := range want {
		got := res.Results[i]
		require.Equal(t, w.status, got.Status, "record %d: %+v", i, got)
		require.Equal(t, w.field, got.Field, "record %d", i)
		require.Contains(t, got.MessageZH, w.zh, "record %d", i)
		if w.status == "rejected" {
			require.NotEmpty(t, got.MessageEN, "record %d", i)
		}
	}
	alarmA := res.Results[0].ID
	// The same signed request again is a replay.
	again, err := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(batch))
	require.NoError(t, err)
	again.Header = req.Header.Clone()
	status, _ = do(t, again)
	require.Equal(t, http.StatusUnauthorized, status)
	// A's box cannot post for B: its credential names A's device.
	status, body = func() (int, string) {
		b2, _ := json.Marshal(alarmJSON(t, "7", "1", at, cameraB, "", img))
		_, s, o := boxA.send("/alarms", "application/json", b2)
		return s, o
	}()
	require.Equal(t, http.StatusUnprocessableEntity, status, body)

	// The gas station's 7 is 抽烟 (its own code space), posted as multipart.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, v := range map[string]string{"EVENT_ID": "e-1", "ALARM_TYPE": "7", "ALARM_STATUS": "1", "ALARM_TIME": at, "VIDEO_CODE": cameraB} {
		require.NoError(t, w.WriteField(k, v))
	}
	part, err := w.CreateFormFile("ALARM_IMAGE", "snap.png")
	require.NoError(t, err)
	_, _ = part.Write(img)
	require.NoError(t, w.Close())
	_, status, body = boxB.send("/alarms", w.FormDataContentType(), mp.Bytes())
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"raised"`)
	staged := func(slug, where string) int {
		return pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM enterprise_outbox WHERE slug = $1 AND `+where, slug)
	}
	require.Equal(t, 1, staged("video-alarms", `record->>'ALARM_TYPE' = '8' AND record->>'ALARM_STATUS' = '1'`))
	require.Equal(t, 1, staged("gas-station-video-alarms", `record->>'ALARM_TYPE' = '7' AND record->>'DEVICE_CODE' = 'BOX-`+station+`'`))
	require.Equal(t, 1, staged("video-devices", `company = '`+plant+`'`))
	require.Equal(t, 1, staged("gas-station-video-devices", `company = '`+station+`'`))

	// A's box sends no 销警: 5 minutes after the alarm the sweep clears it.
	svc := mod.Service()
	require.NoError(t, svc.Sweep(context.Background()))
	require.Equal(t, 0, staged("video-alarms", `record->>'ALARM_STATUS' = '0'`), "not yet")
	require.Equal(t, 1, staged("video-device-status", `record->>'RUN_STATUS' = '1' AND record->>'DEVICE_CODE' = 'BOX-`+plant+`'`), "the box called in")
	clk.Add(5 * time.Minute)
	require.NoError(t, svc.Sweep(context.Background()))
	require.Equal(t, 1, staged("video-alarms", `record->>'ALARM_STATUS' = '0' AND record->>'ALARM_ID' = '`+alarmA+`'`))
	require.Equal(t, "auto", pgtest.Scalar[string](t, app.Pool, `SELECT cleared_by FROM video_alarms WHERE id::text = $1`, alarmA))
	// No heartbeat for 11 minutes: the next 表3 says 异常 and the page says offline.
	clk.Add(6 * time.Minute)
	require.NoError(t, svc.Sweep(context.Background()))
	require.Equal(t, 1, staged("video-device-status", `record->>'RUN_STATUS' = '0' AND record->>'DEVICE_CODE' = 'BOX-`+plant+`'`))
	require.Contains(t, a.Clients[policy.EnterpriseSafety].Get("/e/video/devices").Body, "离线")

	// The loop: staff see only what is sent to them; handling needs a note;
	// confirming needs a handled alarm.
	staff, safety := a.Clients[policy.EnterpriseStaff], a.Clients[policy.EnterpriseSafety]
	require.Equal(t, http.StatusNotFound, staff.Get("/e/video/alarms/"+alarmA).Status)
	safety.Get("/e/video/alarms/" + alarmA)
	r := safety.Post("/e/video/alarms/"+alarmA+"/confirm", url.Values{"decision": {"accept"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "报警尚未处置")
	r = safety.Post("/e/video/alarms/"+alarmA+"/assign", url.Values{"assignee": {itoa(a.Members[policy.EnterpriseStaff].UserID)}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	staff.Get("/e/m/video/alarms/" + alarmA)
	r = staff.Post("/e/m/video/alarms/"+alarmA+"/handle", url.Values{"note": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "处置情况")
	r = staff.Post("/e/m/video/alarms/"+alarmA+"/handle", url.Values{"note": {"误报：人员手持体温计，已核实"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = safety.Post("/e/video/alarms/"+alarmA+"/confirm", url.Values{"decision": {"return"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "sending back needs a reason")
	r = safety.Post("/e/video/alarms/"+alarmA+"/confirm", url.Values{"decision": {"accept"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, video.StateConfirmed, pgtest.Scalar[string](t, app.Pool, `SELECT state FROM video_alarms WHERE id::text = $1`, alarmA))
	st := safety.Get("/e/video/stats")
	require.Equal(t, http.StatusOK, st.Status, st.Body)
	require.Contains(t, st.Body, "抽烟")
	require.Contains(t, st.Body, "罐区")
	x := safety.Get("/e/video/stats.xlsx")
	require.Equal(t, http.StatusOK, x.Status)
	wb, err := excelize.OpenReader(strings.NewReader(x.Body))
	require.NoError(t, err)
	rows, err := wb.GetRows("报警明细")
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "抽烟", rows[1][1])
	require.Equal(t, "已闭环", rows[1][7])

	// Excel: the export loads back; bad rows are named, good ones kept.
	exp := safety.Get("/e/video/registry.xlsx")
	require.Equal(t, http.StatusOK, exp.Status)
	wb, err = excelize.OpenReader(strings.NewReader(exp.Body))
	require.NoError(t, err)
	require.NoError(t, wb.SetSheetRow("分析设备", "A3", &[]any{"BOX-NEW", "卸油区分析盒", "", "大华", 0}))
	require.NoError(t, wb.SetSheetRow("分析设备", "A4", &[]any{"BOX-BAD", "", "", "", 0}))
	require.NoError(t, wb.SetSheetRow("摄像头", "A3", &[]any{plant + "0132" + "0000008", "装车鹤位", "装卸台", "装卸区", "4 装卸区", "BOX-NEW"}))
	require.NoError(t, wb.SetSheetRow("摄像头", "A4", &[]any{plant + "0133" + "0000009", "坏编码", "某处", "", "4", ""}))
	var buf bytes.Buffer
	require.NoError(t, wb.Write(&buf))
	m := &enterprise.Member{UserID: a.Members[policy.EnterpriseSafety].UserID, Company: plant, Roles: []policy.Role{policy.EnterpriseSafety}}
	imp, err := svc.ImportRegistry(context.Background(), m, &buf)
	require.NoError(t, err)
	require.Equal(t, 2, imp.Devices, "the exported device (unchanged) and the new one")
	require.Equal(t, 2, imp.Cameras)
	require.Len(t, imp.Errors, 2, "%+v", imp.Errors)
	require.Equal(t, video.RowError{Sheet: "分析设备", Row: 4, MessageZH: "设备名称：必填", MessageEN: "device name: required"}, imp.Errors[0])
	require.Equal(t, "摄像头", imp.Errors[1].Sheet)
	require.Equal(t, 4, imp.Errors[1].Row)
	require.Contains(t, imp.Errors[1].MessageZH, "0132")
	require.Equal(t, 2, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM video_devices WHERE company = $1 AND deleted_at IS NULL`, plant))
	require.Equal(t, 0, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM video_devices WHERE secret LIKE 'cgs_%'`), "secrets are sealed")

	// The forms edit one device and one camera; a refused edit keeps what was
	// typed; 停用 is a soft delete; every change is audited.
	deviceA := pgtest.Scalar[string](t, app.Pool, `SELECT id::text FROM video_devices WHERE company = $1 AND code = 'BOX-`+plant+`'`, plant)
	r = safety.Get("/e/video/devices/" + deviceA + "/edit")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, `value="BOX-`+plant+`"`)
	require.Contains(t, r.Body, "保存修改")
	r = safety.Post("/e/video/devices", url.Values{"id": {deviceA}, "code": {"BOX-" + plant}, "name": {"罐区智能分析盒"}, "vendor": {"海康威视"},
		"auto_clear": {"0"}, "description": {"罐区北侧机柜"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, "罐区智能分析盒|海康威视|0", pgtest.Scalar[string](t, app.Pool,
		`SELECT name || '|' || vendor || '|' || auto_clear_minutes FROM video_devices WHERE id::text = $1`, deviceA))
	safety.Get("/e/video/devices/" + deviceA + "/edit")
	r = safety.Post("/e/video/devices", url.Values{"id": {deviceA}, "code": {"BOX-" + plant}, "name": {" "}, "vendor": {"大华股份"}, "auto_clear": {"0"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "设备名称")
	require.Contains(t, r.Body, `value="大华股份"`, "the refused form keeps what was typed")
	r = safety.Get("/e/video/cameras/" + cameraA + "/edit")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, `value="罐区"`)
	r = safety.Post("/e/video/cameras", url.Values{"edit": {"1"}, "code": {cameraA}, "name": {"2号罐组摄像头"}, "place": {"罐区北"}, "area": {"2号罐组"},
		"key_area_kind": {"3"}, "device": {deviceA}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, "2号罐组摄像头|2号罐组", pgtest.Scalar[string](t, app.Pool,
		`SELECT name || '|' || area FROM video_cameras WHERE company = $1 AND code = $2`, plant, cameraA))
	safety.Get("/e/video/devices")
	r = safety.Post("/e/video/cameras", url.Values{"code": {b.Code + "0132" + "0000001"}, "name": {"借用编码"}, "place": {"某处"}, "key_area_kind": {"3"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "another company's code space is refused")
	require.Contains(t, r.Body, plant)
	require.Contains(t, r.Body, `value="借用编码"`)
	r = safety.Post("/e/video/devices/"+deviceA+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, 1, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM video_devices WHERE id::text = $1 AND deleted_at IS NOT NULL`, deviceA),
		"停用 keeps the row")
	require.Equal(t, http.StatusNotFound, safety.Get("/e/video/devices/"+deviceA+"/edit").Status)
	for action, n := range map[string]int{"video_device_save": 3, "video_camera_save": 3, "video_device_disable": 1} {
		require.Equal(t, n, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor = $2 AND object LIKE $3`,
			action, a.Members[policy.EnterpriseSafety].Username, "video:"+plant+"/%"), action)
	}
	require.Equal(t, 1, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = 'video_device_save' AND result = 'failed'
		AND object = $1`, "video:"+plant+"/"+deviceA), "the refused edit is audited")

	// B's members reach nothing of A's.
	enttest.AssertIsolated(t, app.Routes(), b.Clients[policy.EnterpriseSafety], map[string]string{"id": alarmA, "code": cameraA, "ref": "x"},
		plant+"秘密摄像头", cameraA)
	require.Equal(t, http.StatusNotFound, b.Clients[policy.EnterpriseSafety].Get("/e/video/alarms/"+alarmA).Status)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
