package warning_test

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/simulate"
)

// BenchmarkTick5000Companies measures one tick of the engine over 5,000 simulated
// companies (what the ticking process does every CHEMGUARD_WARNING_TICK, 5 s):
// 数据中断 checks, every model of every company, disposal deadlines, pruning.
func BenchmarkTick5000Companies(b *testing.B) {
	const companies = 5000
	e := newEngine(b)
	now := at(b, "09:30:00")
	indicators := 0
	for _, s := range simulate.Snapshot(simulate.Companies(companies, 1), now) {
		raw, err := json.Marshal(s.Record)
		if err != nil {
			b.Fatal(err)
		}
		ev, err := events.Decode(s.Table.Slug, s.Company.Code, raw)
		if err != nil {
			b.Fatalf("decode %s: %v", s.Table.Slug, err)
		}
		if _, ok := ev.(events.IndicatorDef); ok {
			indicators++
		}
		e.Apply(ev, now)
	}
	open := 0
	for _, c := range e.State().Companies {
		open += len(c.Warnings)
	}
	b.Logf("%d companies, %d indicators, %d open warnings", companies, indicators, open)
	b.ReportAllocs()
	cpu := CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(5 * time.Second)
		e.Tick(now)
	}
	b.StopTimer()
	b.ReportMetric(float64((CPUTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/companies, "ns/company")
}

// CPUTime is the CPU time (user + system) the process has used so far: on a shared
// machine it measures the work, where wall time also counts waiting for a core.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTickOneLargeCompany measures one tick of one company of 1,000 gas
// detectors in 100 areas (10 each), each reporting: the leak model judges every
// area at every tick, and judging an area once walked every detector of the company.
func BenchmarkTickOneLargeCompany(b *testing.B) {
	const detectors, areas = 1000, 100
	e := newEngine(b)
	now := at(b, "09:30:00")
	for i := range detectors {
		code := fmt.Sprintf("LC-GAS%04d", i)
		e.Apply(events.IndicatorDef{Code: code, Company: "LC", Name: code, Kind: events.KindCombustible, Unit: "%LEL",
			RangeLow: f(0), RangeHigh: f(100), Thresholds: events.Thresholds{High: f(20), HighHigh: f(50)},
			Area: fmt.Sprintf("区%03d", i%areas)}, now)
		e.Apply(events.Reading{Company: "LC", Indicator: code, Value: 3, At: now}, now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second) // within 数据中断's window: the models alone
		e.Tick(now)
	}
}
