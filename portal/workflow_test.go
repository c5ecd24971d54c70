package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// act sends one disposal action as the warning page's form does (JSON to the
// warnings API with the portal's session cookie, from the portal's origin).
func act(t *testing.T, b *browser, id int64, body map[string]string) (int, string) {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return apiCall(t, b, fmt.Sprintf("/api/v1/warnings/%d/actions", id), "application/json", string(raw),
		map[string]string{"Origin": b.base})
}

// A warning produced from simulated data (a 明火 video alarm) is signed off
// through the workflow by the company and the county, with the portal's forms'
// requests, and its page shows the timeline and then no more actions.
func TestWarningSignOffThroughThePortal(t *testing.T) {
	e := start(t)
	c := simulate.Company{Code: e.company("370102001", "370102", "历下甲化工有限公司", "生产"), County: "370102", Name: "历下甲化工有限公司"}
	e.user("ent_admin", tiers.EnterpriseAdmin, tiers.EnterpriseDomain(c.Code))
	e.user("lixia_staff", tiers.CountyStaff, "370102")
	e.user("lixia_leader", tiers.CountyLeader, "370102")
	rec := simulate.NewRecord(rand.New(rand.NewPCG(3, 4)), schemas.VideoAlarms, c, time.Now())
	rec["ALARM_TYPE"] = "1" // 明火
	require.Equal(t, 1, e.upload(c.Code, schemas.VideoAlarms, rec))

	var id int64
	deadline := time.Now().Add(30 * time.Second)
	for id == 0 {
		err := e.app.Pool.QueryRow(context.Background(), `SELECT id FROM warnings WHERE company_code = $1 AND status = 'open'
			ORDER BY id LIMIT 1`, c.Code).Scan(&id)
		if err != nil {
			require.True(t, time.Now().Before(deadline), "no warning from the 明火 alarm: %v", err)
			time.Sleep(100 * time.Millisecond)
		}
	}
	staff := e.login("lixia_staff")
	page := staff.get(fmt.Sprintf("/portal/warnings/%d", id))
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, `id="act-form"`)
	assert.Contains(t, page.Body, "明火")

	company := e.login("ent_admin")
	leader := e.login("lixia_leader")
	for _, step := range []struct {
		who  *browser
		body map[string]string
	}{
		{company, map[string]string{"action": "acknowledge"}},
		{company, map[string]string{"action": "feedback", "note": "已组织灭火并排查火源，现场恢复正常"}},
		{staff, map[string]string{"action": "verify", "note": "视频复核，现场已处置"}},
		{leader, map[string]string{"action": "close"}},
	} {
		status, body := act(t, step.who, id, step.body)
		require.Equal(t, http.StatusOK, status, "%s: %s", step.body["action"], body)
	}
	status, _ := act(t, staff, id, map[string]string{"action": "verify"})
	assert.Equal(t, http.StatusConflict, status, "the disposal has ended")

	page = staff.get(fmt.Sprintf("/portal/warnings/%d", id))
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, "已归档")
	assert.Contains(t, page.Body, "处置操作")
	assert.Contains(t, page.Body, "已组织灭火并排查火源")
	assert.NotContains(t, page.Body, `id="act-form"`)
}
