package enterprise

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// adminRole manages the company's accounts, departments and posts.
const adminRole = policy.EnterpriseAdmin

// GrantableRoles are the roles a company administrator may give an account
// of the company, in the order the form offers them. 企业用户 (the API-era
// role) is not among them: the base system's roles replace it.
var GrantableRoles = []policy.Role{policy.EnterprisePrincipal, policy.EnterpriseSafety, policy.EnterpriseDeptHead,
	policy.EnterpriseStaff, policy.EnterpriseContractor, policy.EnterpriseAdmin}

func grantable(r policy.Role) bool {
	for _, g := range GrantableRoles {
		if g == r {
			return true
		}
	}
	return false
}

type accountsPage struct {
	Page
	Accounts    []Account
	Departments []Department
	Posts       []Post
	Roles       []policy.Role
	Form        accountForm
	Error       string
	Done        string
}

type accountForm struct {
	Username, DisplayName, Mobile string
	Role                          policy.Role
	Department                    int64
	Posts                         []int64
}

func (a *App) renderAccounts(c *fiber.Ctx, f accountForm, msg string) error {
	m := MemberFrom(c)
	ctx := c.UserContext()
	p := accountsPage{Page: NewPage(c, "人员账号", false), Roles: GrantableRoles, Form: f, Error: msg,
		Done: c.Query("done")}
	var err error
	if p.Accounts, err = a.members.Accounts(ctx, m.Company, a.cfg.Now()); err != nil {
		return err
	}
	if p.Departments, err = a.members.Departments(ctx, m.Company); err != nil {
		return err
	}
	if p.Posts, err = a.members.Posts(ctx, m.Company); err != nil {
		return err
	}
	return a.renderForm(c, "accounts", msg, p)
}

func (a *App) accountsPage(c *fiber.Ctx) error { return a.renderAccounts(c, accountForm{}, "") }

// formIDs reads the repeated form field name as ids.
func formIDs(c *fiber.Ctx, name string) []int64 {
	var out []int64
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			if id := parseID(string(v)); id > 0 {
				out = append(out, id)
			}
		}
	})
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		for _, v := range mf.Value[name] {
			if id := parseID(v); id > 0 {
				out = append(out, id)
			}
		}
	}
	return out
}

// createAccount creates a company account with identity (its password must be
// changed at the first login; lockout, second factor and audit as for
// regulators) and places it in its department and posts.
func (a *App) createAccount(c *fiber.Ctx) error {
	m := MemberFrom(c)
	f := accountForm{Username: strings.TrimSpace(c.FormValue("username")), DisplayName: strings.TrimSpace(c.FormValue("display_name")),
		Mobile: strings.TrimSpace(c.FormValue("mobile")), Role: policy.Role(c.FormValue("role")),
		Department: parseID(c.FormValue("department")), Posts: formIDs(c, "posts")}
	show := func(msg string) error { return a.renderAccounts(c, f, msg) }
	if !grantable(f.Role) {
		return show("请选择人员的角色")
	}
	if f.DisplayName == "" {
		return show("请填写姓名")
	}
	ctx := c.UserContext()
	// Department and posts are checked before the account exists, so a bad
	// choice leaves no half-made account behind.
	if f.Department != 0 || len(f.Posts) > 0 {
		if err := a.members.checkPlacement(ctx, m.Company, f.Department, f.Posts); err != nil {
			return a.formError(c, err, show)
		}
	}
	created, err := a.ident.CreateUser(ctx, identity.NewUser{Username: f.Username, DisplayName: f.DisplayName,
		Password: strings.Clone(c.FormValue("password")), Role: f.Role, Domain: tiers.EnterpriseDomain(m.Company),
		ByAdministrator: true}, a.actor(c))
	if err != nil {
		return a.formError(c, err, show)
	}
	if err := a.members.SetMembership(ctx, m.Company, created.User.ID, f.Department, f.Posts, a.cfg.Now()); err != nil {
		return err
	}
	if f.Mobile != "" {
		if err := a.ident.SetMobile(ctx, f.Username, f.Mobile, a.actor(c)); err != nil {
			return a.formError(c, err, func(msg string) error {
				return a.renderAccounts(c, accountForm{}, "账号「"+f.Username+"」已创建，但手机号未保存："+msg)
			})
		}
	}
	return c.Redirect(Prefix+"/admin/accounts?done="+f.Username, fiber.StatusSeeOther)
}

type accountEditPage struct {
	Page
	Account     Account
	Departments []Department
	Posts       []Post
	Roles       []policy.Role
	Error       string
	Done        string
}

// companyAccount returns the company's account :id (ENotFound for any other).
func (a *App) companyAccount(c *fiber.Ctx) (Account, error) {
	m := MemberFrom(c)
	id := parseID(c.Params("id"))
	all, err := a.members.Accounts(c.UserContext(), m.Company, a.cfg.Now())
	if err != nil {
		return Account{}, err
	}
	for _, acc := range all {
		if acc.UserID == id {
			return acc, nil
		}
	}
	return Account{}, chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %s 的账号", "the company has no account %s", c.Params("id"))
}

func (a *App) renderAccountEdit(c *fiber.Ctx, msg string) error {
	acc, err := a.companyAccount(c)
	if err != nil {
		return a.fail(c, err)
	}
	m := MemberFrom(c)
	p := accountEditPage{Page: NewPage(c, "人员账号："+acc.DisplayName, false), Account: acc, Roles: GrantableRoles,
		Error: msg, Done: c.Query("done")}
	if p.Departments, err = a.members.Departments(c.UserContext(), m.Company); err != nil {
		return err
	}
	if p.Posts, err = a.members.Posts(c.UserContext(), m.Company); err != nil {
		return err
	}
	return a.renderForm(c, "account_edit", msg, p)
}

func (a *App) accountEdit(c *fiber.Ctx) error { return a.renderAccountEdit(c, "") }

// updateAccount sets the account's role, department and posts.
func (a *App) updateAccount(c *fiber.Ctx) error {
	acc, err := a.companyAccount(c)
	if err != nil {
		return a.fail(c, err)
	}
	m := MemberFrom(c)
	ctx := c.UserContext()
	role := policy.Role(c.FormValue("role"))
	show := func(msg string) error { return a.renderAccountEdit(c, msg) }
	if !grantable(role) {
		return show("请选择人员的角色")
	}
	if acc.UserID == m.UserID && role != adminRole {
		return show("不能取消自己的企业管理员角色（请由另一位企业管理员操作）")
	}
	dep, posts := parseID(c.FormValue("department")), formIDs(c, "posts")
	if err := a.members.checkPlacement(ctx, m.Company, dep, posts); err != nil {
		return a.formError(c, err, show)
	}
	sub, domain := policy.UserSubject(acc.UserID), tiers.EnterpriseDomain(m.Company)
	if !acc.Has(role) {
		if err := a.grants.GrantRole(ctx, sub, role, domain, m.Username); err != nil {
			return a.formError(c, err, show)
		}
		for _, old := range acc.Roles {
			if old != role {
				if _, err := a.grants.RevokeRole(ctx, sub, old, domain, m.Username); err != nil {
					return err
				}
			}
		}
	}
	err = a.members.SetMembership(ctx, m.Company, acc.UserID, dep, posts, a.cfg.Now())
	if err := a.audited(c, "enterprise_member_update", "user:"+acc.Username,
		map[string]any{"role": string(role), "department": dep, "posts": posts}, err); err != nil {
		return a.formError(c, err, show)
	}
	return c.Redirect(Prefix+"/admin/accounts/"+strconv.FormatInt(acc.UserID, 10)+"?done=saved", fiber.StatusSeeOther)
}

// Has reports whether the account holds role.
func (acc Account) Has(role policy.Role) bool {
	for _, r := range acc.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// errDisableSelf keeps the last administrator from locking the company out.
var errDisableSelf = chemguard.Errorf(chemguard.EForbidden, "不能停用自己的账号", "you cannot disable your own account")

// accountActions are 人员账号: the list, creation, an account's page and edit,
// and 解锁, 重置密码 (the person changes it at the next login),
// 停用 and 启用 of the company's account :id, through identity (lockout,
// sessions and audit as for regulators); a refusal shows on the account's page.
func (a *App) accountActions() web.AccountActions {
	return web.AccountActions{List: a.accountsPage, Create: a.createAccount, Show: a.accountEdit, Update: a.updateAccount,
		Account: func(c *fiber.Ctx) (string, error) {
			acc, err := a.companyAccount(c)
			return acc.Username, err
		},
		Unlock: func(c *fiber.Ctx, username string) error {
			return a.ident.Unlock(c.UserContext(), username, a.actor(c))
		},
		ResetPassword: func(c *fiber.Ctx, username, password string) error {
			return a.ident.ResetPassword(c.UserContext(), username, password, a.actor(c))
		},
		SetDisabled: func(c *fiber.Ctx, username string, disabled bool) error {
			if username == MemberFrom(c).Username {
				return errDisableSelf
			}
			return a.ident.SetDisabled(c.UserContext(), username, disabled, a.actor(c))
		},
		Done: func(c *fiber.Ctx, action web.AccountAction) error {
			done := "saved"
			if action == web.AccountReset {
				done = "password"
			}
			return c.Redirect(Prefix+"/admin/accounts/"+c.Params("id")+"?done="+done, fiber.StatusSeeOther)
		},
		Fail: a.fail,
		Refused: func(c *fiber.Ctx, err error) error {
			return a.formError(c, err, func(msg string) error { return a.renderAccountEdit(c, msg) })
		},
	}
}

type departmentsPage struct {
	Page
	Departments []Department
	Posts       []Post
	People      []Person
	Error       string
}

func (a *App) renderDepartments(c *fiber.Ctx, msg string) error {
	m := MemberFrom(c)
	ctx := c.UserContext()
	p := departmentsPage{Page: NewPage(c, "部门与岗位", false), Error: msg}
	var err error
	if p.Departments, err = a.members.Departments(ctx, m.Company); err != nil {
		return err
	}
	if p.Posts, err = a.members.Posts(ctx, m.Company); err != nil {
		return err
	}
	if p.People, err = a.members.People(ctx, m.Company); err != nil {
		return err
	}
	return a.renderForm(c, "departments", msg, p)
}

func (a *App) departmentsPage(c *fiber.Ctx) error { return a.renderDepartments(c, "") }

// orgChange runs a change to departments or posts, audits it and goes back to
// the page (or shows the refusal there).
func (a *App) orgChange(c *fiber.Ctx, action, object string, detail any, err error) error {
	if err := a.audited(c, action, object, detail, err); err != nil {
		return a.formError(c, err, func(msg string) error { return a.renderDepartments(c, msg) })
	}
	return c.Redirect(Prefix+"/admin/departments", fiber.StatusSeeOther)
}

func (a *App) addDepartment(c *fiber.Ctx) error {
	m := MemberFrom(c)
	name := c.FormValue("name")
	d, err := a.members.AddDepartment(c.UserContext(), m.Company, name)
	return a.orgChange(c, "enterprise_department_add", "enterprise:"+m.Company+"/department/"+strconv.FormatInt(d.ID, 10),
		map[string]string{"name": name}, err)
}

func (a *App) updateDepartment(c *fiber.Ctx) error {
	m := MemberFrom(c)
	name, head := c.FormValue("name"), parseID(c.FormValue("head"))
	err := a.members.UpdateDepartment(c.UserContext(), m.Company, parseID(c.Params("id")), name, head)
	return a.orgChange(c, "enterprise_department_update", "enterprise:"+m.Company+"/department/"+c.Params("id"),
		map[string]any{"name": name, "head": head}, err)
}

func (a *App) deleteDepartment(c *fiber.Ctx) error {
	m := MemberFrom(c)
	err := a.members.DeleteDepartment(c.UserContext(), m.Company, parseID(c.Params("id")), a.cfg.Now())
	return a.orgChange(c, "enterprise_department_delete", "enterprise:"+m.Company+"/department/"+c.Params("id"), nil, err)
}

func (a *App) addPost(c *fiber.Ctx) error {
	m := MemberFrom(c)
	name, dep := c.FormValue("name"), parseID(c.FormValue("department"))
	p, err := a.members.AddPost(c.UserContext(), m.Company, dep, name)
	return a.orgChange(c, "enterprise_post_add", "enterprise:"+m.Company+"/post/"+strconv.FormatInt(p.ID, 10),
		map[string]any{"name": name, "department": dep}, err)
}

func (a *App) deletePost(c *fiber.Ctx) error {
	m := MemberFrom(c)
	err := a.members.DeletePost(c.UserContext(), m.Company, parseID(c.Params("id")), a.cfg.Now())
	return a.orgChange(c, "enterprise_post_delete", "enterprise:"+m.Company+"/post/"+c.Params("id"), nil, err)
}
