package governance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/governance"
)

// BenchmarkHiddenDangerFlow is one company's governance work per 隐患 as the served
// consumer does it on the hidden-dangers bench: batches of 25 new 隐患 (one company's
// share of a 500-record batch of 20 companies) pointing at a hazard and a measure
// nobody registered, the changed items and the head encoded after each batch, a tick
// every 20 batches (10 s at 2 batches a second). The company's history grows with
// b.N, as it does over a run.
func BenchmarkHiddenDangerFlow(b *testing.B) {
	tr := newTracker(b)
	now := at(b, "08:00:00")
	const code, perBatch = "370102000001", 25
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		state := []string{"0", "1", "9"}[i%3]
		tr.Apply(governance.ChainRecord{Company: code, Table: governance.TableHiddenDangers, ID: fmt.Sprintf("D%08d", i),
			Parent: fmt.Sprintf("M%08d", i), Hazard: code + "001", Name: "储罐区防火堤破损", At: now.AddDate(0, 0, 7),
			State: state}, now)
		if i%perBatch == perBatch-1 {
			now = now.Add(500 * time.Millisecond)
			if _, err := tr.ChangedItems(code); err != nil {
				b.Fatal(err)
			}
			tr.ItemsStored(code)
			if _, err := tr.MarshalHead(); err != nil {
				b.Fatal(err)
			}
		}
		if i%(20*perBatch) == 20*perBatch-1 {
			tr.Tick(now)
		}
	}
}
