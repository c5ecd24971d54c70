package positioning_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/testclock"
)

var square = positioning.Polygon{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 10}, {X: 0, Y: 10}}

func TestPolygonContains(t *testing.T) {
	concave := positioning.Polygon{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 10}, {X: 5, Y: 5}, {X: 0, Y: 10}}
	for _, tc := range []struct {
		name string
		poly positioning.Polygon
		p    positioning.Point
		want bool
	}{
		{"inside", square, positioning.Point{X: 5, Y: 5}, true},
		{"outside", square, positioning.Point{X: 11, Y: 5}, false},
		{"on the edge counts as inside", square, positioning.Point{X: 10, Y: 4}, true},
		{"on a corner", square, positioning.Point{X: 0, Y: 0}, true},
		{"in the notch of a concave fence", concave, positioning.Point{X: 5, Y: 8}, false},
		{"beside the notch", concave, positioning.Point{X: 2, Y: 5}, true},
		{"degenerate fence holds nobody", square[:2], positioning.Point{X: 1, Y: 0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, tc.poly.Contains(tc.p)) })
	}
}

func types(cs []positioning.Condition) map[string]positioning.Condition {
	out := map[string]positioning.Condition{}
	for _, c := range cs {
		out[c.Key] = c
	}
	return out
}

func person(card, name string, x, y float64, since time.Time, fence int64) positioning.Person {
	return positioning.Person{Card: card, Name: name, Floor: "1", At: positioning.Point{X: x, Y: y}, StillSince: since,
		Entered: map[int64]time.Time{fence: since}}
}

func TestEvaluateRules(t *testing.T) {
	now := testclock.Parse(t, "2026-12-05 10:00:00")
	tank := positioning.Fence{ID: 1, Name: "液氨罐区", Floor: "1", Kind: positioning.KindHazard, Polygon: square, MaxPeople: 3,
		MaxStay: 30 * time.Minute, StillFor: 5 * time.Minute}
	control := positioning.Fence{ID: 2, Name: "中控室", Floor: "1", Kind: positioning.KindControl, MinPeople: 2,
		Polygon: positioning.Polygon{{X: 20, Y: 0}, {X: 30, Y: 0}, {X: 30, Y: 10}, {X: 20, Y: 10}}}

	t.Run("超员 when the limit is reached, naming the latest to enter", func(t *testing.T) {
		people := []positioning.Person{person("A", "甲", 1, 1, now.Add(-3*time.Minute), 1), person("B", "乙", 2, 2, now.Add(-2*time.Minute), 1),
			person("C", "丙", 3, 3, now.Add(-time.Minute), 1), person("D", "丁", 21, 1, now, 2), person("E", "戊", 22, 1, now, 2)}
		got := types(positioning.Evaluate(now, []positioning.Fence{tank, control}, people, nil, nil))
		require.Contains(t, got, "04/1")
		require.Equal(t, "C", got["04/1"].Card)
		require.Equal(t, "甲、乙、丙", got["04/1"].Name)
		require.Equal(t, "液氨罐区现有 3 人，达到限定人数 3 人", got["04/1"].Info)
		require.NotContains(t, got, "05/2", "two in the control room is enough")
		people = people[1:]
		got = types(positioning.Evaluate(now, []positioning.Fence{tank, control}, people, nil, nil))
		require.NotContains(t, got, "04/1", "two of three is below the limit")
	})
	t.Run("缺员 in the control room, also when it is empty", func(t *testing.T) {
		got := types(positioning.Evaluate(now, []positioning.Fence{control}, []positioning.Person{person("D", "丁", 21, 1, now, 2)}, nil, nil))
		require.Equal(t, positioning.AlarmShortage, got["05/2"].Type)
		got = types(positioning.Evaluate(now, []positioning.Fence{control}, nil, nil, nil))
		require.Equal(t, "无人在岗", got["05/2"].Name)
	})
	t.Run("滞留 and 静止 honour their durations", func(t *testing.T) {
		long := person("A", "甲", 5, 5, now.Add(-31*time.Minute), 1)
		long.StillSince = now.Add(-4 * time.Minute)
		got := types(positioning.Evaluate(now, []positioning.Fence{tank}, []positioning.Person{long}, nil, nil))
		require.Contains(t, got, "02/1/A")
		require.NotContains(t, got, "06/1/A", "4 minutes still is under 5")
		long.StillSince = now.Add(-5 * time.Minute)
		got = types(positioning.Evaluate(now, []positioning.Fence{tank}, []positioning.Person{long}, nil, nil))
		require.Contains(t, got, "06/1/A")
	})
	t.Run("a fence outside its hours or suspended raises nothing", func(t *testing.T) {
		night := tank
		night.ActiveFrom, night.ActiveTo = 22*60, 6*60
		people := []positioning.Person{person("A", "甲", 1, 1, now, 1), person("B", "乙", 2, 2, now, 1), person("C", "丙", 3, 3, now, 1)}
		require.Empty(t, positioning.Evaluate(now, []positioning.Fence{night}, people, nil, nil))
		require.NotEmpty(t, positioning.Evaluate(testclock.Parse(t, "2026-12-05 23:00:00"), []positioning.Fence{night}, people, nil, nil))
		off := tank
		off.Suspended = true
		require.Empty(t, positioning.Evaluate(now, []positioning.Fence{off}, people, nil, nil))
	})
	t.Run("离岗 and 串岗", func(t *testing.T) {
		postA := positioning.Fence{ID: 5, Name: "合成岗", Floor: "1", Kind: positioning.KindPost, Polygon: square}
		away := person("A", "甲", 50, 50, now, 0)
		away.PostFence = 5
		visitor := person("B", "乙", 5, 5, now, 5)
		visitor.PostFence = 9
		got := types(positioning.Evaluate(now, []positioning.Fence{postA}, []positioning.Person{away, visitor}, nil, nil))
		require.Equal(t, "甲离岗：离开合成岗", got["03/5/A"].Info)
		require.Equal(t, "乙串岗：进入合成岗", got["03/5/B"].Info)
	})
	t.Run("作业区域: the guardian leaving and a stranger entering", func(t *testing.T) {
		work := positioning.Fence{ID: 7, Name: "2号罐区动火点", Floor: "1", Kind: positioning.KindWork, Polygon: square}
		permit := positioning.WorkPermit{ID: "p1", Number: "DH-001", Place: "2号罐区动火点", GuardianID: 100, WorkerIDs: []int64{7}}
		guardian := person("G", "周监护", 40, 40, now, 0)
		guardian.UserID = 100
		welder := person("W", "钱焊工", 5, 5, now, 7)
		welder.WorkerID = 7
		stranger := person("S", "孙路过", 6, 6, now, 7)
		stranger.UserID = 200
		got := types(positioning.Evaluate(now, []positioning.Fence{work}, []positioning.Person{guardian, welder, stranger}, []positioning.WorkPermit{permit}, nil))
		require.Len(t, got, 2)
		require.Equal(t, positioning.AlarmGuardLeft, got["08/p1/G"].Type)
		require.Equal(t, "p1", got["09/p1/S"].PermitID)
		require.Empty(t, positioning.Evaluate(now, []positioning.Fence{work}, []positioning.Person{welder, stranger}, nil, nil), "no permit under way: no linkage alarms")
	})
	t.Run("一键求救 names the fence the tag is in", func(t *testing.T) {
		got := types(positioning.Evaluate(now, []positioning.Fence{tank}, []positioning.Person{person("A", "甲", 5, 5, now, 1)}, nil, []string{"A", "unknown"}))
		require.Equal(t, "液氨罐区", got["01/A"].Location)
		require.Len(t, got, 1)
	})
}

func TestTrack(t *testing.T) {
	t0 := testclock.Parse(t, "2026-12-05 10:00:00")
	fences := []positioning.Fence{{ID: 1, Floor: "1", Polygon: square}}
	still, in := positioning.Track(nil, "1", positioning.Point{X: 5, Y: 5}, t0, fences)
	require.Equal(t, t0, still)
	require.Equal(t, t0, in[1])
	prev := &positioning.Person{Floor: "1", At: positioning.Point{X: 5, Y: 5}, StillSince: still, Entered: in}
	still, in = positioning.Track(prev, "1", positioning.Point{X: 5.8, Y: 5.5}, t0.Add(time.Minute), fences)
	require.Equal(t, t0, still, "a metre of jitter is not a move")
	require.Equal(t, t0, in[1], "still inside since the first fix")
	prev = &positioning.Person{Floor: "1", At: positioning.Point{X: 5.8, Y: 5.5}, StillSince: still, Entered: in}
	still, in = positioning.Track(prev, "1", positioning.Point{X: 20, Y: 5}, t0.Add(2*time.Minute), fences)
	require.Equal(t, t0.Add(2*time.Minute), still)
	require.Empty(t, in, "left the fence")
}
