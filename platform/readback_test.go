package platform_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// Listing pages through exactly the caller's records, in change order, resumable by
// cursor and filtered by updated_since; another company sees none of them.
func TestListPagination(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t)})
	a := simulate.Company{Code: "370502001", County: "370502"}
	b := simulate.Company{Code: "370503001", County: "370503"}
	keyA := addCompany(t, app.App, a.Code, a.County)
	keyB := addCompany(t, app.App, b.Code, b.County)
	r := newRand(4)
	var recs []simulate.Record
	for i := 0; i < 25; i++ {
		recs = append(recs, simulate.NewRecord(r, schemas.RiskUnits, a, app.now()))
	}
	require.Equal(t, 200, post(t, app.URL(), keyA, "risk-units", recs).Status)
	require.Equal(t, 200, post(t, app.URL(), keyB, "risk-units", []simulate.Record{simulate.NewRecord(r, schemas.RiskUnits, b, app.now())}).Status)
	eventually(t, 20*time.Second, "records stored", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_risk_units`) == 26
	})

	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		q := url.Values{"limit": {"10"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		rep := get(t, app.URL(), keyA, "/api/v1/exchange/risk-units?"+q.Encode())
		require.Equal(t, 200, rep.Status, string(rep.Raw))
		for _, rec := range rep.Body["records"].([]any) {
			id := rec.(map[string]any)["ID"].(string)
			require.False(t, seen[id], "record %s listed twice", id)
			seen[id] = true
		}
		next, _ := rep.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	assert.Len(t, seen, 25, "all of A's records, none of B's")

	// updated_at is stamped by the database's clock, not the platform's.
	future := time.Now().Add(time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	rep := get(t, app.URL(), keyA, "/api/v1/exchange/risk-units?updated_since="+url.QueryEscape(future))
	require.Equal(t, 200, rep.Status)
	assert.Empty(t, rep.Body["records"])
	assert.Equal(t, 400, get(t, app.URL(), keyA, "/api/v1/exchange/risk-units?cursor=!!").Status)
	assert.Equal(t, 400, get(t, app.URL(), keyA, "/api/v1/exchange/risk-units?updated_since=yesterday").Status)
	// B cannot read A's record by its ID.
	assert.Equal(t, 404, get(t, app.URL(), keyB, "/api/v1/exchange/risk-units/"+recs[0]["ID"].(string)).Status)
}

// Keys rotate without downtime and revoked keys stop authenticating.
func TestKeyRotationAndRevocation(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t)})
	ctx := context.Background()
	old := addCompany(t, app.App, "370602001", "370602")
	code, err := app.Enterprises.Authenticate(ctx, old)
	require.NoError(t, err)
	assert.Equal(t, "370602001", code)

	fresh, err := app.Enterprises.IssueKey(ctx, "370602001")
	require.NoError(t, err)
	_, err = app.Enterprises.Authenticate(ctx, old)
	require.NoError(t, err, "the old key works until revoked")
	n, err := app.Enterprises.RevokeKeys(ctx, "370602001", fresh)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	_, err = app.Enterprises.Authenticate(ctx, old)
	assert.Error(t, err, "revoked")
	_, err = app.Enterprises.Authenticate(ctx, fresh)
	assert.NoError(t, err)
	var stored int
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT count(*) FROM enterprise_keys WHERE key_hash = sha256(convert_to($1, 'UTF8')) AND revoked_at IS NOT NULL`, old).Scan(&stored))
	assert.Equal(t, 1, stored, "only the hash is stored, and revoked keys are kept, marked")
	var plain int
	require.NoError(t, app.Pool.QueryRow(ctx, `SELECT count(*) FROM enterprise_keys k WHERE position($1 in k::text) > 0`, old).Scan(&plain))
	assert.Zero(t, plain)
}
