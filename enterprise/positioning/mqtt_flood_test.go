package positioning_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/enterprise/positioning/mqttgw"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/testclock"
)

// A valid gateway flooding the embedded broker far over its 10 fixes/s: after
// its 2 s burst its batches are refused whole (rate_limited, retry_after_s, on
// the errors topic) without being stored, while a second gateway's fixes
// still reach the live map; the allowance refills with the limiter's clock.
// The metrics count both transports' batches and fixes by outcome.
func TestMQTTGatewayFloodIsThrottled(t *testing.T) {
	p := newPlant(t)
	company := p.co.Code
	p.safety.Get("/e/positioning/setup")
	r := p.safety.Post("/e/positioning/gateways", url.Values{"name": {"蓝牙信标网关"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	key2 := regexp.MustCompile(`id="gateway-key">([^<]+)<`).FindStringSubmatch(r.Body)[1]
	secret2 := regexp.MustCompile(`id="gateway-secret">([^<]+)<`).FindStringSubmatch(r.Body)[1]

	clock := testclock.Frozen(testclock.Parse(t, "2026-12-05 10:00:00"))
	b, err := mqttgw.StartBroker(mqttgw.Config{Addr: "127.0.0.1:0", FixesPerSecond: 10, BytesPerSecond: 64 << 10, Clock: clock.Now}, p.svc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	m := p.svc.Metrics()

	flooder, err := gatewayClient(t, b.Addr(), "uwb-flood", p.key, p.secret, nil)
	require.NoError(t, err)
	answers := replies(t, flooder, mqttgw.ErrorsTopic(company))
	quiet, err := gatewayClient(t, b.Addr(), "ble-quiet", key2, secret2, nil)
	require.NoError(t, err)
	assert.Equal(t, 2.0, testutil.ToFloat64(m.Gateways), "two gateways connected")

	// The fixes' times are counted back from one instant: the plant's clock
	// runs, and two batches must never share a fix's second.
	t0 := p.clock.Now()
	batch := func(card string, k int) []any {
		var out []any
		for i := range 10 {
			at := t0.Add(-time.Duration(k*10+i+1) * time.Second).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
			out = append(out, fix{Card: card, Time: at, X: 100 + float64(i), Y: 100, Floor: "1"})
		}
		return out
	}
	refused := 0
	for k := range 20 {
		tok := publish(t, flooder, mqttgw.FixesTopic(company), batch("C001", k))
		require.True(t, tok.WaitTimeout(10*time.Second))
		require.NoError(t, tok.Error(), "MQTT 3.1.1: the refused batch is acknowledged, the refusal is on the errors topic")
		a := reply(t, answers)
		require.Equal(t, "uwb-flood", a.ClientID)
		if k < 2 {
			require.Nil(t, a.Refused, "the 2 s burst (20 fixes) is taken: batch %d", k)
			require.Equal(t, 10, a.Accepted)
			continue
		}
		require.NotNil(t, a.Refused, "batch %d is over the limit", k)
		assert.Equal(t, "rate_limited", a.Refused.Code)
		assert.True(t, a.Refused.Retry)
		assert.InDelta(t, 1.0, a.Refused.RetryAfter, 0.01, "10 fixes at 10/s: one second")
		assert.Contains(t, a.Refused.MessageZH, "超出网关限速")
		refused++
	}
	assert.Equal(t, 18, refused)
	assert.Equal(t, 20, countFixes(t, p, "C001"), "refused batches are not stored")

	// The second gateway of the same plant is not starved: its fixes are on the map.
	tok := publish(t, quiet, mqttgw.FixesTopic(company), []any{fix{Card: "V001", Time: p.at(0), X: 30, Y: 25, Floor: "1"}})
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	live, err := p.svc.Live(context.Background(), company)
	require.NoError(t, err)
	onMap := map[string]bool{}
	for _, lp := range live.People {
		onMap[lp.Card] = true
	}
	assert.True(t, onMap["V001"], "the quiet gateway's fix reached the live map")
	assert.Equal(t, "ble-quiet", reply(t, answers).ClientID)

	// A second later the flooder may send 10 fixes again.
	clock.Add(time.Second)
	tok = publish(t, flooder, mqttgw.FixesTopic(company), batch("C001", 30))
	require.True(t, tok.WaitTimeout(10*time.Second))
	a := reply(t, answers)
	assert.Nil(t, a.Refused, "the allowance refilled")
	assert.Equal(t, 10, a.Accepted)

	// One batch bigger than the burst can never pass: it says to split it.
	var big []any
	for k := range 3 {
		big = append(big, batch("C001", 40+k)...)
	}
	publish(t, flooder, mqttgw.FixesTopic(company), big).WaitTimeout(10 * time.Second)
	a = reply(t, answers)
	require.NotNil(t, a.Refused)
	assert.Contains(t, a.Refused.MessageZH, "请拆分后重发")

	assert.Equal(t, 4.0, testutil.ToFloat64(m.Batches.WithLabelValues(positioning.TransportMQTT, positioning.BatchStored)))
	assert.Equal(t, 19.0, testutil.ToFloat64(m.Batches.WithLabelValues(positioning.TransportMQTT, positioning.BatchRateLimited)))
	assert.Equal(t, 31.0, testutil.ToFloat64(m.Fixes.WithLabelValues(positioning.TransportMQTT, "accepted")))
	assert.Equal(t, 210.0, testutil.ToFloat64(m.Fixes.WithLabelValues(positioning.TransportMQTT, positioning.FixRateLimited)))
	assert.Equal(t, 1, testutil.CollectAndCount(m.Seconds), "intake latency observed: mqtt so far")

	// The HTTP batch API feeds the same counters under its own transport.
	status, res := p.push(t, []any{fix{Card: "D001", Time: p.at(0), X: 5, Y: 5, Floor: "1"}, fix{Card: "NOBODY", Time: p.at(0), X: 5, Y: 5, Floor: "1"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, res.Accepted)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Batches.WithLabelValues(positioning.TransportHTTP, positioning.BatchStored)))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Fixes.WithLabelValues(positioning.TransportHTTP, "accepted")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Fixes.WithLabelValues(positioning.TransportHTTP, string(positioning.RuleUnbound))))
	assert.Equal(t, 2, testutil.CollectAndCount(m.Seconds), "and http")

	quiet.Disconnect(100)
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.Gateways) == 1 }, 5*time.Second, 20*time.Millisecond)
}

func countFixes(t *testing.T, p *plant, card string) int {
	t.Helper()
	var n int
	require.NoError(t, p.app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pos_fixes WHERE card_no = $1`, card).Scan(&n))
	return n
}
