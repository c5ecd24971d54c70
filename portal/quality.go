package portal

import (
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
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Quality is what the 数据质量 pages (/portal/quality/*) use: the governance API's
// queries and the notices (整改通知), and a check that shows or hides the forms a
// caller may submit (access.Service.Can).
type Quality struct {
	Gov *governancesvc.NoticeHandler
	Can func(c *fiber.Ctx, obj, act string) bool
}

// EnableQuality gives the portal the 数据质量 pages, the governance score on 首页 and
// the governance facts on 企业一张图; without it those answer 404 or are left out.
// Call it before Register.
func (p *Portal) EnableQuality(q Quality) { p.quality = &q }

var errNoQuality = fiber.NewError(fiber.StatusNotFound)

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
func (p *Portal) qualityRegion(c *fiber.Ctx) (governancesvc.Region, error) {
	v := strings.TrimSpace(c.Query("region"))
	if v == "" {
		if u := identity.UserFrom(c); u != nil {
			v = u.Domain
		}
		if strings.HasPrefix(v, "ent:") {
			return governancesvc.Region{}, chemguard.Errorf(chemguard.EForbidden, "企业账号不能查看地区的数据质量",
				"an enterprise account sees no region's data quality")
		}
	}
	r, err := p.quality.Gov.ResolveRegion(c.UserContext(), v)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := p.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return r, cerr
		}
	}
	if err != nil {
		return r, err
	}
	return r, p.guard.Check(c, policy.ObjData, policy.ActRead, r.Path)
}

// qualityRegionDay is qualityRegion and qualityDay, 404 without the 数据质量 pages.
func (p *Portal) qualityRegionDay(c *fiber.Ctx) (governancesvc.Region, time.Time, error) {
	if p.quality == nil {
		return governancesvc.Region{}, time.Time{}, errNoQuality
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
	return p.quality.Gov.ParseDay(strings.TrimSpace(c.Query("day")))
}

func dayText(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateLayout) }

type qualityPage struct {
	Region   governancesvc.Region
	Day      string
	Regions  governancesvc.RegionsView
	Fallers  []governancesvc.FallerView
	Scores   []governancesvc.CompanyScore
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
	gov := p.quality.Gov
	page := qualityPage{Region: r, Day: dayText(day),
		ChildTxt: map[string]string{governance.LevelProvince: "市", governance.LevelCity: "区县", governance.LevelCounty: "化工园区"}[r.Level]}
	if page.Regions, err = gov.Regions(ctx, r, day); err != nil {
		return err
	}
	if page.Fallers, err = gov.Fallers(ctx, r, day, 10); err != nil {
		return err
	}
	rows, err := gov.Rejections(ctx, r.Scope, "", day)
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
	if _, page.Open, err = gov.Notices().List(ctx, governancesvc.NoticeFilter{Scope: r.Scope, Status: "open", Limit: 1}); err != nil {
		return err
	}
	if _, page.Overdue, err = gov.Notices().List(ctx, governancesvc.NoticeFilter{Scope: r.Scope, Status: "overdue", Limit: 1}); err != nil {
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
	return p.quality.Gov.SendXLSX(c, r, day)
}

type qualityCompanyPage struct {
	Enterprise Enterprise
	View       governancesvc.CompanyView
	Notices    []governancesvc.Notice
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
	funcs["noticeStatus"] = governancesvc.NoticeStatusZH
	funcs["score"] = func(v float64) string { return fmt.Sprintf("%.1f", v) }
	funcs["share"] = func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
	funcs["whenp"] = func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	}
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
		Deadline: dayText(p.quality.Gov.Today().AddDate(0, 0, 7)),
		CanIssue: p.quality.Can(c, policy.ObjInspection, policy.ActWrite)}
	if page.View, err = p.companyQuality(c, e, day); err != nil {
		return err
	}
	if page.Rejected, err = p.quality.Gov.Rejections(c.UserContext(), tiers.Scope{Enterprise: e.Code}, e.Code, day); err != nil {
		return err
	}
	if page.Notices, _, err = p.quality.Gov.Notices().List(c.UserContext(),
		governancesvc.NoticeFilter{Scope: tiers.Scope{Enterprise: e.Code}, Limit: 50}); err != nil {
		return err
	}
	return p.render(c, "quality_company", "数据质量 · "+e.Name, "quality", page)
}

// companyQuality is the company's governance detail; the caller has checked access.
func (p *Portal) companyQuality(c *fiber.Ctx, e Enterprise, day time.Time) (governancesvc.CompanyView, error) {
	return p.quality.Gov.CompanyDetail(c.UserContext(), governancesvc.CompanyView{Company: e.Code, CompanyName: e.Name,
		County: e.DivisionCode, Park: e.ParkCode}, day)
}

type noticesPage struct {
	Status  string
	Company string
	Notices []governancesvc.Notice
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
	list, total, err := p.quality.Gov.Notices().List(c.UserContext(), governancesvc.NoticeFilter{Scope: p.guard.Scope(c),
		Company: company, Status: status, Offset: offset, Limit: p.cfg.PageSize})
	if err != nil {
		return err
	}
	return p.render(c, "quality_notices", "整改通知", "quality", noticesPage{Status: status, Company: company,
		Notices: list, Pager: p.pager(Prefix+"/quality/notices", url.Values{"status": {status}, "company": {company}}, number, total)})
}

type noticePage struct {
	Notice  governancesvc.Notice
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
	n, err := p.quality.Gov.Notices().Get(c.UserContext(), id)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := p.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return err
	}
	if err := p.guard.Check(c, policy.ObjData, policy.ActRead, n.Path()); err != nil {
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
	deadline, err := governancesvc.ParseDeadline(c.FormValue("deadline"))
	if err != nil {
		return err
	}
	var facts []string
	for _, v := range c.Context().PostArgs().PeekMulti("fact_id") {
		facts = append(facts, string(v))
	}
	n, err := p.quality.Gov.IssueAs(c, governancesvc.NewIssue{Company: strings.Clone(c.FormValue("company_code")), Facts: facts,
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
	n, err := p.quality.Gov.CloseAs(c, strings.Clone(c.FormValue("reason")))
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
		if deadline, err = governancesvc.ParseDeadline(v); err != nil {
			return err
		}
	}
	n, err := p.quality.Gov.ReopenAs(c, strings.Clone(c.FormValue("reason")), deadline)
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
	r, err := p.quality.Gov.ResolveRegion(c.UserContext(), u.Domain)
	if err != nil {
		return nil, err
	}
	q := &regionQuality{Region: r}
	q.Score, q.Trend, err = p.quality.Gov.RegionScore(c.UserContext(), r, p.quality.Gov.Today())
	return q, err
}

// regionQuality is a region's governance score and its change.
type regionQuality struct {
	Region governancesvc.Region
	Score  *governance.RegionScore
	Trend  *governance.Trend
}
