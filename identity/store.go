package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
)

// account is a users row.
type account struct {
	User
	passwordHash string
	totpSecret   string
	totpPending  string
	totpLastStep int64
	failed       int
	lockedUntil  time.Time
	disabled     bool
}

// session is a sessions row.
type session struct {
	id        int64
	userID    int64
	created   time.Time
	lastSeen  time.Time
	expires   time.Time
	revokedAt *time.Time
}

// pgStore keeps users and sessions in PostgreSQL.
type pgStore struct {
	pool *pgxpool.Pool
}

const accountColumns = `id, username, display_name, domain, password_hash, COALESCE(totp_secret, ''),
	COALESCE(totp_pending, ''), totp_last_step, failed_logins, COALESCE(locked_until, 'epoch'), disabled_at IS NOT NULL`

func scanAccount(row pgx.Row) (account, error) {
	var a account
	err := row.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Domain, &a.passwordHash, &a.totpSecret, &a.totpPending,
		&a.totpLastStep, &a.failed, &a.lockedUntil, &a.disabled)
	a.TOTPEnrolled = a.totpSecret != ""
	return a, err
}

func (s *pgStore) accountByName(ctx context.Context, username string) (account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users WHERE username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, errNoUser
	}
	if err != nil {
		return a, fmt.Errorf("identity: get user: %w", err)
	}
	return a, nil
}

func (s *pgStore) accountByID(ctx context.Context, id int64) (account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, errNoUser
	}
	if err != nil {
		return a, fmt.Errorf("identity: get user: %w", err)
	}
	return a, nil
}

var errNoUser = chemguard.Errorf(chemguard.ENotFound, "用户不存在", "no such user")

func (s *pgStore) createAccount(ctx context.Context, a account) (int64, error) {
	var secret *string
	if a.totpSecret != "" {
		secret = &a.totpSecret
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, domain, totp_secret)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, a.Username, a.DisplayName, a.passwordHash, a.Domain, secret).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return 0, chemguard.Errorf(chemguard.EConflict, "用户名「%s」已存在", "username %q is taken", a.Username)
	}
	if err != nil {
		return 0, fmt.Errorf("identity: create user: %w", err)
	}
	return id, nil
}

// recordFailure counts a failed login; at max failures it locks the account
// until lockUntil and resets the count. It reports whether it locked.
func (s *pgStore) recordFailure(ctx context.Context, id int64, max int, lockUntil time.Time) (bool, error) {
	var locked bool
	err := s.pool.QueryRow(ctx, `UPDATE users SET
			failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
			locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
		WHERE id = $1 RETURNING failed_logins = 0`, id, max, lockUntil).Scan(&locked)
	if err != nil {
		return false, fmt.Errorf("identity: record failure: %w", err)
	}
	return locked, nil
}

func (s *pgStore) loginSucceeded(ctx context.Context, id, totpStep int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL,
		totp_last_step = GREATEST(totp_last_step, $2) WHERE id = $1`, id, totpStep); err != nil {
		return fmt.Errorf("identity: login succeeded: %w", err)
	}
	return nil
}

func (s *pgStore) unlock(ctx context.Context, id int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("identity: unlock: %w", err)
	}
	return nil
}

func (s *pgStore) setMobile(ctx context.Context, id int64, mobile string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET mobile = $2 WHERE id = $1`, id, mobile); err != nil {
		return fmt.Errorf("identity: set mobile: %w", err)
	}
	return nil
}

func (s *pgStore) setTOTPPending(ctx context.Context, id int64, secret string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET totp_pending = $2 WHERE id = $1`, id, secret); err != nil {
		return fmt.Errorf("identity: totp pending: %w", err)
	}
	return nil
}

func (s *pgStore) confirmTOTP(ctx context.Context, id, step int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET totp_secret = totp_pending, totp_pending = NULL,
		totp_last_step = $2 WHERE id = $1 AND totp_pending IS NOT NULL`, id, step); err != nil {
		return fmt.Errorf("identity: totp confirm: %w", err)
	}
	return nil
}

func (s *pgStore) createSession(ctx context.Context, hash []byte, userID int64, now, expires time.Time, ip string) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_ip)
		VALUES ($1, $2, $3, $3, $4, $5)`, hash, userID, now, expires, ip); err != nil {
		return fmt.Errorf("identity: create session: %w", err)
	}
	return nil
}

func (s *pgStore) sessionByHash(ctx context.Context, hash []byte) (session, error) {
	var se session
	err := s.pool.QueryRow(ctx, `SELECT id, user_id, created_at, last_seen_at, expires_at, revoked_at
		FROM sessions WHERE token_hash = $1`, hash).Scan(&se.id, &se.userID, &se.created, &se.lastSeen, &se.expires, &se.revokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return se, errBadToken
	}
	if err != nil {
		return se, fmt.Errorf("identity: get session: %w", err)
	}
	return se, nil
}

func (s *pgStore) touchSession(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`, id, now); err != nil {
		return fmt.Errorf("identity: touch session: %w", err)
	}
	return nil
}

func (s *pgStore) revokeSession(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, now); err != nil {
		return fmt.Errorf("identity: revoke session: %w", err)
	}
	return nil
}

func (s *pgStore) revokeUserSessions(ctx context.Context, userID int64, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now); err != nil {
		return fmt.Errorf("identity: revoke sessions: %w", err)
	}
	return nil
}

// enterpriseExists reports whether the company code is registered.
func (s *pgStore) enterpriseExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enterprises WHERE code = $1)`, code).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("identity: enterprise exists: %w", err)
	}
	return ok, nil
}

// parkExists reports whether the park code is registered.
func (s *pgStore) parkExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM parks WHERE code = $1)`, code).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("identity: park exists: %w", err)
	}
	return ok, nil
}

func (s *pgStore) setPassword(ctx context.Context, id int64, hash string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL
		WHERE id = $1`, id, hash); err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	return nil
}
