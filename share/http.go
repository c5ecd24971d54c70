package share

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Config tunes the handler.
type Config struct {
	// Lag holds back records changed this recently (DefaultLag when zero).
	Lag time.Duration
}

// DefaultLag is longer than any sink transaction.
const DefaultLag = 5 * time.Second

// Handler serves the regional read API.
type Handler struct {
	cfg   Config
	store *Store
	guard web.Guard
}

// NewHandler returns the handler.
func NewHandler(cfg Config, store *Store, guard web.Guard) *Handler {
	if cfg.Lag <= 0 {
		cfg.Lag = DefaultLag
	}
	return &Handler{cfg: cfg, store: store, guard: guard}
}

// Register mounts under r (the /api/v1 group): GET /share/:slug (share
// service accounts), GET /enterprises, GET /enterprises/:code and GET
// /enterprises/:code/records/:slug/:id (anyone who may read data, within
// their region).
func (h *Handler) Register(r fiber.Router) {
	r.Get("/share/:slug", h.guard.Require(policy.ObjShare, policy.ActRead), h.feed)
	r.Get("/enterprises", h.guard.Require(policy.ObjData, policy.ActRead), h.enterprises)
	r.Get("/enterprises/:code", h.guard.Require(policy.ObjData, policy.ActRead), h.enterprise)
	r.Get("/enterprises/:code/records/:slug/:id", h.guard.Require(policy.ObjData, policy.ActRead), h.record)
}

func limitOf(c *fiber.Ctx) (int, error) {
	return queryparam.Limit(c, 100)
}

// FeedReply is one page of the feed. NextCursor resumes after the last record;
// it is set even on a short page so a poller keeps its place.
type FeedReply struct {
	Table      string `json:"table"`
	Records    []Row  `json:"records"`
	NextCursor string `json:"next_cursor"`
}

// feed serves GET /share/{slug}: an exchange table's records, or with slug
// "warnings" the warnings, of the caller's region in change order.
func (h *Handler) feed(c *fiber.Ctx) error {
	slug := c.Params("slug")
	var t *schemas.Table
	if slug != WarningsSlug {
		var err error
		if t, err = schemas.Lookup(slug); err != nil {
			return err
		}
	}
	limit, err := limitOf(c)
	if err != nil {
		return err
	}
	var after Cursor
	if _, err := queryparam.Cursor(c, &after); err != nil {
		return err
	}
	scope := tiers.ScopeOf(h.guard.Domain(c))
	var rows []Row
	if t == nil {
		rows, err = h.store.FeedWarnings(c.UserContext(), scope, after, h.cfg.Lag, limit)
	} else {
		rows, err = h.store.Feed(c.UserContext(), t, scope, after, h.cfg.Lag, limit)
	}
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		last := rows[len(rows)-1]
		after = Cursor{UpdatedAt: last.UpdatedAt, Company: last.Company, Key: last.Key}
	}
	reply := FeedReply{Table: slug, Records: rows}
	if !after.UpdatedAt.IsZero() {
		b, _ := json.Marshal(after)
		reply.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	} else {
		reply.NextCursor = c.Query("cursor")
	}
	return c.JSON(reply)
}

func (h *Handler) enterprises(c *fiber.Ctx) error {
	limit, err := limitOf(c)
	if err != nil {
		return err
	}
	list, err := h.store.Enterprises(c.UserContext(), tiers.ScopeOf(h.guard.Domain(c)), c.Query("after"), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"enterprises": list})
}

// reachable fetches the enterprise and checks the caller may read its data. An
// enterprise outside the caller's region is refused (403) like one it may not
// read, and the refusal is audited.
func (h *Handler) reachable(c *fiber.Ctx) (Enterprise, error) {
	e, err := h.store.Enterprise(c.UserContext(), c.Params("code"))
	return web.Readable(c, h.guard, e, err)
}

func (h *Handler) enterprise(c *fiber.Ctx) error {
	e, err := h.reachable(c)
	if err != nil {
		return err
	}
	return c.JSON(e)
}

func (h *Handler) record(c *fiber.Ctx) error {
	t, err := schemas.Lookup(c.Params("slug"))
	if err != nil {
		return err
	}
	e, err := h.reachable(c)
	if err != nil {
		return err
	}
	r, err := h.store.Record(c.UserContext(), t, e.Code, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}
