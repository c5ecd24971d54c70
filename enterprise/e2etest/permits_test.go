package e2etest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/browsertest"
)

// TestHotWorkPermitToRegulator is issue 16's must-show, in one Chromium run
// of e2e/hotwork.mjs on the real platform: a 一级动火 with a contractor is
// booked, reviewed, opened and approved through the chain with drawn
// signatures; on a phone-sized page the guardian confirms the measures, has
// the briefing signed and records the gas analysis; the start is refused once
// the analysis lapsed (the platform's clock is moved through a side server),
// a new analysis lets the work start, it finishes, is accepted and archived,
// and the company prints the permit PDF. Every step's 表1 record goes outbox
// → exchange API → Kafka → sink; then the province regulator (MFA), in a
// second browser context, finds the permit on the company's page (企业一张图)
// and in 数据浏览, opens its history and the steps of who did what, and
// downloads its PDF: the bytes are the company's print (SHA-256, checked in
// the script and again here). CHEMGUARD_SCREENSHOTS=1 writes
// docs/screenshots/permits-*.png and portal-permit*.png.
func TestHotWorkPermitToRegulator(t *testing.T) {
	tools := browsertest.Require(t)
	const code = "370102002"
	clk := testclock.New(t)
	// The working day of the flow starts at 07:30 Shanghai time on the clock's
	// day; sessions idle for 12 h because the clock jumps hours between steps.
	clk.Set(testclock.OnDay(clk.Now(), 7, 30))
	day := clk.Now().In(schemas.Shanghai).Format(schemas.DateLayout)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewDatabase(t), Now: clk.Now,
		Access:     auth.Config{Identity: identity.Config{IdleTimeout: 12 * time.Hour}},
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond}}})
	base := app.URL()
	co := enttest.Setup(t, app.App, code, county)
	ctx := context.Background()

	// A second 岗位员工 is the guardian (监护人 and applicant are two people).
	created, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: code + "_guardian", DisplayName: "周监护",
		Password: enttest.Password, Role: policy.EnterpriseStaff, Domain: tiers.EnterpriseDomain(code)}, identity.Actor{Name: "e2etest"})
	require.NoError(t, err)
	require.NoError(t, app.Members.SetMembership(ctx, code, created.User.ID, co.Department.ID, []int64{co.Post.ID}, clk.Now()))
	guardian := enttest.Login(t, base, code+"_guardian", enttest.Password)

	// 基础数据: the contractor and its welder with a valid certificate.
	safety := co.Clients[policy.EnterpriseSafety]
	require.Equal(t, http.StatusOK, safety.Get("/e/permits/base").Status)
	r := safety.Post("/e/permits/base/contractors", url.Values{"name": {"济南石化安装工程有限公司"}, "contact": {"刘洋"}, "mobile": {"13805310001"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	contractor := pgtest.Scalar[int64](t, app.Pool, `SELECT id FROM permit_contractors WHERE company = $1`, code)
	r = safety.Post("/e/permits/base/workers", url.Values{"contractor": {fmt.Sprint(contractor)}, "name": {"钱焊工"}, "mobile": {"13805310002"},
		"cert_no": {"T370102198001011234"}, "cert_kind": {"焊接与热切割作业"}, "cert_valid_to": {"2030-06-30"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	welder := pgtest.Scalar[int64](t, app.Pool, `SELECT id FROM permit_workers WHERE company = $1`, code)

	// The province regulator, logged in with the second factor.
	reg, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "prov_e2e", DisplayName: "省厅监管员",
		Password: regPass, Role: policy.ProvinceStaff, Domain: "370000"}, identity.Actor{Name: "e2etest"})
	require.NoError(t, err)
	regulator := portalLogin(t, base, clk, reg.TOTPSecret)

	// The side server: the script moves the platform's clock, and waits until
	// the archived permit's 表1 record (FILE = the PDF) reached the platform.
	side := http.NewServeMux()
	side.HandleFunc("/clock", func(w http.ResponseWriter, r *http.Request) {
		at, err := time.ParseInLocation("2006-01-02 15:04", r.URL.Query().Get("at"), schemas.Shanghai)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		clk.Set(at)
		w.WriteHeader(http.StatusNoContent)
	})
	side.HandleFunc("/synced", func(w http.ResponseWriter, r *http.Request) {
		path := "/portal/companies/" + code + "/permits/" + r.URL.Query().Get("id") + "/file"
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			if b, ok := tryFetch(base, identity.CookieName, regulator, path); ok {
				if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) == r.URL.Query().Get("sha") {
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		var staged, sent, failed, stored int
		_ = app.Pool.QueryRow(r.Context(), `SELECT count(*), count(sent_at), count(last_error),
			(SELECT count(*) FROM x_special_operations_history WHERE company_code = $1)
			FROM enterprise_outbox WHERE company = $1 AND slug = 'special-operations'`, code).Scan(&staged, &sent, &failed, &stored)
		errs := pgtest.Scalar[string](t, app.Pool, `SELECT coalesce(string_agg(DISTINCT last_error, ' | '), '') FROM enterprise_outbox WHERE company = $1`, code)
		b, _ := tryFetch(base, identity.CookieName, regulator, path)
		got := sha256.Sum256(b)
		http.Error(w, fmt.Sprintf("the archived permit's PDF did not reach the platform within 90 s: 表1 staged %d, sent %d, refused %d (%s), stored %d; "+
			"the company's print sha256:%s, the portal's file sha256:%x (%.120s)\n%s",
			staged, sent, failed, errs, stored, r.URL.Query().Get("sha"), got, b, permitTrail(r.Context(), app.Pool, code, r.URL.Query().Get("id"))), http.StatusGatewayTimeout)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: side, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	cookie := func(c *enttest.Client) map[string]string {
		u, err := url.Parse(base)
		require.NoError(t, err)
		for _, k := range c.HTTP.Jar.Cookies(u) {
			if k.Name == identity.CookieName {
				return map[string]string{"name": k.Name, "value": k.Value}
			}
		}
		t.Fatal("no session cookie")
		return nil
	}
	var out struct{ ID, SHA string }
	runNode(t, tools, map[string]any{"script": "e2e/hotwork.mjs", "baseURL": base, "chromium": tools.Chromium, "playwright": tools.Playwright,
		"screenshots": tools.Screenshots(t), "side": "http://" + ln.Addr().String(), "day": day, "company": code, "county": county,
		"applicant": sessionCookie(t, base, co, policy.EnterpriseStaff), "head": sessionCookie(t, base, co, policy.EnterpriseDeptHead),
		"safety": sessionCookie(t, base, co, policy.EnterpriseSafety), "guardian": cookie(guardian), "guardianID": created.User.ID,
		"guardianName": "周监护", "welder": welder, "regulator": map[string]string{"name": identity.CookieName, "value": regulator}}, &out)

	// The permit as the base system keeps it, and the same bytes on both sides.
	require.Equal(t, "archived", pgtest.Scalar[string](t, app.Pool, `SELECT status FROM permits WHERE id::text = $1`, out.ID))
	require.Equal(t, 2, pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM permit_gas_analyses WHERE permit_id::text = $1`, out.ID))
	company := fetch(t, base, identity.CookieName, sessionCookie(t, base, co, policy.EnterpriseSafety)["value"], "/e/permits/"+out.ID+"/permit.pdf")
	platformCopy := fetch(t, base, identity.CookieName, regulator, "/portal/companies/"+code+"/permits/"+out.ID+"/file")
	sum := sha256.Sum256(company)
	require.Equal(t, out.SHA, hex.EncodeToString(sum[:]), "the script saw the company's print")
	require.Equal(t, sum, sha256.Sum256(platformCopy), "the regulator's PDF is the company's print")
	last := pgtest.Scalar[string](t, app.Pool, `SELECT record->>'IS_CONTRACTOR_TASK' FROM enterprise_outbox WHERE company = $1 AND slug = 'special-operations' ORDER BY id DESC LIMIT 1`, code)
	require.Equal(t, "1", last)
}

// tryFetch GETs path with the session cookie: the body and whether it was 200.
func tryFetch(base, name, session, path string) ([]byte, bool) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return nil, false
	}
	req.AddCookie(&http.Cookie{Name: name, Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, err == nil && resp.StatusCode == http.StatusOK
}

// fetch GETs path with the session cookie and returns the body (200 only).
func fetch(t *testing.T, base, name, session, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: name, Value: session})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %.300s", path, b)
	return b
}

// permitTrail is what a failed wait for the archived permit's PDF needs to
// tell where the versions went: the permit as the base system keeps it (status,
// updated_at, the PDF it printed and for which state), its steps, every 表1
// record staged (with the SHA-256 of its FILE) and every version the platform
// stored (receipt version, time and file), the current one marked.
func permitTrail(ctx context.Context, pool *pgxpool.Pool, company, id string) string {
	var b strings.Builder
	dump := func(title, sql string, args ...any) {
		fmt.Fprintf(&b, "%s:\n", title)
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			fmt.Fprintf(&b, "  (%v)\n", err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				fmt.Fprintf(&b, "  (%v)\n", err)
				return
			}
			fmt.Fprintf(&b, "  %v\n", vals)
		}
	}
	dump("permit (status, updated_at, pdf_of, pdf_ref)", `SELECT status, updated_at, pdf_of, pdf_ref FROM permits WHERE id::text = $1`, id)
	dump("steps (id, kind, at)", `SELECT id, kind, at FROM permit_events WHERE permit_id::text = $1 ORDER BY id`, id)
	dump("staged (outbox id, staged_at, sent_at, FILE sha256)", `SELECT id, staged_at, sent_at,
		encode(sha256(decode(split_part(record->>'FILE', ',', 2), 'base64')), 'hex')
		FROM enterprise_outbox WHERE company = $1 AND slug = 'special-operations' AND record->>'ID' = $2 ORDER BY id`, company, id)
	dump("stored (version, received_at, FILE ref, current)", `SELECT h.version, h.received_at, h.doc->'FILE'->>'ref', h.msg_id = x.msg_id
		FROM x_special_operations_history h LEFT JOIN x_special_operations x ON x.company_code = h.company_code AND x.record_key = h.record_key
		WHERE h.company_code = $1 AND h.record_key = $2 ORDER BY h.received_at, h.version`, company, id)
	return b.String()
}
