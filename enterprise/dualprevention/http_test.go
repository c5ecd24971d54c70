package dualprevention_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/pgtest"
)

type call struct {
	method, path string
	form         url.Values
}

func do(t *testing.T, app *fiber.App, who *enterprise.Member, c call) (int, string) {
	t.Helper()
	var body io.Reader
	if c.form != nil {
		body = strings.NewReader(c.form.Encode())
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Test-Member", who.Username)
	resp, err := app.Test(req, -1)
	require.NoError(t, err, c.path)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// world is company A's and B's lists, tasks and one check each.
type world struct {
	unit, event, measure, task, check string
	no                                int64
}

func (f *fixture) world(t *testing.T, c company, unitName string) world {
	t.Helper()
	ctx := context.Background()
	var w world
	w.unit, w.event, w.measure = f.seedList(t, c)
	_, err := f.svc.SaveUnit(ctx, c.Safety, w.unit, dp.UnitInput{ObjectKind: "罐区", HazardCode: c.Hazard, DepartmentID: c.Dept,
		LiableUserID: c.Head.UserID, Name: unitName})
	require.NoError(t, err)
	_, _, err = f.svc.Generate(ctx, c.Safety, []int{1, 2, 3, 4})
	require.NoError(t, err)
	tasks, err := f.svc.Tasks(ctx, c.Code, dp.TaskFilter{})
	require.NoError(t, err)
	w.task = tasks[0].ID
	png := tinyPNG
	st, err := f.svc.RecordCheck(ctx, c.Worker, dp.CheckInput{TaskID: w.task, Status: "0", Photos: []dp.PhotoUpload{{Data: png}}})
	require.NoError(t, err)
	w.check = st.ID
	w.no = pgtest.Scalar[int64](t, f.pool, `SELECT no FROM dp_units WHERE id = $1`, w.unit)
	return w
}

func TestCompanyAMemberNeverReachesCompanyB(t *testing.T) {
	f := newFixture(t)
	app := f.app(t)
	f.world(t, f.A, "甲公司液氨罐区")
	b := f.world(t, f.B, "乙公司秘密罐区")

	unitForm := url.Values{"object_kind": {"罐区"}, "hazard_code": {f.A.Hazard}, "department_id": {strconv.FormatInt(f.A.Dept, 10)},
		"liable_user_id": {strconv.FormatInt(f.A.Head.UserID, 10)}, "name": {"改名"}}
	eventForm := url.Values{"name": {"泄漏"}, "level": {"2"}}
	measureForm := url.Values{"control_mode": {"2"}, "description": {"d"}, "class1": {"1"}, "class2": {"1-1"}, "content": {"c"},
		"post_id": {strconv.FormatInt(f.A.Post, 10)}, "cycle_n": {"1"}, "cycle_unit": {"天"}}
	taskForm := url.Values{"post_id": {strconv.FormatInt(f.A.Post, 10)}, "cycle_n": {"1"}, "cycle_unit": {"天"}, "enabled": {"1"}}
	checkForm := url.Values{"task_id": {b.task}, "status": {"0"}}
	routes := []call{
		{"GET", "/e/dp/units/" + b.unit + "/edit", nil},
		{"POST", "/e/dp/units/" + b.unit, unitForm},
		{"POST", "/e/dp/units/" + b.unit + "/delete", url.Values{}},
		{"GET", "/e/dp/units/" + b.unit + "/events/new", nil},
		{"POST", "/e/dp/units/" + b.unit + "/events", eventForm},
		{"GET", "/e/dp/events/" + b.event + "/edit", nil},
		{"POST", "/e/dp/events/" + b.event, eventForm},
		{"POST", "/e/dp/events/" + b.event + "/delete", url.Values{}},
		{"GET", "/e/dp/events/" + b.event + "/measures/new", nil},
		{"POST", "/e/dp/events/" + b.event + "/measures", measureForm},
		{"GET", "/e/dp/measures/" + b.measure + "/edit", nil},
		{"POST", "/e/dp/measures/" + b.measure, measureForm},
		{"POST", "/e/dp/measures/" + b.measure + "/delete", url.Values{}},
		{"GET", "/e/dp/labels.pdf?unit=" + b.unit, nil},
		{"GET", "/e/dp/tasks/" + b.task, nil},
		{"POST", "/e/dp/tasks/" + b.task, taskForm},
		{"GET", "/e/dp/checks/" + b.check + "/photos/0", nil},
		{"GET", "/e/m/units/" + b.unit, nil},
		{"GET", "/e/m/dp/code?code=" + url.QueryEscape("https://x.example/e/m/units/"+b.unit), nil},
		{"GET", "/e/m/dp/code?code=" + strconv.FormatInt(b.no, 10), nil},
		{"GET", "/e/m/dp/tasks/" + b.task + "/check", nil},
		{"POST", "/e/m/dp/checks", checkForm},
		{"GET", "/e/m/dp/checks/" + b.check, nil},
		{"GET", "/e/m/dp/checks/" + b.check + "/photos/0", nil},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			status, body := do(t, app, f.A.Safety, r)
			require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, status, body)
			require.NotContains(t, body, "乙公司秘密罐区")
		})
	}
	// Every attempt was audited as denied.
	for action, n := range map[string]int{"dp_unit_save": 1, "dp_unit_delete": 1, "dp_event_save": 2, "dp_event_delete": 1,
		"dp_measure_save": 2, "dp_measure_delete": 1, "dp_task_save": 1, "dp_check_record": 1} {
		require.Equal(t, n, f.audit.Count(f.A.Safety.Username, action, "denied"), action)
	}
	// Nothing of B changed.
	require.Equal(t, "乙公司秘密罐区", pgtest.Scalar[string](t, f.pool, `SELECT name FROM dp_units WHERE id = $1 AND deleted_at IS NULL`, b.unit))
	require.Equal(t, 1, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_checks WHERE task_id = $1`, b.task))

	// A's own lists show A only.
	for _, path := range []string{"/e/dp", "/e/dp/tasks", "/e/dp/checks", "/e/dp/stats", "/e/m/dp", "/e/dp/export.xlsx"} {
		status, body := do(t, app, f.A.Safety, call{"GET", path, nil})
		require.Equal(t, http.StatusOK, status, path+": "+body)
		require.NotContains(t, body, "乙公司秘密罐区", path)
	}
}

func TestEveryPageRendersAndThePhoneFlowRecordsAFinding(t *testing.T) {
	f := newFixture(t)
	app := f.app(t)
	a := f.world(t, f.A, "甲公司液氨罐区")
	pages := []string{"/e/dp", "/e/dp/units/new", "/e/dp/units/" + a.unit + "/edit", "/e/dp/units/" + a.unit + "/events/new",
		"/e/dp/events/" + a.event + "/edit", "/e/dp/events/" + a.event + "/measures/new", "/e/dp/measures/" + a.measure + "/edit",
		"/e/dp/import", "/e/dp/tasks", "/e/dp/tasks?status=overdue", "/e/dp/tasks/" + a.task, "/e/dp/checks", "/e/dp/stats",
		"/e/m/dp", "/e/m/dp/scan", "/e/m/units/" + a.unit, "/e/m/dp/tasks/" + a.task + "/check", "/e/m/dp/checks/" + a.check,
		"/e/dp/static/dp.js", "/e/dp/static/third_party/jsqr/jsQR.js", "/e/dp/tasks/live?level=2"}
	for _, p := range pages {
		status, body := do(t, app, f.A.Safety, call{"GET", p, nil})
		require.Equal(t, http.StatusOK, status, p+": "+body)
	}
	for _, p := range []string{"/e/dp/template.xlsx", "/e/dp/export.xlsx", "/e/dp/stats.xlsx", "/e/dp/labels.pdf"} {
		status, body := do(t, app, f.A.Safety, call{"GET", p, nil})
		require.Equal(t, http.StatusOK, status, p+": "+body)
		require.NotEmpty(t, body)
	}
	status, body := do(t, app, f.A.Safety, call{"GET", "/e/dp/labels.pdf", nil})
	require.Equal(t, http.StatusOK, status)
	require.True(t, strings.HasPrefix(body, "%PDF-"), "a PDF")

	// The employee cannot edit the list.
	status, _ = do(t, app, f.A.Worker, call{"GET", "/e/dp/units/new", nil})
	require.Equal(t, http.StatusForbidden, status)

	// A form with a mistake comes back with the field's message, nothing saved.
	status, body = do(t, app, f.A.Safety, call{"POST", "/e/dp/units", url.Values{"object_kind": {"罐区"}, "hazard_code": {"NOPE"},
		"department_id": {strconv.FormatInt(f.A.Dept, 10)}, "liable_user_id": {strconv.FormatInt(f.A.Head.UserID, 10)}, "name": {strings.Repeat("罐", 201)}}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, body, "不是本企业在平台登记的危险源")
	require.Contains(t, body, "最长 200 个字符")
	require.Equal(t, 1, f.audit.Count(f.A.Safety.Username, "dp_unit_save", "failed"))

	// The phone flow: the QR's URL opens the unit; the worker records a
	// check that finds a hidden danger, with a photo.
	status, _ = do(t, app, f.A.Worker, call{"GET", "/e/m/dp/code?code=" + url.QueryEscape("https://x.example/e/m/units/"+a.unit), nil})
	require.Equal(t, http.StatusSeeOther, status)
	status, _ = do(t, app, f.A.Worker, call{"GET", "/e/m/dp/code?code=" + strconv.FormatInt(a.no, 10), nil})
	require.Equal(t, http.StatusSeeOther, status)
	status, body = do(t, app, f.A.Worker, call{"GET", "/e/m/units/" + a.unit, nil})
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "检查液位计显示与联锁投用情况")
	require.Contains(t, body, "/e/m/dp/tasks/"+a.task+"/check")

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"task_id": a.task, "client_id": "0e8f0c4e-7a55-4c39-9a43-1f6e8a1b2c3d", "status": "1",
		"note": "液位计偏差", "danger_name": "液位计失准", "danger_desc": "2号罐液位计偏差 15%", "danger_level": "0"} {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("photos", "p.png")
	require.NoError(t, err)
	_, err = fw.Write(tinyPNG)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/e/m/dp/checks", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Test-Member", f.A.Worker.Username)
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, string(b))
	require.Contains(t, resp.Header.Get("Location"), "/e/m/dp/checks/")
	require.Equal(t, 1, f.audit.Count(f.A.Worker.Username, "dp_check_record", "ok"))
	require.Len(t, f.dangers.findings, 1)
	require.Len(t, f.dangers.findings[0].Photos, 1)
	require.Equal(t, 1, pgtest.Scalar[int](t, f.pool, `SELECT count(*) FROM dp_checks WHERE status = '1' AND jsonb_array_length(photos) = 1`))
}
