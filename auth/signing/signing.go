// Package signing owns the HMAC-SHA256 signing of enterprise API requests: a
// signature over method, path, timestamp, nonce and body digest, valid for a
// 5-minute window, each nonce accepted once. A province can make it mandatory
// (CHEMGUARD_REQUIRE_SIGNING).
//
// The HMAC key is the enterprise's signing secret, issued with its API key and
// shown once like it, but never sent: the bearer key travels in every request
// (and in proxy logs), so a key derived from it would let anyone who saw one
// request forge the next. The middleware looks the key up and checks the
// signature before it remembers a nonce, so requests with made-up keys or bad
// signatures write nothing.
package signing

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
)

// Request headers of a signed request.
const (
	HeaderTimestamp = "X-Chemguard-Timestamp" // Unix seconds
	HeaderNonce     = "X-Chemguard-Nonce"     // 16–128 characters, unique per request
	HeaderSignature = "X-Chemguard-Signature" // lower-case hex HMAC-SHA256
)

// DefaultWindow is how far a request's timestamp may be from the server's clock.
const DefaultWindow = 5 * time.Minute

// NonceStore remembers nonces until they expire. Remember reports false when the
// nonce was already seen for this key.
type NonceStore interface {
	Remember(ctx context.Context, keyHash []byte, nonce string, expires time.Time) (bool, error)
}

// Secrets finds the signing secret of an active API key. It returns a
// chemguard.EUnauthorized error for an unknown or revoked key and a nil secret
// (no error) for a key issued before signing secrets existed.
type Secrets interface {
	SigningSecret(ctx context.Context, apiKey string) (company string, secret []byte, err error)
}

// Config configures the Middleware.
type Config struct {
	Required bool          // refuse unsigned requests (CHEMGUARD_REQUIRE_SIGNING)
	Window   time.Duration // DefaultWindow when zero
	Nonces   NonceStore    // required
	Secrets  Secrets       // required
	Now      func() time.Time
}

// KeyHash identifies an API key in the nonce table: its SHA-256, as the key
// table stores it.
func KeyHash(apiKey string) []byte {
	sum := sha256.Sum256([]byte(apiKey))
	return sum[:]
}

// Canonical is the string signed: method, path with query as sent, timestamp,
// nonce and the hex SHA-256 of the body, separated by newlines.
func Canonical(method, path string, ts int64, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{strings.ToUpper(method), path, strconv.FormatInt(ts, 10), nonce, hex.EncodeToString(sum[:])}, "\n")
}

// Sign returns the signature header value of a request: HMAC-SHA256 keyed by
// the signing secret (its UTF-8 bytes, as printed when it was issued).
func Sign(secret, method, path string, ts int64, nonce string, body []byte) string {
	return sign([]byte(secret), method, path, ts, nonce, body)
}

// SignRequest sets the three signing headers on h for a request to path (with
// its query, as sent) with body, at now, with a fresh random nonce: what a
// company's client does for every request.
func SignRequest(h http.Header, secret, method, path string, body []byte, now time.Time) error {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("signing: nonce: %w", err)
	}
	nonce := hex.EncodeToString(raw)
	ts := now.Unix()
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, Sign(secret, method, path, ts, nonce, body))
	return nil
}

func sign(secret []byte, method, path string, ts int64, nonce string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(Canonical(method, path, ts, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

func refuse(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: zh, MessageEN: en}
}

// Middleware verifies signed requests. A request without the three headers
// passes unless cfg.Required; one with them must name an active key, carry a
// valid signature by that key's signing secret, a timestamp within the window
// and a nonce not seen before. The checks run cheapest first and the nonce is
// written last, so a refused request leaves no row behind.
func Middleware(cfg Config) fiber.Handler {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return func(c *fiber.Ctx) error {
		sig, ts, nonce := c.Get(HeaderSignature), c.Get(HeaderTimestamp), c.Get(HeaderNonce)
		if sig == "" && ts == "" && nonce == "" {
			if cfg.Required {
				return refuse("本平台要求请求签名：请携带 X-Chemguard-Timestamp、X-Chemguard-Nonce、X-Chemguard-Signature",
					"request signing is required: send X-Chemguard-Timestamp, X-Chemguard-Nonce and X-Chemguard-Signature")
			}
			return c.Next()
		}
		key, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return refuse("缺少 API 密钥", "missing API key")
		}
		t, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return refuse("签名时间戳无效", "the signature timestamp must be Unix seconds")
		}
		now := cfg.Now()
		if d := now.Sub(time.Unix(t, 0)); d > cfg.Window || d < -cfg.Window {
			return refuse("签名已过期或时间偏差超过 5 分钟", fmt.Sprintf("the signature timestamp is more than %s from the server's time", cfg.Window))
		}
		if len(nonce) < 16 || len(nonce) > 128 {
			return refuse("签名随机数长度须为 16～128", "the nonce must be 16-128 characters")
		}
		_, secret, err := cfg.Secrets.SigningSecret(c.UserContext(), key)
		if err != nil {
			return err
		}
		if secret == nil {
			return refuse("该 API 密钥签发时尚无签名密钥，无法验证签名：请轮换密钥（chemguard enterprise rotate-key）以同时获得 API 密钥和签名密钥",
				"this API key was issued before signing secrets existed and cannot sign: rotate it (chemguard enterprise rotate-key) to get a key and a signing secret")
		}
		want := sign(secret, c.Method(), string(c.Request().RequestURI()), t, nonce, c.Body())
		if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
			return refuse("请求签名不正确", "the request signature does not match")
		}
		fresh, err := cfg.Nonces.Remember(c.UserContext(), KeyHash(key), strings.Clone(nonce), now.Add(cfg.Window))
		if err != nil {
			return err
		}
		if !fresh {
			return refuse("重放的请求：该随机数已使用", "replayed request: the nonce was already used")
		}
		return c.Next()
	}
}

// MemoryNonces is a NonceStore for one process (and tests). It is safe for
// concurrent use; expired nonces are swept as new ones arrive.
type MemoryNonces struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	now   func() time.Time
	sweep int
}

// NewMemoryNonces returns an empty store; now is the clock (time.Now if nil).
func NewMemoryNonces(now func() time.Time) *MemoryNonces {
	if now == nil {
		now = time.Now
	}
	return &MemoryNonces{seen: map[string]time.Time{}, now: now}
}

// Remember records the nonce until expires.
func (m *MemoryNonces) Remember(_ context.Context, keyHash []byte, nonce string, expires time.Time) (bool, error) {
	k := string(keyHash) + "\x00" + nonce
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.sweep++; m.sweep >= 1024 {
		m.sweep = 0
		for k, exp := range m.seen {
			if now.After(exp) {
				delete(m.seen, k)
			}
		}
	}
	if exp, ok := m.seen[k]; ok && !now.After(exp) {
		return false, nil
	}
	m.seen[k] = expires
	return true, nil
}

// PGNonces is the NonceStore in PostgreSQL (table request_nonces), shared by all
// processes of the platform. Expired nonces are removed by Purge, which Run
// calls periodically.
type PGNonces struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewPGNonces returns the store on pool.
func NewPGNonces(pool *pgxpool.Pool, now func() time.Time) *PGNonces {
	if now == nil {
		now = time.Now
	}
	return &PGNonces{pool: pool, now: now}
}

// Remember records the nonce until expires. An expired row for the same nonce
// is taken over, so a purge that has not run yet changes nothing.
func (p *PGNonces) Remember(ctx context.Context, keyHash []byte, nonce string, expires time.Time) (bool, error) {
	tag, err := p.pool.Exec(ctx, `INSERT INTO request_nonces (key_hash, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key_hash, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE request_nonces.expires_at < $4`, keyHash, nonce, expires, p.now())
	if err != nil {
		return false, fmt.Errorf("signing: remember nonce: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Purge removes the nonces that expired before now and returns how many. An
// expired nonce refuses nothing (its timestamp is outside the window), so it
// carries no information worth keeping.
func (p *PGNonces) Purge(ctx context.Context) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM request_nonces WHERE expires_at < $1`, p.now())
	if err != nil {
		return 0, fmt.Errorf("signing: purge nonces: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DefaultPurgeEvery is how often Run purges expired nonces.
const DefaultPurgeEvery = time.Minute

// Run purges expired nonces every interval (DefaultPurgeEvery when 0) until
// ctx ends; failures are reported to onErr and retried next time.
func (p *PGNonces) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	if every <= 0 {
		every = DefaultPurgeEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := p.Purge(ctx); err != nil && ctx.Err() == nil && onErr != nil {
				onErr(err)
			}
		}
	}
}
