package positioning_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/positioning/mqttgw"
	"github.com/shandong-emergency/chemguard/freeport"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/tlstest"
	"github.com/shandong-emergency/chemguard/validate"
)

// gatewayClient connects a paho client (what a vendor's gateway runs) to addr.
// lost receives the connection's loss.
func gatewayClient(t *testing.T, addr, id, user, pass string, lost chan<- error) (paho.Client, error) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetUsername(user).SetPassword(pass).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			if lost != nil {
				lost <- err
			}
		})
	c := paho.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second), "connect timed out")
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// replies subscribes c to topic and returns the answers it hears.
func replies(t *testing.T, c paho.Client, topic string) <-chan mqttgw.Reply {
	t.Helper()
	ch := make(chan mqttgw.Reply, 8)
	tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		var r mqttgw.Reply
		if assert.NoError(t, json.Unmarshal(m.Payload(), &r), string(m.Payload())) {
			ch <- r
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	require.Equal(t, []byte{1}, []byte{tok.(*paho.SubscribeToken).Result()[topic]}, "subscription granted")
	return ch
}

func reply(t *testing.T, ch <-chan mqttgw.Reply) mqttgw.Reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no answer on the errors topic")
		return mqttgw.Reply{}
	}
}

func publish(t *testing.T, c paho.Client, topic string, v any) paho.Token {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return c.Publish(topic, 1, false, b)
}

// The embedded broker: a gateway signs in with its key and secret, a wrong
// secret is refused at CONNECT, another company's topics are closed to it,
// and a batch with bad fixes keeps the good ones — on the live map within
// 3 s — while each bad one is answered on the errors topic.
func TestMQTTEmbeddedBroker(t *testing.T) {
	p := newPlant(t)
	b, err := mqttgw.StartBroker(mqttgw.Config{Addr: "127.0.0.1:0"}, p.svc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	company := p.co.Code

	_, err = gatewayClient(t, b.Addr(), "gw-bad", p.key, "cgh_wrong", nil)
	require.Error(t, err, "a wrong secret is refused")
	_, err = gatewayClient(t, b.Addr(), "gw-none", "", "", nil)
	require.Error(t, err, "an anonymous client is refused")

	gw, err := gatewayClient(t, b.Addr(), "uwb-engine-1", p.key, p.secret, nil)
	require.NoError(t, err)
	answers := replies(t, gw, mqttgw.ErrorsTopic(company))
	other := gw.Subscribe(mqttgw.ErrorsTopic("370102999"), 1, func(paho.Client, paho.Message) {})
	require.True(t, other.WaitTimeout(5*time.Second))
	assert.Equal(t, byte(0x80), other.(*paho.SubscribeToken).Result()[mqttgw.ErrorsTopic("370102999")], "another company's answers are closed to the gateway")

	sent := time.Now()
	tok := publish(t, gw, mqttgw.FixesTopic(company), []any{
		fix{Card: "C001", Time: p.at(-time.Second), X: 20, Y: 20, Floor: "1"},
		fix{Card: "NOBODY", Time: p.at(0), X: 30, Y: 25, Floor: "1"},
		map[string]any{"card_no": "V001", "time": p.at(0), "x": "三十", "y": 1, "floor": "1"},
		fix{Card: "V001", Time: p.at(0), X: 30, Y: 25, Floor: "1"},
	})
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	// The PUBACK comes once the batch is stored: the live map has it now.
	live, err := p.svc.Live(context.Background(), company)
	require.NoError(t, err)
	cards := map[string]bool{}
	for _, lp := range live.People {
		cards[lp.Card] = true
	}
	assert.Equal(t, map[string]bool{"C001": true, "V001": true}, cards)
	assert.Less(t, time.Since(sent), 3*time.Second, "≤ 3 s from fix to map (指南 5(2))")

	r := reply(t, answers)
	assert.Equal(t, "uwb-engine-1", r.ClientID)
	assert.Nil(t, r.Refused)
	assert.Equal(t, 2, r.Accepted)
	assert.Equal(t, 2, r.Rejected)
	require.Len(t, r.Errors, 2, "%+v", r)
	byIndex := map[int]validate.FieldError{}
	for _, e := range r.Errors {
		byIndex[e.Index] = e
	}
	assert.EqualValues(t, "unbound_card", byIndex[1].Rule)
	assert.Contains(t, byIndex[1].MessageZH, "第 2 条定位数据")
	assert.Contains(t, byIndex[1].MessageEN, "NOBODY")
	assert.EqualValues(t, "not_object", byIndex[2].Rule)
	assert.Contains(t, byIndex[2].MessageZH, "第 3 条定位数据")
	assert.Equal(t, 2, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_fixes WHERE company = $1`, company))

	tok = gw.Publish(mqttgw.FixesTopic(company), 1, false, []byte(`{"card_no": "C001"}`))
	require.True(t, tok.WaitTimeout(10*time.Second))
	r = reply(t, answers)
	require.NotNil(t, r.Refused, "a payload that is not an array is refused whole")
	assert.Equal(t, "请求体应为定位数据的 JSON 数组", r.Refused.MessageZH)

	// Publishing to another company's fixes topic: the broker drops the
	// gateway (MQTT 3.1.1 has no negative PUBACK) and nothing is stored.
	lost := make(chan error, 1)
	gw2, err := gatewayClient(t, b.Addr(), "uwb-engine-2", p.key, p.secret, lost)
	require.NoError(t, err)
	publish(t, gw2, mqttgw.FixesTopic("370102999"), []any{fix{Card: "C001", Time: p.at(0), X: 1, Y: 1, Floor: "1"}})
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("a publish to another company's topic is not refused")
	}
	assert.Zero(t, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_fixes WHERE company = '370102999'`))

	// A key revoked while connected stops at the next batch.
	_, err = p.app.Pool.Exec(context.Background(), `UPDATE pos_gateways SET revoked_at = now()`)
	require.NoError(t, err)
	publish(t, gw, mqttgw.FixesTopic(company), []any{fix{Card: "C001", Time: p.at(0), X: 21, Y: 21, Floor: "1"}})
	r = reply(t, answers)
	require.NotNil(t, r.Refused)
	assert.Equal(t, "unauthorized", r.Refused.Code)
	assert.Equal(t, 2, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_fixes WHERE company = $1`, company))
}

// An external broker (here a plain mochi broker that lets anyone in): the
// platform consumes every company's fixes through a shared subscription;
// each batch carries its key and signature, checked like the HTTP API's —
// a wrong signature, another company's key and a replay are refused, a good
// batch is stored and answered.
func TestMQTTExternalBroker(t *testing.T) {
	p := newPlant(t)
	srv := mochi.New(&mochi.Options{})
	require.NoError(t, srv.AddHook(new(auth.AllowHook), nil))
	tcp := listeners.NewTCP(listeners.Config{Type: "tcp", ID: "ext", Address: "127.0.0.1:0"})
	require.NoError(t, srv.AddListener(tcp))
	require.NoError(t, srv.Serve())
	t.Cleanup(func() { _ = srv.Close() })

	cfg := mqttgw.Config{Broker: "tcp://" + tcp.Address(), ClientID: "chemguard-test", ShareGroup: "chemguard"}
	c, err := mqttgw.StartConsumer(cfg, p.svc)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	company := p.co.Code

	gw, err := gatewayClient(t, tcp.Address(), "vendor-gw", "", "", nil)
	require.NoError(t, err)
	answers := replies(t, gw, mqttgw.ErrorsTopic(company))
	time.Sleep(200 * time.Millisecond) // the consumer's subscription is made on connect

	fixes, err := json.Marshal([]any{
		fix{Card: "D001", Time: p.at(0), X: 60, Y: 60, Floor: "1"},
		fix{Card: "D001", Time: p.at(time.Hour), X: 61, Y: 60, Floor: "1"},
	})
	require.NoError(t, err)
	nonce := "0123456789abcdef-ext-1"
	bad, err := mqttgw.SignBatch(company, p.key, "cgh_not_the_secret", fixes, p.clock.Now(), nonce)
	require.NoError(t, err)
	gw.Publish(mqttgw.FixesTopic(company), 1, false, bad).WaitTimeout(5 * time.Second)
	r := reply(t, answers)
	require.NotNil(t, r.Refused)
	assert.Equal(t, "消息签名不正确", r.Refused.MessageZH)

	wrongTopic, err := mqttgw.SignBatch("370102999", p.key, p.secret, fixes, p.clock.Now(), nonce)
	require.NoError(t, err)
	otherAnswers := replies(t, gw, mqttgw.ErrorsTopic("370102999"))
	gw.Publish(mqttgw.FixesTopic("370102999"), 1, false, wrongTopic).WaitTimeout(5 * time.Second)
	r = reply(t, otherAnswers)
	require.NotNil(t, r.Refused)
	assert.Equal(t, "forbidden", r.Refused.Code, "the key belongs to another company than the topic's")

	good, err := mqttgw.SignBatch(company, p.key, p.secret, fixes, p.clock.Now(), nonce)
	require.NoError(t, err)
	gw.Publish(mqttgw.FixesTopic(company), 1, false, good).WaitTimeout(5 * time.Second)
	r = reply(t, answers)
	assert.Nil(t, r.Refused)
	assert.Equal(t, nonce, r.Nonce)
	assert.Equal(t, 1, r.Accepted)
	require.Len(t, r.Errors, 1)
	assert.EqualValues(t, "future", r.Errors[0].Rule)
	live, err := p.svc.Live(context.Background(), company)
	require.NoError(t, err)
	require.Len(t, live.People, 1)
	assert.Equal(t, "D001", live.People[0].Card)

	gw.Publish(mqttgw.FixesTopic(company), 1, false, good).WaitTimeout(5 * time.Second)
	r = reply(t, answers)
	require.NotNil(t, r.Refused)
	assert.Contains(t, r.Refused.MessageEN, "replayed")
	assert.Equal(t, 1, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_fixes WHERE company = $1`, company))
}

// The platform with its own base-system modules starts the embedded broker
// with the gateway hook attached (an unknown credential is refused by the
// broker, not by a closed port) and stops it with the rest.
func TestMQTTStartsWithThePlatform(t *testing.T) {
	addr, err := freeport.Addr()
	require.NoError(t, err)
	app := platformtest.Start(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t),
		BaseSystem: platform.BaseSystemConfig{PositioningMQTT: mqttgw.Config{Addr: addr}}})
	var last error
	eventually(t, 10*time.Second, "the embedded broker answers CONNECT", func() bool {
		_, last = gatewayClient(t, addr, "probe", "cgp_unknown", "cgh_unknown", nil)
		return last != nil && !strings.Contains(last.Error(), "connection refused")
	})
	assert.ErrorContains(t, last, "not Authorized")
	app.Stop()
	_, err = net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the broker stops with the platform")
}

// With a certificate the embedded broker speaks MQTT over TLS and still
// authenticates each gateway by its credential.
func TestMQTTEmbeddedBrokerTLS(t *testing.T) {
	p := newPlant(t)
	ca := tlstest.NewCA(t, "chemguard-test-ca")
	srv := ca.Issue(t, "mqtt", "127.0.0.1")
	certFile, keyFile := srv.CertFile, srv.KeyFile

	b, err := mqttgw.StartBroker(mqttgw.Config{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile}, p.svc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	roots := ca.Pool()
	connect := func(user, pass string) error {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("ssl://" + b.Addr()).SetClientID("tls-gw").SetUsername(user).SetPassword(pass).
			SetTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		if tok.Error() == nil {
			c.Disconnect(100)
		}
		return tok.Error()
	}
	assert.NoError(t, connect(p.key, p.secret))
	assert.ErrorContains(t, connect(p.key, "cgh_wrong"), "not Authorized")
	_, err = mqttgw.StartBroker(mqttgw.Config{Addr: "127.0.0.1:0", TLSCert: keyFile, TLSKey: keyFile}, p.svc)
	assert.ErrorContains(t, err, "CHEMGUARD_POSITIONING_MQTT_TLS_CERT", "a bad certificate stops the start, naming the variable")
}
