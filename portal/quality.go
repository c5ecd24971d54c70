package portal

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	notice "github.com/shandong-emergency/chemguard/notices" // admin.go's notices are its confirmations
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Quality is what the 数据质量 pages (/portal/quality/*) use: the data-quality
// read model, the reports the governance runner builds, the notices (整改通知)
// with the caller as their actor, and a check that shows or hides the forms a
// caller may submit (auth.Service.Can).
type Quality struct {
	Read    *readmodel.Quality
	Reports Reports
	Notices *notice.Service
	Actor   func(c *fiber.Ctx) notice.Actor // the caller, checked through the access guard
	Can     func(c *fiber.Ctx, obj, act string) bool
}

// Reports are the 各表校验拒收情况 and the Excel daily report (治理日报), which the
// governance runner builds from its own tables; governancesvc.Handler implements it.
type Reports interface {
	Rejections(ctx context.Context, scope tiers.Scope, company string, day time.Time) ([]governancesvc.RejectionRow, error)
	XLSX(ctx context.Context, r readmodel.Region, day time.Time) ([]byte, error)
}

// EnableQuality gives the portal the 数据质量 pages, the governance score on 首页 and
// the governance facts on 企业一张图; without it those answer 404 or are left out.
// Call it before Register.
func (p *Portal) EnableQuality(q Quality) { p.quality = &q }

var errNoQuality = chemguard.Errorf(chemguard.ENotFound, "页面不存在", "not found")

func (p *Portal) registerQuality(r fiber.Router) {
	r.Get("/quality", p.qualityHome)
	r.Get("/quality/report.xlsx", p.qualityReport)
	r.Get("/quality/companies/:code", p.qualityCompany)
	r.Get("/quality/notices", p.qualityNotices)
	r.Post("/quality/notices", p.qualityIssue)
	r.Get("/quality/notices/:id", p.qualityNotice)
	r.Post("/quality/notices/:id/close", p.qualityClose)
	r.Post("/quality/notices/:id/reopen", p.qualityReopen)
}

// qualityRegion resolves ?region= (the caller's own domain by default) and checks
// the caller may read it: 403 (audited) outside its region.
func (p *Portal) qualityRegion(c *fiber.Ctx) (readmodel.Region, error) {
	v := strings.TrimSpace(c.Query("region"))
	if v == "" {
		if u := identity.UserFrom(c); u != nil {
			v = u.Domain
		}
		if strings.HasPrefix(v, "ent:") {
			return readmodel.Region{}, chemguard.Errorf(chemguard.EForbidden, "企业账号不能查看地区的数据质量",
				"an enterprise account sees no region's data quality")
		}
	}
	return p.quality.Read.CheckedRegion(c.UserContext(), v, func(path string) error {
		return p.guard.Check(c, policy.ObjData, policy.ActRead, path)
	})
}

// qualityRegionDay is qualityRegion and qualityDay, 404 without the 数据质量 pages.
func (p *Portal) qualityRegionDay(c *fiber.Ctx) (readmodel.Region, time.Time, error) {
	if p.quality == nil {
		return readmodel.Region{}, time.Time{}, errNoQuality
	}
	r, err := p.qualityRegion(c)
	if err != nil {
		return r, time.Time{}, err
	}
	day, err := p.qualityDay(c)
	return r, day, err
}

// qualityDay reads ?day= (yyyy-MM-dd), today by default, not after today.
func (p *Portal) qualityDay(c *fiber.Ctx) (time.Time, error) {
	return p.quality.Read.ParseDay(strings.TrimSpace(c.Query("day")))
}

func dayText(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateLayout) }

type qualityPage struct {
	Region   readmodel.Region
	Day      string
	Regions  readmodel.RegionsView
	Fallers  []readmodel.FallerView
	Scores   []readmodel.CompanyScore
	Pager    web.Pager
	Rejected []governancesvc.RejectionRow // the tables and rules with the highest rejected share
	Overdue  int                          // the region's overdue notices
	Open     int                          // the region's open notices
	ChildTxt string
}

// qualityHome serves 数据质量: the region's score and trend, the ranking of the
// regions under it, the companies whose score fell most, and its companies' scores
// (worst first, paginated in SQL).
func (p *Portal) qualityHome(c *fiber.Ctx) error {
	r, day, err := p.qualityRegionDay(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	gov := p.quality.Read
	page := qualityPage{Region: r, Day: dayText(day),
		ChildTxt: map[string]string{governance.LevelProvince: "市", governance.LevelCity: "区县", governance.LevelCounty: "化工园区"}[r.Level]}
	if page.Regions, err = gov.Regions(ctx, r, day); err != nil {
		return err
	}
	if page.Fallers, err = gov.Fallers(ctx, r, day, 10); err != nil {
		return err
	}
	rows, err := p.quality.Reports.Rejections(ctx, r.Scope, "", day)
	if err != nil {
		return err
	}
	page.Rejected = governancesvc.TopRejections(rows, 10)
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	var total int
	if page.Scores, total, err = gov.CompanyScores(ctx, r.Scope, day, offset, p.cfg.PageSize); err != nil {
		return err
	}
	page.Pager = p.pager(Prefix+"/quality", url.Values{"region": {c.Query("region")}, "day": {c.Query("day")}}, number, total)
	if _, page.Open, err = p.quality.Notices.List(ctx, notice.Filter{Scope: r.Scope, Status: "open", Limit: 1}); err != nil {
		return err
	}
	if _, page.Overdue, err = p.quality.Notices.List(ctx, notice.Filter{Scope: r.Scope, Status: "overdue", Limit: 1}); err != nil {
		return err
	}
	return p.render(c, "quality", "数据质量", "quality", page)
}

// qualityReport serves the region's daily report (治理日报) as Excel.
func (p *Portal) qualityReport(c *fiber.Ctx) error {
	r, day, err := p.qualityRegionDay(c)
	if err != nil {
		return err
	}
	data, err := p.quality.Reports.XLSX(c.UserContext(), r, day)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, governancesvc.XLSXContentType)
	c.Set(fiber.HeaderContentDisposition, governancesvc.XLSXDisposition(r, day))
	return c.Send(data)
}

type qualityCompanyPage struct {
	Enterprise readmodel.Enterprise
	View       readmodel.CompanyView
	Notices    []notice.Notice
	Rejected   []governancesvc.RejectionRow // 各表校验拒收情况 of the day
	CanIssue   bool
	Deadline   string // the default deadline offered: in 7 days
}

func init() {
	// change shows a day-over-day change with its sign; "—" without a previous score.
	funcs["change"] = func(score float64, prev *float64) string {
		if prev == nil {
			return "—"
		}
		return fmt.Sprintf("%+.1f", score-*prev)
	}
	funcs["noticeStatus"] = notice.StatusZH
	funcs["score"] = func(v float64) string { return fmt.Sprintf("%.1f", v) }
	funcs["share"] = func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
}

// qualityCompany serves a company's score breakdown with its facts and evidence,
// its notices and the form to issue one.
func (p *Portal) qualityCompany(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	day, err := p.qualityDay(c)
	if err != nil {
		return err
	}
	page := qualityCompanyPage{Enterprise: e,
		Deadline: dayText(p.quality.Read.Today().AddDate(0, 0, 7)),
		CanIssue: p.quality.Can(c, policy.ObjInspection, policy.ActWrite)}
	if page.View, err = p.companyQuality(c, e, day); err != nil {
		return err
	}
	if page.Rejected, err = p.quality.Reports.Rejections(c.UserContext(), tiers.Scope{Enterprise: e.Code}, e.Code, day); err != nil {
		return err
	}
	if page.Notices, _, err = p.quality.Notices.List(c.UserContext(),
		notice.Filter{Scope: tiers.Scope{Enterprise: e.Code}, Limit: 50}); err != nil {
		return err
	}
	return p.render(c, "quality_company", "数据质量 · "+e.Name, "quality", page)
}

// companyQuality is the company's governance detail; the caller has checked access.
func (p *Portal) companyQuality(c *fiber.Ctx, e readmodel.Enterprise, day time.Time) (readmodel.CompanyView, error) {
	return p.quality.Read.CompanyDetail(c.UserContext(), readmodel.CompanyView{Company: e.Code, CompanyName: e.Name,
		County: e.DivisionCode, Park: e.ParkCode}, day)
}

type noticesPage struct {
	Status  string
	Company string
	Notices []notice.Notice
	Pager   web.Pager
}

// qualityNotices lists the notices of the caller's region, newest first.
func (p *Portal) qualityNotices(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	status := c.Query("status")
	company := strings.TrimSpace(c.Query("company"))
	if company != "" {
		if _, err := p.reachable(c, company); err != nil {
			return err
		}
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	list, total, err := p.quality.Notices.List(c.UserContext(), notice.Filter{Scope: p.guard.Scope(c),
		Company: company, Status: status, Offset: offset, Limit: p.cfg.PageSize})
	if err != nil {
		return err
	}
	return p.render(c, "quality_notices", "整改通知", "quality", noticesPage{Status: status, Company: company,
		Notices: list, Pager: p.pager(Prefix+"/quality/notices", url.Values{"status": {status}, "company": {company}}, number, total)})
}

type noticePage struct {
	Notice  notice.Notice
	CanAct  bool
	Message string
}

// qualityNotice shows a notice with its facts and status history, and the forms to
// close or reopen it.
func (p *Portal) qualityNotice(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return chemguard.Errorf(chemguard.ENotFound, "整改通知不存在", "no such governance notice")
	}
	n, err := p.quality.Notices.Reachable(c.UserContext(), p.quality.Actor(c), policy.ObjData, policy.ActRead, id)
	if err != nil {
		return err
	}
	return p.render(c, "quality_notice", "整改通知", "quality", noticePage{Notice: n,
		CanAct: p.quality.Can(c, policy.ObjInspection, policy.ActWrite), Message: c.Query("msg")})
}

// qualityIssue issues a notice from the company page's form.
func (p *Portal) qualityIssue(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	deadline, err := notice.ParseDeadline(c.FormValue("deadline"))
	if err != nil {
		return err
	}
	var facts []string
	for _, v := range c.Context().PostArgs().PeekMulti("fact_id") {
		facts = append(facts, string(v))
	}
	n, err := p.quality.Notices.Issue(c.UserContext(), p.quality.Actor(c), notice.NewIssue{Company: strings.Clone(c.FormValue("company_code")), Facts: facts,
		Requirement: strings.Clone(c.FormValue("requirement")), Deadline: deadline})
	if err != nil {
		return err
	}
	return c.Redirect(Prefix+"/quality/notices/"+strconv.FormatInt(n.ID, 10)+"?msg=issued", fiber.StatusSeeOther)
}

func (p *Portal) qualityClose(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := p.quality.Notices.Close(c.UserContext(), p.quality.Actor(c), id, strings.Clone(c.FormValue("reason")))
	if err != nil {
		return err
	}
	return c.Redirect(Prefix+"/quality/notices/"+strconv.FormatInt(n.ID, 10)+"?msg=closed", fiber.StatusSeeOther)
}

func (p *Portal) qualityReopen(c *fiber.Ctx) error {
	if p.quality == nil {
		return errNoQuality
	}
	var deadline time.Time
	if v := c.FormValue("deadline"); v != "" {
		var err error
		if deadline, err = notice.ParseDeadline(v); err != nil {
			return err
		}
	}
	id, err := noticeID(c)
	if err != nil {
		return err
	}
	n, err := p.quality.Notices.Reopen(c.UserContext(), p.quality.Actor(c), id, strings.Clone(c.FormValue("reason")), deadline)
	if err != nil {
		return err
	}
	return c.Redirect(Prefix+"/quality/notices/"+strconv.FormatInt(n.ID, 10)+"?msg=reopened", fiber.StatusSeeOther)
}

// homeQuality is the governance score of the caller's region today for 首页 (nil
// without the 数据质量 pages or for an enterprise account).
func (p *Portal) homeQuality(c *fiber.Ctx) (*regionQuality, error) {
	u := identity.UserFrom(c)
	if p.quality == nil || u == nil || strings.HasPrefix(u.Domain, "ent:") {
		return nil, nil
	}
	r, err := p.quality.Read.ResolveRegion(c.UserContext(), u.Domain)
	if err != nil {
		return nil, err
	}
	q := &regionQuality{Region: r}
	q.Score, q.Trend, err = p.quality.Read.RegionScore(c.UserContext(), r, p.quality.Read.Today())
	return q, err
}

// regionQuality is a region's governance score and its change.
type regionQuality struct {
	Region readmodel.Region
	Score  *governance.RegionScore
	Trend  *governance.Trend
}

// noticeID reads the notice number :id of a form's action; a malformed one is not
// found, as the notices API answers.
func noticeID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chemguard.Errorf(chemguard.ENotFound, "整改通知不存在", "no such governance notice")
	}
	return id, nil
}
