// Package identity owns who a caller is: portal users and service accounts,
// their argon2id passwords, TOTP second factors, login with lockout, and
// sessions with idle and absolute timeouts. Tokens are random, shown once and
// stored only as SHA-256. Roles come from the tiers authorizer; every login,
// logout, failure and lockout is recorded in the audit log.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
)

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Config holds the login and session rules. Zero fields take the defaults, which
// are what GB/T 22239 level 3 asks.
type Config struct {
	MaxFailures      int           // failed logins before lockout (5)
	LockoutDuration  time.Duration // CHEMGUARD_LOCKOUT (30m)
	IdleTimeout      time.Duration // CHEMGUARD_SESSION_IDLE (30m)
	AbsoluteLifetime time.Duration // CHEMGUARD_SESSION_MAX (12h)
	// MaxSessions is how many sessions one account may have open at once; a
	// login beyond it ends the oldest (CHEMGUARD_MAX_SESSIONS, 3).
	MaxSessions int
	// AdminPasswordMaxAge is how long an administrator's password lasts; an
	// older one must be changed before anything else
	// (CHEMGUARD_ADMIN_PASSWORD_MAX_AGE, 90 days).
	AdminPasswordMaxAge time.Duration
	// PurgeEvery is how often sessions past their lifetime or idle window are
	// marked ended (CHEMGUARD_SESSION_PURGE, 10m).
	PurgeEvery time.Duration
	// Mobiles seals the mobile numbers of accounts (personal data) under the
	// data key; access sets it from CHEMGUARD_DATA_KEY.
	Mobiles *sealed.Box
}

// Defaults for Config.
const (
	DefaultMaxFailures         = 5
	DefaultLockoutDuration     = 30 * time.Minute
	DefaultIdleTimeout         = 30 * time.Minute
	DefaultAbsoluteLifetime    = 12 * time.Hour
	DefaultMaxSessions         = 3
	DefaultAdminPasswordMaxAge = 90 * 24 * time.Hour
	DefaultPurgeEvery          = 10 * time.Minute
)

func (c *Config) defaults() {
	chemguard.Default(&c.MaxFailures, DefaultMaxFailures)
	chemguard.Default(&c.LockoutDuration, DefaultLockoutDuration)
	chemguard.Default(&c.IdleTimeout, DefaultIdleTimeout)
	chemguard.Default(&c.AbsoluteLifetime, DefaultAbsoluteLifetime)
	chemguard.Default(&c.MaxSessions, DefaultMaxSessions)
	chemguard.Default(&c.AdminPasswordMaxAge, DefaultAdminPasswordMaxAge)
	chemguard.Default(&c.PurgeEvery, DefaultPurgeEvery)
}

// User is an authenticated caller.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Domain       string        // where the user's roles are granted: division code, park:CODE or ent:CODE
	Roles        []policy.Role // roles held in Domain
	TOTPEnrolled bool
	// MustChangePassword and MustEnrolTOTP are what the account must do before
	// anything else: its password expired or was set by an administrator, or
	// its role needs a second factor it has not enrolled. Until then only the
	// routes that do it (AllowPending) accept the session.
	MustChangePassword bool
	MustEnrolTOTP      bool
}

// Pending reports whether the account must change its password or enrol a
// second factor before doing anything else.
func (u *User) Pending() bool { return u.MustChangePassword || u.MustEnrolTOTP }

// Subject is the user's casbin subject.
func (u *User) Subject() string { return policy.UserSubject(u.ID) }

// RoleNames returns the roles comma-separated, for the audit log.
func (u *User) RoleNames() string {
	s := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// Service logs users in and out and resolves session tokens. It is safe for
// concurrent use.
type Service struct {
	cfg   Config
	store *pgStore
	authz *policy.Authorizer
	audit audit.Recorder
	clock Clock
}

// NewService returns the identity service on pool.
func NewService(cfg Config, pool *pgxpool.Pool, authz *policy.Authorizer, rec audit.Recorder, clock Clock) *Service {
	cfg.defaults()
	if clock == nil {
		clock = SystemClock{}
	}
	return &Service{cfg: cfg, store: &pgStore{pool: pool}, authz: authz, audit: rec, clock: clock}
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Session is an issued login.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"` // absolute end; idle for IdleTimeout ends it sooner
	// Lifetime is ExpiresAt less the instant of login: the cookie's Max-Age, which
	// a browser counts on its own clock, so a phone or PC whose clock is off by
	// hours keeps the session its lifetime instead of dropping it as expired.
	Lifetime time.Duration `json:"-"`
	User     *User         `json:"-"`
}

// TokenPrefix starts every session token.
const TokenPrefix = "cgs_"

var (
	errBadCredentials = chemguard.Errorf(chemguard.EUnauthorized, "用户名、密码或动态口令错误", "wrong username, password or one-time code")
	errBadToken       = chemguard.Errorf(chemguard.EUnauthorized, "登录已失效，请重新登录", "the session is unknown, expired or revoked; log in again")
)

// Login checks username, password and (when the account has a second factor
// and its roles need it, or it is offered) the TOTP code, and issues a new
// session token.
//
// Every refusal - unknown name, disabled or locked account, wrong password,
// missing or wrong code - is the same unauthorized error and costs one argon2
// verification, so the answer tells an attacker nothing about the account
// (in particular not that the password was right and only the code is missing).
// Each attempt is counted in the database before the password is looked at
// (beginAttempt), so parallel attempts cannot exceed MaxFailures checks; the
// attempt that reaches MaxFailures locks the account for LockoutDuration unless
// it succeeds. A role that needs a second factor the account has not enrolled
// gets a session that can only enrol one (MustEnrolTOTP). Every outcome is audited.
func (s *Service) Login(ctx context.Context, username, password, otp, ip string) (*Session, error) {
	now := s.clock.Now()
	ev := audit.Event{Actor: username, ClientIP: ip, Action: audit.ActionLogin, Object: "user:" + username}
	fail := func(reason string) (*Session, error) {
		ev.Action, ev.Result, ev.Detail = audit.ActionLoginFailed, audit.ResultFailed, map[string]string{"reason": reason}
		if err := s.audit.Record(ctx, ev); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	a, err := s.store.accountByName(ctx, username)
	if errors.Is(err, errNoUser) {
		_, _ = VerifyPassword(dummyHash, password)
		return fail("unknown_user")
	}
	if err != nil {
		return nil, err
	}
	a.Roles = s.authz.RolesOf(a.Subject(), a.Domain)
	// An enrolled second factor is checked when the role needs it, and when
	// offered even if not.
	wantOTP := a.totpSecret != "" && (s.authz.MFARequired(a.Roles) || otp != "")
	step, reason, err := s.attempt(ctx, a, password, otp, wantOTP, ip, now)
	if err != nil {
		return nil, err
	}
	ev.ActorRole = a.RoleNames()
	if reason != "" {
		return fail(reason)
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	expires := now.Add(s.cfg.AbsoluteLifetime)
	ended, err := s.store.createSession(ctx, hash, a.ID, now, expires, ip, s.cfg.MaxSessions)
	if err != nil {
		return nil, err
	}
	u := s.pending(a, a.Roles, now)
	ev.Result = audit.ResultOK
	ev.Detail = map[string]any{"second_factor": step != 0, "sessions_ended": ended,
		"must_change_password": u.MustChangePassword, "must_enrol_totp": u.MustEnrolTOTP}
	if err := s.audit.Record(ctx, ev); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, Lifetime: s.cfg.AbsoluteLifetime, User: &u}, nil
}

// attempt is one try at a's credentials, however it is made (login, changing
// the password, replacing the authenticator). It counts the try in the
// database before looking at the password (beginAttempt: at most MaxFailures
// tries are ever checked, however many arrive in parallel), then checks the
// password and, if wantOTP, the code. Success resets the count and claims the
// code's 30-second step (a code works once, even in parallel). It returns the
// claimed step, and the failure's reason ("" on success); a locked or disabled
// account costs the same argon2 verification as any other. The try that locks
// the account records the lockout.
func (s *Service) attempt(ctx context.Context, a account, password, otp string, wantOTP bool, ip string, now time.Time) (int64, string, error) {
	failures, admitted, err := s.store.beginAttempt(ctx, a.ID, now, s.cfg.MaxFailures, now.Add(s.cfg.LockoutDuration))
	if err != nil {
		return 0, "", err
	}
	if !admitted {
		_, _ = VerifyPassword(dummyHash, password)
		if a.disabled {
			return 0, "disabled", nil
		}
		return 0, "locked", nil
	}
	ok, err := VerifyPassword(a.passwordHash, password)
	if err != nil {
		return 0, "", err
	}
	var step int64
	reason := "bad_password"
	if ok && wantOTP {
		step = checkTOTP(a.totpSecret, otp, now, a.totpLastStep)
		ok, reason = step != 0, "bad_totp"
		if otp == "" {
			reason = "totp_missing"
		}
	}
	if ok {
		if ok, err = s.store.attemptSucceeded(ctx, a.ID, step); err != nil {
			return 0, "", err
		}
		reason = "totp_replayed"
	}
	if ok {
		return step, "", nil
	}
	if failures >= s.cfg.MaxFailures {
		if err := s.audit.Record(ctx, audit.Event{Actor: a.Username, ActorRole: a.RoleNames(), ClientIP: ip,
			Action: audit.ActionLockout, Object: "user:" + a.Username, Result: audit.ResultDenied,
			Detail: map[string]any{"until": now.Add(s.cfg.LockoutDuration), "failures": failures}}); err != nil {
			return 0, "", err
		}
	}
	return 0, reason, nil
}

// pending returns a's user with roles and what it must do before anything else.
func (s *Service) pending(a account, roles []policy.Role, now time.Time) User {
	u := a.User
	u.Roles = roles
	u.MustEnrolTOTP = a.totpSecret == "" && s.authz.MFARequired(roles)
	u.MustChangePassword = a.mustChange ||
		(slices.ContainsFunc(roles, policy.Role.IsSeparatedAdmin) && now.Sub(a.passwordChanged) >= s.cfg.AdminPasswordMaxAge)
	return u
}

func newToken() (string, []byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("identity: token: %w", err)
	}
	tok := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	return tok, hashToken(tok), nil
}

func hashToken(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

// touchEvery limits last-seen writes to one a minute per session.
const touchEvery = time.Minute

type passiveKey struct{}

// Passive marks ctx as a request the user did not make (a page's background
// live updates): Authenticate checks the session but does not extend its idle
// window, so a screen left open still idles out.
func Passive(ctx context.Context) context.Context { return context.WithValue(ctx, passiveKey{}, true) }

type allowPendingKey struct{}

// AllowPending marks ctx as a request that does what a pending account must do
// first (change its password, enrol a second factor, see itself, log out):
// Authenticate accepts such an account's session for it.
func AllowPending(ctx context.Context) context.Context {
	return context.WithValue(ctx, allowPendingKey{}, true)
}

// ErrPending is the forbidden error for a session whose account must first
// change its password or enrol a second factor; its Details say which.
var ErrPending = errors.New("identity: the account must change its password or enrol a second factor first")

func pendingError(u *User) error {
	zh, en := "请先修改密码", "change your password first"
	if u.MustEnrolTOTP {
		zh, en = "请先绑定动态口令（TOTP）", "enrol a TOTP authenticator first"
		if u.MustChangePassword {
			zh, en = "请先修改密码并绑定动态口令（TOTP）", "change your password and enrol a TOTP authenticator first"
		}
	}
	return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: zh, MessageEN: en, Err: ErrPending,
		Details: map[string]any{"must_change_password": u.MustChangePassword, "must_enrol_totp": u.MustEnrolTOTP}}
}

// Authenticate resolves a session token to its user, refusing tokens that are
// unknown, revoked, past their absolute lifetime or idle longer than
// IdleTimeout, and those of disabled or locked accounts. A session whose
// account must change its password or enrol a second factor is refused with
// ErrPending unless ctx is AllowPending. It extends the idle window unless ctx
// is Passive.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, errBadToken
	}
	now := s.clock.Now()
	se, a, err := s.store.sessionWithAccount(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	if se.revokedAt != nil || !now.Before(se.expires) || now.Sub(se.lastSeen) > s.cfg.IdleTimeout {
		return nil, errBadToken
	}
	if a.disabled || now.Before(a.lockedUntil) {
		return nil, errBadToken
	}
	u := s.pending(a, s.authz.RolesOf(a.Subject(), a.Domain), now)
	if u.Pending() && ctx.Value(allowPendingKey{}) == nil {
		return nil, pendingError(&u)
	}
	if now.Sub(se.lastSeen) >= touchEvery && ctx.Value(passiveKey{}) == nil {
		if err := s.store.touchSession(ctx, se.id, now); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

// Logout revokes the session of token; the token stops working at once. It is
// audited; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token, ip string) error {
	se, err := s.store.sessionByHash(ctx, hashToken(token))
	if errors.Is(err, errBadToken) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.store.revokeSession(ctx, se.id, s.clock.Now(), "logout"); err != nil {
		return err
	}
	a, err := s.store.accountByID(ctx, se.userID)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Event{Actor: a.Username, ClientIP: ip, Action: audit.ActionLogout,
		Object: "user:" + a.Username, Result: audit.ResultOK})
}

// NewUser is an account to create.
type NewUser struct {
	Username    string
	DisplayName string
	Password    string
	Role        policy.Role
	Domain      string // division code, tiers.ParkDomain(code) or tiers.EnterpriseDomain(code)
	// ByAdministrator marks an account an administrator creates through the API
	// or the portal: its password must be changed at the first login, and no
	// second factor is enrolled for it (it enrols its own at the first login),
	// so its creator never holds both of its credentials.
	ByAdministrator bool
}

// Created is a created account; TOTPURL is set (to show once, to the operator
// creating it on the host) when the role needs a second factor, which is then
// already enrolled. It is never set for NewUser.ByAdministrator.
type Created struct {
	User       *User
	TOTPSecret string
	TOTPURL    string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{3,64}$`)

// CreateUser creates an account holding one role in its domain. It checks the
// username, the password's complexity, that the role fits the domain, that the
// park or enterprise exists, and three-role separation; actor is recorded.
func (s *Service) CreateUser(ctx context.Context, nu NewUser, actor Actor) (*Created, error) {
	invalid := func(zh string, err error) (*Created, error) {
		return nil, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: err.Error()}
	}
	if !usernamePattern.MatchString(nu.Username) {
		return invalid("用户名须为 3～64 位字母、数字或 _.@-", fmt.Errorf("identity: create user: username %q: 3-64 of A-Z a-z 0-9 _.@-", nu.Username))
	}
	if err := CheckPasswordFor(nu.Username, nu.Password); err != nil {
		return nil, err
	}
	if err := policy.CheckGrant(nu.Role, nu.Domain); err != nil {
		return invalid("角色与所属区划/园区/企业不匹配", err)
	}
	switch {
	case strings.HasPrefix(nu.Domain, "ent:"):
		ok, err := s.store.enterpriseExists(ctx, strings.TrimPrefix(nu.Domain, "ent:"))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, chemguard.Errorf(chemguard.ENotFound, "企业「%s」未注册", "enterprise %q is not registered", strings.TrimPrefix(nu.Domain, "ent:"))
		}
	case strings.HasPrefix(nu.Domain, "park:"):
		ok, err := s.store.parkExists(ctx, strings.TrimPrefix(nu.Domain, "park:"))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, chemguard.Errorf(chemguard.ENotFound, "园区「%s」不存在", "park %q does not exist", strings.TrimPrefix(nu.Domain, "park:"))
		}
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	out := &Created{}
	a := account{User: User{Username: nu.Username, DisplayName: nu.DisplayName, Domain: nu.Domain}, passwordHash: hash,
		passwordChanged: s.clock.Now(), mustChange: nu.ByAdministrator}
	if s.authz.MFARequired([]policy.Role{nu.Role}) && !nu.ByAdministrator {
		if a.totpSecret, out.TOTPURL, err = NewTOTP(nu.Username); err != nil {
			return nil, err
		}
		out.TOTPSecret = a.totpSecret
	}
	if a.ID, err = s.store.createAccount(ctx, a); err != nil {
		return nil, err
	}
	if err := s.authz.GrantRole(ctx, a.Subject(), nu.Role, nu.Domain, actor.Name); err != nil {
		return nil, err
	}
	a.Roles, a.TOTPEnrolled = []policy.Role{nu.Role}, a.totpSecret != ""
	u := a.User
	out.User = &u
	return out, s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: audit.ActionUserCreate, Object: "user:" + nu.Username, Result: audit.ResultOK,
		Detail: map[string]any{"role": string(nu.Role), "domain": nu.Domain, "totp_enrolled": a.TOTPEnrolled}})
}

// Actor is who makes a change, for the audit log.
type Actor struct {
	Name  string // username, or "cli:<os user>" for the command line
	Roles string
	IP    string
}

// ActorOf returns u as an Actor at ip.
func ActorOf(u *User, ip string) Actor { return Actor{Name: u.Username, Roles: u.RoleNames(), IP: ip} }

// UserByName returns the account named username.
func (s *Service) UserByName(ctx context.Context, username string) (*User, error) {
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return nil, err
	}
	u := a.User
	u.Roles = s.authz.RolesOf(u.Subject(), u.Domain)
	return &u, nil
}

// Unlock clears a lockout (the 安全管理员's action).
func (s *Service) Unlock(ctx context.Context, username string, actor Actor) error {
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return err
	}
	if err := s.store.unlock(ctx, a.ID); err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: audit.ActionUserUnlock, Object: "user:" + username, Result: audit.ResultOK})
}

// mobilePattern is a mainland mobile number (11 digits from 13–19).
var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// SetMobile sets the mobile number that warning SMS are sent to (package alerting
// texts the regulators of the tier watching a warning); "" clears it. A number that
// is not a mainland mobile is refused (chemguard.EInvalid). Audited.
func (s *Service) SetMobile(ctx context.Context, username, mobile string, actor Actor) error {
	mobile = strings.TrimSpace(mobile)
	if mobile != "" && !mobilePattern.MatchString(mobile) {
		return chemguard.Errorf(chemguard.EInvalid, "手机号「%s」格式不正确（应为 11 位大陆手机号）",
			"mobile %q is not a mainland mobile number (11 digits starting 13–19)", mobile)
	}
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return err
	}
	stored, err := s.cfg.Mobiles.SealShown(store.UsersMobileColumn, mobile, sealed.MaskMobile(mobile))
	if err != nil {
		return fmt.Errorf("identity: seal mobile: %w", err)
	}
	if err := s.store.setMobile(ctx, a.ID, stored); err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: audit.ActionUserMobile, Object: "user:" + username, Result: audit.ResultOK})
}

// BeginTOTP offers the session's account a new TOTP secret; it replaces the
// current one only once ConfirmTOTP sees a valid code from it. It needs the
// account's password and, when an authenticator is enrolled, a current code
// from it: a stolen session alone cannot move the second factor to the thief's
// phone. The check is a counted attempt like a login (lockout included) and
// answers the same way for a wrong password and a wrong code.
func (s *Service) BeginTOTP(ctx context.Context, token, password, otp, ip string) (secret, url string, err error) {
	u, a, err := s.sessionAccount(ctx, token)
	if err != nil {
		return "", "", err
	}
	ev := audit.Event{Actor: u.Username, ActorRole: u.RoleNames(), ClientIP: ip, Action: audit.ActionTOTP,
		Object: "user:" + u.Username, Result: audit.ResultOK, Detail: map[string]string{"step": "begin"}}
	_, reason, err := s.attempt(ctx, a, password, otp, a.totpSecret != "", ip, s.clock.Now())
	if err != nil {
		return "", "", err
	}
	if reason != "" {
		ev.Result, ev.Detail = audit.ResultFailed, map[string]string{"step": "begin", "reason": reason}
		if err := s.audit.Record(ctx, ev); err != nil {
			return "", "", err
		}
		return "", "", errBadReauth
	}
	if secret, url, err = NewTOTP(u.Username); err != nil {
		return "", "", err
	}
	if err := s.store.setTOTPPending(ctx, u.ID, secret); err != nil {
		return "", "", err
	}
	return secret, url, s.audit.Record(ctx, ev)
}

// errBadReauth answers a wrong password or code given to confirm an action
// inside a session; it is not unauthorized (the session is fine).
var errBadReauth = chemguard.Errorf(chemguard.EInvalid, "当前密码或动态口令错误", "wrong current password or one-time code")

// sessionAccount resolves token (a pending account's too) to its user and row.
func (s *Service) sessionAccount(ctx context.Context, token string) (*User, account, error) {
	u, err := s.Authenticate(AllowPending(ctx), token)
	if err != nil {
		return nil, account{}, err
	}
	a, err := s.store.accountByID(ctx, u.ID)
	if err != nil {
		return nil, account{}, err
	}
	a.Roles = u.Roles
	return u, a, nil
}

// ConfirmTOTP enrols the offered secret if code is valid for it. It is audited.
func (s *Service) ConfirmTOTP(ctx context.Context, u *User, code, ip string) error {
	a, err := s.store.accountByID(ctx, u.ID)
	if err != nil {
		return err
	}
	ev := audit.Event{Actor: u.Username, ActorRole: u.RoleNames(), ClientIP: ip, Action: audit.ActionTOTP,
		Object: "user:" + u.Username, Result: audit.ResultOK}
	step := int64(0)
	if a.totpPending != "" {
		step = checkTOTP(a.totpPending, code, s.clock.Now(), 0)
	}
	if step == 0 {
		ev.Result = audit.ResultFailed
		if err := s.audit.Record(ctx, ev); err != nil {
			return err
		}
		return chemguard.Errorf(chemguard.EInvalid, "动态口令错误或未开始绑定", "wrong code, or no enrolment in progress")
	}
	if err := s.store.confirmTOTP(ctx, u.ID, step); err != nil {
		return err
	}
	return s.audit.Record(ctx, ev)
}

// ActionPasswordChange, ActionUserDisable and ActionUserEnable are the audit
// actions of an account changing its own password and of disabling and
// re-enabling an account.
const (
	ActionPasswordChange = "password_change"
	ActionUserDisable    = "user_disable"
	ActionUserEnable     = "user_enable"
)

// ChangePassword replaces the password of the session's account (a pending
// account's too: it is how an expired or administrator-set password is
// replaced). It needs the current password (a counted attempt, like a login),
// refuses a weak new one or the same one, and ends the account's other
// sessions. Audited.
func (s *Service) ChangePassword(ctx context.Context, token, current, next, ip string) error {
	u, a, err := s.sessionAccount(ctx, token)
	if err != nil {
		return err
	}
	ev := audit.Event{Actor: u.Username, ActorRole: u.RoleNames(), ClientIP: ip, Action: ActionPasswordChange,
		Object: "user:" + u.Username, Result: audit.ResultOK}
	now := s.clock.Now()
	_, reason, err := s.attempt(ctx, a, current, "", false, ip, now)
	if err != nil {
		return err
	}
	var out error
	switch {
	case reason != "":
		out = errBadReauth
	case next == current:
		reason, out = "same_password", chemguard.Errorf(chemguard.EInvalid, "新密码不能与当前密码相同", "the new password must differ from the current one")
	default:
		if out = CheckPasswordFor(u.Username, next); out != nil {
			reason = "weak_password"
		}
	}
	if out != nil {
		ev.Result, ev.Detail = audit.ResultFailed, map[string]string{"reason": reason}
		if err := s.audit.Record(ctx, ev); err != nil {
			return err
		}
		return out
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := s.store.setPassword(ctx, u.ID, hash, now, false); err != nil {
		return err
	}
	se, err := s.store.sessionByHash(ctx, hashToken(token))
	if err != nil {
		return err
	}
	if err := s.store.revokeUserSessions(ctx, u.ID, now, "password_changed", se.id); err != nil {
		return err
	}
	return s.audit.Record(ctx, ev)
}

// SetDisabled disables (or, with disabled false, re-enables) username: a
// disabled account cannot log in and its sessions end at once; nothing is
// deleted. Disabling an already disabled account is not an error. Audited.
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool, actor Actor) error {
	a, err := s.store.accountByName(ctx, username)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	changed, err := s.store.setDisabled(ctx, a.ID, disabled, now)
	if err != nil {
		return err
	}
	action := ActionUserEnable
	if disabled {
		action = ActionUserDisable
		if err := s.store.revokeUserSessions(ctx, a.ID, now, "disabled", 0); err != nil {
			return err
		}
	}
	return s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: action, Object: "user:" + username, Result: audit.ResultOK, Detail: map[string]bool{"changed": changed}})
}

// PurgeSessions marks ended the sessions past their absolute lifetime or idle
// window (they already no longer work; marking them keeps the open-session
// count and the session limit exact) and returns how many. Rows are kept.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	return s.store.purgeSessions(ctx, now, now.Add(-s.cfg.IdleTimeout))
}

// RunPurge calls PurgeSessions every Config.PurgeEvery until ctx ends; errors
// are logged.
func (s *Service) RunPurge(ctx context.Context) {
	t := time.NewTicker(s.cfg.PurgeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
				slog.Error("session purge failed", "err", err)
			}
		}
	}
}
