package warning_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/warning"
)

// The enterprise model counts overdue 重大隐患 from an index of the open ones, not from
// every 隐患 a company holds: on random 隐患 — re-sent, raised to 重大 and lowered,
// accepted, deleted, forgotten by ticks, the state stored as items and restored, the
// clock now and then stepping back — it names exactly those a look at every 隐患
// names.
func TestOverdueMajorsIndexMatchesEvery隐患(t *testing.T) {
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 17))
			e := newEngine(t)
			now := at(t, "08:00:00")
			head, items := []byte(nil), map[string][]byte{}
			seen := 0
			for i := range 800 {
				// Now and then the clock steps back (a host's clock corrected): the
				// index's earliest deadline holds whichever way it moves.
				now = now.Add(time.Duration(r.IntN(130)-10) * time.Second)
				switch k := r.IntN(20); {
				case k == 0:
					e.Tick(now)
				case k == 1: // store what changed, and now and then restart from it
					changed, err := e.ChangedItems("C1")
					require.NoError(t, err)
					for key, b := range changed {
						if b == nil {
							delete(items, key)
						} else {
							items[key] = b
						}
					}
					head, err = warning.MarshalHead(e.State())
					require.NoError(t, err)
					e.ItemsStored("C1")
					if r.IntN(3) == 0 {
						e, err = warning.RestoreItems(cfg, "C1", head, items)
						require.NoError(t, err)
					}
				default:
					var deadline time.Time
					if r.IntN(5) > 0 {
						deadline = now.Add(time.Duration(r.IntN(240)-60) * time.Minute)
					}
					e.Apply(events.HiddenDanger{ID: fmt.Sprintf("D%d", r.IntN(40)), Company: "C1", Hazard: "H1", Name: "储罐区防火堤破损",
						Major: r.IntN(3) == 0, Accepted: r.IntN(5) == 0, Deleted: r.IntN(10) == 0, Deadline: deadline}, now)
				}
				indexed, scanned := warning.OverdueMajors(e, "C1", now)
				require.Equal(t, scanned, indexed, "step %d", i)
				seen += len(scanned)
			}
			require.NotZero(t, seen, "some 重大隐患 fell overdue")
		})
	}
}
