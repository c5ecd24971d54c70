// Command chemguard is the platform's one binary: serve, migrate, enterprise
// administration, the simulator and the end-to-end benchmark.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/bench"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

var usage = `chemguard — 山东省危险化学品安全生产风险监测预警平台

usage:
  chemguard serve                      serve the platform (migrates first)
  chemguard migrate                    apply database migrations
  chemguard enterprise add --code CODE --name NAME --region COUNTY_CODE [--park CODE] [--kind 生产|经营|使用|加油站]
  chemguard enterprise rotate-key --code CODE     issue a new key, revoke the others
  chemguard enterprise revoke-keys --code CODE    revoke every key
  chemguard simulate --enterprises N --rate R [--bad 0.05] [--url URL] [--duration D]
  chemguard bench [--records N] [--batch B] [--table SLUG] [--concurrency C]
  chemguard bench --scenario warnings [--companies N] [--detectors D] [--readings R] [--rate RPS] [--probes P]
                                       HIGH_HIGH readings → warning via the API, under load (issue 5)
  chemguard bench --scenario governance [--companies N] [--duration D] [--rate RPS] [--speed X]
                                       simulated companies → data-quality facts and scores stored (issue 6)
  chemguard user add --username U --role ROLE --region CODE [--enterprise CODE] [--park CODE] [--name NAME]
                                       create an account (password prompted, or the first line of stdin)
  chemguard user unlock --username U   clear a login lockout
  chemguard audit verify               check the audit log's hash chain
  chemguard check [--company CODE] [--json] TABLE FILE|DIR|-
                                       validate an exchange batch offline, exactly as POST /api/v1/exchange/TABLE would (exit 1 when refused)

configuration (environment; docs/configuration.md):
` + config.Usage()

func run(args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, stdout)
	case "migrate":
		err = migrate(ctx)
	case "enterprise":
		err = enterprise(ctx, args[1:], stdout)
	case "simulate":
		err = simulateCmd(ctx, args[1:], stdout)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout)
	case "user":
		err = userCmd(ctx, args[1:], os.Stdin, stdout)
	case "audit":
		err = auditCmd(ctx, args[1:], stdout)
	case "check":
		err = checkCmd(args[1:], os.Stdin, stdout, time.Now())
		if errors.Is(err, errCheckFailed) {
			return 1
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "chemguard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "chemguard:", err)
		// An operator reads the refusal in Chinese too (bad codes, roles, regions).
		var ae *chemguard.Error
		if errors.As(err, &ae) && ae.Code != chemguard.EInternal && ae.MessageZH != "" {
			fmt.Fprintln(stderr, "chemguard:", ae.MessageZH)
		}
		return 1
	}
	return 0
}

// withConfig reads the configuration and opens what a command needs with it;
// every command reads it at most once, after its own flags.
func withConfig[T any](ctx context.Context, open func(context.Context, *config.Config) (T, func(), error)) (T, func(), error) {
	cfg, err := config.Load()
	if err != nil {
		var none T
		return none, nil, err
	}
	return open(ctx, cfg)
}

func serve(ctx context.Context, stdout io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return platform.Serve(ctx, cfg, stdout)
}

func migrate(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	_, pool, err := platform.Open(ctx, cfg)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// benchCmd is `chemguard bench`: the harness in package bench on a database
// server of its own choosing (CHEMGUARD_DATABASE_URL).
func benchCmd(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := bench.ParseFlags(args)
	if err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return bench.Run(ctx, cfg.Database.URL, o, stdout)
}

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
