package auth_test

import (
	"net/http"
	"testing"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/stretchr/testify/assert"
)

// TestAuditBadQueryParameters: the audit log's paging parameters are read strictly —
// "limit=abc" is a 400 naming the parameter, not the first 100 rows.
func TestAuditBadQueryParameters(t *testing.T) {
	e := newEnv(t)
	e.addUser("auditor", policy.AuditAdmin, "370000")
	tok := e.login("auditor")
	for _, bad := range []string{"?limit=abc", "?limit=0", "?after=x", "?after=-1"} {
		r := e.do(http.MethodGet, "/api/v1/audit"+bad, tok, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", bad, r.Raw)
		assert.Contains(t, string(r.Raw), `"code":"bad_parameter"`, bad)
	}
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/audit?limit=5", tok, nil).Status)
}
