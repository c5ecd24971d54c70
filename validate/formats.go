package validate

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shandong-emergency/chemguard/schemas"
)

// IsUUID reports whether s is a 36-character UUID: 8-4-4-4-12 hexadecimal digits.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// IsGB28181Channel reports whether s has the seed's form of a camera channel code:
// the 9-character company code, "0132", and a 7-digit serial, 20 characters in all.
// GB28181 codes are decimal; the company part is allowed letters too, since the seed
// calls it 企业编码 and the platform cannot check it against the company here.
func IsGB28181Channel(s string) bool {
	if len(s) != 20 || s[9:13] != "0132" {
		return false
	}
	for i := 0; i < 9; i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	for i := 13; i < 20; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var (
	mobileRe   = regexp.MustCompile(`^(\+?86[- ]?)?1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^0[1-9][0-9]{1,2}-?[0-9]{7,8}(-[0-9]{1,6})?$`)
)

// IsPhone reports whether s is a mainland mobile number (optionally +86) or a landline
// with its area code (0531-88888888, extension allowed).
func IsPhone(s string) bool { return mobileRe.MatchString(s) || landlineRe.MatchString(s) }

// IsMobile reports whether s is a mainland mobile number (optionally +86): where the
// seed says 手机号 the number must take an SMS, so a landline is refused.
func IsMobile(s string) bool { return mobileRe.MatchString(s) }

// decimalDigits splits a plain decimal ("-12.345") into its significant integer digit
// count and fraction digit count. Exponents, hex, NaN and the like are not decimals.
func decimalDigits(s string) (intDigits, fracDigits int, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	leading := true
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if leading && s[i] == '0' {
			continue
		}
		leading = false
		intDigits++
	}
	if i == start {
		return 0, 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		f := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		fracDigits = i - f
		if fracDigits == 0 {
			return 0, 0, false
		}
	}
	return intDigits, fracDigits, i == len(s)
}

func isZero(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == 0
}

func parseFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// canonicalDecimal rewrites a text decimalDigits accepted without a '+' sign and
// without leading zeros ("+007.50" is "7.50"), so it is a valid JSON number.
func canonicalDecimal(s string) string {
	sign := ""
	switch s[0] {
	case '-':
		sign, s = "-", s[1:]
	case '+':
		s = s[1:]
	}
	i := 0
	for i < len(s)-1 && s[i] == '0' && s[i+1] != '.' {
		i++
	}
	if i == 0 && sign == "" {
		return s
	}
	return sign + s[i:]
}

// base64Chars counts the characters of s that carry base64 data: s without a data:
// URI prefix and without line breaks.
func base64Chars(s []byte) int64 {
	if bytes.HasPrefix(s, dataPrefix) {
		if comma := bytes.IndexByte(s, ','); comma >= 0 {
			s = s[comma+1:]
		}
	}
	return int64(len(s) - bytes.Count(s, cr) - bytes.Count(s, lf))
}

var (
	dataPrefix   = []byte("data:")
	base64Suffix = []byte(";base64")
	cr, lf       = []byte("\r"), []byte("\n")
)

// decodeBase64 is schemas.DecodeBase64 on bytes: it decodes the common case (one
// line of standard base64, maybe in a data: URI) in place of copying megabytes into
// a string, and hands every other case to schemas.DecodeBase64.
func decodeBase64(s []byte) ([]byte, error) {
	b := s
	if bytes.HasPrefix(b, dataPrefix) {
		comma := bytes.IndexByte(b, ',')
		if comma < 0 || !bytes.HasSuffix(b[:comma], base64Suffix) {
			return nil, schemas.ErrNotBase64
		}
		b = b[comma+1:]
	}
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
		if n, err := base64.StdEncoding.Decode(dst, b); err == nil {
			return dst[:n], nil
		}
	}
	return schemas.DecodeBase64(string(s))
}

// cleanText reports whether s is valid UTF-8 without control characters other than
// tab, line feed and carriage return. PostgreSQL refuses \u0000 in text and jsonb, so
// such a record would otherwise be acknowledged and then block the sink.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// parseSeedTime reads b, "yyyy-MM-dd HH:mm:ss" (or "yyyy-MM-dd" when date), as
// time.ParseInLocation(layout, b, schemas.Shanghai) does, for the case nearly every
// record is: exactly the layout's digits and separators, each part in range. ok is
// false for anything else — a fraction of a second, a day past the month's end, any
// other text — and the caller then asks time.ParseInLocation, for its result or its
// error. ParseInLocation builds its result with time.Date in the location, as this
// does.
func parseSeedTime(b []byte, date bool) (t time.Time, ok bool) {
	n := len(schemas.DateTimeLayout)
	if date {
		n = len(schemas.DateLayout)
	}
	if len(b) != n || b[4] != '-' || b[7] != '-' {
		return time.Time{}, false
	}
	num := func(i, width int) int {
		v := 0
		for _, c := range b[i : i+width] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	var hour, minute, sec int
	if !date {
		if b[10] != ' ' || b[13] != ':' || b[16] != ':' {
			return time.Time{}, false
		}
		hour, minute, sec = num(11, 2), num(14, 2), num(17, 2)
		if hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
			return time.Time{}, false
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, schemas.Shanghai), true
}

// daysIn is the number of days of month in year (proleptic Gregorian, as package time).
func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
