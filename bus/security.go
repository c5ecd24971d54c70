package bus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Security is how chemguard reaches a production cluster: TLS for the link and a
// SASL mechanism for who it is. The zero value is plaintext without
// authentication, which only the embedded broker on loopback should get.
type Security struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// SecurityConfig is Security as configured: file paths and names, read once.
type SecurityConfig struct {
	CAFile     string // CHEMGUARD_KAFKA_TLS_CA: PEM CA bundle that signed the brokers' certificates
	CertFile   string // CHEMGUARD_KAFKA_TLS_CERT: client certificate, where the cluster wants mutual TLS
	KeyFile    string // CHEMGUARD_KAFKA_TLS_KEY
	ServerName string // CHEMGUARD_KAFKA_TLS_SERVER_NAME: when the brokers' certificates name another host
	Mechanism  string // CHEMGUARD_KAFKA_SASL_MECHANISM: SCRAM-SHA-512 (default with a user), SCRAM-SHA-256 or PLAIN
	User       string // CHEMGUARD_KAFKA_SASL_USER
	Password   string // CHEMGUARD_KAFKA_SASL_PASSWORD
}

// Errors returned by SecurityConfig.Build.
var (
	ErrMechanism     = errors.New("bus: CHEMGUARD_KAFKA_SASL_MECHANISM must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN")
	ErrSASLNoUser    = errors.New("bus: a SASL mechanism needs CHEMGUARD_KAFKA_SASL_USER and CHEMGUARD_KAFKA_SASL_PASSWORD")
	ErrPlainNoTLS    = errors.New("bus: SASL PLAIN sends the password as is; it needs TLS (CHEMGUARD_KAFKA_TLS_CA)")
	ErrClientKeyPair = errors.New("bus: CHEMGUARD_KAFKA_TLS_CERT and CHEMGUARD_KAFKA_TLS_KEY must be set together")
)

// Build reads the files and returns the Security they describe.
func (c SecurityConfig) Build() (Security, error) {
	var s Security
	if c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" {
		s.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return s, fmt.Errorf("bus: read Kafka CA: %w", err)
			}
			s.TLS.RootCAs = x509.NewCertPool()
			if !s.TLS.RootCAs.AppendCertsFromPEM(pem) {
				return s, fmt.Errorf("bus: no certificate in Kafka CA file %s", c.CAFile)
			}
		}
		if (c.CertFile == "") != (c.KeyFile == "") {
			return s, ErrClientKeyPair
		}
		if c.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				return s, fmt.Errorf("bus: load Kafka client certificate: %w", err)
			}
			s.TLS.Certificates = []tls.Certificate{pair}
		}
	}
	mech := strings.ToUpper(strings.TrimSpace(c.Mechanism))
	if mech == "" && c.User == "" {
		return s, nil
	}
	if c.User == "" || c.Password == "" {
		return s, ErrSASLNoUser
	}
	var err error
	switch mech {
	case "", "SCRAM-SHA-512":
		s.SASL, err = scram.Mechanism(scram.SHA512, c.User, c.Password)
	case "SCRAM-SHA-256":
		s.SASL, err = scram.Mechanism(scram.SHA256, c.User, c.Password)
	case "PLAIN":
		if s.TLS == nil {
			return s, ErrPlainNoTLS
		}
		s.SASL = plain.Mechanism{Username: c.User, Password: c.Password}
	default:
		return s, ErrMechanism
	}
	if err != nil {
		return s, fmt.Errorf("bus: SASL %s: %w", mech, err)
	}
	return s, nil
}

// transport is what kafka.Client and kafka.Writer connect through; nil (kafka-go's
// default) when there is nothing to secure.
func (c Config) transport() kafka.RoundTripper {
	if c.Security.TLS == nil && c.Security.SASL == nil {
		return nil
	}
	return &kafka.Transport{TLS: c.Security.TLS, SASL: c.Security.SASL, DialTimeout: 10 * time.Second}
}
