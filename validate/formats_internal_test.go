package validate

import (
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// requireParsedAsTime checks parseSeedTime against time.ParseInLocation: where the fast
// path answers, ParseInLocation accepts the text and gives the same instant in the same
// location.
func requireParsedAsTime(t *testing.T, s string, date bool) (fast bool) {
	t.Helper()
	layout := schemas.DateTimeLayout
	if date {
		layout = schemas.DateLayout
	}
	got, ok := parseSeedTime([]byte(s), date)
	if !ok {
		return false
	}
	want, err := time.ParseInLocation(layout, s, schemas.Shanghai)
	if err != nil {
		t.Fatalf("%q: the fast path accepts what ParseInLocation refuses (%v)", s, err)
	}
	if !got.Equal(want) || got.Location() != want.Location() || got.String() != want.String() {
		t.Fatalf("%q: fast path %v, ParseInLocation %v", s, got, want)
	}
	return true
}

func TestParseSeedTimeMatchesParseInLocation(t *testing.T) {
	for _, c := range []struct {
		s    string
		date bool
		fast bool
	}{
		{"2026-12-06 07:08:09", false, true},
		{"2024-02-29 23:59:59", false, true},
		{"2000-02-29 00:00:00", false, true},
		{"0000-01-01 00:00:00", false, true},
		{"9999-12-31 23:59:59", false, true},
		{"1988-04-10 02:30:00", false, true}, // inside Shanghai's 1988 DST gap
		{"1988-09-11 01:30:00", false, true}, // inside its repeated hour
		{"2026-12-06", true, true},
		{"2024-02-29", true, true},
		{"2023-02-29 00:00:00", false, false},
		{"1900-02-29", true, false},
		{"2026-13-01 00:00:00", false, false},
		{"2026-00-01 00:00:00", false, false},
		{"2026-04-31 00:00:00", false, false},
		{"2026-12-06 24:00:00", false, false},
		{"2026-12-06 23:60:00", false, false},
		{"2026-12-06 23:59:60", false, false},
		{"2026-12-06 07:08:09.5", false, false},
		{"2026-12-06T07:08:09", false, false},
		{"2026/12/06 07:08:09", false, false},
		{"+026-12-06 07:08:09", false, false},
		{"2026-1a-06 07:08:09", false, false},
		{"2026-12-06 07:08", false, false},
		{"2026-12-06", false, false},
		{"2026-12-06 07:08:09", true, false},
	} {
		if fast := requireParsedAsTime(t, c.s, c.date); fast != c.fast {
			t.Errorf("%q (date %v): fast path %v, want %v", c.s, c.date, fast, c.fast)
		}
	}
}

// FuzzParseSeedTime holds the fast path to time.ParseInLocation on any text.
//
//	go test ./validate -run='^$' -fuzz=FuzzParseSeedTime -fuzztime=1m
func FuzzParseSeedTime(f *testing.F) {
	f.Add("2026-12-06 07:08:09", false)
	f.Add("2024-02-29", true)
	f.Add("1988-04-10 02:30:00", false)
	f.Fuzz(func(t *testing.T, s string, date bool) {
		requireParsedAsTime(t, s, date)
	})
}
