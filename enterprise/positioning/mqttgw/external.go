package mqttgw

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/validate"
)

// Signed is a batch as published through an external broker, which relays no
// publisher identity: the fixes (the HTTP API's JSON array, byte for byte as
// signed) with the gateway's key, a Unix-seconds timestamp, a fresh nonce and
// signing.Sign(secret, "PUBLISH", topic, timestamp, nonce, fixes).
type Signed struct {
	Key       string          `json:"key"`
	Timestamp int64           `json:"timestamp"`
	Nonce     string          `json:"nonce"`
	Signature string          `json:"signature"`
	Fixes     json.RawMessage `json:"fixes"`
}

// SignBatch wraps fixes for company's topic as a gateway does for an external
// broker (and as the tests do).
func SignBatch(company, key, secret string, fixes []byte, now time.Time, nonce string) ([]byte, error) {
	ts := now.Unix()
	return json.Marshal(Signed{Key: key, Timestamp: ts, Nonce: nonce, Fixes: fixes,
		Signature: signing.Sign(secret, PublishMethod, FixesTopic(company), ts, nonce, fixes)})
}

// Consumer takes the gateways' batches from an external broker.
type Consumer struct {
	cli    paho.Client
	in     Intake
	cfg    Config
	nonces signing.NonceStore
	lim    *limiter
}

// Subscription is the filter the consumer subscribes: every company's fixes,
// shared among the replicas when a group is configured.
func (c Config) Subscription() string {
	if c.ShareGroup == "" {
		return FixesFilter
	}
	return "$share/" + c.ShareGroup + "/" + FixesFilter
}

// StartConsumer connects to cfg.Broker and subscribes; it keeps reconnecting
// (and resubscribing) on its own after the first connection. The first
// connection's failure is returned so a wrong URL or login stops the start.
func StartConsumer(cfg Config, in Intake) (*Consumer, error) {
	c := &Consumer{in: in, cfg: cfg, nonces: in.GatewayNonces(), lim: newLimiter(cfg)}
	id := cfg.ClientID
	if id == "" {
		id = "chemguard-positioning"
	}
	opts := paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID(id).
		SetUsername(cfg.Username).SetPassword(cfg.Password).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectTimeout(10 * time.Second).
		SetOnConnectHandler(func(cli paho.Client) {
			// Subscribed again on every (re)connection: a clean session forgets it.
			t := cli.Subscribe(cfg.Subscription(), 1, c.handle)
			if t.WaitTimeout(10*time.Second) && t.Error() != nil {
				slog.Error("positioning mqtt subscribe failed", "filter", cfg.Subscription(), "err", t.Error())
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			slog.Warn("positioning mqtt broker connection lost; reconnecting", "broker", cfg.Broker, "err", err)
		})
	c.cli = paho.NewClient(opts)
	t := c.cli.Connect()
	if !t.WaitTimeout(15 * time.Second) {
		c.cli.Disconnect(0)
		return nil, fmt.Errorf("positioning mqtt: connect to %s (CHEMGUARD_POSITIONING_MQTT_BROKER): timed out", cfg.Broker)
	}
	if err := t.Error(); err != nil {
		return nil, fmt.Errorf("positioning mqtt: connect to %s (CHEMGUARD_POSITIONING_MQTT_BROKER): %w", cfg.Broker, err)
	}
	return c, nil
}

// Close disconnects from the broker, letting a batch being stored finish.
func (c *Consumer) Close() { c.cli.Disconnect(2000) }

// handle verifies one signed batch and ingests it. paho acknowledges the
// message when handle returns, so the good fixes are stored by then.
func (c *Consumer) handle(_ paho.Client, m paho.Message) {
	company := companyOf(m.Topic())
	if company == "" {
		return
	}
	var s Signed
	if err := json.Unmarshal(m.Payload(), &s); err != nil || len(s.Fixes) == 0 {
		c.answer(company, refusedReply(refuse("消息应为签名的定位批次：{key, timestamp, nonce, signature, fixes}",
			"the message must be a signed batch: {key, timestamp, nonce, signature, fixes}")), "")
		return
	}
	if err := c.verify(company, m.Topic(), s); err != nil {
		slog.Warn("positioning mqtt batch refused", "company", company, "err", err)
		c.in.Metrics().Refused(positioning.TransportMQTT)
		c.answer(company, refusedReply(err), s.Nonce)
		return
	}
	n := countFixes(s.Fixes)
	if refusal, ok := c.lim.admit(s.Key, n, len(s.Fixes)); !ok {
		c.in.Metrics().Limited(positioning.TransportMQTT, n)
		c.answer(company, Reply{Result: positioning.Result{Errors: []validate.FieldError{}}, Refused: refusal}, s.Nonce)
		return
	}
	r, internal := ingest(context.Background(), c.in, c.cfg.timeout(), company, s.Fixes)
	if internal != nil {
		slog.Error("positioning mqtt batch not stored", "company", company, "err", internal)
	}
	c.answer(company, r, s.Nonce)
}

func refuse(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: zh, MessageEN: en}
}

// verify is the HTTP API's signature check for a message: the key is active
// and belongs to the topic's company, the timestamp is within the window,
// the signature matches and the nonce was not used before.
func (c *Consumer) verify(company, topic string, s Signed) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout())
	defer cancel()
	if s.Key == "" {
		return refuse("缺少定位网关凭证 key", "the gateway key is missing")
	}
	now := c.in.Now()
	if d := now.Sub(time.Unix(s.Timestamp, 0)); d > signing.DefaultWindow || d < -signing.DefaultWindow {
		return refuse("签名已过期或时间偏差超过 5 分钟", fmt.Sprintf("the signature timestamp is more than %s from the server's time", signing.DefaultWindow))
	}
	if len(s.Nonce) < 16 || len(s.Nonce) > 128 {
		return refuse("签名随机数长度须为 16～128", "the nonce must be 16-128 characters")
	}
	owner, secret, err := c.in.SigningSecret(ctx, s.Key)
	if err != nil {
		return err
	}
	if owner != company {
		return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: "该定位网关凭证不属于主题中的企业 " + company,
			MessageEN: "the gateway key does not belong to company " + company + " of the topic"}
	}
	want := signing.Sign(string(secret), PublishMethod, topic, s.Timestamp, s.Nonce, s.Fixes)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(s.Signature))) {
		return refuse("消息签名不正确", "the message signature does not match")
	}
	fresh, err := c.nonces.Remember(ctx, signing.KeyHash(s.Key), s.Nonce, now.Add(signing.DefaultWindow))
	if err != nil {
		return err
	}
	if !fresh {
		return refuse("重放的消息：该随机数已使用", "replayed message: the nonce was already used")
	}
	return nil
}

func (c *Consumer) answer(company string, r Reply, nonce string) {
	r.Nonce = nonce
	t := c.cli.Publish(ErrorsTopic(company), 1, false, r.payload())
	go func() { // never block the message router on the answer's acknowledgement
		if t.WaitTimeout(30*time.Second) && t.Error() != nil {
			slog.Error("positioning mqtt answer not published", "company", company, "err", t.Error())
		}
	}()
}
