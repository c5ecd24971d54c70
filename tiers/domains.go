package tiers

import (
	"strings"
)

// Domain prefixes. A domain is where a role is granted: a division code as is,
// "park:"+code for a chemical park, "ent:"+code for an enterprise.
const (
	ParkPrefix       = "park:" // the domain of a chemical park: ParkPrefix + park code
	EnterprisePrefix = "ent:"
)

// ParkDomain is the domain of the chemical park with the given code.
func ParkDomain(code string) string { return ParkPrefix + code }

// EnterpriseDomain is the domain of the enterprise with the given company code.
func EnterpriseDomain(code string) string { return EnterprisePrefix + code }

// EnterprisePath is the resource path of an enterprise, the string the
// authorizer matches a domain against: province, city, county, optional park,
// enterprise, joined by "/" (e.g. "370000/370100/370102/park:P1/ent:C1"). It
// returns ProvinceCode — reached by the province alone — for an unknown county
// or a malformed park or company code, so that a bad row can never fall into
// another region (see Within).
func EnterprisePath(county, park, enterprise string) string {
	if !IsCounty(county) || (park != "" && !ValidParkCode(park)) || !ValidCompanyCode(enterprise) {
		return ProvinceCode
	}
	anc := Ancestors(county)
	var b strings.Builder
	for i := len(anc) - 1; i >= 0; i-- {
		b.WriteString(anc[i].Code)
		b.WriteByte('/')
	}
	b.WriteString(county)
	if park != "" {
		b.WriteString("/" + ParkPrefix + park)
	}
	b.WriteString("/" + EnterprisePrefix + enterprise)
	return b.String()
}

// RegionPath is the resource path of a division or park domain itself (for
// resources that belong to a region rather than an enterprise, e.g. a county's
// warnings): its ancestors' codes and its own, joined by "/".
func RegionPath(domain string) string {
	anc := Ancestors(domain)
	if anc == nil {
		return domain
	}
	var b strings.Builder
	for i := len(anc) - 1; i >= 0; i-- {
		b.WriteString(anc[i].Code)
		b.WriteByte('/')
	}
	b.WriteString(domain)
	return b.String()
}

// Resource is a resource path read back into its fields: the division it lies
// in, and the park and enterprise when it is one's.
type Resource struct {
	Division   string
	Park       string
	Enterprise string
}

// ParseResource reads a resource path (EnterprisePath, RegionPath, or a
// RegionPath followed by "/park:CODE"): the province and each division down
// to the resource's (every one a known code and the parent of the next), then
// at most one well-formed park and at most one well-formed enterprise, in that
// order. Anything else — a code with "/" in it, an unknown or out-of-order
// division, a trailing segment — is not a resource path. It does not allocate.
func ParseResource(path string) (Resource, bool) {
	var r Resource
	for rest := path; rest != ""; {
		seg := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return Resource{}, false // a trailing "/"
			}
		} else {
			rest = ""
		}
		switch {
		case strings.HasPrefix(seg, EnterprisePrefix):
			code := seg[len(EnterprisePrefix):]
			if r.Division == "" || r.Enterprise != "" || !ValidCompanyCode(code) {
				return Resource{}, false
			}
			r.Enterprise = code
		case strings.HasPrefix(seg, ParkPrefix):
			code := seg[len(ParkPrefix):]
			if r.Division == "" || r.Park != "" || r.Enterprise != "" || !ValidParkCode(code) {
				return Resource{}, false
			}
			r.Park = code
		default:
			d, ok := DivisionByCode(seg)
			if !ok || r.Park != "" || r.Enterprise != "" || d.ParentCode != r.Division {
				return Resource{}, false
			}
			r.Division = d.Code
		}
	}
	return r, r.Division != ""
}

// Within reports whether domain reaches the resource at path: path is "" (a
// resource of no region, e.g. the audit log, governed by role alone), or the
// path is a well-formed resource (ParseResource) and the domain matches it
// field by field — a division that is or encloses the resource's division, the
// park of the resource, or its enterprise. A malformed path is reached by no
// domain. It does not allocate.
func Within(domain, path string) bool {
	if path == "" {
		return true
	}
	if domain == "" {
		return false
	}
	r, ok := ParseResource(path)
	if !ok {
		return false
	}
	switch {
	case strings.HasPrefix(domain, EnterprisePrefix):
		return r.Enterprise != "" && r.Enterprise == domain[len(EnterprisePrefix):]
	case strings.HasPrefix(domain, ParkPrefix):
		return r.Park != "" && r.Park == domain[len(ParkPrefix):]
	}
	return Contains(domain, r.Division)
}
