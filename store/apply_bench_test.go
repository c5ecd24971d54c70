package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// BenchmarkApplyReadings is the sink's write of one batch of 2,500 readings at the
// province's point count (20 companies × 1,000 indicators, one reading per point
// per second): the stage, the current-state upsert and the typed series, in one
// transaction, on TimescaleDB when the test server has it. Each op is one batch;
// every point has its current row before the timer starts, so the upsert updates.
//
//	go test ./store -run '^$' -bench ApplyReadings -benchtime 400x
func BenchmarkApplyReadings(b *testing.B) {
	const companies, points, batch = 20, 1000, 2500
	pool := pgtest.Migrated(b, pgtest.NewDatabase(b))
	ctx, ex, start := exchangeAt(b, pool, "2026-12-05 09:30:00")
	keys := make([][2]string, 0, companies*points)
	for c := range companies {
		company := fmt.Sprintf("3701%02d001", c+2)
		for p := range points {
			keys = append(keys, [2]string{company, fmt.Sprintf("%s-T%04d", company, p)})
		}
	}
	next := 0 // the next point's index into keys, round robin as a second's readings arrive
	batchAt := func() map[*schemas.Table][]store.Version {
		vs := make([]store.Version, batch)
		for i := range vs {
			k := keys[next%len(keys)]
			at := start.Add(time.Duration(next/len(keys)) * time.Second)
			received := at.Add(300 * time.Millisecond)
			vs[i] = store.Version{MsgID: uuid.New(), Company: k[0], Key: k[1], EventTime: at, Version: received.UnixNano(),
				ReceivedAt: received, Doc: fmt.Appendf(nil, `{"INDICATOR_CODE":%q,"VALUE":%d.%02d,"COLLECT_TIME":%q}`,
					k[1], 20+next%7, next%100, at.In(schemas.Shanghai).Format("2006-01-02 15:04:05"))}
			next++
		}
		return map[*schemas.Table][]store.Version{schemas.SensorReadings: vs}
	}
	for next < len(keys) {
		require.NoError(b, ex.Apply(ctx, batchAt(), nil))
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		versions := batchAt()
		b.StartTimer()
		require.NoError(b, ex.Apply(ctx, versions, nil))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/reading")
}
