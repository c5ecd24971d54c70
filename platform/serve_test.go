package platform_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/tlstest"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// fromEnv is platform.FromConfig of the variables (name, value, …) with a
// database URL and a data directory of the test's own.
func fromEnv(t *testing.T, vars ...string) (platform.Config, error) {
	t.Helper()
	env := map[string]string{"CHEMGUARD_DATABASE_URL": "postgres://chemguard@127.0.0.1/chemguard", "CHEMGUARD_DATA_DIR": t.TempDir()}
	for i := 0; i+1 < len(vars); i += 2 {
		env[vars[i]] = vars[i+1]
	}
	c, err := config.Parse(env)
	require.NoError(t, err)
	return platform.FromConfig(c)
}

func TestFromConfigSecurity(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "kafka-ca")
	cfg, err := fromEnv(t,
		"CHEMGUARD_HTTP_MAX_BODY_BYTES", "2097152",
		"CHEMGUARD_HTTP_MAX_CONNS_PER_IP", "64",
		"CHEMGUARD_OPERATOR_TOKEN", "a-long-operator-token",
		"CHEMGUARD_RATE_LOGIN_PER_ACCOUNT", "5/3",
		"CHEMGUARD_STREAMS_PER_SESSION", "4",
		"CHEMGUARD_TLS_CERT", "/etc/chemguard/tls.crt",
		"CHEMGUARD_TLS_KEY", "/etc/chemguard/tls.key",
		"CHEMGUARD_KAFKA_TLS_CA", ca.File,
		"CHEMGUARD_KAFKA_SASL_USER", "chemguard",
		"CHEMGUARD_KAFKA_SASL_PASSWORD", "secret",
		"CHEMGUARD_MAX_SESSIONS", "2",
		"CHEMGUARD_ADMIN_PASSWORD_MAX_AGE", "720h",
		"CHEMGUARD_SESSION_PURGE", "1m",
	)
	require.NoError(t, err)
	e := cfg.Edge
	assert.Equal(t, 2<<20, e.MaxBodyBytes)
	assert.Equal(t, 64, e.MaxConnsPerIP)
	assert.Equal(t, edge.DefaultBodyTimeout, e.BodyTimeout)
	assert.Equal(t, "a-long-operator-token", e.OperatorToken)
	assert.Equal(t, edge.Rate{PerMinute: 5, Burst: 3}, e.Limits.LoginPerAccount)
	assert.Equal(t, edge.DefaultLimits.LoginPerIP, e.Limits.LoginPerIP)
	assert.Equal(t, 4, e.Limits.StreamsPerSession)
	assert.Equal(t, "/etc/chemguard/tls.crt", cfg.TLSCert)
	require.NotNil(t, cfg.KafkaSecurity.TLS)
	require.NotNil(t, cfg.KafkaSecurity.SASL)
	assert.Equal(t, "SCRAM-SHA-512", cfg.KafkaSecurity.SASL.Name())
	assert.Equal(t, 2, cfg.Access.Identity.MaxSessions)
	assert.Equal(t, 720*time.Hour, cfg.Access.Identity.AdminPasswordMaxAge)
	assert.Equal(t, time.Minute, cfg.Access.Identity.PurgeEvery)
	assert.Len(t, cfg.Access.DataKey, 32, "a development key from the data directory")

	for _, bad := range [][2]string{
		{"CHEMGUARD_OPERATOR_TOKEN", "short"},
		{"CHEMGUARD_KAFKA_SASL_MECHANISM", "GSSAPI"},
		{"CHEMGUARD_TLS_CERT", "/etc/chemguard/tls.crt"}, // without its key
	} {
		t.Run(bad[0], func(t *testing.T) {
			_, err := fromEnv(t, bad[0], bad[1])
			assert.Error(t, err)
		})
	}
	_, err = fromEnv(t, "CHEMGUARD_KAFKA_SASL_MECHANISM", "GSSAPI", "CHEMGUARD_KAFKA_SASL_USER", "u", "CHEMGUARD_KAFKA_SASL_PASSWORD", "p")
	assert.ErrorIs(t, err, bus.ErrMechanism)
}

func TestFromConfigNotifiers(t *testing.T) {
	t.Parallel()
	gateways := []string{
		"CHEMGUARD_WARNING_WEBHOOKS", "https://hooks.example.cn/a",
		"CHEMGUARD_WARNING_SMS_URL", "https://sms.example.cn/send",
		"CHEMGUARD_WARNING_SMS_APP_KEY", "k",
		"CHEMGUARD_WARNING_SMS_SECRET", "s",
		"CHEMGUARD_WARNING_SMS_KINDS", "warning_raised, reminder",
		"CHEMGUARD_WARNING_WECOM_WEBHOOKS", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a",
		"CHEMGUARD_WARNING_DINGTALK_WEBHOOKS", "https://oapi.dingtalk.com/robot/send?access_token=b#SECx, https://oapi.dingtalk.com/robot/send?access_token=c",
		"CHEMGUARD_WARNING_IM_KINDS", "warning_raised",
		"CHEMGUARD_WARNING_NOTIFY_LOG", "true",
	}
	cfg, err := fromEnv(t, gateways...)
	require.NoError(t, err)
	got := cfg.Warnings.Notifiers
	require.Len(t, got, 6)
	assert.Equal(t, warningsvc.Webhook{URL: "https://hooks.example.cn/a"}, got[0])
	assert.Equal(t, "sms:sms.example.cn/send", got[1].Target())
	assert.Equal(t, []string{"warning_raised", "reminder"}, got[1].(warningsvc.Selective).Kinds())
	assert.Equal(t, []string{"warning_raised"}, got[2].(warningsvc.WeCom).Kinds())
	d := got[3].(warningsvc.DingTalk)
	assert.Equal(t, "SECx", d.Secret)
	assert.Equal(t, "https://oapi.dingtalk.com/robot/send?access_token=b", d.URL)
	assert.Empty(t, got[4].(warningsvc.DingTalk).Secret)
	assert.IsType(t, warningsvc.LogNotifier{}, got[5])

	for _, bad := range []struct {
		name, value string
		want        error
	}{
		{"CHEMGUARD_WARNING_IM_KINDS", "warning_raised,warning_rasied", warningsvc.ErrUnknownKind},
		{"CHEMGUARD_WARNING_SMS_KINDS", "alarm_raised", warningsvc.ErrUnknownKind}, // alarm changes are not warning events
		{"CHEMGUARD_WARNING_SMS_URL", "sms.example.cn", warningsvc.ErrSMSURL},
		{"CHEMGUARD_WARNING_SMS_TEMPLATE", "{{.Nope}}", warningsvc.ErrSMSTemplate},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := fromEnv(t, append(append([]string{}, gateways...), bad.name, bad.value)...)
			require.ErrorIs(t, err, bad.want)
			assert.Contains(t, err.Error(), "CHEMGUARD_WARNING_")
		})
	}
}
