package policy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/shandong-emergency/chemguard"
)

// 三员分立 (GB/T 22239 level 3, 8.1.4.2 访问控制): the system, security and audit
// administrators hold fixed permissions that none of them can change, hold no
// business role, and cannot create or take control of an account that could
// act as another of them. This file is the one place those rules live: the
// authorizer loads FixedPolicy whatever the stored policy says, the policy
// API asks CheckPolicyEdit, and account management asks CheckAccountTarget.

// adminObjects are the objects only the administrators' fixed permissions
// name: letting a business role (or a user) have one of them would reopen the
// separation through the back door (a county user reading the audit log, a
// role editing policy).
var adminObjects = []string{ObjSystem, ObjEnterprise, ObjUser, ObjPolicy, ObjAudit}

// businessActions are the actions a business permission may name, per object.
var businessActions = map[string][]string{
	ObjData:       {ActRead, ActWrite},
	ObjWarning:    {ActRead, ActHandle, ActApprove},
	ObjInspection: {ActRead, ActWrite},
	ObjShare:      {ActRead},
	ObjMFA:        {ActRequired},
}

// FixedPolicy is what the three administrator roles may do; it is set by the
// system, not stored, so no policy edit and no SQL can widen or narrow it.
func FixedPolicy() []Rule {
	return []Rule{
		Permission(string(SystemAdmin), ObjSystem, ActOperate),
		Permission(string(SystemAdmin), ObjEnterprise, ActRegister),
		Permission(string(SecurityAdmin), ObjUser, ActRead),
		Permission(string(SecurityAdmin), ObjUser, ActWrite),
		Permission(string(SecurityAdmin), ObjPolicy, ActRead),
		Permission(string(SecurityAdmin), ObjPolicy, ActWrite),
		Permission(string(AuditAdmin), ObjAudit, ActRead),
		Permission(string(AuditAdmin), ObjAudit, ActExport),
	}
}

// ErrFixedPolicy is returned (wrapped in a *chemguard.Error with code
// forbidden) for a policy edit that would touch what the system fixes.
var ErrFixedPolicy = errors.New("tiers: 三员分立: the administrators' permissions and the administrative objects are fixed by the system")

// CheckPolicyEdit returns nil if the permission "sub may act on obj" may be
// added or removed through the policy API: sub must be a business role (not one
// of the three administrators, not a user, not a made-up name), obj a business
// object or the second-factor mark, and act an action that object has. Anything
// else is a *chemguard.Error (forbidden wrapping ErrFixedPolicy, or invalid).
func CheckPolicyEdit(sub, obj, act string) error {
	role, known := ParseRole(sub)
	switch {
	case known && role.IsSeparatedAdmin():
		return fixed("三员分立：系统管理员、安全管理员、审计管理员的权限由系统固定，任何人不能增删",
			"the permissions of %s are fixed by the system", sub)
	case slices.Contains(adminObjects, obj):
		return fixed("三员分立：「%s」类权限只属于三类管理员，不能授予或收回",
			"object %q belongs to the administrators' fixed permissions", obj)
	case !known:
		return chemguard.Errorf(chemguard.EInvalid, "权限只能授予业务角色（如 county_staff），「%s」不是",
			"permissions are given to business roles (e.g. county_staff), not %q", sub)
	}
	acts, ok := businessActions[obj]
	if !ok {
		return chemguard.Errorf(chemguard.EInvalid, "未知的权限对象「%s」", "unknown object %q", obj)
	}
	if !slices.Contains(acts, act) {
		return chemguard.Errorf(chemguard.EInvalid, "权限对象「%s」没有操作「%s」（可用：%v）",
			"object %q has no action %q (one of %v)", obj, act, acts)
	}
	return nil
}

func fixed(zh, en string, arg string) error {
	return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: fmt.Sprintf(zh, arg),
		MessageEN: fmt.Sprintf(en, arg), Err: ErrFixedPolicy}
}

// storedRuleApplies reports whether a stored permission may take effect: the
// stored policy cannot speak for the administrators (FixedPolicy does) nor give
// an administrative object to anyone, whoever wrote the row.
func storedRuleApplies(sub, obj string) bool {
	role, known := ParseRole(sub)
	return known && !role.IsSeparatedAdmin() && !slices.Contains(adminObjects, obj)
}

// CheckAccountTarget returns nil if an account of role target, or one already
// holding targetHeld, may be created or changed (password reset, disable,
// enable, grant, revoke) through the API or the portal. Who may do it at all
// is the fixed permission "user write", the security administrator's alone;
// this adds that accounts holding an administrator role are out of its reach:
// they are managed only by the operator on the host (`chemguard user …`), so
// no administrator creates, resets, disables or re-roles another or itself.
// Unlocking is not a change of control and is not checked here.
func CheckAccountTarget(target Role, targetHeld []Role) error {
	if target.IsSeparatedAdmin() || slices.ContainsFunc(targetHeld, Role.IsSeparatedAdmin) {
		return &chemguard.Error{Code: chemguard.EForbidden,
			MessageZH: "三员分立：管理员账号（系统、安全、审计管理员）只能由运维人员在服务器上用 chemguard user 命令创建和管理",
			MessageEN: "three-role separation: administrator accounts are managed with the chemguard command on the host",
			Err:       ErrFixedPolicy}
	}
	return nil
}
