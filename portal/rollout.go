package portal

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web"
)

// Rollout is what the 推广应用进度 and 双重预防 pages use: the rollout read model,
// the county's 验收 register and the region resolver of the 数据质量 pages.
type Rollout struct {
	Read        *readmodel.Rollout
	Acceptances *governancesvc.Acceptances
	Regions     *readmodel.Quality
}

// EnableRollout gives the portal the 推广应用进度 and 双重预防 pages and the 双重预防
// section of 企业一张图; without it those answer 404 or are left out. Call it before
// Register.
func (p *Portal) EnableRollout(r Rollout) { p.rollout = &r }

func init() {
	funcs["sourceZH"] = func(s string) string {
		return map[string]string{"base": "基础版系统", "own": "企业自建系统", "both": "基础版与自建系统"}[s]
	}
	// kindZH is a fact kind's Chinese name.
	funcs["kindZH"] = func(k governance.Kind) string { return governance.DefaultConfig().Kinds[k].NameZH }
	funcs["tableNames"] = tableNames
	funcs["resultZH2"] = governancesvc.AcceptanceResultZH
	funcs["at"] = func(xs []int, i int) int { return xs[i] }
	funcs["systemZH"] = func(key string) string {
		s, _ := governance.SystemByKey(key)
		return s.NameZH
	}
}

var errNoRollout = chemguard.Errorf(chemguard.ENotFound, "页面不存在", "not found")

func (p *Portal) registerRollout(r fiber.Router) {
	r.Get("/rollout", p.rolloutPage)
	r.Get("/rollout.xlsx", p.rolloutXLSX)
	r.Get("/rollout/companies/:code", p.rolloutCompany)
	r.Post("/rollout/companies/:code/acceptances", p.rolloutAccept)
	r.Get("/dual", p.dualPage)
	r.Get("/dual.xlsx", p.dualXLSX)
}

// rolloutRegion resolves ?region= (the caller's own by default) and checks the caller
// may read it, as the 数据质量 pages do.
func (p *Portal) rolloutRegion(c *fiber.Ctx) (readmodel.Region, error) {
	if p.rollout == nil {
		return readmodel.Region{}, errNoRollout
	}
	v := strings.TrimSpace(c.Query("region"))
	if v == "" {
		if u := identity.UserFrom(c); u != nil {
			v = u.Domain
		}
		if strings.HasPrefix(v, "ent:") {
			return readmodel.Region{}, chemguard.Errorf(chemguard.EForbidden, "企业账号不能查看地区的统计",
				"an enterprise account sees no region's figures")
		}
	}
	return p.rollout.Regions.CheckedRegion(c.UserContext(), v, func(path string) error {
		return p.guard.Check(c, policy.ObjData, policy.ActRead, path)
	})
}

type rolloutPage struct {
	readmodel.ProgressView
	Companies []readmodel.CompanyRollout // this page of them
	Pager     web.Pager
	ChildTxt  string
}

// rolloutPage serves 推广应用进度: the region's six systems — companies that owe each,
// have connected it and passed the county's 验收 — by the regions under it, and its
// companies one by one.
func (p *Portal) rolloutPage(c *fiber.Ctx) error {
	r, err := p.rolloutRegion(c)
	if err != nil {
		return err
	}
	v, err := p.rollout.Read.Progress(c.UserContext(), r)
	if err != nil {
		return err
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	page := rolloutPage{ProgressView: v, ChildTxt: map[string]string{"province": "市", "city": "区县"}[r.Level]}
	end := min(offset+p.cfg.PageSize, len(v.Companies))
	if offset < end {
		page.Companies = v.Companies[offset:end]
	}
	page.Pager = web.NewPager(Prefix+"/rollout", url.Values{"region": {c.Query("region")}}, number, p.cfg.PageSize, len(v.Companies))
	return p.render(c, "rollout", "推广应用进度", "rollout", page)
}

// rolloutXLSX is the progress report as Excel: 按地区 and 企业明细.
func (p *Portal) rolloutXLSX(c *fiber.Ctx) error {
	r, err := p.rolloutRegion(c)
	if err != nil {
		return err
	}
	v, err := p.rollout.Read.Progress(c.UserContext(), r)
	if err != nil {
		return err
	}
	b, err := RolloutXLSX(v, p.cfg.Now())
	if err != nil {
		return err
	}
	return sendXLSX(c, b, "推广应用进度-"+r.Name+"-"+dayText(p.cfg.Now())+".xlsx")
}

func sendXLSX(c *fiber.Ctx, b []byte, name string) error {
	c.Set(fiber.HeaderContentType, governancesvc.XLSXContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="report.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	return c.Send(b)
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
}

// sheet writes rows (the first the header, bold) to a new or the first sheet.
func sheet(f *excelize.File, name string, first bool, rows [][]any) error {
	if first {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(name, cell, &row); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		end, _ := excelize.CoordinatesToCellName(len(rows[0]), 1)
		if err := f.SetCellStyle(name, "A1", end, bold); err != nil {
			return err
		}
	}
	return nil
}

// RolloutXLSX writes the progress report: 按地区 (each region under the asked one and
// the total: companies, and per system those that owe it, connected it and passed
// 验收) and 企业明细 (every company's state of each system, since when and its last
// record).
func RolloutXLSX(v readmodel.ProgressView, now time.Time) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	head := []any{"地区", "企业数", "从未上传应传数据的企业"}
	for _, s := range v.Systems {
		head = append(head, s.NameZH+" 应建", s.NameZH+" 已接入", s.NameZH+" 验收通过")
	}
	regionRow := func(r readmodel.RegionRollout) []any {
		row := []any{r.Name, r.Companies, r.NeverSent}
		for i := range v.Systems {
			row = append(row, r.Owed[i], r.Connected[i], r.Accepted[i])
		}
		return row
	}
	rows := [][]any{head}
	for _, r := range v.Regions {
		rows = append(rows, regionRow(r))
	}
	total := v.Total
	total.Name = "合计（" + v.Region.Name + "）"
	rows = append(rows, regionRow(total))
	if err := sheet(f, "按地区", true, rows); err != nil {
		return nil, fmt.Errorf("portal: rollout xlsx: %w", err)
	}
	head = []any{"企业编码", "企业名称", "所属区县", "企业类型", "系统", "是否应建", "状态", "接入方式", "首次上传", "最近上传",
		"未上传的应传表", "数据滞后的表", "验收结果", "验收日期", "验收人"}
	rows = [][]any{head}
	for _, c := range v.Companies {
		for _, s := range c.Systems {
			owed := "否"
			if s.Owed {
				owed = "是"
			}
			row := []any{c.Code, c.Name, readmodel.RegionName(c.County), c.Kind, s.System.NameZH, owed, s.StateZH(),
				s.SourceZH(), fmtWhen(s.First), fmtWhen(s.Last), tableNames(s.Missing), tableNames(s.Stale)}
			if a := s.Accepted; a != nil {
				row = append(row, governancesvc.AcceptanceResultZH(a.Result), a.On.Format(schemas.DateLayout), a.By)
			} else {
				row = append(row, "", "", "")
			}
			rows = append(rows, row)
		}
	}
	if err := sheet(f, "企业明细", false, rows); err != nil {
		return nil, fmt.Errorf("portal: rollout xlsx: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("portal: rollout xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

func tableNames(slugs []string) string {
	names := make([]string, 0, len(slugs))
	for _, s := range slugs {
		if t, ok := schemas.TableBySlug(s); ok {
			names = append(names, t.NameZH)
		}
	}
	return strings.Join(names, "、")
}

type rolloutCompanyPage struct {
	Enterprise readmodel.Enterprise
	Rollout    readmodel.CompanyRollout
	History    []governancesvc.Acceptance
	CanAccept  bool   // the caller is the company's county regulator
	Today      string // the default 验收 date
	Msg        string
}

// rolloutCompany serves a company's six systems with its 验收 history and, for the
// company's county regulator, the 验收 form.
func (p *Portal) rolloutCompany(c *fiber.Ctx) error {
	if p.rollout == nil {
		return errNoRollout
	}
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	page := rolloutCompanyPage{Enterprise: e, Today: dayText(p.cfg.Now()), Msg: c.Query("msg")}
	if page.Rollout, err = p.rollout.Read.CompanySystems(c.UserContext(), e.Code); err != nil {
		return err
	}
	if page.History, err = p.rollout.Acceptances.AcceptanceHistory(c.UserContext(), e.Code); err != nil {
		return err
	}
	page.CanAccept = governancesvc.AcceptanceAllowed(p.acceptor(c), page.Rollout.County) == nil
	return p.render(c, "rollout_company", e.Name+" 推广应用", "rollout", page)
}

// acceptor is the caller as the 验收 register sees it.
func (p *Portal) acceptor(c *fiber.Ctx) governancesvc.Acceptor {
	ev := p.guard.Actor(c)
	a := governancesvc.Acceptor{Name: ev.Actor, Role: ev.ActorRole, ClientIP: ev.ClientIP}
	if u := identity.UserFrom(c); u != nil {
		a.Domain = u.Domain
		a.CountyRegulator = slices.ContainsFunc(u.Roles, func(r policy.Role) bool {
			return r == policy.CountyLeader || r == policy.CountyStaff
		})
	}
	return a
}

// rolloutAccept records a 验收 (the register checks the caller is the company's
// county regulator and audits the act).
func (p *Portal) rolloutAccept(c *fiber.Ctx) error {
	if p.rollout == nil {
		return errNoRollout
	}
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	_, err = p.rollout.Acceptances.Record(c.UserContext(), governancesvc.AcceptanceInput{Company: e.Code,
		System: strings.Clone(c.FormValue("system")), Result: strings.Clone(c.FormValue("result")),
		On: strings.Clone(c.FormValue("accepted_on")), Note: strings.Clone(c.FormValue("note"))}, p.acceptor(c))
	if err != nil {
		return err
	}
	return c.Redirect(Prefix+"/rollout/companies/"+url.PathEscape(e.Code)+"?msg=accepted", fiber.StatusSeeOther)
}

// dualPage serves 双重预防统计: the region's 双重预防 figures by the regions under it
// (by company for a county or park).
func (p *Portal) dualPage(c *fiber.Ctx) error {
	r, err := p.rolloutRegion(c)
	if err != nil {
		return err
	}
	v, err := p.rollout.Read.DualStats(c.UserContext(), r)
	if err != nil {
		return err
	}
	return p.render(c, "dual", "双重预防统计", "dual", v)
}

// dualXLSX is the 双重预防 statistics as Excel.
func (p *Portal) dualXLSX(c *fiber.Ctx) error {
	r, err := p.rolloutRegion(c)
	if err != nil {
		return err
	}
	v, err := p.rollout.Read.DualStats(c.UserContext(), r)
	if err != nil {
		return err
	}
	b, err := DualXLSX(v)
	if err != nil {
		return err
	}
	return sendXLSX(c, b, "双重预防统计-"+r.Name+"-"+dayText(p.cfg.Now())+".xlsx")
}

// DualXLSX writes the 双重预防 statistics, one row per region (or company) and the
// total.
func DualXLSX(v readmodel.DualStatsView) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{{v.ByWhat, "企业数", "已接入双重预防", "风险分析单元", "排查任务", "超期未排查任务", "链条断裂",
		"一般隐患（未验收）", "重大隐患（未验收）", "一般隐患超期", "重大隐患超期", "已验收隐患"}}
	add := func(d readmodel.DualRow) {
		rows = append(rows, []any{d.Name, d.Companies, d.Connected, d.Units, d.Tasks, d.OverdueChecks, d.BrokenLinks,
			d.Dangers.GeneralOpen, d.Dangers.MajorOpen, d.Dangers.GeneralOverdue, d.Dangers.MajorOverdue, d.Dangers.Accepted})
	}
	for _, d := range v.Rows {
		add(d)
	}
	t := v.Total
	t.Name = "合计（" + v.Region.Name + "）"
	add(t)
	if err := sheet(f, "双重预防统计", true, rows); err != nil {
		return nil, fmt.Errorf("portal: 双重预防 xlsx: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("portal: 双重预防 xlsx: %w", err)
	}
	return buf.Bytes(), nil
}
