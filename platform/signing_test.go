package platform_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// With CHEMGUARD_REQUIRE_SIGNING every request a company makes with its API key
// must be signed: the exchange and its 整改通知 (signing and answering are writes in
// the company's name), not the regulators' /enterprises routes.
func TestRequiredSigningCoversEnterpriseNotices(t *testing.T) {
	t.Parallel()
	// The application runs as the chemguard_app role here, as `make run` does.
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), DatabaseRole: store.AppRole, NoSink: true,
		Access: auth.Config{RequireSigning: true}})
	require.NoError(t, app.Enterprises.Add(t.Context(), store.Enterprise{Code: "370102001", Name: "测试化工有限公司", DivisionCode: "370102"}))
	cred, err := app.Enterprises.IssueCredentials(t.Context(), "370102001")
	require.NoError(t, err)
	key := cred.Key
	for _, path := range []string{"/api/v1/exchange/hidden-dangers", "/api/v1/enterprise/notices"} {
		r := get(t, app.URL(), key, path)
		assert.Equal(t, http.StatusUnauthorized, r.Status, "%s unsigned: %s", path, r.Raw)

		req, err := http.NewRequest(http.MethodGet, app.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts, nonce := app.now().Unix(), fmt.Sprintf("nonce-%d-%s", time.Now().UnixNano(), path)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set(signing.HeaderTimestamp, fmt.Sprint(ts))
		req.Header.Set(signing.HeaderNonce, nonce)
		req.Header.Set(signing.HeaderSignature, signing.Sign(cred.SigningSecret, http.MethodGet, path, ts, nonce, nil))
		r = do(t, req)
		assert.Equal(t, http.StatusOK, r.Status, "%s signed: %s", path, r.Raw)
	}
	// A regulator's session is not a company key: /enterprises needs no signature.
	addUser(t, app.App, "lixia", policy.CountyStaff, "370102")
	assert.Equal(t, http.StatusOK, get(t, app.URL(), login(t, app.URL(), "lixia"), "/api/v1/enterprises").Status)
}

// The simulator signs every upload with the companies' signing secrets, so the
// demo feed works where signing is mandatory.
func TestSimulatorSignsItsUploads(t *testing.T) {
	// Not parallel: every upload still in flight when its 4-second window closes
	// counts as failed, and other tests running at the same time slow them (it
	// failed so under a load average of 30).
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true,
		Access: auth.Config{RequireSigning: true}})
	companies := simulate.Companies(2, 7)
	keys, secrets := make([]string, len(companies)), make([]string, len(companies))
	for i, c := range companies {
		require.NoError(t, app.Enterprises.Add(t.Context(), store.Enterprise{Code: c.Code, Name: c.Name, DivisionCode: c.County}))
		cred, err := app.Enterprises.IssueCredentials(t.Context(), c.Code)
		require.NoError(t, err)
		keys[i], secrets[i] = cred.Key, cred.SigningSecret
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	sim := simulate.New(simulate.Config{URL: app.URL(), Rate: 200, Speed: 600, Workers: 2, Seed: 7, Secrets: secrets, Now: app.now}, companies, keys)
	require.NoError(t, sim.Run(ctx))
	assert.Positive(t, sim.Stats.Accepted.Load())
	assert.Zero(t, sim.Stats.Failed.Load(), "an upload was refused")
}
