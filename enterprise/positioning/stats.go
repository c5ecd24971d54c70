package positioning

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/schemas"
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
}

// Count is one line of a statistic.
type Count struct {
	Label string
	N     int
}

// Stats is 指南 4.7's alarm statistics over a period: by type, place and
// handling status.
type Stats struct {
	Total      int
	ByType     []Count
	ByLocation []Count
	ByStatus   []Count
}

// Statistics counts alarms by type, location and status, largest first.
func Statistics(alarms []Alarm) Stats {
	byType, byLoc, byStatus := map[string]int{}, map[string]int{}, map[string]int{}
	for _, a := range alarms {
		byType[AlarmName(a.Type)]++
		byLoc[a.Location]++
		byStatus[a.Status()]++
	}
	return Stats{Total: len(alarms), ByType: counts(byType), ByLocation: counts(byLoc), ByStatus: counts(byStatus)}
}

func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Label: k, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	return out
}

// AlarmsExcel writes the alarms (报警时间, 报警信息, 报警类型, 报警位置, 处理状态
// and the handling) and their statistics as a workbook.
func AlarmsExcel(alarms []Alarm, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "报警明细"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("positioning: excel: %w", err)
	}
	head := []any{"报警时间", "报警类型", "报警位置", "楼层", "卡号", "报警人员", "报警信息", "处理状态", "处置人", "销警时间", "处理信息", "确认人", "确认时间"}
	if err := x.SetSheetRow(sheet, "A1", &head); err != nil {
		return fmt.Errorf("positioning: excel: %w", err)
	}
	for i, a := range alarms {
		row := []any{fmtTime(a.RaisedAt), AlarmName(a.Type), a.Location, a.Floor, a.Card, a.Name, a.Info, a.Status(), a.HandledBy,
			fmtTime(a.HandledAt), a.HandleInfo, a.ConfirmedBy, fmtTime(a.ConfirmedAt)}
		if err := x.SetSheetRow(sheet, fmt.Sprintf("A%d", i+2), &row); err != nil {
			return fmt.Errorf("positioning: excel: %w", err)
		}
	}
	st := Statistics(alarms)
	if _, err := x.NewSheet("统计"); err != nil {
		return fmt.Errorf("positioning: excel: %w", err)
	}
	r := 1
	for _, part := range []struct {
		title string
		rows  []Count
	}{{"按报警类型", st.ByType}, {"按报警位置", st.ByLocation}, {"按处理状态", st.ByStatus}} {
		title := []any{part.title, "次数"}
		if err := x.SetSheetRow("统计", fmt.Sprintf("A%d", r), &title); err != nil {
			return fmt.Errorf("positioning: excel: %w", err)
		}
		r++
		for _, c := range part.rows {
			row := []any{c.Label, c.N}
			if err := x.SetSheetRow("统计", fmt.Sprintf("A%d", r), &row); err != nil {
				return fmt.Errorf("positioning: excel: %w", err)
			}
			r++
		}
		r++
	}
	return x.Write(w)
}
