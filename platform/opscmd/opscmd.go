// Package opscmd holds the commands the operator on the host runs against the
// platform's database: accounts (`chemguard user`), companies and their keys
// (`chemguard enterprise`) and the audit log check (`chemguard audit`). They live
// here, not in cmd/chemguard, so that main only parses the subcommand and
// dispatches, and the commands are tested beside their code.
package opscmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/config"
)

// parse reads `<command> <action> --flag value …`: the action first, then the
// string flags (name → help). Every command takes the same flags whatever its
// action, so a misplaced one is refused by name rather than ignored; the value
// the caller requires is checked here so all commands say it alike.
func parse(command, actions string, args []string, flags [][2]string, required string) (action string, v map[string]string, err error) {
	if len(args) == 0 {
		return "", nil, errors.New(command + ": " + actions)
	}
	fs := flag.NewFlagSet(command+" "+args[0], flag.ContinueOnError)
	ptrs := make(map[string]*string, len(flags))
	for _, f := range flags {
		ptrs[f[0]] = fs.String(f[0], "", f[1])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return "", nil, err
	}
	v = make(map[string]string, len(ptrs))
	for name, p := range ptrs {
		v[name] = *p
	}
	if v[required] == "" {
		return "", nil, fmt.Errorf("%s: --%s is required", command, required)
	}
	return args[0], v, nil
}

// withConfig reads the configuration and opens what a command needs with it.
// The configuration is read after the command's own flags, so a flag mistake
// is told first.
func withConfig[T any](ctx context.Context, open func(context.Context, *config.Config) (T, func(), error)) (v T, closeDB func(), err error) {
	cfg, err := config.Load()
	if err != nil {
		return v, nil, err
	}
	return open(ctx, cfg)
}

// cliActor is who the audit log names for a command: the host account that ran it.
func cliActor() identity.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return identity.Actor{Name: name, IP: "local"}
}
