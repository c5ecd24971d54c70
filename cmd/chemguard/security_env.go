package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// securityUsage lists the HTTP edge and encryption settings (docs/operations.md).
const securityUsage = `  CHEMGUARD_HTTP_MAX_BODY_BYTES  body cap of every route but the exchange uploads and inspection photos (default 1048576)
  CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES  request-body bytes held at once by all requests; past it 503 + Retry-After (default 536870912)
  CHEMGUARD_HTTP_MAX_CONNS_PER_IP  open connections per client address, trusted proxies exempt (default 256)
  CHEMGUARD_HTTP_MAX_CONNS   connections served at once (default 10000)
  CHEMGUARD_HTTP_HEADER_TIMEOUT, _BODY_TIMEOUT, _IDLE_TIMEOUT  reading headers / a body / a kept-alive wait (default 10s, 120s, 120s)
  CHEMGUARD_TRUSTED_PROXIES  reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For is believed (default none)
  CHEMGUARD_OPERATOR_TOKEN   Bearer token (16+ characters) that opens /metrics and /readyz details from outside the private network
  CHEMGUARD_RATE_LOGIN_PER_IP, _PER_ACCOUNT  failed logins a minute[/burst] (default 60, 10)
  CHEMGUARD_RATE_EXCHANGE_PER_KEY, _PER_IP  exchange requests a minute[/burst] (default 1200/600, 12000/3000)
  CHEMGUARD_STREAMS_PER_SESSION, _PER_IP  concurrent event streams (default 8, 200)
  CHEMGUARD_TLS_CERT, CHEMGUARD_TLS_KEY  PEM certificate and key: serve HTTPS (default plain HTTP behind a TLS proxy)
  CHEMGUARD_KAFKA_TLS_CA     PEM CA of the brokers: TLS to Kafka; _TLS_CERT/_TLS_KEY a client certificate; _TLS_SERVER_NAME
  CHEMGUARD_KAFKA_SASL_MECHANISM, _USER, _PASSWORD  SASL to Kafka: SCRAM-SHA-512 (default), SCRAM-SHA-256 or PLAIN (TLS only)
`

// securityFromEnv reads the HTTP edge, TLS and Kafka security settings.
func securityFromEnv(cfg *platform.Config) error {
	e := &cfg.Edge
	ints := []struct {
		env string
		dst *int
	}{
		{"CHEMGUARD_HTTP_MAX_BODY_BYTES", &e.MaxBodyBytes},
		{"CHEMGUARD_HTTP_MAX_CONNS_PER_IP", &e.MaxConnsPerIP},
		{"CHEMGUARD_HTTP_MAX_CONNS", &e.MaxConns},
		{"CHEMGUARD_STREAMS_PER_SESSION", &e.Limits.StreamsPerSession},
		{"CHEMGUARD_STREAMS_PER_IP", &e.Limits.StreamsPerIP},
	}
	for _, i := range ints {
		if s := os.Getenv(i.env); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("%s: %w", i.env, err)
			}
			*i.dst = v
		}
	}
	if s := os.Getenv("CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES: %w", err)
		}
		e.MaxInflightBodyBytes = v
	}
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{{"CHEMGUARD_HTTP_HEADER_TIMEOUT", &e.HeaderTimeout}, {"CHEMGUARD_HTTP_BODY_TIMEOUT", &e.BodyTimeout},
		{"CHEMGUARD_HTTP_IDLE_TIMEOUT", &e.IdleTimeout}} {
		if s := os.Getenv(d.env); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %w", d.env, err)
			}
			*d.dst = v
		}
	}
	for _, r := range []struct {
		env string
		dst *edge.Rate
	}{{"CHEMGUARD_RATE_LOGIN_PER_IP", &e.Limits.LoginPerIP}, {"CHEMGUARD_RATE_LOGIN_PER_ACCOUNT", &e.Limits.LoginPerAccount},
		{"CHEMGUARD_RATE_EXCHANGE_PER_KEY", &e.Limits.ExchangePerKey}, {"CHEMGUARD_RATE_EXCHANGE_PER_IP", &e.Limits.ExchangePerIP}} {
		if s := os.Getenv(r.env); s != "" {
			v, err := edge.ParseRate(s)
			if err != nil {
				return fmt.Errorf("%s: %w", r.env, err)
			}
			*r.dst = v
		}
	}
	var err error
	if e.TrustedProxies, err = edge.ParsePrefixes(os.Getenv("CHEMGUARD_TRUSTED_PROXIES")); err != nil {
		return fmt.Errorf("CHEMGUARD_TRUSTED_PROXIES: %w", err)
	}
	e.OperatorToken = os.Getenv("CHEMGUARD_OPERATOR_TOKEN")
	if err := e.Validate(); err != nil {
		return err
	}
	cfg.TLSCert, cfg.TLSKey = os.Getenv("CHEMGUARD_TLS_CERT"), os.Getenv("CHEMGUARD_TLS_KEY")
	if cfg.KafkaSecurity, err = (bus.SecurityConfig{
		CAFile: os.Getenv("CHEMGUARD_KAFKA_TLS_CA"), CertFile: os.Getenv("CHEMGUARD_KAFKA_TLS_CERT"),
		KeyFile: os.Getenv("CHEMGUARD_KAFKA_TLS_KEY"), ServerName: os.Getenv("CHEMGUARD_KAFKA_TLS_SERVER_NAME"),
		Mechanism: os.Getenv("CHEMGUARD_KAFKA_SASL_MECHANISM"), User: os.Getenv("CHEMGUARD_KAFKA_SASL_USER"),
		Password: os.Getenv("CHEMGUARD_KAFKA_SASL_PASSWORD"),
	}).Build(); err != nil {
		return err
	}
	return nil
}
