// Command chemguard is the platform's one binary. It parses a subcommand's flags and
// hands it on: serve and migrate to platform, the operator's account, company and
// audit commands to platform/opscmd, bench and check to their packages.
package main

import (
	"context"
	"errors"
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
	"github.com/shandong-emergency/chemguard/exchangecheck"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/opscmd"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

var usage = `chemguard — 山东省危险化学品安全生产风险监测预警平台

usage:
  chemguard serve                      serve the platform (migrates first)
  chemguard migrate                    apply database migrations
` + brokerUsage + `  chemguard enterprise add --code CODE --name NAME --region COUNTY_CODE [--park CODE] [--kind 生产|经营|使用|加油站]
  chemguard enterprise rotate-key --code CODE     issue a new key, revoke the others
  chemguard enterprise revoke-keys --code CODE    revoke every key
  chemguard simulate --enterprises N --rate R [--bad 0.05] [--url URL] [--duration D]
` + bench.Usage + `  chemguard user add --username U --role ROLE --region CODE [--enterprise CODE] [--park CODE] [--name NAME]
                                       create an account (password prompted, or the first line of stdin)
  chemguard user unlock --username U   clear a login lockout
  chemguard audit verify               check the audit log's hash chain
` + exchangecheck.Usage + `
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
		err = loaded(func(c *config.Config) error { return platform.Serve(ctx, c, stdout) })
	case "broker":
		err = brokerCmd(ctx, args[1:], stdout)
	case "migrate":
		err = loaded(func(c *config.Config) error { return platform.Migrate(ctx, c) })
	case "enterprise":
		err = opscmd.Enterprise(ctx, args[1:], stdout)
	case "simulate":
		err = simulateCmd(ctx, args[1:], stdout)
	case "bench": // on a database server of its own choosing (CHEMGUARD_DATABASE_URL)
		var o bench.Options
		if o, err = bench.ParseFlags(args[1:]); err == nil {
			err = loaded(func(c *config.Config) error { return bench.Run(ctx, c.Database.URL, o, stdout) })
		}
	case "user":
		err = opscmd.User(ctx, args[1:], os.Stdin, stdout)
	case "audit":
		err = opscmd.Audit(ctx, args[1:], stdout)
	case "check":
		err = exchangecheck.Main(args[1:], os.Stdin, stdout, time.Now())
		if errors.Is(err, exchangecheck.ErrRefused) {
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

// loaded runs f with the configuration: read when a command needs it, after the
// command's own flags, so a flag mistake is told first.
func loaded(f func(*config.Config) error) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return f(cfg)
}
