package validate_test

import (
	"encoding/base64"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// batchOf builds an n-record batch of the table's fixture, each record with its own
// key; edit may vary records further.
func batchOf(tb testing.TB, table *schemas.Table, n int, edit func(i int, rec map[string]any)) []byte {
	tb.Helper()
	base := fixture(tb, table.Slug)
	recs := make([]map[string]any, n)
	for i := range recs {
		rec := mutate(base, fields{table.Key: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)})
		if edit != nil {
			edit(i, rec)
		}
		recs[i] = rec
	}
	return body(tb, recs...)
}

func benchBatch(b *testing.B, table *schemas.Table, body []byte, n int) {
	b.Helper()
	o := opts()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		vs, err := validate.Batch(table, body, o)
		if err != nil || len(vs) != n || !vs[n-1].OK() {
			b.Fatalf("batch not accepted: %v %+v", err, vs[n-1].Errors)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	// The process's CPU time is what a shared, loaded machine leaves comparable.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(n*b.N), "cpu-ns/record")
}

// processCPU is the user and system CPU time the test process has used.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHiddenDangers1000 decodes and validates a 1,000-record 隐患信息 batch.
//
//	go test ./validate -run='^$' -bench=HiddenDangers1000 -cpu=1 -benchtime=3s
func BenchmarkHiddenDangers1000(b *testing.B) {
	const n = 1000
	body := batchOf(b, schemas.HiddenDangers, n, func(i int, rec map[string]any) {
		rec["DANGER_SRC"] = fmt.Sprint(i%11 + 1)
		rec["DANGER_LEVEL"] = i % 2
	})
	benchBatch(b, schemas.HiddenDangers, body, n)
}

// BenchmarkVideoAlarms1000 validates 1,000 video alarms each carrying a ~200 KB PNG.
func BenchmarkVideoAlarms1000(b *testing.B) {
	const n = 1000
	img := base64.StdEncoding.EncodeToString(noise(b, 226, 226))
	body := batchOf(b, schemas.VideoAlarms, n, func(i int, rec map[string]any) { rec["ALARM_IMAGE"] = img })
	b.Logf("image %d base64 characters, body %d bytes", len(img), len(body))
	benchBatch(b, schemas.VideoAlarms, body, n)
}
