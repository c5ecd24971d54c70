package govtest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// OneCompany is a database with company code registered and the governance
// service over it on a frozen clock at 2021-06-01 08:00, ticked once.
func OneCompany(tb testing.TB, code string) (*pgxpool.Pool, *governancesvc.Service, *testclock.Clock) {
	tb.Helper()
	pool := pgtest.Pool(tb)
	AddEnterprise(tb, pool, code, "370102", "")
	clk := testclock.Frozen(At(tb, "2021-06-01 08:00:00"))
	s := Service(tb, pool, clk)
	require.NoError(tb, s.Tick(context.Background()))
	return pool, s, clk
}

// ChainMsg is one accepted exchange record of table as ingest publishes it.
func ChainMsg(tb testing.TB, company, table, source string, offset int64, at time.Time, rec map[string]any) bus.Message {
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
