package governancesvc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

// A company disabled in the registry (enterprises.disabled_at) accrues no governance
// facts: at the next tick its open facts close at the time it was disabled, with the
// reason, and no new ones open on the following days; an enabled company goes on.
func TestDisabledCompanyAccruesNoFacts(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	const off, on = "370102001", "370102002"
	govtest.AddEnterprise(t, pool, off, "370102", "")
	govtest.AddEnterprise(t, pool, on, "370102", "")
	clk := testclock.Frozen(govtest.At(t, "2021-06-01 08:00:00"))
	s := govtest.Service(t, pool, clk)
	tick := func(codes ...string) {
		var evs []governance.Event
		for _, c := range codes {
			evs = append(evs, governance.Upload{Company: c, Table: events.TableSensorReadings, Accepted: 1})
		}
		require.NoError(t, s.Apply(ctx, evs))
		require.NoError(t, s.Tick(ctx))
	}
	tick(off, on)
	clk.Set(govtest.At(t, "2021-06-01 11:00:00"))
	tick(on)
	openOf := func(code string) int {
		return pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1 AND ended_at IS NULL`, code)
	}
	require.Positive(t, openOf(off), "no commitment by 10:00")
	require.Positive(t, openOf(on))

	disabledAt := govtest.At(t, "2021-06-01 11:30:00")
	_, err := pool.Exec(ctx, `UPDATE enterprises SET disabled_at = $2 WHERE code = $1`, off, disabledAt)
	require.NoError(t, err)
	clk.Set(govtest.At(t, "2021-06-01 12:00:00"))
	tick(on)
	assert.Zero(t, openOf(off), "its open facts closed")
	assert.Positive(t, openOf(on), "the enabled company's stay open")
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1
		AND (ended_at <> $2 OR detail NOT LIKE '%已于 2021-06-01 11:30:00 停用，不再计入数据质量')`, off, disabledAt),
		"closed when it was disabled, with the reason")

	// The next days: nothing new for the disabled company, the other one goes on.
	for _, ts := range []string{"2021-06-02 08:00:00", "2021-06-02 11:00:00", "2021-06-02 23:00:00"} {
		clk.Set(govtest.At(t, ts))
		tick(on)
	}
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1 AND started_at > $2`,
		off, disabledAt))
	assert.Positive(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM governance_facts WHERE company_code = $1
		AND kind = 'commitment_missing' AND day = '2021-06-02'`, on))
}
