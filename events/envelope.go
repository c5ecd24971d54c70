// Package events owns the exchange records as they travel on the bus between
// ingest and the engines: the envelope of an accepted record and of a refused one,
// the topic names, the records both engines decode from an envelope, and the
// platform's intake clock the engines judge silence by. It is pure: no I/O, no
// clock reads.
package events

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// RejectionsTopic receives every refused record, as governance evidence.
const RejectionsTopic = "chemguard.exchange.rejections"

// Topics lists every topic the exchange path publishes to: one per table and the
// rejections.
func Topics() []string {
	out := []string{RejectionsTopic}
	for _, t := range schemas.Tables() {
		out = append(out, t.Topic())
	}
	return out
}

// Envelope is the Kafka value of one accepted record: its Head, then the record as
// ingest wrote it, then the sending system. Everything the sink needs to order and
// key the record is in the head, computed once at ingest, so no consumer decodes the
// record to place it.
type Envelope struct {
	Head
	Record json.RawMessage `json:"record"`
	// Source is the system that sent the record: SourceBase for the platform's hosted
	// base system (package enterprise, publishing as the company), "" for the
	// company's own system. Only the rollout tracking reads it; validation and every
	// engine treat both alike.
	Source string `json:"source,omitempty"`
}

// Head is what an envelope says about its record. Its fields come first in the
// message, in this order: Marshal writes them with encoding/json and DecodeEnvelope
// reads them in this layout.
type Head struct {
	MsgID     uuid.UUID  `json:"msg_id"`
	Table     string     `json:"table"`
	Company   string     `json:"company"`
	Key       string     `json:"key"`
	Deleted   bool       `json:"deleted"`
	EventTime *time.Time `json:"event_time,omitempty"`
	// Version orders the versions of one key; ingest hands them out increasing.
	Version    int64     `json:"version"`
	ReceivedAt time.Time `json:"received_at"`
}

// SourceBase marks a record the hosted base system published for the company.
const SourceBase = "base"

// RejectionEnvelope is the Kafka value of one refused record.
type RejectionEnvelope struct {
	MsgID      uuid.UUID             `json:"msg_id"`
	Table      string                `json:"table"`
	Company    string                `json:"company"`
	ReceivedAt time.Time             `json:"received_at"`
	Index      int                   `json:"index"`
	Key        string                `json:"key,omitempty"`
	Errors     []validate.FieldError `json:"errors"`
	Raw        string                `json:"raw"`
}

// Marshal encodes the envelope as json.Marshal does, byte for byte, when Record is
// compact JSON as json.Marshal writes it (ingest's records are). The head is written
// field by field — json.Marshal's reflection over it cost ingest more than the
// record's own encoding — and the record is appended as it is instead of being
// scanned and compacted again. Record must be valid JSON: it is not checked here
// (ingest writes it with json.Marshal a moment before).
func (e *Envelope) Marshal() ([]byte, error) {
	return e.Append(make([]byte, 0, e.Size()))
}

// Size is about the length of the envelope Marshal writes, never less unless a string
// of the head needs escapes: room to reserve for it.
func (e *Envelope) Size() int {
	// The head's names, id, flag, number and two times take at most 245 bytes.
	return 256 + len(e.Table) + len(e.Company) + len(e.Key) + len(e.Record) + len(e.Source)
}

// Append appends what Marshal returns to out (on an error, out is not to be used).
func (e *Envelope) Append(out []byte) ([]byte, error) {
	if len(e.Record) == 0 {
		return nil, errors.New("events: envelope without a record")
	}
	out = append(out, `{"msg_id":"`...)
	out = appendUUID(out, e.MsgID)
	out = append(out, `","table":`...)
	out = schemas.AppendJSONString(out, e.Table)
	out = append(out, `,"company":`...)
	out = schemas.AppendJSONString(out, e.Company)
	out = append(out, `,"key":`...)
	out = schemas.AppendJSONString(out, e.Key)
	out = append(out, `,"deleted":`...)
	out = strconv.AppendBool(out, e.Deleted)
	var err error
	if e.EventTime != nil {
		out = append(out, `,"event_time":`...)
		if out, err = appendJSONTime(out, *e.EventTime); err != nil {
			return nil, err
		}
	}
	out = append(out, `,"version":`...)
	out = strconv.AppendInt(out, e.Version, 10)
	out = append(out, `,"received_at":`...)
	if out, err = appendJSONTime(out, e.ReceivedAt); err != nil {
		return nil, err
	}
	out = append(out, `,"record":`...)
	out = append(out, e.Record...)
	if e.Source != "" {
		out = append(out, `,"source":`...)
		out = schemas.AppendJSONString(out, e.Source)
	}
	return append(out, '}'), nil
}

// appendUUID appends id as uuid.UUID.MarshalText writes it, without its allocation.
func appendUUID(out []byte, id uuid.UUID) []byte {
	var text [36]byte
	hex.Encode(text[0:8], id[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], id[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], id[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], id[8:10])
	text[23] = '-'
	hex.Encode(text[24:], id[10:])
	return append(out, text[:]...)
}

// appendJSONTime appends t as json.Marshal writes it (time.Time.MarshalJSON: RFC 3339
// with nanoseconds, quoted), with the same error for a year outside 0–9999.
func appendJSONTime(out []byte, t time.Time) ([]byte, error) {
	out = append(out, '"')
	out, err := t.AppendText(out)
	if err != nil {
		if _, jsonErr := json.Marshal(t); jsonErr != nil {
			err = jsonErr // json.Marshal's own error for it
		}
		return nil, err
	}
	return append(out, '"'), nil
}

// DecodeEnvelope reads the message of an accepted record as json.Unmarshal would, but
// without encoding/json's passes over the record. A message in the layout Marshal
// writes (the head's fields in order, no spaces, head strings without escapes, the
// record an object, then the source) is read field by field, and the record is taken
// as the bytes it is in the message after finding where it ends: it is not validated
// again, because ingest validated it and wrote it a moment before and only ingest
// publishes to the exchange topics. Anything else — another field order, an escape
// or a space, a field it does not know, a record that is not an object, a message
// written by an older version — goes to json.Unmarshal and decodes exactly as before,
// errors included.
//
// Record shares data's bytes when the layout was read: data must not be modified
// while the envelope is in use.
func DecodeEnvelope(data []byte) (Envelope, error) {
	if e, ok := decodeLayout(data); ok {
		return e, nil
	}
	var e Envelope
	err := json.Unmarshal(data, &e)
	return e, err
}

// decodeLayout reads data in Marshal's layout; ok is false at the first byte that is
// not as Marshal writes it (DecodeEnvelope then leaves the message to encoding/json).
// The header's values go through the same methods json.Unmarshal calls for them
// (uuid.UUID.UnmarshalText, time.Time.UnmarshalJSON, strconv.ParseInt), so what it
// accepts decodes to the same values.
func decodeLayout(data []byte) (e Envelope, ok bool) {
	s := layout{data: data}
	var b []byte
	if !s.lit(`{"msg_id":"`) {
		return e, false
	}
	if b, ok = s.str(); !ok || e.MsgID.UnmarshalText(b) != nil {
		return e, false
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{`,"table":"`, &e.Table}, {`,"company":"`, &e.Company}, {`,"key":"`, &e.Key}} {
		if !s.lit(f.name) {
			return e, false
		}
		if b, ok = s.str(); !ok {
			return e, false
		}
		*f.to = string(b)
	}
	switch {
	case s.lit(`,"deleted":true`):
		e.Deleted = true
	case s.lit(`,"deleted":false`):
	default:
		return e, false
	}
	if s.lit(`,"event_time":"`) {
		if b, ok = s.quoted(); !ok {
			return e, false
		}
		e.EventTime = new(time.Time)
		if e.EventTime.UnmarshalJSON(b) != nil {
			return e, false
		}
	}
	if !s.lit(`,"version":`) {
		return e, false
	}
	if b, ok = s.integer(); !ok {
		return e, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return e, false
	}
	e.Version = v
	if !s.lit(`,"received_at":"`) {
		return e, false
	}
	if b, ok = s.quoted(); !ok || e.ReceivedAt.UnmarshalJSON(b) != nil {
		return e, false
	}
	if !s.lit(`,"record":`) {
		return e, false
	}
	if e.Record, ok = s.object(); !ok {
		return e, false
	}
	if s.lit(`,"source":"`) {
		if b, ok = s.str(); !ok {
			return e, false
		}
		e.Source = string(b)
	}
	return e, s.lit(`}`) && s.i == len(data)
}

// layout walks a message in Marshal's layout; i is the next byte to read.
type layout struct {
	data []byte
	i    int
}

// lit consumes p when the message continues with it.
func (s *layout) lit(p string) bool {
	if len(s.data)-s.i < len(p) || string(s.data[s.i:s.i+len(p)]) != p {
		return false
	}
	s.i += len(p)
	return true
}

// str consumes the rest of a string whose opening quote was read and returns its
// content, when that content is what json.Unmarshal would decode it to as it is: no
// escape, no control character (which JSON forbids) and valid UTF-8 (which
// json.Unmarshal would replace).
func (s *layout) str() ([]byte, bool) {
	ascii := true
	for j := s.i; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			v := s.data[s.i:j]
			if !ascii && !utf8.Valid(v) {
				return nil, false
			}
			s.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// quoted is str returning the string with its quotes, as json.Unmarshal hands a
// string to an UnmarshalJSON method.
func (s *layout) quoted() ([]byte, bool) {
	start := s.i - 1
	if _, ok := s.str(); !ok {
		return nil, false
	}
	return s.data[start:s.i], true
}

// integer consumes a JSON number that is an integer: an optional minus, then 0 or a
// digit 1–9 followed by digits. A fraction or exponent stops it, and the literal
// after it then does not match (json.Unmarshal refuses those into an int64).
func (s *layout) integer() ([]byte, bool) {
	j := s.i
	if j < len(s.data) && s.data[j] == '-' {
		j++
	}
	digits := j
	for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
		j++
	}
	if j == digits || (s.data[digits] == '0' && j-digits > 1) {
		return nil, false
	}
	v := s.data[s.i:j]
	s.i = j
	return v, true
}

// object consumes a JSON object and returns its bytes, finding its end by counting
// brackets outside strings; it does not check what is between them. Its capacity is
// cut at its end, so appending to the record cannot write over the message.
func (s *layout) object() ([]byte, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return nil, false
	}
	depth := 0
	for j := s.i; j < len(s.data); j++ {
		switch s.data[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				v := s.data[s.i : j+1 : j+1]
				s.i = j + 1
				return v, true
			}
		case '"':
			// To the closing quote: a quote not escaped by the backslash before it.
			for j++; j < len(s.data) && s.data[j] != '"'; j++ {
				if s.data[j] == '\\' {
					j++
				}
			}
		}
	}
	return nil, false
}
