package auth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/store"
)

// signedRequest sends a signed POST to the exchange with key and secret.
func (e *env) signedRequest(key, secret, nonce string, body []byte) int {
	e.tb.Helper()
	path := "/api/v1/exchange/hidden-dangers"
	ts := e.clock.Now().Unix()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set(signing.HeaderTimestamp, fmt.Sprint(ts))
	req.Header.Set(signing.HeaderNonce, nonce)
	req.Header.Set(signing.HeaderSignature, signing.Sign(secret, http.MethodPost, path, ts, nonce, body))
	resp, err := e.app.Test(req, -1)
	require.NoError(e.tb, err)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) credentials(code string) store.Credentials {
	e.tb.Helper()
	e.addEnterprise(code, "370102", "")
	cred, err := e.svc.Enterprises.IssueCredentials(context.Background(), code)
	require.NoError(e.tb, err)
	require.NotEqual(e.tb, cred.Key, cred.SigningSecret)
	return cred
}

func (e *env) nonceRows() int {
	e.tb.Helper()
	var n int
	require.NoError(e.tb, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM request_nonces`).Scan(&n))
	return n
}

// The platform's signing middleware keeps nonces in PostgreSQL, so a replay is
// refused by every process; the signing secret is stored sealed, never as issued.
func TestSignedExchangeReplayRefused(t *testing.T) {
	e := newEnv(t)
	cred := e.credentials("370102001")
	nonce := "0123456789abcdef-replay"
	assert.Equal(t, http.StatusOK, e.signedRequest(cred.Key, cred.SigningSecret, nonce, []byte(`[]`)))
	assert.Equal(t, http.StatusUnauthorized, e.signedRequest(cred.Key, cred.SigningSecret, nonce, []byte(`[]`)))
	assert.Equal(t, 1, e.nonceRows())
	var stored string
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT signing_secret FROM enterprise_keys`).Scan(&stored))
	assert.NotContains(t, stored, cred.SigningSecret)
	assert.Contains(t, stored, "enc:v1:")
}

// Signing with the bearer key (or its SHA-256, the old scheme) is refused: the
// secret is independent of the key that travels with every request.
func TestSignatureFromTheBearerKeyRefused(t *testing.T) {
	e := newEnv(t)
	cred := e.credentials("370102001")
	digest := signing.KeyHash(cred.Key) // SHA-256 of the key, the old HMAC key
	assert.Equal(t, http.StatusUnauthorized, e.signedRequest(cred.Key, string(digest), "nonce-digest-000001", []byte(`[]`)))
	assert.Equal(t, http.StatusUnauthorized, e.signedRequest(cred.Key, cred.Key, "nonce-bearer-000001", []byte(`[]`)))
	assert.Equal(t, http.StatusOK, e.signedRequest(cred.Key, cred.SigningSecret, "nonce-secret-000001", []byte(`[]`)))
}

// A flood of signed requests with made-up keys writes no nonce, and expired
// nonces are purged.
func TestNonceTableBounded(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 1000; i++ {
		raw := make([]byte, 16)
		_, _ = rand.Read(raw)
		key := "cgk_" + hex.EncodeToString(raw)
		// Signed the way the old scheme accepted from anyone: HMAC keyed by SHA-256 of the key sent.
		require.Equal(t, http.StatusUnauthorized, e.signedRequest(key, string(signing.KeyHash(key)), "nonce-"+hex.EncodeToString(raw), []byte(`[]`)))
	}
	assert.Zero(t, e.nonceRows(), "refused requests wrote nonces")

	// A real key with a wrong signature writes none either.
	cred := e.credentials("370102001")
	assert.Equal(t, http.StatusUnauthorized, e.signedRequest(cred.Key, "cgh_wrong", "nonce-wrong-0000001", []byte(`[]`)))
	assert.Zero(t, e.nonceRows())

	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusOK, e.signedRequest(cred.Key, cred.SigningSecret, fmt.Sprintf("nonce-valid-%08d", i), []byte(`[]`)))
	}
	assert.Equal(t, 3, e.nonceRows())
	nonces := signing.NewPGNonces(e.pool, e.clock.Now)
	n, err := nonces.Purge(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "nonces inside the window are kept")
	e.clock.Add(signing.DefaultWindow + time.Second)
	n, err = nonces.Purge(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	assert.Zero(t, e.nonceRows())
}

// Refused exchange requests are audited, a flood from one address only as its
// first refusals and a summary with the count.
func TestRefusedExchangeRequestsAudited(t *testing.T) {
	e := newEnv(t)
	cred := e.credentials("370102001")
	send := func(key string) int { return e.signedRequest(key, key, "nonce-for-"+key, []byte(`[]`)) }
	for i := 0; i < 200; i++ {
		require.Equal(t, http.StatusUnauthorized, send(fmt.Sprintf("cgk_flood%06d", i)))
	}
	require.Equal(t, http.StatusUnauthorized, e.signedRequest(cred.Key, "cgh_wrong", "nonce-wrong-0000001", []byte(`[]`)))
	var rows int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'exchange_refused'`).Scan(&rows))
	assert.Equal(t, 10, rows, "the first 10 refusals of the minute from one address")
	var keyLeak int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE actor || object || detail LIKE '%cgk_flood0000%'`).Scan(&keyLeak))
	assert.Zero(t, keyLeak, "only the first characters of an unknown key are recorded")

	e.clock.Add(time.Minute + time.Second)
	require.Equal(t, http.StatusUnauthorized, send("cgk_after"))
	var detail string
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT detail FROM audit_log WHERE action = 'exchange_refused_summary'`).Scan(&detail))
	assert.Contains(t, detail, `"not_recorded":191`)
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'exchange_refused'`).Scan(&rows))
	assert.Equal(t, 11, rows)
}
