package portal_test

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// 报警统计 counts the positioning alarms each company sent through the exchange API,
// by county and type; a county regulator sees its own county's figures only, in
// the page and in the Excel workbook; a bad month is refused in both languages.
func TestAlarmStatisticsScopedWithExcel(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.company("370103001", "370103", "市中丙新材料有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	e.user("jinan_staff", policy.CityStaff, "370100")
	r := rand.New(rand.NewPCG(1, 2))
	send := func(code, county, typ string, n int) {
		for range n {
			rec := simulate.NewRecord(r, schemas.PositioningAlarms, simulate.Company{Code: code, County: county}, e.Clock.Now())
			rec["alarmType"] = typ
			require.Equal(t, 1, e.upload(code, schemas.PositioningAlarms, rec))
		}
	}
	send("370102001", "370102", "01", 2) // 历下: two SOS
	send("370103001", "370103", "04", 3) // 市中: three 超员
	// The records reach the history through Kafka and the sink, not at once.
	e.WaitFor(`SELECT count(*) FROM x_positioning_alarms_history WHERE company_code IN ('370102001', '370103001')`, 5)

	lixia, jinan := e.login("lixia_staff"), e.login("jinan_staff")
	p := lixia.Get("/portal/statistics/alarms")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	table := section(p.Body, `id="alarm-stats"`)
	assert.Contains(t, table, "01 一键求救报警")
	assert.Contains(t, table, "共 2 次报警")
	assert.NotContains(t, table, "超员预警", "another county's alarms")
	assert.Contains(t, p.Body, `aria-current="page">报警统计</a>`)

	p = jinan.Get("/portal/statistics/alarms")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	assert.Contains(t, p.Body, "04 超员预警")
	assert.Contains(t, p.Body, "共 5 次报警")

	x := lixia.Get("/portal/statistics/alarms.xlsx")
	require.Equal(t, http.StatusOK, x.Status, x.Body)
	assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", x.Header.Get("Content-Type"))
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	require.NoError(t, err)
	rows, err := f.GetRows("报警统计")
	require.NoError(t, err)
	require.Len(t, rows, 4, "title, header, one type, total")
	assert.Equal(t, "一键求救报警", rows[2][4])
	assert.Equal(t, "2", rows[2][5])

	bad := lixia.Get("/portal/statistics/alarms?month=2026-13")
	assert.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Contains(t, bad.Body, "格式不正确")
}
