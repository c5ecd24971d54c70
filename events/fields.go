package events

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Field is one key of an exchange record an engine reads and where its value goes:
// exactly one of str, num and at is set (StringField, NumberField, TimeField). The
// key is a seed column name, plain ASCII, as fieldOf's matching assumes
// (TestFieldOfMatchesAsEncodingJSONWould checks every table's).
type Field struct {
	key string
	str *string
	num *schemas.Number
	at  *schemas.DateTime
}

// recordField is this package's name for Field, from before other packages read
// records through ReadRecord.
type recordField = Field

// StringField reads key's string into dst.
func StringField(key string, dst *string) Field { return Field{key: key, str: dst} }

// NumberField reads key's number (or numeric string) into dst.
func NumberField(key string, dst *schemas.Number) Field { return Field{key: key, num: dst} }

// TimeField reads key's schemas.DateTimeLayout time into dst.
func TimeField(key string, dst *schemas.DateTime) Field { return Field{key: key, at: dst} }

// ReadRecord is how the engines' decoders outside this package (governance's
// 双重预防 chain) read a record: it fills *r, whose fields the fields point into, as
// json.Unmarshal(rec, r) would, field by field for a record in ingest's layout
// (readRecord).
func ReadRecord[T any](rec []byte, r *T, fields ...Field) error { return readRecord(rec, r, fields...) }

// readRecord fills *r, whose fields the fields point into, from rec as
// json.Unmarshal(rec, r) would. A record in the layout json.Marshal writes ingest's
// records in is read by readFields, which skips encoding/json's reflection and its
// second pass over the bytes; any other record (readFields gives up at the first
// byte it does not expect) is read by json.Unmarshal from a zero *r, errors
// included.
func readRecord[T any](rec []byte, r *T, fields ...recordField) error {
	switch recordsRead {
	case readFieldsFirst:
		if readFields(rec, fields) {
			return nil
		}
	case readFieldsOnly:
		if !readFields(rec, fields) {
			return errNotInLayout
		}
		return nil
	}
	var zero T
	*r = zero
	return json.Unmarshal(rec, r)
}

// How readRecord reads; tests switch it to compare readFields with json.Unmarshal and
// to tell that ingest's records take readFields.
const (
	readFieldsFirst = iota
	readFieldsOnly
	readEncodingJSON
)

var recordsRead = readFieldsFirst

var errNotInLayout = errors.New("events: record not in ingest's layout")

// readFields reads rec when it is a flat JSON object as json.Marshal writes it: no
// whitespace, keys and string values without escapes in valid UTF-8, values that are
// strings, numbers, true, false or null. Every value is checked as JSON, so what it
// reads is valid JSON. A key of fields takes its value as json.Unmarshal would store
// it into the field (a later duplicate wins); keys outside fields are skipped. It
// reports false — and leaves the fields partly written — at anything else, where
// json.Unmarshal's answer could differ from a plain reading: a nested value, an
// escape, a non-ASCII key or one matching a field's only in case (encoding/json
// matches keys case-insensitively), a value of another type than the field's, a
// null for a string field, a value the field's own decoding refuses.
func readFields(rec []byte, fields []recordField) bool {
	s := layout{data: rec}
	if !s.lit(`{`) {
		return false
	}
	if s.lit(`}`) {
		return s.i == len(rec)
	}
	for {
		if !s.lit(`"`) {
			return false
		}
		key, ok := s.str()
		if !ok || !s.lit(`:`) {
			return false
		}
		f, ok := fieldOf(fields, key)
		if !ok {
			return false
		}
		if f == nil {
			if _, ok := s.scalar(); !ok {
				return false
			}
		} else if !f.read(&s) {
			return false
		}
		if s.lit(`}`) {
			return s.i == len(rec)
		}
		if !s.lit(`,`) {
			return false
		}
	}
}

// fieldOf finds the field of key: nil when no field has it, and ok false when the
// key is not plain ASCII or differs from a field's only in case, where encoding/json's
// case-folding match would decide.
//
// One pass, and only over the fields of key's length: with both ASCII, keys that
// differ in length never match, with or without case. It ran strings.EqualFold over
// every field for each key a record has beyond them (a 隐患 has 20-odd, an engine
// reads a few): 5 % of the served CPU in an unpaced 隐患 load.
func fieldOf(fields []recordField, key []byte) (f *recordField, ok bool) {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return nil, false
		}
	}
	folded := false
	for i := range fields {
		k := fields[i].key
		if len(k) != len(key) {
			continue
		}
		if k == string(key) {
			return &fields[i], true
		}
		folded = folded || strings.EqualFold(k, string(key))
	}
	return nil, !folded
}

// read reads the field's value at s into it.
func (f *recordField) read(s *layout) bool {
	switch {
	case f.str != nil:
		if !s.lit(`"`) {
			return false
		}
		v, ok := s.str()
		if ok {
			*f.str = string(v)
		}
		return ok
	case f.num != nil:
		v, ok := s.scalar()
		return ok && f.num.UnmarshalJSON(v) == nil
	default:
		if s.lit(`null`) {
			f.at.Time = time.Time{}
			return true
		}
		if !s.lit(`"`) {
			return false
		}
		v, ok := s.str()
		if !ok {
			return false
		}
		// What schemas.DateTime.UnmarshalJSON does once encoding/json has unquoted the
		// string, which for a string without escapes is its bytes.
		t, err := time.ParseInLocation(schemas.DateTimeLayout, string(v), schemas.Shanghai)
		if err != nil {
			return false
		}
		f.at.Time = t
		return true
	}
}

// scalar consumes a string without escapes, a number, true, false or null and
// returns it as it is in the message (a string with its quotes).
func (s *layout) scalar() ([]byte, bool) {
	switch {
	case s.i >= len(s.data):
		return nil, false
	case s.data[s.i] == '"':
		s.i++
		return s.quoted()
	case s.data[s.i] == '-' || s.data[s.i] >= '0' && s.data[s.i] <= '9':
		return s.number()
	}
	start := s.i
	for _, lit := range []string{"true", "false", "null"} {
		if s.lit(lit) {
			return s.data[start:s.i], true
		}
	}
	return nil, false
}

// number consumes a JSON number: an integer, then an optional fraction and exponent.
func (s *layout) number() ([]byte, bool) {
	start := s.i
	if _, ok := s.integer(); !ok {
		return nil, false
	}
	if s.lit(`.`) && !s.digits() {
		return nil, false
	}
	if s.lit(`e`) || s.lit(`E`) {
		if !s.lit(`+`) {
			s.lit(`-`)
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.data[start:s.i], true
}

// digits consumes one or more decimal digits.
func (s *layout) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
