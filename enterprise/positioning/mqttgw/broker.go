package mqttgw

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/validate"
)

// Broker is the embedded MQTT broker the gateways connect to.
type Broker struct {
	srv *mochi.Server
	tcp *listeners.TCP
}

// StartBroker listens on cfg.Addr and serves the gateways; the listen error
// (address in use, …) is returned at once so a misconfiguration stops the start.
func StartBroker(cfg Config, in Intake) (*Broker, error) {
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.Default().With("component", "positioning-mqtt")})
	// The broker only relays fixes and their answers: no retained state kept.
	srv.Options.Capabilities.MaximumQos = 1
	h := &gatewayHook{in: in, cfg: cfg, srv: srv, lim: newLimiter(cfg)}
	if err := srv.AddHook(h, nil); err != nil {
		return nil, fmt.Errorf("positioning mqtt: hook: %w", err)
	}
	lc := listeners.Config{Type: "tcp", ID: "gateways", Address: cfg.Addr}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("positioning mqtt: TLS certificate (CHEMGUARD_POSITIONING_MQTT_TLS_CERT/_KEY): %w", err)
		}
		lc.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	tcp := listeners.NewTCP(lc)
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("positioning mqtt: listen on %s (CHEMGUARD_POSITIONING_MQTT_ADDR): %w", cfg.Addr, err)
	}
	if err := srv.Serve(); err != nil {
		return nil, fmt.Errorf("positioning mqtt: serve: %w", err)
	}
	return &Broker{srv: srv, tcp: tcp}, nil
}

// Addr is the address the broker listens on (the port chosen when Addr ended in :0).
func (b *Broker) Addr() string { return b.tcp.Address() }

// Close disconnects the gateways and stops listening.
func (b *Broker) Close() error { return b.srv.Close() }

// gatewayHook authenticates each gateway by its positioning credential,
// confines it to its own company's topics and runs its batches through the
// shared ingest path.
type gatewayHook struct {
	mochi.HookBase
	in  Intake
	cfg Config
	srv *mochi.Server
	lim *limiter
	// companies maps a connected gateway to the company its key belongs to,
	// found once at CONNECT.
	companies sync.Map // *mochi.Client → string
}

func (h *gatewayHook) ID() string { return "chemguard-positioning-gateways" }

func (h *gatewayHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck, mochi.OnPublish, mochi.OnDisconnect}, []byte{b})
}

// OnConnectAuthenticate admits a gateway whose username is an active gateway
// key and whose password is that key's secret.
func (h *gatewayHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	company, ok := h.verify(string(pk.Connect.Username), pk.Connect.Password)
	if !ok {
		h.Log.Warn("positioning gateway refused at connect", "client", cl.ID, "remote", cl.Net.Remote)
		return false
	}
	h.companies.Store(cl, company)
	h.in.Metrics().Gateways.Inc()
	return true
}

// verify checks key and secret against the sealed credential; a revoked or
// unknown key, a wrong secret or a database failure all refuse.
func (h *gatewayHook) verify(key string, secret []byte) (string, bool) {
	if key == "" || len(secret) == 0 {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.timeout())
	defer cancel()
	company, want, err := h.in.SigningSecret(ctx, key)
	if err != nil {
		if internalErr(err) != nil {
			h.Log.Error("positioning gateway credential lookup failed", "err", err)
		}
		return "", false
	}
	return company, hmac.Equal(want, secret)
}

// OnACLCheck lets a gateway publish only to its company's fixes topic and
// subscribe only to its company's errors topic.
func (h *gatewayHook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	v, ok := h.companies.Load(cl)
	if !ok {
		return false
	}
	if write {
		return topic == FixesTopic(v.(string))
	}
	return topic == ErrorsTopic(v.(string))
}

func (h *gatewayHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	if _, ok := h.companies.LoadAndDelete(cl); ok {
		h.in.Metrics().Gateways.Dec()
	}
}

// OnPublish ingests a gateway's batch before it is acknowledged, so a PUBACK
// means the good fixes are stored; the answer goes to the errors topic and the
// batch itself is not relayed. When the platform cannot store it (database
// down) no PUBACK is sent and the answer asks the gateway to send it again.
func (h *gatewayHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	v, ok := h.companies.Load(cl)
	if !ok || pk.TopicName != FixesTopic(v.(string)) {
		return pk, packets.ErrRejectPacket // the ACL refuses it first; never ingest a stranger's topic
	}
	company := v.(string)
	reply := Reply{ClientID: cl.ID}
	// The rate limit comes first: a flooding gateway's surplus costs neither
	// a credential lookup nor a transaction, and the others' batches and the
	// live map go on.
	n := countFixes(pk.Payload)
	if refusal, ok := h.lim.admit(string(cl.Properties.Username), n, len(pk.Payload)); !ok {
		h.in.Metrics().Limited(positioning.TransportMQTT, n)
		reply.Refused = refusal
		reply.Errors = []validate.FieldError{}
		h.answer(company, reply)
		if cl.Properties.ProtocolVersion == 5 {
			return pk, packets.ErrQuotaExceeded // PUBACK 0x97: not taken
		}
		// MQTT 3.1.1 has no negative PUBACK: acknowledged (so the gateway's
		// in-flight window does not fill and resend the flood on reconnect),
		// the refusal with retry_after_s on the errors topic says to resend.
		return pk, packets.CodeSuccessIgnore
	}
	// A key revoked while the gateway stays connected stops at its next batch.
	if err := h.stillActive(cl, company); err != nil {
		reply = refusedReply(err)
		reply.ClientID = cl.ID
		// Answered rather than dropped, so the operator sees why; the
		// gateway cannot sign in again with the revoked key.
		h.answer(company, reply)
		return pk, packets.CodeSuccessIgnore
	}
	r, internal := ingest(context.Background(), h.in, h.cfg.timeout(), company, pk.Payload)
	r.ClientID = cl.ID
	h.answer(company, r)
	if internal != nil {
		h.Log.Error("positioning mqtt batch not stored", "company", company, "client", cl.ID, "err", internal)
		return pk, packets.ErrRejectPacket
	}
	return pk, packets.CodeSuccessIgnore
}

// stillActive re-reads the gateway's key: revoked since CONNECT, it is refused.
func (h *gatewayHook) stillActive(cl *mochi.Client, company string) error {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.timeout())
	defer cancel()
	got, _, err := h.in.SigningSecret(ctx, string(cl.Properties.Username))
	if err != nil {
		return err
	}
	if got != company {
		return &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: "定位网关凭证已变更，请重新连接", MessageEN: "the gateway credential changed; connect again"}
	}
	return nil
}

// answer publishes reply on company's errors topic (QoS 1, not retained).
func (h *gatewayHook) answer(company string, r Reply) {
	if err := h.srv.Publish(ErrorsTopic(company), r.payload(), false, 1); err != nil {
		h.Log.Error("positioning mqtt answer not published", "company", company, "err", err)
	}
}
