// Package web owns the HTTP plumbing every part of the platform shares: the one
// map from chemguard.Error codes to HTTP statuses and fiber's error handler, the
// Guard that authenticates and authorizes requests, and what the server-rendered
// UIs (the portal and the inspector app) have in common — the session cookie,
// safe redirects, error pages, pagers, page templates and server-sent events,
// and the phone apps' offline queue script with their service workers' shell
// versioning. The UIs import web, never one another.
package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Guard authenticates and authorizes requests; auth.Service implements it. A
// handler that needs the caller authenticated mounts Require (API routes) or
// calls Authenticate (pages, which redirect to their login instead).
type Guard interface {
	// Authenticate loads the session user (bearer token or the session cookie)
	// and runs the rest of the chain, or returns an unauthorized error.
	Authenticate(c *fiber.Ctx) error
	// Require authenticates the caller and checks it may do act on obj at all.
	Require(obj, act string) fiber.Handler
	// Check checks the authenticated caller may do act on obj of the resource at
	// path res; a refusal is audited and returned as a forbidden error.
	Check(c *fiber.Ctx, obj, act, res string) error
	// Allowed is Check without auditing a refusal, for what a page offers.
	Allowed(c *fiber.Ctx, obj, act, res string) bool
	// Domain is the authenticated caller's domain.
	Domain(c *fiber.Ctx) string
	// Scope is the set of enterprises the caller may read data of.
	Scope(c *fiber.Ctx) tiers.Scope
	// SessionCheck is how often a stream checks the caller's session again, and
	// the check (an error once it was logged out, expired or the user disabled).
	SessionCheck(c *fiber.Ctx) (time.Duration, func() error)
	// Actor returns an audit event naming the caller (name, roles, address).
	Actor(c *fiber.Ctx) audit.Event
}

// Pathed is what belongs to one company: its place in the division tree.
type Pathed interface{ Path() string }

// Readable returns v, loaded with err, if the caller may read its company's
// data (policy.ObjData, policy.ActRead at v.Path()). Only a caller who reaches
// the whole province learns that v does not exist (err not found); anyone
// else is refused (403, audited) as for one outside its region, so codes and
// ids cannot be probed across regions.
func Readable[T Pathed](c *fiber.Ctx, g Guard, v T, err error) (T, error) {
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := g.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return v, cerr
		}
	}
	if err != nil {
		return v, err
	}
	return v, g.Check(c, policy.ObjData, policy.ActRead, v.Path())
}
