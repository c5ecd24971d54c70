package enterprise

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
)

// Audited records on rec the attempt of the member signed in on c to do
// action to object, with its outcome (AuditResult of err), and returns err.
// A record that cannot be written fails a change that succeeded: a change
// nobody can trace must not pass. When the attempt itself failed, that error
// is what the member is shown and is returned.
//
// Every module's change goes through here so that the audit log reads the
// same whichever module wrote it: the member's username and roles, the
// client's address, and for a refusal the error's code.
func Audited(c *fiber.Ctx, rec audit.Recorder, action, object string, err error) error {
	ev := audit.Event{ClientIP: c.IP(), Action: action, Object: object, Result: AuditResult(c, err)}
	detail := map[string]string{}
	if m := MemberFrom(c); m != nil {
		roles := make([]string, len(m.Roles))
		for i, r := range m.Roles {
			roles[i] = string(r)
		}
		ev.Actor, ev.ActorRole = m.Username, strings.Join(roles, ",")
		detail["company"] = m.Company
	}
	if err != nil {
		detail["code"] = chemguard.ErrorCode(err)
	}
	if len(detail) > 0 {
		ev.Detail = detail
	}
	if aerr := rec.Record(c.UserContext(), ev); aerr != nil && err == nil {
		return fmt.Errorf("enterprise: audit %s: %w", action, aerr)
	}
	return err
}

// AuditObject names a record of kind ("danger", "rounds", …) for the audit
// log: kind:company/id with the signed-in member's company, so that two
// companies' records with the same id are told apart.
func AuditObject(c *fiber.Ctx, kind, id string) string {
	if m := MemberFrom(c); m != nil {
		return kind + ":" + m.Company + "/" + id
	}
	return kind + ":" + id
}

// AuditResult is the outcome of an attempt for the audit log: ok; denied
// when the member may not (no right, not signed in, or a record of another
// company, which is answered as not found); failed for anything else,
// including a page drawn with a refusal (err nil, status 400 or more).
func AuditResult(c *fiber.Ctx, err error) string {
	if err == nil {
		if c.Response().StatusCode() < 400 {
			return audit.ResultOK
		}
		return audit.ResultFailed
	}
	switch chemguard.ErrorCode(err) {
	case chemguard.EForbidden, chemguard.ENotFound, chemguard.EUnauthorized:
		return audit.ResultDenied
	}
	return audit.ResultFailed
}

// AuditedHandler is h with each attempt recorded by Audited, the request's
// path as the object.
func AuditedHandler(rec audit.Recorder, action string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return Audited(c, rec, action, strings.Clone(c.Path()), h(c))
	}
}
