package portal_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
)

// TestAPIDocsPage: 接口文档 renders the served OpenAPI description on the server —
// every exchange table's upload, the other areas' routes, the record fields — for a
// logged-in user, with no remote asset; a bad page= elsewhere is a 400.
func TestAPIDocsPage(t *testing.T) {
	e := start(t)
	e.user("lixia_staff", policy.CountyStaff, "370102")
	b := e.login("lixia_staff")
	p := b.Get("/portal/api")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "<h1>接口文档")
	assert.Contains(t, p.Body, `href="/api/v1/openapi.json"`)
	for _, tbl := range schemas.Tables() {
		assert.Contains(t, p.Body, "POST /api/v1/exchange/"+tbl.Slug, tbl.Slug)
	}
	for _, want := range []string{"GET /api/v1/warnings/{id}", "POST /api/v1/auth/login", "GET /api/v1/governance/scores",
		"MAJOR_PERSON_MOBILE", "BatchReply", "企业 API 密钥", "chemguard check"} {
		assert.Contains(t, p.Body, want)
	}
	assert.NotContains(t, p.Body, "https://", "no remote asset or link on the page")
	assert.Contains(t, p.Body, `aria-current="page">接口文档`)

	bad := b.Get("/portal/companies?page=abc")
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Contains(t, bad.Body, "page")
}
