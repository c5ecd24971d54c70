package readmodel_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/tiers"
)

// addPermitVersion stores one accepted version of a permit the way ingest does:
// the history row, and the current row replaced by it.
func addPermitVersion(tb testing.TB, pool *pgxpool.Pool, company, id string, version int64, at time.Time, doc string) {
	tb.Helper()
	ctx := context.Background()
	msg := uuid.New()
	_, err := pool.Exec(ctx, `INSERT INTO x_special_operations_history (msg_id, company_code, record_key, deleted, version, received_at, doc)
		VALUES ($1, $2, $3, false, $4, $5, $6::jsonb)`, msg, company, id, version, at, doc)
	require.NoError(tb, err)
	_, err = pool.Exec(ctx, `INSERT INTO x_special_operations (company_code, record_key, version, msg_id, received_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $5, $6::jsonb) ON CONFLICT (company_code, record_key)
		DO UPDATE SET version = EXCLUDED.version, msg_id = EXCLUDED.msg_id, received_at = EXCLUDED.received_at,
			updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc`, company, id, version, msg, at, doc)
	require.NoError(tb, err)
}

// Permits are listed and counted by day, county and type over a date range
// (history beyond today), only within the caller's scope (a region filter only
// narrows it); one permit reads with every version and what each changed, and its
// file reference per version; the workbook carries the same figures.
func TestPermitsByRangeScopeAndHistory(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	at := time.Date(2026, 6, 10, 1, 0, 0, 0, time.UTC)
	const hot1 = "11111111-1111-1111-1111-111111111111"
	addPermitVersion(t, pool, lixiaCo, hot1, 1, at, `{"ID":"`+hot1+`","TASK_DATE":"2026-06-10","TASK_TYPE":"11",
		"TASK_POSITION":"罐区","MAJOR_PERSON":"张三","IS_CHANGED":"0","IS_CANCELLED":"0","FILE":{"ref":"sha256:aa","content_type":"application/pdf"}}`)
	addPermitVersion(t, pool, lixiaCo, hot1, 2, at.Add(time.Hour), `{"ID":"`+hot1+`","TASK_DATE":"2026-06-10","TASK_TYPE":"11",
		"TASK_POSITION":"罐区东侧","MAJOR_PERSON":"张三","IS_CHANGED":"1","CHANGED_REASON":"位置调整","IS_CANCELLED":"0","FILE":{"ref":"sha256:bb","content_type":"application/pdf"}}`)
	addPermitVersion(t, pool, lixiaCo, "p2", 1, at, `{"ID":"p2","TASK_DATE":"2026-06-11","TASK_TYPE":"11","IS_CANCELLED":"1"}`)
	addPermitVersion(t, pool, shizhongC, "p3", 1, at, `{"ID":"p3","TASK_DATE":"2026-06-10","TASK_TYPE":"21"}`)
	addPermitVersion(t, pool, shizhongC, "p4", 1, at, `{"ID":"p4","TASK_DATE":"2026-05-01","TASK_TYPE":"21"}`)

	q := readmodel.NewCompanies(pool)
	june := readmodel.PermitFilter{From: "2026-06-01", To: "2026-06-30"}
	province := tiers.ScopeOf(tiers.ProvinceCode)
	counts, err := q.PermitCounts(ctx, province, june)
	require.NoError(t, err)
	require.Len(t, counts, 3, "May's permit is outside the range")
	assert.Equal(t, readmodel.PermitCount{Day: "2026-06-11", County: lixia, CountyName: readmodel.RegionName(lixia),
		Type: "11", TypeZH: counts[0].TypeZH, Permits: 1, Cancelled: 1}, counts[0])
	assert.NotEqual(t, "11", counts[0].TypeZH, "the type carries its seed name")

	list, total, err := q.Permits(ctx, tiers.ScopeOf(lixia), june, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, total)
	for _, p := range list {
		assert.Equal(t, lixiaCo, p.Company, "a county sees only its own companies' permits")
	}
	_, total, err = q.Permits(ctx, tiers.ScopeOf(lixia), readmodel.PermitFilter{From: "2026-06-01", To: "2026-06-30", Region: shizhong}, 0, 10)
	require.NoError(t, err)
	assert.Zero(t, total, "a region filter outside the caller's scope widens nothing")
	_, total, err = q.Permits(ctx, province, readmodel.PermitFilter{From: "2026-05-01", To: "2026-06-30", Type: "21", Region: shizhong}, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, total)

	p, versions, err := q.Permit(ctx, lixiaCo, hot1)
	require.NoError(t, err)
	assert.True(t, p.HasFile)
	assert.Equal(t, "罐区东侧", p.Doc["TASK_POSITION"])
	require.Len(t, versions, 2)
	assert.Nil(t, versions[0].Changed)
	assert.Equal(t, []string{"作业位置", "作业是否变更过", "作业变更原因", "作业票证"}, versions[1].Changed)
	_, _, err = q.Permit(ctx, shizhongC, hot1)
	assert.Equal(t, chemguard.ENotFound, chemguard.ErrorCode(err), "another company's permit id is not found")

	ref, ct, err := q.PermitFile(ctx, lixiaCo, hot1, 0)
	require.NoError(t, err)
	assert.Equal(t, "sha256:bb", ref)
	assert.Equal(t, "application/pdf", ct)
	ref, _, err = q.PermitFile(ctx, lixiaCo, hot1, 1)
	require.NoError(t, err)
	assert.Equal(t, "sha256:aa", ref, "each version keeps its own permit file")
	ref, _, err = q.PermitFile(ctx, shizhongC, hot1, 0)
	require.NoError(t, err)
	assert.Empty(t, ref)

	all, _, err := q.Permits(ctx, province, june, 0, 100)
	require.NoError(t, err)
	b, err := readmodel.PermitsXLSX("山东省", june, counts, all)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	rows, err := f.GetRows("统计")
	require.NoError(t, err)
	assert.Equal(t, "山东省 特殊作业统计（2026-06-01 至 2026-06-30）", rows[0][0])
	assert.Equal(t, []string{"合计", "", "", "", "", "3", "1"}, rows[len(rows)-1])
	detail, err := f.GetRows("作业票")
	require.NoError(t, err)
	assert.Len(t, detail, 2+3)
}
