package governancesvc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/governancesvc"
)

// companyNames downloads the Excel report and returns its 企业得分 names, or the
// status when refused.
func (e *env) companyNames(token, path string) ([]string, int) {
	e.TB.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://chemguard.test"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.App.Test(req, -1)
	require.NoError(e.TB, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	x, err := excelize.OpenReader(resp.Body)
	require.NoError(e.TB, err)
	defer x.Close()
	rows, err := x.GetRows(governancesvc.SheetCompanies)
	require.NoError(e.TB, err)
	var names []string
	for _, r := range rows[1:] {
		names = append(names, r[2])
	}
	return names, resp.StatusCode
}

// A final day's workbook is built once and then served as it was; a provisional
// day's is built on every download; the cache never widens who may download.
func TestFinalDayWorkbookCached(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jinan, lixia := e.Login("jinan"), e.Login("lixia")
	const final, provisional = "/api/v1/governance/report.xlsx?region=370100&day=2021-06-01",
		"/api/v1/governance/report.xlsx?region=370100&day=2021-06-02"
	_, err := e.pool.Exec(ctx, `UPDATE governance_region_scores SET final = false WHERE day = '2021-06-02'`)
	require.NoError(t, err)
	names, status := e.companyNames(jinan, final)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, names, "测试化工370102001")
	names, _ = e.companyNames(jinan, provisional)
	assert.Contains(t, names, "测试化工370102001")

	_, err = e.pool.Exec(ctx, `UPDATE enterprises SET name = '更名化工' WHERE code = '370102001'`)
	require.NoError(t, err)
	names, _ = e.companyNames(jinan, final)
	assert.Contains(t, names, "测试化工370102001", "the final day's workbook as first built")
	assert.NotContains(t, names, "更名化工")
	names, _ = e.companyNames(jinan, provisional)
	assert.Contains(t, names, "更名化工", "a provisional day's workbook is built again")

	_, status = e.companyNames(lixia, final)
	assert.Equal(t, http.StatusForbidden, status, "a county user is refused the city's cached workbook")
	names, status = e.companyNames(lixia, "/api/v1/governance/report.xlsx?region=370102&day=2021-06-01")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, names, "更名化工", "another region's workbook of the same day is its own")
	assert.NotContains(t, names, "测试化工370103001")
}
