package edge

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/shandong-emergency/chemguard"
)

// Guard holds the edge's state: bytes in flight, rate-limit buckets and stream slots.
type Guard struct {
	cfg      Config
	inflight *inflight

	loginIP, loginAccount     *limiter
	exchangeKey, exchangeIP   *limiter
	streamSession, streamAddr *slots
	refused                   *prometheus.CounterVec // nil until Register
}

// New checks cfg and returns the guards.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := cfg.Limits
	return &Guard{cfg: cfg, inflight: &inflight{max: cfg.MaxInflightBodyBytes},
		loginIP: newLimiter(l.LoginPerIP, cfg.Now), loginAccount: newLimiter(l.LoginPerAccount, cfg.Now),
		exchangeKey: newLimiter(l.ExchangePerKey, cfg.Now), exchangeIP: newLimiter(l.ExchangePerIP, cfg.Now),
		streamSession: newSlots(l.StreamsPerSession), streamAddr: newSlots(l.StreamsPerIP)}, nil
}

// Fiber returns fc with the server settings the guards rely on: bodies streamed
// (fasthttp then never reserves a declared Content-Length; the body guard reads
// them), no multipart pre-parsing before the cap is checked, header and idle
// timeouts against slow clients, the connection cap, and the trusted proxies.
func (g *Guard) Fiber(fc fiber.Config) fiber.Config {
	fc.StreamRequestBody = true
	fc.DisablePreParseMultipartForm = true
	fc.ReadTimeout = g.cfg.HeaderTimeout
	fc.IdleTimeout = g.cfg.IdleTimeout
	fc.Concurrency = g.cfg.MaxConns
	fc.BodyLimit = g.cfg.MaxBodyBytes
	for _, r := range g.cfg.Routes {
		fc.BodyLimit = max(fc.BodyLimit, r.MaxBytes)
	}
	if len(g.cfg.TrustedProxies) > 0 {
		fc.EnableTrustedProxyCheck = true
		fc.ProxyHeader = fiber.HeaderXForwardedFor
		fc.TrustedProxies = nil
		for _, p := range g.cfg.TrustedProxies {
			fc.TrustedProxies = append(fc.TrustedProxies, p.String())
		}
	}
	return fc
}

// Install puts the header-time checks and the body timeout on app's server and
// the client-address and body guards in front of every route. Call it right after
// fiber.New, before any route.
func (g *Guard) Install(app *fiber.App) {
	app.Server().HeaderReceived = g.headerReceived
	app.Use(g.clientAddr, g.body)
}

// refusedHeader marks a request whose declared length already refuses it: its
// body is not read at all, the body guard answers at once and the connection
// closes. A client's own copy of the header is removed first.
const refusedHeader = "X-Chemguard-Edge-Refused"

// headerReceived runs after the headers, before fasthttp reads any body byte. A
// body longer than its route's cap is not waited for: its length is set to zero
// (the server then reads nothing and calls the handler at once) and the request
// is marked for the body guard.
func (g *Guard) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	h.Del(refusedHeader)
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	rule := g.route(string(h.Method()), path)
	if h.ContentLength() > rule.MaxBytes {
		h.Set(refusedHeader, strconv.Itoa(h.ContentLength()))
		h.SetContentLength(0)
		h.Del(fiber.HeaderExpect) // no "100 Continue": the client should not start sending
	}
	// The header deadline (ReadTimeout) has done its work; the body gets its own.
	return fasthttp.RequestConfig{ReadTimeout: g.cfg.BodyTimeout, MaxRequestBodySize: rule.MaxBytes}
}

// trusted reports whether ip is one of the trusted proxies.
func (g *Guard) trusted(ip netip.Addr) bool {
	for _, p := range g.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientAddr makes c.IP() the client's address. From a trusted proxy it is the
// right-most X-Forwarded-For entry that is not itself a trusted proxy (proxies
// append the peer they saw, so entries left of it are whatever the client wrote);
// from anyone else fiber ignores the header.
func (g *Guard) clientAddr(c *fiber.Ctx) error {
	if len(g.cfg.TrustedProxies) == 0 {
		return c.Next()
	}
	peer := addrOf(c.Context().RemoteAddr())
	if !g.trusted(peer) {
		return c.Next()
	}
	client := peer
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: nothing left of it can be believed
		}
		client = a.Unmap()
		if !g.trusted(client) {
			break
		}
	}
	c.Request().Header.Set(fiber.HeaderXForwardedFor, client.String())
	return c.Next()
}

// ClientAddr is the request's client address as the guards see it.
func ClientAddr(c *fiber.Ctx) netip.Addr {
	a, err := netip.ParseAddr(c.IP())
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func (g *Guard) limited(c *fiber.Ctx, reason string, wait time.Duration, zh, en string) error {
	g.count(reason)
	secs := int(math.Ceil(wait.Seconds()))
	secs = max(secs, 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return &chemguard.Error{Code: chemguard.ERateLimited, MessageZH: fmt.Sprintf("%s，请 %d 秒后重试", zh, secs),
		MessageEN: fmt.Sprintf("%s; retry in %d s", en, secs)}
}

// LoginLimit limits POSTed login attempts per client address and per user name
// (from a JSON body's "username" or a form's). Every attempt takes its tokens
// before the password is looked at, so a burst of parallel guesses cannot slip
// through; an attempt that succeeds gets them back, so only failures count and a
// busy office behind one address never meets the limit.
func (g *Guard) LoginLimit(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	addr := ClientAddr(c).String()
	if ok, wait := g.loginIP.allow(addr); !ok {
		return g.limited(c, reasonLoginPerIP, wait, "本地址登录尝试过于频繁", "too many login attempts from your address")
	}
	name := loginName(c)
	if name != "" {
		if ok, wait := g.loginAccount.allow(name); !ok {
			g.loginIP.refund(addr) // refused here, not tried: the address's count stays as it was
			return g.limited(c, reasonLoginPerAccount, wait, "该账号登录尝试过于频繁", "too many login attempts for this account")
		}
	}
	err := c.Next()
	if err == nil && c.Response().StatusCode() < fiber.StatusBadRequest {
		g.loginIP.refund(addr)
		if name != "" {
			g.loginAccount.refund(name)
		}
	}
	return err
}

func loginName(c *fiber.Ctx) string {
	var name string
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		var v struct {
			Username string `json:"username"`
		}
		_ = json.Unmarshal(c.Body(), &v)
		name = v.Username
	} else {
		name = c.FormValue("username")
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if len(name) > 128 {
		name = name[:128] // the bucket is keyed by a bounded name; real names are far shorter
	}
	return name
}

// KeyLimit limits requests per enterprise API key (the Bearer token) and per
// client address on the exchange API.
func (g *Guard) KeyLimit(c *fiber.Ctx) error {
	if ok, wait := g.exchangeIP.allow(ClientAddr(c).String()); !ok {
		return g.limited(c, reasonExchangePerIP, wait, "本地址请求过于频繁", "too many requests from your address")
	}
	if key, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok && key != "" {
		if ok, wait := g.exchangeKey.allow(secretKey(strings.TrimSpace(key))); !ok {
			return g.limited(c, reasonExchangePerKey, wait, "该 API 密钥请求过于频繁", "too many requests with this API key")
		}
	}
	return c.Next()
}

// StreamLimit bounds concurrent event streams per session (cookie or Bearer
// token) and per client address. A stream's slot is given back when its
// connection closes, so the stream's response asks for the connection to close
// when it ends.
func (g *Guard) StreamLimit(cookie string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		conn := tracked(c.Context().Conn())
		if conn == nil {
			return c.Next() // not served through Listen (an in-memory test): nothing to count on
		}
		addr := ClientAddr(c).String()
		session := c.Cookies(cookie)
		if tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
			session = tok
		}
		if !g.streamAddr.take(addr) {
			return g.limited(c, reasonStreamsPerIP, 10*time.Second, "本地址打开的实时推送连接过多", "too many open event streams from your address")
		}
		if session != "" {
			key := secretKey(session)
			if !g.streamSession.take(key) {
				g.streamAddr.give(addr)
				return g.limited(c, reasonStreamsPerSession, 10*time.Second, "本会话打开的实时推送连接过多", "too many open event streams in this session")
			}
			conn.onClose(func() { g.streamSession.give(key) })
		}
		conn.onClose(func() { g.streamAddr.give(addr) })
		c.Context().SetConnectionClose()
		err := c.Next()
		if err == nil && c.Response().IsBodyStream() {
			go watchHangUp(c.Context().Conn())
		}
		return err
	}
}

// watchHangUp closes a stream's connection as soon as its client hangs up, so the
// slot comes back at once rather than at the stream's next write. The server never
// reads from this connection again (it closes after the response), and a stream's
// client sends nothing after its request, so the read returns only when the client
// has gone (EOF or reset) or misbehaves.
func watchHangUp(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Time{})
	var b [1]byte
	_, _ = nc.Read(b[:])
	_ = nc.Close()
}

// IsOperator reports whether the caller may see operator details: a loopback or
// private client address, or the operator token as a Bearer token.
func (g *Guard) IsOperator(c *fiber.Ctx) bool {
	if tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok && g.cfg.OperatorToken != "" &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(g.cfg.OperatorToken)) == 1 {
		return true
	}
	a := ClientAddr(c)
	return a.IsLoopback() || a.IsPrivate()
}

// OperatorOnly refuses callers that are not operators (IsOperator).
func (g *Guard) OperatorOnly(c *fiber.Ctx) error {
	if !g.IsOperator(c) {
		return chemguard.Errorf(chemguard.EForbidden, "仅限运维网络或持运维令牌访问",
			"only the operators' network or the operator token may see this")
	}
	return c.Next()
}
