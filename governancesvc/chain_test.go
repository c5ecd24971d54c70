package governancesvc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// The runner turns 双重预防 records on the bus into chain facts on a real database:
// a task without its measure, a check overdue by its cycle, a major 隐患 past its
// deadline — with evidence — and notes which system sent each table.
func TestChainFactsFromTheBus(t *testing.T) {
	const a = "370102001"
	pool, s, clk := govtest.OneCompany(t, a)
	ctx := context.Background()

	now := clk.Now()
	stamp := now.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	deadline := now.Add(time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	taskID, measureID, dangerID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	batch := []bus.Message{
		govtest.ChainMsg(t, a, "check-tasks", events.SourceBase, 0, now, map[string]any{"ID": taskID, "RISK_MEASURE_ID": measureID,
			"TROUBLESHOOT_CONTENT": "检查液位计", "CHECK_CYCLE": "2", "CHECK_CYCLE_UNIT": "小时",
			"INVESTIGATION_DATE": stamp, "CHECK_STATUS": "0", "DELETED": "0"}),
		govtest.ChainMsg(t, a, "hidden-dangers", "", 1, now, map[string]any{"ID": dangerID, "HAZARD_CODE": "H-unregistered",
			"DANGER_NAME": "液位计失灵", "DANGER_LEVEL": "1", "DANGER_MANAGE_DEADLINE": deadline, "DANGER_STATE": "0",
			"DELETED": "0"}),
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	require.NoError(t, s.ApplyMessages(ctx, batch), "a replayed batch changes nothing")
	// Another company keeps sending: the platform's intake runs, so absence counts.
	for i := range 3 * 60 {
		clk.Add(time.Minute)
		require.NoError(t, s.ApplyMessages(ctx, []bus.Message{govtest.ChainMsg(t, "370102002", "risk-units", "", int64(i),
			clk.Now(), map[string]any{"ID": uuid.NewString(), "HAZARD_CODE": "H1", "HAZARD_DEP": "储运部",
				"HAZARD_LIABLE_PERSON": "王", "RISK_UNIT_NAME": "罐区", "DELETED": "0"})}))
		require.NoError(t, s.Tick(ctx))
	}

	kinds := map[string]string{}
	rows, err := pool.Query(ctx, `SELECT kind, subject FROM governance_facts WHERE company_code = $1 AND ended_at IS NULL`, a)
	require.NoError(t, err)
	for rows.Next() {
		var k, subject string
		require.NoError(t, rows.Scan(&k, &subject))
		kinds[k] = subject
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, taskID, kinds[string(governance.ChainTaskMeasure)])
	assert.Equal(t, taskID, kinds[string(governance.CheckOverdue)])
	assert.Equal(t, dangerID, kinds[string(governance.MajorDangerOverdue)])
	assert.Equal(t, dangerID, kinds[string(governance.DangerHazardUnknown)])
	ev := pgtest.Scalar[string](t, pool, `SELECT evidence->0->>'key' FROM governance_facts WHERE kind = 'chain_task_measure'`)
	assert.Equal(t, taskID, ev)

	type conn struct {
		Table, Source string
		Records       int
	}
	rows, err = pool.Query(ctx, `SELECT table_name, source, records FROM rollout_connections WHERE company_code = $1 ORDER BY 1`, a)
	require.NoError(t, err)
	var got []conn
	for rows.Next() {
		var c conn
		require.NoError(t, rows.Scan(&c.Table, &c.Source, &c.Records))
		got = append(got, c)
	}
	assert.Equal(t, []conn{{"check-tasks", "base", 1}, {"hidden-dangers", "own", 1}}, got, "counted once despite the replay")
	first := pgtest.Scalar[time.Time](t, pool, `SELECT first_at FROM rollout_connections WHERE table_name = 'check-tasks'`)
	assert.True(t, first.Equal(now))
}

// A 生产 company that never sends the tables it owes is flagged once
// never_sent_after has passed; the registry's kind decides what it owes.
func TestNeverSentFromTheRegistryKind(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	govtest.AddEnterprise(t, pool, "370102001", "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	s := govtest.Service(t, pool, clk)
	require.NoError(t, s.Tick(ctx))
	clk.Add(governance.DefaultConfig().Limits.NeverSentAfter + time.Minute)
	require.NoError(t, s.Tick(ctx))
	n := pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE kind = 'table_never_sent' AND company_code = '370102001'`)
	assert.Equal(t, len(governance.OwedTables("生产")), n)
}

// The facts of a batch are written in one statement — as arrays, or copied through
// a temporary table when they are many (a tick that opens the findings of 600 隐患
// at once: 1,200 facts) — and either way every row's columns say what its fact (doc)
// says, open or closed, and a fact written again (closed) is updated in place.
func TestFactRowsHoldTheirFacts(t *testing.T) {
	for _, n := range []int{40, 600} {
		t.Run(fmt.Sprint(n, " 隐患"), func(t *testing.T) { factRowsHoldTheirFacts(t, n) })
	}
}

func factRowsHoldTheirFacts(t *testing.T, n int) {
	const a = "370102001"
	pool, s, clk := govtest.OneCompany(t, a)
	ctx := context.Background()

	danger := func(offset int64, id, state string) bus.Message {
		now := clk.Now()
		return govtest.ChainMsg(t, a, "hidden-dangers", "", offset, now, map[string]any{"ID": id, "HAZARD_CODE": "H-unregistered",
			"RISK_MEASURE_ID": "M-unknown", "DANGER_NAME": "液位计失灵", "DANGER_LEVEL": "0", "DANGER_STATE": state, "DELETED": "0",
			"DANGER_MANAGE_DEADLINE": now.Add(30 * time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout)})
	}
	ids := make([]string, n)
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
	for i, id := range ids[:n/2] {
		batch = append(batch, danger(int64(n+i), id, "9"))
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	for i := range 40 {
		clk.Add(time.Minute)
		require.NoError(t, s.ApplyMessages(ctx, []bus.Message{govtest.ChainMsg(t, "370102002", "risk-units", "", int64(i),
			clk.Now(), map[string]any{"ID": uuid.NewString(), "HAZARD_CODE": "H1", "HAZARD_DEP": "储运部",
				"HAZARD_LIABLE_PERSON": "王", "RISK_UNIT_NAME": "罐区", "DELETED": "0"})}))
		require.NoError(t, s.Tick(ctx))
	}

	count := func(where string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1 AND `+where, a)
	}
	assert.Equal(t, n, count(`kind = 'danger_hazard_unknown'`), "one fact per 隐患")
	assert.Equal(t, n, count(`kind = 'danger_measure_unknown'`), "one fact per 隐患")
	assert.Equal(t, n/2, count(`kind = 'danger_hazard_unknown' AND ended_at IS NOT NULL`), "the accepted ones closed")
	assert.Equal(t, n/2, count(`kind = 'danger_overdue' AND ended_at IS NULL`), "the others overdue")
	assert.Zero(t, count(`NOT (
		fact_id = doc->>'id' AND kind = doc->>'kind' AND subject = coalesce(doc->>'subject', '') AND severity = doc->>'severity'
		AND day IS NOT DISTINCT FROM (doc->>'day')::date AND started_at = (doc->>'started')::timestamptz
		AND ended_at IS NOT DISTINCT FROM (doc->>'ended')::timestamptz AND count = (doc->>'count')::int
		AND detail = doc->>'detail' AND evidence = doc->'evidence' AND dimension <> '')`), "every column as its fact says")
	assert.Equal(t, count(`true`), count(`updated_at IS NOT NULL AND jsonb_array_length(evidence) > 0`))
}

// A tick that opens many facts at once — the unknown links of a 隐患 upload — commits
// them in parts, a company's all in one, the next company in another transaction
// once tickFacts are held, and ticks every company all the same.
func TestTickCommitsABurstInParts(t *testing.T) {
	codes := []string{"370102001", "370102002", "370102003"}
	pool, s, clk := govtest.OneCompany(t, codes[0])
	ctx := context.Background()
	// Two facts per 隐患: the first two companies together pass TickFacts, one alone does not.
	n := governancesvc.TickFacts/4 + 50
	var batch []bus.Message
	for _, code := range codes {
		for range n {
			now := clk.Now()
			batch = append(batch, govtest.ChainMsg(t, code, "hidden-dangers", "", int64(len(batch)), now, map[string]any{
				"ID": uuid.NewString(), "HAZARD_CODE": "H-unregistered", "RISK_MEASURE_ID": "M-unknown", "DANGER_NAME": "液位计失灵",
				"DANGER_LEVEL": "0", "DANGER_STATE": "0", "DELETED": "0",
				"DANGER_MANAGE_DEADLINE": now.Add(30 * time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout)}))
		}
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	for range 3 { // two checks open the findings of every 隐患 at once
		clk.Add(20 * time.Second)
		require.NoError(t, s.Tick(ctx))
	}
	txns := map[string]string{}
	for _, code := range codes {
		require.Equal(t, 2*n, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts
			WHERE company_code = $1 AND kind IN ('danger_hazard_unknown', 'danger_measure_unknown') AND ended_at IS NULL`, code),
			"every company ticked: %s", code)
		require.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(DISTINCT xmin::text) FROM governance_facts
			WHERE company_code = $1 AND kind = 'danger_hazard_unknown'`, code), "a company's facts in one transaction: %s", code)
		txns[code] = pgtest.Scalar[string](t, pool, `SELECT min(xmin::text) FROM governance_facts
			WHERE company_code = $1 AND kind = 'danger_hazard_unknown'`, code)
	}
	assert.Equal(t, txns[codes[0]], txns[codes[1]], "below tickFacts the tick goes on in the same transaction")
	assert.NotEqual(t, txns[codes[1]], txns[codes[2]], "past tickFacts the next company is another transaction")
}
