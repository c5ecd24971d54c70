package portal

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// page reads the page number ?page= (web.PageNumber) and the offset of its
// first row.
func (p *Portal) page(c *fiber.Ctx) (number, offset int, err error) {
	if number, err = web.PageNumber(c); err != nil {
		return 0, 0, err
	}
	return number, (number - 1) * p.cfg.PageSize, nil
}

func (p *Portal) pager(path string, q url.Values, number, total int) web.Pager {
	return web.NewPager(path, q, number, p.cfg.PageSize, total)
}

type homePage struct {
	Stats   readmodel.Stats
	Day     string
	Window  int
	MapData template.JS
	Drill   drill          // 下钻: a city's counties or a county's companies
	Quality *regionQuality // the region's 数据质量 score today, nil without it
}

// CityPoint is a city on the home page's map and in the table under it: its
// companies in the caller's region and their open warnings. Mine is false for a city
// outside the caller's region: the map draws it as 无数据 (not as 0 warnings, which
// would claim the city is calm).
type CityPoint struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Value    int    `json:"value"`
	Warnings int    `json:"warnings"`
	Mine     bool   `json:"mine"`
}

// CityPoints are the map's cities (every city of Shandong) from the region's stats.
func CityPoints(st readmodel.Stats, scope tiers.Scope) []CityPoint {
	pts := make([]CityPoint, len(st.ByCity))
	for i, c := range st.ByCity {
		mine := scope.All || c.Count > 0
		for _, county := range scope.Counties {
			if d, ok := tiers.DivisionByCode(county); ok && d.ParentCode == c.Code {
				mine = true
			}
		}
		pts[i] = CityPoint{c.Code, c.Name, c.Count, st.WarningsByCity[c.Code], mine}
	}
	return pts
}

func (p *Portal) home(c *fiber.Ctx) error {
	now := p.cfg.Now()
	scope := p.guard.Scope(c)
	st, err := p.companyQueries.Stats(c.UserContext(), scope, now, p.cfg.OnlineWindow)
	if err != nil {
		return err
	}
	b, err := json.Marshal(CityPoints(st, scope))
	if err != nil {
		return fmt.Errorf("portal: map data: %w", err)
	}
	page := homePage{Stats: st, Day: dayText(now), Window: int(p.cfg.OnlineWindow.Minutes()), MapData: template.JS(b)}
	if page.Quality, err = p.homeQuality(c); err != nil {
		return err
	}
	// 下钻: the city or county asked for (?region=), or the caller's own city.
	if page.Drill, err = p.drillDown(c.UserContext(), scope, c.Query("region")); err != nil {
		return err
	}
	return p.render(c, "home", "综合分析", "home", page)
}

type companiesPage struct {
	Q          string
	Region     string // division filter: a city or county code, "" for none
	RegionName string
	Companies  []readmodel.Enterprise
	Pager      web.Pager
}

// countiesOf returns the counties a division filter stands for: a county itself,
// a city its counties; nil (no filter) for "" and the province.
func countiesOf(region string) ([]string, error) {
	if region == "" || region == tiers.ProvinceCode {
		return nil, nil
	}
	d, ok := tiers.DivisionByCode(region)
	if !ok {
		return nil, chemguard.Errorf(chemguard.EInvalid, "行政区划代码「%s」无效", "unknown division %q", region)
	}
	if d.Level == tiers.County {
		return []string{d.Code}, nil
	}
	out := []string{}
	for _, c := range tiers.Children(d.Code) {
		out = append(out, c.Code)
	}
	return out, nil
}

func (p *Portal) companies(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	region := strings.TrimSpace(c.Query("region"))
	counties, err := countiesOf(region)
	if err != nil {
		return err
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	// The filter narrows the caller's scope, never widens it: both apply in SQL.
	list, total, err := p.companyQueries.Enterprises(c.UserContext(), p.guard.Scope(c), q, counties, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	page := companiesPage{Q: q, Region: region, Companies: list,
		Pager: p.pager(Prefix+"/companies", url.Values{"q": {q}, "region": {region}}, number, total)}
	if counties != nil {
		page.RegionName = readmodel.RegionName(region)
	}
	return p.render(c, "companies", "企业列表", "companies", page)
}

// reachable loads the enterprise and checks the caller may read its data: 403
// (audited) outside the caller's region; an unregistered code is 404 only for
// a caller who reaches the whole province, 403 for anyone else.
func (p *Portal) reachable(c *fiber.Ctx, code string) (readmodel.Enterprise, error) {
	e, err := p.companyQueries.Enterprise(c.UserContext(), code)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := p.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return e, cerr
		}
	}
	if err != nil {
		return e, err
	}
	return e, p.guard.Check(c, policy.ObjData, policy.ActRead, e.Path())
}

func (p *Portal) company(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	d, err := p.companyQueries.Detail(c.UserContext(), e, p.cfg.Now())
	if err != nil {
		return err
	}
	page := companyPage{Detail: d, Plan: planOf(&d)}
	if p.rollout != nil {
		dual, err := p.rollout.Read.Dual(c.UserContext(), e.Code)
		if err != nil {
			return err
		}
		page.Dual = &dual
	}
	if p.quality != nil {
		v, err := p.companyQuality(c, e, p.quality.Read.Today())
		if err != nil {
			return err
		}
		page.Quality = &v
	}
	return p.render(c, "company", e.Name, "companies", page)
}

// companyPage is 企业一张图: the company's detail with what only the portal draws.
type companyPage struct {
	readmodel.Detail
	Plan    Plan                   // the plant's schematic (planOf)
	Quality *readmodel.CompanyView // 数据质量: score and facts, nil without the 数据质量 pages
	Dual    *readmodel.DualView    // 双重预防 figures, nil without the rollout pages
}

type dataPage struct {
	Tables  []*schemas.Table
	Table   *schemas.Table
	Columns []schemas.Field
	Company string
	Q       string
	Rows    []readmodel.Row
	Pager   web.Pager
}

func (p *Portal) data(c *fiber.Ctx) error {
	slug := c.Query("table", schemas.Tables()[0].Slug)
	t, err := schemas.Lookup(slug)
	if err != nil {
		return err
	}
	company := strings.TrimSpace(c.Query("company"))
	if company != "" {
		if _, err := p.reachable(c, company); err != nil {
			return err
		}
	}
	q := strings.TrimSpace(c.Query("q"))
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	rows, total, err := p.companyQueries.Records(c.UserContext(), t, p.guard.Scope(c), company, q, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	var cols []schemas.Field
	for _, f := range t.Fields {
		if f.Kind != schemas.KindFile && f.ID != "COMPANY_CODE" && f.ID != "DELETED" {
			cols = append(cols, f)
		}
	}
	return p.render(c, "data", "数据浏览", "data", dataPage{Tables: schemas.Tables(), Table: t, Columns: cols,
		Company: company, Q: q, Rows: rows,
		Pager: p.pager(Prefix+"/data", url.Values{"table": {t.Slug}, "company": {company}, "q": {q}}, number, total)})
}

type rejectionsPage struct {
	Tables     []*schemas.Table
	Table      string
	Company    string
	Rejections []readmodel.Rejection
	Pager      web.Pager
}

func (p *Portal) rejections(c *fiber.Ctx) error {
	table := c.Query("table")
	if table != "" {
		if _, err := schemas.Lookup(table); err != nil {
			return err
		}
	}
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
	list, total, err := p.companyQueries.Rejections(c.UserContext(), p.guard.Scope(c), company, table, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	return p.render(c, "rejections", "拒收记录", "rejections", rejectionsPage{Tables: schemas.Tables(), Table: table,
		Company: company, Rejections: list,
		Pager: p.pager(Prefix+"/rejections", url.Values{"table": {table}, "company": {company}}, number, total)})
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	// code shows a coded value with its seed name: "11 二级动火作业".
	"code": func(tableID string, v any) string {
		s := str(v)
		if t, ok := schemas.CodeTableByID(tableID); ok {
			if c, ok := t.Lookup(s); ok {
				return c.NameZH
			}
		}
		return s
	},
	"str": str,
	// cell shows field f of doc, with the name of a coded value.
	"cell": func(f schemas.Field, d readmodel.Doc) string {
		s := str(d[f.ID])
		if f.Code != nil {
			if c, ok := f.Code.Lookup(s); ok {
				return s + " " + c.NameZH
			}
		}
		if r := []rune(s); len(r) > 80 {
			return string(r[:80]) + "…"
		}
		return s
	},
	"region":   readmodel.RegionName,
	"resultZH": resultZH,
	// coord shows a longitude or latitude, "—" when missing.
	"coord": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 6, 64)
	},
	"actionZH":  actionZH,
	"subjectZH": SubjectZH,
	// limits names an indicator's thresholds that are set, e.g. "高报 20；高高报 40".
	"limits": func(ind readmodel.Doc) string {
		var parts []string
		for _, k := range limitNames {
			if v := str(ind[k.field]); v != "" {
				parts = append(parts, k.name+" "+v)
			}
		}
		if len(parts) == 0 {
			return "未设"
		}
		return strings.Join(parts, "；")
	},
	"plainZH": PlainZH,
	"roleZH":  func(r policy.Role) string { return r.Label() },
	"rolesZH": policy.RoleLabels,
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case map[string]any:
		return "[文件]"
	}
	return fmt.Sprint(v)
}

// SubjectZH shows a 数据质量 fact's subject — a key such as "sensor-readings/2026-12-05"
// or "hot_work/2026-12-05" — in the seed's words: "感知数据 2026-12-05",
// "动火作业 2026-12-05". Other subjects (an indicator's or device's code) stay as
// they are.
func SubjectZH(s string) string {
	head, rest, ok := strings.Cut(s, "/")
	if !ok {
		return s
	}
	if head == "hot_work" {
		return "动火作业 " + rest
	}
	if t, ok := schemas.TableBySlug(head); ok {
		return t.NameZH + " " + rest
	}
	return s
}

// PlainZH rewrites the words of a generated note that are identifiers — exchange
// table slugs ("sensor-readings") and validation rule codes ("datetime",
// "required") — by their Chinese names, e.g. "感知数据 当日拒收 31 / 100 条：时间格式错误
// 13 必填项缺失 18".
func PlainZH(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if t, ok := schemas.TableBySlug(w); ok {
			words[i] = t.NameZH
		} else if n := governancesvc.RuleNameZH(w); n != w {
			words[i], _, _ = strings.Cut(n, "（")
		}
	}
	return strings.Join(words, " ")
}
