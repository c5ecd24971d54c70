package governancesvc_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// consumer is one governance consumer over its own database and clock.
type consumer struct {
	pool *pgxpool.Pool
	s    *governancesvc.Service
	clk  *testclock.Clock
}

// chainStep is one step of a random 双重预防 stream: a batch of records, or a tick
// after the clock moved on.
type chainStep struct {
	msgs    []bus.Message
	advance time.Duration
}

// randomChainStream is n random steps of company code's 双重预防 records sent from
// start: 隐患 from a small pool of IDs, re-sent with new states and deadlines (some
// past), accepted, withdrawn and sent again as not accepted — which reopens an
// overdue fact of an ID the facts table holds closed — measures, tasks and check
// records whose links resolve or not, and ticks.
func randomChainStream(tb testing.TB, seed uint64, code string, start time.Time, n int) []chainStep {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed*31))
	now, offset := start, int64(0)
	msg := func(table string, rec map[string]any) bus.Message {
		offset++
		return govtest.ChainMsg(tb, code, table, "", offset, now, rec)
	}
	at := func(d time.Duration) string { return now.Add(d).In(schemas.Shanghai).Format(schemas.DateTimeLayout) }
	deleted := func(p int) string { return []string{"0", "1"}[min(1, r.IntN(p)/(p-1))] }
	var out []chainStep
	for range n {
		if r.IntN(4) == 0 {
			d := time.Duration(1+r.IntN(4)) * time.Minute
			now = now.Add(d)
			out = append(out, chainStep{advance: d})
			continue
		}
		var msgs []bus.Message
		for range 1 + r.IntN(4) {
			switch k := r.IntN(10); {
			case k < 6:
				n := r.IntN(12)
				deadline := start.Add(time.Duration(n%6*20-30) * time.Minute) // mostly each 隐患's own
				if r.IntN(8) == 0 {
					deadline = now.Add(time.Duration(r.IntN(120)-60) * time.Minute)
				}
				msgs = append(msgs, msg("hidden-dangers", map[string]any{"ID": fmt.Sprintf("D%02d", n), "HAZARD_CODE": "H1",
					"RISK_MEASURE_ID": []string{"", "M1", "M2"}[r.IntN(3)], "DANGER_NAME": "液位计失灵",
					"DANGER_LEVEL":           []string{"0", "1"}[r.IntN(2)],
					"DANGER_MANAGE_DEADLINE": deadline.In(schemas.Shanghai).Format(schemas.DateTimeLayout),
					"DANGER_STATE":           []string{"0", "1", "9"}[r.IntN(3)], "DELETED": deleted(10)}))
			case k < 7:
				msgs = append(msgs, msg("control-measures", map[string]any{"ID": fmt.Sprintf("M%d", 1+r.IntN(2)),
					"RISK_EVENT_ID": "E1", "TROUBLESHOOT_CONTENT": "检查液位计", "DELETED": deleted(4)}))
			case k < 8:
				msgs = append(msgs, msg("check-tasks", map[string]any{"ID": fmt.Sprintf("T%d", r.IntN(3)),
					"RISK_MEASURE_ID": fmt.Sprintf("M%d", 1+r.IntN(3)), "TROUBLESHOOT_CONTENT": "巡检", "CHECK_CYCLE": "1",
					"CHECK_CYCLE_UNIT": "小时", "INVESTIGATION_DATE": at(-time.Duration(r.IntN(180)) * time.Minute),
					"DELETED": deleted(6)}))
			default:
				msgs = append(msgs, msg("check-records", map[string]any{"ID": fmt.Sprintf("R%d", r.IntN(8)),
					"CHECK_TASK_ID": fmt.Sprintf("T%d", r.IntN(4)), "CHECK_TIME": at(-time.Duration(r.IntN(90)) * time.Minute),
					"CHECK_STATUS": "1", "DELETED": deleted(8)}))
			}
		}
		out = append(out, chainStep{msgs: msgs})
	}
	return out
}

// A consumer restarted now and then from what it stored carries on exactly as one
// that never stopped: the same memory at every restart (pending conditions, open
// facts read back from governance_facts, the chain), the same facts stored. Open
// facts are not stored as items — but the ones the facts table holds closed
// (reopened under an ID closed before), which the stream makes.
func TestRestartedConsumerMatchesAnUninterruptedOne(t *testing.T) {
	const code = "370102001"
	ctx := context.Background()
	start := func(tb testing.TB) consumer {
		pool, s, clk := govtest.OneCompany(tb, code)
		return consumer{pool, s, clk}
	}
	kept := 0
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			running, restarted := start(t), start(t)
			steps := randomChainStream(t, seed, code, running.clk.Now(), 240)
			phantoms := 0
			for i, step := range steps {
				for _, c := range []*consumer{&running, &restarted} {
					if step.msgs == nil {
						c.clk.Add(step.advance)
						require.NoError(t, c.s.Tick(ctx))
					} else {
						require.NoError(t, c.s.ApplyMessages(ctx, step.msgs))
					}
				}
				if i%20 != 19 && i != len(steps)-1 {
					continue
				}
				restarted.s = govtest.Service(t, restarted.pool, restarted.clk)
				want, err := running.s.Memory(ctx, code)
				require.NoError(t, err)
				got, err := restarted.s.Memory(ctx, code)
				require.NoError(t, err)
				require.JSONEq(t, string(want), string(got), "memory after step %d", i)
				require.Equal(t, storedFacts(t, running.pool), storedFacts(t, restarted.pool), "facts after step %d", i)
				phantoms = max(phantoms, pgtest.Scalar[int](t, restarted.pool, `SELECT count(*) FROM governance_state_items i
					JOIN governance_facts f ON f.fact_id = i.doc->>'id' WHERE i.item LIKE 'fact|%' AND f.ended_at IS NOT NULL`))
				require.Zero(t, pgtest.Scalar[int](t, restarted.pool, `SELECT count(*) FROM governance_state_items i
					JOIN governance_facts f ON f.fact_id = i.doc->>'id' WHERE f.ended_at IS NULL`),
					"no fact stored twice")
			}
			require.NotZero(t, pgtest.Scalar[int](t, running.pool, `SELECT count(*) FROM governance_facts WHERE ended_at IS NULL`))
			t.Logf("%d facts, at most %d open facts kept as items (their rows closed)",
				pgtest.Scalar[int](t, running.pool, `SELECT count(*) FROM governance_facts`), phantoms)
			kept += phantoms
		})
	}
	require.NotZero(t, kept, "the streams reopened facts under closed IDs")
}

// storedFacts is every stored fact, as one comparable text.
func storedFacts(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	return pgtest.Scalar[string](tb, pool, `SELECT coalesce(string_agg(concat_ws(' ', fact_id, kind, started_at, ended_at,
		count, detail, doc::text, updated_at), E'\n' ORDER BY fact_id), '') FROM governance_facts`)
}
