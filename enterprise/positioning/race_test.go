package positioning_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
)

// oneAlarm raises one alarm — a vehicle beside a person — and returns its id.
func (p *plant) oneAlarm(t *testing.T) string {
	t.Helper()
	status, res := p.push(t, []any{
		fix{Card: "C001", Time: p.at(-time.Second), X: 20, Y: 20, Floor: "1"},
		fix{Card: "V001", Time: p.at(0), X: 30, Y: 25, Floor: "1"},
	})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, res.Alarms)
	return pgtest.Scalar[string](t, p.app.Pool, `SELECT id::text FROM pos_alarms`)
}

// An alarm handled by two people at once is handled once: the platform gets
// one alarm:handle version, the first handling's. The test's transaction is
// the first handling, uncommitted, holding the alarm's row; the second is
// made meanwhile through the page. Its check that the alarm is unhandled
// reads without the lock, so the update under the lock must check again:
// before it did, the second handling waited, then overwrote the first and
// staged a second alarm:handle after it, which the platform kept.
func TestAlarmHandledTwiceAtOnce(t *testing.T) {
	p := newPlant(t)
	ctx := context.Background()
	alarm := p.oneAlarm(t)
	before := len(p.staged(t))

	tx, err := p.app.Pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `UPDATE pos_alarms SET handled_at = now(), handle_info = '班长已处置' WHERE id::text = $1`, alarm)
	require.NoError(t, err)

	second := make(chan error, 1)
	var code int
	go func() {
		r := p.safety.Post("/e/positioning/alarms/"+alarm+"/handle", url.Values{"handle_info": {"安全员再次处置"}})
		code = r.Status
		second <- nil
	}()
	require.True(t, enttest.WaitLockedOrDone(t, p.app.Pool, second), "the second handling waits for the first's row lock")
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, <-second)

	require.Equal(t, http.StatusConflict, code, "the second handling is refused: 该报警已处置")
	require.Equal(t, "班长已处置", pgtest.Scalar[string](t, p.app.Pool, `SELECT handle_info FROM pos_alarms WHERE id::text = $1`, alarm))
	require.Len(t, p.staged(t), before, "no second alarm:handle is staged")
}

// An alarm confirmed by two managers at once keeps the first confirmation:
// the test's transaction is the first, uncommitted, holding the alarm's row;
// the second, made meanwhile through the page, read the alarm unconfirmed
// without the lock. Before its update checked again, it waited, then
// overwrote the first confirmer and time.
func TestAlarmConfirmedTwiceAtOnce(t *testing.T) {
	p := newPlant(t)
	ctx := context.Background()
	alarm := p.oneAlarm(t)
	require.Equal(t, http.StatusSeeOther, p.safety.Post("/e/positioning/alarms/"+alarm+"/handle", url.Values{"handle_info": {"班长已处置"}}).Status)

	tx, err := p.app.Pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	first := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err = tx.Exec(ctx, `UPDATE pos_alarms SET confirmed_at = $2 WHERE id::text = $1`, alarm, first)
	require.NoError(t, err)

	second := make(chan error, 1)
	var code int
	go func() {
		code = p.safety.Post("/e/positioning/alarms/"+alarm+"/confirm", nil).Status
		second <- nil
	}()
	require.True(t, enttest.WaitLockedOrDone(t, p.app.Pool, second), "the second confirmation waits for the first's row lock")
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, <-second)

	require.Equal(t, http.StatusConflict, code, "the second confirmation is refused: 该报警已确认")
	require.True(t, first.Equal(pgtest.Scalar[time.Time](t, p.app.Pool, `SELECT confirmed_at FROM pos_alarms WHERE id::text = $1`, alarm)),
		"the first confirmation is kept")
}
