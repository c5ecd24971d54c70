package opscmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/tiers"
)

var userCommand = command{name: "user", actions: "add, unlock, mobile, password, disable or enable", required: "username", flags: [][2]string{
	{"username", "login name"},
	{"name", "display name"},
	{"role", "role code, e.g. county_staff, security_admin (see README)"},
	{"region", "GB/T 2260 division code of the account (province, city or county)"},
	{"enterprise", "company code, for enterprise_admin (the company's first; it creates the others in /e)"},
	{"park", "chemical park code, for park_leader and park_staff"},
	{"mobile", "mobile number warning SMS are sent to (user add, user mobile; empty clears)"},
}}

// User is `chemguard user add|unlock|mobile|password|disable|enable`. The
// operator on the host is the only one who creates and manages the accounts of
// the three administrators (三员分立: none of them can through the API or the
// portal); an administrator created here gets its TOTP secret printed once.
func User(ctx context.Context, args []string, stdin *os.File, stdout io.Writer) error {
	action, f, svc, closeDB, err := start(ctx, userCommand, args, platform.OpenAccess)
	if err != nil {
		return err
	}
	defer closeDB()
	username := f["username"]
	switch action {
	case "add":
		r, ok := policy.ParseRole(f["role"])
		if !ok {
			return fmt.Errorf("user add: unknown --role %q; one of %v", f["role"], policy.Roles())
		}
		if r.IsCompany() && r != policy.EnterpriseAdmin {
			// Company people are the company administrator's to create, in the base system.
			return fmt.Errorf("user add: --role %s (%s): a company's accounts are created by its 企业管理员 in the base system (/e/admin/accounts); only the first enterprise_admin is issued here", r, r.Label())
		}
		region := f["region"]
		domain := region
		switch {
		case f["enterprise"] != "":
			e, err := svc.Share.Enterprise(ctx, f["enterprise"])
			if err != nil {
				return fmt.Errorf("user add: --enterprise: %w", err)
			}
			if region != "" && !tiers.Contains(region, e.DivisionCode) {
				return fmt.Errorf("user add: enterprise %s is in %s, not in --region %s", e.Code, e.DivisionCode, region)
			}
			domain = tiers.EnterpriseDomain(e.Code)
		case f["park"] != "":
			if err := tiers.CheckParkCode(f["park"]); err != nil {
				return fmt.Errorf("user add: --park: %w", err)
			}
			domain = tiers.ParkDomain(f["park"])
		}
		pw, err := readPassword(stdin, stdout)
		if err != nil {
			return err
		}
		c, err := svc.Identity.CreateUser(ctx, identity.NewUser{Username: username, DisplayName: f["name"], Password: pw,
			Role: r, Domain: domain}, cliActor())
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		fmt.Fprintf(stdout, "created user %s (id %d): %s %s in %s\n", c.User.Username, c.User.ID, r, r.Label(), domain)
		if f["mobile"] != "" {
			if err := svc.Identity.SetMobile(ctx, username, f["mobile"], cliActor()); err != nil {
				return fmt.Errorf("user add: %w", err)
			}
		}
		if c.TOTPURL != "" {
			fmt.Fprintf(stdout, "this role needs a TOTP second factor; add it to an authenticator app (shown once):\nsecret: %s\nurl: %s\n",
				c.TOTPSecret, c.TOTPURL)
		}
	case "mobile":
		if err := svc.Identity.SetMobile(ctx, username, f["mobile"], cliActor()); err != nil {
			return fmt.Errorf("user mobile: %w", err)
		}
		fmt.Fprintf(stdout, "mobile of %s set to %q\n", username, f["mobile"])
	case "unlock":
		if err := svc.Identity.Unlock(ctx, username, cliActor()); err != nil {
			return fmt.Errorf("user unlock: %w", err)
		}
		fmt.Fprintf(stdout, "unlocked %s\n", username)
	case "password":
		pw, err := readPassword(stdin, stdout)
		if err != nil {
			return err
		}
		if err := svc.Identity.ResetPassword(ctx, username, pw, cliActor()); err != nil {
			return fmt.Errorf("user password: %w", err)
		}
		fmt.Fprintf(stdout, "password of %s reset; its sessions ended; it must be changed at the next login\n", username)
	case "disable", "enable":
		if err := svc.Identity.SetDisabled(ctx, username, action == "disable", cliActor()); err != nil {
			return fmt.Errorf("user %s: %w", action, err)
		}
		fmt.Fprintf(stdout, "%sd %s\n", action, username)
	default:
		return fmt.Errorf("user: unknown action %q", action)
	}
	return nil
}

// readPassword prompts on a terminal (without echo, twice) or reads the first
// line of standard input when it is not a terminal (scripted set-up).
func readPassword(stdin *os.File, stdout io.Writer) (string, error) {
	fd := int(stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("user add: read password: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("user add: no password on standard input")
		}
		return pw, nil
	}
	var typed [2]string // the password and its repetition
	for i, prompt := range []string{"password: ", "again: "} {
		fmt.Fprint(stdout, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("user add: read password: %w", err)
		}
		typed[i] = string(b)
	}
	if typed[0] != typed[1] {
		return "", errors.New("user add: the passwords differ")
	}
	return typed[0], nil
}
