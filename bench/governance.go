package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// governanceOptions configures `bench --scenario governance`.
type governanceOptions struct {
	companies  int
	rate       float64 // simulator records per second
	speed      float64 // simulator time compression (1: the seed's real frequencies)
	duration   time.Duration
	probeEvery time.Duration
	syncWrites bool
}

// runGovernance measures how current the data-quality facts and scores stay while
// the simulator runs its companies through the exchange API. Every probeEvery a
// probe sends one sensor reading whose COLLECT_TIME is two hours old (采集时间严重滞后)
// for a point of its own on one of the simulated companies, and measures the time
// from sending it to (a) the fact stored in governance_facts and (b) today's stored
// score of the company deducting for that fact. Every 5 s it also samples how old
// the newest stored score of today is (now − as_of).
func runGovernance(ctx context.Context, server string, o governanceOptions, stdout io.Writer) error {
	app, comps, keys, done, err := startRunning(ctx, server, o.syncWrites, o.companies)
	if err != nil {
		return err
	}
	defer done()
	sim := simulate.New(simulate.Config{URL: app.URL(), Rate: o.rate, BadShare: 0.05, Speed: o.speed, Workers: 8, Seed: 1},
		comps, keys)
	simCtx, stopSim := context.WithTimeout(ctx, o.duration)
	defer stopSim()
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Run(simCtx) }()
	fmt.Fprintf(stdout, "bench governance: %d companies simulated for %s at up to %.0f records/s (speed ×%g, 5%% bad), a probe every %s\n",
		len(comps), o.duration, o.rate, o.speed, o.probeEvery)

	client := &http.Client{Timeout: time.Minute}
	var mu sync.Mutex
	var factLag, scoreLag []time.Duration
	var missed int
	var wg sync.WaitGroup
	probe := func(n int) {
		defer wg.Done()
		c := comps[n%len(comps)]
		point := fmt.Sprintf("%s-GOVPROBE-%03d", c.Code, n)
		body, _ := json.Marshal([]any{map[string]any{"INDICATOR_CODE": point, "VALUE": json.Number("1"),
			"COLLECT_TIME": time.Now().Add(-2 * time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)}})
		t0 := time.Now()
		if acc, _, err := simulate.PostRaw(ctx, client, app.URL(), keys[n%len(keys)], "sensor-readings", body); err != nil || acc != 1 {
			mu.Lock()
			missed++
			mu.Unlock()
			return
		}
		var id string
		for time.Since(t0) < 3*time.Minute && id == "" {
			_ = app.Pool.QueryRow(ctx, `SELECT fact_id FROM governance_facts WHERE company_code = $1 AND subject = $2
				AND kind = 'sensor_behind'`, c.Code, point).Scan(&id)
			if id == "" {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if id == "" {
			mu.Lock()
			missed++
			mu.Unlock()
			return
		}
		fl := time.Since(t0)
		var sl time.Duration
		for time.Since(t0) < 3*time.Minute && sl == 0 {
			var ok bool
			_ = app.Pool.QueryRow(ctx, `SELECT true FROM governance_scores WHERE company_code = $1
				AND day = (now() AT TIME ZONE 'Asia/Shanghai')::date AND deductions @> $2::jsonb`,
				c.Code, `[{"fact_id": "`+id+`"}]`).Scan(&ok)
			if ok {
				sl = time.Since(t0)
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		factLag = append(factLag, fl)
		if sl == 0 {
			missed++
			return
		}
		scoreLag = append(scoreLag, sl)
	}

	var staleness []time.Duration
	warm := time.After(30 * time.Second) // base data first: definitions, commitments
	probes := time.NewTicker(o.probeEvery)
	defer probes.Stop()
	sample := time.NewTicker(5 * time.Second)
	defer sample.Stop()
	started := time.Now()
	n, warmed := 0, false
loop:
	for {
		select {
		case <-warm:
			warmed = true
		case <-probes.C:
			if warmed && time.Since(started) < o.duration-30*time.Second {
				wg.Add(1)
				go probe(n)
				n++
			}
		case <-sample.C:
			var age time.Duration
			var asOf *time.Time
			if err := app.Pool.QueryRow(ctx, `SELECT max(as_of) FROM governance_scores
				WHERE day = (now() AT TIME ZONE 'Asia/Shanghai')::date`).Scan(&asOf); err == nil && asOf != nil {
				age = time.Since(*asOf)
				staleness = append(staleness, age)
			}
		case err := <-simDone:
			if err != nil && ctx.Err() == nil {
				return err
			}
			break loop
		}
	}
	wg.Wait()
	if err := governanceCounts(ctx, app, stdout, sim); err != nil {
		return err
	}
	if len(factLag) == 0 || len(scoreLag) == 0 {
		return fmt.Errorf("bench: no probe reached a stored fact and score (%d missed)", missed)
	}
	fmt.Fprintf(stdout, "reading → stored fact (governance_facts): %d probes (%d missed after 3 min): %s\n",
		len(factLag), missed, quantiles(factLag))
	fmt.Fprintf(stdout, "reading → today's stored score deducting for it (governance_scores): %d probes: %s\n",
		len(scoreLag), quantiles(scoreLag))
	if len(staleness) > 0 {
		fmt.Fprintf(stdout, "age of today's newest stored score, sampled every 5 s: %s\n", quantiles(staleness))
	}
	return nil
}

func governanceCounts(ctx context.Context, app *platform.App, stdout io.Writer, sim *simulate.Simulator) error {
	var facts, open, scored int
	if err := app.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE ended_at IS NULL),
		(SELECT count(*) FROM governance_scores) FROM governance_facts`).Scan(&facts, &open, &scored); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "simulator: %d records accepted, %d rejected, %d failed; governance: %d facts (%d open), %d company-day scores\n",
		sim.Stats.Accepted.Load(), sim.Stats.Rejected.Load(), sim.Stats.Failed.Load(), facts, open, scored)
	return nil
}

// quantiles formats p50, p99 and max.
func quantiles(d []time.Duration) string {
	slices.Sort(d)
	return fmt.Sprintf("p50 %s  p99 %s  max %s", d[len(d)/2].Round(time.Millisecond),
		d[len(d)*99/100].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
}
