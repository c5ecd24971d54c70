package positioning_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/testclock"
)

// drive feeds a vehicle's fixes (seconds after t0, x metres along a road)
// through Velocity as Ingest does, and returns the tag's state after each.
func drive(t0 time.Time, fixes [][2]float64, reported []*float64) []positioning.Person {
	var prev *positioning.Person
	var out []positioning.Person
	for i, f := range fixes {
		at := positioning.Point{X: f[1], Y: 5}
		ts := t0.Add(time.Duration(f[0] * float64(time.Second)))
		var rep *float64
		if reported != nil {
			rep = reported[i]
		}
		p := positioning.Person{Card: "CAR1", Name: "鲁A12345", Vehicle: true, Floor: "1", At: at, FixTime: ts}
		p.Speed, p.SpeedKnown, p.Anchor = positioning.Velocity(prev, "1", at, ts, rep)
		out = append(out, p)
		prev = &out[len(out)-1]
	}
	return out
}

func TestVelocity(t *testing.T) {
	t0 := testclock.Parse(t, "2026-12-05 10:00:00")

	t.Run("computed over a window, not from fixes a fraction of a second apart", func(t *testing.T) {
		// 10 m/s = 36 km/h, fixes every 0.5 s.
		var fixes [][2]float64
		for i := 0; i <= 12; i++ {
			fixes = append(fixes, [2]float64{float64(i) * 0.5, float64(i) * 5})
		}
		got := drive(t0, fixes, nil)
		assert.False(t, got[0].SpeedKnown, "one fix has no speed")
		assert.False(t, got[5].SpeedKnown, "2.5 s is under the window: no speed yet")
		require.True(t, got[6].SpeedKnown, "3 s: the first window is complete")
		assert.InDelta(t, 36, got[6].Speed, 0.01)
		assert.InDelta(t, 36, got[8].Speed, 0.01, "inside the next window the last speed stands")
		assert.InDelta(t, 36, got[12].Speed, 0.01)
	})

	t.Run("jitter of a parked vehicle is no speed", func(t *testing.T) {
		// ±1 m back and forth every 200 ms: 36 km/h between two fixes.
		var fixes [][2]float64
		for i := 0; i <= 40; i++ {
			fixes = append(fixes, [2]float64{float64(i) * 0.2, 50 + float64(i%2)})
		}
		got := drive(t0, fixes, nil)
		for i, p := range got {
			assert.LessOrEqual(t, p.Speed, 0.0, "fix %d: a standing vehicle's jitter is not speed", i)
		}
		assert.True(t, got[40].SpeedKnown)
	})

	t.Run("a gap or a change of floor starts afresh", func(t *testing.T) {
		got := drive(t0, [][2]float64{{0, 0}, {5, 50}, {200, 60}}, nil)
		assert.True(t, got[1].SpeedKnown)
		assert.InDelta(t, 36, got[1].Speed, 0.01)
		assert.False(t, got[2].SpeedKnown, "3 minutes without a fix: nothing known of the speed between")
		prev := got[1]
		_, known, _ := positioning.Velocity(&prev, "2", positioning.Point{X: 60, Y: 5}, t0.Add(10*time.Second), nil)
		assert.False(t, known, "another floor's coordinates are another frame")
	})

	t.Run("the gateway's own speed is taken as sent", func(t *testing.T) {
		v := 42.0
		got := drive(t0, [][2]float64{{0, 0}, {0.1, 0.1}}, []*float64{nil, &v})
		require.True(t, got[1].SpeedKnown)
		assert.Equal(t, 42.0, got[1].Speed)
	})
}

func TestSpeeding(t *testing.T) {
	now := testclock.Parse(t, "2026-12-05 10:00:00")
	bay := positioning.Fence{ID: 7, Name: "装卸区", Floor: "1", Kind: positioning.KindHazard, Polygon: square, SpeedLimit: 5}
	road := positioning.Fence{ID: 8, Name: "厂区主干道", Floor: "1", Kind: positioning.KindArea, SpeedLimit: 20,
		Polygon: positioning.Polygon{{X: 0, Y: 0}, {X: 100, Y: 0}, {X: 100, Y: 10}, {X: 0, Y: 10}}}
	car := func(x, speed float64, fix time.Time) positioning.Person {
		return positioning.Person{Card: "CAR1", Name: "鲁A12345", Vehicle: true, Floor: "1", At: positioning.Point{X: x, Y: 5},
			FixTime: fix, Speed: speed, SpeedKnown: true}
	}

	t.Run("the lowest limit of the fences the vehicle is in", func(t *testing.T) {
		got := positioning.Speeding(now, []positioning.Fence{road, bay}, []positioning.Person{car(5, 12, now)}, 0)
		require.Len(t, got, 1)
		c := got[0]
		assert.Equal(t, "07/CAR1", c.Key)
		assert.Equal(t, positioning.AlarmSpeeding, c.Type)
		assert.Equal(t, "装卸区", c.Location)
		assert.EqualValues(t, 7, c.FenceID)
		assert.Equal(t, "车辆鲁A12345在装卸区车速 12 km/h，超过限速 5 km/h", c.Info)
	})

	t.Run("a fence's limit stands over the plant's, higher or lower", func(t *testing.T) {
		assert.Empty(t, positioning.Speeding(now, []positioning.Fence{road, bay}, []positioning.Person{car(50, 18, now)}, 10), "18 on a 20 road")
		got := positioning.Speeding(now, []positioning.Fence{road, bay}, []positioning.Person{car(50, 25, now)}, 10)
		require.Len(t, got, 1)
		assert.Equal(t, "厂区主干道", got[0].Location)
	})

	t.Run("outside every fence the plant's limit, 15 km/h by default", func(t *testing.T) {
		out := car(500, 16, now)
		got := positioning.Speeding(now, []positioning.Fence{road, bay}, []positioning.Person{out}, 0)
		require.Len(t, got, 1)
		assert.Equal(t, "厂区", got[0].Location)
		assert.Contains(t, got[0].Info, "超过限速 15 km/h")
		assert.Empty(t, positioning.Speeding(now, nil, []positioning.Person{out}, 30), "the plant set 30")
		assert.Empty(t, positioning.Speeding(now, nil, []positioning.Person{car(500, 15, now)}, 0), "at the limit is not over it")
	})

	t.Run("only vehicles, only a fresh known speed, only active fences", func(t *testing.T) {
		walker := car(5, 12, now)
		walker.Vehicle = false
		unknown := car(5, 12, now)
		unknown.SpeedKnown = false
		stale := car(5, 30, now.Add(-2*time.Minute))
		assert.Empty(t, positioning.Speeding(now, []positioning.Fence{bay}, []positioning.Person{walker, unknown, stale}, 0))
		off := bay
		off.Suspended = true
		got := positioning.Speeding(now, []positioning.Fence{off}, []positioning.Person{car(5, 12, now)}, 0)
		assert.Empty(t, got, "a suspended bay's 5 km/h is off; 12 is under the plant's 15")
	})
}
