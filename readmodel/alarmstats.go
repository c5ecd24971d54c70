package readmodel

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
)

// AlarmTypeCount is the number of alarms of one type raised in one county within a
// period: the figures of the monthly report's 人员定位/智能视频 alarm statistics.
type AlarmTypeCount struct {
	County     string // division code
	CountyName string
	Source     string // 人员定位, 智能视频 or 加油站
	Type       string // the source's 报警类型 code
	TypeZH     string // its seed name
	Alarms     int    // distinct alarms (报警 IDs) raised
	Companies  int    // companies that raised them
}

// alarmSources are the three alarm tables, the field holding the type, the value of
// the status field that marks a 报警 (not its 销警), and the type's code table.
var alarmSources = []struct {
	name, table, typeField, statusField, raised string
	codes                                       *schemas.CodeTable
}{
	{"人员定位", "x_positioning_alarms_history", "alarmType", "type", schemas.PositioningRaised, schemas.CodesPositioningAlarmType},
	{"智能视频", "x_video_alarms_history", "ALARM_TYPE", "ALARM_STATUS", schemas.VideoAlarmRaised, schemas.CodesVideoAlarmType},
	{"加油站", "x_gas_station_video_alarms_history", "ALARM_TYPE", "ALARM_STATUS", schemas.VideoAlarmRaised, schemas.CodesGasStationAlarmType},
}

// AlarmStats counts the positioning and video alarms raised in [from, to) by the
// companies in scope, by county, source and type. An alarm is counted once (its
// ID), at its 报警时间 — the raised version kept in the table's history, so a
// 销警 that replaced it in the current table does not hide it.
func (s *Companies) AlarmStats(ctx context.Context, scope tiers.Scope, from, to time.Time) ([]AlarmTypeCount, error) {
	w := &Where{}
	w.Add("s.event_time >= $?", from)
	w.Add("s.event_time < $?", to)
	w.Scope(scope)
	var union string
	for i, src := range alarmSources {
		if i > 0 {
			union += " UNION ALL "
		}
		union += fmt.Sprintf(`SELECT '%s' AS src, company_code, record_key, doc->>'%s' AS typ, event_time FROM %s
			WHERE doc->>'%s' = '%s' AND NOT deleted`, src.name, src.typeField, src.table, src.statusField, src.raised)
	}
	rows, err := s.pool.Query(ctx, `SELECT e.division_code, s.src, s.typ, count(DISTINCT s.company_code || '/' || s.record_key),
		count(DISTINCT s.company_code) FROM (`+union+`) s JOIN enterprises e ON e.code = s.company_code
		WHERE `+w.SQL()+` GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: alarm statistics: %w", err)
	}
	defer rows.Close()
	out := []AlarmTypeCount{}
	for rows.Next() {
		var c AlarmTypeCount
		if err := rows.Scan(&c.County, &c.Source, &c.Type, &c.Alarms, &c.Companies); err != nil {
			return nil, fmt.Errorf("readmodel: alarm statistics: %w", err)
		}
		c.CountyName = RegionName(c.County)
		c.TypeZH = c.Type
		for _, src := range alarmSources {
			if src.name == c.Source {
				if code, ok := src.codes.Lookup(c.Type); ok {
					c.TypeZH = code.NameZH
				}
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AlarmStatsXLSX writes the statistics as an Excel workbook: one row per county,
// source and type, with the period and region in the title and a total row.
func AlarmStatsXLSX(region string, from, to time.Time, rows []AlarmTypeCount) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "报警统计"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s 人员定位与智能视频报警分类统计（%s 至 %s）", region,
		from.In(schemas.Shanghai).Format(schemas.DateLayout), to.Add(-time.Second).In(schemas.Shanghai).Format(schemas.DateLayout))
	cells := [][]any{{title}, {"区县", "区划代码", "来源", "报警类型代码", "报警类型", "报警次数", "涉及企业数"}}
	total := 0
	for _, r := range rows {
		cells = append(cells, []any{r.CountyName, r.County, r.Source, r.Type, r.TypeZH, r.Alarms, r.Companies})
		total += r.Alarms
	}
	cells = append(cells, []any{"合计", "", "", "", "", total, ""})
	for i, row := range cells {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 14); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(sheet, "E", "E", 40); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("readmodel: alarm statistics workbook: %w", err)
	}
	return buf.Bytes(), nil
}
