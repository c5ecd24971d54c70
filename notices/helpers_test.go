package notices_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

const password = "Chemguard-2026"

// env is the notices API on a fresh database.
type env struct {
	tb   testing.TB
	pool *pgxpool.Pool
	app  *fiber.App
	acc  *auth.Service
}

type reply struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

// newService is the governance runner on pool (no consumer): it opens and ends the
// facts notices are about.
func newService(tb testing.TB, pool *pgxpool.Pool, clk *testclock.Clock) *governancesvc.Service {
	tb.Helper()
	s, err := governancesvc.New(context.Background(), pool, nil, governancesvc.Config{Now: clk.Now})
	require.NoError(tb, err)
	return s
}

func addEnterprise(tb testing.TB, pool *pgxpool.Pool, code, county, park string) {
	tb.Helper()
	require.NoError(tb, store.NewEnterprises(pool).Add(context.Background(),
		store.Enterprise{Code: code, Name: "测试化工" + code, DivisionCode: county, ParkCode: park, Kind: "生产"}))
}

// at is a Shanghai time.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(schemas.DateTimeLayout, s, schemas.Shanghai)
	require.NoError(tb, err)
	return t
}

func f(v float64) *float64 { return &v }

func scalar[T any](tb testing.TB, pool *pgxpool.Pool, sql string, args ...any) T {
	tb.Helper()
	var v T
	require.NoError(tb, pool.QueryRow(context.Background(), sql, args...).Scan(&v))
	return v
}

func (e *env) login(username string) string {
	e.tb.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req := httptest.NewRequest(http.MethodPost, "http://chemguard.test/api/v1/auth/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.app.Test(req, -1)
	require.NoError(e.tb, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(e.tb, json.NewDecoder(resp.Body).Decode(&body))
	tok, _ := body["token"].(string)
	require.NotEmpty(e.tb, tok, "login %s: %v", username, body)
	return tok
}

func field(tb testing.TB, r reply, name string) []map[string]any {
	tb.Helper()
	require.Equal(tb, http.StatusOK, r.Status, string(r.Raw))
	var out []map[string]any
	for _, x := range r.Body[name].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}
