package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/validate"
)

// timeOrdered is a message id that leads with at's milliseconds, as ingest makes them.
func timeOrdered(t *testing.T, at time.Time) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	require.NoError(t, err)
	ms := uint64(at.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	return id
}

// historyRows counts company's versions in a JSON history with the message-id dedup.
// Readings and device status keep theirs in their typed series (one row per point and
// time); the dedup below is the alarms' — the time-series tables without a typed
// series — so these tests write 智能视频 alarms. They carry reading-shaped records:
// the store reads no field of a table without a typed series.
func historyRows(t *testing.T, pool *pgxpool.Pool, company string) int {
	t.Helper()
	return pgtest.Scalar[int](t, pool, `SELECT count(*)::int FROM x_video_alarms_history WHERE company_code = $1`, company)
}

// The history dedup looks only where a stored copy can be, yet finds every one: a
// batch received across a partition boundary replayed, and readings re-sent more than
// a partition's width (7 days on TimescaleDB, a month on plain PostgreSQL) after their
// first receipt, are stored once; a correction (new content, new id) is stored beside.
func TestHistoryDedupAcrossPartitions(t *testing.T) {
	bothPaths(t, func(t *testing.T, pool *pgxpool.Pool, timescale bool) {
		edge := "2026-12-01 08:00:00" // 00:00 UTC on a month's first: plain PostgreSQL's monthly partitions
		if timescale {
			edge = "2026-12-03 08:00:00" // a Thursday, 00:00 UTC: TimescaleDB's 7-day chunks start where 1970-01-01 did
		}
		ctx, ex, boundary := exchangeAt(t, pool, edge)
		require.NoError(t, store.EnsurePartitions(ctx, pool, boundary.AddDate(0, 1, 0)))
		company := "370102009"
		apply := func(vs ...store.Version) {
			t.Helper()
			require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: vs}, nil))
		}
		var first []store.Version
		for i := range 20 { // received from 10 s before the boundary to 9 s after it
			at := boundary.Add(time.Duration(i-10) * time.Second)
			v := reading(company, fmt.Sprintf("%s-T%03d", company, i), at.Add(-time.Second), fmt.Sprint(i), at)
			v.MsgID = timeOrdered(t, v.EventTime)
			first = append(first, v)
		}
		apply(first...)
		require.Equal(t, 20, historyRows(t, pool, company))
		require.Greater(t, pgtest.Scalar[int](t, pool, `SELECT count(DISTINCT tableoid)::int FROM x_video_alarms_history
			WHERE company_code = $1`, company), 1, "the batch went to two partitions")

		apply(first...) // the broker delivers the batch again
		require.Equal(t, 20, historyRows(t, pool, company), "a replay across the boundary stores nothing twice")

		var resent []store.Version
		for _, days := range []int{8, 40} {
			for _, v := range first[:5] {
				v.ReceivedAt = v.ReceivedAt.AddDate(0, 0, days)
				v.Version = v.ReceivedAt.UnixNano()
				resent = append(resent, v)
			}
		}
		correction := reading(company, first[0].Key, first[0].EventTime, "99", first[0].ReceivedAt.AddDate(0, 0, 8))
		correction.MsgID = timeOrdered(t, correction.EventTime)
		apply(append(resent, correction)...)
		require.Equal(t, 21, historyRows(t, pool, company),
			"readings re-sent 8 and 40 days later are found in the partitions they went to; the correction is stored")
	})
}

// A fact stored under its id of ingest's earlier scheme (before migration 00094) and
// re-sent after the upgrade under its time-ordered id is stored once: the sink hands
// the earlier id as PriorID, and the dedup looks for it among the facts from before
// the upgrade. On a database that held no versions at the upgrade there is no earlier
// id to look for.
func TestFactStoredOnceAcrossTheIdUpgrade(t *testing.T) {
	olderBinaryDatabases(t, migrations(t), 93, func(t *testing.T, pool *pgxpool.Pool, dsn func(testing.TB) string) {
		ctx := context.Background()
		ex := store.NewExchange(pool)
		company := "370102008"
		at := time.Now().Add(-time.Hour).Truncate(time.Second)
		before := reading(company, company+"-T001", at, "1.5", at.Add(time.Second))
		before.MsgID = uuid.NewSHA1(uuid.NameSpaceOID, before.Doc) // the earlier scheme's content hash
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: {before}}, nil))

		require.NoError(t, store.Migrate(ctx, pool))
		require.True(t, pgtest.Scalar[bool](t, pool, `SELECT prior_ids_until > now() + interval '1 day' FROM sink_fact_ids`))
		after := before
		after.MsgID, after.PriorID = timeOrdered(t, at), before.MsgID
		after.ReceivedAt = time.Now()
		after.Version = after.ReceivedAt.UnixNano()
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: {after}}, nil))
		require.Equal(t, 1, historyRows(t, pool, company), "the re-sent fact is found under its earlier id")

		// A fact first stored by an upgraded node, then sent again through a node of
		// the older binary, still running: found under the id the sink names as prior.
		second := reading(company, company+"-T002", at, "2.5", time.Now())
		earlier := uuid.NewSHA1(uuid.NameSpaceOID, second.Doc)
		second.MsgID, second.PriorID = timeOrdered(t, at), earlier
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: {second}}, nil))
		require.Equal(t, 2, historyRows(t, pool, company))
		again := second
		again.MsgID, again.PriorID = earlier, second.MsgID
		again.ReceivedAt = time.Now()
		again.Version = again.ReceivedAt.UnixNano()
		require.NoError(t, ex.Apply(ctx, map[*schemas.Table][]store.Version{schemas.VideoAlarms: {again}}, nil))
		require.Equal(t, 2, historyRows(t, pool, company), "and the reverse, from a node not yet upgraded")

		fresh := pgtest.Migrated(t, dsn(t))
		require.True(t, pgtest.Scalar[bool](t, fresh, `SELECT prior_ids_until = '-infinity' FROM sink_fact_ids`),
			"a new database has no earlier ids to look for")
	})
}

// The dedup's bound assumes a fact is never received long before its event time:
// every time-series table's version time is an event time, which validation refuses
// beyond DefaultFutureSkew after receipt, well within FactReceiptLead.
func TestFactsAreNotReceivedBeforeTheirTime(t *testing.T) {
	require.Less(t, validate.DefaultFutureSkew, store.FactReceiptLead)
	for _, table := range schemas.Tables() {
		if !table.TimeSeries {
			continue
		}
		require.NotEmpty(t, table.VersionTime, table.Slug)
		for _, id := range table.VersionTime {
			f, ok := table.Field(id)
			require.True(t, ok, "%s.%s", table.Slug, id)
			require.True(t, f.Event, "%s.%s must be refused in the future", table.Slug, id)
		}
	}
}
