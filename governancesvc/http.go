package governancesvc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Handler serves the governance API.
type Handler struct {
	svc   *Service
	guard web.Guard
	q     *readmodel.Quality // the stored facts and scores the routes read
	books *workbooks         // Excel reports of final days
}

// NewHandler returns the handler.
func NewHandler(svc *Service, guard web.Guard) *Handler {
	return &Handler{svc: svc, guard: guard, q: readmodel.NewQuality(svc.pool, &svc.cfg.Rules, svc.cfg.Now),
		books: newWorkbooks(WorkbookCacheSize)}
}

// Quality is the data-quality read model the handler answers from.
func (h *Handler) Quality() *readmodel.Quality { return h.q }

// Register mounts under r (the /api/v1 group). Every route reads stored facts and
// scores only, scoped to the caller's region (tiers): a region parameter is a
// division code (province, city, county) or park:CODE, by default the caller's own
// domain, and one outside the caller's region is refused (403, audited). day is
// yyyy-mm-dd (Asia/Shanghai), by default today.
//
//	GET /governance/scores             company scores of a day: region, day, after (company code), limit
//	GET /governance/regions            a region's score and the ranking of the regions under it, with day-over-day trends
//	GET /governance/companies/:code    a company's score, breakdown, open and recent facts with evidence
//	GET /governance/facts              facts: region, company, kind, open, day, cursor, limit
//	GET /governance/rejections         各表校验拒收情况: records received, rejected and their share per table and rule: region or company, day
//	GET /governance/fallers            the companies whose score fell most since the previous day: region, day, limit
//	GET /governance/report             the daily report (治理日报) of a region as JSON: region, day
//	GET /governance/report.xlsx        the same report as an Excel workbook
//	GET /share/governance/report       the daily report through the data-sharing API (share service accounts)
func (h *Handler) Register(r fiber.Router) {
	read := h.guard.Require(policy.ObjData, policy.ActRead)
	r.Get("/governance/scores", read, h.scores)
	r.Get("/governance/regions", read, h.regions)
	r.Get("/governance/companies/:code", read, h.company)
	r.Get("/governance/facts", read, h.facts)
	r.Get("/governance/fallers", read, h.fallers)
	r.Get("/governance/rejections", read, h.rejections)
	r.Get("/governance/report", read, h.report)
	r.Get("/governance/report.xlsx", read, h.reportXLSX)
	r.Get("/share/governance/report", h.guard.Require(policy.ObjShare, policy.ActRead), h.shareReport)
}

func invalid(zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
}

// region resolves the region parameter (the caller's domain when absent) and checks
// the caller may do act on obj there.
func (h *Handler) region(c *fiber.Ctx, obj string) (readmodel.Region, error) {
	v := c.Query("region")
	if v == "" {
		v = h.guard.Domain(c)
		if strings.HasPrefix(v, "ent:") {
			return readmodel.Region{}, chemguard.Errorf(chemguard.EForbidden, "企业账号只能查看本企业的数据质量（/governance/companies/{code}）",
				"an enterprise account sees its own company only (/governance/companies/{code})")
		}
	}
	return h.q.CheckedRegion(c.UserContext(), v, func(path string) error {
		return h.guard.Check(c, obj, policy.ActRead, path)
	})
}

// regionDay is region and day.
func (h *Handler) regionDay(c *fiber.Ctx, obj string) (readmodel.Region, time.Time, error) {
	r, err := h.region(c, obj)
	if err != nil {
		return r, time.Time{}, err
	}
	day, err := h.day(c)
	return r, day, err
}

// day parses the day parameter (today by default) as the local midnight; a day
// after today is refused (its scores would be made up from the facts open now).
func (h *Handler) day(c *fiber.Ctx) (time.Time, error) {
	return h.q.ParseDay(c.Query("day"))
}

func limitOf(c *fiber.Ctx, def int) (int, error) {
	return queryparam.Limit(c, def)
}

func dayString(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateLayout) }

// scores serves GET /governance/scores: company scores of the region on a day, by
// company code, after the code given.
func (h *Handler) scores(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	limit, err := limitOf(c, 100)
	if err != nil {
		return err
	}
	list, err := h.q.Scores(c.UserContext(), r.Scope, day, c.Query("after"), limit)
	if err != nil {
		return err
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].Company
	}
	return c.JSON(fiber.Map{"region": r, "day": dayString(day), "scores": list, "next_after": next})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// regions serves GET /governance/regions: the region's rollup and the ranking of the
// regions directly under it (cities, counties of a city, parks of a county), each
// with the change since the previous day.
func (h *Handler) regions(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	v, err := h.q.Regions(c.UserContext(), r, day)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// facts serves GET /governance/facts, newest first.
func (h *Handler) facts(c *fiber.Ctx) error {
	f := readmodel.FactFilter{Scopes: []tiers.Scope{tiers.ScopeOf(h.guard.Domain(c))}, Company: c.Query("company")}
	if c.Query("region") != "" {
		r, err := h.region(c, policy.ObjData)
		if err != nil {
			return err
		}
		f.Scopes = append(f.Scopes, r.Scope)
	}
	if v := c.Query("kind"); v != "" {
		if _, ok := h.svc.cfg.Rules.Kinds[governance.Kind(v)]; !ok {
			return invalid("kind 不是已知的质量事实类型", "kind is not a known fact kind")
		}
		f.Kind = v
	}
	switch c.Query("open") {
	case "":
	case "true", "false":
		open := c.Query("open") == "true"
		f.Open = &open
	default:
		return invalid("open 须为 true 或 false", "open must be true or false")
	}
	if c.Query("day") != "" {
		day, err := h.day(c)
		if err != nil {
			return err
		}
		f.Day = day
	}
	if v := c.Query("cursor"); v != "" {
		var cur readmodel.FactCursor
		if _, err := queryparam.Cursor(c, &cur); err != nil {
			return err
		}
		f.After = &cur
	}
	var err error
	if f.Limit, err = limitOf(c, 100); err != nil {
		return err
	}
	list, err := h.q.Facts(c.UserContext(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(list) == f.Limit {
		last := list[len(list)-1]
		b, _ := json.Marshal(readmodel.FactCursor{Started: last.Started, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return c.JSON(fiber.Map{"facts": list, "next_cursor": next})
}

// company serves GET /governance/companies/:code.
func (h *Handler) company(c *fiber.Ctx) error {
	code := c.Params("code")
	v := readmodel.CompanyView{Company: code, OpenFacts: []readmodel.FactView{}, RecentFacts: []readmodel.FactView{}}
	var err error
	if v.CompanyName, v.County, v.Park, err = h.companyOf(c, code); err != nil {
		return err
	}
	day, err := h.day(c)
	if err != nil {
		return err
	}
	if v, err = h.q.CompanyDetail(c.UserContext(), v, day); err != nil {
		return err
	}
	return c.JSON(v)
}

// companyOf is the name, county and park of the registered company code, which the
// caller must be allowed to read.
func (h *Handler) companyOf(c *fiber.Ctx, code string) (name, county, park string, err error) {
	err = h.svc.pool.QueryRow(c.UserContext(), `SELECT name, division_code, COALESCE(park_code, '') FROM enterprises
		WHERE code = $1`, code).Scan(&name, &county, &park)
	if errors.Is(err, pgx.ErrNoRows) {
		// Only a caller who reaches the province learns that a code is unregistered.
		if cerr := h.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return "", "", "", cerr
		}
		return "", "", "", chemguard.Errorf(chemguard.ENotFound, "企业「%s」未登记", "no enterprise %q", code)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("quality: company %s: %w", code, err)
	}
	return name, county, park, h.guard.Check(c, policy.ObjData, policy.ActRead, tiers.EnterprisePath(county, park, code))
}

// fallers serves GET /governance/fallers: the region's companies whose stored score
// fell the most since the previous day, largest fall first.
func (h *Handler) fallers(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	limit, err := limitOf(c, 20)
	if err != nil {
		return err
	}
	out, err := h.q.Fallers(c.UserContext(), r, day, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"region": r, "day": dayString(day), "fallers": out})
}

// ReportView is a region's daily report with the names a reader needs.
type ReportView struct {
	governance.Report
	RegionName   string            `json:"region_name"`
	CompanyNames map[string]string `json:"company_names"`
	RegionNames  map[string]string `json:"region_names"` // of the ranked child regions
	KindNames    map[string]string `json:"kind_names"`
	// Rejections are the region's 各表校验拒收情况 of the day (Handler.Rejections).
	Rejections []RejectionRow `json:"rejections"`
}

// topOffenders bounds a report's fallers and worst companies.
const topOffenders = 20

// Report builds the daily report of region r for the local day of day from the
// stored facts, the registry and the previous day's stored scores: counting facts up
// to now for today, to the day's end for a past day (so a past day's report holds
// exactly its final stored scores).
func (h *Handler) Report(ctx context.Context, r readmodel.Region, day time.Time) (ReportView, error) {
	start, end := governance.DayBounds(day)
	asOf := h.svc.cfg.Now()
	if asOf.After(end) {
		asOf = end
	}
	tx, err := h.svc.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return ReportView{}, fmt.Errorf("quality: report: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	members, err := Members(ctx, tx)
	if err != nil {
		return ReportView{}, err
	}
	facts, err := DayFacts(ctx, tx, start, end)
	if err != nil {
		return ReportView{}, err
	}
	prev, err := h.q.StoredScores(ctx, r, day.AddDate(0, 0, -1))
	if err != nil {
		return ReportView{}, err
	}
	rep := governance.DailyReport(&h.svc.cfg.Rules, r.Code, day, asOf, facts, members, prev, topOffenders)
	v := ReportView{Report: rep, RegionName: r.Name, RegionNames: map[string]string{}, KindNames: map[string]string{}}
	if v.CompanyNames, err = h.q.Names(ctx, r.Scope); err != nil {
		return v, err
	}
	if v.Rejections, err = h.rejectionRows(ctx, tx, r.Scope, "", day); err != nil {
		return v, err
	}
	parks, err := h.q.ParkNames(ctx)
	if err != nil {
		return v, err
	}
	for _, x := range rep.Children {
		v.RegionNames[x.Region] = parks[x.Region]
		if d, ok := tiers.DivisionByCode(x.Region); ok && x.Level != governance.LevelPark {
			v.RegionNames[x.Region] = d.NameZH
		}
	}
	for k, rule := range h.svc.cfg.Rules.Kinds {
		v.KindNames[string(k)] = rule.NameZH
	}
	return v, nil
}

func (h *Handler) reportOf(c *fiber.Ctx, obj string) (ReportView, error) {
	r, day, err := h.regionDay(c, obj)
	if err != nil {
		return ReportView{}, err
	}
	return h.Report(c.UserContext(), r, day)
}

// report serves GET /governance/report.
func (h *Handler) report(c *fiber.Ctx) error {
	v, err := h.reportOf(c, policy.ObjData)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// shareReport serves GET /share/governance/report: the same report for the share
// service accounts of a region's own systems.
func (h *Handler) shareReport(c *fiber.Ctx) error {
	v, err := h.reportOf(c, policy.ObjShare)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
