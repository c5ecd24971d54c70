package schemas_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
)

// numbers are Number texts to fill records with: canonical ones as validate stores
// them, and texts json.Marshal refuses or writes differently.
var numbers = []string{"", "3", "117.123456", "-0.5", "0", "1e5", "1E+2", "01", "+1", "abc", ".5", "-", "12.", "1e"}

// filled returns a record of table whose every field is set from the inputs: strings
// from texts, numbers from numbers, times around at (the zero time when mode says), files
// by reference, inline or absent. mode picks, field by field, which of them.
func filled(table *schemas.Table, texts []string, at time.Time, mode uint64) any {
	rec := table.New()
	for i := range table.Fields {
		f := &table.Fields[i]
		v := table.Value(rec, f)
		pick := int(mode>>(i%16*4)) & 0xF
		switch f.Kind {
		case schemas.KindChar, schemas.KindText:
			v.SetString(texts[pick%len(texts)])
		case schemas.KindNumber, schemas.KindDecimal:
			v.SetString(numbers[pick%len(numbers)])
		case schemas.KindDateTime, schemas.KindDate:
			tm := at.Add(time.Duration(pick) * 37 * time.Hour)
			if pick%5 == 0 {
				tm = time.Time{}
			}
			if f.Kind == schemas.KindDate {
				v.Set(reflect.ValueOf(schemas.Date{Time: tm}))
			} else {
				v.Set(reflect.ValueOf(schemas.DateTime{Time: tm}))
			}
		case schemas.KindFile:
			switch pick % 3 {
			case 1:
				v.Set(reflect.ValueOf(schemas.File{Ref: "sha256:" + texts[0], ContentType: "image/png", Size: int64(pick) << 20}))
			case 2:
				v.Set(reflect.ValueOf(schemas.File{ContentType: "image/jpeg", Data: []byte(texts[pick%len(texts)]), Size: 3}))
			}
		}
	}
	return rec
}

// requireMarshalled checks AppendJSON against json.Marshal on rec: the same bytes after
// what dst held, or the same error.
func requireMarshalled(t *testing.T, table *schemas.Table, rec any) {
	t.Helper()
	want, wantErr := json.Marshal(rec)
	prefix := []byte(`[1,`)
	got, err := table.AppendJSON(prefix, rec)
	if wantErr != nil {
		require.EqualError(t, err, wantErr.Error())
		return
	}
	require.NoError(t, err)
	require.Equal(t, `[1,`, string(got[:len(prefix)]))
	require.Equal(t, string(want), string(got[len(prefix):]))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "液氨储罐区", "a<b>&c", "quote\" back\\slash", "tab\tnl\nret\rbs\bff\f", "\x00\x01\x1f\x7f",
		"line\u2028para\u2029", "bad\xffutf8\xe4\xb8", "ok", "37010210000101320000001", "  spaced  ", "😀 emoji",
		"3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b", "\xed\xa0\x80 surrogate", "€", "\\u0000"}
	at := time.Date(2026, 12, 6, 7, 8, 9, 123456789, time.UTC)
	for _, table := range schemas.Tables() {
		t.Run(table.Slug, func(t *testing.T) {
			requireMarshalled(t, table, table.New())
			for mode := range uint64(64) {
				requireMarshalled(t, table, filled(table, texts, at, mode*0x9E3779B97F4A7C15))
			}
		})
	}
	t.Run("not the table's type", func(t *testing.T) {
		requireMarshalled(t, schemas.SensorReadings, schemas.HiddenDangers.New())
		requireMarshalled(t, schemas.SensorReadings, map[string]any{"A": 1})
		requireMarshalled(t, schemas.SensorReadings, (*schemas.SensorReading)(nil))
		requireMarshalled(t, schemas.SensorReadings, nil)
	})
	t.Run("times outside the years 0-9999 and in other zones", func(t *testing.T) {
		for _, tm := range []time.Time{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1988, 6, 1, 12, 0, 0, 0, time.FixedZone("X", -3*3600+17))} {
			rec := &schemas.SensorReading{CollectTime: schemas.DateTime{Time: tm}}
			requireMarshalled(t, schemas.SensorReadings, rec)
		}
	})
}

// FuzzAppendJSON holds AppendJSON to json.Marshal on records of every table filled
// from arbitrary strings, numbers, times and files.
//
//	go test ./schemas -run='^$' -fuzz=FuzzAppendJSON -fuzztime=2m
func FuzzAppendJSON(f *testing.F) {
	f.Add(uint8(0), "液氨<储罐>", "a\"b\\c\x00", int64(1796000000), uint64(0))
	f.Add(uint8(5), "\xff\u2028", "", int64(-62135596800), uint64(0x0123456789abcdef))
	f.Add(uint8(11), "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b", "   ", int64(253402300800), ^uint64(0))
	tables := schemas.Tables()
	f.Fuzz(func(t *testing.T, which uint8, a, b string, unix int64, mode uint64) {
		table := tables[int(which)%len(tables)]
		rec := filled(table, []string{a, b, a + b, ""}, time.Unix(unix, unix%1e9), mode)
		requireMarshalled(t, table, rec)
	})
}

// BenchmarkAppendJSON compares AppendJSON with json.Marshal on a reading and a 隐患,
// every field filled with a valid value.
//
//	go test ./schemas -run='^$' -bench=AppendJSON -benchmem
func BenchmarkAppendJSON(b *testing.B) {
	texts := []string{"3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b", "液氨储罐区压力表读数偏高，已安排整改", "1", "370102100001"}
	at := time.Date(2026, 12, 6, 7, 8, 9, 0, schemas.Shanghai)
	for _, table := range []*schemas.Table{schemas.SensorReadings, schemas.HiddenDangers} {
		rec := filled(table, texts, at, 0x1234567812345678)
		for i := range table.Fields {
			if f := &table.Fields[i]; f.Kind == schemas.KindNumber || f.Kind == schemas.KindDecimal {
				table.Value(rec, f).SetString("12.5")
			}
		}
		b.Run(table.Slug+"/json.Marshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(table.Slug+"/AppendJSON", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = table.AppendJSON(buf[:0], rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
