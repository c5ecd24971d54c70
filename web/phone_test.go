package web_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/web"
)

// The worker serves the app shell (scripts, styles, offline page) from its
// cache: its cache name follows their content, so a new script changes sw.js
// and phones that installed the app fetch it instead of keeping the old one.
func TestServiceWorkerNamesItsShellByContent(t *testing.T) {
	a := fstest.MapFS{"static/m.js": {Data: []byte("one")}, "templates/offline.html": {Data: []byte("x")}}
	b := fstest.MapFS{"static/m.js": {Data: []byte("two")}, "templates/offline.html": {Data: []byte("x")}}
	c := fstest.MapFS{"static/m.js": {Data: []byte("one")}, "templates/offline.html": {Data: []byte("y")}}
	require.Equal(t, web.ShellVersion(a), web.ShellVersion(a))
	require.NotEqual(t, web.ShellVersion(a), web.ShellVersion(b))
	require.NotEqual(t, web.ShellVersion(a), web.ShellVersion(c))
	require.NotEqual(t, web.ShellVersion(a), web.ShellVersion(), "the shared queue script is part of every shell")

	app := fiber.New()
	app.Get("/sw.js", web.ServiceWorker([]byte("var SHELL = 'x-shell-v1', PAGES = 'x-pages';"), "x-shell", a))
	app.Get("/outbox.js", web.Outbox)
	sw := script(t, app, "/sw.js")
	require.Equal(t, "var SHELL = 'x-shell-"+web.ShellVersion(a)+"', PAGES = 'x-pages';", sw)
	require.Contains(t, script(t, app, "/outbox.js"), "form[data-queue]")

	require.PanicsWithValue(t, "web: service worker does not name its shell cache 'y-shell-v1'", func() {
		web.ServiceWorker([]byte("var SHELL = 'x-shell-v1';"), "y-shell", a)
	})
}

func script(t *testing.T, app *fiber.App, path string) string {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest("GET", path, nil))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, path)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"), path)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript"), path)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
