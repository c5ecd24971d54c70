package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform/opscmd"
	"github.com/shandong-emergency/chemguard/simulate"
)

func simulateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	n := fs.Int("enterprises", 50, "how many companies to simulate")
	rate := fs.Float64("rate", 200, "at most this many records per second in all")
	bad := fs.Float64("bad", 0.05, "share of records deliberately broken")
	speed := fs.Float64("speed", 60, "time compression of the upload frequency of lists and statuses (1 = real time); readings, alarms and permits keep the wall clock")
	url := fs.String("url", "", "platform base URL (default http:// + CHEMGUARD_HTTP_ADDR)")
	duration := fs.Duration("duration", 0, "stop after this long (0 = until interrupted)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same companies")
	workers := fs.Int("workers", 4, "concurrent uploads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if *url == "" {
		*url = "http://" + cfg.HTTP.Addr
	}
	companies := simulate.Companies(*n, *seed)
	creds, err := opscmd.RegisterSimulated(ctx, cfg, companies)
	if err != nil {
		return err
	}
	keys, secrets := make([]string, len(creds)), make([]string, len(creds))
	for i, c := range creds {
		keys[i], secrets[i] = c.Key, c.SigningSecret
	}
	fmt.Fprintf(stdout, "simulating %d companies → %s at up to %.0f records/s (bad share %.0f%%, speed ×%g)\n",
		len(companies), *url, *rate, *bad*100, *speed)
	fmt.Fprintf(stdout, "demo company %s %s\n", companies[0].Code, companies[0].Name)
	opscmd.PrintCredentials(stdout, creds[0])
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	// Every upload is signed, as the province recommends companies do: the demo
	// also works with CHEMGUARD_REQUIRE_SIGNING.
	sim := simulate.New(simulate.Config{URL: *url, Rate: *rate, BadShare: *bad, Speed: *speed, Workers: *workers, Seed: *seed,
		Secrets: secrets}, companies, keys)
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			fmt.Fprintf(stdout, "sent %d batches: %d accepted, %d rejected, %d failed\n", sim.Stats.Batches.Load(),
				sim.Stats.Accepted.Load(), sim.Stats.Rejected.Load(), sim.Stats.Failed.Load())
			return err
		case <-tick.C:
			fmt.Fprintf(stdout, "simulate: %d accepted, %d rejected, %d failed so far\n",
				sim.Stats.Accepted.Load(), sim.Stats.Rejected.Load(), sim.Stats.Failed.Load())
		}
	}
}
