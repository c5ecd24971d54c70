package policy

import (
	"fmt"
	"strings"

	"github.com/shandong-emergency/chemguard/tiers"
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
	// The hosted base system's roles inside a company (issue 15). They are
	// granted in the company's domain by its 企业管理员 and never reach the
	// regulators' pages.
	EnterprisePrincipal  Role = "enterprise_principal"  // 主要负责人
	EnterpriseSafety     Role = "enterprise_safety"     // 企业安全管理员
	EnterpriseDeptHead   Role = "enterprise_dept_head"  // 部门负责人
	EnterpriseStaff      Role = "enterprise_staff"      // 岗位员工
	EnterpriseContractor Role = "enterprise_contractor" // 承包商 (limited)
	SystemAdmin          Role = "system_admin"          // 系统管理员
	SecurityAdmin        Role = "security_admin"        // 安全管理员
	AuditAdmin           Role = "audit_admin"           // 审计管理员
	ShareService         Role = "share_service"         // 市县数据共享服务账号
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
	ProvinceLeader:       {"省级监管领导", scopeProvince},
	ProvinceStaff:        {"省级监管人员", scopeProvince},
	CityLeader:           {"市级监管领导", scopeCity},
	CityStaff:            {"市级监管人员", scopeCity},
	CountyLeader:         {"县级监管领导", scopeCounty},
	CountyStaff:          {"县级监管人员", scopeCounty},
	ParkLeader:           {"园区监管领导", scopePark},
	ParkStaff:            {"园区监管人员", scopePark},
	Inspector:            {"巡查检查人员", scopeRegion},
	EnterpriseAdmin:      {"企业管理员", scopeEnterprise},
	EnterpriseUser:       {"企业用户", scopeEnterprise},
	EnterprisePrincipal:  {"主要负责人", scopeEnterprise},
	EnterpriseSafety:     {"企业安全管理员", scopeEnterprise},
	EnterpriseDeptHead:   {"部门负责人", scopeEnterprise},
	EnterpriseStaff:      {"岗位员工", scopeEnterprise},
	EnterpriseContractor: {"承包商", scopeEnterprise},
	SystemAdmin:          {"系统管理员", scopeProvince},
	SecurityAdmin:        {"安全管理员", scopeProvince},
	AuditAdmin:           {"审计管理员", scopeProvince},
	ShareService:         {"数据共享服务账号", scopeCityOrCounty},
}

// Roles returns every role, in a fixed order.
func Roles() []Role {
	return []Role{ProvinceLeader, ProvinceStaff, CityLeader, CityStaff, CountyLeader, CountyStaff,
		ParkLeader, ParkStaff, Inspector, EnterpriseAdmin, EnterpriseUser, EnterprisePrincipal, EnterpriseSafety,
		EnterpriseDeptHead, EnterpriseStaff, EnterpriseContractor, SystemAdmin, SecurityAdmin,
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

// IsCompany reports whether r is a role inside one company (企业管理员, the
// legacy 企业用户 and the base system's roles): such accounts are made by the
// company's own administrator in the base system, never by a regulator.
func (r Role) IsCompany() bool { return roles[r].scope == scopeEnterprise }

// AlwaysRequiresTOTP reports whether r needs a second factor whatever the policy
// says: the three administrator roles do.
func (r Role) AlwaysRequiresTOTP() bool { return r.IsSeparatedAdmin() }

// CheckGrant returns an error unless role may be granted in domain: a county role
// in a county code, a city role in a city code, a park role in a park domain, an
// enterprise role in an enterprise domain, the administrator and province roles
// in the province (370000), a share service account in a city or county.
func CheckGrant(role Role, domain string) error {
	info, ok := roles[role]
	if !ok {
		return fmt.Errorf("tiers: grant: unknown role %q", role)
	}
	level := tiers.Level(0)
	if d, ok := tiers.DivisionByCode(domain); ok {
		level = d.Level
	}
	isPark := strings.HasPrefix(domain, tiers.ParkPrefix) && tiers.ValidParkCode(domain[len(tiers.ParkPrefix):])
	isEnt := strings.HasPrefix(domain, tiers.EnterprisePrefix) && tiers.ValidCompanyCode(domain[len(tiers.EnterprisePrefix):])
	var good bool
	switch info.scope {
	case scopeProvince:
		good = level == tiers.Province
	case scopeCity:
		good = level == tiers.City
	case scopeCounty:
		good = level == tiers.County
	case scopePark:
		good = isPark
	case scopeRegion:
		good = level != 0 || isPark
	case scopeEnterprise:
		good = isEnt
	case scopeCityOrCounty:
		good = level == tiers.City || level == tiers.County
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
