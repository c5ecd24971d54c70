package platformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// Company registers ent on app and issues it an exchange API key, which it
// returns: a company whose own system then uploads with Upload.
func Company(tb testing.TB, app *platform.App, ent store.Enterprise) (key string) {
	tb.Helper()
	ctx := context.Background()
	require.NoError(tb, app.Enterprises.Add(ctx, ent))
	key, err := app.Enterprises.IssueKey(ctx, ent.Code)
	require.NoError(tb, err)
	return key
}

// Uploaded is the exchange API's answer to an upload.
type Uploaded struct {
	Status   int
	Accepted int    // records accepted (the answer's "accepted")
	Body     string // the answer as sent
}

// Upload posts recs to table t's exchange API of app as the company holding
// key, as its own system would, and returns the answer.
func Upload(tb testing.TB, app *platform.App, key string, t *schemas.Table, recs ...simulate.Record) Uploaded {
	tb.Helper()
	b, err := json.Marshal(recs)
	require.NoError(tb, err)
	req, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/exchange/"+t.Slug, bytes.NewReader(b))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	var reply struct {
		Accepted int `json:"accepted"`
	}
	_ = json.Unmarshal(raw, &reply)
	return Uploaded{Status: resp.StatusCode, Accepted: reply.Accepted, Body: string(raw)}
}
