package auth

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// The administrators' operations. Each checks the caller's role and region for
// the object it changes (a refusal is audited and a forbidden error), makes the
// change through the owning package and records it in the audit log, failed
// attempts included. The admin API (/api/v1/admin/*) and the portal's 系统管理
// pages both call these, so the rules cannot drift apart.

// Audit actions of the enterprise registry.
const (
	ActionParkAdd            = "park.add"
	ActionEnterpriseRegister = "enterprise.register"
	ActionKeyRotate          = "enterprise.key_rotate"
	ActionKeysRevoke         = "enterprise.keys_revoke"
	ActionEnterpriseDisable  = "enterprise.disable"
	ActionEnterpriseEnable   = "enterprise.enable"
)

// Can reports whether the caller's roles allow act on obj somewhere in its
// domain, without recording anything (for showing or hiding a page's entry).
func (s *Service) Can(c *fiber.Ctx, obj, act string) bool {
	u := identity.UserFrom(c)
	return u != nil && s.Authz.Allowed(u.Subject(), u.Domain, obj, act, "")
}

// DomainPath is the resource path of a domain for the authorizer: a division's
// ancestors and itself, a park under its division, an enterprise under its
// county and park. An unknown park or enterprise gives "", which only a
// province-wide administrator's check ("" is reached by every domain) passes.
func (s *Service) DomainPath(ctx context.Context, domain string) string {
	switch {
	case strings.HasPrefix(domain, "park:"):
		p, err := s.Parks.Get(ctx, strings.TrimPrefix(domain, "park:"))
		if err != nil {
			return tiers.ProvinceCode
		}
		return tiers.RegionPath(p.DivisionCode) + "/" + domain
	case strings.HasPrefix(domain, "ent:"):
		e, err := s.Share.Enterprise(ctx, strings.TrimPrefix(domain, "ent:"))
		if err != nil {
			return tiers.ProvinceCode
		}
		return e.Path()
	}
	if _, ok := tiers.DivisionByCode(domain); ok {
		return tiers.RegionPath(domain)
	}
	return tiers.ProvinceCode
}

// CreateUser creates an account with one role (identity.Service.CreateUser
// checks the name, password, role and domain and 三员分立); the caller must
// manage users in the new account's domain, and the role must be a business
// one (policy.CheckAccountTarget: administrator accounts are made on the host).
// The account must change its password at the first login and enrols its own
// second factor then, so no TOTP secret is returned to its creator.
func (s *Service) CreateUser(c *fiber.Ctx, nu identity.NewUser) (*identity.Created, error) {
	if err := tiers.CheckDomainCode(nu.Domain); err != nil {
		return nil, s.recordChange(c, audit.ActionUserCreate, "user:"+nu.Username,
			map[string]string{"role": string(nu.Role), "domain": nu.Domain}, err)
	}
	if err := s.Check(c, policy.ObjUser, policy.ActWrite, s.DomainPath(c.UserContext(), nu.Domain)); err != nil {
		return nil, err
	}
	detail := map[string]string{"role": string(nu.Role), "domain": nu.Domain}
	if err := checkNotCompany(nu.Role, nu.Domain); err != nil {
		return nil, s.recordChange(c, audit.ActionUserCreate, "user:"+nu.Username, detail, err)
	}
	if err := policy.CheckAccountTarget(nu.Role, nil); err != nil {
		return nil, s.recordChange(c, audit.ActionUserCreate, "user:"+nu.Username, detail, err)
	}
	nu.ByAdministrator = true
	created, err := s.Identity.CreateUser(c.UserContext(), nu, s.actor(c))
	if err != nil {
		// Success is recorded by identity; a refused creation is recorded here.
		return nil, s.recordChange(c, audit.ActionUserCreate, "user:"+nu.Username, detail, err)
	}
	return created, nil
}

// errCompanyAccount refuses a regulator making or granting a company's account.
var errCompanyAccount = chemguard.Errorf(chemguard.EInvalid,
	"企业的账号由企业管理员在企业安全生产基础系统（/e/）中创建和授权；监管部门只能在“企业登记”中为企业开通第一个企业管理员账号（企业用户角色已停用）",
	"a company's accounts are created and granted by its administrator in the base system (/e/); a regulator only issues the company's first 企业管理员 under 企业登记 (the 企业用户 role is retired)")

// checkNotCompany refuses a company role, or any role in a company's domain,
// for an account a regulator makes or grants: company people are the
// company's administrator's to manage (enterprise admin pages), and the
// first administrator is issued with the registration (IssueCompanyAdmin).
func checkNotCompany(role policy.Role, domain string) error {
	if role.IsCompany() || strings.HasPrefix(domain, tiers.EnterprisePrefix) {
		return errCompanyAccount
	}
	return nil
}

// account loads username and checks the caller may manage users in its domain;
// with control set, also that the account is a business one
// (policy.CheckAccountTarget), recording a refusal as a failed action.
func (s *Service) account(c *fiber.Ctx, username, action string, control bool) (*identity.User, error) {
	u, err := s.Identity.UserByName(c.UserContext(), username)
	if err != nil {
		return nil, err
	}
	if err := s.Check(c, policy.ObjUser, policy.ActWrite, s.DomainPath(c.UserContext(), u.Domain)); err != nil {
		return nil, err
	}
	if control {
		if err := policy.CheckAccountTarget("", u.Roles); err != nil {
			return nil, s.recordChange(c, action, "user:"+username, nil, err)
		}
	}
	return u, nil
}

// UnlockUser clears username's lockout. Any account the caller reaches, the
// administrators' included: unlocking gives no one the account.
func (s *Service) UnlockUser(c *fiber.Ctx, username string) error {
	if _, err := s.account(c, username, audit.ActionUserUnlock, false); err != nil {
		return err
	}
	return s.Identity.Unlock(c.UserContext(), username, s.actor(c))
}

// ResetPassword sets username's password and ends its sessions; its owner must
// change it at the next login.
func (s *Service) ResetPassword(c *fiber.Ctx, username, password string) error {
	if _, err := s.account(c, username, audit.ActionPasswordReset, true); err != nil {
		return err
	}
	err := s.Identity.ResetPassword(c.UserContext(), username, password, s.actor(c))
	if err != nil && chemguard.ErrorCode(err) != chemguard.EInternal {
		return s.recordChange(c, audit.ActionPasswordReset, "user:"+username, nil, err)
	}
	return err
}

// SetDisabled disables (or re-enables) username; its sessions end at once.
func (s *Service) SetDisabled(c *fiber.Ctx, username string, disabled bool) error {
	action := identity.ActionUserEnable
	if disabled {
		action = identity.ActionUserDisable
	}
	if _, err := s.account(c, username, action, true); err != nil {
		return err
	}
	if u := identity.UserFrom(c); disabled && u != nil && u.Username == username {
		return s.recordChange(c, action, "user:"+username, nil,
			chemguard.Errorf(chemguard.EInvalid, "不能停用自己的账号", "you cannot disable your own account"))
	}
	return s.Identity.SetDisabled(c.UserContext(), username, disabled, s.actor(c))
}

// SetMobile sets the mobile number username's warning SMS go to ("" clears it).
func (s *Service) SetMobile(c *fiber.Ctx, username, mobile string) error {
	if _, err := s.account(c, username, audit.ActionUserMobile, true); err != nil {
		return err
	}
	err := s.Identity.SetMobile(c.UserContext(), username, mobile, s.actor(c))
	if err != nil && chemguard.ErrorCode(err) != chemguard.EInternal {
		return s.recordChange(c, audit.ActionUserMobile, "user:"+username, nil, err)
	}
	return err
}

// GrantRole gives username role in domain ("" for the account's own domain,
// the only one allowed). Neither the role nor the account may be an
// administrator's (policy.CheckAccountTarget), and the authorizer refuses a
// role of the wrong kind of domain and any mix that breaks 三员分立.
func (s *Service) GrantRole(c *fiber.Ctx, username string, role policy.Role, domain string) error {
	u, err := s.account(c, username, audit.ActionGrant, false)
	if err != nil {
		return err
	}
	if domain == "" {
		domain = u.Domain
	}
	detail := map[string]string{"username": username, "role": string(role), "domain": domain}
	if terr := checkNotCompany(role, domain); terr != nil {
		err = terr
	} else if terr := policy.CheckAccountTarget(role, u.Roles); terr != nil {
		err = terr
	} else if domain != u.Domain {
		err = chemguard.Errorf(chemguard.EInvalid, "角色只能授予在账号所属的区划、园区或企业内", "roles are granted in the account's own domain (%s)", u.Domain)
	} else {
		err = s.Authz.GrantRole(c.UserContext(), u.Subject(), role, domain, s.actor(c).Name)
	}
	if err != nil && chemguard.ErrorCode(err) == chemguard.EInternal {
		err = &chemguard.Error{Code: chemguard.EConflict, MessageZH: "无法授予该角色：角色与区划不符，或违反三员分立",
			MessageEN: err.Error(), Err: err}
	}
	return s.recordChange(c, audit.ActionGrant, "user:"+u.Username, detail, err)
}

// RevokeRole takes role in domain ("" for the account's own) from username.
func (s *Service) RevokeRole(c *fiber.Ctx, username string, role policy.Role, domain string) error {
	u, err := s.account(c, username, audit.ActionRevoke, false)
	if err != nil {
		return err
	}
	if domain == "" {
		domain = u.Domain
	}
	had := false
	if err = policy.CheckAccountTarget(role, u.Roles); err == nil {
		had, err = s.Authz.RevokeRole(c.UserContext(), u.Subject(), role, domain, s.actor(c).Name)
	}
	if err == nil && !had {
		err = chemguard.Errorf(chemguard.ENotFound, "该账号没有此角色", "the account does not hold that role")
	}
	return s.recordChange(c, audit.ActionRevoke, "user:"+u.Username,
		map[string]string{"username": username, "role": string(role), "domain": domain}, err)
}

// AddPark registers a chemical park under a city or county of the caller's region.
func (s *Service) AddPark(c *fiber.Ctx, p tiers.Park) error {
	res := tiers.ProvinceCode
	if _, ok := tiers.DivisionByCode(p.DivisionCode); ok {
		res = tiers.RegionPath(p.DivisionCode)
	}
	if err := s.Check(c, policy.ObjEnterprise, policy.ActRegister, res); err != nil {
		return err
	}
	return s.recordChange(c, ActionParkAdd, "park:"+p.Code, p, s.Parks.Add(c.UserContext(), p))
}

// checkEnterprise validates a registration: the code as the exchange tables'
// COMPANY_CODE (tiers.CheckCompanyCode), a name, a Shandong county, a known kind and,
// when given, an existing park.
func (s *Service) checkEnterprise(ctx context.Context, e store.Enterprise) error {
	invalid := func(zh, en string) error {
		return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: en}
	}
	switch {
	case !tiers.ValidCompanyCode(e.Code):
		return tiers.CheckCompanyCode(e.Code)
	case strings.TrimSpace(e.Name) == "" || utf8.RuneCountInString(e.Name) > 200:
		return invalid("企业名称为必填项，最多 200 个字符", "name: required, at most 200 characters")
	case !tiers.IsCounty(e.DivisionCode):
		return invalid("所属区县须为山东省的县级行政区划代码（GB/T 2260），如 370102 历下区", "division_code must be a Shandong county (GB/T 2260)")
	}
	if e.Kind != "" && !slices.Contains(store.EnterpriseKinds, e.Kind) {
		return invalid("企业类型须为生产、经营、使用或加油站", "kind must be 生产, 经营, 使用 or 加油站")
	}
	if e.ParkCode != "" {
		if err := tiers.CheckParkCode(e.ParkCode); err != nil {
			return err
		}
		p, err := s.Parks.Get(ctx, e.ParkCode)
		if err != nil {
			return err
		}
		if !tiers.Contains(p.DivisionCode, e.DivisionCode) {
			return invalid("企业所属区县不在该化工园区所在的行政区划内", "the enterprise's county is outside the park's division")
		}
	}
	return nil
}

// RegisterEnterprise registers a company in the caller's region and issues its
// first exchange API key and signing secret, returned once (only the key's hash
// and the sealed secret are stored).
func (s *Service) RegisterEnterprise(c *fiber.Ctx, e store.Enterprise) (store.Credentials, error) {
	ctx := c.UserContext()
	res := tiers.EnterprisePath(e.DivisionCode, e.ParkCode, e.Code)
	if res == "" {
		res = tiers.ProvinceCode
	}
	if err := s.Check(c, policy.ObjEnterprise, policy.ActRegister, res); err != nil {
		return store.Credentials{}, err
	}
	var cred store.Credentials
	err := s.checkEnterprise(ctx, e)
	if err == nil {
		err = s.Enterprises.Add(ctx, e)
	}
	if err == nil {
		cred, err = s.Enterprises.IssueCredentials(ctx, e.Code)
	}
	return cred, s.recordChange(c, ActionEnterpriseRegister, "ent:"+e.Code, e, err)
}

// enterprise loads code and checks the caller may manage it.
func (s *Service) enterprise(c *fiber.Ctx, code string) error {
	e, err := s.Share.Enterprise(c.UserContext(), code)
	res := e.Path()
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		res = tiers.ProvinceCode
	} else if err != nil {
		return err
	}
	if cerr := s.Check(c, policy.ObjEnterprise, policy.ActRegister, res); cerr != nil {
		return cerr
	}
	return err
}

// RotateKey issues a new API key and signing secret for the company, returned
// once, and revokes every older key; it returns how many it revoked.
func (s *Service) RotateKey(c *fiber.Ctx, code string) (store.Credentials, int64, error) {
	if err := s.enterprise(c, code); err != nil {
		return store.Credentials{}, 0, err
	}
	cred, err := s.Enterprises.IssueCredentials(c.UserContext(), code)
	var n int64
	if err == nil {
		n, err = s.Enterprises.RevokeKeys(c.UserContext(), code, cred.Key)
	}
	return cred, n, s.recordChange(c, ActionKeyRotate, "ent:"+code, map[string]int64{"revoked": n}, err)
}

// RevokeKeys revokes every key of the company (it can no longer send data until
// a key is rotated in) and returns how many.
func (s *Service) RevokeKeys(c *fiber.Ctx, code string) (int64, error) {
	if err := s.enterprise(c, code); err != nil {
		return 0, err
	}
	n, err := s.Enterprises.RevokeKeys(c.UserContext(), code, "")
	return n, s.recordChange(c, ActionKeysRevoke, "ent:"+code, map[string]int64{"revoked": n}, err)
}

// SetEnterpriseDisabled disables the company (its API keys stop working, its
// records and keys are kept) or enables it again; the caller must manage it.
func (s *Service) SetEnterpriseDisabled(c *fiber.Ctx, code string, disabled bool) error {
	if err := s.enterprise(c, code); err != nil {
		return err
	}
	action := ActionEnterpriseEnable
	if disabled {
		action = ActionEnterpriseDisable
	}
	changed, err := s.Enterprises.SetDisabled(c.UserContext(), code, disabled)
	return s.recordChange(c, action, "ent:"+code, map[string]bool{"changed": changed}, err)
}

// ActionCompanyAdminIssue is the audit action of issuing a company's
// 企业管理员 account with its registration.
const ActionCompanyAdminIssue = "enterprise.admin_issue"

// IssueCompanyAdmin creates the company's 企业管理员 account username (the one
// who then creates the company's own accounts in the base system) and returns
// its random one-time password, once (only its hash is stored; it must be
// changed at the first login). It belongs with the company's registration, so the
// registrar (who may manage the company) issues it; it is refused while the
// company has an active 企业管理员 — later ones are the company's own to
// create. Audited, refusals included.
func (s *Service) IssueCompanyAdmin(c *fiber.Ctx, code, username, displayName string) (string, error) {
	if err := s.enterprise(c, code); err != nil {
		return "", err
	}
	ctx := c.UserContext()
	detail := map[string]string{"username": username}
	var active bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users u JOIN casbin_rules r ON r.ptype = 'g' AND r.removed_at IS NULL
		AND r.v0 = 'u:' || u.id AND r.v1 = $2 AND r.v2 = u.domain
		WHERE u.domain = $1 AND u.disabled_at IS NULL)`, tiers.EnterpriseDomain(code), string(policy.EnterpriseAdmin)).Scan(&active)
	if err == nil && active {
		err = chemguard.Errorf(chemguard.EConflict, "企业「%s」已有在用的企业管理员账号；其他账号由企业管理员在企业端基础系统中创建",
			"company %s already has an active 企业管理员; further accounts are created by it in the base system", code)
	}
	var password string
	if err == nil {
		password = identity.NewOneTimePassword()
		_, err = s.Identity.CreateUser(ctx, identity.NewUser{Username: username, DisplayName: displayName,
			Password: password, Role: policy.EnterpriseAdmin, Domain: tiers.EnterpriseDomain(code), ByAdministrator: true}, s.actor(c))
	}
	if err != nil {
		password = ""
	}
	return password, s.recordChange(c, ActionCompanyAdminIssue, "ent:"+code, detail, err)
}
