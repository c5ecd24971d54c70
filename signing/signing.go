// Package signing owns the optional HMAC-SHA256 signing of enterprise API
// requests: a signature over method, path, timestamp, nonce and body digest,
// valid for a 5-minute window, each nonce accepted once. A province can make it
// mandatory (CHEMGUARD_REQUIRE_SIGNING). The HMAC key is the SHA-256 of the
// enterprise's API key, which both sides can compute while the platform stores
// only that digest.
package signing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
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

// Config configures the Middleware.
type Config struct {
	Required bool          // refuse unsigned requests (CHEMGUARD_REQUIRE_SIGNING)
	Window   time.Duration // DefaultWindow when zero
	Nonces   NonceStore    // required
	Now      func() time.Time
}

// Key is the HMAC key for an API key: SHA-256 of it.
func Key(apiKey string) []byte {
	sum := sha256.Sum256([]byte(apiKey))
	return sum[:]
}

// Canonical is the string signed: method, path with query as sent, timestamp,
// nonce and the hex SHA-256 of the body, separated by newlines.
func Canonical(method, path string, ts int64, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{strings.ToUpper(method), path, strconv.FormatInt(ts, 10), nonce, hex.EncodeToString(sum[:])}, "\n")
}

// Sign returns the signature header value of a request made with apiKey.
func Sign(apiKey, method, path string, ts int64, nonce string, body []byte) string {
	m := hmac.New(sha256.New, Key(apiKey))
	m.Write([]byte(Canonical(method, path, ts, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

func refuse(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: zh, MessageEN: en}
}

// Middleware verifies signed requests. A request without the three headers
// passes unless cfg.Required; one with them must carry a valid signature by the
// bearer key, a timestamp within the window and a nonce not seen before.
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
		want := Sign(key, c.Method(), string(c.Request().RequestURI()), t, nonce, c.Body())
		if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
			return refuse("请求签名不正确", "the request signature does not match")
		}
		fresh, err := cfg.Nonces.Remember(c.UserContext(), Key(key), strings.Clone(nonce), now.Add(cfg.Window))
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
// processes of the platform. Expired nonces are purged as new ones arrive.
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

// Remember records the nonce until expires.
func (p *PGNonces) Remember(ctx context.Context, keyHash []byte, nonce string, expires time.Time) (bool, error) {
	now := p.now()
	var fresh bool
	err := p.pool.QueryRow(ctx, `WITH purge AS (
			DELETE FROM request_nonces WHERE key_hash = $1 AND expires_at < $4
		)
		INSERT INTO request_nonces (key_hash, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (key_hash, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE request_nonces.expires_at < $4
		RETURNING true`, keyHash, nonce, expires, now).Scan(&fresh)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("signing: remember nonce: %w", err)
	}
	return fresh, nil
}
