package permits_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/permits"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
)

// app mounts the module as the foundation does, behind enttest's stand-in
// guard: the member is the one the request's enttest.MemberHeader names.
func (f *fixture) app(t *testing.T) *fiber.App {
	t.Helper()
	mod, err := permits.New(f.svc)
	require.NoError(t, err)
	members := map[string]*enterprise.Member{}
	for _, c := range []company{f.A, f.B} {
		for _, m := range []*enterprise.Member{c.Applicant, c.Guardian, c.Head, c.Safety, c.Principal} {
			members[m.Username] = m
		}
	}
	return enttest.Mount(mod, members)
}

func do(t *testing.T, app *fiber.App, m *enterprise.Member, method, path string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set(enttest.MemberHeader, m.Username)
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Company A's members get 404 on every route naming company B's bookings,
// permits and files, and B's permit is unchanged; every page renders for its
// own company.
func TestCompanyIsolation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := f.app(t)
	booking := f.book(t, f.B, true)
	id, err := f.svc.CreatePermit(ctx, f.B.Applicant, booking, f.permitInput(f.B, f.B.Welder))
	require.NoError(t, err)
	p, err := f.svc.Permit(ctx, f.B.Safety, id)
	require.NoError(t, err)

	gets := []string{
		fmt.Sprintf("/e/permits/bookings/%d", booking),
		"/e/permits/" + id, "/e/m/permits/" + id,
		"/e/permits/" + id + "/permit.pdf", "/e/permits/" + id + "/risk.pdf", "/e/m/permits/" + id + "/permit.pdf",
		"/e/permits/" + id + "/files/" + url.PathEscape(p.PDFRef),
	}
	for _, path := range gets {
		code, _ := do(t, app, f.A.Safety, http.MethodGet, path, nil)
		require.Equal(t, http.StatusNotFound, code, path)
	}
	posts := map[string]url.Values{
		fmt.Sprintf("/e/permits/bookings/%d/review", booking):        {"decision": {"approve"}},
		fmt.Sprintf("/e/permits/bookings/%d/permits", booking):       {"task_type": {"12"}, "major_person": {"x"}, "major_mobile": {"13805310001"}, "guardian": {fmt.Sprint(f.A.Guardian.UserID)}, "risks": {"x"}, "workers": {fmt.Sprint(f.A.Welder)}},
		fmt.Sprintf("/e/permits/base/workers/%d/delete", f.B.Welder): {},
	}
	for _, action := range []string{"approve", "gas", "measures", "briefing", "start", "interrupt", "resume", "guardian", "finish", "accept", "archive", "revoke", "void"} {
		for _, prefix := range []string{"/e", "/e/m"} {
			posts[prefix+"/permits/"+id+"/"+action] = url.Values{"reason": {"x"}, "index": {"0"}, "note": {"x"}, "worker": {fmt.Sprint(f.B.Welder)},
				"guardian": {fmt.Sprint(f.A.Guardian.UserID)}, "sampled_at": {"2026-12-05T07:29"}, "point": {"x"}, "gas": {"可燃气体"}, "value": {"0.1"},
				"signature": {"data:image/png;base64,iVBORw0KGgo="}}
		}
	}
	for path, form := range posts {
		code, _ := do(t, app, f.A.Safety, http.MethodPost, path, form)
		require.Contains(t, []int{http.StatusNotFound, http.StatusUnprocessableEntity}, code, path)
		if code == http.StatusUnprocessableEntity {
			// a refusal before the lookup (a bad signature) must not reveal B's permit either
			_, body := do(t, app, f.A.Safety, http.MethodPost, path, form)
			require.NotContains(t, body, p.Number, path)
		}
	}
	after, err := f.svc.Permit(ctx, f.B.Safety, id)
	require.NoError(t, err)
	require.Equal(t, permits.StatusApproving, after.Status)
	require.Empty(t, after.Approvals)
	require.Empty(t, after.Analyses)
	require.Len(t, after.Events, 1)

	for _, path := range []string{"/e/permits", "/e/permits/bookings/new", "/e/permits/stats", "/e/permits/base", "/e/m/permits",
		fmt.Sprintf("/e/permits/bookings/%d", booking), "/e/permits/" + id, "/e/m/permits/" + id} {
		code, body := do(t, app, f.B.Safety, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, code, path+"\n"+body)
	}
	code, _ := do(t, app, f.B.Safety, http.MethodGet, "/e/permits/stats.xlsx", nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = do(t, app, f.B.Applicant, http.MethodGet, "/e/permits/base", nil)
	require.Equal(t, http.StatusForbidden, code)
}

// Over HTTP a refused action re-renders the permit page with the bilingual
// reason: the 部门负责人 cannot sign the 安全管理员's step.
func TestRefusalShownOnPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := f.app(t)
	booking := f.book(t, f.A, true)
	id, err := f.svc.CreatePermit(ctx, f.A.Applicant, booking, f.permitInput(f.A, f.A.Welder))
	require.NoError(t, err)
	code, body := do(t, app, f.A.Guardian, http.MethodPost, "/e/m/permits/"+id+"/start", url.Values{})
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, body, "当前状态为“审批中”")
	require.Contains(t, body, "cannot start the work")
	code, body = do(t, app, f.A.Applicant, http.MethodPost, fmt.Sprintf("/e/permits/bookings/%d/permits", booking), url.Values{"task_type": {"12"},
		"major_person": {"刘洋"}, "major_mobile": {"13805310001"}, "guardian": {fmt.Sprint(f.A.Guardian.UserID)}, "risks": {"动火"}, "workers": {fmt.Sprint(f.A.Helper)}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, body, "吴过期")
	require.Contains(t, body, "expired")
}

// The permit's 记录 says who did each step: the person's name and account,
// the roles held when acting, and the date and time.
func TestPermitHistorySaysWho(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := f.app(t)
	booking := f.book(t, f.A, true)
	id, err := f.svc.CreatePermit(ctx, f.A.Applicant, booking, f.permitInput(f.A, f.A.Welder))
	require.NoError(t, err)
	code, body := do(t, app, f.A.Safety, http.MethodGet, "/e/permits/"+id, nil)
	require.Equal(t, http.StatusOK, code, body)
	i := strings.Index(body, `id="permit-events"`)
	require.Positive(t, i, body)
	events := body[i:]
	events = events[:strings.Index(events, "</table>")]
	row := events[strings.Index(events, "开票"):]
	row = row[:strings.Index(row, "</tr>")]
	assert.Contains(t, row, f.A.Applicant.DisplayName+"（"+f.A.Applicant.Username+"）")
	assert.Contains(t, row, "岗位员工")
	assert.Contains(t, events, f.clock.Now().In(schemas.Shanghai).Format("2006-01-02 15:04"))
	var user, roles string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT actor_username, actor_roles FROM permit_events WHERE permit_id = $1
		AND kind = 'created'`, id).Scan(&user, &roles))
	assert.Equal(t, f.A.Applicant.Username, user)
	assert.Equal(t, "enterprise_staff", roles, "the member's roles, each once")

	// The regulators' permit page reads the same steps through the read model,
	// for the permit's company only.
	steps, err := readmodel.NewCompanies(f.pool).PermitSteps(ctx, f.A.Code, id)
	require.NoError(t, err)
	require.NotEmpty(t, steps)
	assert.Equal(t, "开票", steps[0].KindZH())
	assert.Equal(t, f.A.Applicant.DisplayName, steps[0].Name)
	assert.Equal(t, f.A.Applicant.Username, steps[0].Username)
	assert.Equal(t, "岗位员工", steps[0].RolesZH())
	assert.True(t, steps[0].At.Equal(f.clock.Now()))
	other, err := readmodel.NewCompanies(f.pool).PermitSteps(ctx, f.B.Code, id)
	require.NoError(t, err)
	assert.Empty(t, other, "another company's permit id has no steps")
}
