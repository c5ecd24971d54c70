package governancesvc_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
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

// oneCompany is a database with company code registered and the governance
// service over it on a frozen clock at 2021-06-01 08:00, ticked once.
func oneCompany(tb testing.TB, code string) (*pgxpool.Pool, *governancesvc.Service, *testclock.Clock) {
	tb.Helper()
	pool := pgtest.Pool(tb)
	govtest.AddEnterprise(tb, pool, code, "370102", "")
	clk := testclock.Frozen(govtest.At(tb, "2021-06-01 08:00:00"))
	s := govtest.Service(tb, pool, clk)
	require.NoError(tb, s.Tick(context.Background()))
	return pool, s, clk
}

// chainMsg is one accepted exchange record of table as ingest publishes it.
func chainMsg(tb testing.TB, company, table, source string, offset int64, at time.Time, rec map[string]any) bus.Message {
	tb.Helper()
	raw, err := json.Marshal(rec)
	require.NoError(tb, err)
	tbl, ok := schemas.TableBySlug(table)
	require.True(tb, ok, table)
	env, err := json.Marshal(events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: table, Company: company, Key: rec["ID"].(string),
		Version: offset + 1, ReceivedAt: at}, Record: raw, Source: source})
	require.NoError(tb, err)
	return bus.Message{Topic: tbl.Topic(), Partition: 0, Offset: offset, Value: env, Time: at}
}

// The runner turns 双重预防 records on the bus into chain facts on a real database:
// a task without its measure, a check overdue by its cycle, a major 隐患 past its
// deadline — with evidence — and notes which system sent each table.
func TestChainFactsFromTheBus(t *testing.T) {
	const a = "370102001"
	pool, s, clk := oneCompany(t, a)
	ctx := context.Background()

	now := clk.Now()
	stamp := now.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	deadline := now.Add(time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	taskID, measureID, dangerID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	batch := []bus.Message{
		chainMsg(t, a, "check-tasks", events.SourceBase, 0, now, map[string]any{"ID": taskID, "RISK_MEASURE_ID": measureID,
			"TROUBLESHOOT_CONTENT": "检查液位计", "CHECK_CYCLE": "2", "CHECK_CYCLE_UNIT": "小时",
			"INVESTIGATION_DATE": stamp, "CHECK_STATUS": "0", "DELETED": "0"}),
		chainMsg(t, a, "hidden-dangers", "", 1, now, map[string]any{"ID": dangerID, "HAZARD_CODE": "H-unregistered",
			"DANGER_NAME": "液位计失灵", "DANGER_LEVEL": "1", "DANGER_MANAGE_DEADLINE": deadline, "DANGER_STATE": "0",
			"DELETED": "0"}),
	}
	require.NoError(t, s.ApplyMessages(ctx, batch))
	require.NoError(t, s.ApplyMessages(ctx, batch), "a replayed batch changes nothing")
	// Another company keeps sending: the platform's intake runs, so absence counts.
	for i := range 3 * 60 {
		clk.Add(time.Minute)
		require.NoError(t, s.ApplyMessages(ctx, []bus.Message{chainMsg(t, "370102002", "risk-units", "", int64(i),
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
