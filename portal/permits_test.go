package portal_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// A county's regulator opens a permit from 企业一张图 and 数据浏览 — its history and
// its PDF — lists its region's permits by day and type with a workbook, and
// reaches no other county's permit.
func TestPermitsPagesScopedWithPDFAndHistory(t *testing.T) {
	r := newRegion(t)
	b := r.login("lixia_staff")
	f := r.lixia1

	co := b.Get("/portal/companies/" + f.Code)
	require.Equal(t, http.StatusOK, co.Status, co.Body)
	link := regexp.MustCompile(`href="(/portal/companies/` + f.Code + `/permits/[^"/]+)">详情与历史`).FindStringSubmatch(co.Body)
	require.Len(t, link, 2, "企业一张图 links today's permit")
	data := b.Get("/portal/data?table=special-operations&company=" + f.Code)
	assert.Contains(t, data.Body, `href="`+link[1]+`">作业票`, "数据浏览 links the same permit")

	pm := b.Get(link[1])
	require.Equal(t, http.StatusOK, pm.Status, pm.Body)
	for _, want := range []string{"二级动火作业", f.Name, "历史版本（共 1 个", "首次上报", `id="permit-file"`,
		"该作业票由企业自有系统上报"} {
		assert.Contains(t, pm.Body, want)
	}
	pdf := b.Get(link[1] + "/file")
	require.Equal(t, http.StatusOK, pdf.Status)
	assert.Equal(t, "application/pdf", pdf.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(pdf.Body, "%PDF"), "the stored permit PDF")
	v1 := b.Get(link[1] + "/file?version=1")
	assert.Contains(t, []int{http.StatusOK, http.StatusNotFound}, v1.Status)
	assert.Equal(t, http.StatusBadRequest, b.Get(link[1]+"/file?version=x").Status)
	assert.Equal(t, http.StatusNotFound, b.Get("/portal/companies/"+f.Code+"/permits/no-such-id").Status)

	// Another county's company: forbidden, its permit and file alike.
	other := b.Get("/portal/companies/" + r.shinan.Code)
	assert.Equal(t, http.StatusForbidden, other.Status)
	sd := r.login("sd_staff")
	shinan := sd.Get("/portal/companies/" + r.shinan.Code)
	theirs := regexp.MustCompile(`href="(/portal/companies/` + r.shinan.Code + `/permits/[^"/]+)">详情与历史`).FindStringSubmatch(shinan.Body)
	require.Len(t, theirs, 2, "the province sees 市南's permit")
	assert.Equal(t, http.StatusOK, sd.Get(theirs[1]+"/file").Status)
	assert.Equal(t, http.StatusForbidden, b.Get(theirs[1]).Status, "another county's permit")
	assert.Equal(t, http.StatusForbidden, b.Get(theirs[1]+"/file").Status, "another county's permit PDF")
	// Its id under one of the county's own companies is simply not there.
	id := theirs[1][strings.LastIndex(theirs[1], "/")+1:]
	assert.Equal(t, http.StatusNotFound, b.Get("/portal/companies/"+f.Code+"/permits/"+id).Status)

	list := b.Get("/portal/permits")
	require.Equal(t, http.StatusOK, list.Status, list.Body)
	assert.Contains(t, list.Body, f.Name)
	assert.Contains(t, list.Body, r.lixia2.Name)
	assert.NotContains(t, list.Body, r.shizhong.Name)
	assert.NotContains(t, list.Body, r.shinan.Name)
	assert.Contains(t, list.Body, "共 2 张作业票")
	assert.Contains(t, b.Get("/portal/permits?type=11").Body, "共 1 张作业票")
	assert.Contains(t, b.Get("/portal/permits?region=370202").Body, "共 0 张作业票", "a region outside the county widens nothing")
	assert.Contains(t, b.Get("/portal/permits?from=2020-01-01&to=2020-01-31").Body, "共 0 张作业票")
	for _, bad := range []string{"from=2026-13-01", "type=ZZ", "region=999999", "from=2026-06-02&to=2026-06-01", "from=2020-01-01&to=2026-01-01"} {
		assert.Equal(t, http.StatusBadRequest, b.Get("/portal/permits?"+bad).Status, bad)
	}

	x := b.Get("/portal/permits.xlsx")
	require.Equal(t, http.StatusOK, x.Status)
	wb, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	require.NoError(t, err)
	rows, err := wb.GetRows("作业票")
	require.NoError(t, err)
	assert.Len(t, rows, 2+2, "the county's two permits")
	stats, err := wb.GetRows("统计")
	require.NoError(t, err)
	assert.Equal(t, "2", stats[len(stats)-1][5])
}
