// Package auth assembles the platform's access control into one service: the
// tiers authorizer over the PostgreSQL policy, identity (login, sessions, TOTP),
// the audit log, request signing for enterprises, and the HTTP routes of the
// administrators and the regional read API. Other packages use its Guard
// methods (Require, Check, Scope, CanAccessEnterprise) to authorize their own
// routes and queries.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/share"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// Config configures access control; cmd/chemguard fills it from CHEMGUARD_*.
type Config struct {
	Identity       identity.Config
	RequireSigning bool          // CHEMGUARD_REQUIRE_SIGNING: enterprise requests must be signed
	PolicyReload   time.Duration // CHEMGUARD_POLICY_RELOAD: how often other processes' policy changes are picked up (5s)
	InsecureCookie bool          // CHEMGUARD_INSECURE_COOKIE: drop the cookie's Secure attribute (plain-HTTP development)
	ShareLag       time.Duration // CHEMGUARD_SHARE_LAG: records changed this recently are held back from the feed (5s)
	StreamRecheck  time.Duration // CHEMGUARD_STREAM_RECHECK: how often an open event stream checks its session again (5s)
	Clock          identity.Clock
	// Audit keys the audit chain and places its checkpoints (CHEMGUARD_AUDIT_KEY,
	// the data directory); its Now is the Clock. Without a key (unit tests) a
	// random one is used, so the chain verifies only within this Service.
	Audit audit.Config
	// DataKey seals personal data and the enterprises' signing secrets
	// (CHEMGUARD_DATA_KEY, 32 bytes). Without one (unit tests) a random key is
	// used, so what is sealed opens only within this Service.
	DataKey []byte
	// Refusals bounds how many refused exchange requests are audited one by one.
	Refusals audit.SamplerConfig
}

// DefaultPolicyReload is the default policy polling interval.
const DefaultPolicyReload = 5 * time.Second

// DefaultStreamRecheck is how often an open event stream checks its session by default.
const DefaultStreamRecheck = 5 * time.Second

// Service is access control for one process. It is safe for concurrent use.
type Service struct {
	cfg      Config
	pool     *pgxpool.Pool
	Policy   *policy.PGPolicy
	Authz    *policy.Authorizer
	Audit    *audit.Log
	Identity *identity.Service
	Parks    *store.Parks
	Share    *share.Store
	// Enterprises is the registry of companies and their exchange API keys.
	Enterprises *store.Enterprises
	// Box seals and opens personal data and signing secrets with the data key.
	Box      *sealed.Box
	auth     *identity.Handler
	nonces   *signing.PGNonces
	refusals *audit.Sampler
}

// New seeds the default policy into an empty store, loads it and wires the
// services. The database must be migrated.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Service, error) {
	if cfg.Clock == nil {
		cfg.Clock = identity.SystemClock{}
	}
	if cfg.PolicyReload <= 0 {
		cfg.PolicyReload = DefaultPolicyReload
	}
	if cfg.StreamRecheck <= 0 {
		cfg.StreamRecheck = DefaultStreamRecheck
	}
	if cfg.DataKey == nil {
		cfg.DataKey = sealed.NewRandomKey()
	}
	if cfg.Audit.Key == nil {
		cfg.Audit.Key = sealed.NewRandomKey()
	}
	cfg.Audit.Now = cfg.Clock.Now
	if cfg.Refusals.Now == nil {
		cfg.Refusals.Now = cfg.Clock.Now
	}
	box, err := sealed.NewBox(cfg.DataKey)
	if err != nil {
		return nil, fmt.Errorf("access: CHEMGUARD_DATA_KEY: %w", err)
	}
	s := &Service{cfg: cfg, pool: pool, Policy: policy.NewPGPolicy(pool), Parks: store.NewParks(pool),
		Share: share.NewStore(pool), Enterprises: store.NewSealedEnterprises(pool, box), Box: box,
		nonces: signing.NewPGNonces(pool, cfg.Clock.Now)}
	if _, err := s.Policy.SeedDefaults(ctx, policy.DefaultPolicy()); err != nil {
		return nil, err
	}
	if s.Authz, err = policy.NewAuthorizer(ctx, s.Policy); err != nil {
		return nil, err
	}
	if s.Audit, err = audit.New(pool, cfg.Audit); err != nil {
		return nil, err
	}
	s.refusals = audit.NewSampler(s.Audit, cfg.Refusals)
	cfg.Identity.Mobiles = box
	s.Identity = identity.NewService(cfg.Identity, pool, s.Authz, s.Audit, cfg.Clock)
	s.auth = identity.NewHandler(s.Identity)
	s.auth.InsecureCookie = cfg.InsecureCookie
	return s, nil
}

// Run reloads the policy when another process changes it, marks ended the
// sessions that expired, checkpoints the audit log, purges expired signing
// nonces and summarises sampled refusals, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	go s.Identity.RunPurge(ctx)
	go s.Audit.RunCheckpoints(ctx)
	go s.nonces.Run(ctx, signing.DefaultPurgeEvery, func(err error) { slog.Error("purge signing nonces", "err", err) })
	go s.refusals.Run(ctx, func(err error) { slog.Error("audit refused exchange requests", "err", err) })
	s.Authz.Watch(ctx, s.cfg.PolicyReload)
}

// Mount adds the routes under api (the /api/v1 group): /auth/*, /admin/*,
// /system/status, /audit*, /share/:slug and /enterprises*.
//
// It first adds the cookie-call check (CookieCSRF) to api, so it covers every
// route mounted on api after it.
func (s *Service) Mount(api fiber.Router) {
	api.Use(s.CookieCSRF)
	s.auth.Register(api)
	s.registerAdmin(api)
	audit.NewHandler(s.Audit, s.Require, s.Actor).Register(api)
	share.NewHandler(share.Config{Lag: s.cfg.ShareLag}, s.Share, s).Register(api)
}

// CookieCSRF is middleware for the API: a state-changing call authenticated by
// the portal's session cookie (no bearer token) must send JSON and come from
// this origin (identity's cookie is SameSite=Strict, but older browsers and
// same-site pages on other ports do not honour that). A refusal is audited.
// Calls with a bearer token (API clients, enterprise keys) are not affected.
func (s *Service) CookieCSRF(c *fiber.Ctx) error {
	if csrf.Safe(c.Method()) || identity.HasBearer(c) {
		return c.Next()
	}
	tok := c.Cookies(identity.CookieName)
	if tok == "" {
		return c.Next()
	}
	if err := csrf.CheckAPI(c, tok); err != nil {
		ev := audit.Event{ClientIP: c.IP(), Action: audit.ActionDeny, Object: c.Method() + " " + c.OriginalURL(),
			Result: audit.ResultDenied, Detail: map[string]string{"reason": "csrf",
				"origin": clip(c.Get(fiber.HeaderOrigin)), "content_type": clip(c.Get(fiber.HeaderContentType))}}
		if aerr := s.Audit.Record(c.UserContext(), ev); aerr != nil {
			return aerr
		}
		return err
	}
	return c.Next()
}

// clip bounds a header an attacker chose before it is audited.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return strings.Clone(s)
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// Signing returns the middleware of the routes a company reaches with its API
// key: request signing (secrets from the key store, nonces shared through
// PostgreSQL), and the audit of every request refused for its credentials there
// or downstream (unknown key, bad signature, another company's code), sampled
// per client address so a flood cannot fill the log.
func (s *Service) Signing() fiber.Handler {
	verify := signing.Middleware(signing.Config{Required: s.cfg.RequireSigning,
		Nonces: s.nonces, Secrets: s.Enterprises, Now: s.cfg.Clock.Now})
	return func(c *fiber.Ctx) error {
		err := verify(c)
		if code := chemguard.ErrorCode(err); err != nil && (code == chemguard.EUnauthorized || code == chemguard.EForbidden) {
			if aerr := s.refusals.Record(c.UserContext(), c.IP(), s.refusal(c, err)); aerr != nil {
				slog.Error("audit refused exchange request", "err", aerr)
			}
		}
		return err
	}
}

// refusal is the audit event of an exchange request refused with err. The key
// itself is never recorded: a known company is named, an unknown key by its
// first characters only.
func (s *Service) refusal(c *fiber.Ctx, err error) audit.Event {
	actor := "key:?"
	// The exchange handler leaves the authenticated company in the request's
	// locals ("company") before refusing records of another company.
	if company, ok := c.Locals("company").(string); ok && company != "" {
		actor = "ent:" + company
	} else if key, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
		key = strings.TrimSpace(key)
		if len(key) > 10 {
			key = key[:10]
		}
		actor = "key:" + key + "…"
	}
	reason := err.Error()
	var ce *chemguard.Error
	if errors.As(err, &ce) {
		reason = ce.MessageEN
	}
	return audit.Event{Actor: actor, ClientIP: c.IP(), Action: audit.ActionExchangeRefused,
		Object: c.Method() + " " + c.Path(), Result: audit.ResultDenied,
		Detail: map[string]string{"code": chemguard.ErrorCode(err), "reason": reason}}
}

// Authenticate is middleware that loads the session user (bearer token or
// portal cookie) or answers 401; identity.UserFrom reads it.
func (s *Service) Authenticate(c *fiber.Ctx) error { return s.auth.Authenticate(c) }

var errForbidden = chemguard.Errorf(chemguard.EForbidden, "无权访问：超出本账号的角色或管辖范围", "forbidden: outside your role or region")

// Require returns middleware that authenticates the caller and checks that one
// of its roles may do act on obj (somewhere in its domain); a refusal is audited
// and answered 403.
func (s *Service) Require(obj, act string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := s.auth.Load(c); err != nil {
			return err
		}
		if err := s.Check(c, obj, act, ""); err != nil {
			return err
		}
		return c.Next()
	}
}

// Check checks that the authenticated caller may do act on obj of the resource
// at path res (tiers.EnterprisePath …). A refusal is audited and returned as a
// forbidden *chemguard.Error.
func (s *Service) Check(c *fiber.Ctx, obj, act, res string) error {
	u := identity.UserFrom(c)
	if u == nil {
		return chemguard.Errorf(chemguard.EUnauthorized, "请先登录", "log in first")
	}
	if s.Authz.Allowed(u.Subject(), u.Domain, obj, act, res) {
		return nil
	}
	ev := s.Actor(c)
	ev.Action, ev.Object, ev.Result = audit.ActionDeny, c.Method()+" "+c.OriginalURL(), audit.ResultDenied
	ev.Detail = map[string]string{"object": obj, "action": act, "resource": res}
	if err := s.Audit.Record(c.UserContext(), ev); err != nil {
		return err
	}
	return errForbidden
}

// Allowed reports whether the authenticated caller may do act on obj of the
// resource at path res, without auditing a refusal: for showing what a page offers,
// not for deciding a request.
func (s *Service) Allowed(c *fiber.Ctx, obj, act, res string) bool {
	u := identity.UserFrom(c)
	return u != nil && s.Authz.Allowed(u.Subject(), u.Domain, obj, act, res)
}

// SessionCheck returns how often a long-lived response to the authenticated
// request (an event stream) must check its session again, and the check: an
// unauthorized error once the session was logged out, expired or its user
// disabled. The stream should also check before each event it sends.
func (s *Service) SessionCheck(c *fiber.Ctx) (time.Duration, func() error) {
	return s.cfg.StreamRecheck, s.auth.Recheck(c)
}

// Domain is the authenticated caller's domain ("" if none).
func (s *Service) Domain(c *fiber.Ctx) string {
	if u := identity.UserFrom(c); u != nil {
		return u.Domain
	}
	return ""
}

// Actor returns an audit event naming the caller.
func (s *Service) Actor(c *fiber.Ctx) audit.Event {
	ev := audit.Event{ClientIP: c.IP()}
	if u := identity.UserFrom(c); u != nil {
		ev.Actor, ev.ActorRole = u.Username, u.RoleNames()
	}
	return ev
}

// Scope returns the enterprises the authenticated caller may read data of, for
// a list query's WHERE clause (tiers.Scope.Where); a caller who may not read
// data at all gets the empty scope.
func (s *Service) Scope(c *fiber.Ctx) tiers.Scope {
	u := identity.UserFrom(c)
	if u == nil || !s.Authz.Allowed(u.Subject(), u.Domain, policy.ObjData, policy.ActRead, "") {
		return tiers.Scope{}
	}
	return tiers.ScopeOf(u.Domain)
}

// CanAccessEnterprise reports whether u may do act on obj of the enterprise
// with company code code. An unregistered code is reachable by nobody.
func (s *Service) CanAccessEnterprise(ctx context.Context, u *identity.User, code, obj, act string) (bool, error) {
	e, err := s.Share.Enterprise(ctx, code)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("access: enterprise %s: %w", code, err)
	}
	return s.Authz.Allowed(u.Subject(), u.Domain, obj, act, e.Path()), nil
}
