package web_test

import (
	"html/template"
	"io"
	"net/http/httptest"
	"net/url"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

func TestNewPager(t *testing.T) {
	q := url.Values{"q": {"370"}, "region": {""}}
	for _, tc := range []struct {
		name                 string
		number, total, pages int
		prev, next           string
	}{
		{"empty list", 1, 0, 0, "", ""},
		{"exactly one page", 1, 20, 1, "", ""},
		{"one row over", 1, 21, 2, "", "/p?page=2&q=370"},
		{"last page", 2, 21, 2, "/p?page=1&q=370", ""},
		{"middle", 3, 100, 5, "/p?page=2&q=370", "/p?page=4&q=370"},
		{"past the end", 9, 21, 2, "/p?page=8&q=370", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := web.NewPager("/p", q, tc.number, 20, tc.total)
			assert.Equal(t, web.Pager{Number: tc.number, Pages: tc.pages, Total: tc.total, PrevURL: tc.prev, NextURL: tc.next}, pg)
		})
	}
}

func TestPageNumber(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Get("/p", func(c *fiber.Ctx) error {
		n, err := web.PageNumber(c)
		if err != nil {
			return err
		}
		return c.JSON(n)
	})
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"", 200, "1"},
		{"?page=7", 200, "7"},
		{"?page=100000", 200, "100000"},
		{"?page=0", 400, ""},
		{"?page=-1", 400, ""},
		{"?page=100001", 400, ""},
		{"?page=abc", 400, ""},
		{"?page=1e3", 400, ""},
	} {
		resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/p"+tc.query, nil), -1)
		require.NoError(t, err)
		assert.Equal(t, tc.code, resp.StatusCode, tc.query)
		if tc.body != "" {
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.body, string(b), tc.query)
		}
	}
}

func TestTemplates(t *testing.T) {
	fsys := fstest.MapFS{
		"templates/layout.html": {Data: []byte(`<title>{{.Title}}</title>{{template "content" .}}`)},
		"templates/home.html":   {Data: []byte(`{{define "content"}}<p>{{when .At}}|{{whenp .Never}}|{{shout .Title}}</p>{{template "nav"}}{{end}}`)},
		"templates/plain.html":  {Data: []byte(`{{define "content"}}{{.Title}}{{end}}`)},
		"templates/nav.html":    {Data: []byte(`{{define "nav"}}<nav></nav>{{end}}`)},
		"templates/broken.html": {Data: []byte(`{{define "content"}}{{.Title}`)},
	}
	funcs := template.FuncMap{"shout": func(s string) string { return s + "!" }}
	with := func(name string) []string {
		if name == "home" {
			return []string{"templates/nav.html"}
		}
		return nil
	}
	_, err := web.ParseTemplates(fsys, funcs, []string{"home", "broken"}, with)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken", "the error names the page")

	pages, err := web.ParseTemplates(fsys, funcs, []string{"home", "plain"}, with)
	require.NoError(t, err)
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	at := time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	app.Get("/:page", func(c *fiber.Ctx) error {
		return pages.Render(c, c.Params("page"), map[string]any{"Title": "<首页>", "At": at, "Never": (*time.Time)(nil)})
	})
	get := func(path string) (int, string, string) {
		resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, path, nil), -1)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get(fiber.HeaderContentType), string(b)
	}
	status, ct, body := get("/home")
	assert.Equal(t, 200, status)
	assert.Equal(t, "text/html; charset=utf-8", ct)
	assert.Equal(t, "<title>&lt;首页&gt;</title><p>2026-12-05 09:02:03||&lt;首页&gt;!</p><nav></nav>", body,
		"escaped, times in Shanghai, the page's own funcs and extra files")
	status, _, _ = get("/nosuch")
	assert.Equal(t, 500, status)
}

func TestPageHeaders(t *testing.T) {
	refused := 0
	fail := func(c *fiber.Ctx, err error) error {
		refused++
		assert.Equal(t, chemguard.EForbidden, chemguard.ErrorCode(err))
		return c.SendStatus(web.HTTPStatus(err))
	}
	app := fiber.New()
	app.Use(web.PageHeaders("default-src 'self'", csrf.Secrets{SessionCookie: identity.CookieName}, fail))
	app.All("/", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })

	resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/", nil), -1)
	require.NoError(t, err)
	assert.Equal(t, fiber.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Header.Get(fiber.HeaderCacheControl))
	assert.Equal(t, "DENY", resp.Header.Get(fiber.HeaderXFrameOptions))
	assert.Equal(t, "nosniff", resp.Header.Get(fiber.HeaderXContentTypeOptions))
	assert.Equal(t, "default-src 'self'", resp.Header.Get(fiber.HeaderContentSecurityPolicy))

	req := httptest.NewRequest(fiber.MethodPost, "/", nil)
	req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationForm)
	resp, err = app.Test(req, -1)
	require.NoError(t, err)
	assert.Equal(t, fiber.StatusForbidden, resp.StatusCode, "a form post without its token")
	assert.Equal(t, 1, refused)
}

func TestDateRange(t *testing.T) {
	// 00:30 on 12-05 in Shanghai is still 12-04 in UTC: the days are Shanghai's.
	now := time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)
	app := fiber.New()
	app.Get("/r", func(c *fiber.Ctx) error {
		from, to, fs, ts := web.DateRange(c, now, 30)
		return c.SendString(from.Format(time.RFC3339) + " " + to.Format(time.RFC3339) + " " + fs + " " + ts)
	})
	for _, tc := range []struct{ query, want string }{
		{"", "2026-11-06T00:00:00+08:00 2026-12-06T00:00:00+08:00 2026-11-06 2026-12-05"},
		{"?from=2026-12-01&to=2026-12-03", "2026-12-01T00:00:00+08:00 2026-12-04T00:00:00+08:00 2026-12-01 2026-12-03"},
		{"?from=2026-12-03&to=2026-12-01", "2026-12-03T00:00:00+08:00 2026-12-04T00:00:00+08:00 2026-12-03 2026-12-03"},
		{"?from=abc&to=", "2026-11-06T00:00:00+08:00 2026-12-06T00:00:00+08:00 2026-11-06 2026-12-05"},
	} {
		resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/r"+tc.query, nil), -1)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, tc.want, string(b), tc.query)
	}
}
