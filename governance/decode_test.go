package governance_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
)

// chainTables are the 双重预防 tables Decode reads into governance.ChainRecord.
var chainTables = []string{governance.TableRiskUnits, governance.TableRiskEvents, governance.TableControlMeasures,
	governance.TableCheckTasks, governance.TableCheckRecords, governance.TableHiddenDangers}

// chainDoc is a record of every 双重预防 field as ingest writes it (json.Marshal of
// the validated record: no whitespace, Chinese unescaped), its values drawn by r.
func chainDoc(tb testing.TB, r *rand.Rand) []byte {
	tb.Helper()
	doc, err := json.Marshal(map[string]any{
		"ID": fmt.Sprintf("3f2b8c1e-5a4d-4e6f-9b7a-%012d", r.IntN(1e6)), "HAZARD_CODE": "370102100001",
		"RISK_UNIT_ID": "U1", "RISK_EVENT_ID": "E1", "RISK_MEASURE_ID": "M1", "CHECK_TASK_ID": "T1",
		"RISK_UNIT_NAME": "液氨储罐区", "RISK_EVENT_NAME": "液氨泄漏", "DANGER_NAME": "液位计失灵",
		"TROUBLESHOOT_CONTENT": "检查液位计", "CHECK_CYCLE": []string{"1", "2.5", "12"}[r.IntN(3)],
		"CHECK_CYCLE_UNIT": []string{"小时", "天", "月"}[r.IntN(3)], "INVESTIGATION_DATE": "2021-06-01 08:00:00",
		"CHECK_TIME": "2021-06-01 09:30:15", "CHECK_STATUS": "1", "DANGER_MANAGE_DEADLINE": "2021-06-08 18:00:00",
		"DANGER_LEVEL": []string{"0", "1"}[r.IntN(2)], "DANGER_STATE": []string{"0", "1", "9"}[r.IntN(3)],
		"DELETED": []string{"0", "1"}[r.IntN(2)], "HAZARD_DEP": "合成氨车间", "REGISTRANT": "王建国"})
	require.NoError(tb, err)
	return doc
}

// requireSameChain checks that Decode reads rec of table as json.Unmarshal did: the
// same record, or an error for both.
func requireSameChain(tb testing.TB, table string, rec []byte) {
	tb.Helper()
	want, wantErr := governance.DecodeChainWithEncodingJSON(table, "370102001", rec)
	got, err := governance.Decode(table, "370102001", rec)
	if wantErr != nil {
		require.Error(tb, err, "json.Unmarshal: %v", wantErr)
		return
	}
	require.NoError(tb, err)
	require.Equal(tb, []governance.Event{want}, got)
}

// The 双重预防 records read field by field are the records json.Unmarshal read, in
// ingest's layout and out of it.
func TestDecodeChainAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 14))
	for _, table := range chainTables {
		for range 20 {
			requireSameChain(t, table, chainDoc(t, r))
		}
		for _, rec := range []string{`{}`, `{ "ID":"d"}`, `{"ID":"d","DANGER_LEVEL":1,"DANGER_STATE":null}`,
			`{"ID":"d","CHECK_CYCLE":"x"}`, `{"ID":"d","CHECK_CYCLE":true}`, `{"id":"d","Deleted":"1"}`,
			`{"ID":"\u0064","DANGER_NAME":"a\"b"}`, `{"ID":"d","CHECK_TIME":"2021-06-01T08:00:00Z"}`,
			`{"ID":"d","X":{"ID":"e"}}`, `{"ID":"d","DELETED":1}`, `[]`, `null`, ``} {
			requireSameChain(t, table, []byte(rec))
		}
	}
}

// FuzzDecodeChain: whatever the bytes, a 双重预防 record decodes as json.Unmarshal
// decoded it.
func FuzzDecodeChain(f *testing.F) {
	r := rand.New(rand.NewPCG(8, 16))
	for i := range chainTables {
		f.Add(uint8(i), chainDoc(f, r))
	}
	f.Add(uint8(5), []byte(`{"ID":"d","DANGER_LEVEL":"1","DANGER_MANAGE_DEADLINE":null,"X":[1]}`))
	f.Fuzz(func(t *testing.T, ti uint8, rec []byte) {
		requireSameChain(t, chainTables[int(ti)%len(chainTables)], rec)
	})
}

// BenchmarkDecodeChain reads a 隐患 as decodeChain did (json.Unmarshal) and as it
// does (field by field).
func BenchmarkDecodeChain(b *testing.B) {
	rec := chainDoc(b, rand.New(rand.NewPCG(9, 18)))
	for _, way := range []struct {
		name   string
		decode func() error
	}{
		{"json.Unmarshal", func() error {
			_, err := governance.DecodeChainWithEncodingJSON(governance.TableHiddenDangers, "370102001", rec)
			return err
		}},
		{"fields", func() error { _, err := governance.Decode(governance.TableHiddenDangers, "370102001", rec); return err }},
	} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(rec)))
			for b.Loop() {
				if err := way.decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
