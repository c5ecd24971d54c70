package notices

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

// ActorOf is the authenticated caller of c as a notice's actor, its checks made
// through guard. It is valid only while c's handler runs.
func ActorOf(c *fiber.Ctx, guard web.Guard) Actor {
	ev := guard.Actor(c)
	return Actor{Name: ev.Actor, Role: ev.ActorRole, ClientIP: ev.ClientIP, Domain: guard.Domain(c),
		Check: func(obj, act, path string) error { return guard.Check(c, obj, act, path) }}
}

// KeyAuthenticator resolves an enterprise's exchange API key to its company code;
// store.Enterprises implements it.
type KeyAuthenticator interface {
	Authenticate(ctx context.Context, key string) (string, error)
}

// Handler serves the governance notices (整改通知) API: the regulators' side
// under /governance/notices (sessions, scoped by tiers) and the companies' side
// under /enterprise/notices (the company's exchange API key, as for /exchange).
type Handler struct {
	notices *Service
	regions *readmodel.Quality // resolves ?region=
	guard   web.Guard
	keys    KeyAuthenticator
}

// NewHandler returns the handler.
func NewHandler(notices *Service, regions *readmodel.Quality, guard web.Guard, keys KeyAuthenticator) *Handler {
	return &Handler{notices: notices, regions: regions, guard: guard, keys: keys}
}

// Register mounts under r (the /api/v1 group). A regulator issues, closes and
// reopens notices of the companies of its region (permission inspection:write —
// the staff of province, city, county and park, and inspectors); it lists and reads
// them with data:read. A notice outside the caller's region is refused (403, audited).
//
//	GET  /governance/notices              region, company, fact, status (open, overdue, issued, acknowledged, answered, closed), offset, limit
//	POST /governance/notices              {company_code, fact_ids, requirement, deadline}
//	GET  /governance/notices/:id          with its facts and status history
//	POST /governance/notices/:id/close    {reason}
//	POST /governance/notices/:id/reopen   {reason, deadline (optional)}
//	GET  /enterprise/notices              the company's own notices: status, offset, limit
//	GET  /enterprise/notices/:id
//	POST /enterprise/notices/:id/ack      签收
//	POST /enterprise/notices/:id/answer   {answer} 整改反馈
func (h *Handler) Register(r fiber.Router) {
	read := h.guard.Require(policy.ObjData, policy.ActRead)
	write := h.guard.Require(policy.ObjInspection, policy.ActWrite)
	r.Get("/governance/notices", read, h.list)
	r.Post("/governance/notices", write, h.issue)
	r.Get("/governance/notices/:id", read, h.get)
	r.Post("/governance/notices/:id/close", write, h.close)
	r.Post("/governance/notices/:id/reopen", write, h.reopen)
	r.Get("/enterprise/notices", h.keyAuth, h.companyList)
	r.Get("/enterprise/notices/:id", h.keyAuth, h.companyGet)
	r.Post("/enterprise/notices/:id/ack", h.keyAuth, h.companyAck)
	r.Post("/enterprise/notices/:id/answer", h.keyAuth, h.companyAnswer)
}

// ParseDeadline reads a deadline: "yyyy-MM-dd HH:mm:ss" (Asia/Shanghai), a date
// "yyyy-MM-dd" (the end of that day) or RFC 3339.
func ParseDeadline(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation(schemas.DateTimeLayout, v, schemas.Shanghai); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(schemas.DateLayout, v, schemas.Shanghai); err == nil {
		return t.AddDate(0, 0, 1).Add(-time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, invalid("整改期限格式须为 yyyy-MM-dd HH:mm:ss 或 yyyy-MM-dd（deadline）",
		"deadline must be yyyy-MM-dd HH:mm:ss or yyyy-MM-dd")
}

func bodyOf(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return invalid("请求体须为 JSON 对象", "the body must be a JSON object")
	}
	return nil
}

func noticeID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chemguard.Errorf(chemguard.ENotFound, "整改通知不存在", "no such governance notice")
	}
	return id, nil
}

func pageOf(c *fiber.Ctx) (offset, limit int, err error) {
	limit, err = queryparam.Limit(c, 20)
	if err != nil {
		return 0, 0, err
	}
	if offset, err = queryparam.Int(c, "offset", 0, 0, math.MaxInt32); err != nil {
		return 0, 0, err
	}
	return offset, limit, nil
}

// list serves GET /governance/notices.
func (h *Handler) list(c *fiber.Ctx) error {
	f := Filter{Scope: tiers.ScopeOf(h.guard.Domain(c)), Company: c.Query("company"), Fact: c.Query("fact"),
		Status: c.Query("status")}
	if v := c.Query("region"); v != "" {
		r, err := h.regions.CheckedRegion(c.UserContext(), v, func(path string) error {
			return h.guard.Check(c, policy.ObjData, policy.ActRead, path)
		})
		if err != nil {
			return err
		}
		f.Scope = r.Scope
	}
	return h.sendPage(c, f)
}

// sendPage answers with the page of notices f selects (?offset=, ?limit=) and how
// many it selects.
func (h *Handler) sendPage(c *fiber.Ctx, f Filter) error {
	var err error
	if f.Offset, f.Limit, err = pageOf(c); err != nil {
		return err
	}
	list, total, err := h.notices.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"notices": list, "total": total})
}

// get serves GET /governance/notices/:id.
func (h *Handler) get(c *fiber.Ctx) error {
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := h.notices.Reachable(c.UserContext(), ActorOf(c, h.guard), policy.ObjData, policy.ActRead, id)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

type issueRequest struct {
	Company     string   `json:"company_code"`
	Facts       []string `json:"fact_ids"`
	Requirement string   `json:"requirement"`
	Deadline    string   `json:"deadline"`
}

// issue serves POST /governance/notices.
func (h *Handler) issue(c *fiber.Ctx) error {
	var req issueRequest
	if err := bodyOf(c, &req); err != nil {
		return err
	}
	deadline, err := ParseDeadline(req.Deadline)
	if err != nil {
		return err
	}
	n, err := h.notices.Issue(c.UserContext(), ActorOf(c, h.guard), NewIssue{Company: req.Company, Facts: req.Facts, Requirement: req.Requirement, Deadline: deadline})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(n)
}

// reasonRequest is the body of close and reopen (a deadline only for reopen).
// The reason is checked by Service.Close and Service.Reopen (not blank, at most
// MaxReason characters), which the portal calls too, so it carries no tags here.
type reasonRequest struct {
	Reason   string `json:"reason"`
	Deadline string `json:"deadline"`
}

// close serves POST /governance/notices/:id/close.
func (h *Handler) close(c *fiber.Ctx) error {
	var req reasonRequest
	if err := bodyOf(c, &req); err != nil {
		return err
	}
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := h.notices.Close(c.UserContext(), ActorOf(c, h.guard), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

// reopen serves POST /governance/notices/:id/reopen.
func (h *Handler) reopen(c *fiber.Ctx) error {
	var req reasonRequest
	if err := bodyOf(c, &req); err != nil {
		return err
	}
	var deadline time.Time
	if req.Deadline != "" {
		var err error
		if deadline, err = ParseDeadline(req.Deadline); err != nil {
			return err
		}
	}
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := h.notices.Reopen(c.UserContext(), ActorOf(c, h.guard), id, req.Reason, deadline)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

const localsNoticeCompany = "notice_company"

// company authenticates the company's exchange API key (Authorization: Bearer KEY).
func (h *Handler) keyAuth(c *fiber.Ctx) error {
	key, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return chemguard.Errorf(chemguard.EUnauthorized, "缺少 API 密钥：请在 Authorization 头中使用 Bearer 密钥",
			"missing API key: send Authorization: Bearer KEY")
	}
	code, err := h.keys.Authenticate(c.UserContext(), key)
	if err != nil {
		return err
	}
	c.Locals(localsNoticeCompany, code)
	return c.Next()
}

func companyOf(c *fiber.Ctx) string { s, _ := c.Locals(localsNoticeCompany).(string); return s }

// companyActor is the company's key as the actor (its own notices only: no check).
func companyActor(c *fiber.Ctx) Actor {
	return Actor{Name: tiers.EnterpriseDomain(companyOf(c)), Role: policy.EnterpriseKeyRole, Domain: tiers.EnterpriseDomain(companyOf(c)),
		ClientIP: c.IP()}
}

// companyList serves GET /enterprise/notices: the company's own notices only.
func (h *Handler) companyList(c *fiber.Ctx) error {
	return h.sendPage(c, Filter{Scope: tiers.Scope{Enterprise: companyOf(c)}, Status: c.Query("status")})
}

// companyGet serves GET /enterprise/notices/:id; another company's notice is not found.
func (h *Handler) companyGet(c *fiber.Ctx) error {
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := h.notices.Get(c.UserContext(), id)
	if err == nil && n.Company != companyOf(c) {
		err = errNoNotice(id)
	}
	if err != nil {
		return err
	}
	return c.JSON(n)
}

// companyAck serves POST /enterprise/notices/:id/ack.
func (h *Handler) companyAck(c *fiber.Ctx) error {
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := h.notices.Acknowledge(c.UserContext(), companyActor(c), companyOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

// companyAnswer serves POST /enterprise/notices/:id/answer.
func (h *Handler) companyAnswer(c *fiber.Ctx) error {
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	var req struct {
		Answer string `json:"answer" label:"整改反馈" validate:"notblank,max=2000"` // MaxAnswer
	}
	if err := bodyOf(c, &req); err != nil {
		return err
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	n, err := h.notices.Answer(c.UserContext(), companyActor(c), companyOf(c), id, req.Answer)
	if err != nil {
		return err
	}
	return c.JSON(n)
}
