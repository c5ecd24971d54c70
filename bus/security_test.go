package bus_test

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/tlstest"
)

func TestSecurityConfigBuild(t *testing.T) {
	ca := tlstest.NewCA(t, "kafka-ca")
	client := ca.Issue(t, "client", "chemguard")
	empty := filepath.Join(t.TempDir(), "empty.pem")
	require.NoError(t, os.WriteFile(empty, []byte("no certificate here"), 0o644))
	for _, c := range []struct {
		name      string
		cfg       bus.SecurityConfig
		err       error
		tls, mtls bool
		mech      string
	}{
		{"nothing: plaintext", bus.SecurityConfig{}, nil, false, false, ""},
		{"TLS only", bus.SecurityConfig{CAFile: ca.File}, nil, true, false, ""},
		{"SCRAM-SHA-512 by default", bus.SecurityConfig{CAFile: ca.File, User: "cg", Password: "pw"}, nil, true, false, "SCRAM-SHA-512"},
		{"SCRAM-SHA-256", bus.SecurityConfig{CAFile: ca.File, Mechanism: "scram-sha-256", User: "cg", Password: "pw"}, nil, true, false, "SCRAM-SHA-256"},
		{"PLAIN over TLS", bus.SecurityConfig{CAFile: ca.File, Mechanism: "PLAIN", User: "cg", Password: "pw"}, nil, true, false, "PLAIN"},
		{"mutual TLS", bus.SecurityConfig{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile}, nil, true, true, ""},
		{"PLAIN without TLS", bus.SecurityConfig{Mechanism: "PLAIN", User: "cg", Password: "pw"}, bus.ErrPlainNoTLS, false, false, ""},
		{"mechanism without user", bus.SecurityConfig{Mechanism: "SCRAM-SHA-512"}, bus.ErrSASLNoUser, false, false, ""},
		{"unknown mechanism", bus.SecurityConfig{Mechanism: "GSSAPI", User: "cg", Password: "pw"}, bus.ErrMechanism, false, false, ""},
		{"half a key pair", bus.SecurityConfig{CAFile: ca.File, CertFile: client.CertFile}, bus.ErrClientKeyPair, false, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.cfg.Build()
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.tls, s.TLS != nil)
			if c.tls {
				assert.Equal(t, uint16(tls.VersionTLS12), s.TLS.MinVersion)
				assert.NotNil(t, s.TLS.RootCAs)
				assert.Equal(t, c.mtls, len(s.TLS.Certificates) == 1)
			}
			if c.mech == "" {
				assert.Nil(t, s.SASL)
			} else {
				require.NotNil(t, s.SASL)
				assert.Equal(t, c.mech, s.SASL.Name())
			}
		})
	}
	_, err := bus.SecurityConfig{CAFile: empty}.Build()
	assert.Error(t, err, "a CA file without a certificate")
	_, err = bus.SecurityConfig{CAFile: filepath.Join(t.TempDir(), "missing.pem")}.Build()
	assert.Error(t, err)
}

// The producer, the consumer group and topic creation all work over TLS with
// SCRAM-SHA-512 against a broker that demands both; without the CA or with a
// wrong password nothing gets through.
func TestKafkaOverTLSWithSCRAM(t *testing.T) {
	ca := tlstest.NewCA(t, "kafka-ca")
	srv := ca.Issue(t, "broker", "127.0.0.1", "localhost")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "chemguard", "correct horse battery"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{srv.Pair}, MinVersion: tls.VersionTLS12}))
	require.NoError(t, err)
	defer cluster.Close()
	sec, err := bus.SecurityConfig{CAFile: ca.File, User: "chemguard", Password: "correct horse battery"}.Build()
	require.NoError(t, err)
	cfg := bus.Config{Brokers: cluster.ListenAddrs(), Partitions: 1, ReplicationFactor: 1, Security: sec}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	require.NoError(t, bus.Ping(ctx, cfg))
	require.NoError(t, bus.EnsureTopics(ctx, cfg, []string{"chemguard.test.secure"}))
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.Publish(ctx, []bus.Message{{Topic: "chemguard.test.secure", Key: "370102001", Value: []byte(`{"ok":true}`)}}))
	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "chemguard-secure", Topics: []string{"chemguard.test.secure"}})
	require.NoError(t, err)
	defer c.Close()
	msgs, err := c.FetchBatch(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, `{"ok":true}`, string(msgs[0].Value))
	require.NoError(t, c.Commit(ctx, msgs))

	short, cancelShort := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShort()
	wrong, err := bus.SecurityConfig{CAFile: ca.File, User: "chemguard", Password: "guess"}.Build()
	require.NoError(t, err)
	assert.Error(t, bus.Ping(short, bus.Config{Brokers: cluster.ListenAddrs(), Partitions: 1, Security: wrong}), "a wrong password")
	noCA, err := bus.SecurityConfig{User: "chemguard", Password: "correct horse battery"}.Build()
	require.NoError(t, err)
	assert.Error(t, bus.Ping(short, bus.Config{Brokers: cluster.ListenAddrs(), Partitions: 1, Security: noCA}), "no TLS")
	otherCA := tlstest.NewCA(t, "someone-else")
	untrusted, err := bus.SecurityConfig{CAFile: otherCA.File, User: "chemguard", Password: "correct horse battery"}.Build()
	require.NoError(t, err)
	assert.Error(t, bus.Ping(short, bus.Config{Brokers: cluster.ListenAddrs(), Partitions: 1, Security: untrusted}), "a broker certificate from another CA")
}
