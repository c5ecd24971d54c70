package governancesvc_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The facts of a batch are written in one statement: every row's columns say what
// its fact (doc) says, open or closed, and a fact written again (closed) is updated
// in place.
func TestFactRowsHoldTheirFacts(t *testing.T) {
	const a = "370102001"
	pool, s, clk := oneCompany(t, a)
	ctx := context.Background()

	danger := func(offset int64, id, state string) bus.Message {
		now := clk.Now()
		return chainMsg(t, a, "hidden-dangers", "", offset, now, map[string]any{"ID": id, "HAZARD_CODE": "H-unregistered",
			"RISK_MEASURE_ID": "M-unknown", "DANGER_NAME": "液位计失灵", "DANGER_LEVEL": "0", "DANGER_STATE": state, "DELETED": "0",
			"DANGER_MANAGE_DEADLINE": now.Add(30 * time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout)})
	}
	ids := make([]string, 40)
	var batch []bus.Message
	for i := range ids {
		ids[i] = uuid.NewString()
		batch = append(batch, danger(int64(i), ids[i], "0"))
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	for range 3 { // two checks open the findings of every 隐患 at once
		clk.Add(20 * time.Second)
		require.NoError(t, s.Tick(ctx))
	}
	// Half are accepted (their facts close), and time passes their deadline (the rest
	// fall overdue), with another company's records keeping the intake running.
	batch = nil
	for i, id := range ids[:20] {
		batch = append(batch, danger(int64(40+i), id, "9"))
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	for i := range 40 {
		clk.Add(time.Minute)
		require.NoError(t, s.ApplyMessages(ctx, []bus.Message{chainMsg(t, "370102002", "risk-units", "", int64(i),
			clk.Now(), map[string]any{"ID": uuid.NewString(), "HAZARD_CODE": "H1", "HAZARD_DEP": "储运部",
				"HAZARD_LIABLE_PERSON": "王", "RISK_UNIT_NAME": "罐区", "DELETED": "0"})}))
		require.NoError(t, s.Tick(ctx))
	}

	count := func(where string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1 AND `+where, a)
	}
	assert.Equal(t, 40, count(`kind = 'danger_hazard_unknown'`), "one fact per 隐患")
	assert.Equal(t, 20, count(`kind = 'danger_hazard_unknown' AND ended_at IS NOT NULL`), "the accepted ones closed")
	assert.Equal(t, 20, count(`kind = 'danger_overdue' AND ended_at IS NULL`), "the others overdue")
	assert.Zero(t, count(`NOT (
		fact_id = doc->>'id' AND kind = doc->>'kind' AND subject = coalesce(doc->>'subject', '') AND severity = doc->>'severity'
		AND day IS NOT DISTINCT FROM (doc->>'day')::date AND started_at = (doc->>'started')::timestamptz
		AND ended_at IS NOT DISTINCT FROM (doc->>'ended')::timestamptz AND count = (doc->>'count')::int
		AND detail = doc->>'detail' AND evidence = doc->'evidence' AND dimension <> '')`), "every column as its fact says")

}
