package events_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// fieldTables are the tables whose records the engines read through readFields.
var fieldTables = []string{events.TableSensorReadings, events.TableVideoDeviceStatus, events.TableHiddenDangers,
	events.TableSpecialOperations, events.TableVideoAlarms, events.TableGasStationAlarms,
	events.TablePositioningAlarms, events.TableEnterpriseInfo}

// realRecords returns n documents of each of fieldTables as ingest writes them into
// the envelope: simulated records, validated, then encoded.
func realRecords(tb testing.TB, n int) map[string][][]byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(6, 12))
	cos := simulate.Companies(3, 6)
	now := time.Date(2021, 6, 1, 9, 30, 15, 0, schemas.Shanghai)
	out := map[string][][]byte{}
	for _, slug := range fieldTables {
		t, err := schemas.Lookup(slug)
		require.NoError(tb, err)
		for i := range n {
			_, doc := ingestRecord(tb, t, simulate.NewRecord(r, t, cos[i%len(cos)], now), now)
			out[slug] = append(out[slug], doc)
		}
	}
	return out
}

// requireSameDecode checks that Decode and Decode through json.Unmarshal agree on
// rec (the same event, or both an error).
func requireSameDecode(tb testing.TB, table string, rec []byte) {
	tb.Helper()
	want, wantErr := events.DecodeWithEncodingJSON(table, "370102001", rec)
	got, err := events.Decode(table, "370102001", rec)
	if wantErr != nil {
		require.Error(tb, err, "json.Unmarshal: %v", wantErr)
		return
	}
	require.NoError(tb, err)
	require.Equal(tb, want, got)
}

// Every record ingest writes of the tables the engines read field by field takes
// the fast path, and decodes to what json.Unmarshal makes of it.
func TestDecodeOfRealRecords(t *testing.T) {
	for table, docs := range realRecords(t, 40) {
		t.Run(table, func(t *testing.T) {
			for _, doc := range docs {
				_, err := events.DecodeFieldsOnly(table, "370102001", doc)
				require.NoError(t, err, "ingest's layout takes the fast path: %s", doc)
				requireSameDecode(t, table, doc)
			}
		})
	}
}

// Records outside ingest's layout decode as json.Unmarshal decodes them, errors
// included; fast says which of them readFields reads itself.
func TestDecodeOutsideTheLayout(t *testing.T) {
	const reading = `"INDICATOR_CODE":"P1","VALUE":1.5,"COLLECT_TIME":"2021-06-01 08:00:00"`
	for _, c := range []struct {
		name, table, rec string
		fast             bool
	}{
		{"a reading", events.TableSensorReadings, `{` + reading + `}`, true},
		{"the value as a string", events.TableSensorReadings, `{"INDICATOR_CODE":"P1","VALUE":"-0.5e-3","COLLECT_TIME":"2021-06-01 08:00:00"}`, true},
		{"keys it does not read, of every kind", events.TableSensorReadings, `{"A":null,"B":true,"C":false,"D":-12.5E+3,"E":"文字",` + reading + `}`, true},
		{"a company of its own", events.TableSensorReadings, `{"COMPANY_CODE":"370102999",` + reading + `}`, true},
		{"a duplicate key: the last wins", events.TableSensorReadings, `{` + reading + `,"VALUE":2}`, true},
		{"empty", events.TableVideoDeviceStatus, `{}`, true},
		{"null times", events.TableSpecialOperations, `{"ID":"o","TASK_TYPE":"11","TASK_BEGIN_TIME":null,"TASK_END_TIME":null}`, true},
		{"a null number", events.TableHiddenDangers, `{"ID":"d","DANGER_LEVEL":null,"DANGER_STATE":"1"}`, true},
		{"a null then a string", events.TableSensorReadings, `{"INDICATOR_CODE":null,"INDICATOR_CODE":"P1","VALUE":1,"COLLECT_TIME":null}`, false},
		{"a key in another case", events.TableSensorReadings, `{"indicator_code":"P1","VALUE":1.5,"COLLECT_TIME":"2021-06-01 08:00:00"}`, false},
		{"a key in another case after the right one", events.TableSensorReadings, `{` + reading + `,"value":3}`, false},
		{"a non-ASCII key", events.TableSensorReadings, `{` + reading + `,"ſ":1}`, false},
		{"an escape in a value", events.TableSensorReadings, `{"INDICATOR_CODE":"P\u0031","VALUE":1,"COLLECT_TIME":"2021-06-01 08:00:00"}`, false},
		{"an escape in a key", events.TableSensorReadings, `{"\u0056ALUE":1}`, false},
		{"an escape in a skipped value", events.TableSensorReadings, `{"X":"\"",` + reading + `}`, false},
		{"invalid UTF-8", events.TableSensorReadings, "{\"INDICATOR_CODE\":\"P\xff\",\"VALUE\":1}", false},
		{"a nested value", events.TableSensorReadings, `{"X":{"VALUE":9},` + reading + `}`, false},
		{"an array", events.TableSensorReadings, `{"X":[1],` + reading + `}`, false},
		{"whitespace", events.TableSensorReadings, `{ ` + reading + `}`, false},
		{"a trailing newline", events.TableSensorReadings, `{` + reading + "}\n", false},
		{"not a number", events.TableSensorReadings, `{"INDICATOR_CODE":"P1","VALUE":"abc"}`, false},
		{"a number for a string", events.TableVideoDeviceStatus, `{"DEVICE_CODE":7,"RUN_STATUS":"1"}`, false},
		{"a bool for a number", events.TableHiddenDangers, `{"DANGER_LEVEL":true}`, false},
		{"a time in another layout", events.TableVideoDeviceStatus, `{"DEVICE_CODE":"d","DATE_TIME":"2021-06-01T08:00:00Z"}`, false},
		{"a number for a time", events.TableVideoDeviceStatus, `{"DEVICE_CODE":"d","DATE_TIME":20210601}`, false},
		{"a leading zero", events.TableSensorReadings, `{"INDICATOR_CODE":"P1","VALUE":01}`, false},
		{"a fraction without digits", events.TableSensorReadings, `{"INDICATOR_CODE":"P1","VALUE":1.}`, false},
		{"an exponent without digits", events.TableSensorReadings, `{"X":1e+,` + reading + `}`, false},
		{"a bare word", events.TableSensorReadings, `{"X":nul,` + reading + `}`, false},
		{"not closed", events.TableSensorReadings, `{` + reading, false},
		{"a trailing comma", events.TableSensorReadings, `{` + reading + `,}`, false},
		{"no colon", events.TableSensorReadings, `{"VALUE" 1}`, false},
		{"null", events.TableSensorReadings, `null`, false},
		{"an array record", events.TableSensorReadings, `[]`, false},
		{"nothing", events.TableSensorReadings, ``, false},
		{"a handled positioning alarm", events.TablePositioningAlarms, `{"id":"p","type":"alarm:handle","time":"2021-06-01 08:00:00","handleTime":"2021-06-01 08:05:00","alarmType":"01"}`, true},
		{"an enterprise", events.TableEnterpriseInfo, `{"COMPANY_CODE":"C9","ENTERPRISE_TYPE":"4","ENTERPRISE_NAME":"加油站"}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := events.DecodeFieldsOnly(c.table, "370102001", []byte(c.rec))
			require.Equal(t, c.fast, err == nil, "fast path (%v)", err)
			requireSameDecode(t, c.table, []byte(c.rec))
		})
	}
}

// Whatever the bytes, Decode agrees with Decode through json.Unmarshal, for every
// table read field by field.
func FuzzDecodeRecord(f *testing.F) {
	for table, docs := range realRecords(f, 3) {
		for _, doc := range docs {
			f.Add(table, doc)
		}
	}
	f.Add(events.TableSensorReadings, []byte(`{"INDICATOR_CODE":"P1","VALUE":"1.5","COLLECT_TIME":null,"X":[1]}`))
	f.Fuzz(func(t *testing.T, table string, rec []byte) {
		if _, err := events.Decode(table, "c", []byte(`{}`)); err != nil {
			return // a table Decode does not read
		}
		requireSameDecode(t, table, rec)
	})
}

// BenchmarkDecode decodes a reading, a device status and a 隐患 as the engines did
// (json.Unmarshal) and as they do (readFields).
func BenchmarkDecode(b *testing.B) {
	docs := realRecords(b, 1)
	for _, table := range []string{events.TableSensorReadings, events.TableVideoDeviceStatus, events.TableHiddenDangers} {
		rec := docs[table][0]
		for _, way := range []struct {
			name   string
			decode func(table, company string, rec []byte) (events.Event, error)
		}{{"json.Unmarshal", events.DecodeWithEncodingJSON}, {"readFields", events.Decode}} {
			b.Run(table+"/"+way.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(rec)))
				for b.Loop() {
					if _, err := way.decode(table, "370102001", rec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// fieldOf gives a record's key the field encoding/json would give it where a plain
// reading agrees with encoding/json: the field of exactly that key, or none; a key
// that is not ASCII, or that matches a field only in case, stops the plain reading.
// Checked against strings.EqualFold over keys made from a 隐患's with their case
// flipped, a byte dropped or added, or a letter no longer ASCII. Its test of the
// length first assumes ASCII field keys: every seed column name is.
func TestFieldOfMatchesAsEncodingJSONWould(t *testing.T) {
	for _, table := range schemas.Tables() {
		for _, f := range table.Fields {
			for _, c := range []byte(f.ID) {
				require.Less(t, c, byte(utf8.RuneSelf), "%s.%s is not ASCII", table.Slug, f.ID)
			}
		}
	}
	keys := []string{"ID", "HAZARD_CODE", "DANGER_NAME", "DANGER_LEVEL", "DANGER_STATE", "DELETED", "id"}
	reference := func(key string) (int, bool) {
		for _, c := range []byte(key) {
			if c >= utf8.RuneSelf {
				return -1, false
			}
		}
		if i := slices.Index(keys, key); i >= 0 {
			return i, true
		}
		return -1, !slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, key) })
	}
	r := rand.New(rand.NewPCG(14, 8))
	for range 20000 {
		key := []byte(keys[r.IntN(len(keys))])
		if r.IntN(2) == 0 {
			key = []byte("DANGER_MANAGE_DEADLINE"[:1+r.IntN(22)]) // another key, or a prefix of one
		}
		for i := range key {
			if r.IntN(4) == 0 {
				key[i] ^= 0x20 // a letter's case flipped (and '_' to a DEL, not a letter)
			}
		}
		switch r.IntN(8) {
		case 0:
			key = key[:len(key)-1]
		case 1:
			key = append(key, 'S')
		case 2:
			key = []byte(strings.Replace(string(key), "I", "İ", 1))
		}
		gotField, gotOK := events.FieldOf(keys, string(key))
		wantField, wantOK := reference(string(key))
		require.Equal(t, [2]any{wantField, wantOK}, [2]any{gotField, gotOK}, "key %q", key)
	}
}
