package dualprevention

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/schemas"
)

// StatRow is the task completion of one group over a range: of the periods
// whose deadline fell in the range, how many had a check in time.
type StatRow struct {
	Key     string
	Due     int // periods that ended in the range
	Done    int // of them, checked within the period
	Missed  int
	Percent float64 // Done/Due×100, 0 when nothing was due
}

// Stats are the task completion figures of a company over [From, To).
type Stats struct {
	From, To     time.Time
	Total        StatRow
	ByDepartment []StatRow
	ByLevel      []StatRow
	ByPost       []StatRow
}

// Stats counts the company's enabled tasks' periods that ended in [from, to)
// and whether each was checked in time, by the unit's 责任部门, by 风险等级
// and by post.
func (s *Service) Stats(ctx context.Context, company string, from, to time.Time) (Stats, error) {
	d, err := s.directory(ctx, company)
	if err != nil {
		return Stats{}, err
	}
	ts, err := s.tasks(ctx, s.pool, company, d, TaskFilter{}, to)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{From: from, To: to, Total: StatRow{Key: "合计"}}
	periods := map[string][]Period{}
	earliest := from
	for _, t := range ts {
		ps := Periods(t.Cycle, t.Anchor, from, to)
		periods[t.ID] = ps
		if len(ps) > 0 && ps[0].Start.Before(earliest) {
			earliest = ps[0].Start
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT task_id::text, checked_at FROM dp_checks
		WHERE company = $1 AND deleted_at IS NULL AND checked_at >= $2 AND checked_at < $3 AND status <> '2'
		ORDER BY checked_at`, company, earliest, to)
	if err != nil {
		return Stats{}, fmt.Errorf("dualprevention: stats: %w", err)
	}
	checks := map[string][]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return Stats{}, fmt.Errorf("dualprevention: stats: %w", err)
		}
		checks[id] = append(checks[id], at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("dualprevention: stats: %w", err)
	}
	dep, lvl, post := map[string]*StatRow{}, map[string]*StatRow{}, map[string]*StatRow{}
	add := func(m map[string]*StatRow, key string, done bool) {
		r := m[key]
		if r == nil {
			r = &StatRow{Key: key}
			m[key] = r
		}
		r.Due++
		if done {
			r.Done++
		} else {
			r.Missed++
		}
	}
	for _, t := range ts {
		for _, p := range periods[t.ID] {
			done := false
			for _, at := range checks[t.ID] {
				if p.Contains(at) {
					done = true
					break
				}
			}
			add(dep, t.DeptName, done)
			add(lvl, LevelName(t.Level), done)
			add(post, t.PostName, done)
			st.Total.Due++
			if done {
				st.Total.Done++
			} else {
				st.Total.Missed++
			}
		}
	}
	st.Total.Percent = percent(st.Total.Done, st.Total.Due)
	st.ByDepartment, st.ByPost = sorted(dep, nil), sorted(post, nil)
	order := []string{}
	for _, l := range Levels {
		order = append(order, l.NameZH)
	}
	st.ByLevel = sorted(lvl, order)
	return st, nil
}

func percent(done, due int) float64 {
	if due == 0 {
		return 0
	}
	return float64(done) * 100 / float64(due)
}

func sorted(m map[string]*StatRow, order []string) []StatRow {
	out := make([]StatRow, 0, len(m))
	if order != nil {
		for _, k := range order {
			if r, ok := m[k]; ok {
				r.Percent = percent(r.Done, r.Due)
				out = append(out, *r)
			}
		}
		return out
	}
	for _, r := range m {
		r.Percent = percent(r.Done, r.Due)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// WriteStatsXLSX writes the statistics as a workbook: the total and one
// sheet each by department, level and post.
func WriteStatsXLSX(w io.Writer, st Stats) error {
	f := excelize.NewFile()
	defer f.Close()
	rangeText := st.From.In(schemas.Shanghai).Format(schemas.DateTimeLayout) + " 至 " + st.To.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	sheets := []struct {
		name, key string
		rows      []StatRow
	}{{"按部门", "责任部门", st.ByDepartment}, {"按风险等级", "风险等级", st.ByLevel}, {"按岗位", "岗位", st.ByPost}}
	if err := f.SetSheetName("Sheet1", sheets[0].name); err != nil {
		return err
	}
	for i, sh := range sheets {
		if i > 0 {
			if _, err := f.NewSheet(sh.name); err != nil {
				return err
			}
		}
		rows := [][]any{{"隐患排查任务完成情况（" + rangeText + "）"}, {sh.key, "应排查（期）", "已排查", "超期未排查", "完成率(%)"}}
		for _, r := range append(append([]StatRow{}, sh.rows...), st.Total) {
			rows = append(rows, []any{r.Key, r.Due, r.Done, r.Missed, math.Round(r.Percent*10) / 10})
		}
		for j, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(sh.name, "A", "A", 28); err != nil {
			return err
		}
	}
	return f.Write(w)
}
