package dangers

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Count is one group of the statistics.
type Count struct {
	Label    string
	Total    int
	Open     int // 待分派 + 整改中
	Pending  int // 待验收
	Accepted int // 已验收
	Overdue  int // open past the deadline
}

// Rate is the rectification rate (已验收 / total), in percent.
func (c Count) Rate() float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.Accepted) * 100 / float64(c.Total)
}

// Stats are the ledger's figures over the dangers found in [From, To].
type Stats struct {
	From, To     time.Time
	All          Count
	ByDepartment []Count
	ByLevel      []Count
	ByType       []Count
	BySource     []Count
	ByUnit       []Count
	ByState      []Count
}

// Dimensions lists the groupings in the order shown, with their titles.
func (s Stats) Dimensions() []struct {
	Title  string
	Counts []Count
} {
	return []struct {
		Title  string
		Counts []Count
	}{{"按实施部门", s.ByDepartment}, {"按隐患等级", s.ByLevel}, {"按隐患类型", s.ByType},
		{"按隐患来源", s.BySource}, {"按整改责任单位", s.ByUnit}, {"按状态", s.ByState}}
}

// Statistics counts the company's live dangers found between from and to
// (inclusive days) at now.
func (s *Service) Statistics(ctx context.Context, company string, from, to, now time.Time) (Stats, error) {
	st := Stats{From: from, To: to}
	group := func(expr string) ([]Count, error) {
		rows, err := s.Pool.Query(ctx, `SELECT `+expr+` AS g, count(*),
				count(*) FILTER (WHERE d.state IN ('registered', 'rectifying')),
				count(*) FILTER (WHERE d.state = 'pending'),
				count(*) FILTER (WHERE d.state = 'accepted'),
				count(*) FILTER (WHERE d.state IN ('registered', 'rectifying') AND d.deadline < $4)
			`+dangerFrom+` WHERE d.company = $1 AND d.deleted_at IS NULL AND d.found_on BETWEEN $2 AND $3
			GROUP BY 1 ORDER BY 2 DESC, 1`, company, from, to, now)
		if err != nil {
			return nil, fmt.Errorf("dangers: statistics: %w", err)
		}
		defer rows.Close()
		var out []Count
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Label, &c.Total, &c.Open, &c.Pending, &c.Accepted, &c.Overdue); err != nil {
				return nil, fmt.Errorf("dangers: statistics: %w", err)
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	var err error
	dims := []struct {
		expr string
		dst  *[]Count
	}{
		{"coalesce(dep.name, '（未指定部门）')", &st.ByDepartment},
		{"d.level::text", &st.ByLevel},
		{"d.danger_type::text", &st.ByType},
		{"d.source", &st.BySource},
		{"coalesce(nullif(d.liable_unit, ''), '（未填写）')", &st.ByUnit},
		{"d.state", &st.ByState},
	}
	for _, dim := range dims {
		if *dim.dst, err = group(dim.expr); err != nil {
			return st, err
		}
	}
	name := func(cs []Count, f func(string) string) {
		for i := range cs {
			cs[i].Label = f(cs[i].Label)
		}
	}
	name(st.ByLevel, func(v string) string { return codeName(schemas.CodesDangerLevel, v) })
	name(st.ByType, func(v string) string { return codeName(schemas.CodesDangerType, v) })
	name(st.BySource, func(v string) string { return codeName(schemas.CodesDangerSrc, v) })
	name(st.ByState, func(v string) string { return StateZH[State(v)] })
	all, err := group("'合计'")
	if err != nil {
		return st, err
	}
	if len(all) == 1 {
		st.All = all[0]
	}
	st.All.Label = "合计"
	return st, nil
}

// Bar is one bar of the inline SVG chart.
type Bar struct {
	Label            string
	Y                int
	Accepted, Others int // widths in px
	Total            int
	Rate             string
}

// Chart lays out counts as horizontal bars (accepted and the rest), the
// longest 360 px wide; the SVG leaves room for the label and the figures.
func Chart(cs []Count) (bars []Bar, height int) {
	max := 0
	for _, c := range cs {
		if c.Total > max {
			max = c.Total
		}
	}
	for i, c := range cs {
		b := Bar{Label: c.Label, Y: i * 26, Total: c.Total, Rate: strconv.FormatFloat(c.Rate(), 'f', 1, 64)}
		if max > 0 {
			b.Accepted = c.Accepted * 360 / max
			b.Others = c.Total*360/max - b.Accepted
		}
		bars = append(bars, b)
	}
	return bars, len(cs)*26 + 4
}

type statsPage struct {
	enterprise.Page
	S       Stats
	From    string
	To      string
	XLSXURL string
}

func (m *Module) period(c *fiber.Ctx) (from, to time.Time, err error) {
	now := m.svc.Clock().In(schemas.Shanghai)
	to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schemas.Shanghai)
	from = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, schemas.Shanghai)
	if s := c.Query("from"); s != "" {
		if from, err = parseDay("from", "起始日期", s, true); err != nil {
			return
		}
	}
	if s := c.Query("to"); s != "" {
		if to, err = parseDay("to", "截止日期", s, true); err != nil {
			return
		}
	}
	if to.Before(from) {
		err = invalid("to", "截止日期不能早于起始日期", "the end date is before the start date")
	}
	return
}

// statistics is the asking member's figures over the period of the query.
func (m *Module) statistics(c *fiber.Ctx) (Stats, error) {
	mem, err := enterprise.CurrentMember(c)
	if err != nil {
		return Stats{}, err
	}
	from, to, err := m.period(c)
	if err != nil {
		return Stats{}, err
	}
	return m.svc.Statistics(c.UserContext(), mem.Company, from, to, m.svc.Clock())
}

func (m *Module) stats(c *fiber.Ctx) error {
	st, err := m.statistics(c)
	if err != nil {
		return err
	}
	f, t := st.From.Format(schemas.DateLayout), st.To.Format(schemas.DateLayout)
	return m.pc.Render(c, "stats", statsPage{Page: enterprise.NewPage(c, "隐患统计分析", false), S: st, From: f, To: t,
		XLSXURL: enterprise.Prefix + "/dangers/stats.xlsx?from=" + f + "&to=" + t})
}

// WriteStats writes the statistics as a workbook: one sheet per dimension.
func WriteStats(w io.Writer, st Stats) error {
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"分组", "隐患总数", "待分派及整改中", "待验收", "已验收", "逾期未整改", "整改率（%）"}
	first := true
	for _, dim := range st.Dimensions() {
		sheet := dim.Title
		if first {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return fmt.Errorf("dangers: xlsx: %w", err)
			}
			first = false
		} else if _, err := f.NewSheet(sheet); err != nil {
			return fmt.Errorf("dangers: xlsx: %w", err)
		}
		title := []any{"隐患统计 " + st.From.Format(schemas.DateLayout) + " 至 " + st.To.Format(schemas.DateLayout) + " · " + dim.Title}
		if err := f.SetSheetRow(sheet, "A1", &title); err != nil {
			return fmt.Errorf("dangers: xlsx: %w", err)
		}
		if err := f.SetSheetRow(sheet, "A2", &header); err != nil {
			return fmt.Errorf("dangers: xlsx: %w", err)
		}
		for i, c := range append(append([]Count{}, dim.Counts...), st.All) {
			row := []any{c.Label, c.Total, c.Open, c.Pending, c.Accepted, c.Overdue, c.Rate()}
			if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(i+3), &row); err != nil {
				return fmt.Errorf("dangers: xlsx: %w", err)
			}
		}
		_ = f.SetColWidth(sheet, "A", "A", 28)
		_ = f.SetColWidth(sheet, "B", "G", 14)
	}
	_, err := f.WriteTo(w)
	return err
}

func (m *Module) statsXLSX(c *fiber.Ctx) error {
	st, err := m.statistics(c)
	if err != nil {
		return err
	}
	company := enterprise.MemberFrom(c).Company
	return sendXLSX(c, "隐患统计-"+company+"-"+st.From.Format("20060102")+"-"+st.To.Format("20060102")+".xlsx",
		func(w io.Writer) error { return WriteStats(w, st) })
}
