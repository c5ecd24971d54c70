package rounds_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/rounds"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web"
)

type noDirectory struct{ enterprise.Directory }

func (noDirectory) Departments(context.Context, string) ([]enterprise.Department, error) {
	return nil, nil
}

func TestPatrolSheetAndOutOfRangeOfferedAsDanger(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	clock := testclock.Frozen(time.Date(2026, 12, 5, 8, 30, 0, 0, schemas.Shanghai))
	members := map[string]*enterprise.Member{}
	for i, c := range []string{"370102000001", "370102000002"} {
		_, err := pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code) VALUES ($1, $1, '370102')`, c)
		require.NoError(t, err)
		for _, u := range []struct {
			name string
			role policy.Role
		}{{"safety", policy.EnterpriseSafety}, {"patrol", policy.EnterpriseStaff}} {
			var id int64
			username := u.name + string(rune('a'+i))
			require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, domain)
				VALUES ($1, $1, 'x', $2) RETURNING id`, username, "ent:"+c).Scan(&id))
			members[username] = &enterprise.Member{UserID: id, Username: username, DisplayName: username, Company: c,
				Roles: []policy.Role{u.role}}
		}
	}
	log := &enttest.AuditLog{}
	mod, err := rounds.New(pool, noDirectory{}, log, clock.Now)
	require.NoError(t, err)
	svc := mod.Service()
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Use(func(c *fiber.Ctx) error {
		if m, ok := members[c.Get("X-Test-Member")]; ok {
			enterprise.SetMember(c, m)
		}
		enterprise.SetPageContext(c, "t", nil, nil)
		return c.Next()
	})
	mod.Register(app.Group(enterprise.Prefix), app.Group(enterprise.PhonePrefix))
	do := func(member, method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("X-Test-Member", member)
		resp, err := app.Test(req, 30_000)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	// The 安全管理员 sets up the route; a patrol member may not.
	_, err = svc.CreateRoute(ctx, members["patrola"], "罐区巡检", 0)
	assert.Error(t, err)
	resp, _ := do("safetya", "POST", "/e/rounds", url.Values{"name": {"罐区巡检"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	routePath := resp.Header.Get("Location")
	routeID := strings.TrimPrefix(routePath, "/e/rounds/")
	resp, _ = do("safetya", "POST", routePath+"/points", url.Values{"name": {"1 号液氨储罐"}, "parameter": {"压力"},
		"unit": {"MPa"}, "min": {"0.2"}, "max": {"1.6"}, "hazard_code": {"370102100001"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = do("safetya", "POST", routePath+"/points", url.Values{"name": {"1 号液氨储罐"}, "parameter": {"液位"},
		"unit": {"%"}, "max": {"85"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, page := do("safetya", "POST", routePath+"/points", url.Values{"name": {"x"}, "parameter": {"温度"}, "min": {"5"}, "max": {"1"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "上限不能小于下限")

	r, err := svc.Route(ctx, "370102000001", mustID(t, routeID))
	require.NoError(t, err)
	require.Len(t, r.Points, 2)
	p1, p2 := r.Points[0], r.Points[1]
	assert.Equal(t, "0.2–1.6 MPa", p1.Range())
	assert.Equal(t, "≤ 85 %", p2.Range())

	// A patrol on the phone: pressure out of range.
	key1, key2 := "point_"+itoa(p1.ID), "point_"+itoa(p2.ID)
	resp, page = do("patrola", "POST", "/e/m/rounds/"+routeID, url.Values{key1: {"abc"}, key2: {"60"}, "client_id": {"k1"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "巡检点「1 号液氨储罐」的压力须填写数值，收到「abc」")
	resp, _ = do("patrola", "POST", "/e/m/rounds/"+routeID, url.Values{key1: {"1.9"}, key2: {"60"}, "client_id": {"k1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	done := resp.Header.Get("Location")
	resp, _ = do("patrola", "POST", "/e/m/rounds/"+routeID, url.Values{key1: {"1.9"}, key2: {"60"}, "client_id": {"k1"}})
	assert.Equal(t, done, resp.Header.Get("Location"), "the offline queue's resend is the same patrol")
	_, page = do("patrola", "GET", done, nil)
	assert.Contains(t, page, "超出正常范围")
	assert.Contains(t, page, "/e/m/dangers/new?hazard_code=370102100001")
	assert.NotContains(t, page, "液位 60")
	clock.Add(4 * time.Hour)
	_, err = svc.Record(ctx, members["patrola"], mustID(t, routeID), map[int64]string{p1.ID: "1.2", p2.ID: "90"}, "液位偏高已告知班长", "", time.Time{})
	require.NoError(t, err)

	// The 巡检记录表.
	resp, page = do("safetya", "GET", routePath+"/sheet?from=2026-12-05&to=2026-12-05", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, strings.Count(page, "超限"))
	assert.Contains(t, page, "液位偏高已告知班长")
	resp, _ = do("safetya", "GET", routePath+"/sheet.xlsx?from=2026-12-05&to=2026-12-05", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sh, err := svc.Sheet(ctx, "370102000001", mustID(t, routeID), clock.Now().Add(-24*time.Hour), clock.Now().Add(time.Hour))
	require.NoError(t, err)
	data, err := rounds.WriteSheet(sh)
	require.NoError(t, err)
	wb, err := excelize.OpenReader(strings.NewReader(string(data)))
	require.NoError(t, err)
	rows, err := wb.GetRows("巡检记录表")
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, "1.9", rows[2][2])
	assert.Equal(t, "1", rows[2][4], "one value out of range")

	// Company B sees none of it.
	for _, path := range []string{routePath, routePath + "/sheet", routePath + "/sheet.xlsx", "/e/m/rounds/" + routeID, done} {
		resp, page = do("safetyb", "GET", path, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		assert.NotContains(t, page, "罐区巡检")
	}
	for _, path := range []string{routePath + "/points", routePath + "/delete", "/e/m/rounds/" + routeID} {
		resp, _ = do("safetyb", "POST", path, url.Values{"name": {"x"}, "parameter": {"y"}, key1: {"1"}, key2: {"1"}})
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	_, page = do("safetyb", "GET", "/e/rounds", nil)
	assert.NotContains(t, page, "罐区巡检")

	results := map[string]bool{}
	for _, e := range log.Events() {
		results[e.Actor+" "+e.Action+" "+e.Result] = true
	}
	assert.True(t, results["safetya rounds_create_route ok"])
	assert.True(t, results["patrola rounds_patrol failed"], "the refused patrol")
	assert.True(t, results["patrola rounds_patrol ok"])
	// Another company's route is answered as not found and audited as a
	// denial, as in every module of the base system.
	assert.True(t, results["safetyb rounds_add_point denied"], "B's attempt on A's route")
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
