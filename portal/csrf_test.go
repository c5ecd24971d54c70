package portal_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// apiCall sends body to the API with the browser's session cookie (no bearer
// token), with the given Content-Type and extra headers, as a page of another
// site would make the victim's browser do.
func apiCall(t *testing.T, b *browser, path, contentType, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.Base+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: b.Cookie})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// A page of another site that makes a logged-in browser post to the API with
// its cookie — a form creating a province_leader, a form closing a red
// warning — is refused: form-encoded, multipart and text bodies with 415, JSON
// from another origin (or proving no origin) with 403. Nothing is created or
// closed. The same calls from the portal's own pages (same Origin, or no
// Origin but Sec-Fetch-Site: same-origin, or the page's token) and with a
// bearer token still work.
func TestCrossSiteAPICallsWithTheCookieAreRefused(t *testing.T) {
	e := start(t)
	c := simulate.Company{Code: e.company("370102001", "370102", "历下甲化工有限公司", "生产"), County: "370102", Name: "历下甲化工有限公司"}
	warningID, _ := openWarning(t, e, c) // a real warning the engine can settle
	e.user("lixia_leader", policy.CountyLeader, "370102")
	sec := e.admin("sec1", policy.SecurityAdmin)
	leader := e.login("lixia_leader")

	newLeader := url.Values{"username": {"evil_leader"}, "password": {testPassword}, "role": {"province_leader"},
		"domain": {tiers.ProvinceCode}}
	// 误报 settles a warning at any step: the leader's cookie is enough to end it.
	closeForm := url.Values{"action": {"false_alarm"}, "reason": {"误报"}}
	closePath := "/api/v1/warnings/" + strconv.FormatInt(warningID, 10) + "/actions"
	evil := map[string]string{"Origin": "http://evil.example"}
	for _, tc := range []struct {
		name, path, ct, body string
		headers              map[string]string
		want                 int
		who                  *browser
	}{
		{"form creating a province_leader", "/api/v1/admin/users", "application/x-www-form-urlencoded", newLeader.Encode(), evil, 415, sec},
		{"form without Origin creating a province_leader", "/api/v1/admin/users", "application/x-www-form-urlencoded", newLeader.Encode(), nil, 415, sec},
		{"multipart creating a province_leader", "/api/v1/admin/users", "multipart/form-data; boundary=x",
			"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nevil_leader\r\n--x--\r\n", evil, 415, sec},
		{"text/plain carrying JSON", "/api/v1/admin/users", "text/plain",
			`{"username":"evil_leader","password":"` + testPassword + `","role":"province_leader","domain":"370000"}`, evil, 415, sec},
		{"JSON from another origin", "/api/v1/admin/users", "application/json",
			`{"username":"evil_leader","password":"` + testPassword + `","role":"province_leader","domain":"370000"}`, evil, 403, sec},
		{"JSON from a cross-site fetch without Origin", "/api/v1/admin/users", "application/json",
			`{"username":"evil_leader","password":"` + testPassword + `","role":"province_leader","domain":"370000"}`,
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, sec},
		{"form closing a warning", closePath, "application/x-www-form-urlencoded", closeForm.Encode(), evil, 415, leader},
		{"JSON closing a warning from another origin", closePath, "application/json", `{"action":"false_alarm","reason":"误报"}`, evil, 403, leader},
		{"JSON closing a warning with a wrong token", closePath, "application/json", `{"action":"false_alarm","reason":"误报"}`,
			map[string]string{csrf.HeaderName: "forged"}, 403, leader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiCall(t, tc.who, tc.path, tc.ct, tc.body, tc.headers)
			assert.Equal(t, tc.want, status, body)
			assert.Contains(t, body, "message_zh", "a bilingual refusal")
		})
	}
	var n int
	require.NoError(t, e.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE username = 'evil_leader'`).Scan(&n))
	assert.Zero(t, n, "no account was created")
	var status string
	require.NoError(t, e.App.Pool.QueryRow(context.Background(), `SELECT status FROM warnings WHERE id = $1`, warningID).Scan(&status))
	assert.Equal(t, "open", status, "the warning was not closed")
	assert.Positive(t, e.audited("deny", "POST /api/v1/admin/users", "denied"), "the refusals are audited")

	// The portal's own pages: same Origin, Sec-Fetch-Site: same-origin, or the token.
	newStaff := func(name string) string {
		return `{"username":"` + name + `","password":"` + testPassword + `","role":"county_staff","domain":"370102"}`
	}
	st, body := apiCall(t, sec, "/api/v1/admin/users", "application/json", newStaff("ok_one"), map[string]string{"Origin": e.App.URL()})
	assert.Equal(t, http.StatusCreated, st, body)
	st, body = apiCall(t, sec, "/api/v1/admin/users", "application/json", newStaff("ok_two"), map[string]string{"Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusCreated, st, body)
	st, body = apiCall(t, sec, "/api/v1/admin/users", "application/json", newStaff("ok_three"),
		map[string]string{csrf.HeaderName: csrf.Token(sec.Cookie)})
	assert.Equal(t, http.StatusCreated, st, body, "a compatibility-mode browser without Origin sends the page's token")
	// A bearer token is not a cookie: API clients are not affected.
	req, err := http.NewRequest(http.MethodGet, e.App.URL()+"/api/v1/auth/me", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+leader.Cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	st, body = apiCallBearer(t, e.App.URL()+closePath, leader.Cookie, `{"action":"false_alarm","reason":"误报"}`)
	assert.Equal(t, http.StatusOK, st, body, "the same action with a bearer token (an API client) works")
}

func apiCallBearer(t *testing.T, u, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

var tokenField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// Every portal form carries the session's token, and a post without it (a
// browser in compatibility mode sends no Origin, so the Origin check alone
// cannot tell) or with another session's token is refused; with the page's
// token it works. The login form is bound to the pre-session cookie its page
// set.
func TestPortalFormsNeedTheirToken(t *testing.T) {
	e := start(t)
	sec := e.admin("sec1", policy.SecurityAdmin)
	other := e.admin("sec2", policy.SecurityAdmin)

	pg := sec.Get("/portal/admin/users")
	require.Equal(t, http.StatusOK, pg.Status)
	m := tokenField.FindStringSubmatch(pg.Body)
	require.NotNil(t, m, "the page's forms carry the token")
	assert.Equal(t, csrf.Token(sec.Cookie), m[1])
	assert.Contains(t, pg.Body, `<meta name="csrf-token" content="`+m[1]+`">`)

	form := func(name string) url.Values {
		return url.Values{"username": {name}, "password": {testPassword}, "password2": {testPassword},
			"role": {"county_staff"}, "domain": {"370102"}}
	}
	sec.NoToken = true
	p := sec.PostForm("/portal/admin/users", form("no_token"))
	assert.Equal(t, http.StatusForbidden, p.Status, "no token")
	assert.Contains(t, p.Body, "表单已失效")
	f := form("wrong_token")
	f.Set(csrf.FieldName, csrf.Token(other.Cookie))
	p = sec.PostForm("/portal/admin/users", f)
	assert.Equal(t, http.StatusForbidden, p.Status, "another session's token")
	sec.NoToken = false
	p = sec.PostForm("/portal/admin/users", form("with_token"))
	assert.Less(t, p.Status, 400, p.Body)

	var n int
	require.NoError(t, e.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM users WHERE username IN ('no_token', 'wrong_token')`).Scan(&n))
	assert.Zero(t, n)
	require.NoError(t, e.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM users WHERE username = 'with_token'`).Scan(&n))
	assert.Equal(t, 1, n)

	// Login: the page sets the pre-session cookie and its form carries that token.
	anon := &browser{&platformtest.Session{TB: t, Base: e.App.URL(), Pre: "unused"}}
	req, err := http.NewRequest(http.MethodGet, e.App.URL()+"/portal/login", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pre string
	for _, c := range resp.Cookies() {
		if c.Name == csrf.PreSessionCookie {
			pre = c.Value
			assert.True(t, c.HttpOnly)
		}
	}
	require.NotEmpty(t, pre, "the login page sets the pre-session cookie")
	m = tokenField.FindStringSubmatch(string(raw))
	require.NotNil(t, m)
	assert.Equal(t, csrf.Token(pre), m[1])
	anon.NoToken = true
	p = anon.Do(http.MethodPost, "/portal/login", url.Values{"username": {"sec1"}, "password": {testPassword}})
	assert.Equal(t, http.StatusForbidden, p.Status, "a login form without its token (login CSRF)")
}
