package enterprise_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// openFireWarning uploads a 明火 video alarm for company co with its key, as
// its own system would, and waits for the warning the engine raises.
func openFireWarning(t *testing.T, app *platform.App, now time.Time, co *enttest.Company, county string) int64 {
	t.Helper()
	rec := simulate.NewRecord(rand.New(rand.NewPCG(3, 4)), schemas.VideoAlarms,
		simulate.Company{Code: co.Code, County: county, Name: co.Name}, now)
	rec["ALARM_TYPE"] = "1" // 明火
	up := platformtest.Upload(t, app, co.Key, schemas.VideoAlarms, rec)
	require.Equal(t, http.StatusOK, up.Status, up.Body)
	var id int64
	eventually(t, 30*time.Second, "the warning of the 明火 alarm", func() bool {
		return app.Pool.QueryRow(context.Background(), `SELECT id FROM warnings WHERE company_code = $1 AND status = 'open'
			ORDER BY id LIMIT 1`, co.Code).Scan(&id) == nil
	})
	return id
}

// regulatorRoutes walks app's route table for the regulators' routes a
// company account must be refused: each route at or below one of prefixes
// but not at or below one of open, as {method, path}, the path's parameters
// filled with the warning id (:id…) or else the company's code.
func regulatorRoutes(app *platform.App, prefixes, open []string, id int64, code string) [][2]string {
	below := func(path string, roots []string) bool {
		for _, r := range roots {
			if path == r || strings.HasPrefix(path, r+"/") {
				return true
			}
		}
		return false
	}
	var out [][2]string
	for _, rt := range app.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if !below(path, prefixes) || below(path, open) {
			continue
		}
		out = append(out, [2]string{method, enttest.FillParams(path, func(name string) string {
			if strings.HasPrefix(name, "id") {
				return fmt.Sprint(id)
			}
			return code
		})})
	}
	return out
}

// migrationUp is the Up section of a migration file, to run it again on a
// database that has rows it is meant for.
func migrationUp(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../store/migrations/" + name)
	require.NoError(t, err)
	_, up, ok := strings.Cut(string(raw), "-- +goose Up")
	require.True(t, ok)
	up, _, _ = strings.Cut(up, "-- +goose Down")
	return up
}

// Company accounts never reach the regulators' UIs: every /portal and /m
// route of the app's route table refuses every company account — each
// base-system role, the 企业管理员 and a legacy 企业用户 — with 403; a
// company signs for and answers its warnings in /e/warnings instead, with the
// engine's rules and the same audit, and the regulator sees it in the portal.
func TestCompanyWarningsLeaveThePortal(t *testing.T) {
	app := start(t)
	a := enttest.Setup(t, app.App, "370102001", "370102")
	b := enttest.Setup(t, app.App, "370203001", "370203")
	ctx := context.Background()

	// A legacy 企业用户 account from before the base system: the migration makes
	// it a 岗位员工 of its company, so it is not locked out.
	legacy, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "legacy_user", DisplayName: "老企业用户",
		Password: enttest.Password, Role: policy.EnterpriseUser, Domain: tiers.EnterpriseDomain(a.Code)}, identity.Actor{Name: "test"})
	require.NoError(t, err)
	_, err = app.Pool.Exec(ctx, migrationUp(t, "00090_company_accounts_leave_portal.sql"))
	require.NoError(t, err)
	var roles []string
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT array_agg(v1 ORDER BY v1) FROM casbin_rules WHERE ptype = 'g'
		AND v0 = $1 AND removed_at IS NULL`, fmt.Sprintf("u:%d", legacy.User.ID)).Scan(&roles))
	assert.Equal(t, []string{string(policy.EnterpriseStaff)}, roles, "the legacy grant is now 岗位员工")
	var removed int
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT count(*) FROM casbin_rules WHERE ptype = 'g' AND v1 = 'enterprise_user'
		AND removed_by = 'migration:00090'`).Scan(&removed))
	assert.Equal(t, 1, removed, "the old grant is marked removed, not deleted")

	_, err = app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "lixia_staff", DisplayName: "历下监管",
		Password: enttest.Password, Role: policy.CountyStaff, Domain: "370102"}, identity.Actor{Name: "test"})
	require.NoError(t, err)
	regulator := enttest.Login(t, app.URL(), "lixia_staff", enttest.Password)
	id := openFireWarning(t, app.App, app.Now(), a, "370102")

	t.Run("every /portal and /m route refuses every company account", func(t *testing.T) {
		companies := map[string]*enttest.Client{"legacy 企业用户": enttest.Login(t, app.URL(), "legacy_user", enttest.Password)}
		for _, role := range enttest.Roles {
			companies[a.Describe(role)] = a.Clients[role]
		}
		pages := regulatorRoutes(app.App, []string{"/portal", "/m"}, platform.RegulatorUIOpenPaths, id, a.Code)
		for _, rt := range pages {
			method, filled := rt[0], rt[1]
			for who, c := range companies {
				req, err := http.NewRequest(method, app.URL()+filled, strings.NewReader(""))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r := c.Do(req)
				assert.Equal(t, http.StatusForbidden, r.Status, "%s %s as %s", method, filled, who)
				if method == http.MethodGet {
					assert.Contains(t, r.Body, "/e/warnings", "%s %s as %s: the refusal says where to go", method, filled, who)
				}
			}
		}
		t.Logf("%d /portal and /m routes, each refused to %d company accounts", len(pages), len(companies))
		assert.Greater(t, len(pages), 40, "the route table's /portal and /m routes were walked")
		// A JSON caller gets the bilingual error.
		req, _ := http.NewRequest(http.MethodGet, app.URL()+"/portal/warnings", nil)
		req.Header.Set("Accept", "application/json")
		r := a.Clients[policy.EnterpriseAdmin].Do(req)
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Contains(t, r.Body, "message_en")
		// The regulators keep their pages; the legacy account keeps the base system.
		assert.Equal(t, http.StatusOK, regulator.Get(fmt.Sprintf("/portal/warnings/%d", id)).Status)
		assert.Equal(t, http.StatusOK, companies["legacy 企业用户"].Get("/e/warnings").Status)
	})

	t.Run("every regulator /api/v1 route refuses every company session", func(t *testing.T) {
		companies := map[string]*enttest.Client{"legacy 企业用户": enttest.Login(t, app.URL(), "legacy_user", enttest.Password)}
		for _, role := range enttest.Roles {
			companies[a.Describe(role)] = a.Clients[role]
		}
		// The same session as a bearer token, from the API's own login.
		admin := a.Members[policy.EnterpriseAdmin].Username
		login := enttest.NewClient(t, app.URL())
		req, _ := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/auth/login",
			strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, admin, enttest.Password)))
		req.Header.Set("Content-Type", "application/json")
		r := login.Do(req)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		var session struct{ Token string }
		require.NoError(t, json.Unmarshal([]byte(r.Body), &session))
		bearer := "Bearer " + session.Token
		before := pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = 'deny' AND detail::text LIKE '%company_account%'`)
		apis := regulatorRoutes(app.App, []string{"/api/v1"}, platform.RegulatorAPIOpenPaths, id, a.Code)
		for _, rt := range apis {
			method, filled := rt[0], rt[1]
			for who, c := range companies {
				req, err := http.NewRequest(method, app.URL()+filled, strings.NewReader(`{"action":"acknowledge"}`))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", app.URL())
				r := c.Do(req)
				assert.Equal(t, http.StatusForbidden, r.Status, "%s %s as %s: %s", method, filled, who, r.Body)
				assert.Contains(t, r.Body, "regulators' API", "%s %s as %s: the bilingual refusal", method, filled, who)
			}
			req, err := http.NewRequest(method, app.URL()+filled, strings.NewReader(`{}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", bearer)
			r := login.Do(req)
			assert.Equal(t, http.StatusForbidden, r.Status, "%s %s with the company's bearer token: %s", method, filled, r.Body)
			assert.Contains(t, r.Body, "企业账号不能调用监管部门的接口")
		}
		t.Logf("%d /api/v1 routes, each refused to %d company sessions and a bearer token", len(apis), len(companies))
		assert.Greater(t, len(apis), 30, "the route table's /api/v1 routes were walked")
		after := pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = 'deny' AND detail::text LIKE '%company_account%'`)
		assert.EqualValues(t, len(apis)*(len(companies)+1), after-before, "every refusal is audited")

		var step string
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT step FROM warnings WHERE id = $1`, id).Scan(&step))
		assert.NotEqual(t, "acknowledged", step, "no company call through /api/v1 acted on the warning")
		// The regulator keeps the API; the company keeps its keyed exchange (openFireWarning used it).
		req, _ = http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/warnings/%d", app.URL(), id), nil)
		assert.Equal(t, http.StatusOK, regulator.Do(req).Status)
		status, _ := enttest.ExchangeGet(t, app.URL(), a.Key, "/api/v1/exchange/"+schemas.VideoAlarms.Slug)
		assert.Equal(t, http.StatusOK, status)
	})

	t.Run("the company lists its own warnings only", func(t *testing.T) {
		list := a.Clients[policy.EnterpriseSafety].Get("/e/warnings")
		require.Equal(t, http.StatusOK, list.Status, list.Body)
		assert.Contains(t, list.Body, fmt.Sprintf("/e/warnings/%d", id))
		assert.Contains(t, list.Body, "风险预警")
		other := b.Clients[policy.EnterpriseAdmin].Get("/e/warnings")
		require.Equal(t, http.StatusOK, other.Status)
		assert.NotContains(t, other.Body, fmt.Sprintf("/e/warnings/%d", id))
		assert.Contains(t, other.Body, `id="no-warnings"`)
		assert.Equal(t, http.StatusNotFound, b.Clients[policy.EnterpriseAdmin].Get(fmt.Sprintf("/e/warnings/%d", id)).Status)
		b.Clients[policy.EnterpriseAdmin].Get("/e/warnings")
		r := b.Clients[policy.EnterpriseAdmin].Post(fmt.Sprintf("/e/warnings/%d/act", id), url.Values{"action": {"acknowledge"}})
		assert.Equal(t, http.StatusNotFound, r.Status, "B cannot sign for A's warning")
		assert.Equal(t, http.StatusForbidden, a.Clients[policy.EnterpriseContractor].Get("/e/warnings").Status)
		phone := a.Clients[policy.EnterpriseStaff].Get("/e/m/warnings")
		require.Equal(t, http.StatusOK, phone.Status)
		assert.Contains(t, phone.Body, fmt.Sprintf("/e/m/warnings/%d", id))
	})

	t.Run("the managers sign for it and answer it; staff read it", func(t *testing.T) {
		path := fmt.Sprintf("/e/warnings/%d", id)
		staff := a.Clients[policy.EnterpriseStaff]
		page := staff.Get(path)
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, `id="act-none"`)
		assert.NotContains(t, page.Body, `id="act-form"`)
		assert.Equal(t, http.StatusForbidden, staff.Post(path+"/act", url.Values{"action": {"acknowledge"}}).Status)

		safety := a.Clients[policy.EnterpriseSafety]
		page = safety.Get(path)
		assert.Contains(t, page.Body, `<option value="acknowledge">签收</option>`)
		assert.Contains(t, page.Body, "等待本企业签收")
		// Out of order: 反馈 before 签收 is the engine's refusal, shown on the page.
		r := safety.Post(path+"/act", url.Values{"action": {"feedback"}, "note": {"已处置"}})
		assert.Equal(t, http.StatusConflict, r.Status, r.Body)
		assert.Contains(t, r.Body, "当前处置环节不允许该操作")
		// A regulator's action is not the company's to take.
		r = safety.Post(path+"/act", url.Values{"action": {"verify"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "处置操作")

		r = safety.Post(path+"/act", url.Values{"action": {"acknowledge"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		page = safety.Get(r.Location)
		assert.Contains(t, page.Body, "已提交")
		assert.Contains(t, page.Body, `<option value="feedback">处置反馈</option>`)
		// 反馈 needs what was done.
		r = safety.Post(path+"/act", url.Values{"action": {"feedback"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "处置反馈须填写处置情况")
		// From the phone, back to the phone page.
		a.Clients[policy.EnterprisePrincipal].Get(fmt.Sprintf("/e/m/warnings/%d", id))
		r = a.Clients[policy.EnterprisePrincipal].Post(path+"/act", url.Values{"action": {"feedback"}, "phone": {"1"},
			"note": {"已组织灭火并排查火源，现场恢复正常"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, fmt.Sprintf("/e/m/warnings/%d?done=feedback", id), r.Location)
		page = safety.Get(path)
		assert.Contains(t, page.Body, "等待监管部门核查")
		assert.NotContains(t, page.Body, `id="act-form"`)

		var step string
		require.NoError(t, app.Pool.QueryRow(ctx, `SELECT step FROM warnings WHERE id = $1`, id).Scan(&step))
		assert.Equal(t, "fed_back", step)
		object := fmt.Sprintf("warning:%d", id)
		assert.EqualValues(t, 3, pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = 'warning_action'
			AND object = $1 AND actor = $2`, object, a.Members[policy.EnterpriseSafety].Username),
			"the engine's refusals are audited with the accepted 签收, as the warnings API audits them")
		assert.EqualValues(t, 1, pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM audit_log WHERE action = 'warning_action'
			AND object = $1 AND actor = $2 AND result = 'ok'`, object, a.Members[policy.EnterprisePrincipal].Username))

		// The regulator reads who answered, and what, and may now verify.
		page = regulator.Get("/portal" + path[len("/e"):])
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "已组织灭火并排查火源")
		assert.Contains(t, page.Body, a.Members[policy.EnterprisePrincipal].DisplayName)
		assert.Contains(t, page.Body, `<option value="verify">`)
	})
}
