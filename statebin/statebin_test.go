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
func TestRoundTrip(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	times := []time.Time{{}, time.Date(2026, 12, 6, 3, 34, 28, 123456789, time.UTC),
		time.Date(2026, 12, 6, 11, 34, 28, 1, shanghai), time.Now()}
	floats := []float64{0, -0.5, 1e300, math.Inf(-1), math.SmallestNonzeroFloat64}
	var w statebin.Writer
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
