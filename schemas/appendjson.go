package schemas

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends rec, a pointer New returned, as json.Marshal(rec) writes it, byte
// for byte: the fields in the table's order, omitzero honoured, strings escaped as
// json.Marshal escapes them (HTML characters, U+2028/U+2029, invalid UTF-8 replaced),
// Number, DateTime, Date and File as their MarshalJSON methods write them. It walks
// the table's field list instead of encoding/json's reflection, and skips the
// validation json.Marshal makes of every MarshalJSON result. The bytes matter beyond
// their meaning: the message id of a time-series record is a hash of them, so a
// re-sent reading must encode to the same bytes.
//
// A record that is not a pointer to the table's type, or a Number that is not a JSON
// number (validate never stores one), is handed to json.Marshal, so its result and
// error are json.Marshal's.
func (t *Table) AppendJSON(dst []byte, rec any) ([]byte, error) {
	rv := reflect.ValueOf(rec)
	if rv.Kind() != reflect.Pointer || rv.Type().Elem() != t.typ || rv.IsNil() {
		return appendMarshal(dst, rec)
	}
	v := rv.Elem()
	start := len(dst)
	dst = append(dst, '{')
	first := true
	for i := range t.Fields {
		f := &t.Fields[i]
		fv := v.Field(f.index)
		if f.omitZero && isZeroValue(f.Kind, fv) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, f.member...)
		switch f.Kind {
		case KindChar, KindText:
			dst = AppendJSONString(dst, fv.String())
		case KindNumber, KindDecimal:
			n := fv.String()
			switch {
			case n == "":
				dst = append(dst, "null"...)
			case isJSONNumber(n):
				dst = append(dst, n...)
			default:
				return appendMarshal(dst[:start], rec)
			}
		case KindDateTime:
			dst = appendTime(dst, fv.Addr().Interface().(*DateTime).Time, DateTimeLayout)
		case KindDate:
			dst = appendTime(dst, fv.Addr().Interface().(*Date).Time, DateLayout)
		case KindFile:
			dst = appendFile(dst, fv.Addr().Interface().(*File))
		}
	}
	return append(dst, '}'), nil
}

// isZeroValue is what omitzero asks of a field: the type's IsZero method (Number,
// DateTime through its time.Time, Date, File), or "" for a string.
func isZeroValue(k Kind, fv reflect.Value) bool {
	switch k {
	case KindDateTime:
		return fv.Addr().Interface().(*DateTime).IsZero()
	case KindDate:
		return fv.Addr().Interface().(*Date).IsZero()
	case KindFile:
		return fv.Addr().Interface().(*File).IsZero()
	}
	return fv.String() == ""
}

func appendMarshal(dst []byte, rec any) ([]byte, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendTime writes what DateTime.MarshalJSON and Date.MarshalJSON write: null for the
// zero time, else the layout in Asia/Shanghai, quoted (digits and separators only:
// nothing to escape).
func appendTime(dst []byte, t time.Time, layout string) []byte {
	if t.IsZero() {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = t.In(Shanghai).AppendFormat(dst, layout)
	return append(dst, '"')
}

// appendFile writes what File.MarshalJSON writes: a stored file's reference object, an
// inline file's data: URI, or null.
func appendFile(dst []byte, f *File) []byte {
	switch {
	case f.Ref != "":
		dst = append(dst, `{"ref":`...)
		dst = AppendJSONString(dst, f.Ref)
		dst = append(dst, `,"content_type":`...)
		dst = AppendJSONString(dst, f.ContentType)
		dst = append(dst, `,"size":`...)
		dst = strconv.AppendInt(dst, f.Size, 10)
		return append(dst, '}')
	case f.Data != nil:
		return AppendJSONString(dst, DataURI(f.ContentType, f.Data))
	}
	return append(dst, "null"...)
}

// AppendJSONString appends s as json.Marshal writes a string: quoted; the quote and
// the backslash escaped; \b, \f, \n, \r, \t by name and other control characters as
// \u00XX; <, > and & as \u003c, \u003e, \u0026 (json.Marshal's HTML escaping); U+2028
// and U+2029 as \u2028 and \u2029; each byte of invalid UTF-8 as \ufffd.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + size
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainName reports whether a JSON name is written by json.Marshal as it is: ASCII
// letters, digits and underscores (every 标识符号 of the seed).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}
