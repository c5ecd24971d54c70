package enterprise_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// The foundation in a real browser (e2e/foundation.mjs): keyboard login, the
// administrator's organisation and accounts, an employee's first login and
// inbox. It uses the portal's playwright-core (portal/e2e/node_modules, which
// `make e2e-deps` installs) and Debian's Chromium; CHEMGUARD_SKIP_BROWSER=1
// skips it. CHEMGUARD_SCREENSHOTS=1 writes the docs' screenshots.
func TestFoundationInTheBrowser(t *testing.T) {
	tools := browsertest.Require(t)

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
	// A 明火 alarm from the company's own system raises a warning the company answers in /e.
	warning := openFireWarning(t, app.App, app.Now(), co, "370102")
	env := map[string]string{"baseURL": app.URL(), "chromium": tools.Chromium, "modules": tools.Modules,
		"admin": co.Members[policy.EnterpriseAdmin].Username, "password": enttest.Password, "notifyURL": notify.URL,
		"warning": fmt.Sprint(warning)}
	if shots := tools.Screenshots(t); shots != "" {
		env["shots"] = shots
	}
	tools.Run(t, 3*time.Minute, env, "e2e/foundation.mjs")
}
