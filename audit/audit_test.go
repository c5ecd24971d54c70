package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
)

// Concurrent appends from many goroutines still form one gap-free chain.
func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	ctx := context.Background()
	pool, err := store.Open(ctx, pgtest.NewDatabase(t))
	require.NoError(t, err)
	defer pool.Close()
	require.NoError(t, store.Migrate(ctx, pool))
	log := audit.NewLog(pool, time.Now)

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				assert.NoError(t, log.Record(ctx, audit.Event{Actor: fmt.Sprintf("user%d", g), ClientIP: "10.0.0.1",
					Action: audit.ActionLogin, Result: audit.ResultOK, Detail: map[string]int{"i": i}}))
			}
		}()
	}
	wg.Wait()
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
	assert.Equal(t, int64(200), v.Rows)

	recs, err := log.List(ctx, audit.Filter{Actor: "user3", Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, recs, 25)
	assert.Equal(t, `{"i":0}`, recs[0].Detail)
}

func TestHashCoversEveryField(t *testing.T) {
	base := audit.Record{Seq: 7, At: time.Date(2026, 11, 28, 8, 0, 0, 123000, time.UTC), Actor: "a", ActorRole: "r",
		ClientIP: "ip", Action: "login", Object: "o", Result: "ok", Detail: "{}"}
	prev := make([]byte, 32)
	h := audit.Hash(prev, base)
	variants := []func(r *audit.Record){
		func(r *audit.Record) { r.Seq++ },
		func(r *audit.Record) { r.At = r.At.Add(time.Microsecond) },
		func(r *audit.Record) { r.Actor = "b" },
		func(r *audit.Record) { r.ActorRole = "" },
		func(r *audit.Record) { r.ClientIP = "ip2" },
		func(r *audit.Record) { r.Action = "logout" },
		func(r *audit.Record) { r.Object = "" },
		func(r *audit.Record) { r.Result = "failed" },
		func(r *audit.Record) { r.Detail = "" },
		func(r *audit.Record) { r.Actor, r.ActorRole = "ar", "" }, // moving characters between fields
	}
	for i, change := range variants {
		r := base
		change(&r)
		assert.NotEqual(t, h, audit.Hash(prev, r), "variant %d", i)
	}
	assert.NotEqual(t, h, audit.Hash(append([]byte{1}, prev[1:]...), base), "previous hash")
}
