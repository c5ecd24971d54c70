package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Enterprise is a registered company or gas station.
type Enterprise struct {
	Code         string
	Name         string
	DivisionCode string // GB/T 2260 county
	ParkCode     string
	Kind         string
}

// EnterpriseKinds are the kinds an enterprise is registered as (Kind may also
// be "", not stated).
var EnterpriseKinds = []string{"生产", "经营", "使用", "加油站"}

// Enterprises stores companies and their exchange API keys with the keys'
// signing secrets, sealed under the data key.
type Enterprises struct {
	pool *pgxpool.Pool
	box  *sealed.Box
}

// NewEnterprises returns the enterprise store on pool, sealing signing secrets
// with a key of its own: secrets it issues verify only through this value. For
// callers that register companies or use keys unsigned (tests); the platform
// uses NewSealedEnterprises.
func NewEnterprises(pool *pgxpool.Pool) *Enterprises {
	box, err := sealed.NewBox(sealed.NewRandomKey())
	if err != nil {
		panic(err) // a fresh key always has the right size
	}
	return &Enterprises{pool: pool, box: box}
}

// NewSealedEnterprises returns the enterprise store on pool with signing
// secrets sealed by box (the data key, CHEMGUARD_DATA_KEY).
func NewSealedEnterprises(pool *pgxpool.Pool, box *sealed.Box) *Enterprises {
	return &Enterprises{pool: pool, box: box}
}

// Add registers e. A malformed company or park code is invalid
// (tiers.CheckCompanyCode: every way in — API, portal, command line — ends
// here), a code already registered is a conflict.
func (s *Enterprises) Add(ctx context.Context, e Enterprise) error {
	if err := tiers.CheckCompanyCode(e.Code); err != nil {
		return err
	}
	if e.ParkCode != "" {
		if err := tiers.CheckParkCode(e.ParkCode); err != nil {
			return err
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code, park_code, kind)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5)`, e.Code, e.Name, e.DivisionCode, e.ParkCode, e.Kind)
	if uniqueViolation(err) {
		return chemguard.Errorf(chemguard.EConflict, "企业编码「%s」已注册", "enterprise %q is already registered", e.Code)
	}
	if err != nil {
		return fmt.Errorf("store: add enterprise: %w", err)
	}
	return nil
}

// Get returns one enterprise.
func (s *Enterprises) Get(ctx context.Context, code string) (Enterprise, error) {
	var e Enterprise
	var park *string
	err := s.pool.QueryRow(ctx, `SELECT code, name, division_code, park_code, kind FROM enterprises WHERE code = $1`, code).
		Scan(&e.Code, &e.Name, &e.DivisionCode, &park, &e.Kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, chemguard.Errorf(chemguard.ENotFound, "企业「%s」未注册", "enterprise %q is not registered", code)
	}
	if park != nil {
		e.ParkCode = *park
	}
	if err != nil {
		return e, fmt.Errorf("store: get enterprise: %w", err)
	}
	return e, nil
}

// KeyPrefix starts every exchange API key and SecretPrefix every signing
// secret, so a leaked one is recognisable and the two are not confused.
const (
	KeyPrefix    = "cgk_"
	SecretPrefix = "cgh_" // h: the HMAC signing secret; cgs_ is a session token
)

// Credentials are what a company receives when a key is issued, shown once:
// the bearer API key it sends with every request and the signing secret it
// keeps to sign them and never sends.
type Credentials struct {
	Key           string
	SigningSecret string
}

// signingSecretColumn binds sealed secrets to their column.
const signingSecretColumn = "enterprise_keys.signing_secret"

func randomToken(prefix string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)), nil
}

// IssueCredentials creates a new API key and an independent signing secret for
// the enterprise. The key is stored as its SHA-256 only; the secret must be
// read back to verify signatures, so it is stored sealed (AES-GCM under the
// data key, which the database does not hold). Both are returned once. Older
// keys stay valid until revoked, so a company can rotate without downtime.
func (s *Enterprises) IssueCredentials(ctx context.Context, code string) (Credentials, error) {
	if _, err := s.Get(ctx, code); err != nil {
		return Credentials{}, err
	}
	var c Credentials
	var err error
	if c.Key, err = randomToken(KeyPrefix); err != nil {
		return c, fmt.Errorf("store: key: %w", err)
	}
	if c.SigningSecret, err = randomToken(SecretPrefix); err != nil {
		return c, fmt.Errorf("store: signing secret: %w", err)
	}
	sealedSecret, err := s.box.Seal(signingSecretColumn, c.SigningSecret)
	if err != nil {
		return c, fmt.Errorf("store: seal signing secret: %w", err)
	}
	sum := sha256.Sum256([]byte(c.Key))
	if _, err := s.pool.Exec(ctx, `INSERT INTO enterprise_keys (id, enterprise_code, key_hash, key_prefix, signing_secret)
		VALUES ($1, $2, $3, $4, $5)`, uuid.New(), code, sum[:], c.Key[:len(KeyPrefix)+6], sealedSecret); err != nil {
		return c, fmt.Errorf("store: issue key: %w", err)
	}
	return c, nil
}

// IssueKey is IssueCredentials for callers that never sign (the benchmark,
// tests of unsigned exchange): it returns the API key only.
func (s *Enterprises) IssueKey(ctx context.Context, code string) (string, error) {
	c, err := s.IssueCredentials(ctx, code)
	return c.Key, err
}

// SetDisabled disables the enterprise (its keys stop authenticating, the
// governance consumer stops counting it; nothing is deleted) or, with disabled
// false, enables it again. It reports whether the state changed; an unknown
// code is not found.
func (s *Enterprises) SetDisabled(ctx context.Context, code string, disabled bool) (bool, error) {
	var changed bool
	err := s.pool.QueryRow(ctx, `WITH old AS (SELECT disabled_at IS NOT NULL AS was FROM enterprises WHERE code = $1 FOR UPDATE)
		UPDATE enterprises e SET disabled_at = CASE WHEN $2 THEN COALESCE(e.disabled_at, now()) END
		FROM old WHERE e.code = $1 RETURNING old.was <> $2`, code, disabled).Scan(&changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, chemguard.Errorf(chemguard.ENotFound, "企业「%s」未注册", "enterprise %q is not registered", code)
	}
	if err != nil {
		return false, fmt.Errorf("store: set enterprise disabled: %w", err)
	}
	return changed, nil
}

// RevokeKeys revokes every active key of the enterprise except keep (may be "") and
// returns how many were revoked. Keys are marked, not deleted.
func (s *Enterprises) RevokeKeys(ctx context.Context, code, keep string) (int64, error) {
	var keepHash []byte
	if keep != "" {
		sum := sha256.Sum256([]byte(keep))
		keepHash = sum[:]
	}
	tag, err := s.pool.Exec(ctx, `UPDATE enterprise_keys SET revoked_at = now()
		WHERE enterprise_code = $1 AND revoked_at IS NULL AND ($2::bytea IS NULL OR key_hash <> $2)`, code, keepHash)
	if err != nil {
		return 0, fmt.Errorf("store: revoke keys: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Authenticate returns the enterprise code an active key belongs to.
func (s *Enterprises) Authenticate(ctx context.Context, key string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	var code string
	err := s.pool.QueryRow(ctx, `SELECT k.enterprise_code FROM enterprise_keys k
		JOIN enterprises e ON e.code = k.enterprise_code
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND e.disabled_at IS NULL`, sum[:]).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errUnknownKey
	}
	if err != nil {
		return "", fmt.Errorf("store: authenticate: %w", err)
	}
	return code, nil
}

// SigningSecret returns the company and the signing secret of an active key.
// An unknown, revoked or disabled company's key is a chemguard.EUnauthorized
// error; a key issued before signing secrets existed has a nil secret.
func (s *Enterprises) SigningSecret(ctx context.Context, key string) (string, []byte, error) {
	sum := sha256.Sum256([]byte(key))
	var code, stored string
	err := s.pool.QueryRow(ctx, `SELECT k.enterprise_code, k.signing_secret FROM enterprise_keys k
		JOIN enterprises e ON e.code = k.enterprise_code
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND e.disabled_at IS NULL`, sum[:]).Scan(&code, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, errUnknownKey
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: signing secret: %w", err)
	}
	if stored == "" {
		return code, nil, nil
	}
	secret, err := s.box.Open(signingSecretColumn, stored)
	if err != nil {
		return "", nil, fmt.Errorf("store: open signing secret of %s: %w", code, err)
	}
	return code, []byte(secret), nil
}

var errUnknownKey = chemguard.Errorf(chemguard.EUnauthorized, "API 密钥无效或已吊销", "the API key is unknown or revoked")

// Key is an issued API key as a list shows it: never the key itself.
type Key struct {
	Prefix    string // the key's first characters
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Keys returns the enterprise's keys, newest first.
func (s *Enterprises) Keys(ctx context.Context, code string) ([]Key, error) {
	rows, err := s.pool.Query(ctx, `SELECT key_prefix, created_at, revoked_at FROM enterprise_keys
		WHERE enterprise_code = $1 ORDER BY created_at DESC, id LIMIT 200`, code)
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Key, error) {
		var k Key
		return k, r.Scan(&k.Prefix, &k.CreatedAt, &k.RevokedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	return out, nil
}
