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
	// passwordChanged is when the password was last set; mustChange that an
	// administrator set it, so its owner must replace it at the next login.
	passwordChanged time.Time
	mustChange      bool
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

// accountColumns are an account's columns of users, named u in every query.
const accountColumns = `u.id, u.username, u.display_name, u.domain, u.password_hash, COALESCE(u.totp_secret, ''),
	COALESCE(u.totp_pending, ''), u.totp_last_step, u.failed_logins, COALESCE(u.locked_until, 'epoch'),
	u.disabled_at IS NOT NULL, u.password_changed_at, u.must_change_password`

// scanTargets are where accountColumns are read into, in their order.
func (a *account) scanTargets() []any {
	return []any{&a.ID, &a.Username, &a.DisplayName, &a.Domain, &a.passwordHash, &a.totpSecret, &a.totpPending,
		&a.totpLastStep, &a.failed, &a.lockedUntil, &a.disabled, &a.passwordChanged, &a.mustChange}
}

func scanAccount(row pgx.Row) (account, error) {
	var a account
	err := row.Scan(a.scanTargets()...)
	a.TOTPEnrolled = a.totpSecret != ""
	return a, err
}

func (s *pgStore) accountByName(ctx context.Context, username string) (account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users u WHERE u.username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, errNoUser
	}
	if err != nil {
		return a, fmt.Errorf("identity: get user: %w", err)
	}
	return a, nil
}

func (s *pgStore) accountByID(ctx context.Context, id int64) (account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users u WHERE u.id = $1`, id))
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
	err := s.pool.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, domain, totp_secret,
		must_change_password, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.Username, a.DisplayName, a.passwordHash, a.Domain, secret, a.mustChange, a.passwordChanged).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return 0, chemguard.Errorf(chemguard.EConflict, "用户名「%s」已存在", "username %q is taken", a.Username)
	}
	if err != nil {
		return 0, fmt.Errorf("identity: create user: %w", err)
	}
	return id, nil
}

// beginAttempt counts one try at the account's credentials before they are
// checked, in one statement (the row lock serialises parallel tries): the try
// is admitted unless the account is disabled or locked at now, and counted as
// a failure until attemptSucceeded clears it. The try that brings the count to
// max locks the account until lockUntil at once, so no parallel try gets past
// it; if that try succeeds, attemptSucceeded unlocks. A lock that has run out
// starts the count again. It returns the count after this try.
func (s *pgStore) beginAttempt(ctx context.Context, id int64, now time.Time, max int, lockUntil time.Time) (int, bool, error) {
	var n int
	// One UPDATE: a parallel try waits for the row lock and then re-reads the
	// row it updated, so every try sees the count of the ones before it.
	err := s.pool.QueryRow(ctx, `UPDATE users SET
			failed_logins = CASE WHEN locked_until <= $2::timestamptz THEN 1 ELSE failed_logins + 1 END,
			locked_until = CASE WHEN (CASE WHEN locked_until <= $2 THEN 1 ELSE failed_logins + 1 END) >= $3
				THEN $4::timestamptz ELSE NULL END
		WHERE id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)
		RETURNING failed_logins`, id, now, max, lockUntil).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("identity: begin attempt: %w", err)
	}
	return n, true, nil
}

// attemptSucceeded clears the failure count and any lock, and claims totpStep
// (when not 0) as the last accepted code; it reports false, changing nothing,
// when that step was already claimed (a code replayed in parallel).
func (s *pgStore) attemptSucceeded(ctx context.Context, id, totpStep int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL,
		totp_last_step = GREATEST(totp_last_step, $2) WHERE id = $1 AND ($2 = 0 OR totp_last_step < $2)`, id, totpStep)
	if err != nil {
		return false, fmt.Errorf("identity: attempt succeeded: %w", err)
	}
	return tag.RowsAffected() == 1, nil
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

// createSession stores a new session and ends the account's oldest open ones
// beyond max, in one transaction that locks the account's row so parallel
// logins cannot together exceed max. It returns how many it ended.
func (s *pgStore) createSession(ctx context.Context, hash []byte, userID int64, now, expires time.Time, ip string, max int) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("identity: create session: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID); err != nil {
		return 0, fmt.Errorf("identity: create session: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_ip)
		VALUES ($1, $2, $3, $3, $4, $5)`, hash, userID, now, expires, ip); err != nil {
		return 0, fmt.Errorf("identity: create session: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2, end_reason = 'session_limit'
		WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
			ORDER BY created_at DESC, id DESC OFFSET $3)`, userID, now, max)
	if err != nil {
		return 0, fmt.Errorf("identity: create session: limit: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("identity: create session: commit: %w", err)
	}
	return tag.RowsAffected(), nil
}

// purgeSessions marks ended (never deletes) the open sessions past their
// absolute lifetime or idle since before idleSince, and returns how many.
func (s *pgStore) purgeSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $1, end_reason = 'expired'
		WHERE revoked_at IS NULL AND (expires_at <= $1 OR last_seen_at < $2)`, now, idleSince)
	if err != nil {
		return 0, fmt.Errorf("identity: purge sessions: %w", err)
	}
	return tag.RowsAffected(), nil
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

// sessionWithAccount is sessionByHash and accountByID of its user in one round trip:
// every authenticated request starts with both, and under load each round trip waits
// for a core (docs/performance.md, "The tick's leak model and one round trip to
// authenticate").
func (s *pgStore) sessionWithAccount(ctx context.Context, hash []byte) (session, account, error) {
	var se session
	var a account
	err := s.pool.QueryRow(ctx, `SELECT se.id, se.user_id, se.created_at, se.last_seen_at, se.expires_at, se.revoked_at, `+
		accountColumns+` FROM sessions se JOIN users u ON u.id = se.user_id WHERE se.token_hash = $1`, hash).Scan(
		append([]any{&se.id, &se.userID, &se.created, &se.lastSeen, &se.expires, &se.revokedAt}, a.scanTargets()...)...)
	a.TOTPEnrolled = a.totpSecret != ""
	if errors.Is(err, pgx.ErrNoRows) {
		return se, a, errBadToken // users are never deleted: no row is an unknown token
	}
	if err != nil {
		return se, a, fmt.Errorf("identity: get session: %w", err)
	}
	return se, a, nil
}

func (s *pgStore) touchSession(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`, id, now); err != nil {
		return fmt.Errorf("identity: touch session: %w", err)
	}
	return nil
}

func (s *pgStore) revokeSession(ctx context.Context, id int64, now time.Time, reason string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $2, end_reason = $3 WHERE id = $1 AND revoked_at IS NULL`,
		id, now, reason); err != nil {
		return fmt.Errorf("identity: revoke session: %w", err)
	}
	return nil
}

// revokeUserSessions ends the account's open sessions except keep (0 for none).
func (s *pgStore) revokeUserSessions(ctx context.Context, userID int64, now time.Time, reason string, keep int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $2, end_reason = $3
		WHERE user_id = $1 AND revoked_at IS NULL AND id <> $4`, userID, now, reason, keep); err != nil {
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

// setPassword stores a new password hash set at now; mustChange says its owner
// must replace it at the next login (an administrator set it). It clears a
// lockout.
func (s *pgStore) setPassword(ctx context.Context, id int64, hash string, now time.Time, mustChange bool) error {
	if _, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL,
		password_changed_at = $3, must_change_password = $4 WHERE id = $1`, id, hash, now, mustChange); err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	return nil
}

// setDisabled disables (at now) or re-enables the account; nothing is deleted.
// It reports whether the state changed.
func (s *pgStore) setDisabled(ctx context.Context, id int64, disabled bool, now time.Time) (bool, error) {
	q := `UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL`
	args := []any{id, now}
	if !disabled {
		q, args = `UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = NULL WHERE id = $1 AND disabled_at IS NOT NULL`, []any{id}
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("identity: set disabled: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
