package signing_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/web"
)

const (
	key    = "cgk_testkey"
	secret = "cgh_testsecret"
)

// secrets is the key store of these tests: one active key with its secret,
// one issued before signing secrets existed.
type secrets struct{}

func (secrets) SigningSecret(_ context.Context, k string) (string, []byte, error) {
	switch k {
	case key:
		return "C1", []byte(secret), nil
	case "cgk_oldkey":
		return "C1", nil, nil
	}
	return "", nil, chemguard.Errorf(chemguard.EUnauthorized, "API 密钥无效或已吊销", "the API key is unknown or revoked")
}

func newApp(required bool, now *time.Time) *fiber.App {
	clock := func() time.Time { return *now }
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	app.Use(signing.Middleware(signing.Config{Required: required, Nonces: signing.NewMemoryNonces(clock),
		Secrets: secrets{}, Now: clock}))
	app.Post("/api/v1/exchange/:slug", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app
}

type signed struct {
	path, nonce string
	ts          time.Time
	body        []byte
	sig         string // "" computes the right one
	skipHeaders bool
	key         string // "" is the test key
}

func send(t *testing.T, app *fiber.App, s signed) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, s.path, bytes.NewReader(s.body))
	if s.key == "" {
		s.key = key
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	if !s.skipHeaders {
		if s.sig == "" {
			s.sig = signing.Sign(secret, http.MethodPost, s.path, s.ts.Unix(), s.nonce, s.body)
		}
		req.Header.Set(signing.HeaderTimestamp, fmt.Sprint(s.ts.Unix()))
		req.Header.Set(signing.HeaderNonce, s.nonce)
		req.Header.Set(signing.HeaderSignature, s.sig)
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestSigning(t *testing.T) {
	now := time.Now()
	body := []byte(`[{"ID":"x"}]`)
	path := "/api/v1/exchange/hidden-dangers"
	n := 0
	nonce := func() string { n++; return fmt.Sprintf("nonce-%016d", n) }

	app := newApp(false, &now)
	tests := []struct {
		name string
		req  signed
		want int
	}{
		{"valid", signed{path: path, nonce: nonce(), ts: now, body: body}, http.StatusOK},
		{"unsigned when optional", signed{path: path, body: body, skipHeaders: true}, http.StatusOK},
		{"4 minutes old", signed{path: path, nonce: nonce(), ts: now.Add(-4 * time.Minute), body: body}, http.StatusOK},
		{"6 minutes old", signed{path: path, nonce: nonce(), ts: now.Add(-6 * time.Minute), body: body}, http.StatusUnauthorized},
		{"6 minutes ahead", signed{path: path, nonce: nonce(), ts: now.Add(6 * time.Minute), body: body}, http.StatusUnauthorized},
		{"wrong signature", signed{path: path, nonce: nonce(), ts: now, body: body, sig: "00"}, http.StatusUnauthorized},
		{"short nonce", signed{path: path, nonce: "abc", ts: now, body: body}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, send(t, app, tt.req)) })
	}

	t.Run("tampered body or path", func(t *testing.T) {
		nn := nonce()
		sig := signing.Sign(secret, http.MethodPost, path, now.Unix(), nn, body)
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: path, nonce: nn, ts: now, body: []byte(`[]`), sig: sig}))
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: "/api/v1/exchange/risk-units", nonce: nn, ts: now, body: body, sig: sig}))
	})
	t.Run("replay refused", func(t *testing.T) {
		s := signed{path: path, nonce: nonce(), ts: now, body: body}
		require.Equal(t, http.StatusOK, send(t, app, s))
		assert.Equal(t, http.StatusUnauthorized, send(t, app, s), "same nonce again")
		now = now.Add(2 * time.Minute)
		assert.Equal(t, http.StatusUnauthorized, send(t, app, s), "still within the window")
		now = now.Add(4 * time.Minute)
		assert.Equal(t, http.StatusUnauthorized, send(t, app, s), "after the window the timestamp is too old")
	})
	// The old scheme keyed the HMAC with SHA-256 of the bearer key, which every
	// request carries: anyone who saw one request could sign the next.
	t.Run("signature keyed by the bearer key's digest refused", func(t *testing.T) {
		nn := nonce()
		digest := sha256.Sum256([]byte(key))
		m := hmac.New(sha256.New, digest[:])
		m.Write([]byte(signing.Canonical(http.MethodPost, path, now.Unix(), nn, body)))
		forged := hex.EncodeToString(m.Sum(nil))
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: path, nonce: nn, ts: now, body: body, sig: forged}))
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: path, nonce: nonce(), ts: now, body: body,
			sig: signing.Sign(key, http.MethodPost, path, now.Unix(), nn, body)}), "the bearer key itself as the secret")
	})
	t.Run("key without a signing secret cannot sign", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: path, nonce: nonce(), ts: now, body: body, key: "cgk_oldkey"}))
		assert.Equal(t, http.StatusOK, send(t, app, signed{path: path, body: body, key: "cgk_oldkey", skipHeaders: true}),
			"unsigned still works where signing is optional")
	})
	t.Run("unknown key refused", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, send(t, app, signed{path: path, nonce: nonce(), ts: now, body: body, key: "cgk_nobody"}))
	})
	t.Run("mandatory", func(t *testing.T) {
		strict := newApp(true, &now)
		assert.Equal(t, http.StatusUnauthorized, send(t, strict, signed{path: path, body: body, skipHeaders: true}))
		assert.Equal(t, http.StatusOK, send(t, strict, signed{path: path, nonce: nonce(), ts: now, body: body}))
	})
}
