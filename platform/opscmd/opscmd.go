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

// command is one operator command's words: its name, the actions it takes
// (for the usage line), its string flags (name → help) and the flag every
// action requires.
type command struct {
	name, actions string
	flags         [][2]string
	required      string
}

// start reads the command's arguments (parse) and then opens what it needs
// with the configuration (withConfig): a command's opening is the same for
// all, and a flag mistake is told before the configuration is read.
func start[T any](ctx context.Context, cmd command, args []string, open func(context.Context, *config.Config) (T, func(), error)) (action string, f map[string]string, v T, closeDB func(), err error) {
	if action, f, err = parse(cmd, args); err != nil {
		return "", nil, v, nil, err
	}
	v, closeDB, err = withConfig(ctx, open)
	return action, f, v, closeDB, err
}

// parse reads `<command> <action> --flag value …`: the action first, then the
// string flags. Every command takes the same flags whatever its action, so a
// misplaced one is refused by name rather than ignored; the value the command
// requires is checked here so all commands say it alike.
func parse(cmd command, args []string) (action string, v map[string]string, err error) {
	if len(args) == 0 {
		return "", nil, errors.New(cmd.name + ": " + cmd.actions)
	}
	fs := flag.NewFlagSet(cmd.name+" "+args[0], flag.ContinueOnError)
	ptrs := make(map[string]*string, len(cmd.flags))
	for _, f := range cmd.flags {
		ptrs[f[0]] = fs.String(f[0], "", f[1])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return "", nil, err
	}
	v = make(map[string]string, len(ptrs))
	for name, p := range ptrs {
		v[name] = *p
	}
	if v[cmd.required] == "" {
		return "", nil, fmt.Errorf("%s: --%s is required", cmd.name, cmd.required)
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
