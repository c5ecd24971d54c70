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
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
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

// Enterprises stores companies and their exchange API keys.
type Enterprises struct {
	pool *pgxpool.Pool
}

// NewEnterprises returns the enterprise store on pool.
func NewEnterprises(pool *pgxpool.Pool) *Enterprises { return &Enterprises{pool: pool} }

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
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
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

// KeyPrefix starts every exchange API key, so a leaked key is recognisable.
const KeyPrefix = "cgk_"

// IssueKey creates a new API key for the enterprise and returns it. Only its SHA-256
// is stored: the key is shown once. Older keys stay valid until revoked, so a company
// can rotate without downtime.
func (s *Enterprises) IssueKey(ctx context.Context, code string) (string, error) {
	if _, err := s.Get(ctx, code); err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("store: key: %w", err)
	}
	key := KeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	sum := sha256.Sum256([]byte(key))
	if _, err := s.pool.Exec(ctx, `INSERT INTO enterprise_keys (id, enterprise_code, key_hash, key_prefix)
		VALUES ($1, $2, $3, $4)`, uuid.New(), code, sum[:], key[:len(KeyPrefix)+6]); err != nil {
		return "", fmt.Errorf("store: issue key: %w", err)
	}
	return key, nil
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
		return "", chemguard.Errorf(chemguard.EUnauthorized, "API 密钥无效或已吊销", "the API key is unknown or revoked")
	}
	if err != nil {
		return "", fmt.Errorf("store: authenticate: %w", err)
	}
	return code, nil
}

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
