package platform_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Oversized values cannot abuse the audit log: an 8 MB disposal note is refused
// where it is entered, a 5 MB username still leaves its failed login in the log
// (truncated), and nothing is stored verbatim. The application runs as the
// chemguard_app role.
func TestAuditLogAbuseBounded(t *testing.T) {
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewDatabase(t), DatabaseRole: store.AppRole, NoSink: true})
	ctx := t.Context()
	addUser(t, app.App, "lixia", tiers.CountyStaff, "370102")
	tok := login(t, app.URL(), "lixia")

	note := strings.Repeat("巡", 8<<20/3) // 8 MB of 3-byte characters
	r := act(t, app.URL(), tok, 1, map[string]string{"action": "verify", "note": note})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%.300s", r.Raw)

	huge := strings.Repeat("a", 5<<20)
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
