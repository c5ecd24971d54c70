package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/freeport"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// servedOptions configures `bench --scenario served`.
type servedOptions struct {
	table       *schemas.Table
	records     int
	batch       int
	concurrency int
	companies   int
	points      int     // time-series tables: points (devices, indicators) per company
	rate        float64 // records/s offered; 0: as fast as acknowledged
	syncWrites  bool
	profile     string // directory for the served process's CPU and allocation profiles; "" none
	exe         string // the chemguard binary to serve; "" this one
	// behind: a paced time-series record's time is its send time less this.
	behind time.Duration
	// probeEvery, on sensor-readings: a warning probe and a governance probe this
	// often during the load (servedProbes); 0: none.
	probeEvery time.Duration
}

// servedGroups are the consumer groups `chemguard serve` runs, each with its topics.
var servedGroups = []struct {
	name   string
	topics func() []string
}{
	{ingest.SinkGroup, events.Topics},
	{warningsvc.Group, warningsvc.Topics},
	{governancesvc.Group, governancesvc.Topics},
}

// runServed measures the platform as served: it starts `chemguard serve` as its own
// process (embedded broker, every consumer group, on a throw-away database of
// server), registers the companies, pushes the records over HTTP from concurrent
// clients and follows them to PostgreSQL. It reports the HTTP rate and latency, the
// rate end to end (acknowledged → visible in PostgreSQL, then → every consumer group
// caught up), the lag from acknowledgement to visibility, the served process's CPU
// per 1,000 records and its peak RSS (from /proc), and the ceiling of the same run:
// a plain COPY of the same rows into a table shaped like the history.
//
// The served process inherits the bench's environment (so GOMEMLIMIT, GOGC and any
// CHEMGUARD_* setting can be measured) with its database, data directory, listen
// address, operator token and exchange rate limits replaced.
func runServed(ctx context.Context, server string, o servedOptions, stdout io.Writer) (err error) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t := o.table
	dsn, drop, err := createDatabase(ctx, server)
	if err != nil {
		return err
	}
	defer drop()
	dataDir, err := os.MkdirTemp("", "chemguard-bench-served-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)

	srv, err := startServe(ctx, o, dsn, dataDir)
	if err != nil {
		return err
	}
	if o.profile != "" {
		// The served process's log (its warnings, and kafka-go's group joins with
		// CHEMGUARD_KAFKA_DEBUG) goes with the profiles: what happened in a tenth of
		// the timeline is read there. Copied once the process has stopped.
		defer copyFile(filepath.Join(dataDir, "serve.log"), filepath.Join(o.profile, "serve.log"))
	}
	defer srv.stop()
	if len(t.VersionTime) > 0 && t.TimeSeries {
		if p := pacedPoints(o.points, o.batch, o.companies, o.rate); p != o.points {
			fmt.Fprintf(stdout, "bench served: %d points per company instead of %d, so that at %s no point reports twice in a second\n",
				p, o.points, rateText(o.rate))
			o.points = p
		}
		if o.rate > 0 {
			fmt.Fprintf(stdout, "bench served: each record stamped with its send time less %s (--behind)\n", o.behind)
		}
	}
	fmt.Fprintf(stdout, "bench served: chemguard serve pid %d on %s, %d %s records in batches of %d, %d concurrent, %d companies, offered %s, broker fsync=%v, GOMEMLIMIT=%q\n",
		srv.cmd.Process.Pid, srv.url, o.records, t.Slug, o.batch, o.concurrency, o.companies, rateText(o.rate), o.syncWrites, os.Getenv("GOMEMLIMIT"))

	// Companies and keys, written the way `chemguard enterprise add` writes them.
	cfg, err := config.Parse(srv.env)
	if err != nil {
		return err
	}
	ents, closeDB, err := platform.OpenEnterprises(ctx, cfg)
	if err != nil {
		return err
	}
	comps := simulate.Companies(o.companies, 42)
	keys := make([]string, len(comps))
	for i, c := range comps {
		if err = ents.Add(ctx, store.Enterprise{Code: c.Code, Name: c.Name, DivisionCode: c.County}); err == nil {
			keys[i], err = ents.IssueKey(ctx, c.Code)
		}
		if err != nil {
			closeDB()
			return err
		}
	}
	closeDB()
	pool, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency + 2}}
	var probes *servedProbes
	var baseline int64 // records the sink stored before the load (the probes' definitions)
	if o.probeEvery > 0 {
		if t != schemas.SensorReadings {
			return fmt.Errorf("bench: --probe-every needs --table %s", schemas.SensorReadings.Slug)
		}
		if probes, err = prepareProbes(ctx, client, srv.url, cfg, dsn, comps, keys); err != nil {
			return err
		}
		defer probes.close()
		defs := int64(len(comps) * probeAreas)
		for deadline := time.Now().Add(time.Minute); baseline < defs; time.Sleep(50 * time.Millisecond) {
			if baseline, err = srv.sinkStored(ctx, client); err != nil || time.Now().After(deadline) {
				return fmt.Errorf("bench: the sink stored %d of the %d probe definitions: %v", baseline, defs, err)
			}
		}
	}
	reqs := buildRequests(t, o, comps, keys, time.Now())

	before, err := readProc(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	// PostgreSQL's CPU, when its server runs on this machine: the postmaster and its
	// backends (every database of the cluster: use a cluster of the bench's own).
	postmaster, pgWhy := postmasterPID(ctx, pool)
	var pgBefore time.Duration
	if postmaster > 0 {
		if pgBefore, err = readTreeCPU(postmaster); err != nil {
			postmaster, pgWhy = 0, err.Error()
		}
	}
	loadBefore := loadAverage()
	busCfg := bus.Config{Brokers: srv.brokers, Partitions: 1}
	start := time.Now()
	tl := startTimeline(ctx, busCfg, srv.cmd.Process.Pid, postmaster, dsn, start)
	defer tl.finish() // on an early return; finishing again is harmless
	var profDone chan error
	if o.profile != "" {
		// A CPU profile of the load's middle: it starts with the load and lasts as
		// long as the load is expected to (at most 30 s).
		secs := 10
		if o.rate > 0 {
			secs = int(float64(o.records) / o.rate * 0.8)
		}
		secs = min(max(secs, 3), 30)
		profDone = make(chan error, 1)
		go func() {
			profDone <- fetchTo(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", srv.pprofAddr, secs),
				filepath.Join(o.profile, t.Slug+".cpu.pprof"))
		}()
	}

	// The visibility curve: what the sink has committed to PostgreSQL, from its
	// metric (incremented after each commit), every 25 ms.
	var visible curve
	var visMu sync.Mutex
	pollCtx, stopPoll := context.WithCancel(ctx)
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			n, err := srv.sinkStored(pollCtx, client)
			n -= baseline
			if err == nil {
				visMu.Lock()
				if len(visible) == 0 || n > visible[len(visible)-1].N {
					visible = append(visible, mark{time.Since(start), n})
				}
				visMu.Unlock()
			}
			select {
			case <-pollCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	lastVisible := func() int64 {
		visMu.Lock()
		defer visMu.Unlock()
		if len(visible) == 0 {
			return 0
		}
		return visible[len(visible)-1].N
	}

	stopProbes, probesDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(probesDone)
		if probes != nil {
			probes.run(ctx, start, o.probeEvery, stopProbes)
		}
	}()
	res := pushAll(ctx, client, srv.url, t.Slug, reqs, o.concurrency, o.rate, o.behind, start)
	close(stopProbes) // the probes in flight go on polling while the sink catches up
	acked := res.elapsed
	accepted := res.accepted()

	// Wait until the sink has stored every accepted record.
	var stall time.Duration
	for last, since := int64(-1), time.Now(); lastVisible() < accepted; time.Sleep(25 * time.Millisecond) {
		if n := lastVisible(); n != last {
			last, since = n, time.Now()
		} else if stall = time.Since(since); stall > time.Minute {
			break
		}
	}
	sinkDone := time.Since(start)
	stopPoll()
	<-pollDone

	// Every other consumer group too.
	caught := map[string]time.Duration{}
	behind := map[string]int64{} // groups still behind when the bench stopped waiting
	deadline := time.Now().Add(2 * time.Minute)
	for _, g := range servedGroups {
		for ; ; time.Sleep(50 * time.Millisecond) {
			lag, err := bus.GroupLag(ctx, busCfg, g.name, g.topics())
			if err != nil {
				return err
			}
			if lag == 0 {
				caught[g.name] = time.Since(start)
				break
			}
			if time.Now().After(deadline) {
				behind[g.name] = lag
				break
			}
		}
	}
	allDone := time.Since(start)
	moments := tl.finish()
	// A --serve-binary from before the sink yielded has no such metric: the run's
	// figures stand without it.
	yielded, yieldErr := srv.metric(ctx, client, "chemguard_sink_yield_seconds_total")
	// Likewise governance's wait (a binary from before it, or CHEMGUARD_GOVERNANCE_YIELD=0,
	// has none).
	govYielded, govYieldErr := srv.metric(ctx, client, "chemguard_governance_yield_seconds_total")
	stateWrites := srv.stateWrites(ctx, client)
	warningBatches := srv.warningBatches(ctx, client)
	after, err := readProc(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	var pgCPU time.Duration
	if postmaster > 0 {
		pgAfter, err := readTreeCPU(postmaster)
		if err != nil {
			return err
		}
		pgCPU = pgAfter - pgBefore
	}
	loadAfter := loadAverage()
	if o.profile != "" {
		if err := <-profDone; err != nil {
			return err
		}
		if err := fetchTo(ctx, "http://"+srv.pprofAddr+"/debug/pprof/allocs", filepath.Join(o.profile, t.Slug+".allocs.pprof")); err != nil {
			return err
		}
	}

	<-probesDone // every probe reading is acknowledged and counted in probes.sent
	// What PostgreSQL holds, counted once at the end.
	var stored int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+store.HistoryTable(t)).Scan(&stored); err != nil {
		return err
	}
	if probes != nil {
		stored -= probes.sent.Load() // the probes' readings are stored beside the load's
	}
	ceiling, err := copyCeiling(ctx, pool, t, reqs)
	if err != nil {
		return err
	}

	lag, missing := lags(ackCurve(res.acks), visible)
	cpu := after.CPU - before.CPU
	e2e := float64(stored) / sinkDone.Seconds()
	fmt.Fprintf(stdout, "HTTP: %d requests (%d failed, %d records refused) in %s → %.0f records/s acknowledged; request latency (%d records) %s\n",
		len(reqs), res.failed, res.rejected, acked.Round(time.Millisecond), float64(accepted)/acked.Seconds(), o.batch, summary(res.latencies))
	fmt.Fprintf(stdout, "end to end: %d records visible in PostgreSQL (%s) in %s → %.0f records/s\n",
		stored, store.HistoryTable(t), sinkDone.Round(time.Millisecond), e2e)
	for _, g := range servedGroups {
		if n, ok := behind[g.name]; ok {
			fmt.Fprintf(stdout, "  consumer group %s still %d messages behind at %s (2 minutes after the sink)\n", g.name, n, allDone.Round(time.Millisecond))
			continue
		}
		fmt.Fprintf(stdout, "  consumer group %s caught up at %s\n", g.name, caught[g.name].Round(time.Millisecond))
	}
	if len(behind) == 0 {
		fmt.Fprintf(stdout, "every consumer group caught up in %s → %.0f records/s\n", allDone.Round(time.Millisecond), float64(accepted)/allDone.Seconds())
	}
	fmt.Fprintf(stdout, "acknowledged → visible lag: %s (%d records never seen)\n", summary(lag), missing)
	if yieldErr == nil {
		fmt.Fprintf(stdout, "the sink waited %.1f s in all for the warning consumer to catch up (CHEMGUARD_SINK_YIELD)\n", yielded)
	} else {
		fmt.Fprintf(stdout, "how long the sink waited for the warning consumer: not known (%v)\n", yieldErr)
	}
	if govYieldErr == nil {
		fmt.Fprintf(stdout, "governance waited %.1f s in all for the warning consumer to catch up (CHEMGUARD_GOVERNANCE_YIELD)\n", govYielded)
	}
	for _, line := range stateWrites {
		fmt.Fprintln(stdout, line)
	}
	if warningBatches != "" {
		fmt.Fprintln(stdout, warningBatches)
	}
	fmt.Fprintf(stdout, "served process: %.2f CPU s over the run = %.3f CPU s per 1,000 records; RSS at end %s, peak %s\n",
		cpu.Seconds(), cpu.Seconds()/float64(max(accepted, 1))*1000, mib(after.RSS), mib(after.PeakRSS))
	if postmaster > 0 {
		per := (cpu + pgCPU).Seconds() / float64(max(accepted, 1)) * 1000
		fmt.Fprintf(stdout, "PostgreSQL (postmaster %d and its backends): %.2f CPU s = %.3f CPU s per 1,000 records; served + PostgreSQL %.3f CPU s per 1,000 → %.0f records/s if they had 2 cores to themselves\n",
			postmaster, pgCPU.Seconds(), pgCPU.Seconds()/float64(max(accepted, 1))*1000, per, 2000/per)
	} else {
		fmt.Fprintf(stdout, "PostgreSQL CPU not measured: %s\n", pgWhy)
	}
	fmt.Fprintf(stdout, "machine load average (1 min) at start %s, at end %s\n", loadBefore, loadAfter)
	fmt.Fprintf(stdout, "ceiling, plain COPY of the same rows in the same database: %.0f rows/s; ratio end to end / ceiling %.2f\n", ceiling, e2e/ceiling)
	var warningOutcomes, factOutcomes []probeOutcome
	if probes != nil {
		probes.report(stdout)
		warningOutcomes, factOutcomes = probes.outcomes()
	}
	reportTimeline(stdout, allDone, moments, warningOutcomes, factOutcomes)
	if o.profile != "" {
		fmt.Fprintf(stdout, "profiles: %s/%s.{cpu,allocs}.pprof (go tool pprof -top %s %s/%s.cpu.pprof)\n", o.profile, t.Slug, srv.exe, o.profile, t.Slug)
	}
	switch {
	case res.failed > 0:
		return fmt.Errorf("bench: %d requests failed", res.failed)
	case len(behind) > 0:
		return fmt.Errorf("bench: consumer groups behind when the bench stopped waiting: %v", behind)
	case stored < accepted:
		return fmt.Errorf("bench: only %d of %d acknowledged records are in PostgreSQL (sink stalled %s)", stored, accepted, stall.Round(time.Second))
	}
	return nil
}

func rateText(r float64) string {
	if r <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0f records/s", r)
}

// request is one prepared exchange POST.
type request struct {
	key     string
	body    []byte
	records int
	// stampAt: in a paced time-series run, where in body each record's event time
	// (19 bytes, schemas.DateTimeLayout) is written when the request is sent.
	stampAt []int
}

// buildRequests prepares every request body before the load, so generating them
// does not count. Time-series records are distinct facts of a fixed set of points
// per company — what a plant sends — rather than one point with a long history.
// Unpaced, a point reports once a second, ending now. Paced (o.rate > 0), every
// record is taken when it is sent, less o.behind: pushAll writes into the body its
// request's planned send time less o.behind, so the readings' times advance with
// the clock as a province's do and a point reports at most once a second
// (pacedPoints gives enough points). A refresh of the trend materializes only
// minutes older than the settle (10 min), so on a new database the refreshes of a
// 10-minute load would find none of it, where a running province's find the 5
// minutes since the last. By default o.behind is a minute less than the settle:
// the refreshes at minutes 5 and 10 find 4 and 5 minutes of the load, and a
// reading the sink stores up to a minute late still lands in a minute not yet
// materialized. Stamped exactly the settle behind, a reading the sink stores after
// a refresh could fall in a minute it had just done, and the next refresh would
// redo that minute for every point.
func buildRequests(t *schemas.Table, o servedOptions, comps []simulate.Company, keys []string, now time.Time) []request {
	r := mrand.New(mrand.NewPCG(1, 2))
	// Requests go to the companies in turn; count each company's records first so
	// its points' newest reading is now.
	total := make([]int, len(comps))
	for sent, i := 0, 0; sent < o.records; i++ {
		n := min(o.batch, o.records-sent)
		total[i%len(comps)] += n
		sent += n
	}
	points := max(1, o.points)
	stamped := o.rate > 0 && len(t.VersionTime) > 0
	placeholder := now.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	var reqs []request
	sentBy := make([]int, len(comps))
	for sent := 0; sent < o.records; {
		ci := len(reqs) % len(comps)
		c := comps[ci]
		n := min(o.batch, o.records-sent)
		recs := make([]simulate.Record, n)
		for i := range recs {
			j := sentBy[ci] + i
			recs[i] = simulate.NewRecord(r, t, c, now)
			if len(t.VersionTime) > 0 {
				at := placeholder
				if !stamped {
					at = now.Add(-time.Duration((total[ci]-1)/points-j/points) * time.Second).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
				}
				recs[i][t.VersionTime[0]] = at
				if t.Key != "" && t.TimeSeries {
					recs[i][t.Key] = fmt.Sprintf("%s-P%04d", c.Code, j%points)
				}
			}
		}
		sentBy[ci] += n
		sent += n
		body, _ := json.Marshal(recs)
		q := request{key: keys[ci], body: body, records: n}
		if stamped {
			// json.Marshal writes a map's keys sorted, without spaces: the time is
			// the string after `"FIELD":"`.
			field := []byte(`"` + t.VersionTime[0] + `":"` + placeholder + `"`)
			for i := 0; ; {
				k := bytes.Index(body[i:], field)
				if k < 0 {
					break
				}
				q.stampAt = append(q.stampAt, i+k+len(field)-len(placeholder)-1)
				i += k + len(field)
			}
		}
		reqs = append(reqs, q)
	}
	return reqs
}

// pacedPoints is the points per company a paced time-series run needs so that no
// point reports twice in a second (the exchange tables' times are to the second,
// and a second reading would be the same fact): a company's point comes round
// again after points/batch of its requests, which at rate is at least a second
// later when that many whole batches of every company make rate records. Given
// points stay when they are enough.
func pacedPoints(points, batch, companies int, rate float64) int {
	if rate <= 0 || batch <= 0 || companies <= 0 {
		return points
	}
	perCompany := int(math.Ceil(rate / float64(companies)))
	need := (perCompany + batch - 1) / batch * batch
	return max(points, need)
}

// plannedAt is when a paced run sends the request that follows the first before
// records: in integer nanoseconds, so a point's next reading, rate records later,
// is exactly a second later and never in the same second.
func plannedAt(start time.Time, before int, rate float64) time.Time {
	return start.Add(time.Duration(int64(before) * int64(time.Second) / max(1, int64(math.Round(rate)))))
}

// stamp writes at into q's body where its records' event times are.
func (q request) stamp(at time.Time) {
	if len(q.stampAt) == 0 {
		return
	}
	var buf [len(schemas.DateTimeLayout)]byte
	ts := at.In(schemas.Shanghai).AppendFormat(buf[:0], schemas.DateTimeLayout)
	for _, off := range q.stampAt {
		copy(q.body[off:], ts)
	}
}

// pushResult is what the clients saw.
type pushResult struct {
	acks      []mark // per request: when it was answered, records accepted
	latencies []time.Duration
	failed    int
	rejected  int
	elapsed   time.Duration
}

func (p pushResult) accepted() int64 {
	var n int64
	for _, a := range p.acks {
		n += a.N
	}
	return n
}

// pushAll posts reqs from concurrency clients, paced to rate records/s when rate > 0.
func pushAll(ctx context.Context, client *http.Client, base, slug string, reqs []request, concurrency int, rate float64, behind time.Duration, start time.Time) pushResult {
	var mu sync.Mutex
	var res pushResult
	next := 0
	offered := make([]int, len(reqs)+1) // records before request i
	for i, q := range reqs {
		offered[i+1] = offered[i] + q.records
	}
	var wg sync.WaitGroup
	for range concurrency {
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
				if rate > 0 {
					planned := plannedAt(start, offered[i], rate)
					reqs[i].stamp(planned.Add(-behind))
					time.Sleep(time.Until(planned))
				}
				t0 := time.Now()
				acc, rej, err := simulate.PostRaw(ctx, client, base, reqs[i].key, slug, reqs[i].body)
				done := time.Since(start)
				mu.Lock()
				res.latencies = append(res.latencies, time.Since(t0))
				res.acks = append(res.acks, mark{done, int64(acc)})
				res.rejected += rej
				if err != nil {
					res.failed++
					slog.Warn("bench: request failed", "err", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// copyCeiling COPYs the rows of reqs into a new table shaped like t's history in
// the same database: what PostgreSQL alone absorbs, in rows/s.
func copyCeiling(ctx context.Context, conn *pgx.Conn, t *schemas.Table, reqs []request) (float64, error) {
	now := time.Now()
	var rows [][]any
	for _, q := range reqs {
		var recs []json.RawMessage
		if err := json.Unmarshal(q.body, &recs); err != nil {
			return 0, err
		}
		for i, rec := range recs {
			rows = append(rows, []any{uuid.New(), "370102001", strconv.Itoa(len(rows)), false, now, int64(i), now, rec})
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_ceiling (LIKE `+t.SQLName()+`_history INCLUDING DEFAULTS INCLUDING INDEXES)`); err != nil {
		return 0, err
	}
	c0 := time.Now()
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bench_ceiling"},
		[]string{"msg_id", "company_code", "record_key", "deleted", "event_time", "version", "received_at", "doc"},
		pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	return float64(len(rows)) / time.Since(c0).Seconds(), nil
}

// served is a running `chemguard serve`.
type served struct {
	cmd       *exec.Cmd
	exe       string
	env       map[string]string
	url       string
	brokers   []string
	pprofAddr string
	token     string
	done      chan error
}

var servingLine = regexp.MustCompile(`^chemguard serving on (\S+) \(brokers \[([^\]]*)\]\)`)

// startServe starts `chemguard serve` on dsn and dataDir and waits until it serves.
func startServe(ctx context.Context, o servedOptions, dsn, dataDir string) (*served, error) {
	exe := o.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	httpAddr, err := freeport.Addr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeport.Addr()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	s := &served{exe: exe, pprofAddr: pprofAddr, token: hex.EncodeToString(tok), done: make(chan error, 1)}
	s.env = config.Environ(os.Environ())
	for k, v := range map[string]string{
		"CHEMGUARD_DATABASE_URL": dsn, "CHEMGUARD_MIGRATE_DATABASE_URL": dsn, "CHEMGUARD_DATA_DIR": dataDir,
		"CHEMGUARD_HTTP_ADDR": httpAddr, "CHEMGUARD_OPERATOR_TOKEN": s.token,
		"CHEMGUARD_KAFKA_SYNC_WRITES": strconv.FormatBool(o.syncWrites),
		// The bench is one address and a few keys sending far above a company's
		// allowance: the edge's per-key and per-address limits would measure themselves.
		"CHEMGUARD_RATE_EXCHANGE_PER_KEY": "100000000/1000000", "CHEMGUARD_RATE_EXCHANGE_PER_IP": "100000000/1000000",
	} {
		s.env[k] = v
	}
	if o.profile != "" {
		s.env["CHEMGUARD_PPROF_ADDR"] = pprofAddr
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return nil, err
		}
	}
	s.cmd = exec.Command(exe, "serve")
	for k, v := range s.env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	logFile, err := os.Create(filepath.Join(dataDir, "serve.log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = logFile
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait(); logFile.Close() }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	timeout := time.After(3 * time.Minute)
	for s.url == "" {
		select {
		case l := <-lines:
			if m := servingLine.FindStringSubmatch(l); m != nil {
				s.url, s.brokers = m[1], strings.Fields(m[2])
			}
		case err := <-s.done:
			tail, _ := os.ReadFile(filepath.Join(dataDir, "serve.log"))
			return nil, fmt.Errorf("bench: chemguard serve exited at start (%v): %s", err, lastLines(tail, 20))
		case <-timeout:
			s.stop()
			return nil, errors.New("bench: chemguard serve did not start serving within 3 minutes")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		}
	}
	return s, nil
}

// stop ends the served process as an operator would (SIGTERM: it drains), and
// kills it if it has not stopped within a minute.
func (s *served) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// sinkStored reads from /metrics how many messages the sink has committed to
// PostgreSQL (the sum of its batch-size histogram, observed after each commit).
func (s *served) sinkStored(ctx context.Context, client *http.Client) (int64, error) {
	n, err := s.metric(ctx, client, "chemguard_sink_batch_records_sum")
	return int64(n), err
}

// metric reads one sample from the served process's /metrics.
func (s *served) metric(ctx context.Context, client *http.Client, name string) (float64, error) {
	v, err := s.metrics(ctx, client, name)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// metrics reads samples from one scrape of the served process's /metrics, in the
// order of names (a name with its labels, as exposed: `family{label="value"}`).
func (s *served) metrics(ctx context.Context, client *http.Client, names ...string) ([]float64, error) {
	var out []float64
	err := s.scrape(ctx, client, func(r io.Reader) (err error) {
		out, err = metricValues(r, names...)
		return err
	})
	return out, err
}

// histograms reads histograms without labels from one scrape of /metrics, by family;
// a family not exposed is left out.
func (s *served) histograms(ctx context.Context, client *http.Client, families ...string) (map[string]histogram, error) {
	out := map[string]histogram{}
	err := s.scrape(ctx, client, func(r io.Reader) error {
		exposition, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		for _, f := range families {
			if h, err := readHistogram(bytes.NewReader(exposition), f); err == nil {
				out[f] = h
			}
		}
		return nil
	})
	return out, err
}

// scrape GETs the served process's /metrics and hands read the exposition.
func (s *served) scrape(ctx context.Context, client *http.Client, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	// Uncompressed: the bench reads this every 25 ms, and gzipping the exposition 40
	// times a second was half of the 4 % of the served process's CPU its scrapes took
	// (run S3's profile) — load a production scrape every 15 s does not add.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: GET /metrics: HTTP %d", resp.StatusCode)
	}
	return read(resp.Body)
}

// stateWrites says, per engine, how many company state rows the served process
// stored whole (head and fresh part) and with their fresh part alone, and the bytes
// of each part (runner.Writes). A --serve-binary from before those counters says
// nothing.
func (s *served) stateWrites(ctx context.Context, client *http.Client) []string {
	var out []string
	for _, engine := range []string{"alerting", "quality"} {
		var names []string
		for _, sample := range []string{"rows_total/whole", "rows_total/fresh", "bytes_total/head", "bytes_total/fresh", "bytes_total/items"} {
			family, part, _ := strings.Cut(sample, "/")
			names = append(names, fmt.Sprintf(`chemguard_engine_state_%s{engine="%s",part="%s"}`, family, engine, part))
		}
		v, err := s.metrics(ctx, client, names...)
		if err != nil {
			return nil
		}
		out = append(out, fmt.Sprintf("%s states stored: %.0f rows whole (heads %.1f MB), %.0f with the fresh part alone; fresh parts %.1f MB, items %.1f MB",
			engine, v[0], v[2]/1e6, v[1], v[3]/1e6, v[4]/1e6))
	}
	return out
}

// warningBatches says how many batches the warning consumer stored over the served
// process's life, their mean size and how long storing one took (from the histogram
// chemguard_warning_batch_seconds: the runner's lock, apply, the transaction; bucket
// bounds, so upper bounds), per message how long after its publish its batch was handed to
// the consumer and stored, to tell where a probe's tail after the POST is, and the
// offset commits and how long they held the store stage back. A
// --serve-binary without those histograms says nothing (or less).
func (s *served) warningBatches(ctx context.Context, client *http.Client) string {
	const (
		batchSeconds = "chemguard_warning_batch_seconds"
		batchRecords = "chemguard_warning_batch_records"
		fetchedAfter = "chemguard_warning_fetched_after_seconds"
		storedAfter  = "chemguard_warning_stored_after_seconds"
		commit       = "chemguard_warning_commit_seconds"
		heldBack     = "chemguard_warning_held_back_seconds"
	)
	hs, err := s.histograms(ctx, client, batchSeconds, batchRecords, fetchedAfter, storedAfter, commit, heldBack)
	took, size := hs[batchSeconds], hs[batchRecords]
	if err != nil || took.count == 0 || size.count == 0 {
		return ""
	}
	line := fmt.Sprintf("warning consumer: %.0f batches stored, %.0f messages each on average; storing one: mean %s, p50 ≤ %s, p99 ≤ %s, p99.9 ≤ %s",
		took.count, size.sum/size.count, seconds(took.sum/took.count), seconds(took.quantile(0.5)),
		seconds(took.quantile(0.99)), seconds(took.quantile(0.999)))
	for _, d := range []struct{ family, what string }{
		{fetchedAfter, "published → batch handed to the consumer"},
		{storedAfter, "published → batch stored"},
	} {
		if h := hs[d.family]; h.count > 0 {
			line += fmt.Sprintf("\n  per message, %s: mean %s, p50 ≤ %s, p99 ≤ %s", d.what, seconds(h.sum/h.count),
				seconds(h.quantile(0.5)), seconds(h.quantile(0.99)))
		}
	}
	if h := hs[commit]; h.count > 0 {
		line += fmt.Sprintf("\n  offset commits: %.0f, mean %s, p99 ≤ %s; the store stage held back by them %.0f times, %s in all",
			h.count, seconds(h.sum/h.count), seconds(h.quantile(0.99)), hs[heldBack].count, seconds(hs[heldBack].sum))
	}
	return line
}

// seconds formats a figure in seconds as a duration (+Inf as is).
func seconds(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
}

// metricValue finds one sample in Prometheus text exposition.
func metricValue(r io.Reader, name string) (float64, error) {
	v, err := metricValues(r, name)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// metricValues finds samples in Prometheus text exposition, each named as exposed
// (with its labels), and returns their values in the order of names.
func metricValues(r io.Reader, names ...string) ([]float64, error) {
	at := make(map[string]int, len(names))
	for i, n := range names {
		at[n] = i
	}
	out := make([]float64, len(names))
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() && found < len(names) {
		line := strings.TrimRight(sc.Text(), " \t")
		sp := strings.LastIndexByte(line, ' ')
		i, ok := at[line[:max(sp, 0)]]
		if sp < 0 || !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[sp+1:]), 64)
		if err != nil {
			return nil, fmt.Errorf("bench: metric %s: %w", names[i], err)
		}
		out[i] = v
		delete(at, names[i])
		found++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, missing := at[n]; missing {
			return nil, fmt.Errorf("bench: metric %s not exposed", n)
		}
	}
	return out, nil
}

// fetchTo saves what url answers in file.
func fetchTo(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: GET %s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func lastLines(b []byte, n int) string {
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// postmasterPID finds the PostgreSQL server's process when it runs on this machine
// (its data directory readable here); otherwise 0 and why.
func postmasterPID(ctx context.Context, conn *pgx.Conn) (int, string) {
	var dir string
	if err := conn.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&dir); err != nil {
		return 0, "data_directory: " + err.Error()
	}
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, "the server is not on this machine or its data directory is not readable: " + err.Error()
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, "postmaster.pid: " + err.Error()
	}
	return pid, ""
}

// loadAverage is the machine's 1-minute load average (/proc/loadavg), as text.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// copyFile copies from to to, as well as it can: what is lost is a diagnostic.
func copyFile(from, to string) {
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	if err != nil {
		slog.Warn("bench: keep the served process's log", "err", err)
	}
}
