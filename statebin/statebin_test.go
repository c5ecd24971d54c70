package statebin_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/statebin"
)

// What a Writer wrote a Reader reads back exactly: times as JSON would give them
// back (the same instant and zone offset, no monotonic reading), numbers bit for bit.
// Both layouts.
func TestRoundTrip(t *testing.T) {
	for _, layout1 := range []bool{false, true} {
		t.Run(fmt.Sprint("layout1=", layout1), func(t *testing.T) { roundTrip(t, layout1) })
	}
}

func roundTrip(t *testing.T, layout1 bool) {
	shanghai := time.FixedZone("CST", 8*3600)
	times := []time.Time{{}, time.Date(2026, 12, 6, 3, 34, 28, 123456789, time.UTC),
		time.Date(2026, 12, 6, 11, 34, 28, 1, shanghai), time.Now(),
		time.Date(2026, 12, 6, 11, 34, 27, 0, shanghai),                   // earlier than the one before
		time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 8*3600+343)), // an offset with seconds
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -12*3600)), {}}
	floats := []float64{0, -0.5, 1e300, math.Inf(-1), math.SmallestNonzeroFloat64}
	var w statebin.Writer
	if layout1 {
		w.Layout1()
	}
	for _, tm := range times {
		w.Time(tm)
	}
	for _, f := range floats {
		w.Float(f)
	}
	w.String("")
	w.String("指标 PT01")
	w.Int(-42)
	w.Uint(2) // a count of the two flags that follow
	w.Bool(true)
	w.Bool(false)

	r := statebin.NewReader(w.Bytes())
	if layout1 {
		r.Layout1()
	}
	for _, want := range times {
		got := r.Time()
		viaJSON := new(time.Time)
		b, err := json.Marshal(want)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, viaJSON))
		require.True(t, want.Equal(got), "%v != %v", want, got)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.JSONEq(t, string(b), string(gotJSON), "the same zone offset as JSON keeps")
	}
	for _, want := range floats {
		require.Equal(t, math.Float64bits(want), math.Float64bits(r.Float()))
	}
	require.Equal(t, "", r.String())
	require.Equal(t, "指标 PT01", r.String())
	require.Equal(t, -42, r.Int())
	require.Equal(t, 2, r.Uint())
	require.True(t, r.Bool())
	require.False(t, r.Bool())
	require.NoError(t, r.End())
}

// Truncated, padded or nonsensical input is an error, never a panic or a huge
// allocation.
func TestCorruptInput(t *testing.T) {
	var w statebin.Writer
	w.String("abc")
	w.Time(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	whole := w.Bytes()
	for n := 0; n < len(whole); n++ {
		r := statebin.NewReader(whole[:n])
		_ = r.String()
		r.Time()
		require.ErrorIs(t, r.End(), statebin.ErrCorrupt, "truncated to %d bytes", n)
	}
	r := statebin.NewReader(append(append([]byte(nil), whole...), 0))
	_ = r.String()
	r.Time()
	require.ErrorIs(t, r.End(), statebin.ErrCorrupt, "bytes left over")

	r = statebin.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	require.Zero(t, r.Uint())
	require.ErrorIs(t, r.End(), statebin.ErrCorrupt, "a count larger than the input")
}

// MapKeys writes the bytes Map writes, however the map changed since its last
// encoding: a key added, removed, or replaced by another (the same size).
func TestMapKeysWritesWhatMapWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := map[string]int{}
	var k statebin.Keys
	for round := range 2000 {
		switch op := rng.IntN(6); {
		case op == 0 && len(m) > 0: // remove one
			for key := range m {
				delete(m, key)
				break
			}
		case op == 1 && len(m) > 0: // replace one: the same size, another key
			for key := range m {
				delete(m, key)
				break
			}
			m[fmt.Sprintf("k%03d", rng.IntN(300))] = round
		case op == 2: // add one
			m[fmt.Sprintf("k%03d", rng.IntN(300))] = round
		default: // values only
			for key := range m {
				m[key] = rng.IntN(1000)
			}
		}
		var plain, kept statebin.Writer
		statebin.Map(&plain, m, plain.Int)
		statebin.MapKeys(&kept, m, &k, kept.Int)
		require.Equal(t, plain.Bytes(), kept.Bytes(), "round %d, %d keys", round, len(m))
	}
}

// Nested: what an inner MapKeys wrote of an entry whose outer map then changed is
// taken back with it, and the bytes stay Map's.
func TestMapKeysNested(t *testing.T) {
	type entry struct {
		m    map[string]int
		keys statebin.Keys
	}
	outer := map[string]*entry{"a": {m: map[string]int{"x": 1, "y": 2}}, "b": {m: map[string]int{"z": 3}}}
	var keys statebin.Keys
	check := func() {
		t.Helper()
		var plain, kept statebin.Writer
		statebin.Map(&plain, outer, func(e *entry) { statebin.Map(&plain, e.m, plain.Int) })
		statebin.MapKeys(&kept, outer, &keys, func(e *entry) { statebin.MapKeys(&kept, e.m, &e.keys, kept.Int) })
		require.Equal(t, plain.Bytes(), kept.Bytes())
	}
	check()
	check()
	delete(outer, "b")
	outer["c"] = &entry{m: map[string]int{"q": 4}}
	check()
	outer["a"].m["w"] = 5
	check()
	delete(outer["a"].m, "x")
	outer["a"].m["v"] = 6
	check()
}

// A company's points as the engines write them — sorted codes sharing most of their
// characters, times seconds apart — read back in both layouts, the second in well
// under half the bytes of the first; and MapKeys, taking back what it wrote when the
// keys changed, leaves the differences where Map would.
func TestPointsRoundTripInBothLayouts(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	base := time.Date(2026, 12, 7, 9, 0, 0, 0, shanghai)
	points := map[string]time.Time{}
	for i := range 1000 {
		points[fmt.Sprintf("370102001-PT%05d", i)] = base.Add(time.Duration(i%60) * time.Second)
	}
	companies := map[string]map[string]time.Time{"370102001": points, "370102002": {"370102002-PT00001": base}}
	encode := func(layout1 bool, keys *statebin.Keys) []byte {
		var w statebin.Writer
		if layout1 {
			w.Layout1()
		}
		statebin.MapKeys(&w, companies, keys, func(m map[string]time.Time) { statebin.Map(&w, m, w.Time) })
		return w.Bytes()
	}
	sizes := map[bool]int{}
	for _, layout1 := range []bool{false, true} {
		b := encode(layout1, new(statebin.Keys))
		sizes[layout1] = len(b)
		r := statebin.NewReader(b)
		if layout1 {
			r.Layout1()
		}
		got := map[string]map[string]time.Time{}
		r.Entries(func(code string) {
			got[code] = map[string]time.Time{}
			r.Entries(func(point string) { got[code][point] = r.Time() })
		})
		require.NoError(t, r.End())
		require.Equal(t, len(companies), len(got))
		for code, m := range companies {
			require.Equal(t, len(m), len(got[code]))
			for point, at := range m {
				require.True(t, at.Equal(got[code][point]), "%s %s", code, point)
			}
		}
	}
	require.Less(t, sizes[false]*100, sizes[true]*40, "layout 2: %d bytes, layout 1: %d", sizes[false], sizes[true])

	// The same keys remembered, then one company replaced: MapKeys writes what a
	// fresh encoding writes.
	var keys statebin.Keys
	encode(false, &keys)
	delete(companies, "370102002")
	companies["370102000"] = map[string]time.Time{"370102000-PT00009": base.Add(-time.Hour)}
	require.Equal(t, encode(false, new(statebin.Keys)), encode(false, &keys))
}

// Truncated input in the second layout's times and keys is an error, not a panic.
func TestCorruptDifferences(t *testing.T) {
	var w statebin.Writer
	statebin.Map(&w, map[string]time.Time{"PT001": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		"PT002": time.Date(2026, 1, 2, 3, 4, 6, 0, time.FixedZone("", 8*3600))}, w.Time)
	whole := w.Bytes()
	read := func(b []byte) error {
		r := statebin.NewReader(b)
		r.Entries(func(string) { r.Time() })
		return r.End()
	}
	require.NoError(t, read(whole))
	for n := 0; n < len(whole); n++ {
		require.ErrorIs(t, read(whole[:n]), statebin.ErrCorrupt, "truncated to %d bytes", n)
	}
	bad := append([]byte(nil), whole...)
	bad[1] = 9 // the first key says it shares 9 bytes with a key before it: there is none
	require.ErrorIs(t, read(bad), statebin.ErrCorrupt)
}

// A version is read whatever the bytes after it: an empty part of version 2 is the
// version and a count of nothing.
func TestVersionIsNotACount(t *testing.T) {
	var w statebin.Writer
	w.Begin(2)
	w.Uint(0)
	require.Equal(t, []byte{2, 0}, w.Bytes())
	r := statebin.NewReader(w.Bytes())
	require.NoError(t, r.Begin(2))
	require.Zero(t, r.Uint())
	require.NoError(t, r.End())
	require.ErrorContains(t, statebin.NewReader([]byte{3, 0}).Begin(2), "layout version 3, want 1 or 2")
}
