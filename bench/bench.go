// Package bench is the harness of `chemguard bench`: end-to-end measurements of a
// whole platform it starts on a throw-away database — the exchange path against
// a plain CopyFrom, HIGH_HIGH readings to warnings under load, and simulated
// companies to data-quality facts and scores. docs/performance.md reports them.
package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// Usage lists the command lines of the scenarios, for chemguard's help.
const Usage = `  chemguard bench [--records N] [--batch B] [--table SLUG] [--concurrency C] [--companies N] [--points P]
                  [--rate RPS] [--profile DIR] [--serve-binary PATH]
                                       the platform as served (chemguard serve, every consumer group):
                                       HTTP rate and latency, end to end, ack→visible lag, CPU per 1,000, peak RSS
  chemguard bench --scenario warnings [--companies N] [--detectors D] [--readings R] [--rate RPS] [--probes P]
                                       HIGH_HIGH readings → warning via the API, under load (issue 5)
  chemguard bench --scenario governance [--companies N] [--duration D] [--rate RPS] [--speed X]
                                       simulated companies → data-quality facts and scores stored (issue 6)
`

// Options are the flags of `chemguard bench`.
type Options struct {
	Scenario    string // served (exchange), warnings or governance
	Records     int    // served: records to send
	Batch       int    // exchange, warnings: records per request
	Table       string // exchange: the exchange table's slug
	Concurrency int    // exchange, warnings: concurrent requests
	Companies   int
	SyncWrites  bool // fsync every batch in the embedded broker
	Detectors   int  // warnings: background gas detectors per company
	Readings    int  // warnings: readings per background detector
	Probes      int  // warnings: HIGH_HIGH probes
	// Rate is background readings per second offered (warnings; 0: unpaced), or the
	// simulator's records per second (governance).
	Rate     float64
	Duration time.Duration // governance: how long the simulator runs
	Speed    float64       // governance: simulator time compression
	Points   int           // served: time-series points (devices, indicators) per company
	Profile  string        // served: directory for the served process's pprof profiles
	Serve    string        // served: the chemguard binary to serve (default: this one)
	// ProbeEvery, served on sensor-readings: a warning and a governance probe this
	// often during the load; 0 none.
	ProbeEvery time.Duration
	// Behind, served and paced on a time-series table: each record's time is its
	// send time less this.
	Behind time.Duration
}

// ParseFlags reads the flags of `chemguard bench`.
func ParseFlags(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.Records, "records", 200000, "records to send")
	fs.IntVar(&o.Batch, "batch", 1000, "records per request")
	fs.StringVar(&o.Table, "table", "video-device-status", "exchange table")
	fs.IntVar(&o.Concurrency, "concurrency", 4, "concurrent requests")
	fs.IntVar(&o.Companies, "companies", 100, "companies sending")
	fs.BoolVar(&o.SyncWrites, "sync-writes", true, "fsync every batch in the embedded broker")
	fs.IntVar(&o.Points, "points", 500, "served: time-series points (devices, indicators) per company")
	fs.StringVar(&o.Profile, "profile", "", "served: save CPU and allocation profiles of the served process in this directory")
	fs.StringVar(&o.Serve, "serve-binary", "", "served: the chemguard binary to run as `serve` (default: this one)")
	fs.StringVar(&o.Scenario, "scenario", "served", "served (alias exchange: the platform as served, every consumer group), warnings (issue 5: HIGH_HIGH readings → warning via the API under load), or governance (issue 6: simulated companies → facts and scores)")
	fs.IntVar(&o.Detectors, "detectors", 20, "warnings scenario: background gas detectors per company")
	fs.IntVar(&o.Readings, "readings", 240, "warnings scenario: readings per background detector")
	fs.IntVar(&o.Probes, "probes", 100, "warnings scenario: HIGH_HIGH probes (at most one per company)")
	rate := fs.Int("rate", 20000, "records per second offered (0: unpaced); default 20000 for warnings, 2000 for governance, unpaced for served")
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "governance scenario: how long the simulator runs")
	fs.DurationVar(&o.ProbeEvery, "probe-every", 0, "served, sensor-readings: a HIGH_HIGH probe (→ warning readable) and a late-reading probe (→ governance fact stored) this often during the load; 0: none")
	fs.DurationVar(&o.Behind, "behind", 9*time.Minute, "served, paced, time-series table: each record is stamped its send time less this; the default, a minute less than CHEMGUARD_TREND_SETTLE's default, makes the trend's refreshes during a 10-minute load find 4 and 5 minutes of its readings, as a running province's find 5")
	fs.Float64Var(&o.Speed, "speed", 1, "governance scenario: simulator time compression (1 = the seed's frequencies)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Rate = float64(*rate)
	if o.Scenario != "warnings" {
		o.Rate = 0 // served: as fast as acknowledged unless --rate is given
		if o.Scenario == "governance" {
			o.Rate = 2000 // records/s of the simulator
		}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "rate" {
				o.Rate = float64(*rate)
			}
		})
	}
	return o, nil
}

// Run runs the scenario of o. Every scenario starts its own platform (embedded
// broker) on a fresh database of the PostgreSQL server that server (a connection
// URL, CHEMGUARD_DATABASE_URL) points to, and drops that database afterwards.
func Run(ctx context.Context, server string, o Options, stdout io.Writer) error {
	switch o.Scenario {
	case "governance":
		return runGovernance(ctx, server, governanceOptions{companies: o.Companies, rate: o.Rate, speed: o.Speed,
			duration: o.Duration, probeEvery: 2 * time.Second, syncWrites: o.SyncWrites}, stdout)
	case "warnings":
		return runWarnings(ctx, server, warningOptions{companies: o.Companies, indicators: o.Detectors, readings: o.Readings,
			batch: o.Batch, concurrency: o.Concurrency, probes: o.Probes, rate: int(o.Rate), syncWrites: o.SyncWrites}, stdout)
	case "served", "exchange":
		t, ok := schemas.TableBySlug(o.Table)
		if !ok {
			return fmt.Errorf("bench: unknown table %q", o.Table)
		}
		return runServed(ctx, server, servedOptions{table: t, records: o.Records, batch: o.Batch, concurrency: o.Concurrency,
			companies: o.Companies, points: o.Points, rate: o.Rate, syncWrites: o.SyncWrites, profile: o.Profile, exe: o.Serve, probeEvery: o.ProbeEvery, behind: o.Behind}, stdout)
	}
	return fmt.Errorf("bench: unknown scenario %q (served, warnings, governance)", o.Scenario)
}

// startPlatform starts a platform (embedded broker, temporary data directory) on a
// throw-away database for a benchmark; cleanup stops it and removes both.
func startPlatform(ctx context.Context, server string, syncWrites bool) (*platform.App, func(), error) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	dsn, drop, err := createDatabase(ctx, server)
	if err != nil {
		return nil, nil, err
	}
	dataDir, err := os.MkdirTemp("", "chemguard-bench-")
	if err != nil {
		drop()
		return nil, nil, err
	}
	app, err := platform.New(ctx, platform.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", DataDir: dataDir, KafkaSyncWrites: syncWrites})
	if err != nil {
		os.RemoveAll(dataDir)
		drop()
		return nil, nil, err
	}
	return app, func() { app.Close(); os.RemoveAll(dataDir); drop() }, nil
}

// startRunning is startPlatform running, with n simulated companies (seed 42)
// registered and their API keys issued; done stops it and removes everything.
func startRunning(ctx context.Context, server string, syncWrites bool, n int) (*platform.App, []simulate.Company, []string, func(), error) {
	app, cleanup, err := startPlatform(ctx, server, syncWrites)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	go app.Run(runCtx)
	done := func() { stop(); cleanup() }
	comps := simulate.Companies(n, 42)
	keys := make([]string, len(comps))
	for i, c := range comps {
		err := app.Enterprises.Add(ctx, store.Enterprise{Code: c.Code, Name: c.Name, DivisionCode: c.County})
		if err == nil {
			keys[i], err = app.Enterprises.IssueKey(ctx, c.Code)
		}
		if err != nil {
			done()
			return nil, nil, nil, nil, err
		}
	}
	return app, comps, keys, done, nil
}

// createDatabase creates a throw-away database on server (a connection URL).
func createDatabase(ctx context.Context, base string) (string, func(), error) {
	if base == "" {
		return "", nil, fmt.Errorf("bench: CHEMGUARD_DATABASE_URL is not set")
	}
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("chemguard_bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close(ctx)
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		admin.Close(context.Background())
	}, nil
}
