package pgtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
)

// Copies of the migrated template are migrated, and each test's copy is its own:
// what one test writes, another never sees.
func TestPoolsAreMigratedCopiesOfTheirOwn(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.Pool(t), pgtest.Pool(t)
	applied := pgtest.Scalar[int64](t, a, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`)
	require.Positive(t, applied)
	require.Equal(t, applied, pgtest.Scalar[int64](t, b, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`))
	_, err := a.Exec(ctx, `INSERT INTO enterprises (code, name, division_code) VALUES ('PGTEST001', '模板测试化工', '370102')`)
	require.NoError(t, err)
	require.Equal(t, int64(1), pgtest.Scalar[int64](t, a, `SELECT count(*) FROM enterprises WHERE code = 'PGTEST001'`))
	require.Zero(t, pgtest.Scalar[int64](t, b, `SELECT count(*) FROM enterprises WHERE code = 'PGTEST001'`))
	// Each database is a copy, not the template itself.
	require.NotEqual(t, pgtest.Scalar[string](t, a, `SELECT current_database()`), pgtest.Scalar[string](t, b, `SELECT current_database()`))
}
