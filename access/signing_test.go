package access_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/signing"
)

// The platform's signing middleware keeps nonces in PostgreSQL, so a replay is
// refused by every process.
func TestSignedExchangeReplayRefused(t *testing.T) {
	e := newEnv(t)
	body := []byte(`[]`)
	path := "/api/v1/exchange/hidden-dangers"
	ts := e.clock.Now().Unix()
	nonce := "0123456789abcdef-replay"
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer cgk_key")
		req.Header.Set(signing.HeaderTimestamp, fmt.Sprint(ts))
		req.Header.Set(signing.HeaderNonce, nonce)
		req.Header.Set(signing.HeaderSignature, signing.Sign("cgk_key", http.MethodPost, path, ts, nonce, body))
		resp, err := e.app.Test(req, -1)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send())
	assert.Equal(t, http.StatusUnauthorized, send())
	var n int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM request_nonces`).Scan(&n))
	assert.Equal(t, 1, n)
}
