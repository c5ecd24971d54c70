package csrf_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

func TestTokenIsBoundToItsSecret(t *testing.T) {
	a, b := csrf.Token("cgs_a"), csrf.Token("cgs_b")
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, csrf.Token("cgs_a"), "stable for one session")
	assert.True(t, csrf.Valid("cgs_a", a))
	assert.False(t, csrf.Valid("cgs_a", b))
	assert.False(t, csrf.Valid("", csrf.Token("")), "no secret, no token")
	assert.False(t, csrf.Valid("cgs_a", ""))
	assert.NotContains(t, a, "cgs_a", "the token does not reveal the cookie")
}

// status runs one request through check and returns the answer's status.
func status(t *testing.T, check fiber.Handler, req *http.Request) int {
	t.Helper()
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Post("/x", check, func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	return resp.StatusCode
}

func TestCheckAPI(t *testing.T) {
	const secret = "cgs_session"
	check := func(c *fiber.Ctx) error {
		if err := csrf.CheckAPI(c, secret); err != nil {
			return err
		}
		return c.Next()
	}
	for _, tc := range []struct {
		name, ct, body string
		headers        map[string]string
		want           int
	}{
		{"same origin JSON", "application/json", `{}`, map[string]string{"Origin": "http://chemguard.test"}, 204},
		{"JSON with charset", "application/json; charset=utf-8", `{}`, map[string]string{"Origin": "http://chemguard.test"}, 204},
		{"Sec-Fetch-Site same-origin", "application/json", `{}`, map[string]string{"Sec-Fetch-Site": "same-origin"}, 204},
		{"token, no Origin", "application/json", `{}`, map[string]string{csrf.HeaderName: csrf.Token(secret)}, 204},
		{"empty body, same origin", "", "", map[string]string{"Origin": "http://chemguard.test"}, 204},
		{"form", "application/x-www-form-urlencoded", "a=1", map[string]string{"Origin": "http://chemguard.test"}, 415},
		{"multipart", "multipart/form-data; boundary=x", "--x--", map[string]string{"Origin": "http://chemguard.test"}, 415},
		{"text/plain", "text/plain", `{}`, map[string]string{"Origin": "http://chemguard.test"}, 415},
		{"a body without a type", "", `{}`, map[string]string{"Origin": "http://chemguard.test"}, 415},
		{"other origin", "application/json", `{}`, map[string]string{"Origin": "http://evil.example"}, 403},
		{"other port", "application/json", `{}`, map[string]string{"Origin": "http://chemguard.test:8080"}, 403},
		{"null origin", "application/json", `{}`, map[string]string{"Origin": "null"}, 403},
		{"same-site", "application/json", `{}`, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"nothing", "application/json", `{}`, nil, 403},
		{"other origin with the token", "application/json", `{}`,
			map[string]string{"Origin": "http://evil.example", csrf.HeaderName: csrf.Token(secret)}, 403},
		{"wrong token", "application/json", `{}`, map[string]string{csrf.HeaderName: csrf.Token("cgs_other")}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://chemguard.test/x", strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			assert.Equal(t, tc.want, status(t, check, req))
		})
	}
}

func TestCheckForm(t *testing.T) {
	s := csrf.Secrets{SessionCookie: "chemguard_session"}
	check := func(c *fiber.Ctx) error {
		if err := s.CheckForm(c); err != nil {
			return err
		}
		return c.Next()
	}
	post := func(cookie, cookieValue string, form url.Values, origin string) int {
		req := httptest.NewRequest(http.MethodPost, "http://chemguard.test/x", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: cookie, Value: cookieValue})
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return status(t, check, req)
	}
	tok := csrf.Token("cgs_s")
	assert.Equal(t, 204, post("chemguard_session", "cgs_s", url.Values{csrf.FieldName: {tok}}, ""), "no Origin (compatibility mode), the token")
	assert.Equal(t, 204, post("chemguard_session", "cgs_s", url.Values{csrf.FieldName: {tok}}, "http://chemguard.test"))
	assert.Equal(t, 403, post("chemguard_session", "cgs_s", url.Values{}, ""), "no token")
	assert.Equal(t, 403, post("chemguard_session", "cgs_s", url.Values{csrf.FieldName: {tok}}, "http://evil.example"), "another site")
	assert.Equal(t, 403, post("chemguard_session", "cgs_other", url.Values{csrf.FieldName: {tok}}, ""), "another session's token")
	assert.Equal(t, 204, post(csrf.PreSessionCookie, "pre", url.Values{csrf.FieldName: {csrf.Token("pre")}}, ""), "the login form")
	assert.Equal(t, 403, post("", "", url.Values{csrf.FieldName: {csrf.Token("")}}, ""), "no cookie at all")
}
