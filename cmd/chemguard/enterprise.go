package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// printCredentials prints a newly issued signing secret and key, the only time
// either is shown; the key stays alone on the last line, where scripts read it.
func printCredentials(w io.Writer, c store.Credentials) {
	fmt.Fprintf(w, "signing secret (HMAC key of X-Chemguard-Signature; never send it; shown once):\n%s\n", c.SigningSecret)
	fmt.Fprintf(w, "API key (Authorization: Bearer …, shown once):\n%s\n", c.Key)
}

// rotateKey issues a company a new API key and signing secret and revokes its
// other keys, n of them.
func rotateKey(ctx context.Context, ents *store.Enterprises, code string) (_ store.Credentials, n int64, _ error) {
	cred, err := ents.IssueCredentials(ctx, code)
	if err != nil {
		return cred, 0, err
	}
	n, err = ents.RevokeKeys(ctx, code, cred.Key)
	return cred, n, err
}

func enterprise(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("enterprise: add, rotate-key or revoke-keys")
	}
	fs := flag.NewFlagSet("enterprise "+args[0], flag.ContinueOnError)
	code := fs.String("code", "", "company code (企业编码)")
	name := fs.String("name", "", "company name")
	region := fs.String("region", "", "GB/T 2260 county code the company belongs to")
	park := fs.String("park", "", "chemical park code (optional)")
	kind := fs.String("kind", "", "生产, 经营, 使用 or 加油站")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *code == "" {
		return errors.New("enterprise: --code is required")
	}
	ents, closeDB, err := withConfig(ctx, platform.OpenEnterprises)
	if err != nil {
		return err
	}
	defer closeDB()
	switch args[0] {
	case "add":
		if *name == "" {
			return errors.New("enterprise add: --name is required")
		}
		if !tiers.IsCounty(*region) {
			return fmt.Errorf("enterprise add: --region %q is not a Shandong county (GB/T 2260), e.g. 370102 历下区", *region)
		}
		if err := ents.Add(ctx, store.Enterprise{Code: *code, Name: *name, DivisionCode: *region, ParkCode: *park, Kind: *kind}); err != nil {
			return err
		}
		cred, err := ents.IssueCredentials(ctx, *code)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered %s %s under %s\n", *code, *name, *region)
		printCredentials(stdout, cred)
	case "rotate-key":
		cred, n, err := rotateKey(ctx, ents, *code)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d old key(s) of %s\n", n, *code)
		printCredentials(stdout, cred)
	case "revoke-keys":
		n, err := ents.RevokeKeys(ctx, *code, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d key(s) of %s\n", n, *code)
	default:
		return fmt.Errorf("enterprise: unknown action %q", args[0])
	}
	return nil
}
