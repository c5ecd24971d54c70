// Package tiers owns the administrative divisions (行政区划) of Shandong
// province that the regulator portal is tiered by — province → city →
// county/district → chemical park → enterprise — and the domains and resource
// paths built on them (domains.go) that scope a user's view. Who may do what in
// a domain (roles, casbin policy, 三员分立) is auth/policy.
//
// The divisions are GB/T 2260 codes shipped inside the binary
// (divisions_shandong.txt, see its header for the source and date); nothing
// is read at run time. All functions are pure and safe for concurrent use.
package tiers

import (
	_ "embed"
	"fmt"
	"strings"
)

// ProvinceCode is the GB/T 2260 code of 山东省, the root of the division tree.
const ProvinceCode = "370000"

// Level is the tier of a division in the GB/T 2260 hierarchy.
type Level int

// The levels of a division, from the top.
const (
	Province Level = iota + 1 // 省
	City                      // 地级市
	County                    // 县级: 市辖区, 县, 县级市
)

// String returns "province", "city" or "county".
func (l Level) String() string {
	switch l {
	case Province:
		return "province"
	case City:
		return "city"
	case County:
		return "county"
	default:
		return fmt.Sprintf("Level(%d)", int(l))
	}
}

// Division is one administrative division of Shandong province.
type Division struct {
	Code       string // six-digit GB/T 2260 code, e.g. "370102"
	NameZH     string // official name, e.g. "历下区"
	Level      Level
	ParentCode string // code of the enclosing division; empty for the province
}

//go:embed divisions_shandong.txt
var divisionsText string

// registry is the parsed division tree; it is never modified after package
// initialisation.
var registry = mustParseDivisions(divisionsText)

type divisionRegistry struct {
	all      []Division       // in code order, as in the source
	byCode   map[string]int   // code → index into all
	children map[string][]int // parent code → indexes of its direct children
}

// Divisions returns every division — the province, its cities and their
// counties — in ascending code order. The slice is a fresh copy.
func Divisions() []Division {
	out := make([]Division, len(registry.all))
	copy(out, registry.all)
	return out
}

// DivisionByCode returns the division with the given GB/T 2260 code, or false
// if Shandong has no such division (including abolished codes like 371200).
func DivisionByCode(code string) (Division, bool) {
	i, ok := registry.byCode[code]
	if !ok {
		return Division{}, false
	}
	return registry.all[i], true
}

// Children returns the direct children of the division in code order: the
// cities of the province, or the counties of a city. It returns nil for a
// county or an unknown code.
func Children(code string) []Division {
	idx := registry.children[code]
	if len(idx) == 0 {
		return nil
	}
	out := make([]Division, len(idx))
	for k, i := range idx {
		out[k] = registry.all[i]
	}
	return out
}

// Ancestors returns the divisions enclosing code, nearest first and not
// including code itself: a county gives [city, province], a city gives
// [province], and the province gives an empty slice. It returns nil for an
// unknown code.
func Ancestors(code string) []Division {
	d, ok := DivisionByCode(code)
	if !ok {
		return nil
	}
	out := []Division{}
	for d.ParentCode != "" {
		d = registry.all[registry.byCode[d.ParentCode]]
		out = append(out, d)
	}
	return out
}

// Contains reports whether the division ancestor is, or encloses, the
// division descendant: the province contains every division, a city its
// counties, and every division contains itself. It is false when either code
// is unknown.
func Contains(ancestor, descendant string) bool {
	if _, ok := registry.byCode[ancestor]; !ok {
		return false
	}
	d, ok := DivisionByCode(descendant)
	if !ok {
		return false
	}
	for {
		if d.Code == ancestor {
			return true
		}
		if d.ParentCode == "" {
			return false
		}
		d = registry.all[registry.byCode[d.ParentCode]]
	}
}

// IsCounty reports whether code is a known county-level division (市辖区, 县
// or 县级市).
func IsCounty(code string) bool {
	d, ok := DivisionByCode(code)
	return ok && d.Level == County
}

// mustParseDivisions parses the embedded table and panics if it is malformed;
// the table is compiled in, so a panic can only come from a bad edit to it
// and is caught by the package's tests.
func mustParseDivisions(text string) divisionRegistry {
	r, err := parseDivisions(text)
	if err != nil {
		panic(err)
	}
	return r
}

// parseDivisions reads "<code> <name>" lines, derives each division's level
// and parent from its code, and checks that codes are unique, names are
// present, there is exactly one province and every parent exists.
func parseDivisions(text string) (divisionRegistry, error) {
	r := divisionRegistry{
		byCode:   map[string]int{},
		children: map[string][]int{},
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		code, name, ok := strings.Cut(line, " ")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return r, fmt.Errorf("tiers: parse divisions line %d: want \"<code> <name>\", got %q", n+1, line)
		}
		if !isDivisionCode(code) || code[:2] != ProvinceCode[:2] {
			return r, fmt.Errorf("tiers: parse divisions line %d: %q is not a Shandong GB/T 2260 code", n+1, code)
		}
		if _, dup := r.byCode[code]; dup {
			return r, fmt.Errorf("tiers: parse divisions line %d: duplicate code %s", n+1, code)
		}
		d := Division{Code: code, NameZH: name}
		switch {
		case code == ProvinceCode:
			d.Level = Province
		case code[4:] == "00":
			d.Level, d.ParentCode = City, ProvinceCode
		default:
			d.Level, d.ParentCode = County, code[:4]+"00"
		}
		r.byCode[code] = len(r.all)
		r.all = append(r.all, d)
	}
	if _, ok := r.byCode[ProvinceCode]; !ok {
		return r, fmt.Errorf("tiers: parse divisions: province %s missing", ProvinceCode)
	}
	for i, d := range r.all {
		if d.ParentCode == "" {
			continue
		}
		if _, ok := r.byCode[d.ParentCode]; !ok {
			return r, fmt.Errorf("tiers: parse divisions: %s %s: parent %s missing", d.Code, d.NameZH, d.ParentCode)
		}
		r.children[d.ParentCode] = append(r.children[d.ParentCode], i)
	}
	return r, nil
}

func isDivisionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
