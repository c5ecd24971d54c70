package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/bus"
)

// A moment is what the timeline sampler saw of a served run at one instant: how
// far behind each consumer group was, the CPU the served process and PostgreSQL
// had used so far, the served process's resident set, and what the served
// process's PostgreSQL backends were doing.
type moment struct {
	at    time.Duration // since the load started
	lag   []int64       // messages behind, per servedGroups entry; -1 when the broker did not answer
	cpu   time.Duration // the served process's CPU so far
	pgCPU time.Duration // PostgreSQL's (postmaster and backends) so far; 0 when not measured
	rss   int64
	// active counts the served process's active backends by what they wait on
	// (pg_stat_activity.wait_event_type; "CPU" when they wait on nothing), plus
	// "other" for the database's other active backends: TimescaleDB's jobs
	// (continuous-aggregate refresh, compression), autovacuum.
	active map[string]int
}

// timeline samples a served run once a second until stop, so the report can say
// in which part of the run a probe missed and what the consumer groups and the
// machine were doing then.
type timeline struct {
	mu      sync.Mutex
	moments []moment
	stop    context.CancelFunc
	done    chan struct{}
}

// startTimeline starts sampling: the groups' lag from the broker, the served
// process pid and PostgreSQL's postmaster (0: not on this machine) from /proc,
// the backends from pg_stat_activity of dsn's database.
func startTimeline(ctx context.Context, busCfg bus.Config, pid, postmaster int, dsn string, start time.Time) *timeline {
	ctx, stop := context.WithCancel(ctx)
	tl := &timeline{stop: stop, done: make(chan struct{})}
	go func() {
		defer close(tl.done)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			conn = nil // the backends go unsampled; the rest still tells
		} else {
			defer conn.Close(context.Background())
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var pgSoFar time.Duration
		for {
			m := moment{at: time.Since(start), lag: make([]int64, len(servedGroups)), active: map[string]int{}}
			for i, g := range servedGroups {
				if m.lag[i], err = bus.GroupLag(ctx, busCfg, g.name, g.topics()); err != nil {
					m.lag[i] = -1
				}
			}
			if s, err := readProc(pid); err == nil {
				m.cpu, m.rss = s.CPU, s.RSS
			}
			if postmaster > 0 {
				// Never below the sample before: a backend reaped between the reads of
				// the postmaster's stat and of its own counts in neither, and comes back
				// in the postmaster's children's time at the next sample. Taken as read,
				// a tenth showed PostgreSQL at -3 % (a clean clone's make test,
				// 2026-12-07, under load 18), which the timeline's test refused.
				if c, err := readTreeCPU(postmaster); err == nil {
					pgSoFar = max(pgSoFar, c)
				}
				m.pgCPU = pgSoFar
			}
			if conn != nil {
				readActive(ctx, conn, m.active)
			}
			if ctx.Err() != nil {
				return
			}
			tl.mu.Lock()
			tl.moments = append(tl.moments, m)
			tl.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return tl
}

// readActive counts the database's active backends into into (see moment.active).
// The served process's pool names itself "chemguard" (store.Open).
func readActive(ctx context.Context, conn *pgx.Conn, into map[string]int) {
	rows, err := conn.Query(ctx, `SELECT CASE WHEN application_name = 'chemguard' THEN coalesce(wait_event_type, 'CPU')
		ELSE 'other' END, count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var what string
		var n int
		if rows.Scan(&what, &n) == nil {
			into[what] = n
		}
	}
}

// finish stops sampling and returns what was sampled.
func (tl *timeline) finish() []moment {
	tl.stop()
	<-tl.done
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.moments
}

// A probeOutcome is one probe of servedProbes: when it was sent and, when it
// became readable within its limit, how long that took.
type probeOutcome struct {
	at    time.Duration // sent, since the load started
	took  time.Duration // sent → readable
	acked time.Duration // sent → the POST answered (part of took)
	read  time.Duration // the read that found it (the end of took)
	ok    bool          // readable within the probe's limit (false: refused or missed)
}

// tookAndMissed splits outcomes into the latencies of the readable ones and the
// count of the others.
func tookAndMissed(outcomes []probeOutcome) (took []time.Duration, missed int) {
	for _, o := range outcomes {
		if o.ok {
			took = append(took, o.took)
		} else {
			missed++
		}
	}
	return took, missed
}

// ackedAndAfter splits the latencies of the readable outcomes at their POST's answer:
// sent → accepted, and accepted → readable; and gives the reads that found them.
func ackedAndAfter(outcomes []probeOutcome) (acked, after, read []time.Duration) {
	for _, o := range outcomes {
		if o.ok {
			acked = append(acked, o.acked)
			after = append(after, o.took-o.acked)
			read = append(read, o.read)
		}
	}
	return acked, after, read
}

// waitKinds are the wait_event_type values reported one by one in the timeline,
// the ones that say a consumer waits on PostgreSQL rather than runs; the rest
// are summed into the active total.
var waitKinds = []string{"CPU", "IO", "Lock", "LWLock", "Client", "other"}

// reportTimeline prints the run in tenths of end (the load's start until every
// group caught up): per tenth, the probes sent in it (how many, missed, p50/p99
// of the readable ones), each group's largest lag, the CPU the served process and
// PostgreSQL used (100 % = one core), the served process's largest resident set,
// and the average active backends by what they waited on.
func reportTimeline(w io.Writer, end time.Duration, moments []moment, warning, fact []probeOutcome) {
	names := make([]string, len(servedGroups))
	for i, g := range servedGroups {
		names[i] = g.name
	}
	fmt.Fprintf(w, "timeline, tenths of %s (the load's start until every group caught up), %d samples; lag = most messages behind in the tenth (%s); CPU 100 %% = one core; backends = the served process's active PostgreSQL backends on average, by wait (other: TimescaleDB jobs, autovacuum):\n",
		end.Round(time.Second), len(moments), strings.Join(names, " / "))
	tenth := max(end/10, time.Millisecond)
	unit := time.Second // what the tenths' bounds are rounded to
	if tenth < 10*time.Second {
		unit = 100 * time.Millisecond
	}
	var prev *moment
	mi := 0
	for k := range 10 {
		from, to := time.Duration(k)*tenth, time.Duration(k+1)*tenth
		if k == 9 {
			to = math.MaxInt64 // the last tenth takes what came after end too
		}
		var b strings.Builder
		fmt.Fprintf(&b, "  tenth %d (%s–%s):", k+1, from.Round(unit), min(to, end).Round(unit))
		for _, p := range []struct {
			name     string
			outcomes []probeOutcome
		}{{"warning", warning}, {"fact", fact}} {
			var in []probeOutcome
			for _, o := range p.outcomes {
				if o.at >= from && o.at < to {
					in = append(in, o)
				}
			}
			took, missed := tookAndMissed(in)
			fmt.Fprintf(&b, " %s probes %d (%d missed) %s;", p.name, len(in), missed, summary(took))
		}
		lagMax := slices.Repeat([]int64{-1}, len(servedGroups))
		var cpu, pgCPU, span time.Duration
		var rss int64
		active := map[string]float64{}
		samples := 0
		for ; mi < len(moments) && moments[mi].at < to; mi++ {
			m := &moments[mi]
			for i, l := range m.lag {
				lagMax[i] = max(lagMax[i], l)
			}
			if prev != nil {
				cpu += m.cpu - prev.cpu
				pgCPU += m.pgCPU - prev.pgCPU
				span += m.at - prev.at
			}
			rss = max(rss, m.rss)
			for what, n := range m.active {
				active[what] += float64(n)
			}
			samples++
			prev = m
		}
		if samples == 0 {
			fmt.Fprintf(&b, " no samples")
			fmt.Fprintln(w, b.String())
			continue
		}
		lags := make([]string, len(lagMax))
		for i, l := range lagMax {
			lags[i] = "?"
			if l >= 0 {
				lags[i] = fmt.Sprint(l)
			}
		}
		fmt.Fprintf(&b, " lag %s;", strings.Join(lags, " / "))
		if span > 0 {
			fmt.Fprintf(&b, " CPU served %.0f %% PostgreSQL %.0f %%;", percent(cpu, span), percent(pgCPU, span))
		}
		fmt.Fprintf(&b, " RSS %s; backends", mib(rss))
		for _, what := range waitKinds {
			fmt.Fprintf(&b, " %s %.1f", what, active[what]/float64(samples))
			delete(active, what)
		}
		var rest float64
		for _, n := range active {
			rest += n
		}
		fmt.Fprintf(&b, " else %.1f", rest/float64(samples))
		fmt.Fprintln(w, b.String())
	}
}

func percent(part, whole time.Duration) float64 { return 100 * part.Seconds() / whole.Seconds() }
