package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// probeAreas is how many probe detectors (each in an area of its own) a probed
// company gets: a leak warning is raised once per area, so every warning probe
// needs an area no earlier probe has alarmed.
const probeAreas = 64

// servedProbes measures, inside a served run, the two latencies issue 14 asks of a
// sustained load beside the visibility lag: a HIGH_HIGH reading → its leak warning
// readable through GET /api/v1/warnings (as a province regulator polling every
// 5 ms), and a reading two hours late → its 采集时间严重滞后 fact stored in
// governance_facts (polled every 20 ms). The probes travel with the load, through
// the same HTTP intake, broker and consumers, one warning probe and one governance
// probe every `every`, until stop is called.
type servedProbes struct {
	client  *http.Client
	url     string
	pool    *pgxpool.Pool
	comps   []simulate.Company
	keys    []string
	token   string
	sent    atomic.Int64 // probe readings accepted: they are stored beside the load's
	mu      sync.Mutex
	warning []probeOutcome
	fact    []probeOutcome
}

// prepareProbes defines the probe detectors of every company (a gas detector with
// HIGH_HIGH 50 %LEL per probe area), waits until the warning engine holds them,
// and signs a province regulator in on the served process. close releases its
// database connections.
func prepareProbes(ctx context.Context, client *http.Client, url string, cfg *config.Config, dsn string,
	comps []simulate.Company, keys []string) (_ *servedProbes, err error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	for i, c := range comps {
		var defs []any
		for a := range probeAreas {
			defs = append(defs, gasDetector(c, fmt.Sprintf("%s-PROBE%02d", c.Code, a), fmt.Sprintf("可燃气体探测器 探针%02d", a),
				fmt.Sprintf("探针区%02d", a)))
		}
		body, _ := json.Marshal(defs)
		if acc, _, err := simulate.PostRaw(ctx, client, url, keys[i], "indicators", body); err != nil || acc != len(defs) {
			return nil, fmt.Errorf("bench: define the probe detectors of %s: accepted %d of %d: %v", c.Code, acc, len(defs), err)
		}
	}
	// Definitions and readings travel on different topics: probe once the engine
	// holds every company's definitions.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM warning_engine_state`).Scan(&n); err != nil {
			return nil, err
		}
		if n >= len(comps) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: the warning engine holds %d of %d companies a minute after their definitions", n, len(comps))
		}
	}
	acc, closeDB, err := platform.OpenAccess(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	created, err := acc.Identity.CreateUser(ctx, identity.NewUser{Username: "bench_province", Password: "Chemguard-2026",
		Role: policy.ProvinceStaff, Domain: tiers.ProvinceCode}, identity.Actor{Name: "cli:bench"})
	if err != nil {
		return nil, err
	}
	otp := ""
	if created.TOTPSecret != "" {
		if otp, err = identity.TOTPCode(created.TOTPSecret, time.Now()); err != nil {
			return nil, err
		}
	}
	token, err := login(ctx, client, url, "bench_province", "Chemguard-2026", otp)
	if err != nil {
		return nil, err
	}
	// The account's grant was written to the policy table by this process; the served
	// process loads policy changes every CHEMGUARD_POLICY_RELOAD (5 s by default) and
	// refuses the account until then. Probe only once it may read warnings.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err = warningCount(ctx, client, url, token, comps[0].Code); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: the probing regulator still cannot read warnings a minute after its login: %w", err)
		}
	}
	return &servedProbes{client: client, url: url, pool: pool, comps: comps, keys: keys, token: token}, nil
}

func (p *servedProbes) close() { p.pool.Close() }

// run sends a warning probe and a governance probe every `every` until stop is
// closed or every probe area of every company has been used, and returns once the
// probes in flight have ended (each waits at most its own limit). Each outcome is
// kept with its send time since start, the load's start.
func (p *servedProbes) run(ctx context.Context, start time.Time, every time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := 0; n < len(p.comps)*probeAreas; n++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		at := time.Since(start)
		wg.Add(2)
		go func() {
			defer wg.Done()
			o := p.warningProbe(ctx, n)
			o.at = at
			p.record(&p.warning, o)
		}()
		go func() {
			defer wg.Done()
			o := p.factProbe(ctx, n)
			o.at = at
			p.record(&p.fact, o)
		}()
	}
}

// warningProbe sends 60 %LEL on the n-th probe detector and waits for the company's
// leak warnings to grow by one. It returns how long that took, how long of it the
// POST took and the GET that found the warning, and whether it happened within 10 s
// (the outcome's time sent is the caller's).
func (p *servedProbes) warningProbe(ctx context.Context, n int) probeOutcome {
	ci := n % len(p.comps)
	c := p.comps[ci]
	before, err := warningCount(ctx, p.client, p.url, p.token, c.Code)
	if err != nil {
		return probeOutcome{}
	}
	body, _ := json.Marshal([]any{map[string]any{"INDICATOR_CODE": fmt.Sprintf("%s-PROBE%02d", c.Code, n/len(p.comps)),
		"VALUE": json.Number("60"), "COLLECT_TIME": time.Now().In(schemas.Shanghai).Format(schemas.DateTimeLayout)}})
	return p.await(ctx, ci, body, 10*time.Second, 5*time.Millisecond, func() bool {
		got, err := warningCount(ctx, p.client, p.url, p.token, c.Code)
		return err == nil && got > before
	})
}

// factProbe sends a reading collected two hours ago for a point of its own and
// waits for its sensor_behind fact. It returns how long that took, how long of it
// the POST took and the query that found the fact, and whether it happened within a
// minute (the outcome's time sent is the caller's).
func (p *servedProbes) factProbe(ctx context.Context, n int) probeOutcome {
	ci := n % len(p.comps)
	c := p.comps[ci]
	point := fmt.Sprintf("%s-GOVPROBE-%05d", c.Code, n)
	body, _ := json.Marshal([]any{map[string]any{"INDICATOR_CODE": point, "VALUE": json.Number("1"),
		"COLLECT_TIME": time.Now().Add(-2 * time.Hour).In(schemas.Shanghai).Format(schemas.DateTimeLayout)}})
	return p.await(ctx, ci, body, time.Minute, 20*time.Millisecond, func() bool {
		var found bool
		_ = p.pool.QueryRow(ctx, `SELECT true FROM governance_facts WHERE company_code = $1 AND subject = $2
			AND kind = 'sensor_behind'`, c.Code, point).Scan(&found)
		return found
	})
}

// await posts a probe's readings (body) as company ci and asks found every `every`
// until it says yes or limit has passed since the POST was sent. The outcome has how
// long that took, how long of it the POST took and the read that said yes; past the
// limit it is not ok and has the POST's time alone, and a refused POST gives none.
func (p *servedProbes) await(ctx context.Context, ci int, body []byte, limit, every time.Duration, found func() bool) probeOutcome {
	t0 := time.Now()
	if acc, _, err := simulate.PostRaw(ctx, p.client, p.url, p.keys[ci], "sensor-readings", body); err != nil || acc != 1 {
		return probeOutcome{}
	}
	o := probeOutcome{acked: time.Since(t0)}
	p.sent.Add(1)
	for time.Since(t0) < limit && ctx.Err() == nil {
		read := time.Now()
		if found() {
			o.took, o.read, o.ok = time.Since(t0), time.Since(read), true
			return o
		}
		time.Sleep(every)
	}
	return o
}

func (p *servedProbes) record(to *[]probeOutcome, o probeOutcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*to = append(*to, o)
}

// outcomes returns copies of both probes' outcomes, in the order they ended.
func (p *servedProbes) outcomes() (warning, fact []probeOutcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.warning), slices.Clone(p.fact)
}

// report prints both latencies over the whole run.
func (p *servedProbes) report(stdout io.Writer) {
	warning, fact := p.outcomes()
	if took, missed := tookAndMissed(warning); len(took) > 0 {
		fmt.Fprintf(stdout, "HIGH_HIGH reading → warning readable via GET /api/v1/warnings, under the load: %d probes (%d missed after 10 s): %s\n",
			len(took), missed, quantiles(took))
		acked, after, read := ackedAndAfter(warning)
		fmt.Fprintf(stdout, "  of which the POST (sent → accepted): %s; accepted → readable: %s\n", quantiles(acked), quantiles(after))
		fmt.Fprintf(stdout, "  the GET that found the warning (part of accepted → readable): %s\n", quantiles(read))
	} else {
		fmt.Fprintf(stdout, "no warning probe became readable (%d missed after 10 s)\n", missed)
	}
	if took, missed := tookAndMissed(fact); len(took) > 0 {
		fmt.Fprintf(stdout, "late reading → governance fact stored (governance_facts), under the load: %d probes (%d missed after 1 min): %s\n",
			len(took), missed, quantiles(took))
	} else {
		fmt.Fprintf(stdout, "no governance probe reached a stored fact (%d missed after 1 min)\n", missed)
	}
}
