package inspect_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// The inspector app's forms carry the session's token: a post without it (or
// from another site) draws nothing and stores nothing, as the portal's; a
// record queued offline is sent with the current page's token (m.js), which
// the multipart form carries like any field.
func TestInspectorFormsNeedTheirToken(t *testing.T) {
	e := start(t)
	e.company("370102001", ourCounty, "历下甲化工有限公司")
	e.user("lx_inspector", policy.Inspector, ourCounty)
	p := e.login("lx_inspector")

	home := p.Get("/m/")
	require.Equal(t, http.StatusOK, home.Status)
	require.Contains(t, home.Body, `<meta name="csrf-token" content="`+csrf.Token(p.Cookie)+`">`)
	require.Regexp(t, regexp.MustCompile(`name="csrf_token" value="`+regexp.QuoteMeta(csrf.Token(p.Cookie))+`"`), home.Body)

	p.NoToken = true
	r := p.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {uuid.NewString()}})
	require.Equal(t, http.StatusForbidden, r.Status, "no token")
	require.Contains(t, r.Body, "表单已失效")
	r = p.submit(url.Values{"client_id": {uuid.NewString()}, "kind": {"patrol"}, "company": {"370102001"}})
	require.Equal(t, http.StatusForbidden, r.Status, "a multipart record without a token")
	require.True(t, strings.Contains(r.Body, "message_zh"), "the offline queue gets the JSON refusal")
	evil := url.Values{"kind": {"company"}, "client_id": {uuid.NewString()}, csrf.FieldName: {"forged"}}
	r = p.PostForm("/m/spot/draw", evil)
	require.Equal(t, http.StatusForbidden, r.Status, "a forged token")
	require.Equal(t, 0, e.Count(`SELECT count(*) FROM spot_checks`))
	require.Equal(t, 0, e.Count(`SELECT count(*) FROM inspections`))

	p.NoToken = false
	r = p.PostForm("/m/spot/draw", url.Values{"kind": {"company"}, "client_id": {uuid.NewString()}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, 1, e.Count(`SELECT count(*) FROM spot_checks`))
}
