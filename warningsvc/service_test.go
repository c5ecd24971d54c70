package warningsvc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// newService is one process's warning service on pool (no consumer).
func newService(tb testing.TB, pool *pgxpool.Pool, clk *testclock.Clock) *warningsvc.Service {
	tb.Helper()
	s, err := warningsvc.New(context.Background(), pool, nil, warningsvc.Config{Now: clk.Now})
	require.NoError(tb, err)
	return s
}

func f(v float64) *float64 { return &v }

const company = "370102001"

func detector(code string) events.IndicatorDef {
	return events.IndicatorDef{Code: code, Company: company, Name: "可燃气体探测器" + code, Kind: events.KindCombustible,
		Unit: "%LEL", RangeLow: f(0), RangeHigh: f(100), Thresholds: events.Thresholds{High: f(20), HighHigh: f(50)}, Area: "罐区"}
}

func reading(code string, v float64, at time.Time) events.Reading {
	return events.Reading{Company: company, Indicator: code, Value: v, At: at}
}

func leakWarning(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	return pgtest.Scalar[string](tb, pool, `SELECT warning_key FROM warnings WHERE model = 'leak' AND status = 'open'`)
}

// Two processes change one company: the second acts on a warning the first raised,
// then the first — whose copy is now stale — applies a reading. It must reload the
// state under the row lock rather than write its stale copy over the action.
func TestStaleCopyIsReloadedBeforeItIsChanged(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) // 09:00 in Shanghai: no commitment factor yet
	ctx := context.Background()
	p1, p2 := newService(t, pool, clk), newService(t, pool, clk)

	now := clk.Now()
	require.NoError(t, p1.Apply(ctx, []events.Event{detector("G1"), reading("G1", 60, now)}))
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE severity = 'high_high' AND cleared_at IS NULL`))
	key := leakWarning(t, pool)

	clk.Add(time.Minute)
	_, err := p2.Act(ctx, company, key, warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.NoError(t, err)

	clk.Add(time.Minute)
	require.NoError(t, p1.Apply(ctx, []events.Event{reading("G1", 1, clk.Now())}))
	assert.Equal(t, "acknowledged", pgtest.Scalar[string](t, pool, `SELECT step FROM warnings WHERE warning_key = $1`, key),
		"the action taken through the other process survives")
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE cleared_at IS NOT NULL`))
	assert.EqualValues(t, 3, pgtest.Scalar[int64](t, pool, `SELECT version FROM warning_engine_state WHERE company_code = $1`, company))

	// Acting again on the other process's stale copy is refused by the engine's step check, not lost.
	_, err = p2.Act(ctx, company, key, warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.ErrorIs(t, err, warning.ErrWrongStep)
}

// An unacknowledged warning is escalated county → city by the tick, and after a
// restart (a new service loading the stored state) on to the province.
func TestTickEscalatesAndRestartKeepsTheClock(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	s := newService(t, pool, clk)
	now := clk.Now()
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), detector("G2"), detector("G3"),
		reading("G1", 60, now), reading("G2", 60, now), reading("G3", 60, now)}))
	key := leakWarning(t, pool)
	assert.Equal(t, "red", pgtest.Scalar[string](t, pool, `SELECT level FROM warnings WHERE warning_key = $1`, key))
	deadline := pgtest.Scalar[time.Time](t, pool, `SELECT deadline FROM warnings WHERE warning_key = $1`, key)

	clk.Set(deadline.Add(time.Second))
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, "city", pgtest.Scalar[string](t, pool, `SELECT tier FROM warnings WHERE warning_key = $1`, key))
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events e JOIN warnings w ON w.id = e.warning_id
		WHERE w.warning_key = $1 AND e.kind = 'disposal_escalated'`, key))

	restarted := newService(t, pool, clk)
	next := pgtest.Scalar[time.Time](t, pool, `SELECT deadline FROM warnings WHERE warning_key = $1`, key)
	clk.Set(next.Add(time.Second))
	require.NoError(t, restarted.Tick(ctx))
	assert.Equal(t, "province", pgtest.Scalar[string](t, pool, `SELECT tier FROM warnings WHERE warning_key = $1`, key))
	assert.Equal(t, 2, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events e JOIN warnings w ON w.id = e.warning_id
		WHERE w.warning_key = $1 AND e.kind = 'disposal_escalated'`, key))
}

// A batch stored but not committed to Kafka comes back after a crash: applying it
// again changes nothing — no second alarm, warning or history event.
func TestReplayedBatchChangesNothing(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	s := newService(t, pool, clk)
	now := clk.Now()
	batch := []events.Event{detector("G1"), detector("G2"), reading("G1", 60, now), reading("G2", 30, now)}
	require.NoError(t, s.Apply(ctx, batch))
	counts := func() [4]int {
		return [4]int{pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms`), pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warnings`),
			pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_events`),
			pgtest.Scalar[int](t, pool, `SELECT version FROM warning_engine_state WHERE company_code = $1`, company)}
	}
	before := counts()
	require.Equal(t, 2, before[0])
	clk.Add(time.Second)
	require.NoError(t, newService(t, pool, clk).Apply(ctx, batch)) // the restarted process
	assert.Equal(t, before, counts())
}

// One process at a time holds the tick lock; when its session ends another takes it.
func TestOneProcessTicks(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(testclock.Start(t))
	ctx := context.Background()
	p1, p2 := newService(t, pool, clk), newService(t, pool, clk)
	held, release1, err := p1.TryLead(ctx)
	require.NoError(t, err)
	require.True(t, held)
	held, release2, err := p2.TryLead(ctx)
	require.NoError(t, err)
	require.False(t, held)
	release2()
	release1()
	held, release2, err = p2.TryLead(ctx)
	require.NoError(t, err)
	assert.True(t, held)
	release2()
}

// A tick in which hundreds of indicators fall silent at once writes their alarms in
// bulk (COPY into a temporary table, then one upsert), and the readings that come
// back clear them the same way; the rows are the same as one statement each.
func TestManyAlarmsAtOnceAreWrittenInBulk(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	s := newService(t, pool, clk)
	const n = 300
	var evs []events.Event
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("G%03d", i)
		evs = append(evs, detector(code), reading(code, 1, clk.Now()))
	}
	require.NoError(t, s.Apply(ctx, evs))
	clk.Add(6 * time.Minute) // gas detectors: 数据中断 after 5 minutes
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, n, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE severity = 'no_data' AND cleared_at IS NULL`))
	evs = evs[:0]
	for i := 0; i < n; i++ {
		evs = append(evs, reading(fmt.Sprintf("G%03d", i), 1, clk.Now()))
	}
	require.NoError(t, s.Apply(ctx, evs))
	assert.Equal(t, n, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE severity = 'no_data' AND clear_reason = '数据恢复'`))
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE cleared_at IS NULL`))
}

// The open 隐患 and the indicators are kept as items beside the engine's head: a
// batch writes the items it changed and no other (a reading that moves only the last
// value writes none; one that raises an alarm writes its indicator's), a restarted
// process reads them back (and rewrites none), and a state stored whole before items,
// or a head of version 2 with the indicators in it, moves them to items at its next
// write.
func TestItemsKeptAcrossRestarts(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	danger := func(id string, accepted bool) events.HiddenDanger {
		return events.HiddenDanger{ID: id, Company: company, Hazard: company + "001", Name: "法兰泄漏", Major: true,
			Accepted: accepted, Deadline: clk.Now().Add(72 * time.Hour)}
	}
	items := func(kind string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_engine_state_items
			WHERE company_code = $1 AND item LIKE $2 || '|%'`, company, kind)
	}
	writtenSince := func(txid int64) []string {
		return pgtest.Scalar[[]string](t, pool, `SELECT coalesce(array_agg(item ORDER BY item), '{}') FROM warning_engine_state_items
			WHERE xmin::text::bigint > $1`, txid)
	}
	inHead := func(s string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_engine_state WHERE strpos(state::text, $1) > 0`, s)
	}
	indicatorsInHead := func() int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_engine_state, jsonb_each(state->'companies')
			WHERE jsonb_typeof(value->'indicators') = 'object' AND value->'indicators' <> '{}'`)
	}
	s := newService(t, pool, clk)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), detector("G2"), danger("D1", false), danger("D2", false)}))
	assert.Equal(t, 2, items("danger"))
	assert.Equal(t, 2, items("indicator"))
	assert.Zero(t, inHead("D1"), "the head keeps no 隐患")
	assert.Zero(t, indicatorsInHead(), "nor any indicator")

	before := pgtest.Scalar[int64](t, pool, `SELECT txid_current()`)
	require.NoError(t, s.Apply(ctx, []events.Event{reading("G1", 1, clk.Now()), detector("G2")}))
	assert.Empty(t, writtenSince(before), "a quiet reading and a definition sent again rewrite no item")
	require.NoError(t, s.Apply(ctx, []events.Event{reading("G1", 60, clk.Now().Add(time.Second))}))
	assert.Equal(t, []string{"indicator|G1"}, writtenSince(before), "an alarm raised writes its indicator alone")
	assert.EqualValues(t, 60, pgtest.Scalar[float64](t, pool, `SELECT (doc->'alarm'->>'peak')::float8
		FROM warning_engine_state_items WHERE item = 'indicator|G1'`))

	before = pgtest.Scalar[int64](t, pool, `SELECT txid_current()`)
	restarted := newService(t, pool, clk)
	require.NoError(t, restarted.Apply(ctx, []events.Event{danger("D3", false), reading("G2", 2, clk.Now().Add(time.Second))}))
	assert.Equal(t, 3, items("danger"))
	assert.Equal(t, []string{"danger|D3"}, writtenSince(before), "the restarted process writes the new 隐患 alone")
	assert.Equal(t, 1, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE indicator_code = 'G1' AND cleared_at IS NULL`))

	// An accepted 隐患 leaves the memory at the next tick (a silent change, stored with
	// the company's next one), and its item with it.
	require.NoError(t, restarted.Apply(ctx, []events.Event{danger("D1", true)}))
	clk.Add(time.Minute)
	require.NoError(t, restarted.Tick(ctx))
	require.NoError(t, restarted.Apply(ctx, []events.Event{reading("G1", 1, clk.Now())}))
	assert.Equal(t, 2, items("danger"))

	// A head of version 2, written before the indicators were items: they are read
	// from it, the head is written again without them, and they become items.
	_, err := pool.Exec(ctx, `UPDATE warning_engine_state SET version = version + 1,
			state = jsonb_set(jsonb_set(state, '{version}', '2'), ARRAY['companies', $1, 'indicators'],
				(SELECT jsonb_object_agg(substr(item, length('indicator|') + 1), doc) FROM warning_engine_state_items
					WHERE company_code = $1 AND item LIKE 'indicator|%'))
		WHERE company_code = $1`, company)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `DELETE FROM warning_engine_state_items WHERE item LIKE 'indicator|%'`)
	require.NoError(t, err)
	require.Equal(t, 1, indicatorsInHead())
	clk.Add(time.Second)
	before = pgtest.Scalar[int64](t, pool, `SELECT txid_current()`)
	require.NoError(t, newService(t, pool, clk).Apply(ctx, []events.Event{reading("G2", 3, clk.Now())}))
	assert.Equal(t, []string{"indicator|G1", "indicator|G2"}, writtenSince(before))
	assert.Zero(t, indicatorsInHead(), "the head is written again without its indicators")
	assert.Equal(t, 3, pgtest.Scalar[int](t, pool, `SELECT (state->>'version')::int FROM warning_engine_state WHERE company_code = $1`, company))
	clk.Add(time.Second)
	before = pgtest.Scalar[int64](t, pool, `SELECT txid_current()`)
	require.NoError(t, newService(t, pool, clk).Apply(ctx, []events.Event{reading("G2", 4, clk.Now())}))
	assert.Empty(t, writtenSince(before), "then read back as it is")

	// A whole state from before items: read as it is, its 隐患 and indicators become
	// items at the next write.
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	e, err := warning.New(cfg, nil)
	require.NoError(t, err)
	e.Apply(detector("G1"), clk.Now())
	e.Apply(danger("D7", false), clk.Now())
	e.Apply(danger("D8", false), clk.Now())
	whole, err := warning.MarshalState(e.State())
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE warning_engine_state SET state = $2, fresh = NULL, version = version + 1
		WHERE company_code = $1`, company, whole)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `DELETE FROM warning_engine_state_items`)
	require.NoError(t, err)
	migrated := newService(t, pool, clk)
	require.NoError(t, migrated.Apply(ctx, []events.Event{reading("G1", 3, clk.Now().Add(2*time.Second))}))
	assert.Equal(t, 2, items("danger"), "D7 and D8 moved to items")
	assert.Equal(t, 1, items("indicator"), "and G1")
	assert.Zero(t, inHead("D7"))
	assert.Zero(t, indicatorsInHead())
}

// A company's active alarms and open warnings are written when they change — a
// reported change, or a peak or factor moved silently — not at every transaction
// that stores the company; a copy of the engine loaded again writes them all.
func TestAlarmsAndWarningsWrittenWhenTheyChange(t *testing.T) {
	pool := pgtest.Pool(t)
	clk := testclock.Frozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	ctx := context.Background()
	p1, p2 := newService(t, pool, clk), newService(t, pool, clk)
	apply := func(s *warningsvc.Service, events ...events.Event) {
		t.Helper()
		clk.Add(time.Second)
		require.NoError(t, s.Apply(ctx, events))
	}
	// rowVersions are the transactions that last wrote G1's and G2's alarms and the warning.
	rowVersions := func() [3]string {
		t.Helper()
		return [3]string{
			pgtest.Scalar[string](t, pool, `SELECT xmin::text FROM alarms WHERE indicator_code = 'G1'`),
			pgtest.Scalar[string](t, pool, `SELECT xmin::text FROM alarms WHERE indicator_code = 'G2'`),
			pgtest.Scalar[string](t, pool, `SELECT xmin::text FROM warnings WHERE model = 'leak'`)}
	}
	apply(p1, detector("G1"), detector("G2"), detector("G3"), reading("G1", 60, clk.Now()), reading("G2", 60, clk.Now()))
	require.Equal(t, 2, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM alarms WHERE cleared_at IS NULL`))
	first := rowVersions()

	apply(p1, reading("G3", 5, clk.Now()))
	require.Equal(t, first, rowVersions(), "a batch that changed neither alarm nor the warning rewrites none of them")
	assert.EqualValues(t, 2, pgtest.Scalar[int64](t, pool, `SELECT version FROM warning_engine_state WHERE company_code = $1`, company),
		"the company was stored")

	apply(p1, reading("G1", 70, clk.Now()))
	risen := rowVersions()
	assert.NotEqual(t, first[0], risen[0], "G1's peak rose: its row is written")
	assert.Equal(t, first[1], risen[1], "G2's did not")
	assert.Equal(t, 70.0, pgtest.Scalar[float64](t, pool, `SELECT peak FROM alarms WHERE indicator_code = 'G1'`))
	assert.Equal(t, 70.0, pgtest.Scalar[float64](t, pool, `SELECT (doc->>'peak')::float8 FROM alarms WHERE indicator_code = 'G1'`))

	// The other process acts on the warning: p1's copy is stale, is loaded again at
	// its next batch, and writes every row — it cannot know what p2 wrote.
	_, err := p2.Act(ctx, company, leakWarning(t, pool), warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.NoError(t, err)
	acted := rowVersions()
	apply(p1, reading("G3", 6, clk.Now()))
	reloaded := rowVersions()
	for i := range reloaded {
		assert.NotEqual(t, acted[i], reloaded[i], "row %d written again from the copy loaded again", i)
	}
	assert.Equal(t, "acknowledged", pgtest.Scalar[string](t, pool, `SELECT step FROM warnings WHERE model = 'leak'`))
	apply(p1, reading("G3", 7, clk.Now()))
	assert.Equal(t, reloaded, rowVersions(), "and only once")
}
