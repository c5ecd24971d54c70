package warning_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// benchEngine returns an engine holding one company with 200 indicators: 50
// combustible-gas detectors in 5 areas, a 硝酸铵 warehouse with temperature and
// humidity, and pressures and levels on a grade-1 tank farm — and the readings to feed.
func benchEngine(b *testing.B) (*warning.Engine, []events.Reading, time.Time) {
	e := newEngine(b)
	now := at(b, "08:00:00")
	e.Apply(events.HazardSource{Code: "TK", Company: "C1", Kind: events.HazardTankFarm, Grade: 1}, now)
	e.Apply(events.HazardSource{Code: "WH", Company: "C1", Name: "硝酸铵库", Kind: events.HazardWarehouse, Grade: 2, KeySubstance: "01"}, now)
	var codes []string
	for i := 0; i < 200; i++ {
		d := events.IndicatorDef{Code: fmt.Sprintf("I-%03d", i), Company: "C1", Hazard: "TK", Kind: events.KindPressure,
			Unit: "MPa", RangeLow: f(0), RangeHigh: f(2), Thresholds: events.Thresholds{High: f(1.2), HighHigh: f(1.5)}}
		switch {
		case i < 50:
			d.Kind, d.Unit, d.Area, d.RangeHigh, d.Thresholds = events.KindCombustible, "%LEL", fmt.Sprintf("区域%d", i%5), f(100), events.Thresholds{}
		case i < 52:
			d.Hazard, d.Kind, d.Unit, d.Thresholds = "WH", events.KindTemperature, "℃", events.Thresholds{High: f(35)}
		}
		e.Apply(d, now)
		codes = append(codes, d.Code)
	}
	// Mostly normal values: gas detectors of the first quarter alarm and later clear,
	// some pressures touch 高高报 (held shorter than their 15 s delay), and every reading
	// of the warehouse temperatures re-evaluates the warehouse model.
	readings := make([]events.Reading, 10000)
	for i := range readings {
		v := 0.8
		switch {
		case i < 50*len(readings)/200 && i%20 == 0:
			v = 30
		case i%40 == 0:
			v = 1.6
		}
		readings[i] = events.Reading{Company: "C1", Indicator: codes[i%len(codes)], Value: v}
	}
	return e, readings, now
}

// BenchmarkApplyReading measures the engine's cost per reading: the alarm lifecycle
// and, where a reading changes an alarm or a warehouse temperature, the models it feeds.
func BenchmarkApplyReading(b *testing.B) {
	e, readings, now := benchEngine(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := readings[i%len(readings)]
		now = now.Add(time.Millisecond)
		r.At = now
		e.Apply(r, now)
	}
}

// BenchmarkAssessEnterprise measures one evaluation of the enterprise model of the
// 200-indicator company (at every device status and alarm change, and per company at
// every tick), from the index it keeps of the points it counts.
func BenchmarkAssessEnterprise(b *testing.B) {
	e, _, now := benchEngine(b)
	c := e.State().Companies["C1"]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		warning.AssessEnterprise("C1", c, now, e.Config())
	}
}

// BenchmarkApplyReadingAlarmChange is the worst case: every reading raises or clears
// a gas alarm, so every reading re-evaluates the enterprise and leak models.
func BenchmarkApplyReadingAlarmChange(b *testing.B) {
	e, _, now := benchEngine(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		v := 0.8
		if i%2 == 0 {
			v = 30
		}
		e.Apply(events.Reading{Company: "C1", Indicator: "I-007", Value: v, At: now}, now)
	}
}

// BenchmarkApplyHiddenDanger is the engine's cost per 隐患 as the hidden-dangers bench
// sends them to one company (one in ten 重大, a third accepted, the deadline a week
// ahead), the changed items encoded every 25 (the company's share of a 500-record
// batch of 20 companies). The company's open 隐患 grow with b.N, as over a run.
func BenchmarkApplyHiddenDanger(b *testing.B) {
	e, _, now := benchEngine(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Apply(events.HiddenDanger{ID: fmt.Sprintf("D%08d", i), Company: "C1", Hazard: "TK", Name: "储罐区防火堤破损",
			Major: i%10 == 9, Accepted: i%3 == 2, Deadline: now.AddDate(0, 0, 7)}, now)
		if i%25 == 24 {
			now = now.Add(500 * time.Millisecond)
			if _, err := e.ChangedItems("C1"); err != nil {
				b.Fatal(err)
			}
			e.ItemsStored("C1")
		}
	}
}

// BenchmarkStoreState measures what a consumer's transaction spends, in Go, on the
// state of a company of 200 indicators after a batch of one reading each: encoding
// and hashing its fresh part (MarshalFresh) and its head (MarshalHead) — at every
// batch ("every batch", as the runner did to tell whether the head changed), or only
// when the engine marked it changed ("when marked", Config.Head) — and encoding the
// items it changed (ChangedItems: the indicators whose alarms moved). Reported beside
// it: the bytes of each, and the share of batches whose head was encoded.
func BenchmarkStoreState(b *testing.B) {
	for _, marked := range []bool{false, true} {
		name := map[bool]string{false: "every batch", true: "when marked"}[marked]
		b.Run(name, func(b *testing.B) {
			e, readings, now := benchEngine(b)
			var head, fresh []byte
			encoded, itemBytes := 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				now = now.Add(time.Second)
				for j := 0; j < 200; j++ {
					r := readings[(i*200+j)%len(readings)]
					r.At = now
					e.Apply(r, now)
				}
				b.StartTimer()
				if !marked || e.HeadChanged() {
					var err error
					if head, err = warning.MarshalHead(e.State()); err != nil {
						b.Fatal(err)
					}
					_ = sha256.Sum256(head)
					e.HeadStored()
					encoded++
				}
				fresh = warning.MarshalFresh(e.State())
				_ = sha256.Sum256(fresh)
				changed, err := e.ChangedItems("C1")
				if err != nil {
					b.Fatal(err)
				}
				for _, doc := range changed {
					itemBytes += len(doc)
				}
				e.ItemsStored("C1")
			}
			b.ReportMetric(float64(len(head)), "head-bytes")
			b.ReportMetric(float64(len(fresh)), "fresh-bytes")
			b.ReportMetric(float64(itemBytes)/float64(b.N), "item-bytes/op")
			b.ReportMetric(float64(encoded)/float64(b.N), "heads-encoded/op")
		})
	}
}
