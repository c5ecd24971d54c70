package readmodel_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
)

// The alarm statistics count each raised alarm once, by county, source and type,
// within the period; a county sees only its own companies' alarms; the workbook
// carries the same figures.
func TestAlarmStatsByTypeAndScope(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	june := time.Date(2026, 6, 10, 2, 0, 0, 0, time.UTC)
	add := func(table, company, key string, at time.Time, doc string) {
		_, err := pool.Exec(ctx, `INSERT INTO `+table+` (msg_id, company_code, record_key, deleted, event_time, version, received_at, doc)
			VALUES ($1, $2, $3, false, $4, 1, $4, $5::jsonb)`, uuid.New(), company, key, at, doc)
		require.NoError(t, err)
	}
	// 历下: two SOS (one also handled: its handled version is not a second alarm), one 抽烟.
	add("x_positioning_alarms_history", lixiaCo, "p1", june, `{"type":"alarm","alarmType":"01"}`)
	add("x_positioning_alarms_history", lixiaCo, "p1", june.Add(time.Hour), `{"type":"alarm:handle","alarmType":"01"}`)
	add("x_positioning_alarms_history", lixiaCo, "p2", june, `{"type":"alarm","alarmType":"01"}`)
	add("x_video_alarms_history", lixiaCo, "v1", june, `{"ALARM_STATUS":"1","ALARM_TYPE":"8"}`)
	add("x_video_alarms_history", lixiaCo, "v1", june.Add(time.Minute), `{"ALARM_STATUS":"0","ALARM_TYPE":"8"}`)
	// 市中: a gas-station 静电 alarm, and one in July (outside the period).
	add("x_gas_station_video_alarms_history", shizhongC, "g1", june, `{"ALARM_STATUS":"1","ALARM_TYPE":"14"}`)
	add("x_gas_station_video_alarms_history", shizhongC, "g2", june.AddDate(0, 1, 0), `{"ALARM_STATUS":"1","ALARM_TYPE":"14"}`)

	from, to := time.Date(2026, 5, 31, 16, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC)
	stats := readmodel.NewCompanies(pool)
	all, err := stats.AlarmStats(ctx, tiers.ScopeOf(tiers.ProvinceCode), from, to)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, readmodel.AlarmTypeCount{County: lixia, CountyName: readmodel.RegionName(lixia), Source: "人员定位",
		Type: "01", TypeZH: "一键求救报警", Alarms: 2, Companies: 1}, all[0])
	assert.Equal(t, "抽烟", all[1].TypeZH)
	assert.Equal(t, 1, all[1].Alarms)
	assert.Equal(t, "静电释放时间未达到规定时长开始进行卸油作业", all[2].TypeZH)
	assert.Equal(t, 1, all[2].Alarms, "July's alarm is outside June")

	county, err := stats.AlarmStats(ctx, tiers.ScopeOf(lixia), from, to)
	require.NoError(t, err)
	require.Len(t, county, 2)
	for _, c := range county {
		assert.Equal(t, lixia, c.County, "a county sees only its own companies' alarms")
	}
	other, err := stats.AlarmStats(ctx, tiers.Scope{Enterprise: "RMOTHER"}, from, to)
	require.NoError(t, err)
	assert.Empty(t, other)

	b, err := readmodel.AlarmStatsXLSX("历下区", from, to, county)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	rows, err := f.GetRows("报警统计")
	require.NoError(t, err)
	assert.Contains(t, rows[0][0], "历下区 人员定位与智能视频报警分类统计（2026-06-01 至 2026-06-30）")
	assert.Equal(t, []string{"区县", "区划代码", "来源", "报警类型代码", "报警类型", "报警次数", "涉及企业数"}, rows[1])
	assert.Equal(t, "一键求救报警", rows[2][4])
	assert.Equal(t, "2", rows[2][5])
	assert.Equal(t, []string{"合计", "", "", "", "", "3"}, rows[len(rows)-1])
}
