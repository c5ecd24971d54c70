// Package bench is the harness of `chemguard bench`: end-to-end measurements of a
// whole platform it starts on a throw-away database — the exchange path against
// a plain CopyFrom, HIGH_HIGH readings to warnings under load, and simulated
// companies to data-quality facts and scores. docs/performance.md reports them.
package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// Usage lists the command lines of the scenarios, for chemguard's help.
const Usage = `  chemguard bench [--records N] [--batch B] [--table SLUG] [--concurrency C]
  chemguard bench --scenario warnings [--companies N] [--detectors D] [--readings R] [--rate RPS] [--probes P]
                                       HIGH_HIGH readings → warning via the API, under load (issue 5)
  chemguard bench --scenario governance [--companies N] [--duration D] [--rate RPS] [--speed X]
                                       simulated companies → data-quality facts and scores stored (issue 6)
`

// Options are the flags of `chemguard bench`.
type Options struct {
	Scenario    string // exchange, warnings or governance
	Records     int    // exchange: records to send
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
	fs.StringVar(&o.Scenario, "scenario", "exchange", "exchange, warnings (issue 5: HIGH_HIGH readings → warning via the API under load), or governance (issue 6: simulated companies → facts and scores)")
	fs.IntVar(&o.Detectors, "detectors", 20, "warnings scenario: background gas detectors per company")
	fs.IntVar(&o.Readings, "readings", 240, "warnings scenario: readings per background detector")
	fs.IntVar(&o.Probes, "probes", 100, "warnings scenario: HIGH_HIGH probes (at most one per company)")
	rate := fs.Int("rate", 20000, "warnings scenario: background readings per second offered (0: unpaced)")
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "governance scenario: how long the simulator runs")
	fs.Float64Var(&o.Speed, "speed", 1, "governance scenario: simulator time compression (1 = the seed's frequencies)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Rate = float64(*rate)
	if o.Scenario == "governance" {
		o.Rate = 2000 // records/s of the simulator unless --rate is given
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
	}
	return runExchange(ctx, server, o, stdout)
}

// runExchange measures the exchange path end to end — accepted over HTTP and
// visible in PostgreSQL — against a plain CopyFrom of the same rows into the same
// database.
func runExchange(ctx context.Context, server string, o Options, stdout io.Writer) error {
	t, ok := schemas.TableBySlug(o.Table)
	if !ok {
		return fmt.Errorf("bench: unknown table %q", o.Table)
	}
	app, comps, keys, done, err := startRunning(ctx, server, o.SyncWrites, o.Companies)
	if err != nil {
		return err
	}
	defer done()
	fmt.Fprintf(stdout, "bench: %d %s records in batches of %d, %d concurrent, %d companies, broker fsync=%v\n",
		o.Records, t.Slug, o.Batch, o.Concurrency, len(comps), o.SyncWrites)

	// Build every request body first, so generation does not count.
	r := rand.New(rand.NewPCG(1, 2))
	type request struct {
		key  string
		body []byte
	}
	var reqs []request
	now := time.Now()
	for sent := 0; sent < o.Records; sent += o.Batch {
		ci := len(reqs) % len(comps)
		n := min(o.Batch, o.Records-sent)
		recs := make([]simulate.Record, n)
		for i := range recs {
			recs[i] = simulate.NewRecord(r, t, comps[ci], now.Add(-time.Duration(r.IntN(600))*time.Second))
			if len(t.VersionTime) > 0 {
				// Distinct facts: a time series stores an identical fact once.
				at := now.Add(-time.Duration(sent+i) * time.Second)
				recs[i][t.VersionTime[0]] = at.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
			}
		}
		body, _ := json.Marshal(recs)
		reqs = append(reqs, request{keys[ci], body})
	}

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}}
	latencies := make([]time.Duration, len(reqs))
	var next, failed int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(reqs) {
					return
				}
				t0 := time.Now()
				acc, _, err := simulate.PostRaw(ctx, client, app.URL(), reqs[i].key, t.Slug, reqs[i].body)
				latencies[i] = time.Since(t0)
				if err != nil || acc == 0 {
					mu.Lock()
					failed++
					mu.Unlock()
					slog.Warn("bench: request failed", "err", err)
				}
			}
		}()
	}
	wg.Wait()
	acked := time.Since(start)
	countSQL := "SELECT count(*) FROM " + t.SQLName() + "_history"
	var visible, lastVisible int
	lastProgress := time.Now()
	for {
		if err := app.Pool.QueryRow(ctx, countSQL).Scan(&visible); err != nil {
			return err
		}
		if visible >= o.Records {
			break
		}
		if visible > lastVisible {
			lastVisible, lastProgress = visible, time.Now()
		} else if time.Since(lastProgress) > 30*time.Second {
			break // stalled: report what arrived
		}
		time.Sleep(20 * time.Millisecond)
	}
	e2e := time.Since(start)
	slices.Sort(latencies)
	e2eRate := float64(visible) / e2e.Seconds()

	// The ceiling: the same rows, COPY'd straight into a table of the same shape.
	rows := make([][]any, 0, o.Records)
	for _, q := range reqs {
		var recs []json.RawMessage
		_ = json.Unmarshal(q.body, &recs)
		for _, rec := range recs {
			rows = append(rows, []any{uuid.New(), "370102001", uuid.NewString(), false, now, now.UnixNano(), now, rec})
		}
	}
	if _, err := app.Pool.Exec(ctx, `CREATE TABLE bench_ceiling (LIKE `+t.SQLName()+`_history INCLUDING DEFAULTS INCLUDING INDEXES)`); err != nil {
		return err
	}
	c0 := time.Now()
	if _, err := app.Pool.CopyFrom(ctx, pgx.Identifier{"bench_ceiling"},
		[]string{"msg_id", "company_code", "record_key", "deleted", "event_time", "version", "received_at", "doc"},
		pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	ceiling := float64(len(rows)) / time.Since(c0).Seconds()

	fmt.Fprintf(stdout, "accepted over HTTP: %d requests (%d failed) in %s → %.0f records/s acknowledged\n",
		len(reqs), failed, acked.Round(time.Millisecond), float64(o.Records)/acked.Seconds())
	fmt.Fprintf(stdout, "visible in PostgreSQL: %d records in %s → %.0f records/s end to end\n", visible, e2e.Round(time.Millisecond), e2eRate)
	fmt.Fprintf(stdout, "request latency (%d records each): p50 %s  p99 %s  max %s\n", o.Batch,
		latencies[len(latencies)/2].Round(time.Microsecond), latencies[len(latencies)*99/100].Round(time.Microsecond),
		latencies[len(latencies)-1].Round(time.Microsecond))
	fmt.Fprintf(stdout, "ceiling, plain CopyFrom of the same rows: %.0f rows/s\n", ceiling)
	fmt.Fprintf(stdout, "ratio end-to-end / ceiling: %.2f\n", e2eRate/ceiling)
	if visible < o.Records {
		return fmt.Errorf("bench: only %d of %d records became visible", visible, o.Records)
	}
	return nil
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
