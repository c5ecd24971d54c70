package opscmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

var enterpriseCommand = command{name: "enterprise", actions: "add, rotate-key or revoke-keys", required: "code", flags: [][2]string{
	{"code", "company code (企业编码)"},
	{"name", "company name"},
	{"region", "GB/T 2260 county code the company belongs to"},
	{"park", "chemical park code (optional)"},
	{"kind", "生产, 经营, 使用 or 加油站"},
}}

// Enterprise is `chemguard enterprise add|rotate-key|revoke-keys`: a company
// registered on the platform, and the API keys and signing secrets it calls
// the exchange API with.
func Enterprise(ctx context.Context, args []string, stdout io.Writer) error {
	action, f, ents, closeDB, err := start(ctx, enterpriseCommand, args, platform.OpenEnterprises)
	if err != nil {
		return err
	}
	defer closeDB()
	code := f["code"]
	switch action {
	case "add":
		if f["name"] == "" {
			return errors.New("enterprise add: --name is required")
		}
		if !tiers.IsCounty(f["region"]) {
			return fmt.Errorf("enterprise add: --region %q is not a Shandong county (GB/T 2260), e.g. 370102 历下区", f["region"])
		}
		if err := ents.Add(ctx, store.Enterprise{Code: code, Name: f["name"], DivisionCode: f["region"], ParkCode: f["park"], Kind: f["kind"]}); err != nil {
			return err
		}
		cred, err := ents.IssueCredentials(ctx, code)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered %s %s under %s\n", code, f["name"], f["region"])
		PrintCredentials(stdout, cred)
	case "rotate-key":
		cred, n, err := rotateKey(ctx, ents, code)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d old key(s) of %s\n", n, code)
		PrintCredentials(stdout, cred)
	case "revoke-keys":
		n, err := ents.RevokeKeys(ctx, code, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d key(s) of %s\n", n, code)
	default:
		return fmt.Errorf("enterprise: unknown action %q", action)
	}
	return nil
}

// PrintCredentials prints a newly issued signing secret and key, the only time
// either is shown; the key stays alone on the last line, where scripts read it.
func PrintCredentials(w io.Writer, c store.Credentials) {
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

// RegisterSimulated registers (`chemguard simulate`) the simulated companies that are not yet registered and
// gives each a fresh API key and signing secret (revoking the simulator's earlier keys).
func RegisterSimulated(ctx context.Context, cfg *config.Config, companies []simulate.Company) ([]store.Credentials, error) {
	ents, closeDB, err := platform.OpenEnterprises(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	keys := make([]store.Credentials, len(companies))
	for i, c := range companies {
		kind := "生产"
		if c.GasStation {
			kind = "加油站"
		}
		err := ents.Add(ctx, store.Enterprise{Code: c.Code, Name: c.Name, DivisionCode: c.County, Kind: kind})
		if err != nil && chemguard.ErrorCode(err) != chemguard.EConflict {
			return nil, err
		}
		if keys[i], _, err = rotateKey(ctx, ents, c.Code); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("simulate: --enterprises must be at least 1")
	}
	return keys, nil
}
