package governance_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// benchTracker returns a tracker holding n companies of 200 indicators on 4 hazard
// sources, 4 video devices and a commitment each, as at 08:00.
func benchTracker(b *testing.B, n int) (*governance.Tracker, time.Time) {
	tr := newTracker(b)
	now := at(b, "08:00:00")
	for c := 0; c < n; c++ {
		code := fmt.Sprintf("C%03d", c)
		for h := 0; h < 4; h++ {
			tr.Apply(events.HazardSource{Code: fmt.Sprintf("%s-H%d", code, h), Company: code, Kind: events.HazardTankFarm, Grade: 2}, now)
			tr.Apply(events.DeviceStatus{Company: code, Device: fmt.Sprintf("%s-D%d", code, h), At: now, Normal: true}, now)
		}
		for i := 0; i < 200; i++ {
			tr.Apply(events.IndicatorDef{Code: fmt.Sprintf("%s-I%03d", code, i), Company: code, Hazard: fmt.Sprintf("%s-H%d", code, i%4),
				Kind: events.KindPressure, RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}, now)
		}
		tr.Apply(events.Commitment{ID: code + "-CM", Company: code, Date: at(b, "00:00:00"), At: now, UnitsRunning: 2}, now)
	}
	tr.Tick(now)
	return tr, now
}

// BenchmarkApplyReading measures fact derivation per sensor reading (the bulk of the
// events): freshness, timestamp, duplicate, range, stuck and movement checks.
func BenchmarkApplyReading(b *testing.B) {
	tr, now := benchTracker(b, 1)
	codes := make([]string, 200)
	for i := range codes {
		codes[i] = fmt.Sprintf("C000-I%03d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		v := 0.8 + 0.01*float64(i%13)
		tr.Apply(events.Reading{Company: "C000", Indicator: codes[i%len(codes)], Value: v, At: now}, now)
	}
}

// BenchmarkApplyEventMix is one event of a realistic mix per op: 90 % readings, the
// rest uploads, device status and alarms raised and cleared.
func BenchmarkApplyEventMix(b *testing.B) {
	tr, now := benchTracker(b, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		var ev governance.Event
		switch k := i % 20; {
		case k < 18:
			ev = events.Reading{Company: "C000", Indicator: fmt.Sprintf("C000-I%03d", i%200), Value: 0.8 + 0.01*float64(i%13), At: now}
		case k == 18:
			ev = governance.Upload{Company: "C000", Table: "sensor-readings", Accepted: 18}
		default:
			ev = events.CompanyAlarm{Company: "C000", Source: events.SourcePositioning, ID: fmt.Sprint(i % 400), Raised: i%800 < 400, At: now}
		}
		tr.Apply(ev, now)
	}
}

// BenchmarkTick500 is one Tick over 500 companies of 200 indicators (what the
// periodic check costs).
func BenchmarkTick500(b *testing.B) {
	tr, now := benchTracker(b, 500)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		tr.Tick(now)
	}
}

// BenchmarkScoreDay is one company's day score from 50 facts.
func BenchmarkScoreDay(b *testing.B) {
	cfg := governance.DefaultConfig()
	var facts []governance.Fact
	for i := 0; i < 50; i++ {
		k := governance.Kinds[i%len(governance.Kinds)]
		facts = append(facts, governance.Fact{ID: fmt.Sprint(i), Company: "C1", Kind: k,
			Started: at(b, "08:00:00").Add(time.Duration(i) * time.Minute), Ended: at(b, "12:00:00")})
	}
	day := at(b, "12:00:00")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		governance.ScoreDay(&cfg, "C1", day, time.Time{}, facts)
	}
}

// BenchmarkApplyReadingFactUpdate is the worst case: every reading is out of range,
// so every reading adds evidence to an open fact and reports it.
func BenchmarkApplyReadingFactUpdate(b *testing.B) {
	tr, now := benchTracker(b, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		tr.Apply(events.Reading{Company: "C000", Indicator: "C000-I007", Value: 5, At: now}, now)
	}
}

// BenchmarkStoreState measures what a consumer's transaction spends, in Go, on the
// state of a company of 200 indicators after a batch of one reading each: encoding
// and hashing its fresh part (MarshalFresh) and its head (MarshalHead) — at every
// batch ("every batch", as the runner did to tell whether the head changed), or only
// when the tracker marked it changed ("when marked", runner.Config.Head). Reported
// beside it: the bytes of each, the head's being what PostgreSQL parsed at every
// batch before the fresh part was split from it, and the share of batches whose
// head was encoded.
func BenchmarkStoreState(b *testing.B) {
	for _, marked := range []bool{false, true} {
		name := map[bool]string{false: "every batch", true: "when marked"}[marked]
		b.Run(name, func(b *testing.B) {
			tr, now := benchTracker(b, 1)
			var head, fresh []byte
			encoded := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				now = now.Add(time.Second)
				for j := 0; j < 200; j++ {
					tr.Apply(events.Reading{Company: "C000", Indicator: fmt.Sprintf("C000-I%03d", j), Value: 0.8 + 0.01*float64((i+j)%13), At: now}, now)
				}
				b.StartTimer()
				var err error
				if !marked || tr.HeadChanged() {
					if head, err = tr.MarshalHead(); err != nil {
						b.Fatal(err)
					}
					_ = sha256.Sum256(head)
					tr.HeadStored()
					encoded++
				}
				if fresh, err = tr.MarshalFresh(); err != nil {
					b.Fatal(err)
				}
				_ = sha256.Sum256(fresh)
			}
			b.ReportMetric(float64(len(head)), "head-bytes")
			b.ReportMetric(float64(len(fresh)), "fresh-bytes")
			b.ReportMetric(float64(encoded)/float64(b.N), "heads-encoded/op")
		})
	}
}
