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
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// maxPermitDays bounds a permits query's date range: a year of a province's
// permits is already a large workbook.
const maxPermitDays = 366

// maxPermitRows bounds the 作业票 sheet of the workbook.
const maxPermitRows = 50000

func (p *Portal) registerPermits(r fiber.Router) {
	r.Get("/permits", p.permits)
	r.Get("/permits.xlsx", p.permitsXLSX)
	r.Get("/companies/:code/permits/:id", p.permit)
	r.Get("/companies/:code/permits/:id/file", p.permitFile)
}

// permitFilter reads ?from=&to= (作业日期, yyyy-MM-dd; the last 7 days to today by
// default, never after today), ?type= (作业类型 code) and ?region= (a division).
func (p *Portal) permitFilter(c *fiber.Ctx) (readmodel.PermitFilter, error) {
	today := p.cfg.Now().In(schemas.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, schemas.Shanghai)
	date := func(name, zh string, def time.Time) (time.Time, error) {
		v := strings.TrimSpace(c.Query(name))
		if v == "" {
			return def, nil
		}
		d, err := time.ParseInLocation(schemas.DateLayout, v, schemas.Shanghai)
		if err != nil {
			return d, chemguard.Errorf(chemguard.EBadParam, "参数 %s（"+zh+"）%q 格式不正确，应为 yyyy-MM-dd，如 2026-06-01",
				"parameter %s %q is not yyyy-MM-dd, e.g. 2026-06-01", name, v)
		}
		return d, nil
	}
	var f readmodel.PermitFilter
	to, err := date("to", "截止日期", today)
	if err != nil {
		return f, err
	}
	from, err := date("from", "起始日期", to.AddDate(0, 0, -6))
	if err != nil {
		return f, err
	}
	switch {
	case from.After(to):
		return f, chemguard.Errorf(chemguard.EBadParam, "起始日期 %s 晚于截止日期 %s",
			"from %s is after to %s", from.Format(schemas.DateLayout), to.Format(schemas.DateLayout))
	case to.Sub(from) > maxPermitDays*24*time.Hour:
		return f, chemguard.Errorf(chemguard.EBadParam, "日期范围超过 %d 天，请缩小范围",
			"the date range exceeds %d days", maxPermitDays)
	}
	f.From, f.To = from.Format(schemas.DateLayout), to.Format(schemas.DateLayout)
	if f.Type = strings.TrimSpace(c.Query("type")); f.Type != "" {
		if _, ok := schemas.CodesTaskType.Lookup(f.Type); !ok {
			return f, chemguard.Errorf(chemguard.EBadParam, "参数 type（作业类型）%q 不是表2 作业类型的细类编码",
				"parameter type %q is not a task-type code", f.Type)
		}
	}
	if f.Region = strings.TrimSpace(c.Query("region")); f.Region != "" {
		if _, ok := tiers.DivisionByCode(f.Region); !ok {
			return f, chemguard.Errorf(chemguard.EBadParam, "参数 region（行政区划）%q 不是山东省的区划代码",
				"parameter region %q is not a Shandong division code", f.Region)
		}
	}
	return f, nil
}

func (f permitsPage) query() url.Values {
	return url.Values{"from": {f.Filter.From}, "to": {f.Filter.To}, "type": {f.Filter.Type}, "region": {f.Filter.Region}}
}

type permitsPage struct {
	Filter    readmodel.PermitFilter
	Types     []schemas.Code
	Regions   []tiers.Division
	Counts    []readmodel.PermitCount
	Total     int
	Cancelled int
	Permits   []readmodel.Permit
	Pager     web.Pager
	Region    string
	XLSX      string
}

// permits is 特殊作业: the permits of the caller's region by day, county and type
// over a date range, and the permits themselves, each opening its PDF and history.
func (p *Portal) permits(c *fiber.Ctx) error {
	f, err := p.permitFilter(c)
	if err != nil {
		return err
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	scope := p.guard.Scope(c)
	counts, err := p.companyQueries.PermitCounts(c.UserContext(), scope, f)
	if err != nil {
		return err
	}
	list, total, err := p.companyQueries.Permits(c.UserContext(), scope, f, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	page := permitsPage{Filter: f, Types: readmodel.PermitTypes(), Regions: regionChoices(c), Counts: counts,
		Permits: list, Region: userRegion(c)}
	for _, k := range counts {
		page.Total += k.Permits
		page.Cancelled += k.Cancelled
	}
	q := page.query()
	page.Pager = p.pager(Prefix+"/permits", q, number, total)
	page.XLSX = Prefix + "/permits.xlsx?" + q.Encode()
	return p.render(c, "permits", "特殊作业", "permits", page)
}

// regionChoices are the divisions under the caller's own (its cities and
// counties); none for a park's or a company's user.
func regionChoices(c *fiber.Ctx) []tiers.Division {
	var out []tiers.Division
	u := identity.UserFrom(c)
	if u == nil {
		return nil
	}
	domain := u.Domain
	for _, d := range tiers.Divisions() {
		if d.Code == domain {
			continue
		}
		for a := d; ; {
			if a.ParentCode == domain {
				out = append(out, d)
				break
			}
			parent, ok := tiers.DivisionByCode(a.ParentCode)
			if !ok {
				break
			}
			a = parent
		}
	}
	return out
}

// permitsXLSX is the same range as an Excel workbook: the counts and every permit.
func (p *Portal) permitsXLSX(c *fiber.Ctx) error {
	f, err := p.permitFilter(c)
	if err != nil {
		return err
	}
	scope := p.guard.Scope(c)
	counts, err := p.companyQueries.PermitCounts(c.UserContext(), scope, f)
	if err != nil {
		return err
	}
	list, total, err := p.companyQueries.Permits(c.UserContext(), scope, f, 0, maxPermitRows)
	if err != nil {
		return err
	}
	if total > maxPermitRows {
		return chemguard.Errorf(chemguard.EBadParam, "所选范围共 %d 张作业票，超过导出上限 %d，请缩小日期范围或选择区县",
			"%d permits exceed the export limit %d; narrow the range", total, maxPermitRows)
	}
	data, err := readmodel.PermitsXLSX(userRegion(c), f, counts, list)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("特殊作业-%s-%s.xlsx", f.From, f.To)
	c.Set(fiber.HeaderContentType, governancesvc.XLSXContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="permits-%s-%s.xlsx"; filename*=UTF-8''%s`,
		f.From, f.To, url.PathEscape(name)))
	return c.Send(data)
}

type permitPage struct {
	Permit   readmodel.Permit
	Versions []readmodel.PermitVersion
	Fields   []schemas.Field
	// Steps: who did what on the permit in the hosted base system (none for a
	// permit the company's own system sent).
	Steps []readmodel.PermitStep
}

// permit is one permit of a company the caller may read: its current record, its
// 作业票证 and every version received, with what each changed.
func (p *Portal) permit(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	pm, versions, err := p.companyQueries.Permit(c.UserContext(), e.Code, c.Params("id"))
	if err != nil {
		return err
	}
	var fields []schemas.Field
	for _, f := range schemas.SpecialOperations.Fields {
		if f.Kind != schemas.KindFile && f.ID != "COMPANY_CODE" {
			fields = append(fields, f)
		}
	}
	steps, err := p.companyQueries.PermitSteps(c.UserContext(), e.Code, pm.ID)
	if err != nil {
		return err
	}
	return p.render(c, "permit", "作业票 "+pm.ID, "permits", permitPage{Permit: pm, Versions: versions, Fields: fields, Steps: steps})
}

// permitFile serves a permit's 作业票证 (the current one, or ?version='s) inline,
// as the company sent it (PDF or image).
func (p *Portal) permitFile(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	var version int64
	if v := c.Query("version"); v != "" {
		if version, err = strconv.ParseInt(v, 10, 64); err != nil || version <= 0 {
			return chemguard.Errorf(chemguard.EBadParam, "参数 version（版本）%q 不是正整数",
				"parameter version %q is not a positive integer", v)
		}
	}
	ref, contentType, err := p.companyQueries.PermitFile(c.UserContext(), e.Code, c.Params("id"), version)
	if err != nil {
		return err
	}
	if ref == "" || p.files == nil {
		return chemguard.Errorf(chemguard.ENotFound, "没有该作业票证文件", "no such permit file")
	}
	data, err := p.files.Get(ref)
	if err != nil {
		return err
	}
	if contentType != "application/pdf" && !strings.HasPrefix(contentType, "image/") {
		contentType = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, "inline")
	return c.Send(data)
}
