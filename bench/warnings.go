package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// warningOptions configures `bench --scenario warnings`.
type warningOptions struct {
	companies   int // companies sending readings
	indicators  int // gas detectors per company carrying the background load
	readings    int // readings per background detector (one per second of COLLECT_TIME)
	batch       int // readings per request
	concurrency int // concurrent background requests
	probes      int // HIGH_HIGH probes, one per company
	rate        int // background readings per second to offer (0: as fast as accepted)
	syncWrites  bool
}

// runWarnings measures how long a reading crossing HIGH_HIGH takes to become a
// warning readable through GET /api/v1/warnings while the pipeline carries a
// background load of normal readings from the same companies. Each probe is a
// reading of 60 %LEL on a detector of its own area (HIGH_HIGH 50): the leak model
// raises a warning for that area; the probe's latency runs from sending the reading
// to the first GET that returns the warning (polled every 5 ms by a province
// regulator).
func runWarnings(ctx context.Context, server string, o warningOptions, stdout io.Writer) error {
	app, comps, keys, done, err := startRunning(ctx, server, o.syncWrites, o.companies)
	if err != nil {
		return err
	}
	defer done()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency + 4}}
	num := func(v float64) json.Number { return json.Number(fmt.Sprint(v)) }
	for i, c := range comps {
		defs := []any{gasDetector(c, c.Code+"-PROBE", "可燃气体探测器 "+c.Code+"-PROBE", "探针区")}
		for j := 0; j < o.indicators; j++ {
			code := fmt.Sprintf("%s-G%03d", c.Code, j)
			defs = append(defs, gasDetector(c, code, "可燃气体探测器 "+code, "罐区"))
		}
		body, _ := json.Marshal(defs)
		if acc, _, err := simulate.PostRaw(ctx, client, app.URL(), keys[i], "indicators", body); err != nil || acc != len(defs) {
			return fmt.Errorf("bench: define indicators of %s: accepted %d: %v", c.Code, acc, err)
		}
	}
	// Readings travel on another topic than the definitions: start once the engine
	// knows every company.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM warning_engine_state`).Scan(&n); err != nil {
			return err
		}
		if n >= len(comps) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the engine knows %d of %d companies after 60s", n, len(comps))
		}
	}
	created, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: "bench_province", Password: "Chemguard-2026",
		Role: policy.ProvinceStaff, Domain: tiers.ProvinceCode}, identity.Actor{Name: "cli:bench"})
	if err != nil {
		return err
	}
	otp := ""
	if created.TOTPSecret != "" { // province accounts need a second factor by default
		if otp, err = identity.TOTPCode(created.TOTPSecret, time.Now()); err != nil {
			return err
		}
	}
	token, err := login(ctx, client, app.URL(), "bench_province", "Chemguard-2026", otp)
	if err != nil {
		return err
	}

	// Background load: every detector's readings, one per second of COLLECT_TIME
	// ending now (gas detectors raise 数据中断 after 5 minutes without data).
	start := time.Now().Add(-time.Duration(o.readings) * time.Second)
	type request struct {
		key  string
		body []byte
	}
	var reqs []request
	for step := 0; step < o.readings; {
		for ci, c := range comps {
			per := max(1, o.batch/o.indicators)
			var recs []map[string]any
			for s := step; s < min(step+per, o.readings); s++ {
				at := start.Add(time.Duration(s) * time.Second).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
				for j := 0; j < o.indicators; j++ {
					recs = append(recs, map[string]any{"INDICATOR_CODE": fmt.Sprintf("%s-G%03d", c.Code, j),
						"VALUE": num(float64(3 + (s+j)%5)), "COLLECT_TIME": at})
				}
			}
			body, _ := json.Marshal(recs)
			reqs = append(reqs, request{keys[ci], body})
		}
		step += max(1, o.batch/o.indicators)
	}
	total := o.readings * o.indicators * len(comps)
	perRequest := total / len(reqs)
	fmt.Fprintf(stdout, "bench warnings: %d companies × %d detectors, %d background readings in %d requests, %d concurrent, offered %d readings/s (0: unpaced), %d probes, broker fsync=%v\n",
		len(comps), o.indicators, total, len(reqs), o.concurrency, o.rate, o.probes, o.syncWrites)

	var next, failed atomic.Int64
	var sent atomic.Int64
	var wg sync.WaitGroup
	loadStart := time.Now()
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if o.rate > 0 { // pace: request i is due when i requests' readings fit the rate
					due := loadStart.Add(time.Duration(float64(i*perRequest) / float64(o.rate) * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				acc, _, err := simulate.PostRaw(ctx, client, app.URL(), reqs[i].key, "sensor-readings", reqs[i].body)
				if err != nil {
					failed.Add(1)
					slog.Warn("bench: request failed", "err", err)
				}
				sent.Add(int64(acc))
			}
		}()
	}

	var loadOver atomic.Bool
	go func() { wg.Wait(); loadOver.Store(true) }()

	// Probes, spread over the load. A probe sent while the load runs measures the
	// latency under load; once the load is over the remaining probes still run and
	// are reported apart — a short load (few companies, readings or a low rate)
	// would otherwise end before the first probe and leave nothing to report.
	var lat, after []time.Duration
	var missed int
	var probeEnd time.Duration // when the last probe sent under load ended
	var sentAtProbeEnd int64
	settle := time.Second // let the load reach its pace, within its first quarter
	if o.rate > 0 {
		settle = min(settle, time.Duration(float64(total)/float64(o.rate)/4*float64(time.Second)))
	}
	time.Sleep(settle)
	for p := 0; p < min(o.probes, len(comps)); p++ {
		underLoad := !loadOver.Load()
		c := comps[p]
		body, _ := json.Marshal([]any{map[string]any{"INDICATOR_CODE": c.Code + "-PROBE", "VALUE": num(60),
			"COLLECT_TIME": time.Now().In(schemas.Shanghai).Format(schemas.DateTimeLayout)}})
		t0 := time.Now()
		if acc, _, err := simulate.PostRaw(ctx, client, app.URL(), keys[p], "sensor-readings", body); err != nil || acc != 1 {
			return fmt.Errorf("bench: probe %s: %v", c.Code, err)
		}
		seen := false
		for time.Since(t0) < 10*time.Second {
			n, err := warningCount(ctx, client, app.URL(), token, c.Code)
			if err != nil {
				return err
			}
			if n > 0 {
				seen = true
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		switch {
		case !seen:
			missed++
		case underLoad:
			lat = append(lat, time.Since(t0))
		default:
			after = append(after, time.Since(t0))
		}
		if underLoad {
			probeEnd, sentAtProbeEnd = time.Since(loadStart), sent.Load()
		}
		time.Sleep(150 * time.Millisecond)
	}
	wg.Wait()
	loadTime := time.Since(loadStart)

	fmt.Fprintf(stdout, "background load: %d readings accepted in %s → %.0f readings/s (%d requests failed)\n",
		sent.Load(), loadTime.Round(time.Millisecond), float64(sent.Load())/loadTime.Seconds(), failed.Load())
	if probeEnd > 0 {
		fmt.Fprintf(stdout, "while probing under load (%s): %.0f readings/s accepted\n", probeEnd.Round(time.Millisecond),
			float64(sentAtProbeEnd)/probeEnd.Seconds())
	}
	if len(lat)+len(after) == 0 {
		return fmt.Errorf("bench: no probe became visible (%d missed after 10s)", missed)
	}
	if len(lat) > 0 {
		fmt.Fprintf(stdout, "HIGH_HIGH reading → warning readable via GET /api/v1/warnings under load: %s (%d missed after 10s)\n",
			percentiles(lat), missed)
	} else {
		fmt.Fprintf(stdout, "no probe ran under load: the load (%s) ended first — raise --readings or --companies, or lower --rate\n",
			loadTime.Round(time.Millisecond))
	}
	if len(after) > 0 {
		fmt.Fprintf(stdout, "after the load: %s\n", percentiles(after))
	}
	return nil
}

// percentiles sorts lat and describes it: how many, p50, p99 and max.
func percentiles(lat []time.Duration) string {
	return fmt.Sprintf("%d probes: %s", len(lat), quantiles(lat))
}

func login(ctx context.Context, client *http.Client, base, user, password, otp string) (string, error) {
	b, _ := json.Marshal(map[string]string{"username": user, "password": password, "otp": otp})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var rep struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || rep.Token == "" {
		return "", fmt.Errorf("bench: login %s: HTTP %d: %v", user, resp.StatusCode, err)
	}
	return rep.Token, nil
}

// warningCount returns how many leak warnings GET /api/v1/warnings shows for company.
func warningCount(ctx context.Context, client *http.Client, base, token, company string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/warnings?model=leak&company="+company, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var rep struct{ Warnings []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("bench: GET warnings: HTTP %d: %v", resp.StatusCode, err)
	}
	return len(rep.Warnings), nil
}

// gasDetector is the 指标信息 of a combustible-gas detector of company c in area:
// 0–100 %LEL, 高报 20, 高高报 50 — a reading of 60 raises the area's leak warning.
func gasDetector(c simulate.Company, code, name, area string) map[string]any {
	num := func(v float64) json.Number { return json.Number(fmt.Sprint(v)) }
	return map[string]any{"INDICATOR_CODE": code, "COMPANY_CODE": c.Code, "HAZARD_CODE": c.Code + "001",
		"INDICATOR_NAME": name, "INDICATOR_KIND": "5", "UNIT": "%LEL", "RANGE_LOW": num(0),
		"RANGE_HIGH": num(100), "HIGH": num(20), "HIGH_HIGH": num(50), "AREA": area, "DELETED": "0"}
}
