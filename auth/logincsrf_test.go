package auth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
)

// Login CSRF: a page on another site posts an HTML form (form-encoded, no
// preflight) to the API's login with the attacker's own credentials, to log the
// victim's browser in to the attacker's account. The API's login takes JSON only,
// which a cross-site form cannot send: 415, and no session cookie is set.
func TestCrossSiteFormCannotLogABrowserIn(t *testing.T) {
	e := newEnv(t)
	e.addUser("lixia", policy.CountyStaff, "370102")
	form := url.Values{"username": {"lixia"}, "password": {testPassword}}.Encode()
	req := httptest.NewRequest(http.MethodPost, "http://chemguard.test/api/v1/auth/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	resp, err := e.app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "%s", raw)
	for _, c := range resp.Cookies() {
		assert.NotEqual(t, identity.CookieName, c.Name, "a session cookie was set by a cross-site form")
	}
	assert.Contains(t, string(raw), "JSON")

	r := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "lixia", "password": testPassword})
	assert.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
}
