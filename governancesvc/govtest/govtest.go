// Package govtest is the test setup governancesvc's and notices' tests share: the
// governance runner on a test database, companies, accounts and a client of the
// mounted API. Test code only.
package govtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// Password is every test account's password.
const Password = "Chemguard-2026"

// Service is the governance runner on pool (no consumer) reading clk.
func Service(tb testing.TB, pool *pgxpool.Pool, clk *testclock.Clock) *governancesvc.Service {
	tb.Helper()
	s, err := governancesvc.New(context.Background(), pool, nil, governancesvc.Config{Now: clk.Now})
	require.NoError(tb, err)
	return s
}

// AddEnterprise registers a 生产 company in county (and park, "" for none).
func AddEnterprise(tb testing.TB, pool *pgxpool.Pool, code, county, park string) {
	tb.Helper()
	require.NoError(tb, store.NewEnterprises(pool).Add(context.Background(),
		store.Enterprise{Code: code, Name: "测试化工" + code, DivisionCode: county, ParkCode: park, Kind: "生产"}))
}

// User is an account to create: a role granted in a domain.
type User struct {
	Name   string
	Role   policy.Role
	Domain string
}

// AddUsers creates the accounts, each with Password, as the command line would.
func AddUsers(tb testing.TB, acc *auth.Service, users ...User) {
	tb.Helper()
	for _, u := range users {
		_, err := acc.Identity.CreateUser(context.Background(), identity.NewUser{Username: u.Name, Password: Password,
			Role: u.Role, Domain: u.Domain}, identity.Actor{Name: "cli:test"})
		require.NoError(tb, err)
	}
}

// At is a Shanghai time written as schemas.DateTimeLayout.
func At(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(schemas.DateTimeLayout, s, schemas.Shanghai)
	require.NoError(tb, err)
	return t
}

// Reply is a response: its status, its body as JSON (nil when it is not) and raw.
type Reply struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

// Client sends requests to App in the test TB.
type Client struct {
	TB  testing.TB
	App *fiber.App
}

// Get is a GET with a bearer token.
func (c Client) Get(token, path string) Reply {
	c.TB.Helper()
	return c.Send(http.MethodGet, token, path, nil)
}

// Send makes a request with a bearer token (session or API key) and a JSON body.
func (c Client) Send(method, token, path string, body any) Reply {
	c.TB.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.TB, err)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, "http://chemguard.test"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.App.Test(req, -1)
	require.NoError(c.TB, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.TB, err)
	r := Reply{Status: resp.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// Login logs username in with Password and returns the session token.
func (c Client) Login(username string) string {
	c.TB.Helper()
	r := c.Send(http.MethodPost, "", "/api/v1/auth/login", map[string]string{"username": username, "password": Password})
	tok, _ := r.Body["token"].(string)
	require.NotEmpty(c.TB, tok, "login %s: %v", username, r.Body)
	return tok
}

// Field is the list under name of a 200 reply's body.
func Field(tb testing.TB, r Reply, name string) []map[string]any {
	tb.Helper()
	require.Equal(tb, http.StatusOK, r.Status, string(r.Raw))
	var out []map[string]any
	for _, x := range r.Body[name].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}
