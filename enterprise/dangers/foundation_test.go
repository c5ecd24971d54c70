package dangers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/rounds"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
)

// TestOnTheFoundation runs the ledger inside the platform as it is wired in
// production: members log in through /e/login, steps go through the guard and
// the form token, 表6 records through the foundation's outbox and the exchange
// pipeline, and the province reads them back through the exchange API.
func TestOnTheFoundation(t *testing.T) {
	ledger := dangers.NewLedger(dangers.DefaultConfig)
	run := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		BaseSystem: platform.BaseSystemConfig{Outbox: enterprise.OutboxConfig{Interval: 100 * time.Millisecond},
			Modules: []enterprise.ModuleFactory{ledger.Factory, rounds.Factory}}})
	app := run.App
	ctx := context.Background()
	a := enttest.Setup(t, app, "370102000101", "370102")
	b := enttest.Setup(t, app, "370102000102", "370102")
	staff, safety := a.Clients[policy.EnterpriseStaff], a.Clients[policy.EnterpriseSafety]
	fixer := a.Members[policy.EnterpriseDeptHead]

	// Registered on the phone, assigned, rectified, accepted — through the real guard.
	staff.Get("/e/m/dangers/new")
	rep := staff.Post("/e/m/dangers", url.Values{"hazard_code": {"370102100001"}, "name": {"法兰泄漏"},
		"description": {"液氨储罐区法兰泄漏"}, "place": {"液氨储罐区"}, "level": {"0"}, "type": {"7"}, "manage_type": {"1"}})
	require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
	id := strings.TrimSuffix(strings.TrimPrefix(rep.Location, "/e/m/dangers/"), "?saved=1")
	require.Len(t, id, 36, rep.Location)
	safety.Get("/e/dangers/" + id)
	rep = safety.Post("/e/dangers/"+id+"/assign", url.Values{"liable": {itoa(fixer.UserID)}, "deadline": {"2026-12-31"}})
	require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
	head := a.Clients[policy.EnterpriseDeptHead]
	head.Get("/e/m/dangers/" + id)
	rep = head.Post("/e/m/dangers/"+id+"/rectify", url.Values{"rectification": {"更换垫片"}})
	require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
	safety.Get("/e/dangers/" + id)
	rep = safety.Post("/e/dangers/"+id+"/accept", url.Values{"comment": {"复查合格"}})
	require.Equal(t, http.StatusSeeOther, rep.Status, rep.Body)
	inbox := head.Get("/e/m/inbox")
	assert.Contains(t, inbox.Body, "请整改隐患：法兰泄漏", "the rectifier was told")

	// The province reads the accepted record back through the exchange API.
	deadline := time.Now().Add(60 * time.Second)
	var got map[string]any
	for time.Now().Before(deadline) {
		status, body := enttest.ExchangeGet(t, app.URL(), a.Key, "/api/v1/exchange/hidden-dangers/"+id)
		if status == http.StatusOK && num(body["DANGER_STATE"]) == "9" {
			got = body
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.NotNil(t, got, "the accepted 表6 record reaches the platform")
	assert.Equal(t, a.Members[policy.EnterpriseSafety].DisplayName, got["CHECK_ACCEPT_PERSON"])
	assert.Equal(t, "复查合格", got["CHECK_ACCEPT_COMMENT"])

	// The foundation's Publisher refuses an accepted danger without
	// CHECK_ACCEPT_PERSON with the seed's rule, and stages nothing.
	d, err := ledger.Get(ctx, a.Code, id)
	require.NoError(t, err)
	d.AcceptorName = ""
	before := pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM enterprise_outbox`)
	tx, err := app.Pool.Begin(ctx)
	require.NoError(t, err)
	err = app.Outbox.Stage(ctx, tx, schemas.HiddenDangers.Slug, a.Code, dangers.Record(&d))
	require.NoError(t, tx.Rollback(ctx))
	require.Error(t, err)
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err))
	assert.Contains(t, err.Error(), "CHECK_ACCEPT_PERSON")
	assert.Equal(t, before, pgtest.Scalar[int64](t, app.Pool, `SELECT count(*) FROM enterprise_outbox`))

	// A finding of a check enters through the Ledger standing for the registry.
	tx, err = app.Pool.Begin(ctx)
	require.NoError(t, err)
	fid, err := ledger.RegisterFinding(ctx, tx, enterprise.Finding{Company: a.Code, HazardCode: "370102100001",
		Name: "安全阀铅封缺失", Description: "安全阀铅封缺失", Source: "1", Registrant: a.Members[policy.EnterpriseStaff]})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	// B's members reach nothing of A's ledger on any of its routes (the
	// foundation's own routes are its test's).
	var mine []string
	for _, r := range app.Routes() {
		_, path, _ := strings.Cut(r, " ")
		for _, p := range []string{"/e/dangers", "/e/m/dangers", "/e/m/accept", "/e/rounds", "/e/m/rounds"} {
			if strings.HasPrefix(path, p) {
				mine = append(mine, r)
				break
			}
		}
	}
	require.NotEmpty(t, mine)
	for _, role := range enttest.Roles {
		enttest.AssertIsolated(t, mine, b.Clients[role], map[string]string{"id": id, "ref": "sha256:00"},
			"法兰泄漏", "安全阀铅封缺失", fid)
	}
}
