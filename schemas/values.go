package schemas

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Layouts of the seed's 日期时间 and 日期 values.
const (
	DateTimeLayout = "2006-01-02 15:04:05"
	DateLayout     = "2006-01-02"
)

// Shanghai is the zone every exchange time is written in (the seed prints local time).
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No tzdata on the machine: China has had no DST since 1991, so a fixed zone
		// is exact for every date the platform stores.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Number holds a 数字/数值 value in its canonical decimal text ("3", "117.123456"), so
// coordinates and codes keep every digit the company sent. The zero value is "absent"
// and marshals as null.
type Number string

// MarshalJSON writes the number as a JSON number.
func (n Number) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return []byte(n), nil
}

// UnmarshalJSON reads a JSON number, a numeric string or null.
func (n *Number) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*n = ""
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if !isJSONNumber(s) {
		return fmt.Errorf("schemas: %q is not a number", s)
	}
	*n = Number(s)
	return nil
}

// isJSONNumber reports whether s is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	if n := digits(); n == 0 || n > 1 && s[start] == '0' {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// IsZero reports an absent number (for `omitzero`).
func (n Number) IsZero() bool { return n == "" }

// DateTime is a 日期时间 value, "yyyy-MM-dd HH:mm:ss" in Asia/Shanghai.
type DateTime struct{ time.Time }

// MarshalJSON writes the seed's layout in Asia/Shanghai.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.In(Shanghai).Format(DateTimeLayout) + `"`), nil
}

// UnmarshalJSON reads the seed's layout as Asia/Shanghai time.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	return unmarshalTime(b, DateTimeLayout, &d.Time)
}

// Date is a 日期 value, "yyyy-MM-dd" in Asia/Shanghai.
type Date struct{ time.Time }

// MarshalJSON writes the seed's layout.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.In(Shanghai).Format(DateLayout) + `"`), nil
}

// UnmarshalJSON reads the seed's layout as an Asia/Shanghai date.
func (d *Date) UnmarshalJSON(b []byte) error {
	return unmarshalTime(b, DateLayout, &d.Time)
}

func unmarshalTime(b []byte, layout string, t *time.Time) error {
	if string(b) == "null" {
		*t = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseInLocation(layout, s, Shanghai)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// File is a 文件 value (an alarm image, a work permit). On the wire it arrives as
// base64 or a data: URI and Data holds the decoded bytes. Once the ingest node has put
// the bytes in the file store, Data is dropped and Ref names the stored object, so
// messages and rows carry a reference instead of megabytes.
type File struct {
	ContentType string // sniffed from the bytes: image/png, image/jpeg, image/bmp, application/pdf
	Size        int64  // decoded size in bytes
	Ref         string // "sha256:<hex>" in the file store; empty while Data is inline
	Data        []byte // decoded bytes; nil once stored
}

// IsZero reports an absent file (for `omitzero`).
func (f File) IsZero() bool { return f.Ref == "" && f.Data == nil }

type fileRef struct {
	Ref         string `json:"ref"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// MarshalJSON writes a stored file as {"ref","content_type","size"} and inline bytes
// as a data: URI, which the exchange API accepts back unchanged.
func (f File) MarshalJSON() ([]byte, error) {
	switch {
	case f.Ref != "":
		return json.Marshal(fileRef{f.Ref, f.ContentType, f.Size})
	case f.Data != nil:
		return json.Marshal(DataURI(f.ContentType, f.Data))
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (f *File) UnmarshalJSON(b []byte) error {
	*f = File{}
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '{':
		var r fileRef
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		f.Ref, f.ContentType, f.Size = r.Ref, r.ContentType, r.Size
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	data, err := DecodeBase64(s)
	if err != nil {
		return err
	}
	f.Data, f.Size, f.ContentType = data, int64(len(data)), SniffContentType(data)
	return nil
}

// DataURI renders bytes as a data: URI.
func DataURI(contentType string, data []byte) string {
	return "data:" + contentType + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// ErrNotBase64 is returned by DecodeBase64 for text that is neither base64 nor a
// base64 data: URI.
var ErrNotBase64 = errors.New("schemas: not base64 or a base64 data: URI")

// DecodeBase64 decodes standard or URL-safe base64, padded or not, optionally wrapped
// in a data: URI ("data:image/png;base64,...") and with line breaks (MIME style).
func DecodeBase64(s string) ([]byte, error) {
	if strings.HasPrefix(s, "data:") {
		comma := strings.IndexByte(s, ',')
		if comma < 0 || !strings.HasSuffix(s[:comma], ";base64") {
			return nil, ErrNotBase64
		}
		s = s[comma+1:]
	}
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, ErrNotBase64
}

// SniffContentType names a file by its leading bytes, never by a claimed name:
// image/png, image/jpeg, image/bmp, application/pdf, or "" for anything else.
func SniffContentType(b []byte) string {
	switch {
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg"
	case len(b) >= 14 && b[0] == 'B' && b[1] == 'M':
		return "image/bmp"
	case len(b) >= 5 && string(b[:5]) == "%PDF-":
		return "application/pdf"
	}
	return ""
}
