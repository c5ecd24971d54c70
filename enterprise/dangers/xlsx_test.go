package dangers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/enterprise/dangers"
)

func (f *fixture) upload(member string, data []byte) *http.Response {
	f.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, err := w.CreateFormFile("file", "清单.xlsx")
	require.NoError(f.t, err)
	_, _ = fw.Write(data)
	require.NoError(f.t, w.Close())
	req := httptest.NewRequest("POST", "/e/dangers/import", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Test-Member", member)
	resp, err := f.app.Test(req, 60_000)
	require.NoError(f.t, err)
	return resp
}

func TestExcelRoundTripKeepsGoodRowsAndReportsBadOnes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("法兰泄漏")
	in.LiableID, in.Deadline = f.m("fixer").UserID, time.Date(2026, 12, 10, 23, 59, 59, 0, time.Local)
	first, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)
	_, err = f.svc.Register(ctx, f.m("safety"), f.general("护栏缺失"), dangers.Step{}, "ledger")
	require.NoError(t, err)

	// Export the list (filtered by department).
	resp := f.request("safety", "GET", "/e/dangers/export.xlsx?department="+itoa(f.dep.ID), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	wb, err := excelize.OpenReader(resp.Body)
	require.NoError(t, err)
	rows, err := wb.GetRows("隐患清单")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cell := func(r int, h string) string {
		n, _ := excelize.CoordinatesToCellName(col[h]+1, r)
		return n
	}
	row := 0
	for i, r := range rows {
		if r[0] == first {
			row = i + 1
		}
	}
	require.NotZero(t, row, "the export carries the danger's 编号")
	assert.Equal(t, "赵师傅", rows[row-1][col["整改责任人"]])
	assert.Equal(t, "一般隐患", rows[row-1][col["隐患等级"]])

	// Edit a row, add a good one and a bad one.
	require.NoError(t, wb.SetCellValue("隐患清单", cell(row, "隐患名称"), "2 号罐法兰泄漏"))
	require.NoError(t, wb.SetCellValue("隐患清单", cell(row, "整改期限"), "2026-12-12"))
	good := map[string]string{"排查日期": "2026-12-03", "实施部门": "合成氨车间", "排查人员": "外聘专家 刘工", "隐患名称": "静电接地线断开",
		"隐患内容": "装车鹤管静电接地线断开", "隐患地点": "装车站", "隐患等级": "重大隐患", "隐患类型": "电气", "隐患来源": "外聘专家诊断式排查",
		"治理类型": "限期整改", "危险源编码": "370102100001", "整改期限": "2026-12-08", "整改责任人": "赵师傅", "评估验收人员": "王主任"}
	bad := map[string]string{"排查日期": "2026-12-03", "隐患名称": "照明不足", "隐患内容": "泵房照明不足", "隐患等级": "严重",
		"隐患类型": "电气", "隐患来源": "日常排查", "危险源编码": "370102100001"}
	for r, vals := range map[int]map[string]string{4: good, 5: bad} {
		for h, v := range vals {
			require.NoError(t, wb.SetCellValue("隐患清单", cell(r, h), v))
		}
	}
	var edited bytes.Buffer
	require.NoError(t, wb.Write(&edited))

	resp = f.upload("safety", edited.Bytes())
	body := readBody(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var rep dangers.ImportReport
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	assert.Equal(t, 4, rep.Rows)
	assert.Equal(t, 2, rep.Updated)
	assert.Equal(t, 1, rep.Created)
	require.Len(t, rep.Errors, 1)
	e := rep.Errors[0]
	assert.Equal(t, 5, e.Row)
	assert.Equal(t, "隐患等级", e.Column)
	assert.Contains(t, e.MessageZH, "严重")
	assert.Contains(t, e.MessageEN, "严重")

	d, err := f.svc.Get(ctx, companyA, first)
	require.NoError(t, err)
	assert.Equal(t, "2 号罐法兰泄漏", d.Name)
	assert.Equal(t, "2026-12-12", d.Deadline.Format("2006-01-02"))
	list, err := f.svc.List(ctx, companyA, dangers.Filter{Query: "静电接地线"}, f.clock.Now())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, dangers.Rectifying, list[0].State)
	assert.Equal(t, 1, list[0].Level)
	assert.Equal(t, "8", list[0].Source)
	assert.Equal(t, "王主任", list[0].AcceptorName)
	assert.Len(t, f.outbox(list[0].ID.String()), 1, "published")

	// The corrected file again: nothing duplicated, the fixed row enters.
	fixed, err := excelize.OpenReader(bytes.NewReader(edited.Bytes()))
	require.NoError(t, err)
	require.NoError(t, fixed.SetCellValue("隐患清单", cell(5, "隐患等级"), "一般隐患"))
	var again bytes.Buffer
	require.NoError(t, fixed.Write(&again))
	resp = f.upload("safety", again.Bytes())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rep = dangers.ImportReport{}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	assert.Empty(t, rep.Errors)
	assert.Equal(t, 1, rep.Created)
	assert.Len(t, rep.Skipped, 1)
	all, err := f.svc.List(ctx, companyA, dangers.Filter{}, f.clock.Now())
	require.NoError(t, err)
	assert.Len(t, all, 4)

	// Not a workbook; not a manager.
	resp = f.upload("safety", []byte("not a workbook"))
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp = f.upload("worker", again.Bytes())
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The template opens with the headers and the instructions.
	resp = f.request("safety", "GET", "/e/dangers/template.xlsx", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tpl, err := excelize.OpenReader(resp.Body)
	require.NoError(t, err)
	head, err := tpl.GetRows("隐患清单")
	require.NoError(t, err)
	assert.Equal(t, "编号", head[0][0])
	help, err := tpl.GetRows("填写说明")
	require.NoError(t, err)
	assert.True(t, strings.Contains(help[len(help)-1][1], "其余正确的行照常导入"))
}

func TestStatistics(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := f.general("A")
	in.LiableID, in.Deadline, in.LiableUnit = f.m("fixer").UserID, f.clock.Now().Add(-time.Hour), "合成氨车间"
	_, err := f.svc.Register(ctx, f.m("safety"), in, dangers.Step{}, "ledger")
	require.NoError(t, err)
	spot := f.general("B")
	spot.ManageType, spot.Rectification, spot.Level = 0, "当场整改", 1
	_, err = f.svc.Register(ctx, f.m("worker"), spot, dangers.Step{}, "phone")
	require.NoError(t, err)
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, f.clock.Now().Location())
	st, err := f.svc.Statistics(ctx, companyA, day.AddDate(0, 0, -1), day, f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, 2, st.All.Total)
	assert.Equal(t, 1, st.All.Accepted)
	assert.Equal(t, 1, st.All.Overdue)
	assert.InDelta(t, 50.0, st.All.Rate(), 0.01)
	require.Len(t, st.ByDepartment, 1)
	assert.Equal(t, "合成氨车间", st.ByDepartment[0].Label)
	levels := map[string]int{}
	for _, c := range st.ByLevel {
		levels[c.Label] = c.Total
	}
	assert.Equal(t, map[string]int{"一般隐患": 1, "重大隐患": 1}, levels)

	page := readBody(t, f.request("safety", "GET", "/e/dangers/stats?from=2026-12-01&to=2026-12-05", nil))
	assert.Contains(t, page, "<svg")
	assert.Contains(t, page, "逾期未整改 1")
	assert.Contains(t, page, "整改率 50.0%")
	resp := f.request("safety", "GET", "/e/dangers/stats.xlsx?from=2026-12-01&to=2026-12-05", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	wb, err := excelize.OpenReader(resp.Body)
	require.NoError(t, err)
	rows, err := wb.GetRows("按隐患等级")
	require.NoError(t, err)
	assert.Equal(t, "合计", rows[len(rows)-1][0])
	assert.Equal(t, "2", rows[len(rows)-1][1])
	resp = f.request("safety", "GET", "/e/dangers/stats?from=2026-12-05&to=2026-12-01", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}
