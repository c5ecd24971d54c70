// Package platformtest runs the whole platform in-process for tests, as
// cmd/chemguard's serve does: on 127.0.0.1:0, with a data directory and a database
// of the test's own and the test clock (CHEMGUARD_TEST_NOW) unless the configuration
// brings its own, stopped when the test ends. The platform, portal and inspector
// tests start it this one way; the portal's and the inspector app's tests through
// StartPlatform, which adds what a UI test logs in and uploads with (Env), and talk
// to it as a browser or phone would through Session. Only tests import it.
package platformtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/testclock"
)

// stopWithin is how long Stop waits for Run to return before failing the test: a
// platform that does not stop holds the test's database open.
const stopWithin = 60 * time.Second

// Running is a started platform.
type Running struct {
	*platform.App
	Now func() time.Time // the platform's clock

	cancel context.CancelFunc
	done   chan error
	tb     testing.TB
	once   sync.Once
}

// Start runs the platform of cfg until the test ends (or Stop). Empty fields take a
// fresh database already migrated (pgtest.NewMigratedDatabase: a copy of the test
// process's migrated template, about a second where migrating an empty database
// takes several; the platform's own migration then finds nothing to do), 127.0.0.1:0, a temporary data directory and
// a clock started at CHEMGUARD_TEST_NOW (testclock.New). The test fails if the
// platform cannot be built.
func Start(tb testing.TB, cfg platform.Config) *Running {
	tb.Helper()
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = pgtest.NewMigratedDatabase(tb)
	}
	if cfg.Now == nil {
		cfg.Now = testclock.New(tb).Now
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := platform.New(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("platformtest: start: %v", err)
	}
	r := &Running{App: app, Now: cfg.Now, cancel: cancel, done: make(chan error, 1), tb: tb}
	go func() { r.done <- app.Run(ctx) }()
	tb.Cleanup(r.Stop)
	return r
}

// Stop stops the platform and closes it, as a shutdown does; later calls do nothing.
// The test fails if Run does not return within a minute.
func (r *Running) Stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(stopWithin):
			r.tb.Errorf("platformtest: the platform did not stop within %s", stopWithin)
		}
		r.App.Close()
	})
}
