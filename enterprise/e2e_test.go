package enterprise_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
)

// The foundation in a real browser (e2e/foundation.mjs): keyboard login, the
// administrator's organisation and accounts, an employee's first login and
// inbox. It uses the portal's playwright-core (portal/e2e/node_modules, which
// `make e2e-deps` installs) and Debian's Chromium; CHEMGUARD_SKIP_BROWSER=1
// skips it. CHEMGUARD_SCREENSHOTS=1 writes the docs' screenshots.
func TestFoundationInTheBrowser(t *testing.T) {
	if os.Getenv("CHEMGUARD_SKIP_BROWSER") == "1" {
		t.Skip("CHEMGUARD_SKIP_BROWSER=1: browser tests skipped on request")
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "the browser tests need Node.js on PATH (CHEMGUARD_SKIP_BROWSER=1 skips them)")
	chromium := os.Getenv("CHEMGUARD_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err = os.Stat(chromium)
	require.NoError(t, err, "the browser tests need Chromium (make e2e-deps)")
	modules, err := filepath.Abs("../portal/e2e/node_modules")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(modules, "playwright-core", "package.json"))
	require.NoError(t, err, "run make e2e-deps: portal/e2e/node_modules/playwright-core is missing")

	app := start(t)
	co := enttest.Setup(t, app.App, "370102001", "370102")
	ctx := context.Background()
	// The spec asks for the employee's notice once the account exists.
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id int64
		if err := app.Pool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'zhang_san'`).Scan(&id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := app.Inbox.Notify(ctx, co.Code, []int64{id}, enterprise.Notice{Kind: "task_due",
			Title: "今日排查任务：液氨储罐区", Body: "请于 17:00 前完成", Link: "/e/m/inbox", Key: "e2e"}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer notify.Close()
	env := map[string]string{"baseURL": app.URL(), "chromium": chromium, "modules": modules,
		"admin": co.Members[policy.EnterpriseAdmin].Username, "password": enttest.Password, "notifyURL": notify.URL}
	if os.Getenv("CHEMGUARD_SCREENSHOTS") == "1" {
		env["shots"], err = filepath.Abs("../docs/screenshots")
		require.NoError(t, err)
	}
	b, err := json.Marshal(env)
	require.NoError(t, err)
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "e2e/foundation.mjs")
	cmd.Env = append(os.Environ(), "CHEMGUARD_E2E_ENV="+string(b))
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/foundation.mjs:\n%s", out)
	require.NoError(t, err)
}
