// Package edge owns the guards at the HTTP edge, applied before any handler runs:
// request body caps per route and on the bytes in flight, content-encoding (gzip
// only where a route accepts it, decompressed through the route's cap), per-IP
// connection limits, rate limits on logins, the exchange API and event streams, the
// client address behind trusted reverse proxies, and the gate in front of the
// operator endpoints. Handlers behind it see a body that is already read, capped and
// decoded, so none of them can be made to reserve or inflate memory.
package edge

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Route is a request that may carry more than the default body cap.
type Route struct {
	Method string // "POST"; empty matches every method
	Prefix string // path prefix, e.g. "/api/v1/exchange/"
	// MaxBytes caps the body as received and, for gzip, after decompression.
	MaxBytes int
	// Gzip accepts Content-Encoding: gzip (decompressed through MaxBytes).
	Gzip bool
}

// Rate is a token bucket: PerMinute requests a minute on average, Burst at once.
// Zero PerMinute disables the limit.
type Rate struct {
	PerMinute int
	Burst     int
}

// Limits are the rate limits. The defaults are far above real traffic (a county
// office behind one NAT signing in at 8 o'clock, a company uploading every table
// every minute) and far below what a guessing or flooding client needs.
type Limits struct {
	LoginPerIP      Rate // CHEMGUARD_RATE_LOGIN_PER_IP: login attempts per client address
	LoginPerAccount Rate // CHEMGUARD_RATE_LOGIN_PER_ACCOUNT: login attempts per user name
	ExchangePerKey  Rate // CHEMGUARD_RATE_EXCHANGE_PER_KEY: exchange requests per enterprise key
	ExchangePerIP   Rate // CHEMGUARD_RATE_EXCHANGE_PER_IP: exchange requests per client address
	// StreamsPerSession and StreamsPerIP bound concurrent event streams (SSE).
	StreamsPerSession int // CHEMGUARD_STREAMS_PER_SESSION
	StreamsPerIP      int // CHEMGUARD_STREAMS_PER_IP
}

// Config configures the edge guards.
type Config struct {
	// MaxBodyBytes caps every request body not matched by Routes.
	MaxBodyBytes int // CHEMGUARD_HTTP_MAX_BODY_BYTES
	// Routes may take larger bodies (and gzip); the first matching prefix wins.
	Routes []Route
	// MaxInflightBodyBytes caps the bytes of request bodies held at once by all
	// requests together; a request that would pass it gets 503 and Retry-After.
	MaxInflightBodyBytes int64 // CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES
	// MaxConnsPerIP caps open connections from one client address (trusted proxies
	// are exempt: they carry many clients).
	MaxConnsPerIP int // CHEMGUARD_HTTP_MAX_CONNS_PER_IP
	// MaxConns caps connections served at once (fasthttp Concurrency).
	MaxConns int // CHEMGUARD_HTTP_MAX_CONNS
	// HeaderTimeout bounds reading a request's headers, BodyTimeout its body
	// (counted from the end of the headers); IdleTimeout a kept-alive connection's wait.
	HeaderTimeout time.Duration // CHEMGUARD_HTTP_HEADER_TIMEOUT
	BodyTimeout   time.Duration // CHEMGUARD_HTTP_BODY_TIMEOUT
	IdleTimeout   time.Duration // CHEMGUARD_HTTP_IDLE_TIMEOUT
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix // CHEMGUARD_TRUSTED_PROXIES
	// OperatorToken, when set, opens /metrics and the details of /readyz to a
	// caller that presents it as a Bearer token from any address.
	OperatorToken string // CHEMGUARD_OPERATOR_TOKEN
	Limits        Limits
	// Now is the rate limiters' clock (time.Now when nil).
	Now func() time.Time
}

// Defaults.
const (
	DefaultMaxBodyBytes         = 1 << 20
	DefaultMaxInflightBodyBytes = 512 << 20
	DefaultMaxConnsPerIP        = 256
	DefaultMaxConns             = 10000
	DefaultHeaderTimeout        = 10 * time.Second
	DefaultBodyTimeout          = 120 * time.Second
	DefaultIdleTimeout          = 120 * time.Second
)

// DefaultLimits are the rate limits used where Config.Limits leaves a zero.
var DefaultLimits = Limits{
	LoginPerIP:        Rate{PerMinute: 60, Burst: 60},
	LoginPerAccount:   Rate{PerMinute: 10, Burst: 10},
	ExchangePerKey:    Rate{PerMinute: 1200, Burst: 600},
	ExchangePerIP:     Rate{PerMinute: 12000, Burst: 3000},
	StreamsPerSession: 8,
	StreamsPerIP:      200,
}

// Errors returned by Config.Validate.
var (
	ErrNegative   = errors.New("edge: limits must not be negative")
	ErrRouteCap   = errors.New("edge: a large-body route needs a prefix and a positive cap")
	ErrShortToken = errors.New("edge: CHEMGUARD_OPERATOR_TOKEN must be at least 16 characters")
)

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.MaxBodyBytes < 0 || c.MaxInflightBodyBytes < 0 || c.MaxConnsPerIP < 0 || c.MaxConns < 0 ||
		c.HeaderTimeout < 0 || c.BodyTimeout < 0 || c.IdleTimeout < 0 {
		return ErrNegative
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxInflightBodyBytes == 0 {
		c.MaxInflightBodyBytes = DefaultMaxInflightBodyBytes
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.HeaderTimeout == 0 {
		c.HeaderTimeout = DefaultHeaderTimeout
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	for _, r := range c.Routes {
		if r.Prefix == "" || r.MaxBytes <= 0 {
			return ErrRouteCap
		}
	}
	if c.OperatorToken != "" && len(c.OperatorToken) < 16 {
		return ErrShortToken
	}
	l, d := &c.Limits, DefaultLimits
	for _, p := range []struct{ v, def *Rate }{{&l.LoginPerIP, &d.LoginPerIP}, {&l.LoginPerAccount, &d.LoginPerAccount},
		{&l.ExchangePerKey, &d.ExchangePerKey}, {&l.ExchangePerIP, &d.ExchangePerIP}} {
		if p.v.PerMinute < 0 || p.v.Burst < 0 {
			return ErrNegative
		}
		if p.v.PerMinute == 0 {
			*p.v = *p.def
		}
		if p.v.Burst == 0 {
			p.v.Burst = p.v.PerMinute
		}
	}
	if l.StreamsPerSession < 0 || l.StreamsPerIP < 0 {
		return ErrNegative
	}
	if l.StreamsPerSession == 0 {
		l.StreamsPerSession = d.StreamsPerSession
	}
	if l.StreamsPerIP == 0 {
		l.StreamsPerIP = d.StreamsPerIP
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// ParsePrefixes parses a comma-separated list of CIDRs or single addresses
// (CHEMGUARD_TRUSTED_PROXIES).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("edge: trusted proxy %q is neither a CIDR nor an address", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("edge: trusted proxy %q is neither a CIDR nor an address", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseRate parses "N" (N a minute, burst N) or "N/B" (N a minute, burst B).
func ParseRate(s string) (Rate, error) {
	var r Rate
	per, burst, hasBurst := strings.Cut(strings.TrimSpace(s), "/")
	if _, err := fmt.Sscanf(per, "%d", &r.PerMinute); err != nil || r.PerMinute < 0 {
		return r, fmt.Errorf("edge: rate %q: want N or N/BURST requests a minute", s)
	}
	if hasBurst {
		if _, err := fmt.Sscanf(burst, "%d", &r.Burst); err != nil || r.Burst < 0 {
			return r, fmt.Errorf("edge: rate %q: want N or N/BURST requests a minute", s)
		}
	}
	return r, nil
}
