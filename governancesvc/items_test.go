package governancesvc_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
)

// openFactIDs lists company's open facts as stored.
func openFactIDs(tb testing.TB, pool *pgxpool.Pool, company string) []string {
	tb.Helper()
	rows, err := pool.Query(context.Background(), `SELECT fact_id FROM governance_facts WHERE company_code = $1 AND ended_at IS NULL ORDER BY 1`, company)
	require.NoError(tb, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(tb, err)
	return ids
}

// A tracker's memory is stored as a small head, one item per 隐患 and one of the
// pending conditions, its open facts as governance_facts holds them: a record writes
// the few items it changed, not the company's history; a restarted process — from
// items, or from a state stored whole before items — carries on with the same memory.
func TestTrackerMemoryKeptAsItemsAcrossRestarts(t *testing.T) {
	const a = "370102001"
	pool, s, clk := govtest.OneCompany(t, a)
	ctx := context.Background()

	deadline := clk.Now().Add(24 * time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	offset := int64(0)
	dangerMsg := func(id, state string) bus.Message {
		offset++
		return govtest.ChainMsg(t, a, "hidden-dangers", "", offset, clk.Now(), map[string]any{"ID": id,
			"HAZARD_CODE": "H-" + id[:8], "RISK_MEASURE_ID": "M-" + id[:8], "DANGER_NAME": "液位计失灵",
			"DANGER_LEVEL": "0", "DANGER_MANAGE_DEADLINE": deadline, "DANGER_STATE": state, "DELETED": "0"})
	}
	ticks := func() { // a base finding opens at the second check that sees it
		for range 2 {
			clk.Add(time.Minute)
			require.NoError(t, s.Tick(ctx))
		}
	}
	// 40 隐患 bound to hazards and measures the company never registered: each one is
	// kept open and makes two findings.
	var ids []string
	var batch []bus.Message
	for range 40 {
		ids = append(ids, uuid.NewString())
		batch = append(batch, dangerMsg(ids[len(ids)-1], "0"))
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	ticks()
	open := openFactIDs(t, pool, a)
	require.GreaterOrEqual(t, len(open), 80)
	items := func(prefix string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_state_items WHERE company_code = $1 AND item LIKE $2`,
			a, prefix+"|%")
	}
	assert.Equal(t, 40, items("danger"))
	assert.Zero(t, items("fact"), "the open facts are read back from governance_facts, not stored twice")
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT jsonb_array_length(state->'companies'->$1->'open') FROM governance_state
		WHERE company_code = $1`, a), "the head keeps no fact")

	// One more 隐患 writes its own items, not the other 40's.
	before := pgtest.Scalar[int64](t, pool, `SELECT txid_current()`)
	id := uuid.NewString()
	require.NoError(t, s.ApplyMessages(ctx, []bus.Message{dangerMsg(id, "0")}))
	written := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_state_items WHERE xmin::text::bigint > $1`, before)
	assert.Equal(t, 1, written, "the 隐患 alone (its links are checked at the next tick)")

	// A restart: the new process settles the pending findings and keeps the rest.
	s = govtest.Service(t, pool, clk)
	ticks()
	now := openFactIDs(t, pool, a)
	assert.Subset(t, now, open, "nothing open was forgotten or opened again")
	assert.Len(t, now, len(open)+2, "the new 隐患's findings opened after the restart")

	// An accepted 隐患 leaves the memory and its findings close.
	require.NoError(t, s.ApplyMessages(ctx, []bus.Message{dangerMsg(ids[0], "9")}))
	ticks()
	assert.Len(t, openFactIDs(t, pool, a), len(open))
	assert.Equal(t, 40, items("danger"))

	// A state stored whole (before items) is read, and moves to items at its next
	// write with the same memory.
	head := pgtest.Scalar[[]byte](t, pool, `SELECT state FROM governance_state WHERE company_code = $1`, a)
	stored := map[string][]byte{}
	rows, err := pool.Query(ctx, `SELECT item, doc FROM governance_state_items WHERE company_code = $1`, a)
	require.NoError(t, err)
	var k string
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&k, &b}, func() error { stored[k] = append([]byte(nil), b...); return nil })
	require.NoError(t, err)
	tr, err := governance.RestoreItems(governance.DefaultConfig(), a, head, stored)
	require.NoError(t, err)
	require.NoError(t, tr.RestoreFresh(pgtest.Scalar[[]byte](t, pool, `SELECT fresh FROM governance_state WHERE company_code = $1`, a)))
	whole, err := tr.MarshalState()
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE governance_state SET state = $2, fresh = NULL WHERE company_code = $1;`, a, whole)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `DELETE FROM governance_state_items`)
	require.NoError(t, err)
	s = govtest.Service(t, pool, clk)
	ticks()
	assert.Equal(t, len(stored), items("danger")+items("fact")+items("pending"), "every item written again")
	assert.Len(t, openFactIDs(t, pool, a), len(open))
	keys := make([]string, 0, len(stored))
	for k := range stored {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, fmt.Sprint(keys), fmt.Sprint(itemKeys(t, pool, a)))
}

func itemKeys(tb testing.TB, pool *pgxpool.Pool, company string) []string {
	tb.Helper()
	rows, err := pool.Query(context.Background(), `SELECT item FROM governance_state_items WHERE company_code = $1 ORDER BY 1`, company)
	require.NoError(tb, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(tb, err)
	return out
}
