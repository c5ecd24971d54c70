package auth

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/form"
)

// registerAdmin mounts the administrators' routes:
//
//	POST   /admin/users                    安全管理员: create an account with a role
//	POST   /admin/users/:username/unlock   安全管理员: clear a lockout
//	POST   /admin/users/:username/password 安全管理员: reset the password {password}; ends its sessions
//	POST   /admin/users/:username/disable  安全管理员: disable the account (kept); ends its sessions
//	POST   /admin/users/:username/enable   安全管理员: enable it again
//	POST   /admin/grants                   安全管理员: grant {username, role, domain}
//	DELETE /admin/grants                   安全管理员: revoke {username, role, domain}
//	GET    /admin/policy                   安全管理员: the permissions and grants
//	POST   /admin/policy                   安全管理员: add {subject, object, action}
//	DELETE /admin/policy                   安全管理员: remove {subject, object, action}
//	GET    /system/status                  系统管理员: platform status
//	POST   /admin/parks                    系统管理员: register a chemical park {code, name, division_code}
//	POST   /admin/enterprises              系统管理员: register a company {code, name, division_code, park_code, kind}; its first key, shown once
//	POST   /admin/enterprises/:code/keys   系统管理员: rotate the key: a new one shown once, the others revoked
//	DELETE /admin/enterprises/:code/keys   系统管理员: revoke every key
//	POST   /admin/enterprises/:code/admin  系统管理员: issue the company's 企业管理员 {username, display_name}; its one-time password, shown once
//	POST   /admin/enterprises/:code/disable 系统管理员: disable the company (kept; its keys stop working)
//	POST   /admin/enterprises/:code/enable  系统管理员: enable it again
//
// Which accounts and permissions each administrator may change is 三员分立
// (tiers/separation.go): business accounts and business permissions only.
// Every change is audited and takes effect at once, in every process within the
// policy reload interval. The handlers decode and answer; the rules are in the
// Service methods (manage.go) that the portal calls too.
func (s *Service) registerAdmin(api fiber.Router) {
	api.Post("/admin/users", s.Require(policy.ObjUser, policy.ActWrite), s.createUser)
	api.Post("/admin/users/:username/unlock", s.Require(policy.ObjUser, policy.ActWrite), s.unlockUser)
	api.Post("/admin/users/:username/password", s.Require(policy.ObjUser, policy.ActWrite), s.resetPassword)
	api.Post("/admin/users/:username/disable", s.Require(policy.ObjUser, policy.ActWrite), s.disableUser(true))
	api.Post("/admin/users/:username/enable", s.Require(policy.ObjUser, policy.ActWrite), s.disableUser(false))
	api.Post("/admin/grants", s.Require(policy.ObjUser, policy.ActWrite), s.grant)
	api.Delete("/admin/grants", s.Require(policy.ObjUser, policy.ActWrite), s.revoke)
	api.Get("/admin/policy", s.Require(policy.ObjPolicy, policy.ActRead), s.policy)
	api.Post("/admin/policy", s.Require(policy.ObjPolicy, policy.ActWrite), s.addPermission)
	api.Delete("/admin/policy", s.Require(policy.ObjPolicy, policy.ActWrite), s.removePermission)
	api.Get("/system/status", s.Require(policy.ObjSystem, policy.ActOperate), s.status)
	api.Post("/admin/parks", s.Require(policy.ObjEnterprise, policy.ActRegister), s.addPark)
	api.Post("/admin/enterprises", s.Require(policy.ObjEnterprise, policy.ActRegister), s.registerEnterprise)
	api.Post("/admin/enterprises/:code/keys", s.Require(policy.ObjEnterprise, policy.ActRegister), s.rotateKey)
	api.Delete("/admin/enterprises/:code/keys", s.Require(policy.ObjEnterprise, policy.ActRegister), s.revokeKeys)
	api.Post("/admin/enterprises/:code/admin", s.Require(policy.ObjEnterprise, policy.ActRegister), s.issueCompanyAdmin)
	api.Post("/admin/enterprises/:code/disable", s.Require(policy.ObjEnterprise, policy.ActRegister), s.disableEnterprise(true))
	api.Post("/admin/enterprises/:code/enable", s.Require(policy.ObjEnterprise, policy.ActRegister), s.disableEnterprise(false))
}

// parkForm is POST /admin/parks. tiers.CheckPark checks the same again for
// every other door (the command line).
type parkForm struct {
	Code         string `json:"code" label:"园区编码" validate:"park_code"`
	Name         string `json:"name" label:"园区名称" validate:"notblank"`
	DivisionCode string `json:"division_code" label:"园区所在行政区划" validate:"city_or_county"`
}

// addPark registers a chemical park (化工园区) under a city or county, audited.
func (s *Service) addPark(c *fiber.Ctx) error {
	var req parkForm
	var p tiers.Park
	if err := s.bindChange(c, &req, ActionParkAdd, func() (string, any) {
		p = tiers.Park{Code: req.Code, Name: req.Name, DivisionCode: req.DivisionCode}
		return "park:" + p.Code, p
	}); err != nil {
		return err
	}
	if err := s.AddPark(c, p); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"code": p.Code, "name": p.Name, "division_code": p.DivisionCode})
}

func init() {
	form.Register("enterprise_kind", func(s string) bool { return slices.Contains(store.EnterpriseKinds, s) },
		"{0}须为生产、经营、使用或加油站", "{0} must be 生产, 经营, 使用 or 加油站")
}

// enterpriseForm is POST /admin/enterprises. Whether the park exists and holds
// the county is the service's check (checkEnterprise), which every door passes.
type enterpriseForm struct {
	Code         string `json:"code" label:"企业编码" validate:"company_code"`
	Name         string `json:"name" label:"企业名称" validate:"notblank,max=200"`
	DivisionCode string `json:"division_code" label:"所属区县" validate:"county_code"`
	ParkCode     string `json:"park_code" label:"所属化工园区" validate:"omitempty,park_code"`
	Kind         string `json:"kind" label:"企业类型" validate:"omitempty,enterprise_kind"`
}

func (s *Service) registerEnterprise(c *fiber.Ctx) error {
	var req enterpriseForm
	var e store.Enterprise
	if err := s.bindChange(c, &req, ActionEnterpriseRegister, func() (string, any) {
		e = store.Enterprise{Code: req.Code, Name: req.Name, DivisionCode: req.DivisionCode, ParkCode: req.ParkCode, Kind: req.Kind}
		return "ent:" + e.Code, e
	}); err != nil {
		return err
	}
	cred, err := s.RegisterEnterprise(c, e)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"code": req.Code, "api_key": cred.Key, "signing_secret": cred.SigningSecret})
}

func (s *Service) issueCompanyAdmin(c *fiber.Ctx) error {
	var req struct {
		Username    string `json:"username" label:"用户名" validate:"required"`
		DisplayName string `json:"display_name" label:"姓名" validate:"required,max=50"`
	}
	if err := c.BodyParser(&req); err != nil {
		return chemguard.Errorf(chemguard.EMalformed, "请求体应为 JSON：{username, display_name}", "the body must be JSON {username, display_name}")
	}
	if err := form.Check(&req); err != nil {
		return err
	}
	password, err := s.IssueCompanyAdmin(c, strings.Clone(c.Params("code")), req.Username, req.DisplayName)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"username": req.Username, "password": password,
		"must_change_password": true, "login": "/e/login"})
}

func (s *Service) rotateKey(c *fiber.Ctx) error {
	cred, n, err := s.RotateKey(c, c.Params("code"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"api_key": cred.Key, "signing_secret": cred.SigningSecret, "revoked": n})
}

func (s *Service) revokeKeys(c *fiber.Ctx) error {
	n, err := s.RevokeKeys(c, c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": n})
}

func (s *Service) disableEnterprise(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.SetEnterpriseDisabled(c, c.Params("code"), disabled); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (s *Service) actor(c *fiber.Ctx) identity.Actor {
	return identity.ActorOf(identity.UserFrom(c), c.IP())
}

// userForm is POST /admin/users. The username's characters, the password
// policy and whether the role fits the domain are identity's and policy's
// checks, which the command line passes too.
type userForm struct {
	Username    string `json:"username" label:"用户名" validate:"required,min=3,max=64"`
	DisplayName string `json:"display_name" label:"姓名" validate:"max=100"`
	Password    string `json:"password" label:"初始密码" validate:"required"`
	Role        string `json:"role" label:"角色" validate:"required"`
	Domain      string `json:"domain" label:"所属区划、园区或企业" validate:"required"`
}

func (s *Service) createUser(c *fiber.Ctx) error {
	var req userForm
	if err := s.bindChange(c, &req, audit.ActionUserCreate, func() (string, any) {
		return "user:" + req.Username, map[string]string{"role": req.Role, "domain": req.Domain}
	}); err != nil {
		return err
	}
	created, err := s.CreateUser(c, identity.NewUser{Username: req.Username,
		DisplayName: req.DisplayName, Password: req.Password, Role: policy.Role(req.Role), Domain: req.Domain})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": created.User.ID, "username": created.User.Username,
		"totp_secret": created.TOTPSecret, "otpauth_url": created.TOTPURL})
}

func (s *Service) unlockUser(c *fiber.Ctx) error {
	if err := s.UnlockUser(c, c.Params("username")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) resetPassword(c *fiber.Ctx) error {
	var req struct {
		Password string `json:"password" label:"新密码" validate:"required"`
	}
	if err := form.Bind(c, &req); err != nil {
		return err
	}
	if err := s.ResetPassword(c, c.Params("username"), req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) disableUser(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.SetDisabled(c, c.Params("username"), disabled); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// grantRequest is POST and DELETE /admin/grants. An empty domain is the
// account's own (GrantRole), so it is not required.
type grantRequest struct {
	Username string `json:"username" label:"用户名" validate:"required"`
	Role     string `json:"role" label:"角色" validate:"required"`
	Domain   string `json:"domain" label:"区划、园区或企业"`
}

// bindChange reads the body into req and checks it, like form.Bind, but a refused
// field is audited as a failed action on the object change names, with its detail:
// an administrator's rejected attempt is on record. A body that cannot be read is
// not. change is called once the body is read, so it may also keep what it builds.
func (s *Service) bindChange(c *fiber.Ctx, req any, action string, change func() (object string, detail any)) error {
	if err := c.BodyParser(req); err != nil {
		return form.ErrMalformed
	}
	object, detail := change()
	if err := form.Check(req); err != nil {
		return s.recordChange(c, action, object, detail, err)
	}
	return nil
}

func (s *Service) recordChange(c *fiber.Ctx, action, object string, detail any, err error) error {
	ev := s.Actor(c)
	ev.Action, ev.Object, ev.Result, ev.Detail = action, object, audit.ResultOK, detail
	if err != nil {
		ev.Result = audit.ResultFailed
	}
	if aerr := s.Audit.Record(c.UserContext(), ev); aerr != nil {
		return aerr
	}
	return err
}

func (s *Service) grant(c *fiber.Ctx) error {
	var req grantRequest
	if err := form.Bind(c, &req); err != nil {
		return err
	}
	if err := s.GrantRole(c, req.Username, policy.Role(req.Role), req.Domain); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) revoke(c *fiber.Ctx) error {
	var req grantRequest
	if err := form.Bind(c, &req); err != nil {
		return err
	}
	if err := s.RevokeRole(c, req.Username, policy.Role(req.Role), req.Domain); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
func (s *Service) policy(c *fiber.Ctx) error {
	var perms, grants []fiber.Map
	for _, r := range s.Authz.Policy() {
		if r.PType == "p" {
			// fixed: set by the system (三员分立), not editable here.
			perms = append(perms, fiber.Map{"subject": r.V[0], "object": r.V[1], "action": r.V[2],
				"fixed": policy.CheckPolicyEdit(r.V[0], r.V[1], r.V[2]) != nil})
		} else {
			grants = append(grants, fiber.Map{"subject": r.V[0], "role": r.V[1], "domain": r.V[2]})
		}
	}
	return c.JSON(fiber.Map{"permissions": perms, "grants": grants})
}

type permissionRequest struct {
	Subject string `json:"subject" label:"角色（subject）" validate:"required"`
	Object  string `json:"object" label:"权限对象（object）" validate:"required"`
	Action  string `json:"action" label:"操作（action）" validate:"required"`
}

func (s *Service) permission(c *fiber.Ctx) (permissionRequest, error) {
	var req permissionRequest
	return req, form.Bind(c, &req)
}

func (s *Service) addPermission(c *fiber.Ctx) error {
	req, err := s.permission(c)
	if err != nil {
		return err
	}
	err = s.Authz.AddPermission(c.UserContext(), req.Subject, req.Object, req.Action, s.actor(c).Name)
	if err := s.recordChange(c, audit.ActionPolicy, "policy", fiber.Map{"add": req}, err); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) removePermission(c *fiber.Ctx) error {
	req, err := s.permission(c)
	if err != nil {
		return err
	}
	had, err := s.Authz.RemovePermission(c.UserContext(), req.Subject, req.Object, req.Action, s.actor(c).Name)
	if err == nil && !had {
		err = chemguard.Errorf(chemguard.ENotFound, "没有该策略规则", "no such permission")
	}
	if err := s.recordChange(c, audit.ActionPolicy, "policy", fiber.Map{"remove": req}, err); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) status(c *fiber.Ctx) error {
	var users, enterprises, sessions int
	if err := s.pool.QueryRow(c.UserContext(), `SELECT
		(SELECT count(*) FROM users WHERE disabled_at IS NULL),
		(SELECT count(*) FROM enterprises WHERE disabled_at IS NULL),
		(SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > now())`).Scan(&users, &enterprises, &sessions); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"users": users, "enterprises": enterprises, "active_sessions": sessions})
}
