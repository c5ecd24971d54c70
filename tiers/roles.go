package tiers

import (
	"fmt"
	"strings"
)

// Role is the English code name of a portal role. Its Chinese label is RoleLabel.
type Role string

// The platform's roles. Regulators have a leader and a staff role at each tier;
// the three 等保 administrator roles (SystemAdmin, SecurityAdmin, AuditAdmin) are
// separated: no subject may hold two of them (see CheckSeparation).
const (
	ProvinceLeader  Role = "province_leader"  // 省级监管领导
	ProvinceStaff   Role = "province_staff"   // 省级监管人员
	CityLeader      Role = "city_leader"      // 市级监管领导
	CityStaff       Role = "city_staff"       // 市级监管人员
	CountyLeader    Role = "county_leader"    // 县级监管领导
	CountyStaff     Role = "county_staff"     // 县级监管人员
	ParkLeader      Role = "park_leader"      // 园区监管领导
	ParkStaff       Role = "park_staff"       // 园区监管人员
	Inspector       Role = "inspector"        // 巡查/检查人员
	EnterpriseAdmin Role = "enterprise_admin" // 企业管理员
	EnterpriseUser  Role = "enterprise_user"  // 企业用户
	SystemAdmin     Role = "system_admin"     // 系统管理员
	SecurityAdmin   Role = "security_admin"   // 安全管理员
	AuditAdmin      Role = "audit_admin"      // 审计管理员
	ShareService    Role = "share_service"    // 市县数据共享服务账号
)

// Scope kinds: what kind of domain a role is granted in.
type scopeKind int

const (
	scopeProvince     scopeKind = iota + 1 // the province only
	scopeCity                              // a city
	scopeCounty                            // a county
	scopePark                              // a chemical park
	scopeRegion                            // any division or park
	scopeEnterprise                        // one enterprise
	scopeCityOrCounty                      // a city or a county
)

type roleInfo struct {
	label string
	scope scopeKind
}

var roles = map[Role]roleInfo{
	ProvinceLeader:  {"省级监管领导", scopeProvince},
	ProvinceStaff:   {"省级监管人员", scopeProvince},
	CityLeader:      {"市级监管领导", scopeCity},
	CityStaff:       {"市级监管人员", scopeCity},
	CountyLeader:    {"县级监管领导", scopeCounty},
	CountyStaff:     {"县级监管人员", scopeCounty},
	ParkLeader:      {"园区监管领导", scopePark},
	ParkStaff:       {"园区监管人员", scopePark},
	Inspector:       {"巡查检查人员", scopeRegion},
	EnterpriseAdmin: {"企业管理员", scopeEnterprise},
	EnterpriseUser:  {"企业用户", scopeEnterprise},
	SystemAdmin:     {"系统管理员", scopeProvince},
	SecurityAdmin:   {"安全管理员", scopeProvince},
	AuditAdmin:      {"审计管理员", scopeProvince},
	ShareService:    {"数据共享服务账号", scopeCityOrCounty},
}

// Roles returns every role, in a fixed order.
func Roles() []Role {
	return []Role{ProvinceLeader, ProvinceStaff, CityLeader, CityStaff, CountyLeader, CountyStaff,
		ParkLeader, ParkStaff, Inspector, EnterpriseAdmin, EnterpriseUser, SystemAdmin, SecurityAdmin,
		AuditAdmin, ShareService}
}

// ParseRole returns the role with code name s, or false.
func ParseRole(s string) (Role, bool) {
	_, ok := roles[Role(s)]
	return Role(s), ok
}

// Label returns the role's Chinese name, e.g. "安全管理员".
func (r Role) Label() string { return roles[r].label }

// EnterpriseKeyRole is the audit role of a company acting with its API key; it is
// not a portal role and cannot be granted.
const EnterpriseKeyRole = "enterprise_key"

// RoleLabels returns the Chinese names of roles given as the audit log keeps them,
// comma-separated codes (e.g. "county_staff,inspector" → "县级监管人员、巡查检查人员");
// an unknown code is kept as it is.
func RoleLabels(codes string) string {
	if codes == "" {
		return ""
	}
	parts := strings.Split(codes, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		switch info, ok := roles[Role(p)]; {
		case ok:
			parts[i] = info.label
		case p == EnterpriseKeyRole:
			parts[i] = "企业（接口密钥）"
		default:
			parts[i] = p
		}
	}
	return strings.Join(parts, "、")
}

// IsSeparatedAdmin reports whether r is one of the three 等保 administrator roles.
func (r Role) IsSeparatedAdmin() bool {
	return r == SystemAdmin || r == SecurityAdmin || r == AuditAdmin
}

// AlwaysRequiresTOTP reports whether r needs a second factor whatever the policy
// says: the three administrator roles do.
func (r Role) AlwaysRequiresTOTP() bool { return r.IsSeparatedAdmin() }

// Domain prefixes. A domain is where a role is granted: a division code as is,
// "park:"+code for a chemical park, "ent:"+code for an enterprise.
const (
	parkPrefix       = "park:"
	enterprisePrefix = "ent:"
)

// ParkDomain is the domain of the chemical park with the given code.
func ParkDomain(code string) string { return parkPrefix + code }

// EnterpriseDomain is the domain of the enterprise with the given company code.
func EnterpriseDomain(code string) string { return enterprisePrefix + code }

// CheckGrant returns an error unless role may be granted in domain: a county role
// in a county code, a city role in a city code, a park role in a park domain, an
// enterprise role in an enterprise domain, the administrator and province roles
// in the province (370000), a share service account in a city or county.
func CheckGrant(role Role, domain string) error {
	info, ok := roles[role]
	if !ok {
		return fmt.Errorf("tiers: grant: unknown role %q", role)
	}
	level := Level(0)
	if d, ok := DivisionByCode(domain); ok {
		level = d.Level
	}
	isPark := strings.HasPrefix(domain, parkPrefix) && ValidParkCode(domain[len(parkPrefix):])
	isEnt := strings.HasPrefix(domain, enterprisePrefix) && ValidCompanyCode(domain[len(enterprisePrefix):])
	var good bool
	switch info.scope {
	case scopeProvince:
		good = level == Province
	case scopeCity:
		good = level == City
	case scopeCounty:
		good = level == County
	case scopePark:
		good = isPark
	case scopeRegion:
		good = level != 0 || isPark
	case scopeEnterprise:
		good = isEnt
	case scopeCityOrCounty:
		good = level == City || level == County
	}
	if !good {
		return fmt.Errorf("tiers: grant: role %s (%s) cannot be granted in domain %q", role, role.Label(), domain)
	}
	return nil
}

// ErrSeparation is returned (wrapped) when a grant would give one subject two of
// the three separated administrator roles, or an administrator role together
// with a business role.
var ErrSeparation = fmt.Errorf("tiers: 三员分立: a subject may hold only one of system_admin, security_admin, audit_admin, and no business role with it")

// CheckSeparation returns ErrSeparation if a subject holding held would, with
// role added, hold two of the three separated administrator roles, or an
// administrator role and a business role (an administrator who is also
// province_leader could read everything it administers).
func CheckSeparation(held []Role, role Role) error {
	for _, h := range held {
		if h == role {
			continue
		}
		if h.IsSeparatedAdmin() || role.IsSeparatedAdmin() {
			return fmt.Errorf("%w (holds %s, asked %s)", ErrSeparation, h, role)
		}
	}
	return nil
}

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
		b.WriteString("/" + parkPrefix + park)
	}
	b.WriteString("/" + enterprisePrefix + enterprise)
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
		case strings.HasPrefix(seg, enterprisePrefix):
			code := seg[len(enterprisePrefix):]
			if r.Division == "" || r.Enterprise != "" || !ValidCompanyCode(code) {
				return Resource{}, false
			}
			r.Enterprise = code
		case strings.HasPrefix(seg, parkPrefix):
			code := seg[len(parkPrefix):]
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
	case strings.HasPrefix(domain, enterprisePrefix):
		return r.Enterprise != "" && r.Enterprise == domain[len(enterprisePrefix):]
	case strings.HasPrefix(domain, parkPrefix):
		return r.Park != "" && r.Park == domain[len(parkPrefix):]
	}
	return Contains(domain, r.Division)
}
