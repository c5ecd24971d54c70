package validate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// FuzzBatch feeds arbitrary bodies to every table. Batch must never panic, must
// answer one verdict per element, and every record it accepts must marshal to JSON
// that it accepts again.
//
//	go test ./validate -run='^$' -fuzz=FuzzBatch -fuzztime=3m
func FuzzBatch(f *testing.F) {
	tables := schemas.Tables()
	for i, table := range tables {
		b, err := os.ReadFile(filepath.Join("testdata", "valid", table.Slug+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(5), []byte(`[{"DANGER_LEVEL":"+01","CHECK_ACCEPT_TIME":"2021-02-30 00:00:00","DANGER_STATE":9},1,null,[]]`))
	f.Add(uint8(7), []byte(`[{"LONGITUDE":"-0.0000001","LATITUDE":1e400,"type":"alarm:handle","handleTime":""}]`))
	f.Add(uint8(10), []byte(`[{"ALARM_IMAGE":"data:image/png;base64,iVBORw0KGgo=","VIDEO_CODE":"37010000101320000001"}]`))
	f.Add(uint8(2), []byte(`[{"CLASSIFY1":"1","CLASSIFY2":"2-1"}]`))
	f.Add(uint8(0), []byte(`{}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		table := tables[int(which)%len(tables)]
		vs, err := validate.Batch(table, body, validate.Options{Now: now, MaxRecords: 1000})
		if err != nil {
			if vs != nil {
				t.Fatal("verdicts beside a batch error")
			}
			return
		}
		for i, v := range vs {
			if v.Index != i {
				t.Fatalf("verdict %d has index %d", i, v.Index)
			}
			if v.OK() != (v.Record != nil) {
				t.Fatalf("verdict %d: %d errors but record %v", i, len(v.Errors), v.Record)
			}
			for _, e := range v.Errors {
				if e.Rule == "" || e.MessageZH == "" || e.MessageEN == "" {
					t.Fatalf("verdict %d: incomplete error %+v", i, e)
				}
			}
			if !v.OK() {
				continue
			}
			again, err := json.Marshal([]any{v.Record})
			if err != nil {
				t.Fatalf("accepted record %d does not marshal: %v", i, err)
			}
			vs2, err := validate.Batch(table, again, validate.Options{Now: now})
			if err != nil || !vs2[0].OK() {
				t.Fatalf("accepted record %d is refused once marshalled: %s\n%v %+v", i, again, err, vs2)
			}
		}
	})
}
