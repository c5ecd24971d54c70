package platform_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// Oversized values cannot abuse the audit log: an 8 MB disposal note is refused
// where it is entered, a 5 MB username still leaves its failed login in the log
// (truncated; the HTTP edge caps it below 1 MiB), and nothing is stored verbatim. The application runs as the
// chemguard_app role.
func TestAuditLogAbuseBounded(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), DatabaseRole: store.AppRole, NoSink: true})
	ctx := t.Context()
	addUser(t, app.App, "lixia", policy.CountyStaff, "370102")
	tok := login(t, app.URL(), "lixia")

	// An 8 MB note never reaches the handler: the HTTP edge refuses the body
	// (413, or the connection closed before the body was read).
	note := strings.Repeat("巡", 8<<20/3) // 8 MB of 3-byte characters
	body, _ := json.Marshal(map[string]string{"action": "verify", "note": note})
	big, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/warnings/1/actions", bytes.NewReader(body))
	require.NoError(t, err)
	big.Header.Set("Authorization", "Bearer "+tok)
	big.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(big); err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	}
	// One under the edge's cap reaches the handler, which refuses a note that long.
	note = strings.Repeat("巡", 300<<10/3) // 300 KB
	r := act(t, app.URL(), tok, 1, map[string]string{"action": "verify", "note": note})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%.300s", r.Raw)

	// The largest username the edge lets through still leaves its failed login
	// in the log, truncated (a 5 MB one is refused at the edge, before login).
	huge := strings.Repeat("a", 900<<10)
	b, _ := json.Marshal(map[string]string{"username": huge, "password": "whatever-Passw0rd"})
	req, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/auth/login", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	r = do(t, req)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "%.300s", r.Raw)

	var actor string
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT actor FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1`,
		audit.ActionLoginFailed).Scan(&actor), "the failed login with a 5 MB username is recorded")
	assert.Contains(t, actor, audit.TruncationMarker)
	assert.Less(t, len(actor), 1024)
	var longest int
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT coalesce(max(length(actor) + length(object) + length(detail)), 0) FROM audit_log`).Scan(&longest))
	assert.Less(t, longest, 16<<10, "a value was stored verbatim")
	v, err := app.Access.Audit.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
}

// A company key sending another company's records, and an unknown key, are
// refused and audited; the key itself is not recorded.
func TestRefusedExchangeRequestsAuditedEndToEnd(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true})
	key := addCompany(t, app.App, "370102001", "370102")
	addCompany(t, app.App, "370102002", "370102")
	other := simulate.Company{Code: "370102002", Name: "其他化工", County: "370102"}
	rec := simulate.NewRecord(rand.New(rand.NewPCG(1, 2)), schemas.EnterpriseInfos, other, app.now())
	r := post(t, app.URL(), key, schemas.EnterpriseInfos.Slug, []simulate.Record{rec})
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	r = post(t, app.URL(), "cgk_madeupkey0000000000", schemas.EnterpriseInfos.Slug, []simulate.Record{rec})
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Raw)

	rows, err := app.Pool.Query(t.Context(), `SELECT actor, detail FROM audit_log WHERE action = $1 ORDER BY seq`, audit.ActionExchangeRefused)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var actor, detail string
		require.NoError(t, rows.Scan(&actor, &detail))
		got = append(got, actor+" "+detail)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, 2)
	assert.Contains(t, got[0], "ent:370102001")
	assert.Contains(t, got[0], "forbidden")
	assert.Contains(t, got[1], "key:cgk_madeup")
	assert.NotContains(t, got[1], "cgk_madeupkey0000000000")
	assert.NotContains(t, strings.Join(got, " "), key)
}
