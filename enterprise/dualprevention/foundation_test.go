package dualprevention_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
)

// onFoundation is one company's list made through the pages of the real
// base system, and the ids it got.
type onFoundation struct {
	co                                      *enttest.Company
	unit, event, measure, task, check, name string
}

func buildThroughPages(t *testing.T, app *platformtest.Running, co *enttest.Company, hazard, unitName string) onFoundation {
	t.Helper()
	ctx := context.Background()
	doc, _ := json.Marshal(map[string]string{"HAZARD_CODE": hazard, "COMPANY_CODE": co.Code, "HAZARD_NAME": "液氨储罐", "DELETED": "0"})
	_, err := app.Pool.Exec(ctx, `INSERT INTO x_hazard_sources (company_code, record_key, version, msg_id, received_at, doc) VALUES ($1, $2, 1, $3, now(), $4)`,
		co.Code, hazard, uuid.New(), doc)
	require.NoError(t, err)
	safety, staff := co.Clients[policy.EnterpriseSafety], co.Clients[policy.EnterpriseStaff]
	o := onFoundation{co: co, name: unitName}
	latest := func(sql string) string {
		return pgtest.Scalar[string](t, app.Pool, sql+` WHERE company = $1 ORDER BY created_at DESC LIMIT 1`, co.Code)
	}
	post := func(c *enttest.Client, page, path string, form url.Values) {
		t.Helper()
		c.Get(page)
		r := c.Post(path, form)
		require.Equal(t, http.StatusSeeOther, r.Status, "%s: %.500s", path, r.Body)
	}
	post(safety, "/e/dp/units/new", "/e/dp/units", url.Values{"object_kind": {"罐区"}, "hazard_code": {hazard},
		"department_id": {strconv.FormatInt(co.Department.ID, 10)}, "liable_user_id": {strconv.FormatInt(co.Members[policy.EnterpriseDeptHead].UserID, 10)},
		"name": {unitName}})
	o.unit = latest(`SELECT id::text FROM dp_units`)
	post(safety, "/e/dp", "/e/dp/units/"+o.unit+"/events", url.Values{"name": {"液氨泄漏中毒"}, "level": {"2"}})
	o.event = latest(`SELECT id::text FROM dp_events`)
	post(safety, "/e/dp", "/e/dp/events/"+o.event+"/measures", url.Values{"control_mode": {"2"}, "description": {"储罐液位高高联锁"},
		"class1": {"1"}, "class2": {"1-4"}, "content": {"检查液位计显示与联锁投用情况"}, "post_id": {strconv.FormatInt(co.Post.ID, 10)},
		"cycle_n": {"1"}, "cycle_unit": {"天"}})
	o.measure = latest(`SELECT id::text FROM dp_measures`)
	post(safety, "/e/dp/tasks", "/e/dp/tasks/generate", url.Values{"levels": {"1", "2", "3", "4"}})
	o.task = latest(`SELECT id::text FROM dp_tasks`)

	// The employee opens the unit as its QR code would and records a check.
	r := staff.Get("/e/m/units/" + o.unit)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, "检查液位计显示与联锁投用情况")
	post(staff, "/e/m/dp/tasks/"+o.task+"/check", "/e/m/dp/checks", url.Values{"task_id": {o.task}, "status": {"0"},
		"client_id": {uuid.NewString()}, "note": {"液位计、联锁正常"}})
	o.check = latest(`SELECT id::text FROM dp_checks`)
	return o
}

// TestOnTheFoundation runs the module inside the real base system: the list,
// tasks and a check made through its pages reach the platform's exchange
// tables (read back with the company's key), and a member of company A
// reaches nothing of company B on any route of the app.
func TestOnTheFoundation(t *testing.T) {
	var svc *dp.Service
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond},
			Modules: []enterprise.ModuleFactory{dp.Factory(dp.Config{}, nil, func(s *dp.Service) { svc = s })}}})
	require.NotNil(t, svc)
	a := buildThroughPages(t, app, enttest.Setup(t, app.App, "370102001", "370102"), "370102100001", "甲公司液氨罐区")
	b := buildThroughPages(t, app, enttest.Setup(t, app.App, "370203001", "370203"), "370203100001", "乙公司秘密罐区")

	for _, rec := range []struct{ slug, id, field, want string }{
		{"risk-units", a.unit, "RISK_UNIT_NAME", "甲公司液氨罐区"},
		{"risk-events", a.event, "RISK_EVENT_NAME", "液氨泄漏中毒"},
		{"control-measures", a.measure, "CLASSIFY2", "1-4"},
		{"check-tasks", a.task, "RISK_MEASURE_ID", a.measure},
		{"check-records", a.check, "CHECK_TASK_ID", a.task},
	} {
		deadline := time.Now().Add(60 * time.Second)
		for {
			status, body := enttest.ExchangeGet(t, app.URL(), a.co.Key, "/api/v1/exchange/"+rec.slug+"/"+rec.id)
			if status == http.StatusOK && body[rec.field] == rec.want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s not read back through the exchange: %d %v", rec.slug, rec.id, status, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		status, _ := enttest.ExchangeGet(t, app.URL(), b.co.Key, "/api/v1/exchange/"+rec.slug+"/"+rec.id)
		require.Equal(t, http.StatusNotFound, status, "B reads nothing of A's %s", rec.slug)
	}

	markers := []string{b.name, b.co.Code}
	for _, id := range []string{b.unit, b.event, b.measure, b.task, b.check} {
		enttest.AssertIsolated(t, app.Routes(), a.co.Clients[policy.EnterpriseSafety], map[string]string{"id": id}, markers...)
	}
	enttest.AssertIsolated(t, app.Routes(), a.co.Clients[policy.EnterpriseStaff], map[string]string{"id": b.unit}, markers...)
	require.Equal(t, "乙公司秘密罐区", pgtest.Scalar[string](t, app.Pool, `SELECT name FROM dp_units WHERE id = $1 AND deleted_at IS NULL`, b.unit))
}
