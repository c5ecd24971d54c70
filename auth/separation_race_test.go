package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two administrators granting one account two different administrator roles at the
// same moment: the second waits for the first and is refused.
func TestConcurrentAdminGrantsAreSerialised(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	grant := `INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', 'user:racer', $1, '370000')`
	tx1, err := e.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx1.Rollback(ctx)
	_, err = tx1.Exec(ctx, grant, "system_admin")
	require.NoError(t, err)

	second := make(chan error, 1)
	go func() {
		tx2, err := e.pool.Begin(ctx)
		if err != nil {
			second <- err
			return
		}
		defer tx2.Rollback(ctx)
		if _, err := tx2.Exec(ctx, grant, "audit_admin"); err != nil {
			second <- err
			return
		}
		second <- tx2.Commit(ctx)
	}()
	select {
	case err := <-second:
		t.Fatalf("the second grant did not wait for the first: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx1.Commit(ctx))
	err = <-second
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "23514", pgErr.Code, "check_violation: three-role separation")
	var admins int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM casbin_rules WHERE ptype = 'g' AND v0 = 'user:racer'
		AND removed_at IS NULL`).Scan(&admins))
	assert.Equal(t, 1, admins)
}
