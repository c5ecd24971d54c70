package main

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/tlstest"
	"github.com/shandong-emergency/chemguard/web/edge"
)

func TestSecurityFromEnv(t *testing.T) {
	ca := tlstest.NewCA(t, "kafka-ca")
	for k, v := range map[string]string{
		"CHEMGUARD_HTTP_MAX_BODY_BYTES":      "2097152",
		"CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES": "1073741824",
		"CHEMGUARD_HTTP_MAX_CONNS_PER_IP":    "64",
		"CHEMGUARD_HTTP_HEADER_TIMEOUT":      "5s",
		"CHEMGUARD_TRUSTED_PROXIES":          "10.0.0.0/8, 192.168.1.10",
		"CHEMGUARD_OPERATOR_TOKEN":           "a-long-operator-token",
		"CHEMGUARD_RATE_LOGIN_PER_ACCOUNT":   "5/3",
		"CHEMGUARD_STREAMS_PER_SESSION":      "4",
		"CHEMGUARD_TLS_CERT":                 "/etc/chemguard/tls.crt",
		"CHEMGUARD_TLS_KEY":                  "/etc/chemguard/tls.key",
		"CHEMGUARD_KAFKA_TLS_CA":             ca.File,
		"CHEMGUARD_KAFKA_SASL_USER":          "chemguard",
		"CHEMGUARD_KAFKA_SASL_PASSWORD":      "secret",
	} {
		t.Setenv(k, v)
	}
	var cfg platform.Config
	require.NoError(t, securityFromEnv(&cfg))
	e := cfg.Edge
	assert.Equal(t, 2<<20, e.MaxBodyBytes)
	assert.Equal(t, int64(1<<30), e.MaxInflightBodyBytes)
	assert.Equal(t, 64, e.MaxConnsPerIP)
	assert.Equal(t, 5*time.Second, e.HeaderTimeout)
	assert.Equal(t, edge.DefaultBodyTimeout, e.BodyTimeout)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.10/32")}, e.TrustedProxies)
	assert.Equal(t, "a-long-operator-token", e.OperatorToken)
	assert.Equal(t, edge.Rate{PerMinute: 5, Burst: 3}, e.Limits.LoginPerAccount)
	assert.Equal(t, edge.DefaultLimits.LoginPerIP, e.Limits.LoginPerIP)
	assert.Equal(t, 4, e.Limits.StreamsPerSession)
	assert.Equal(t, "/etc/chemguard/tls.crt", cfg.TLSCert)
	require.NotNil(t, cfg.KafkaSecurity.TLS)
	require.NotNil(t, cfg.KafkaSecurity.SASL)
	assert.Equal(t, "SCRAM-SHA-512", cfg.KafkaSecurity.SASL.Name())

	for env, bad := range map[string]string{
		"CHEMGUARD_TRUSTED_PROXIES":      "proxy.example",
		"CHEMGUARD_OPERATOR_TOKEN":       "short",
		"CHEMGUARD_RATE_EXCHANGE_PER_IP": "lots",
		"CHEMGUARD_HTTP_BODY_TIMEOUT":    "forever",
		"CHEMGUARD_KAFKA_SASL_MECHANISM": "GSSAPI",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, bad)
			var cfg platform.Config
			assert.Error(t, securityFromEnv(&cfg))
		})
	}
}
