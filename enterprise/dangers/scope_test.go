package dangers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/dangers"
)

// TestAnotherCompanysDangerOnEveryRoute: a member of A asking for B's danger
// on any route is answered as if it did not exist (404) — never shown, never
// changed — and B's dangers appear in none of A's lists, exports or figures.
func TestAnotherCompanysDangerOnEveryRoute(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("B 公司的秘密隐患")
	in.DepartmentID = f.dir.deps[companyB][0].ID
	in.LiableID, in.Deadline = f.m("bsafety").UserID, f.clock.Now().Add(-time.Hour)
	in.AcceptorID = 0
	bID, err := f.svc.Register(ctx, f.m("bsafety"), in, dangers.Step{Photos: nil}, "ledger")
	require.NoError(t, err)
	require.NoError(t, f.svc.Rectify(ctx, f.m("bsafety"), bID, dangers.Rectification{Done: "已整改"}, dangers.Step{}))
	before := len(f.outbox(bID))

	form := url.Values{"reason": {"x"}, "comment": {"x"}, "rectification": {"x"}, "liable": {itoa(f.m("fixer").UserID)},
		"deadline": {"2026-12-30"}, "name": {"x"}, "description": {"x"}, "hazard_code": {"1"}, "level": {"0"}, "type": {"1"},
		"source": {"1"}, "manage_type": {"1"}, "found_on": {"2026-12-01"}}
	routes := []struct{ method, path string }{
		{"GET", "/e/dangers/" + bID},
		{"GET", "/e/dangers/" + bID + "/edit"},
		{"POST", "/e/dangers/" + bID},
		{"POST", "/e/dangers/" + bID + "/assign"},
		{"POST", "/e/dangers/" + bID + "/rectify"},
		{"POST", "/e/dangers/" + bID + "/accept"},
		{"POST", "/e/dangers/" + bID + "/return"},
		{"POST", "/e/dangers/" + bID + "/delete"},
		{"GET", "/e/dangers/" + bID + "/photos/sha256:0000000000000000000000000000000000000000000000000000000000000000"},
		{"GET", "/e/m/dangers/" + bID},
		{"POST", "/e/m/dangers/" + bID + "/rectify"},
		{"POST", "/e/m/dangers/" + bID + "/accept"},
		{"POST", "/e/m/dangers/" + bID + "/return"},
		{"GET", "/e/m/dangers/" + bID + "/photos/sha256:0000000000000000000000000000000000000000000000000000000000000000"},
	}
	for _, member := range []string{"safety", "boss", "head", "fixer", "worker"} {
		for _, r := range routes {
			var fields url.Values
			if r.method == "POST" {
				fields = form
			}
			resp := f.request(member, r.method, r.path, fields)
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s %s as %s: %s", r.method, r.path, "", member, body)
			assert.NotContains(t, string(body), "B 公司的秘密隐患")
		}
	}
	assert.Len(t, f.outbox(bID), before, "nothing changed")
	d, err := f.svc.Get(ctx, companyB, bID)
	require.NoError(t, err)
	assert.Equal(t, dangers.Pending, d.State)

	for _, path := range []string{"/e/dangers", "/e/dangers?deleted=1", "/e/dangers/export.xlsx", "/e/dangers/stats",
		"/e/m/dangers", "/e/m/accept"} {
		resp := f.request("safety", "GET", path, nil)
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.NotContains(t, string(body), "B 公司的秘密隐患", path)
		assert.NotContains(t, string(body), bID, path)
	}
	// And B sees its own.
	resp := f.request("bsafety", "GET", "/e/dangers/"+bID, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// Without a member (outside the guard) nothing is served.
	resp = f.request("", "GET", "/e/dangers", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
