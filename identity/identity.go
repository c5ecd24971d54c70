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
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
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
	// Mobiles seals the mobile numbers of accounts (personal data) under the
	// data key; access sets it from CHEMGUARD_DATA_KEY.
	Mobiles *sealed.Box
}

// Defaults for Config.
const (
	DefaultMaxFailures      = 5
	DefaultLockoutDuration  = 30 * time.Minute
	DefaultIdleTimeout      = 30 * time.Minute
	DefaultAbsoluteLifetime = 12 * time.Hour
)

func (c *Config) defaults() {
	if c.MaxFailures <= 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = DefaultLockoutDuration
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.AbsoluteLifetime <= 0 {
		c.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
}

// User is an authenticated caller.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Domain       string       // where the user's roles are granted: division code, park:CODE or ent:CODE
	Roles        []tiers.Role // roles held in Domain
	TOTPEnrolled bool
}

// Subject is the user's casbin subject.
func (u *User) Subject() string { return tiers.UserSubject(u.ID) }

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
	authz *tiers.Authorizer
	audit audit.Recorder
	clock Clock
}

// NewService returns the identity service on pool.
func NewService(cfg Config, pool *pgxpool.Pool, authz *tiers.Authorizer, rec audit.Recorder, clock Clock) *Service {
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
	User      *User     `json:"-"`
}

// TokenPrefix starts every session token.
const TokenPrefix = "cgs_"

var (
	errBadCredentials = chemguard.Errorf(chemguard.EUnauthorized, "用户名、密码或动态口令错误", "wrong username, password or one-time code")
	errBadToken       = chemguard.Errorf(chemguard.EUnauthorized, "登录已失效，请重新登录", "the session is unknown, expired or revoked; log in again")
)

// Login checks username, password and (when the user's roles need it) the TOTP
// code, and issues a new session token. Five failures lock the account for 30
// minutes; a locked account is refused without looking at the password. Every
// outcome is audited. Errors are *chemguard.Error with code unauthorized.
func (s *Service) Login(ctx context.Context, username, password, otp, ip string) (*Session, error) {
	now := s.clock.Now()
	ev := audit.Event{Actor: username, ClientIP: ip, Action: audit.ActionLogin, Object: "user:" + username}
	fail := func(reason string, err error) (*Session, error) {
		ev.Action, ev.Result, ev.Detail = audit.ActionLoginFailed, audit.ResultFailed, map[string]string{"reason": reason}
		if aerr := s.audit.Record(ctx, ev); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	a, err := s.store.accountByName(ctx, username)
	if errors.Is(err, errNoUser) {
		_, _ = VerifyPassword(dummyHash, password)
		return fail("unknown_user", errBadCredentials)
	}
	if err != nil {
		return nil, err
	}
	if a.disabled {
		return fail("disabled", errBadCredentials)
	}
	if now.Before(a.lockedUntil) {
		return fail("locked", chemguard.Errorf(chemguard.EUnauthorized, "账户已锁定，请于 %s 后再试或联系安全管理员",
			"the account is locked until %s; try later or ask the security administrator",
			a.lockedUntil.In(time.FixedZone("CST", 8*3600)).Format("15:04")))
	}
	a.Roles = s.authz.RolesOf(a.Subject(), a.Domain)
	ok, err := VerifyPassword(a.passwordHash, password)
	if err != nil {
		return nil, err
	}
	var step int64
	reason := "bad_password"
	if ok && s.authz.MFARequired(a.Roles) {
		switch {
		case a.totpSecret == "":
			ok, reason = false, "totp_not_enrolled"
		case otp == "":
			ok, reason = false, "totp_missing"
		default:
			step = checkTOTP(a.totpSecret, otp, now, a.totpLastStep)
			ok, reason = step != 0, "bad_totp"
		}
	} else if ok && a.totpSecret != "" && otp != "" {
		// An enrolled second factor is checked when offered even if not required.
		step = checkTOTP(a.totpSecret, otp, now, a.totpLastStep)
		ok, reason = step != 0, "bad_totp"
	}
	if !ok {
		locked, err := s.store.recordFailure(ctx, a.ID, s.cfg.MaxFailures, now.Add(s.cfg.LockoutDuration))
		if err != nil {
			return nil, err
		}
		ev.ActorRole = a.RoleNames()
		out := errBadCredentials
		if reason == "totp_missing" || reason == "totp_not_enrolled" {
			out = &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: "该账户需要动态口令（TOTP）登录",
				MessageEN: "this account needs a TOTP one-time code", Details: map[string]any{"otp_required": true,
					"enrolled": a.totpSecret != ""}}
		}
		if _, err := fail(reason, out); !errors.Is(err, out) {
			return nil, err
		}
		if locked {
			ev.Action, ev.Result, ev.Detail = audit.ActionLockout, audit.ResultDenied,
				map[string]any{"until": now.Add(s.cfg.LockoutDuration), "failures": s.cfg.MaxFailures}
			if err := s.audit.Record(ctx, ev); err != nil {
				return nil, err
			}
		}
		return nil, out
	}
	if err := s.store.loginSucceeded(ctx, a.ID, step); err != nil {
		return nil, err
	}
	token, hash, err := newToken()
	if err != nil {
		return nil, err
	}
	expires := now.Add(s.cfg.AbsoluteLifetime)
	if err := s.store.createSession(ctx, hash, a.ID, now, expires, ip); err != nil {
		return nil, err
	}
	ev.ActorRole, ev.Result = a.RoleNames(), audit.ResultOK
	ev.Detail = map[string]any{"second_factor": step != 0}
	if err := s.audit.Record(ctx, ev); err != nil {
		return nil, err
	}
	u := a.User
	return &Session{Token: token, ExpiresAt: expires, User: &u}, nil
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

// Authenticate resolves a session token to its user, refusing tokens that are
// unknown, revoked, past their absolute lifetime or idle longer than
// IdleTimeout, and those of disabled or locked accounts. It extends the idle
// window unless ctx is Passive.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, errBadToken
	}
	now := s.clock.Now()
	se, err := s.store.sessionByHash(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	if se.revokedAt != nil || !now.Before(se.expires) || now.Sub(se.lastSeen) > s.cfg.IdleTimeout {
		return nil, errBadToken
	}
	a, err := s.store.accountByID(ctx, se.userID)
	if err != nil {
		return nil, err
	}
	if a.disabled || now.Before(a.lockedUntil) {
		return nil, errBadToken
	}
	if now.Sub(se.lastSeen) >= touchEvery && ctx.Value(passiveKey{}) == nil {
		if err := s.store.touchSession(ctx, se.id, now); err != nil {
			return nil, err
		}
	}
	u := a.User
	u.Roles = s.authz.RolesOf(u.Subject(), u.Domain)
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
	if err := s.store.revokeSession(ctx, se.id, s.clock.Now()); err != nil {
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
	Role        tiers.Role
	Domain      string // division code, tiers.ParkDomain(code) or tiers.EnterpriseDomain(code)
}

// Created is a created account; TOTPURL is set (to show once) when the role
// needs a second factor, which is then already enrolled.
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
	if err := CheckPassword(nu.Password); err != nil {
		return invalid("密码至少 8 位，且包含大写字母、小写字母、数字、符号中的三类", err)
	}
	if err := tiers.CheckGrant(nu.Role, nu.Domain); err != nil {
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
	a := account{User: User{Username: nu.Username, DisplayName: nu.DisplayName, Domain: nu.Domain}, passwordHash: hash}
	if s.authz.MFARequired([]tiers.Role{nu.Role}) {
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
	a.Roles, a.TOTPEnrolled = []tiers.Role{nu.Role}, a.totpSecret != ""
	u := a.User
	out.User = &u
	return out, s.audit.Record(ctx, audit.Event{Actor: actor.Name, ActorRole: actor.Roles, ClientIP: actor.IP,
		Action: audit.ActionUserCreate, Object: "user:" + nu.Username, Result: audit.ResultOK,
		Detail: map[string]string{"role": string(nu.Role), "domain": nu.Domain}})
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

// BeginTOTP offers u a new TOTP secret; it replaces the current one only once
// ConfirmTOTP sees a valid code from it.
func (s *Service) BeginTOTP(ctx context.Context, u *User) (secret, url string, err error) {
	if secret, url, err = NewTOTP(u.Username); err != nil {
		return "", "", err
	}
	return secret, url, s.store.setTOTPPending(ctx, u.ID, secret)
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
