package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// AccountAction is a lifecycle action an administrator takes on one account;
// its value is the confirmation code the page shows after it.
type AccountAction string

// The account lifecycle actions.
const (
	AccountUnlocked AccountAction = "unlocked" // the lockout after failed logins lifted
	AccountReset    AccountAction = "reset"    // a new password set, to be changed at the next login
	AccountDisabled AccountAction = "disabled" // no login any more, its sessions ended
	AccountEnabled  AccountAction = "enabled"
)

// AccountActions are the account resource both administration areas offer —
// the regulators' 系统管理 (/portal/admin/users) and a company's 人员账号
// (/e/admin/accounts): the list, creation, one account's page and its edit,
// and the lifecycle actions taken on one account: unlock, reset the password,
// disable, enable. Each area brings its pages and says how it finds the
// account its path names and how it answers; the lifecycle actions run one
// way: find the account in the caller's scope, act through the identity
// service (which checks, audits and ends sessions), confirm.
type AccountActions struct {
	// List (GET path), Create (POST path), Show (GET path/param) and Update
	// (POST path/param; nil: none) are the area's own pages and forms.
	List, Create, Show, Update fiber.Handler

	// Account returns the username of the account the request's path names,
	// or the refusal when the caller may not manage it.
	Account func(c *fiber.Ctx) (username string, err error)
	// Password reads the new password from the reset form (nil: the field
	// "password" as sent; the identity service checks the password policy).
	Password      func(c *fiber.Ctx) (string, error)
	Unlock        func(c *fiber.Ctx, username string) error
	ResetPassword func(c *fiber.Ctx, username, password string) error
	// SetDisabled disables (true) or re-enables the account.
	SetDisabled func(c *fiber.Ctx, username string, disabled bool) error
	// Done answers a completed action (post/redirect/get to the account's page).
	Done func(c *fiber.Ctx, action AccountAction) error
	// Fail answers an account that cannot be found or managed (nil: the error
	// goes to the app's error handler).
	Fail func(c *fiber.Ctx, err error) error
	// Refused answers an action the identity service refused, such as a
	// password against the policy (nil: as Fail).
	Refused func(c *fiber.Ctx, err error) error
}

// Mount adds the resource on r under path ("/admin/users"), param naming one
// account (":username", ":id"): the pages, then the actions as POST
// path/param/unlock, …/password, …/disable and …/enable.
func (a AccountActions) Mount(r fiber.Router, path, param string) {
	r.Get(path, a.List)
	r.Post(path, a.Create)
	path += "/" + param
	r.Get(path, a.Show)
	if a.Update != nil {
		r.Post(path, a.Update)
	}
	r.Post(path+"/unlock", a.run(AccountUnlocked, a.Unlock))
	r.Post(path+"/password", a.run(AccountReset, func(c *fiber.Ctx, username string) error {
		password := strings.Clone(c.FormValue("password"))
		if a.Password != nil {
			var err error
			if password, err = a.Password(c); err != nil {
				return err
			}
		}
		return a.ResetPassword(c, username, password)
	}))
	r.Post(path+"/disable", a.run(AccountDisabled, func(c *fiber.Ctx, username string) error {
		return a.SetDisabled(c, username, true)
	}))
	r.Post(path+"/enable", a.run(AccountEnabled, func(c *fiber.Ctx, username string) error {
		return a.SetDisabled(c, username, false)
	}))
}

func (a AccountActions) run(action AccountAction, act func(c *fiber.Ctx, username string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		username, err := a.Account(c)
		if err != nil {
			return answer(c, a.Fail, err)
		}
		if err := act(c, username); err != nil {
			if a.Refused != nil {
				return a.Refused(c, err)
			}
			return answer(c, a.Fail, err)
		}
		return a.Done(c, action)
	}
}

// answer answers err with fail, or leaves it to the app's error handler.
func answer(c *fiber.Ctx, fail func(*fiber.Ctx, error) error, err error) error {
	if fail != nil {
		return fail(c, err)
	}
	return err
}
