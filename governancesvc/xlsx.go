package governancesvc

// The daily report (治理日报) and its Excel workbook stay with the governance
// runner rather than in readmodel or a report package of their own: the report is
// governance.DailyReport recomputed from the runner's own tables (Members, DayFacts
// and the day's rejections, read in one repeatable-read snapshot), not a read of
// stored figures, and a final day's workbook is cached beside the runner's rules
// version. What the UIs need from it is fiber-free: Handler.XLSX returns the bytes,
// XLSXDisposition names the attachment.

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The sheets of the Excel report, in order.
const (
	SheetOverview  = "概览"
	SheetCompanies = "企业得分"
	SheetRegions   = "地区排名"
	SheetOffenders = "问题企业及证据"
	SheetFacts     = "事实明细"
	SheetRejected  = "各表校验拒收情况"
)

var levelZH = map[string]string{governance.LevelProvince: "省", governance.LevelCity: "市",
	governance.LevelCounty: "县（区）", governance.LevelPark: "化工园区"}

var severityZH = map[governance.Severity]string{governance.SevLow: "一般", governance.SevMedium: "较重",
	governance.SevHigh: "严重"}

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
}

// WriteXLSX writes the report as an Excel workbook: 概览 (the region's score, its
// dimensions and the day's facts by kind), 企业得分 (every company's score and
// breakdown, ranked), 地区排名 (the regions directly under it), 问题企业及证据 (the
// worst companies with the facts that cost them most and their evidence) and 事实明细
// (every deducting fact of the day). Headers are in Chinese.
func WriteXLSX(w io.Writer, v ReportView, rules *governance.Config) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sheets := []string{SheetOverview, SheetCompanies, SheetRegions, SheetOffenders, SheetFacts, SheetRejected}
	if err := f.SetSheetName("Sheet1", sheets[0]); err != nil {
		return err
	}
	for _, s := range sheets[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	put := func(sheet string, rows [][]any) error {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				return err
			}
		}
		return nil
	}
	header := func(sheet string, row int, n int) error {
		from, _ := excelize.CoordinatesToCellName(1, row)
		to, _ := excelize.CoordinatesToCellName(n, row)
		return f.SetCellStyle(sheet, from, to, bold)
	}

	// 概览
	r := v.Report
	overview := [][]any{
		{"数据质量治理日报"},
		{"地区", v.RegionName, r.Region},
		{"层级", levelZH[r.Level]},
		{"日期", r.Day},
		{"统计截至", localTime(r.AsOf)},
		{"评分规则版本", r.ConfigVersion},
		{"平均得分", r.Score.Score},
		{"企业数", r.Score.Companies},
		{"最低分", r.Score.Min},
		{"最高分", r.Score.Max},
		{},
		{"评分维度", "满分", "平均得分"},
	}
	for _, d := range governance.Dimensions {
		overview = append(overview, []any{d.NameZH(), rules.Dimensions[d], r.Dimensions[d]})
	}
	overview = append(overview, []any{}, []any{"质量事实类型", "代码", "当日扣分事实数"})
	kindRow := len(overview)
	for _, k := range governance.Kinds {
		if n := r.FactsByKind[k]; n > 0 {
			overview = append(overview, []any{rules.Kinds[k].NameZH, string(k), n})
		}
	}
	if err := put(SheetOverview, overview); err != nil {
		return err
	}
	for _, row := range []int{1, 12, kindRow} {
		if err := header(SheetOverview, row, 3); err != nil {
			return err
		}
	}

	// 企业得分
	rows := [][]any{{"排名", "企业编码", "企业名称", "得分"}}
	for _, d := range governance.Dimensions {
		rows[0] = append(rows[0], d.NameZH())
	}
	rows[0] = append(rows[0], "扣分事实数")
	for _, c := range r.Companies {
		row := []any{c.Rank, c.Company, v.CompanyNames[c.Company], c.Score}
		for _, d := range c.Dimensions {
			row = append(row, d.Score)
		}
		rows = append(rows, append(row, len(c.Deductions)))
	}
	if err := put(SheetCompanies, rows); err != nil {
		return err
	}
	if err := header(SheetCompanies, 1, len(rows[0])); err != nil {
		return err
	}

	// 地区排名
	rows = [][]any{{"排名", "地区代码", "地区名称", "层级", "平均得分", "企业数", "最低分", "最高分"}}
	for _, x := range r.Children {
		rows = append(rows, []any{x.Rank, x.Region, v.RegionNames[x.Region], levelZH[x.Level], x.Score, x.Companies, x.Min, x.Max})
	}
	if err := put(SheetRegions, rows); err != nil {
		return err
	}
	if err := header(SheetRegions, 1, 8); err != nil {
		return err
	}

	// 问题企业及证据
	rows = [][]any{{"企业编码", "企业名称", "得分", "事实类型", "对象", "开始时间", "结束时间", "扣分", "情况说明", "证据"}}
	for _, o := range r.Offenders {
		for i, fact := range o.Facts {
			rows = append(rows, []any{o.Company, v.CompanyNames[o.Company], o.Score, rules.Kinds[fact.Kind].NameZH,
				fact.Subject, localTime(fact.Started), localTime(fact.Ended), o.Points[i].Points, fact.Detail, evidenceText(fact)})
		}
	}
	if err := put(SheetOffenders, rows); err != nil {
		return err
	}
	if err := header(SheetOffenders, 1, 10); err != nil {
		return err
	}

	// 事实明细
	rows = [][]any{{"事实编号", "企业编码", "企业名称", "事实类型", "评分维度", "严重程度", "对象", "开始时间", "结束时间",
		"状态", "次数", "扣分", "情况说明", "证据"}}
	type line struct {
		fact   governance.Fact
		points float64
	}
	var lines []line
	byID := map[string]governance.Fact{}
	for _, o := range r.Offenders {
		for _, fact := range o.Facts {
			byID[fact.ID] = fact
		}
	}
	for _, c := range r.Companies {
		for _, d := range c.Deductions {
			lines = append(lines, line{fact: byID[d.FactID], points: d.Points})
			if lines[len(lines)-1].fact.ID == "" {
				lines[len(lines)-1].fact = governance.Fact{ID: d.FactID, Company: c.Company, Kind: d.Kind}
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].fact.ID < lines[j].fact.ID })
	for _, l := range lines {
		fact := l.fact
		state := "已消除"
		if fact.Open() {
			state = "未消除"
		}
		rule := rules.Kinds[fact.Kind]
		rows = append(rows, []any{fact.ID, fact.Company, v.CompanyNames[fact.Company], rule.NameZH, rule.Dimension.NameZH(),
			severityZH[fact.Severity], fact.Subject, localTime(fact.Started), localTime(fact.Ended), state, fact.Count,
			l.points, fact.Detail, evidenceText(fact)})
	}
	if err := put(SheetFacts, rows); err != nil {
		return err
	}
	if err := header(SheetFacts, 1, 14); err != nil {
		return err
	}

	// 各表校验拒收情况
	rows = [][]any{{"表", "表编码", "规则", "接收", "拒收", "拒收比例"}}
	for _, x := range v.Rejections {
		rows = append(rows, []any{x.TableZH, x.Table, x.RuleZH, x.Received, x.Rejected, round4(x.Share)})
	}
	if err := put(SheetRejected, rows); err != nil {
		return err
	}
	if err := header(SheetRejected, 1, 6); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

// evidenceText is a fact's evidence as lines a regulator reads.
func evidenceText(fact governance.Fact) string {
	s := ""
	for i, e := range fact.Evidence {
		if i > 0 {
			s += "\n"
		}
		s += fmt.Sprintf("%s %s", localTime(e.At), e.Table)
		if e.Key != "" {
			s += " " + e.Key
		}
		if e.Absent {
			s += "（缺失）"
		}
		if e.Note != "" {
			s += "：" + e.Note
		}
	}
	return s
}

// reportXLSX serves GET /governance/report.xlsx.
func (h *Handler) reportXLSX(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	return h.sendXLSX(c, r, day)
}

// sendXLSX answers c with region r's daily report of day as an Excel attachment
// (see XLSX: a final day's comes from memory).
func (h *Handler) sendXLSX(c *fiber.Ctx, r readmodel.Region, day time.Time) error {
	data, err := h.XLSX(c.UserContext(), r, day)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, XLSXContentType)
	c.Set(fiber.HeaderContentDisposition, XLSXDisposition(r, day))
	return c.Send(data)
}

// XLSXContentType is the media type of an Excel workbook.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// XLSXDisposition is the Content-Disposition of region r's daily report of day: an
// attachment named in ASCII and, for browsers that read it, in Chinese.
func XLSXDisposition(r readmodel.Region, day time.Time) string {
	name := fmt.Sprintf("数据质量治理日报-%s-%s.xlsx", r.Code, dayString(day))
	return fmt.Sprintf(`attachment; filename="governance-%s-%s.xlsx"; filename*=UTF-8''%s`,
		r.Code, dayString(day), url.PathEscape(name))
}
