package audit

import (
	"bufio"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/queryparam"
)

// Objects and actions the handler requires (policy.ObjAudit …).
const (
	objAudit  = "audit"
	actRead   = "read"
	actExport = "export"
)

// Handler serves the audit log to the 审计管理员: GET /audit (a page),
// GET /audit/export (NDJSON of a time range) and GET /audit/verify. Reading and
// exporting are themselves audited.
type Handler struct {
	log     *Log
	require func(obj, act string) fiber.Handler
	actor   func(c *fiber.Ctx) Event
}

// NewHandler returns the handler. require authenticates the caller and checks
// it may do act on obj; actor returns an Event with the caller's name, roles and
// address filled in (web.Guard's Require and Actor: taken as functions because
// web, which owns the Guard, builds on audit's Event).
func NewHandler(log *Log, require func(obj, act string) fiber.Handler, actor func(c *fiber.Ctx) Event) *Handler {
	return &Handler{log: log, require: require, actor: actor}
}

// Register mounts the routes under r (the /api/v1 group).
func (h *Handler) Register(r fiber.Router) {
	r.Get("/audit", h.require(objAudit, actRead), h.list)
	r.Get("/audit/export", h.require(objAudit, actExport), h.export)
	r.Get("/audit/verify", h.require(objAudit, actRead), h.verify)
}

func parseFilter(c *fiber.Ctx) (Filter, error) {
	f := Filter{Actor: c.Query("actor"), Action: c.Query("action"), Result: c.Query("result")}
	var err error
	if f.AfterSeq, err = queryparam.Int64(c, "after", 0); err != nil {
		return f, err
	}
	if f.Limit, err = queryparam.Int(c, "limit", 100, 1, 10000); err != nil {
		return f, err
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := c.Query(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return f, chemguard.Errorf(chemguard.EInvalid, "%s 应为 RFC 3339 时间", "%s must be an RFC 3339 time", p.name)
			}
			*p.dst = t
		}
	}
	return f, nil
}

func (h *Handler) record(c *fiber.Ctx, action string, f Filter) error {
	ev := h.actor(c)
	ev.Action, ev.Object, ev.Result, ev.Detail = action, "audit_log", ResultOK, f
	return h.log.Record(c.UserContext(), ev)
}

func (h *Handler) list(c *fiber.Ctx) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	recs, err := h.log.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	if err := h.record(c, ActionAuditRead, f); err != nil {
		return err
	}
	next := f.AfterSeq
	if len(recs) > 0 {
		next = recs[len(recs)-1].Seq
	}
	if recs == nil {
		recs = []Record{}
	}
	return c.JSON(fiber.Map{"records": recs, "next_after": next})
}

func (h *Handler) export(c *fiber.Ctx) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	if err := h.record(c, ActionAuditExport, f); err != nil {
		return err
	}
	ctx := c.UserContext()
	var out []Record
	f.Limit = 10000
	for {
		recs, err := h.log.List(ctx, f)
		if err != nil {
			return err
		}
		out = append(out, recs...)
		if len(recs) < f.Limit {
			break
		}
		f.AfterSeq = recs[len(recs)-1].Seq
	}
	c.Set(fiber.HeaderContentType, "application/x-ndjson")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="chemguard-audit.ndjson"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		enc := json.NewEncoder(w)
		for _, r := range out {
			_ = enc.Encode(r)
		}
		_ = w.Flush()
	})
	return nil
}

func (h *Handler) verify(c *fiber.Ctx) error {
	v, err := h.log.Verify(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": v.OK(), "rows": v.Rows, "legacy_rows": v.LegacyRows, "bad_seq": v.BadSeq, "problem": v.Problem,
		"last_hash": v.LastHash, "checkpoints": v.Checkpoints, "last_checkpoint_seq": v.LastCheckpoint.Seq})
}
