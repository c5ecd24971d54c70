package enterprise_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/validate"
)

// flakyExchange is the exchange with its broker down until up is set; it
// validates as the real one does and remembers what it accepted, in order.
type flakyExchange struct {
	mu       sync.Mutex
	up       bool
	refuse   string // an ID the exchange refuses at publish time
	accepted []string
	calls    int
}

func (f *flakyExchange) SubmitFrom(_ context.Context, t *schemas.Table, company, source string, body []byte, now time.Time) (*ingest.BatchReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if source != events.SourceBase {
		// rollout tracking tells the base system from a company's own system by it
		return nil, fmt.Errorf("outbox published with source %q, want %q", source, events.SourceBase)
	}
	if !f.up {
		return nil, &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "消息队列暂时无法写入", MessageEN: "the broker cannot take the write",
			Err: errors.New("dial tcp: connection refused")}
	}
	reply, _, err := ingest.Config{}.Check(t, company, body, now)
	if err != nil {
		return nil, err
	}
	var recs []map[string]any
	if err := json.Unmarshal(body, &recs); err != nil {
		return nil, err
	}
	for i, r := range recs {
		if r["ID"] == f.refuse {
			reply.Results[i].Status = "rejected"
			reply.Results[i].Errors = append(reply.Results[i].Errors, validateErr(i))
			continue
		}
		f.accepted = append(f.accepted, r["ID"].(string))
	}
	return reply, nil
}

// While the broker is down nothing is lost: the batch stays staged with the
// error and a later attempt, backing off; once it is up everything goes, in
// the order it was staged. A record the exchange refuses at publish time is
// kept with its refusal and counted, and the rest of its table goes on.
func TestOutboxRetriesUntilTheBrokerTakesIt(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	require.NoError(t, store.NewEnterprises(pool).Add(ctx, store.Enterprise{Code: "370102001", Name: "测试化工", DivisionCode: "370102"}))
	clock := testclock.New(t)
	ex := &flakyExchange{}
	ob := enterprise.NewOutbox(enterprise.OutboxConfig{Now: clock.Now, MinBackoff: 10 * time.Second, MaxBackoff: time.Minute}, pool, ex)
	r := rand.New(rand.NewPCG(3, 4))
	co := simulate.Company{Code: "370102001", County: "370102"}
	var ids []string
	for i := 0; i < 5; i++ {
		rec := simulate.NewRecord(r, schemas.RiskUnits, co, clock.Now())
		ids = append(ids, rec["ID"].(string))
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, ob.Stage(ctx, tx, "risk-units", co.Code, rec))
		require.NoError(t, tx.Commit(ctx))
	}
	ex.refuse = ids[2]

	n, err := ob.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	st, err := ob.Status(ctx, co.Code)
	require.NoError(t, err)
	require.Len(t, st, 1)
	assert.Equal(t, 5, st[0].Pending)
	assert.Contains(t, st[0].LastError, "消息队列暂时无法写入")
	// Not due yet: no attempt before the backoff has passed.
	_, err = ob.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, ex.calls)
	clock.Add(11 * time.Second)
	_, err = ob.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, ex.calls, "retried after the backoff")
	// The second failure waits twice as long.
	clock.Add(11 * time.Second)
	_, err = ob.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, ex.calls, "the backoff doubled")
	clock.Add(10 * time.Second)

	ex.up = true
	n, err = ob.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, []string{ids[0], ids[1], ids[3], ids[4]}, ex.accepted, "published in the order staged")
	st, err = ob.Status(ctx, co.Code)
	require.NoError(t, err)
	assert.Equal(t, 4, st[0].Sent)
	assert.Zero(t, st[0].Pending)
	assert.Equal(t, 1, st[0].Refused)
	assert.Equal(t, int64(5), pgtest.Scalar[int64](t, pool, `SELECT count(*) FROM enterprise_outbox`), "nothing is dropped")
	assert.Equal(t, ids[2], pgtest.Scalar[string](t, pool, `SELECT record->>'ID' FROM enterprise_outbox WHERE refused_at IS NOT NULL`))
	// Nothing is published twice.
	_, err = ob.Drain(ctx)
	require.NoError(t, err)
	assert.Len(t, ex.accepted, 4)
}

// Two drainers on one database publish each record once, in order.
func TestOutboxDrainersDoNotOverlap(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	require.NoError(t, store.NewEnterprises(pool).Add(ctx, store.Enterprise{Code: "370102001", Name: "测试化工", DivisionCode: "370102"}))
	clock := testclock.New(t)
	ex := &flakyExchange{up: true}
	obs := []*enterprise.Outbox{
		enterprise.NewOutbox(enterprise.OutboxConfig{Now: clock.Now, Batch: 7}, pool, ex),
		enterprise.NewOutbox(enterprise.OutboxConfig{Now: clock.Now, Batch: 7}, pool, ex),
	}
	r := rand.New(rand.NewPCG(5, 6))
	co := simulate.Company{Code: "370102001", County: "370102"}
	var ids []string
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	for i := 0; i < 60; i++ {
		rec := simulate.NewRecord(r, schemas.RiskUnits, co, clock.Now())
		ids = append(ids, rec["ID"].(string))
		require.NoError(t, obs[0].Stage(ctx, tx, "risk-units", co.Code, rec))
	}
	require.NoError(t, tx.Commit(ctx))
	var wg sync.WaitGroup
	for _, ob := range obs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := ob.Drain(ctx)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, ids, ex.accepted)
}

func validateErr(i int) validate.FieldError {
	return validate.FieldError{Index: i, Field: "HAZARD_CODE", Rule: validate.RuleCode,
		MessageZH: "危险源编码未备案", MessageEN: "the hazard code is not registered"}
}

// A switch to the company's own system waits for a change the base system is
// staging, and a change staged after the switch is refused: the two systems
// never publish the same records at once. The test's transaction has staged a
// record and not committed; the switch is made meanwhile. Stage holds the
// system choice's lock shared until its transaction ends, so the switch waits
// for it. Without the lock the switch went through, and the record, staged as
// if the base system were still in use, committed and was published after it.
// Once the change has committed, the switch is refused while its record waits
// in the outbox (a record sent after the switch would replace the own system's
// newer version), and goes through once the record is sent.
func TestSwitchWaitsForAChangeBeingStaged(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	co := simulate.Company{Code: "370102001", County: "370102"}
	require.NoError(t, store.NewEnterprises(pool).Add(ctx, store.Enterprise{Code: co.Code, Name: "测试化工", DivisionCode: co.County}))
	admin := pgtest.Scalar[int64](t, pool, `INSERT INTO users (username, display_name, password_hash, domain)
		VALUES ('370102001_admin', '企业管理员', 'x', 'ent:370102001') RETURNING id`)
	clock := testclock.New(t)
	exchange := &flakyExchange{}
	ob := enterprise.NewOutbox(enterprise.OutboxConfig{Now: clock.Now}, pool, exchange)
	systems := enterprise.NewSystems(pool)
	r := rand.New(rand.NewPCG(5, 6))

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	require.NoError(t, ob.Stage(ctx, tx, "risk-units", co.Code, simulate.NewRecord(r, schemas.RiskUnits, co, clock.Now())))
	switched := make(chan error, 1)
	go func() {
		switched <- systems.Choose(ctx, co.Code, enterprise.SystemOwn, "启用自有系统", admin, clock.Now())
	}()
	require.True(t, enttest.WaitLockedOrDone(t, pool, switched), "the switch waits for the change being staged")
	require.NoError(t, tx.Commit(ctx))

	// The staged record has not reached the platform (the broker is down): a
	// switch now would let it arrive after the own system's records and
	// replace them, so the switch is refused until it is sent.
	err = <-switched
	var refusal *chemguard.Error
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, chemguard.EConflict, refusal.Code)
	require.Contains(t, refusal.MessageZH, "基础系统还有 1 条数据（"+schemas.RiskUnits.NameZH+"）尚未上报平台")
	require.Contains(t, refusal.MessageEN, "1 record(s) of the base system (risk-units) are not yet published")
	require.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM enterprise_system_choice WHERE company = $1`, co.Code), "nothing switched")

	exchange.mu.Lock()
	exchange.up = true
	exchange.mu.Unlock()
	sent, err := ob.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, sent)
	require.NoError(t, systems.Choose(ctx, co.Code, enterprise.SystemOwn, "启用自有系统", admin, clock.Now()), "sent, the switch goes through")

	tx, err = pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	err = ob.Stage(ctx, tx, "risk-units", co.Code, simulate.NewRecord(r, schemas.RiskUnits, co, clock.Now()))
	require.ErrorIs(t, err, enterprise.ErrOwnSystem)
}
