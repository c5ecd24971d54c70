package events_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/validate"
)

// Envelope.Marshal writes what json.Marshal writes, byte for byte, so the messages
// already in Kafka and the new ones read alike.
func TestEnvelopeMarshalMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2021, 6, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	record := func(v map[string]any) json.RawMessage {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return b
	}
	for name, e := range map[string]events.Envelope{
		"plain": {Head: events.Head{MsgID: uuid.New(), Table: "sensor-readings", Company: "370102001", Key: "P1", Version: 7,
			ReceivedAt: at}, Record: record(map[string]any{"INDICATOR_CODE": "P1", "VALUE": "1.5"})},
		"deleted with event time and source": {Head: events.Head{MsgID: uuid.New(), Table: "hidden-dangers", Company: "370102001",
			Key: "a<b>&c", Deleted: true, EventTime: &at, Version: 1 << 40, ReceivedAt: at.UTC()}, Source: events.SourceBase,
			Record: record(map[string]any{"DANGER_NAME": "液位计<失灵>&\u2028", "N": 1.5e300, "L": []any{nil, true}})},
		"escapes in the header": {Head: events.Head{MsgID: uuid.Nil, Table: "t", Company: "\"\\\u2029\x01", Key: ""},
			Record: json.RawMessage(`{}`), Source: "<base>"},
		"unicode, invalid UTF-8 and DEL in the header": {Head: events.Head{MsgID: uuid.Max, Table: "液位\u2028", Company: "P\xff1",
			Key: "a\x7fb\tc\n", Version: -1, ReceivedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
			Record: json.RawMessage(`{"A":1}`), Source: "基础系统"},
		"zero times":  {Head: events.Head{EventTime: &time.Time{}}, Record: json.RawMessage(`{}`)},
		"an odd zone": {Head: events.Head{ReceivedAt: at.In(time.FixedZone("", -(3*3600 + 30*60)))}, Record: json.RawMessage(`[]`)},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(e)
			require.NoError(t, err)
			got, err := e.Marshal()
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
			var back events.Envelope
			require.NoError(t, json.Unmarshal(got, &back))
			require.Equal(t, string(e.Record), string(back.Record))
		})
	}
	_, err := (&events.Envelope{}).Marshal()
	require.Error(t, err, "an envelope without its record")
	for _, bad := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		e := events.Envelope{Head: events.Head{ReceivedAt: bad}, Record: json.RawMessage(`{}`)}
		_, wantErr := json.Marshal(e)
		_, err := e.Marshal()
		require.Error(t, wantErr)
		require.EqualError(t, err, wantErr.Error(), "json.Marshal's error for a year outside 0–9999")
		e = events.Envelope{Head: events.Head{EventTime: &bad}, Record: json.RawMessage(`{}`)}
		_, err = e.Marshal()
		require.Error(t, err)
	}
}

// Whatever the head's strings, numbers and times, Envelope.Marshal writes what
// json.Marshal writes.
func FuzzEnvelopeMarshal(f *testing.F) {
	f.Add([]byte("6ba7b810-9dad-1"), "sensor-readings", "370102001", "P1<&>", "base", true, int64(7), int64(1622511015250000000), 8*3600)
	f.Add([]byte{}, "\u2028", "\xff\x00", "液位计", "", false, int64(-1), int64(-1)<<62, -30*60)
	f.Fuzz(func(t *testing.T, id []byte, table, company, key, source string, deleted bool, version, nanos int64, offset int) {
		var msgID uuid.UUID
		copy(msgID[:], id)
		received := time.Unix(0, nanos).In(time.FixedZone("", offset%(24*3600)))
		e := events.Envelope{Head: events.Head{MsgID: msgID, Table: table, Company: company, Key: key, Deleted: deleted,
			Version: version, ReceivedAt: received}, Record: json.RawMessage(`{"A":"b"}`), Source: source}
		if deleted {
			e.EventTime = &received
		}
		want, wantErr := json.Marshal(e)
		got, err := e.Marshal()
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	})
}

// BenchmarkEnvelopeMarshal writes a reading's envelope as json.Marshal did and as
// Envelope.Marshal does.
func BenchmarkEnvelopeMarshal(b *testing.B) {
	var e events.Envelope
	require.NoError(b, json.Unmarshal(realEnvelopes(b)["sensor-readings/own"], &e))
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Envelope.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// realEnvelopes returns, for every exchange table, the messages ingest publishes for
// simulated records of it: the record validated and written as ingest writes it,
// with and without an event time, deleted or not, from the company's own system and
// from the hosted base system.
func realEnvelopes(tb testing.TB) map[string][]byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(14, 14))
	co := simulate.Companies(1, 14)[0]
	now := time.Date(2021, 6, 1, 9, 30, 15, 250_000_000, schemas.Shanghai)
	out := map[string][]byte{}
	for _, t := range schemas.Tables() {
		rec, doc := ingestRecord(tb, t, simulate.NewRecord(r, t, co, now), now)
		for i, source := range []string{"", events.SourceBase} {
			e := events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: t.Slug, Company: co.Code,
				Key: t.KeyOf(rec), Deleted: t.HasDeleted() && t.DeletedOf(rec),
				Version: now.UnixNano() + int64(i), ReceivedAt: now.Add(time.Duration(i) * time.Second)},
				Record: doc, Source: source}
			if et := t.VersionTimeOf(rec); !et.IsZero() && i == 0 {
				e.EventTime = &et
			}
			if i == 1 {
				e.Deleted = !e.Deleted
			}
			b, err := e.Marshal()
			require.NoError(tb, err)
			out[t.Slug+"/"+[]string{"own", "base"}[i]] = b
		}
	}
	return out
}

// ingestRecord validates a company's record of t as ingest does and returns the
// validated record and the document ingest writes into the envelope.
func ingestRecord(tb testing.TB, t *schemas.Table, sent simulate.Record, now time.Time) (any, []byte) {
	tb.Helper()
	body, err := json.Marshal([]simulate.Record{sent})
	require.NoError(tb, err)
	vs, err := validate.Batch(t, body, validate.Options{Now: now})
	require.NoError(tb, err)
	require.True(tb, vs[0].OK(), "%s: %v", t.Slug, vs[0].Errors)
	doc, err := json.Marshal(vs[0].Record)
	require.NoError(tb, err)
	return vs[0].Record, doc
}

// A message DecodeEnvelope reads decodes to what json.Unmarshal makes of it, and
// every message ingest writes takes the fast path.
func TestDecodeEnvelopeOfRealEnvelopes(t *testing.T) {
	envs := realEnvelopes(t)
	require.GreaterOrEqual(t, len(envs), 2*14)
	withTime := 0
	for name, b := range envs {
		t.Run(name, func(t *testing.T) {
			_, fast := events.DecodeLayout(b)
			require.True(t, fast, "ingest's layout takes the fast path: %s", b)
			want := requireSameAsEncodingJSON(t, b)
			if want.EventTime != nil {
				withTime++
			}
		})
	}
	require.NotZero(t, withTime, "some tables carry an event time")
}

// Messages not in ingest's exact layout decode as json.Unmarshal decodes them,
// errors included.
func TestDecodeEnvelopeOutsideTheLayout(t *testing.T) {
	const id = `"msg_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"`
	const head = `{` + id + `,"table":"sensor-readings","company":"370102001","key":"P1","deleted":false`
	const tail = `,"version":1622511015250000000,"received_at":"2021-06-01T09:30:15.25+08:00"`
	for _, c := range []struct {
		name string
		msg  string
		fast bool
	}{
		{"no event time", head + tail + `,"record":{"VALUE":"1.5"}}`, true},
		{"event time and source", head + `,"event_time":"2021-06-01T09:30:00+08:00"` + tail + `,"record":{"A":1},"source":"base"}`, true},
		{"empty source", head + tail + `,"record":{},"source":""}`, true},
		{"deleted", strings.Replace(head, `false`, `true`, 1) + tail + `,"record":{}}`, true},
		{"negative version", head + `,"version":-3,"received_at":"2021-06-01T01:30:15Z","record":{}}`, true},
		{"unicode in the header", strings.Replace(head, `"P1"`, `"液位计 P1 🔥"`, 1) + tail + `,"record":{"名称":"储罐"}}`, true},
		{"brackets and escapes inside the record's strings", head + tail +
			`,"record":{"A":"}]\"{[\\","B":[{"C":"\\\"}"}],"D":"\u007d"},"source":"base"}`, true},
		{"the source's name inside the record", head + tail + `,"record":{"X":{"source":"base"},"source":"y"}}`, true},
		{"escaped header string", strings.Replace(head, `"P1"`, `"a\u003cb\"c"`, 1) + tail + `,"record":{}}`, false},
		{"escaped source", head + tail + `,"record":{},"source":"\u0062ase"}`, false},
		{"invalid UTF-8 in the header", strings.Replace(head, `"P1"`, "\"P\xff1\"", 1) + tail + `,"record":{}}`, false},
		{"control character in the header", strings.Replace(head, `"P1"`, "\"P\x011\"", 1) + tail + `,"record":{}}`, false},
		{"another field order", `{"table":"sensor-readings",` + id + `,"company":"370102001","key":"P1","deleted":false` + tail + `,"record":{}}`, false},
		{"spaces", `{ ` + id[1:] + `}`, false},
		{"trailing newline", head + tail + `,"record":{}}` + "\n", false},
		{"a field after the record", head + tail + `,"record":{"A":1},"extra":{"B":2}}`, false},
		{"a field after the source", head + tail + `,"record":{},"source":"base","x":1}`, false},
		{"record null", head + tail + `,"record":null}`, false},
		{"record an array", head + tail + `,"record":[1,2]}`, false},
		{"event time null", head + `,"event_time":null` + tail + `,"record":{}}`, false},
		{"keys in another case", strings.Replace(head, `"table"`, `"TABLE"`, 1) + tail + `,"record":{}}`, false},
		{"id in braces", strings.Replace(head, `"6ba7b810-9dad-11d1-80b4-00c04fd430c8"`, `"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"`, 1) + tail + `,"record":{}}`, true},
		{"bad id", strings.Replace(head, `6ba7b810`, `6ba7b81x`, 1) + tail + `,"record":{}}`, false},
		{"version with a fraction", head + `,"version":1.0,"received_at":"2021-06-01T01:30:15Z","record":{}}`, false},
		{"version with an exponent", head + `,"version":1e3,"received_at":"2021-06-01T01:30:15Z","record":{}}`, false},
		{"version with a leading zero", head + `,"version":01,"received_at":"2021-06-01T01:30:15Z","record":{}}`, false},
		{"version out of range", head + `,"version":9223372036854775808,"received_at":"2021-06-01T01:30:15Z","record":{}}`, false},
		{"time not RFC 3339", head + `,"version":1,"received_at":"2021-06-01 01:30:15","record":{}}`, false},
		{"deleted as a number", strings.Replace(head, `false`, `0`, 1) + tail + `,"record":{}}`, false},
		{"record not closed", head + tail + `,"record":{"A":"}`, false},
		{"no closing brace", head + tail + `,"record":{}`, false},
		{"empty", ``, false},
		{"not JSON", `not json`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, fast := events.DecodeLayout([]byte(c.msg))
			require.Equal(t, c.fast, fast, "fast path")
			requireSameAsEncodingJSON(t, []byte(c.msg))
		})
	}
}

// requireSameAsEncodingJSON checks that DecodeEnvelope and json.Unmarshal agree on b
// (the same envelope, or both an error) and returns the envelope.
func requireSameAsEncodingJSON(tb testing.TB, b []byte) events.Envelope {
	tb.Helper()
	var want events.Envelope
	wantErr := json.Unmarshal(b, &want)
	got, err := events.DecodeEnvelope(b)
	if wantErr != nil {
		require.Error(tb, err, "json.Unmarshal: %v", wantErr)
		return want
	}
	require.NoError(tb, err)
	require.Equal(tb, want, got)
	return want
}

// Whatever the bytes, DecodeEnvelope agrees with json.Unmarshal, except that it does
// not check a record's inside: where json.Unmarshal refuses a message that
// DecodeEnvelope reads, the record must be the invalid part.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, b := range realEnvelopes(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"msg_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","table":"t","company":"c","key":"k","deleted":false,"version":0,"received_at":"2021-06-01T01:30:15Z","record":{"A":"}\""},"source":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want events.Envelope
		wantErr := json.Unmarshal(b, &want)
		got, err := events.DecodeEnvelope(b)
		switch {
		case wantErr == nil:
			require.NoError(t, err)
			require.Equal(t, want, got)
		case err == nil:
			require.False(t, json.Valid(got.Record), "json.Unmarshal refused %q (%v) for more than its record", b, wantErr)
		}
	})
}

// BenchmarkDecodeEnvelope decodes the envelope of a reading and of a 隐患 as the
// consumers did (json.Unmarshal) and as they do (DecodeEnvelope).
func BenchmarkDecodeEnvelope(b *testing.B) {
	envs := realEnvelopes(b)
	for _, name := range []string{"sensor-readings/own", "video-device-status/own", "hidden-dangers/base"} {
		msg := envs[name]
		b.Run(name+"/json.Unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				var e events.Envelope
				if err := json.Unmarshal(msg, &e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/DecodeEnvelope", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := events.DecodeEnvelope(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
