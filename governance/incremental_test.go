package governance_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// randomChain is n random events of company C1's 双重预防 chain and their base
// data, with ticks between them: records of every chain table drawn from small pools
// of IDs (so they are re-sent, changed, deleted and restored), links that resolve or
// not, hazard sources registered and withdrawn, 隐患 opened, accepted and past their
// deadline, orphaned check records whose task arrives later, the company retired.
func randomChain(tb testing.TB, seed uint64, n int) []timed {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed*7919))
	now := at(tb, "08:00:00")
	id := func(prefix string, pool int) string { return fmt.Sprintf("%s%d", prefix, r.IntN(pool)) }
	var out []timed
	for range n {
		now = now.Add(time.Duration(r.IntN(90)) * time.Second)
		const code = "C1"
		var ev governance.Event
		switch k := r.IntN(100); {
		case k < 15:
			out = append(out, timed{nil, now})
			continue
		case k < 50:
			d := danger(id("D", 40), id("H", 4), []string{"", id("M", 8)}[r.IntN(2)], now.Add(time.Duration(r.IntN(120)-30)*time.Minute),
				r.IntN(4) == 0, []string{"0", "1", "9"}[r.IntN(3)])
			d.Deleted = r.IntN(10) == 0
			ev = d
		case k < 70:
			rec := link(governance.TableCheckRecords, id("R", 30), id("T", 8))
			rec.At = now.Add(-time.Duration(r.IntN(600)) * time.Minute)
			rec.Deleted = r.IntN(8) == 0
			ev = rec
		case k < 76:
			tk := task(id("T", 8), id("M", 8), now.Add(-time.Duration(r.IntN(300))*time.Minute), float64(r.IntN(3)+1), "小时")
			tk.Deleted = r.IntN(6) == 0
			ev = tk
		case k < 82:
			m := link(governance.TableControlMeasures, id("M", 8), id("E", 6))
			m.Deleted = r.IntN(6) == 0
			ev = m
		case k < 87:
			e := link(governance.TableRiskEvents, id("E", 6), id("U", 4))
			e.Deleted = r.IntN(6) == 0
			ev = e
		case k < 91:
			u := unit(id("U", 4), id("H", 4))
			u.Deleted = r.IntN(6) == 0
			ev = u
		case k < 96:
			ev = events.HazardSource{Company: code, Code: id("H", 4), Deleted: r.IntN(4) == 0}
		case k < 99:
			ev = events.IndicatorDef{Company: code, Code: id("I", 3), Hazard: id("H", 4), Kind: events.KindPressure,
				Thresholds: events.Thresholds{High: f(1)}}
		default:
			out = append(out, timed{retire{code}, now})
			continue
		}
		out = append(out, timed{ev, now})
	}
	return out
}

// retire is a company disabled in the registry, in randomChain's events.
type retire struct{ code string }

func (r retire) CompanyCode() string { return r.code }

// The base check at a tick looks only at the findings the 隐患 and check records
// changed since the last one, unless other base data changed: on random chains it
// makes exactly the changes, in the same order, and leaves exactly the memory that
// checking the whole base data at every tick does — also across stores of the
// changed items (some failing) and restarts from them.
func TestIncrementalBaseMatchesWholeChecks(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			inc, whole := newTracker(t), newTracker(t)
			s := &itemStore{code: "C1", items: map[string][]byte{}}
			facts := 0
			for i, e := range randomChain(t, seed, 600) {
				var got, want []governance.Change
				switch ev := e.ev.(type) {
				case nil:
					got = inc.Tick(e.now)
					governance.WholeBaseChecks(whole)
					want = whole.Tick(e.now)
				case retire:
					got = inc.Retire(ev.code, e.now, "企业已停用")
					want = whole.Retire(ev.code, e.now, "企业已停用")
				default:
					got = inc.Apply(ev, e.now)
					want = whole.Apply(ev, e.now)
				}
				// As JSON: a restarted tracker's times are the same instants in another *time.Location.
				wantJSON, err := json.Marshal(want)
				require.NoError(t, err)
				gotJSON, err := json.Marshal(got)
				require.NoError(t, err)
				require.JSONEq(t, string(wantJSON), string(gotJSON), "event %d (%T)", i, e.ev)
				facts += len(got)
				if i%5 != 4 {
					continue
				}
				// The items stored as the consumer stores them; now and then a store
				// fails, or the process restarts from what is stored.
				s.save(t, inc, i%15 == 4)
				if i%45 == 14 {
					restarted := s.load(t)
					sameMemory(t, inc, restarted, fmt.Sprintf("restored after event %d", i))
					inc = restarted
				}
			}
			sameMemory(t, whole, inc, "at the end")
			require.NotZero(t, facts)
		})
	}
}
