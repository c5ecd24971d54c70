// Package mqttgw is the MQTT transport of 人员定位's gateway intake: the plant's
// positioning gateway publishes the same JSON array of fixes the HTTP batch
// API takes, and each batch goes through positioning's one ingest path
// (Service.Ingest), so the two transports validate, store and alarm alike.
//
// By default the platform embeds a broker (mochi-mqtt) on a loopback address;
// a gateway connects with its credential (username = key cgp_…, password =
// secret cgh_…), publishes to chemguard/positioning/<企业编码>/fixes and hears
// per-fix errors on chemguard/positioning/<企业编码>/errors. In production an
// external broker can be named instead: the platform subscribes to every
// company's fixes topic (a shared subscription, so replicas split the load)
// and, since a broker relays no publisher identity, each message carries its
// credential key and an HMAC signature made with the secret — the HTTP API's
// scheme with method PUBLISH and the topic as path.
package mqttgw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/validate"
)

// Topics: TopicPrefix + company + FixesSuffix is where a company's gateways
// publish; TopicPrefix + company + ErrorsSuffix is where they hear the answer.
const (
	TopicPrefix  = "chemguard/positioning/"
	FixesSuffix  = "/fixes"
	ErrorsSuffix = "/errors"
	// FixesFilter matches every company's fixes topic (external broker).
	FixesFilter = TopicPrefix + "+" + FixesSuffix
	// PublishMethod stands in for the HTTP method in a signed message.
	PublishMethod = "PUBLISH"
)

// FixesTopic is the topic company's gateways publish their fixes to.
func FixesTopic(company string) string { return TopicPrefix + company + FixesSuffix }

// ErrorsTopic is the topic the answer to company's batches is published on.
func ErrorsTopic(company string) string { return TopicPrefix + company + ErrorsSuffix }

// companyOf returns the company of a fixes topic, or "" when topic is not one.
func companyOf(topic string) string {
	rest, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok {
		return ""
	}
	company, ok := strings.CutSuffix(rest, FixesSuffix)
	if !ok || company == "" || strings.ContainsAny(company, "/+#") {
		return ""
	}
	return company
}

// Intake is what the transport needs of positioning.Service.
type Intake interface {
	SigningSecret(ctx context.Context, key string) (company string, secret []byte, err error)
	Ingest(ctx context.Context, company string, body []byte) (positioning.Result, error)
	GatewayNonces() signing.NonceStore
	Now() time.Time
	Metrics() *positioning.Metrics
}

var _ Intake = (*positioning.Service)(nil)

// Config configures the MQTT transport. With Broker set the platform consumes
// from that external broker; otherwise with Addr set it embeds one; with
// neither, MQTT is off (the HTTP batch API remains).
type Config struct {
	Addr   string // embedded broker's listen address, e.g. 127.0.0.1:1883
	Broker string // external broker URL: tcp://host:1883, ssl://host:8883, ws://…
	// TLSCert and TLSKey (PEM files) make the embedded broker speak MQTT over
	// TLS, for a listener on the plant network.
	TLSCert, TLSKey string
	// Username and Password are the platform's own login on the external broker.
	Username, Password string
	ClientID           string // the platform's client id on the external broker
	// ShareGroup names the shared subscription ($share/<group>/…) replicas
	// split the fixes in; empty subscribes plainly (every replica gets every batch).
	ShareGroup string
	// Timeout bounds one batch's ingest; 30 s when zero.
	Timeout time.Duration
	// FixesPerSecond and BytesPerSecond are what one gateway credential may
	// publish (DefaultFixesPerSecond, DefaultBytesPerSecond when zero), with
	// LimitBurst's worth at once; a batch over them is refused whole, answered
	// on the errors topic with retry_after_s.
	FixesPerSecond, BytesPerSecond float64
	// Clock is the rate limiter's clock; time.Now when nil (tests freeze it).
	Clock func() time.Time
}

// Enabled reports whether MQTT intake is on.
func (c Config) Enabled() bool { return c.Addr != "" || c.Broker != "" }

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 30 * time.Second
	}
	return c.Timeout
}

// Refusal is a whole batch refused: not a JSON array, a bad signature, a
// credential revoked since the connection was made, or the platform unable to
// store it now (Retry: send it again).
type Refusal struct {
	Code      string `json:"code"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
	Retry     bool   `json:"retry,omitempty"`
	// RetryAfter is how many seconds to wait before resending a batch
	// refused over the rate limit.
	RetryAfter float64 `json:"retry_after_s,omitempty"`
}

// Reply is published on the errors topic after each batch: the HTTP API's
// answer (accepted, rejected, per-fix errors) plus which publisher's batch it
// answers — the MQTT client id on the embedded broker, the signed message's
// nonce on an external one — or the refusal of the whole batch.
type Reply struct {
	ClientID string `json:"client_id,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	positioning.Result
	Refused *Refusal `json:"refused,omitempty"`
}

// ingest runs one batch through the shared path and builds its reply.
// internal reports an error that is the platform's, not the batch's.
func ingest(ctx context.Context, in Intake, timeout time.Duration, company string, body []byte) (r Reply, internal error) {
	received := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := in.Ingest(ctx, company, body)
	in.Metrics().Observe(positioning.TransportMQTT, res, err, received)
	if err != nil {
		return refusedReply(err), internalErr(err)
	}
	r.Result = res
	if r.Errors == nil {
		r.Errors = []validate.FieldError{}
	}
	return r, nil
}

// internalErr is err unless it is the batch's own fault (a chemguard.Error
// other than EInternal).
func internalErr(err error) error {
	var ce *chemguard.Error
	if errors.As(err, &ce) && ce.Code != chemguard.EInternal {
		return nil
	}
	return err
}

func refusedReply(err error) Reply {
	var ce *chemguard.Error
	if errors.As(err, &ce) && ce.Code != chemguard.EInternal {
		return Reply{Result: positioning.Result{Errors: []validate.FieldError{}}, Refused: &Refusal{Code: ce.Code, MessageZH: ce.MessageZH, MessageEN: ce.MessageEN}}
	}
	return Reply{Result: positioning.Result{Errors: []validate.FieldError{}}, Refused: &Refusal{Code: chemguard.EInternal,
		MessageZH: "平台暂时无法保存定位数据，请稍后重发本批", MessageEN: "the platform cannot store the fixes now; send the batch again later", Retry: true}}
}

func (r Reply) payload() []byte {
	b, err := json.Marshal(r)
	if err != nil { // a Reply always marshals; keep the gateway informed anyway
		return []byte(fmt.Sprintf(`{"refused":{"code":"internal","message_en":%q}}`, err.Error()))
	}
	return b
}

// Run starts the configured transport (external consumer or embedded
// broker), serves until ctx ends and then stops it. It returns at once with
// the start's error, and nil when MQTT is off.
func Run(ctx context.Context, cfg Config, in Intake) error {
	switch {
	case cfg.Broker != "":
		c, err := StartConsumer(cfg, in)
		if err != nil {
			return err
		}
		<-ctx.Done()
		c.Close()
	case cfg.Addr != "":
		b, err := StartBroker(cfg, in)
		if err != nil {
			return err
		}
		<-ctx.Done()
		return b.Close()
	}
	return nil
}
