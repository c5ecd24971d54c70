// Package browsertest runs the browser tests' Node.js scripts: it finds
// Node.js, Debian's Chromium and the playwright-core that `make e2e-deps`
// installs in portal/e2e/node_modules, and runs one script with its
// environment as JSON in CHEMGUARD_E2E_ENV. Every UI's browser test goes
// through it, so the skip switch, the messages naming what is missing and the
// clean-up of a hung Chromium are the same everywhere. Only tests import it.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// EnvSkip, set to 1, skips every browser test on purpose.
const EnvSkip = "CHEMGUARD_SKIP_BROWSER"

// EnvChromium overrides where Chromium is (Debian's /usr/bin/chromium).
const EnvChromium = "CHEMGUARD_CHROMIUM"

// EnvScreenshots, set to 1, asks the scripts to save their pages to docs/screenshots.
const EnvScreenshots = "CHEMGUARD_SCREENSHOTS"

// Tools are what a browser test runs with, as absolute paths.
type Tools struct {
	Node       string // the node binary
	Chromium   string // the Chromium binary
	Modules    string // portal/e2e/node_modules (NODE_PATH)
	Playwright string // Modules/playwright-core
	Root       string // the module's root folder (where go.mod is)
}

// Require returns the tools, or skips tb when EnvSkip is 1. Anything missing
// fails tb with what to run: browser tests are part of `make test`, which
// installs Chromium and playwright-core (make e2e-deps); Node.js must be on PATH.
func Require(tb testing.TB) Tools {
	tb.Helper()
	if os.Getenv(EnvSkip) == "1" {
		tb.Skip(EnvSkip + "=1: browser tests skipped on request")
	}
	var t Tools
	var err error
	if t.Node, err = exec.LookPath("node"); err != nil {
		tb.Fatalf("the browser tests need Node.js >= 20 on PATH (%s=1 skips them): %v", EnvSkip, err)
	}
	t.Chromium = os.Getenv(EnvChromium)
	if t.Chromium == "" {
		t.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(t.Chromium); err != nil {
		tb.Fatalf("the browser tests need Chromium: run `make e2e-deps` (apt-get install chromium) or set %s: %v", EnvChromium, err)
	}
	if t.Root, err = root(); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	t.Modules = filepath.Join(t.Root, "portal", "e2e", "node_modules")
	t.Playwright = filepath.Join(t.Modules, "playwright-core")
	if _, err := os.Stat(filepath.Join(t.Playwright, "package.json")); err != nil {
		tb.Fatalf("the browser tests need playwright-core: run `make e2e-deps` (npm ci in portal/e2e): %v", err)
	}
	return t
}

// Screenshots returns docs/screenshots (created) when EnvScreenshots is 1, else "".
func (t Tools) Screenshots(tb testing.TB) string {
	tb.Helper()
	if os.Getenv(EnvScreenshots) != "1" {
		return ""
	}
	dir := filepath.Join(t.Root, "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	return dir
}

// Run runs node script (relative to the test's folder) with args, env marshalled
// as JSON in CHEMGUARD_E2E_ENV and NODE_PATH at Modules, for at most timeout.
// It logs what the script wrote to stderr, fails tb when the script fails
// (with all it wrote) and returns what it wrote to stdout. On timeout node and
// the Chromium it started are killed together.
func (t Tools) Run(tb testing.TB, timeout time.Duration, env any, script string, args ...string) []byte {
	tb.Helper()
	raw, err := json.Marshal(env)
	if err != nil {
		tb.Fatalf("browsertest: environment: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.Node, append([]string{script}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append(os.Environ(), "CHEMGUARD_E2E_ENV="+string(raw), "NODE_PATH="+t.Modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err = cmd.Run()
	tb.Logf("node %s (%s):\n%s%s", script, time.Since(began).Round(time.Millisecond), stdout.String(), stderr.String())
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		tb.Fatalf("node %s failed: %v (its output is logged above)", script, err)
	}
	return stdout.Bytes()
}

// root is the nearest folder above the working directory holding go.mod.
func root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
