package tiers

import (
	"fmt"
	"strings"
)

// Scope is the set of enterprises a domain reaches, in the form a SQL query
// filters on: list queries add Scope.Where to their WHERE clause so that rows
// outside the caller's region are never fetched.
type Scope struct {
	All        bool     // the province: every enterprise
	Counties   []string // enterprises whose division_code is one of these
	Park       string   // enterprises in this chemical park
	Enterprise string   // this one enterprise
}

// ScopeOf returns the enterprises domain reaches: the province all of them, a
// city its counties', a county its own, a park its members, an enterprise domain
// itself. An unknown domain, or a park or enterprise domain whose code is
// malformed, reaches nothing (the zero Scope). The scope is a set of field
// values (codes), compared with = in SQL, never a prefix of a path.
func ScopeOf(domain string) Scope {
	switch {
	case strings.HasPrefix(domain, EnterprisePrefix):
		if code := domain[len(EnterprisePrefix):]; ValidCompanyCode(code) {
			return Scope{Enterprise: code}
		}
		return Scope{}
	case strings.HasPrefix(domain, ParkPrefix):
		if code := domain[len(ParkPrefix):]; ValidParkCode(code) {
			return Scope{Park: code}
		}
		return Scope{}
	}
	d, ok := DivisionByCode(domain)
	if !ok {
		return Scope{}
	}
	switch d.Level {
	case Province:
		return Scope{All: true}
	case City:
		var cs []string
		for _, c := range Children(d.Code) {
			cs = append(cs, c.Code)
		}
		return Scope{Counties: cs}
	default:
		return Scope{Counties: []string{d.Code}}
	}
}

// Empty reports whether the scope reaches no enterprise.
func (s Scope) Empty() bool {
	return !s.All && len(s.Counties) == 0 && s.Park == "" && s.Enterprise == ""
}

// Where returns a SQL condition restricting the enterprises table (aliased
// alias, e.g. "e") to the scope, with its placeholder numbered n, and the
// argument to pass for it. A scope reaching everything gives "TRUE" and no
// argument; an empty one "FALSE".
func (s Scope) Where(alias string, n int) (string, []any) {
	switch {
	case s.All:
		return "TRUE", nil
	case s.Enterprise != "":
		return fmt.Sprintf("%s.code = $%d", alias, n), []any{s.Enterprise}
	case s.Park != "":
		return fmt.Sprintf("%s.park_code = $%d", alias, n), []any{s.Park}
	case len(s.Counties) > 0:
		return fmt.Sprintf("%s.division_code = ANY($%d::text[])", alias, n), []any{s.Counties}
	}
	return "FALSE", nil
}
