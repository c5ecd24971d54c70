package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform"
)

const brokerUsage = `  chemguard broker                     run the embedded broker alone (CHEMGUARD_BROKER_ADDR), shared by serve processes
  chemguard broker offsets save FILE   write the consumer groups' committed offsets (backup, before the dump)
  chemguard broker offsets restore FILE [--wait 60s]
                                       set the groups back to FILE's offsets (restore, before any serve starts)
`

// brokerCmd runs `chemguard broker` and its offsets subcommands.
func brokerCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return brokerLoaded(func(c *config.Config) error { return platform.Broker(ctx, c, stdout) })
	}
	if args[0] != "offsets" || len(args) < 3 {
		return fmt.Errorf("usage:\n%s", brokerUsage)
	}
	file := args[2]
	switch args[1] {
	case "save":
		return loaded(func(c *config.Config) error {
			// Written whole or not at all: a backup must not keep half a file.
			tmp := file + ".tmp"
			f, err := os.Create(tmp)
			if err != nil {
				return err
			}
			err = platform.SaveOffsets(ctx, c, time.Now(), f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			return os.Rename(tmp, file)
		})
	case "restore":
		wait := 60 * time.Second
		if len(args) == 5 && args[3] == "--wait" {
			var err error
			if wait, err = time.ParseDuration(args[4]); err != nil {
				return fmt.Errorf("--wait: %w", err)
			}
		} else if len(args) != 3 {
			return fmt.Errorf("usage:\n%s", brokerUsage)
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		return loaded(func(c *config.Config) error { return platform.RestoreOffsets(ctx, c, f, wait) })
	}
	return fmt.Errorf("usage:\n%s", brokerUsage)
}

// brokerLoaded is loaded for the broker alone, which never opens the database: a
// broker host has no CHEMGUARD_DATABASE_URL to give.
func brokerLoaded(f func(*config.Config) error) error {
	env := config.Environ(os.Environ())
	if env["CHEMGUARD_DATABASE_URL"] == "" {
		env["CHEMGUARD_DATABASE_URL"] = "unused-by-chemguard-broker"
	}
	cfg, err := config.Parse(env)
	if err != nil {
		return err
	}
	if len(cfg.Kafka.Brokers) > 0 {
		return config.Invalid("CHEMGUARD_KAFKA_BROKERS", errors.New("chemguard broker runs the broker itself: unset it on the broker's host"))
	}
	return f(cfg)
}
