// Command citymap brings the province map of the portal's 综合分析 to Shandong's
// current 16 cities: echarts 4.9.0's map/json/province/shandong.json still draws
// 莱芜市, which was merged into 济南市 in 2019 (its districts are now 济南市莱芜区 and
// 钢城区). It merges 莱芜市's outline into 济南市's — the shared border removed, one
// outline left — and drops the 莱芜市 feature, keeping echarts' encoded format.
// It refuses to write unless the result has exactly the cities tiers knows.
// Usage, from the repository root (the file is rewritten in place; run it on the
// upstream file, it is idempotent on its own output):
//
//	go run ./portal/internal/citymap portal/static/echarts/shandong.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/shandong-emergency/chemguard/tiers"
)

const (
	jinan = "370100"
	laiwu = "371200" // 莱芜市, abolished in 2019
)

type feature struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Properties json.RawMessage `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

type collection struct {
	Type         string    `json:"type"`
	Features     []feature `json:"features"`
	UTF8Encoding bool      `json:"UTF8Encoding"`
}

// encoded is echarts' compressed geometry: each ring a string of zigzag-encoded
// coordinate deltas (one character per number, offset by 64) from its offset.
type encoded struct {
	Type          string          `json:"type"`
	Coordinates   json.RawMessage `json:"coordinates"`
	EncodeOffsets json.RawMessage `json:"encodeOffsets"`
}

type point [2]int64

// decode returns a ring's integer points (echarts' quantized units).
func decode(s string, off [2]int64) []point {
	rs := []rune(s)
	out := make([]point, 0, len(rs)/2)
	prev := off
	for i := 0; i+1 < len(rs); i += 2 {
		var p point
		for k := 0; k < 2; k++ {
			v := int64(rs[i+k]) - 64
			v = (v >> 1) ^ -(v & 1)
			p[k] = prev[k] + v
		}
		prev = p
		out = append(out, p)
	}
	return out
}

// encode is decode's inverse.
func encode(ring []point) (string, [2]int64) {
	off := ring[0]
	prev := off
	rs := make([]rune, 0, 2*len(ring))
	for _, p := range ring {
		for k := 0; k < 2; k++ {
			d := p[k] - prev[k]
			r := rune((d<<1)^(d>>63)) + 64
			if r >= 0xD800 { // not a character JSON can carry; never seen at this map's scale
				panic(fmt.Sprintf("citymap: delta %d too large to encode", d))
			}
			rs = append(rs, r)
		}
		prev = p
	}
	return string(rs), off
}

// rings returns a feature's outer rings (holes are not used by this map).
func rings(raw json.RawMessage) ([][]point, error) {
	var g encoded
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	var out [][]point
	switch g.Type {
	case "Polygon":
		var cs []string
		var offs [][2]int64
		if err := json.Unmarshal(g.Coordinates, &cs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(g.EncodeOffsets, &offs); err != nil {
			return nil, err
		}
		out = append(out, decode(cs[0], offs[0]))
	case "MultiPolygon":
		var cs [][]string
		var offs [][][2]int64
		if err := json.Unmarshal(g.Coordinates, &cs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(g.EncodeOffsets, &offs); err != nil {
			return nil, err
		}
		for i := range cs {
			out = append(out, decode(cs[i][0], offs[i][0]))
		}
	default:
		return nil, fmt.Errorf("geometry %s", g.Type)
	}
	return out, nil
}

func area(r []point) float64 {
	var a float64
	for i := range r {
		j := (i + 1) % len(r)
		a += float64(r[i][0]*r[j][1] - r[j][0]*r[i][1])
	}
	return a / 2
}

// union joins two rings that share a stretch of border into one: the edges both
// rings hold (in opposite directions, once both turn the same way) cancel, and the
// remaining edges chain into the outline. ok is false when they do not chain into
// exactly one ring (no shared border, or borders that do not match point for point).
func union(a, b []point) ([]point, bool) {
	if (area(a) > 0) != (area(b) > 0) {
		b = append([]point(nil), b...)
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
	}
	type edge struct{ from, to point }
	count := map[edge]int{}
	var order []edge
	for _, r := range [][]point{a, b} {
		for i := range r {
			e := edge{r[i], r[(i+1)%len(r)]}
			if e.from == e.to {
				continue
			}
			count[e]++
			order = append(order, e)
		}
	}
	next := map[point]point{}
	shared := 0
	for _, e := range order {
		if count[edge{e.to, e.from}] > 0 {
			shared++
			continue
		}
		if _, dup := next[e.from]; dup {
			return nil, false // a point where the outline would branch
		}
		next[e.from] = e.to
	}
	if shared == 0 {
		return nil, false
	}
	var start point
	for _, e := range order {
		if _, ok := next[e.from]; ok {
			start = e.from
			break
		}
	}
	ring := []point{start}
	for p := next[start]; p != start; p = next[p] {
		ring = append(ring, p)
		if len(ring) > len(next) {
			return nil, false
		}
	}
	return ring, len(ring) == len(next)
}

func run(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var fc collection
	if err := json.Unmarshal(raw, &fc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var ji, li = -1, -1
	for i, f := range fc.Features {
		switch f.ID {
		case jinan:
			ji = i
		case laiwu:
			li = i
		}
	}
	if ji < 0 {
		return fmt.Errorf("%s: no 济南市 (%s)", path, jinan)
	}
	if li >= 0 {
		a, err := rings(fc.Features[ji].Geometry)
		if err != nil {
			return fmt.Errorf("济南市: %w", err)
		}
		b, err := rings(fc.Features[li].Geometry)
		if err != nil {
			return fmt.Errorf("莱芜市: %w", err)
		}
		if len(a) != 1 || len(b) != 1 {
			return fmt.Errorf("济南市 and 莱芜市 must be one polygon each (%d, %d)", len(a), len(b))
		}
		ring, ok := union(a[0], b[0])
		if !ok {
			return fmt.Errorf("济南市 and 莱芜市 do not share a border point for point")
		}
		s, off := encode(ring)
		geo, err := json.Marshal(map[string]any{"type": "Polygon", "coordinates": []string{s}, "encodeOffsets": [][2]int64{off}})
		if err != nil {
			return err
		}
		fc.Features[ji].Geometry = geo
		fc.Features = append(fc.Features[:li], fc.Features[li+1:]...)
	}
	var have, want []string
	for _, f := range fc.Features {
		have = append(have, f.ID)
	}
	for _, d := range tiers.Divisions() {
		if d.Level == tiers.City {
			want = append(want, d.Code)
		}
	}
	sort.Strings(have)
	sort.Strings(want)
	if fmt.Sprint(have) != fmt.Sprint(want) {
		return fmt.Errorf("cities %v, tiers has %v", have, want)
	}
	out, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: citymap portal/static/echarts/shandong.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "citymap:", err)
		os.Exit(1)
	}
}
