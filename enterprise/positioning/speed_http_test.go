package positioning_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
)

// A vehicle crossing the loading bay faster than the bay's 5 km/h: the speed
// is computed from its tag's fixes (the gateway sends none), 车辆超速 is
// raised and published as 表1 type 07; the gateway's own speed under the
// limit ends it; a speed that is no speed is refused on its own.
func TestVehicleSpeedingOverHTTP(t *testing.T) {
	p := newPlant(t)
	r := p.safety.Post("/e/positioning/fences", url.Values{"floor": {"1"}, "name": {"装卸区"}, "kind": {"hazard"},
		"points": {"60,60;100,60;100,100;60,100"}, "speed_limit": {"5"}, "active_from": {"00:00"}, "active_to": {"00:00"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = p.safety.Post("/e/positioning/speed-limit", url.Values{"speed_limit": {"300"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, "厂内限速：应为 0～200 km/h")
	r = p.safety.Post("/e/positioning/speed-limit", url.Values{"speed_limit": {"20"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = p.safety.Post("/e/positioning/people", url.Values{"kind": {"vehicle"}, "name": {"鲁A12345"}, "unit": {"鲁运物流"}, "card_no": {"CAR1"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	setup := p.safety.Get("/e/positioning/setup")
	assert.Contains(t, setup.Body, "5 km/h")
	assert.Contains(t, setup.Body, `value="20"`, "the plant's limit is shown as set")

	// 20 m in 4 s is 18 km/h; the person beside it runs as fast and is no
	// vehicle. The times count back from one instant (the plant's clock runs).
	t0 := p.clock.Now()
	at := func(d time.Duration) string { return t0.Add(d).In(schemas.Shanghai).Format(schemas.DateTimeLayout) }
	status, res := p.push(t, []any{
		fix{Card: "CAR1", Time: at(-20 * time.Second), X: 62, Y: 80, Floor: "1"},
		fix{Card: "C001", Time: at(-20 * time.Second), X: 62, Y: 70, Floor: "1"},
		fix{Card: "CAR1", Time: at(-16 * time.Second), X: 82, Y: 80, Floor: "1"},
		fix{Card: "C001", Time: at(-16 * time.Second), X: 82, Y: 70, Floor: "1"},
		map[string]any{"card_no": "CAR1", "time": at(-15 * time.Second), "x": 83, "y": 80, "floor": "1", "speed": -3},
	})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 4, res.Accepted)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "speed", res.Errors[0].Field)
	assert.EqualValues(t, "range", res.Errors[0].Rule)
	assert.Contains(t, res.Errors[0].MessageZH, "第 5 条定位数据：速度应为 0～200 km/h")
	assert.Equal(t, 1, res.Alarms)

	recs := p.staged(t)
	require.Len(t, recs, 1)
	assert.Equal(t, "07", recs[0]["alarmType"])
	assert.Equal(t, "装卸区", recs[0]["alarmLocation"])
	assert.Equal(t, "CAR1", recs[0]["CARD_NO"])
	assert.Equal(t, "车辆鲁A12345在装卸区车速 18 km/h，超过限速 5 km/h", recs[0]["alarmInfo"])

	// The gateway measures 3 km/h: the episode ends; the fix keeps its speed.
	slow := 3.0
	status, res = p.push(t, []any{map[string]any{"card_no": "CAR1", "time": at(-10 * time.Second), "x": 84, "y": 80, "floor": "1", "speed": slow}})
	require.Equal(t, http.StatusOK, status)
	assert.Zero(t, res.Alarms)
	assert.Equal(t, 1, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_alarms WHERE alarm_type = '07' AND ended_at IS NOT NULL`))
	assert.Equal(t, slow, pgtest.Scalar[float64](t, p.app.Pool, `SELECT speed_kmh FROM pos_fixes WHERE card_no = 'CAR1' ORDER BY fix_time DESC LIMIT 1`))
}
