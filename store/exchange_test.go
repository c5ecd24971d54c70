package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// Versions of one record received within the same second — a permit accepted
// then archived by a quick hand, both stamped 10:00:00 at the seed's second —
// are ordered by their receipt version (nanoseconds, bumped by ingest when two
// share one): the later change is the current record whether the two come in
// one batch or the older one is applied last (a replay), and the history keeps
// both.
func TestExchangeOrdersVersionsWithinASecond(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	ex := store.NewExchange(pool)
	tbl := schemas.SpecialOperations
	received := testclock.Parse(t, "2026-12-05 10:00:00")
	version := func(n int64, status string) store.Version {
		return store.Version{MsgID: uuid.New(), Company: "370102002", Key: "3ec65f5b-b3e2-4ec9-a231-55cad03cbadf", Version: received.UnixNano() + n,
			ReceivedAt: received, Doc: []byte(fmt.Sprintf(`{"ID":"3ec65f5b-b3e2-4ec9-a231-55cad03cbadf","TASK_CONTENT":%q}`, status))}
	}
	current := func() string {
		t.Helper()
		c, err := ex.Get(ctx, tbl, "370102002", "3ec65f5b-b3e2-4ec9-a231-55cad03cbadf")
		require.NoError(t, err)
		return string(c.Doc)
	}
	accepted, archived := version(0, "验收"), version(1, "归档")
	require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{tbl: {archived, accepted}}, nil))
	require.Contains(t, current(), "归档", "one batch: the higher version wins, whatever the order inside it")

	voided := version(2, "作废")
	require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{tbl: {voided}}, nil))
	require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{tbl: {archived}}, nil))
	require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{tbl: {version(1, "归档（重放）")}}, nil))
	require.Contains(t, current(), "作废", "a version applied after a newer one of the same second does not replace it")
	require.Equal(t, 4, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM x_special_operations_history`),
		"the history keeps every version once (the replayed message id is skipped)")
}
