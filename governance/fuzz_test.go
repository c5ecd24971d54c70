package governance_test

import (
	"testing"

	"github.com/shandong-emergency/chemguard/governance"
)

// FuzzDecodeApply feeds arbitrary records of every table Decode reads to a tracker:
// neither may panic, whatever validation let through.
func FuzzDecodeApply(f *testing.F) {
	tables := governance.Tables()
	for i := range tables {
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Add(uint8(0), []byte(`{"INDICATOR_CODE":"P1","VALUE":"1e309","COLLECT_TIME":"2021-06-01 08:00:00"}`))
	f.Add(uint8(1), []byte(`{"LONGITUDE":"abc"}`))
	f.Fuzz(func(t *testing.T, ti uint8, rec []byte) {
		tr := newTracker(t)
		now := at(t, "08:00:00")
		evs, err := governance.Decode(tables[int(ti)%len(tables)], "C1", rec)
		if err != nil {
			return
		}
		for _, ev := range evs {
			tr.Apply(ev, now)
		}
		tr.Tick(now)
		tr.Tick(at(t, "23:59:00"))
	})
}
