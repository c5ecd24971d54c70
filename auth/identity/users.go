package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Account is a user as an administrator sees it in a list: no secrets.
type Account struct {
	User
	LockedUntil time.Time // zero when not locked
	Disabled    bool
	CreatedAt   time.Time
	Mobile      string // where warning SMS go (SetMobile), masked (138****1234); "" when none
}

// Locked reports whether the account is locked at now.
func (a Account) Locked(now time.Time) bool { return now.Before(a.LockedUntil) }

// UserFilter selects accounts for Users.
type UserFilter struct {
	// Region limits the list to accounts whose domain lies within it: a division
	// code reaches itself, the divisions under it, their parks and their
	// enterprises; "park:CODE" the park and its enterprises; the province all.
	Region string
	Q      string // part of the username or display name; "" for all
	Offset int
	Limit  int // 1–500; 0 means 20
}

// regionCodes returns the division codes a region reaches and whether it is
// the whole province.
func regionCodes(region string) (codes []string, all bool) {
	d, ok := tiers.DivisionByCode(region)
	if !ok {
		return nil, false
	}
	if d.Level == tiers.Province {
		return nil, true
	}
	codes = []string{d.Code}
	for _, c := range tiers.Children(d.Code) {
		codes = append(codes, c.Code)
	}
	return codes, false
}

// Users returns a page of the accounts within f.Region, in username order, with
// their roles, and how many match. The region filter applies in SQL; an empty or
// unknown region matches nothing.
func (s *Service) Users(ctx context.Context, f UserFilter) ([]Account, int, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	codes, all := regionCodes(f.Region)
	park := ""
	if strings.HasPrefix(f.Region, "park:") {
		park = strings.TrimPrefix(f.Region, "park:")
	}
	if codes == nil && !all && park == "" {
		return nil, 0, nil
	}
	q := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Q) + "%"
	cond := `($1 OR u.domain = ANY($2::text[])
		OR (u.domain LIKE 'park:%' AND substr(u.domain, 6) IN (SELECT code FROM parks WHERE division_code = ANY($2::text[])))
		OR (u.domain LIKE 'ent:%' AND substr(u.domain, 5) IN (SELECT code FROM enterprises WHERE division_code = ANY($2::text[])))
		OR ($3 <> '' AND (u.domain = 'park:' || $3
			OR (u.domain LIKE 'ent:%' AND substr(u.domain, 5) IN (SELECT code FROM enterprises WHERE park_code = $3)))))
		AND ($4 = '%%' OR u.username ILIKE $4 OR u.display_name ILIKE $4)`
	args := []any{all, codes, park, q}
	var total int
	if err := s.store.pool.QueryRow(ctx, `SELECT count(*) FROM users u WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("identity: count users: %w", err)
	}
	rows, err := s.store.pool.Query(ctx, `SELECT u.id, u.username, u.display_name, u.domain, u.totp_secret IS NOT NULL,
		COALESCE(u.locked_until, 'epoch'), u.disabled_at IS NOT NULL, u.created_at
		FROM users u WHERE `+cond+` ORDER BY u.username LIMIT $5 OFFSET $6`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("identity: users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		var a Account
		err := r.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Domain, &a.TOTPEnrolled, &a.LockedUntil, &a.Disabled, &a.CreatedAt)
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("identity: users: %w", err)
	}
	for i := range out {
		out[i].Roles = s.authz.RolesOf(out[i].Subject(), out[i].Domain)
	}
	return out, total, nil
}

// Account returns the account named username for an administrator's view,
// with what it must do at its next login (MustChangePassword, MustEnrolTOTP).
func (s *Service) Account(ctx context.Context, username string) (Account, error) {
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return Account{}, err
	}
	out := Account{User: s.pending(a, s.authz.RolesOf(a.Subject(), a.Domain), s.clock.Now()),
		LockedUntil: a.lockedUntil, Disabled: a.disabled}
	if err := s.store.pool.QueryRow(ctx, `SELECT created_at, COALESCE(mobile, '') FROM users WHERE id = $1`,
		a.ID).Scan(&out.CreatedAt, &out.Mobile); err != nil {
		return Account{}, fmt.Errorf("identity: account: %w", err)
	}
	// Stored sealed: an administrator sees it masked, like any list.
	if sealed.IsSealed(out.Mobile) {
		out.Mobile = sealed.Display(out.Mobile)
	} else if out.Mobile != "" {
		out.Mobile = sealed.MaskMobile(out.Mobile) // not yet sealed by store.SealPersonalData
	}
	return out, nil
}

// ResetPassword sets a new password for username (the 安全管理员's action): it
// checks the password's strength, clears a lockout and ends the account's
// sessions, so whoever held the old password is logged out at once. The owner
// must change it at the next login, so the administrator who typed it does not
// keep a working password of the account. It is audited with actor.
func (s *Service) ResetPassword(ctx context.Context, username, password string, actor Actor) error {
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return err
	}
	if err := CheckPasswordFor(username, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := s.store.setPassword(ctx, a.ID, hash, now, true); err != nil {
		return err
	}
	if err := s.store.revokeUserSessions(ctx, a.ID, now, "password_reset", 0); err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: audit.ActionPasswordReset, Object: "user:" + username, Result: audit.ResultOK})
}
