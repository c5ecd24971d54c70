package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// running is a started App; stop and now are Running's, under the names these
// tests use.
type running struct {
	*platformtest.Running
	stop func()
	now  func() time.Time // the platform's clock
}

// startApp runs the platform of cfg; on the test clock (CHEMGUARD_TEST_NOW) unless
// cfg brings its own.
func startApp(tb testing.TB, cfg platform.Config) *running {
	tb.Helper()
	r := platformtest.Start(tb, cfg)
	clocks.Store(r.Addr(), r.Now)
	return &running{Running: r, stop: r.Stop, now: r.Now}
}

// clocks holds the clock of each platform startApp started, by server address: a
// one-time code for login is the one of the server's time, which CHEMGUARD_TEST_NOW
// may put months from the machine's.
var clocks sync.Map

// clockOf is the clock of the platform serving base (its time, not the machine's).
func clockOf(tb testing.TB, base string) time.Time {
	tb.Helper()
	now, ok := clocks.Load(strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://"))
	require.True(tb, ok, "no platform started by startApp serves %s", base)
	return now.(func() time.Time)()
}

// startWithCompany starts the platform on a fresh database with the company most
// exchange tests send as (济南测试化工, 历下区) registered, and returns its API key.
func startWithCompany(tb testing.TB) (*running, simulate.Company, string) {
	tb.Helper()
	app := startApp(tb, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(tb)})
	company := simulate.Company{Code: "370102001", Name: "济南测试化工", County: "370102"}
	return app, company, addCompany(tb, app.App, company.Code, company.County)
}

func addCompany(tb testing.TB, app *platform.App, code, county string) string {
	tb.Helper()
	ctx := context.Background()
	require.NoError(tb, app.Enterprises.Add(ctx, store.Enterprise{Code: code, Name: "测试化工有限公司" + code, DivisionCode: county}))
	key, err := app.Enterprises.IssueKey(ctx, code)
	require.NoError(tb, err)
	return key
}

type reply struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

func post(tb testing.TB, base, key, slug string, body any) reply {
	tb.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(tb, err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/exchange/"+slug, bytes.NewReader(b))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return do(tb, req)
}

func get(tb testing.TB, base, key, path string) reply {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(tb, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return do(tb, req)
}

func do(tb testing.TB, req *http.Request) reply {
	tb.Helper()
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	r := reply{Status: resp.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("timed out after %s waiting for %s", within, what)
}

func count(tb testing.TB, app *platform.App, sql string, args ...any) int {
	tb.Helper()
	var n int
	require.NoError(tb, app.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed*7+1)) }
