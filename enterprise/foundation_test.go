package enterprise_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/validate"
)

// start runs the platform with the base system's outbox draining fast.
func start(t *testing.T) *platformtest.Running {
	t.Helper()
	return platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond}}})
}

// eventually is enttest.Eventually, under the name this package's tests use.
var eventually = enttest.Eventually

func TestFoundation(t *testing.T) {
	app := start(t)
	a := enttest.Setup(t, app.App, "370102001", "370102")
	b := enttest.Setup(t, app.App, "370203001", "370203")
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))

	t.Run("a staged record reaches the exchange read-back", func(t *testing.T) {
		rec := simulate.NewRecord(r, schemas.RiskUnits, simulate.Company{Code: a.Code, County: "370102"}, app.Now())
		tx, err := app.Pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, app.Outbox.Stage(ctx, tx, "risk-units", a.Code, rec))
		require.NoError(t, tx.Commit(ctx))
		id := rec["ID"].(string)
		eventually(t, 30*time.Second, "the record read back", func() bool {
			status, _ := enttest.ExchangeGet(t, app.URL(), a.Key, "/api/v1/exchange/risk-units/"+id)
			return status == http.StatusOK
		})
		_, body := enttest.ExchangeGet(t, app.URL(), a.Key, "/api/v1/exchange/risk-units/"+id)
		assert.Equal(t, rec["RISK_UNIT_NAME"], body["RISK_UNIT_NAME"], "%v", body)
		// B cannot read it.
		status, _ := enttest.ExchangeGet(t, app.URL(), b.Key, "/api/v1/exchange/risk-units/"+id)
		assert.Equal(t, http.StatusNotFound, status)
		st, err := app.Outbox.Status(ctx, a.Code)
		require.NoError(t, err)
		require.Len(t, st, 1)
		assert.Equal(t, 1, st[0].Sent)
		assert.Zero(t, st[0].Pending)
	})

	t.Run("an invalid record is refused with the seed's rule and nothing is staged", func(t *testing.T) {
		good := simulate.NewRecord(r, schemas.RiskUnits, simulate.Company{Code: a.Code, County: "370102"}, app.Now())
		bad := simulate.NewRecord(r, schemas.RiskUnits, simulate.Company{Code: a.Code, County: "370102"}, app.Now())
		delete(bad, "RISK_UNIT_NAME")
		before := pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM enterprise_outbox`)
		tx, err := app.Pool.Begin(ctx)
		require.NoError(t, err)
		err = app.Outbox.Stage(ctx, tx, "risk-units", a.Code, good, bad)
		require.NoError(t, tx.Rollback(ctx))
		var ae *chemguard.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, chemguard.EInvalid, ae.Code)
		details := ae.Details.([]validate.FieldError)
		require.Len(t, details, 1)
		assert.Equal(t, 1, details[0].Index)
		assert.Equal(t, "RISK_UNIT_NAME", details[0].Field)
		assert.Equal(t, validate.RuleRequired, details[0].Rule)
		assert.Contains(t, ae.MessageZH, "RISK_UNIT_NAME")
		assert.Equal(t, before, pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM enterprise_outbox`))
	})

	t.Run("the own system makes the base system read-only", func(t *testing.T) {
		admin := a.Clients[policy.EnterpriseAdmin]
		admin.Get("/e/exchange")
		rep := admin.Post("/e/exchange/system", url.Values{"system": {"own"}, "reason": {"上线自有双重预防系统"}})
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
		page := admin.Get("/e/exchange")
		assert.Contains(t, page.Body, "上报方式：企业自有系统")
		assert.Contains(t, page.Body, "上线自有双重预防系统")
		tx, err := app.Pool.Begin(ctx)
		require.NoError(t, err)
		err = app.Outbox.Stage(ctx, tx, "risk-units", a.Code,
			simulate.NewRecord(r, schemas.RiskUnits, simulate.Company{Code: a.Code, County: "370102"}, app.Now()))
		require.NoError(t, tx.Rollback(ctx))
		assert.ErrorIs(t, err, enterprise.ErrOwnSystem)
		// Only the administrator switches.
		safety := a.Clients[policy.EnterpriseSafety]
		safety.Get("/e/exchange")
		assert.Equal(t, http.StatusForbidden, safety.Post("/e/exchange/system", url.Values{"system": {"base"}, "reason": {"x"}}).Status)
		rep = admin.Post("/e/exchange/system", url.Values{"system": {"base"}, "reason": {"自有系统停用"}})
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
	})

	t.Run("the guard keeps regulators out of /e and members out of the regulators' pages", func(t *testing.T) {
		anon := enttest.NewClient(t, app.URL())
		rep := anon.Get("/e/")
		assert.Equal(t, http.StatusSeeOther, rep.Status)
		assert.True(t, strings.HasPrefix(rep.Location, "/e/login"), rep.Location)

		_, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "lixia_staff", DisplayName: "历下监管",
			Password: enttest.Password, Role: policy.CountyStaff, Domain: "370102"}, identity.Actor{Name: "test"})
		require.NoError(t, err)
		reg := enttest.Login(t, app.URL(), "lixia_staff", enttest.Password)
		for _, p := range []string{"/e/", "/e/m/", "/e/inbox", "/e/admin/accounts"} {
			assert.Equal(t, http.StatusForbidden, reg.Get(p).Status, p)
		}
		audited := pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM audit_log WHERE actor = 'lixia_staff' AND action = 'deny'`)
		assert.Positive(t, audited, "a regulator's attempt at /e is audited")

		for _, role := range []policy.Role{policy.EnterpriseStaff, policy.EnterpriseSafety, policy.EnterprisePrincipal,
			policy.EnterpriseDeptHead, policy.EnterpriseContractor} {
			c := a.Clients[role]
			for _, p := range []string{"/portal/", "/portal/warnings", "/m/", "/m/records"} {
				assert.Equal(t, http.StatusForbidden, c.Get(p).Status, "%s at %s", role, p)
			}
			for _, p := range []string{"/api/v1/warnings", "/api/v1/enterprises", "/api/v1/governance/scores"} {
				assert.Equal(t, http.StatusForbidden, c.Get(p).Status, "%s at %s", role, p)
			}
			assert.Equal(t, http.StatusOK, c.Get("/e/").Status, role)
		}
		// Only the administrator manages accounts; only managers see 数据上报.
		assert.Equal(t, http.StatusForbidden, a.Clients[policy.EnterpriseStaff].Get("/e/admin/accounts").Status)
		assert.Equal(t, http.StatusForbidden, a.Clients[policy.EnterpriseStaff].Get("/e/exchange").Status)
		assert.Equal(t, http.StatusOK, a.Clients[policy.EnterpriseSafety].Get("/e/exchange").Status)
		home := a.Clients[policy.EnterpriseStaff].Get("/e/")
		assert.NotContains(t, home.Body, "/e/admin/accounts", "the staff's navigation has no administration")
		assert.Contains(t, a.Clients[policy.EnterpriseAdmin].Get("/e/").Body, "/e/admin/accounts")
	})

	t.Run("the administrator creates an employee who must change the password first", func(t *testing.T) {
		admin := a.Clients[policy.EnterpriseAdmin]
		admin.Get("/e/admin/departments")
		rep := admin.Post("/e/admin/departments", url.Values{"name": {"储运部"}})
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
		deps, err := app.Members.Departments(ctx, a.Code)
		require.NoError(t, err)
		var store int64
		for _, d := range deps {
			if d.Name == "储运部" {
				store = d.ID
			}
		}
		require.NotZero(t, store)
		admin.Get("/e/admin/departments")
		rep = admin.Post("/e/admin/posts", url.Values{"name": {"装卸工"}, "department": {strconv.FormatInt(store, 10)}})
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
		// The same department again is refused on the page, naming it.
		admin.Get("/e/admin/departments")
		rep = admin.Post("/e/admin/departments", url.Values{"name": {"储运部"}})
		assert.Equal(t, http.StatusConflict, rep.Status)
		assert.Contains(t, rep.Body, "部门「储运部」已存在")
		posts, err := app.Members.Posts(ctx, a.Code)
		require.NoError(t, err)
		var post int64
		for _, p := range posts {
			if p.Name == "装卸工" {
				post = p.ID
			}
		}
		require.NotZero(t, post)
		admin.Get("/e/admin/accounts")
		form := url.Values{"username": {"zhang_san"}, "display_name": {"张三"}, "password": {"Chushi#Mima2026x"},
			"role": {string(policy.EnterpriseStaff)}, "department": {strconv.FormatInt(store, 10)},
			"posts": {strconv.FormatInt(post, 10)}, "mobile": {"13800138000"}}
		// A weak password is refused on the form and nothing is created.
		weak := url.Values{}
		for k, v := range form {
			weak[k] = v
		}
		weak.Set("password", "123456")
		rep = admin.Post("/e/admin/accounts", weak)
		assert.Equal(t, http.StatusUnprocessableEntity, rep.Status)
		assert.Contains(t, rep.Body, `class="error"`)
		rep = admin.Post("/e/admin/accounts", form)
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
		people, err := app.Members.PeopleOfPost(ctx, a.Code, post)
		require.NoError(t, err)
		require.Len(t, people, 1)
		assert.Equal(t, "张三", people[0].DisplayName)
		assert.Equal(t, "13800138000", people[0].Mobile, "the mobile is opened from its sealed form")
		assert.Equal(t, []policy.Role{policy.EnterpriseStaff}, people[0].Roles)

		emp := enttest.Login(t, app.URL(), "zhang_san", "Chushi#Mima2026x")
		rep = emp.Get("/e/")
		assert.Equal(t, http.StatusSeeOther, rep.Status)
		assert.Equal(t, "/e/account", rep.Location, "a first login goes to the password change")
		page := emp.Get("/e/account")
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "请先修改密码")
		rep = emp.Post("/e/account/password", url.Values{"current": {"Chushi#Mima2026x"}, "new": {"Zhang#San2026abc"}, "confirm": {"Zhang#San2026abc"}})
		require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
		home := emp.Get("/e/")
		require.Equal(t, http.StatusOK, home.Status)
		assert.Contains(t, home.Body, "储运部")
		assert.Contains(t, home.Body, "装卸工")
	})

	t.Run("notices land in the inbox once per key, never in another company's", func(t *testing.T) {
		staff := a.Members[policy.EnterpriseStaff]
		n := enterprise.Notice{Kind: "task_due", Title: "今日排查任务：液氨储罐区", Body: "请于 17:00 前完成", Link: "/e/inbox", Key: "task:1"}
		require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID, b.Members[policy.EnterpriseStaff].UserID}, n))
		require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID}, n))
		unread, err := app.Inbox.Unread(ctx, a.Code, staff.UserID)
		require.NoError(t, err)
		assert.Equal(t, 1, unread)
		bUnread, err := app.Inbox.Unread(ctx, b.Code, b.Members[policy.EnterpriseStaff].UserID)
		require.NoError(t, err)
		assert.Zero(t, bUnread, "a notice never crosses companies")
		// Urgent without a gateway: kept in the inbox, marked undelivered.
		require.NoError(t, app.Inbox.Notify(ctx, a.Code, []int64{staff.UserID}, enterprise.Notice{Kind: "danger_overdue",
			Title: "重大隐患超期未整改", Urgent: true}))
		c := a.Clients[policy.EnterpriseStaff]
		page := c.Get("/e/inbox")
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "今日排查任务：液氨储罐区")
		assert.Contains(t, page.Body, "未送达")
		assert.Contains(t, page.Body, `class="badge"`)
		phone := c.Get("/e/m/inbox")
		require.Equal(t, http.StatusOK, phone.Status)
		assert.Contains(t, phone.Body, "重大隐患超期未整改")
		rep := c.Post("/e/inbox/read", url.Values{"id": {"0"}})
		require.Equal(t, http.StatusSeeOther, rep.Status)
		unread, err = app.Inbox.Unread(ctx, a.Code, staff.UserID)
		require.NoError(t, err)
		assert.Zero(t, unread)
	})

	t.Run("a replayed submission is recorded once", func(t *testing.T) {
		admin := a.Clients[policy.EnterpriseAdmin]
		admin.Get("/e/admin/departments")
		id := uuid.NewString()
		form := url.Values{"name": {"仪表车间"}, "client_id": {id}}
		first := admin.Post("/e/admin/departments", form)
		require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
		again := admin.Post("/e/admin/departments", form)
		assert.Equal(t, http.StatusSeeOther, again.Status, "the replay gets the first answer, not 部门已存在: %s", again.Body)
		assert.Equal(t, first.Location, again.Location)
		assert.Equal(t, int64(1), pgtest.Scalar[int64](t, app.Pool,
			`SELECT count(*) FROM enterprise_departments WHERE company = $1 AND name = '仪表车间'`, a.Code))
		// The offline queue asks for JSON.
		req, err := http.NewRequest(http.MethodPost, app.URL()+"/e/admin/departments",
			strings.NewReader(url.Values{"name": {"仪表车间"}, "client_id": {id}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		admin.Get("/e/")
		req.Header.Set("X-CSRF-Token", csrfOf(t, admin))
		rep := admin.Do(req)
		require.Equal(t, http.StatusOK, rep.Status, rep.Body)
		assert.Contains(t, rep.Body, `"duplicate":true`)

		// A replay while the first is still being processed is to be sent
		// again later (Retry-After, which the phone's queue waits on); the id
		// of another submission is a conflict no replay mends.
		busy := uuid.NewString()
		_, err = app.Pool.Exec(ctx, `INSERT INTO enterprise_client_requests (user_id, client_id, method, path, created_at)
			VALUES ($1, $2, 'POST', '/e/admin/departments', $3)`, a.Members[policy.EnterpriseAdmin].UserID, busy, app.Now())
		require.NoError(t, err)
		rep = admin.Post("/e/admin/departments", url.Values{"name": {"在途车间"}, "client_id": {busy}})
		assert.Equal(t, http.StatusConflict, rep.Status, rep.Body)
		assert.Contains(t, rep.Body, "该记录正在提交")
		assert.Equal(t, "120", rep.Header.Get("Retry-After"))
		rep = admin.Post("/e/admin/posts", url.Values{"name": {"仪表工"}, "client_id": {id}})
		assert.Equal(t, http.StatusConflict, rep.Status, rep.Body)
		assert.Contains(t, rep.Body, "提交编号已用于另一项提交")
		assert.Empty(t, rep.Header.Get("Retry-After"))
	})

	t.Run("the registrar issues the company's first administrator, once, with a one-time password", func(t *testing.T) {
		require.NoError(t, app.Enterprises.Add(ctx, store.Enterprise{Code: "370102002", Name: "新登记化工有限公司", DivisionCode: "370102"}))
		created, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "sysadmin", DisplayName: "系统管理员",
			Password: enttest.Password, Role: policy.SystemAdmin, Domain: "370000"}, identity.Actor{Name: "test"})
		require.NoError(t, err)
		code, err := identity.TOTPCode(created.TOTPSecret, app.Now())
		require.NoError(t, err)
		se, err := app.Access.Identity.Login(ctx, "sysadmin", enttest.Password, code, "127.0.0.1")
		require.NoError(t, err)
		issue := func(username string) (int, map[string]any) {
			body := strings.NewReader(`{"username":"` + username + `","display_name":"王经理"}`)
			req, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/admin/enterprises/370102002/admin", body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+se.Token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var out map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			return resp.StatusCode, out
		}
		status, out := issue("xindengji_admin")
		require.Equal(t, http.StatusCreated, status, "%v", out)
		password := out["password"].(string)
		assert.NoError(t, identity.CheckPassword(password))
		admins, err := app.Members.PeopleWithRole(ctx, "370102002", policy.EnterpriseAdmin)
		require.NoError(t, err)
		require.Len(t, admins, 1, "the issued administrator is a member of the company")
		assert.Equal(t, "xindengji_admin", admins[0].Username)
		// A second first administrator is refused while this one is active.
		status, out = issue("xindengji_admin2")
		assert.Equal(t, http.StatusConflict, status, "%v", out)
		assert.Equal(t, int64(2), pgtest.Scalar[int64](t, app.Pool,
			`SELECT count(*) FROM audit_log WHERE action = 'enterprise.admin_issue' AND actor = 'sysadmin'`), "both attempts are audited")
		// The administrator logs in to /e and must change the password first.
		c := enttest.Login(t, app.URL(), "xindengji_admin", password)
		rep := c.Get("/e/admin/accounts")
		assert.Equal(t, http.StatusSeeOther, rep.Status)
		assert.Equal(t, "/e/account", rep.Location)
		// A company member cannot issue one.
		staffSession, err := app.Access.Identity.Login(ctx, a.Members[policy.EnterpriseStaff].Username, enttest.Password, "", "127.0.0.1")
		require.NoError(t, err)
		se = staffSession
		status, _ = issue("intruder")
		assert.Equal(t, http.StatusForbidden, status)
	})

	t.Run("a member of A reaches nothing of B on any /e route", func(t *testing.T) {
		others := map[string]string{"id": strconv.FormatInt(b.Members[policy.EnterpriseStaff].UserID, 10)}
		markers := []string{b.Code, b.Name, b.Members[policy.EnterpriseStaff].DisplayName}
		for _, role := range enttest.Roles {
			enttest.AssertIsolated(t, app.Routes(), a.Clients[role], others, markers...)
		}
		// The department and post ids of B, on the routes that take them.
		admin := a.Clients[policy.EnterpriseAdmin]
		for _, p := range []string{"/e/admin/departments/" + strconv.FormatInt(b.Department.ID, 10),
			"/e/admin/departments/" + strconv.FormatInt(b.Department.ID, 10) + "/delete",
			"/e/admin/posts/" + strconv.FormatInt(b.Post.ID, 10) + "/delete"} {
			admin.Get("/e/")
			rep := admin.Post(p, url.Values{"name": {"改名"}})
			assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, rep.Status, "%s: %d %s", p, rep.Status, rep.Body)
		}
		deps, err := app.Members.Departments(ctx, b.Code)
		require.NoError(t, err)
		require.Len(t, deps, 1)
		assert.Equal(t, "生产部", deps[0].Name, "B's department is untouched")
	})
}

func csrfOf(t *testing.T, c *enttest.Client) string {
	t.Helper()
	rep := c.Get("/e/")
	i := strings.Index(rep.Body, `name="csrf-token" content="`)
	require.GreaterOrEqual(t, i, 0)
	rest := rep.Body[i+len(`name="csrf-token" content="`):]
	return rest[:strings.Index(rest, `"`)]
}
