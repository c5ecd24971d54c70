package readmodel_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// Two counties of 济南: 历下区 and 市中区, one company each, each with an open red
// warning watched by the county.
const (
	lixia     = "370102"
	shizhong  = "370103"
	lixiaCo   = "RMLIXIA01"
	shizhongC = "RMSHIZHONG01"
)

func newPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewDatabase(tb))
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	require.NoError(tb, store.Migrate(ctx, pool))
	ents := store.NewEnterprises(pool)
	for code, county := range map[string]string{lixiaCo: lixia, shizhongC: shizhong} {
		require.NoError(tb, ents.Add(ctx, store.Enterprise{Code: code, Name: "企业" + code, DivisionCode: county, Kind: "生产"}))
		_, err := pool.Exec(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject, subject_name, level, score,
			status, step, tier, config_version, raised_at, updated_at, factors, doc)
			VALUES ($1, $1, 'warehouse', 'T1', '罐区 T1', 'red', 91.5, 'open', 'published', 'county', 'test', now(), now(), '[]', '{}')`,
			code)
		require.NoError(tb, err)
	}
	return pool
}

func codes[T any](list []T, code func(T) string) []string {
	out := []string{}
	for _, x := range list {
		out = append(out, code(x))
	}
	return out
}

// A county sees its own companies and warnings and never another county's; the
// province sees both.
func TestScopeKeepsCountiesApart(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	companies, warnings := readmodel.NewCompanies(pool), readmodel.NewWarnings(pool)
	now := time.Now()
	for _, tc := range []struct {
		name  string
		scope tiers.Scope
		want  []string
	}{
		{"历下区", tiers.ScopeOf(lixia), []string{lixiaCo}},
		{"市中区", tiers.ScopeOf(shizhong), []string{shizhongC}},
		{"济南市", tiers.ScopeOf("370100"), []string{lixiaCo, shizhongC}},
		{"省", tiers.ScopeOf(tiers.ProvinceCode), []string{lixiaCo, shizhongC}},
		{"另一家企业", tiers.Scope{Enterprise: "RMOTHER"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := companies.Enterprises(ctx, tc.scope, "", nil, 0, 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(list, func(e readmodel.Enterprise) string { return e.Code }))
			assert.Equal(t, len(tc.want), total)

			// Asking for the other county's companies by filter narrows, never widens.
			list, _, err = companies.Enterprises(ctx, tc.scope, "", []string{lixia, shizhong}, 0, 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(list, func(e readmodel.Enterprise) string { return e.Code }))

			rows, total, err := warnings.List(ctx, tc.scope, readmodel.WarningFilter{}, 0, 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(rows, func(w readmodel.WarningRow) string { return w.Company }))
			assert.Equal(t, len(tc.want), total)

			waiting, err := warnings.Waiting(ctx, tc.scope, warning.TierCounty, 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(waiting, func(w readmodel.Waiting) string { return w.Company }))

			st, err := companies.Stats(ctx, tc.scope, now, time.Hour)
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), st.Companies)
			assert.Equal(t, len(tc.want), st.OpenWarningsTotal)

			counties, err := companies.Counties(ctx, tc.scope, "370100")
			require.NoError(t, err)
			var seen []string
			for _, c := range counties {
				if c.Companies > 0 || c.Warnings > 0 {
					seen = append(seen, c.Code)
				}
			}
			wantCounties := map[string]string{lixiaCo: lixia, shizhongC: shizhong}
			var want []string
			for _, code := range tc.want {
				want = append(want, wantCounties[code])
			}
			assert.ElementsMatch(t, want, seen)

			for _, county := range []string{lixia, shizhong} {
				m, err := companies.CountyCompanies(ctx, tc.scope, county)
				require.NoError(t, err)
				for _, c := range m {
					assert.Contains(t, tc.want, c.Code, "a company on %s's map outside the scope", county)
				}
			}

			recs, _, err := companies.Rejections(ctx, tc.scope, "", "", 0, 50)
			require.NoError(t, err)
			assert.Empty(t, recs)
			docs, _, err := companies.Records(ctx, schemas.Tables()[0], tc.scope, "", "", 0, 50)
			require.NoError(t, err)
			assert.Empty(t, docs)
		})
	}
}

// The single-company reads answer for the company asked; they do not authorize,
// so the test checks only that they do not mix companies.
func TestDetailIsTheCompanys(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	companies := readmodel.NewCompanies(pool)
	e, err := companies.Enterprise(ctx, lixiaCo)
	require.NoError(t, err)
	assert.Equal(t, "济南市历下区", e.County())
	d, err := companies.Detail(ctx, e, time.Now())
	require.NoError(t, err)
	require.Len(t, d.Warnings, 1)
	assert.Equal(t, "罐区 T1", d.Warnings[0].Subject)
	last, err := companies.LastSeen(ctx, lixiaCo)
	require.NoError(t, err)
	assert.Nil(t, last, "nothing uploaded yet")

	w := readmodel.NewWarnings(pool)
	rows, _, err := w.List(ctx, tiers.Scope{Enterprise: lixiaCo}, readmodel.WarningFilter{}, 0, 1)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	got, err := w.Get(ctx, rows[0].ID)
	require.NoError(t, err)
	assert.Equal(t, lixiaCo, got.Company)
	_, err = w.Get(ctx, rows[0].ID+1000)
	assert.ErrorIs(t, err, readmodel.ErrNoWarning)
}

// A county's data-quality figures hold its own companies' scores only.
func TestQualityScoresKeepCountiesApart(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	day := time.Date(2021, 6, 1, 0, 0, 0, 0, schemas.Shanghai)
	for _, code := range []string{lixiaCo, shizhongC} {
		_, err := pool.Exec(ctx, `INSERT INTO governance_scores (company_code, day, score, dimensions, deductions, as_of,
			final, config_version, computed_at) VALUES ($1, '2021-06-01', 90, '[]', '[]', now(), true, 'test', now())`, code)
		require.NoError(t, err)
	}
	q := readmodel.NewQuality(pool, &governance.Config{}, func() time.Time { return day.Add(12 * time.Hour) })
	for _, tc := range []struct {
		region string
		want   []string
	}{{lixia, []string{lixiaCo}}, {shizhong, []string{shizhongC}}, {"370100", []string{lixiaCo, shizhongC}}} {
		t.Run(tc.region, func(t *testing.T) {
			r, err := q.ResolveRegion(ctx, tc.region)
			require.NoError(t, err)
			list, total, err := q.CompanyScores(ctx, r.Scope, day, 0, 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(list, func(s readmodel.CompanyScore) string { return s.Company }))
			assert.Equal(t, len(tc.want), total)
			scores, err := q.Scores(ctx, r.Scope, day, "", 50)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, codes(scores, func(s readmodel.ScoreView) string { return s.Company }))
			names, err := q.Names(ctx, r.Scope)
			require.NoError(t, err)
			assert.Len(t, names, len(tc.want))
		})
	}
}
