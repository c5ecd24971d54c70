package edge_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// newClock is the limiter's clock: frozen, so a window passes only when a test says.
func newClock() *testclock.Clock {
	return testclock.Frozen(time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC))
}

// serve runs app behind g on a real loopback listener and returns its base URL.
func serve(tb testing.TB, g *edge.Guard, app *fiber.App) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	go func() { _ = app.Listener(g.Listen(ln)) }()
	tb.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

func newApp(tb testing.TB, cfg edge.Config) (*edge.Guard, *fiber.App) {
	tb.Helper()
	g, err := edge.New(cfg)
	require.NoError(tb, err)
	app := fiber.New(g.Fiber(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true}))
	g.Install(app)
	return g, app
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  edge.Config
		err  error
	}{
		{"defaults", edge.Config{}, nil},
		{"negative cap", edge.Config{MaxBodyBytes: -1}, edge.ErrNegative},
		{"route without cap", edge.Config{Routes: []edge.Route{{Prefix: "/x"}}}, edge.ErrRouteCap},
		{"short operator token", edge.Config{OperatorToken: "short"}, edge.ErrShortToken},
		{"negative rate", edge.Config{Limits: edge.Limits{LoginPerIP: edge.Rate{PerMinute: -1}}}, edge.ErrNegative},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			err := cfg.Validate()
			require.ErrorIs(t, err, c.err)
			if err == nil {
				assert.Equal(t, edge.DefaultMaxBodyBytes, cfg.MaxBodyBytes)
				assert.Equal(t, edge.DefaultLimits, cfg.Limits)
			}
		})
	}
}

func TestParseRateAndPrefixes(t *testing.T) {
	r, err := edge.ParseRate("30")
	require.NoError(t, err)
	assert.Equal(t, edge.Rate{PerMinute: 30}, r)
	r, err = edge.ParseRate("30/5")
	require.NoError(t, err)
	assert.Equal(t, edge.Rate{PerMinute: 30, Burst: 5}, r)
	_, err = edge.ParseRate("fast")
	assert.Error(t, err)

	ps, err := edge.ParsePrefixes(" 10.0.0.0/8, 192.168.1.7 ,::1")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
		netip.MustParsePrefix("::1/128")}, ps)
	_, err = edge.ParsePrefixes("10.0.0.0/33")
	assert.Error(t, err)
	_, err = edge.ParsePrefixes("proxy.local")
	assert.Error(t, err)
}

// The login limiter counts per address and per user name on the injected clock
// and refills at its rate.
func TestLoginLimitRefillsOnTheClock(t *testing.T) {
	clk := newClock()
	g, app := newApp(t, edge.Config{Now: clk.Now,
		Limits: edge.Limits{LoginPerIP: edge.Rate{PerMinute: 6, Burst: 4}, LoginPerAccount: edge.Rate{PerMinute: 2, Burst: 2}}})
	app.Post("/login", g.LoginLimit, func(c *fiber.Ctx) error {
		if strings.Contains(string(c.Body()), `"password":"right"`) {
			return c.SendStatus(200)
		}
		return c.SendStatus(401)
	})
	base := serve(t, g, app)
	try := func(name string, password ...string) *http.Response {
		pw := "x"
		if len(password) > 0 {
			pw = password[0]
		}
		resp, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"`+name+`","password":"`+pw+`"}`))
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for range 10 {
		assert.Equal(t, 200, try("admin", "right").StatusCode, "successful logins do not count")
	}
	assert.Equal(t, 401, try("admin").StatusCode)
	assert.Equal(t, 401, try("ADMIN ").StatusCode) // the same account, however it is spelt
	r := try("admin")
	assert.Equal(t, 429, r.StatusCode)
	assert.Equal(t, "30", r.Header.Get("Retry-After")) // 2 a minute: one every 30 s
	assert.Equal(t, 401, try("operator").StatusCode)
	// The address has used 3 of its burst of 4 (the attempt the account's limit
	// refused was not tried, so it does not count).
	assert.Equal(t, 401, try("somebody").StatusCode)
	r = try("somebody")
	assert.Equal(t, 429, r.StatusCode)
	assert.Equal(t, "10", r.Header.Get("Retry-After")) // 6 a minute: one every 10 s
	clk.Add(30 * time.Second)
	assert.Equal(t, 401, try("admin").StatusCode)
	assert.Equal(t, 429, try("admin").StatusCode)
}

// A stream's slot is held while its connection is open and given back when it closes.
func TestStreamSlotsEndWithTheirConnection(t *testing.T) {
	g, app := newApp(t, edge.Config{Limits: edge.Limits{StreamsPerSession: 1, StreamsPerIP: 3}})
	app.Get("/stream", g.StreamLimit("sid"), func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/event-stream")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			for {
				if _, err := w.WriteString("data: tick\n\n"); err != nil {
					return
				}
				if err := w.Flush(); err != nil {
					return
				}
				time.Sleep(time.Second) // rare writes: the slot must come back without one
			}
		})
		return nil
	})
	base := serve(t, g, app)
	open := func(sid string) (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stream", nil)
		req.AddCookie(&http.Cookie{Name: "sid", Value: sid})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp, cancel
	}
	first, stop := open("alice")
	require.Equal(t, 200, first.StatusCode)
	line, err := bufio.NewReader(first.Body).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "data: tick\n", line)

	second, stop2 := open("alice")
	assert.Equal(t, 429, second.StatusCode)
	assert.NotEmpty(t, second.Header.Get("Retry-After"))
	body, _ := io.ReadAll(second.Body)
	assert.Contains(t, string(body), "rate_limited")
	stop2()

	bob, stopBob := open("bob")
	assert.Equal(t, 200, bob.StatusCode)
	carol, stopCarol := open("carol")
	assert.Equal(t, 200, carol.StatusCode)
	dave, stopDave := open("dave")
	assert.Equal(t, 429, dave.StatusCode, "a fourth stream from one address")
	stopDave()
	stopBob()
	stopCarol()

	stop() // the client hangs up: the server notices before its next write
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		again, stopAgain := open("alice")
		code := again.StatusCode
		stopAgain()
		if code == 200 {
			break
		}
		require.True(t, time.Now().Before(deadline), "alice's slot was not given back")
		time.Sleep(50 * time.Millisecond)
	}
}

// X-Forwarded-For is believed only from a trusted proxy, and then only its
// right-most hop that is not itself a trusted proxy.
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		name, trusted, xff, want string
	}{
		{"no proxies configured", "", "203.0.113.9", "127.0.0.1"},
		{"spoofed from an untrusted peer", "10.0.0.0/8", "203.0.113.9", "127.0.0.1"},
		{"from the trusted proxy", "127.0.0.1", "203.0.113.9", "203.0.113.9"},
		{"a client's own entries are skipped", "127.0.0.1", "1.1.1.1, 203.0.113.9", "203.0.113.9"},
		{"a chain of trusted proxies", "127.0.0.0/8,10.0.0.0/8", "203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"garbage stops the walk", "127.0.0.1", "203.0.113.9, nonsense", "127.0.0.1"},
		{"no header from the proxy", "127.0.0.1", "", "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps, err := edge.ParsePrefixes(c.trusted)
			require.NoError(t, err)
			g, app := newApp(t, edge.Config{TrustedProxies: ps})
			app.Get("/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
			base := serve(t, g, app)
			req, _ := http.NewRequest(http.MethodGet, base+"/ip", nil)
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			assert.Equal(t, c.want, string(got))
		})
	}
}

// The operator gate: the local network or the token, compared in constant time.
func TestOperatorOnly(t *testing.T) {
	ps, _ := edge.ParsePrefixes("127.0.0.1")
	g, app := newApp(t, edge.Config{TrustedProxies: ps, OperatorToken: "0123456789abcdef-operator"})
	app.Get("/metrics", g.OperatorOnly, func(c *fiber.Ctx) error { return c.SendString("ok") })
	base := serve(t, g, app)
	for _, c := range []struct {
		name, xff, token string
		status           int
	}{
		{"loopback", "", "", 200},
		{"private network", "192.168.3.4", "", 200},
		{"public", "203.0.113.9", "", 403},
		{"public with a wrong token", "203.0.113.9", "0123456789abcdef-operatoR", 403},
		{"public with the token", "203.0.113.9", "0123456789abcdef-operator", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, c.status, resp.StatusCode)
		})
	}
}
