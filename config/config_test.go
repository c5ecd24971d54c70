package config_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web/edge"
)

const dbURL = "postgres://chemguard@127.0.0.1/chemguard"

// parse is config.Parse of the database URL and vars (name, value, name, value …).
func parse(t *testing.T, vars ...string) (*config.Config, error) {
	t.Helper()
	env := map[string]string{"CHEMGUARD_DATABASE_URL": dbURL}
	for i := 0; i+1 < len(vars); i += 2 {
		env[vars[i]] = vars[i+1]
	}
	return config.Parse(env)
}

// The defaults written in the struct tags are the components' own: a variable
// left unset means what it meant when each component filled its zero value.
func TestDefaultsAreTheComponents(t *testing.T) {
	c, err := parse(t)
	require.NoError(t, err)
	assert.Equal(t, platform.DefaultHTTPAddr, c.HTTP.Addr)
	assert.Equal(t, platform.DefaultPartitions, c.Kafka.Partitions)
	assert.Equal(t, 1, c.Kafka.Replication)
	assert.True(t, c.Kafka.SyncWrites, "acknowledged records survive kill -9")
	assert.Equal(t, ".data", c.DataDir)
	assert.Equal(t, ingest.DefaultMaxBodyBytes, c.Exchange.BatchBytes)
	assert.Equal(t, ingest.DefaultMaxRecords, c.Exchange.BatchRecords)
	assert.Equal(t, ingest.DefaultReadWait, c.Exchange.ReadWait)
	assert.Equal(t, ingest.DefaultSinkWorkers, c.Exchange.SinkWorkers)
	assert.Equal(t, ingest.DefaultSinkYield, c.Exchange.SinkYield)
	assert.Equal(t, 100*time.Millisecond, c.Governance.Yield, "a third of the sink's: facts have seconds to spare")
	assert.Equal(t, identity.DefaultIdleTimeout, c.Access.SessionIdle)
	assert.Equal(t, identity.DefaultAbsoluteLifetime, c.Access.SessionMax)
	assert.Equal(t, identity.DefaultLockoutDuration, c.Access.Lockout)
	assert.Equal(t, identity.DefaultAdminPasswordMaxAge, c.Access.AdminPasswordMaxAge)
	assert.Equal(t, identity.DefaultPurgeEvery, c.Access.SessionPurge)
	assert.Equal(t, identity.DefaultMaxSessions, c.Access.MaxSessions)
	assert.Equal(t, auth.DefaultPolicyReload, c.Access.PolicyReload)
	assert.Equal(t, auth.DefaultStreamRecheck, c.Access.StreamRecheck)
	assert.Zero(t, c.Access.ShareLag, "the sharing feed fills its own default")
	assert.Equal(t, audit.DefaultCheckpointEvery, c.Access.CheckpointEvery)
	assert.Equal(t, audit.DefaultCheckpointRows, c.Access.CheckpointRows)
	assert.Equal(t, warningsvc.DefaultTick, c.Warnings.EngineTick)
	assert.Equal(t, warningsvc.DefaultRemind, c.Warnings.Remind)
	assert.Zero(t, c.Warnings.NotifyRate)
	assert.Equal(t, governancesvc.DefaultTick, c.Governance.AbsenceTick)
	assert.Equal(t, governancesvc.DefaultScoreEvery, c.Governance.ScoreEvery)
	assert.Equal(t, governancesvc.DefaultFinalizeAfter, c.Governance.FinalizeAfter)
	assert.Equal(t, inspect.DefaultPlans(), c.Inspect.PatrolPlans)
	assert.Equal(t, edge.DefaultMaxBodyBytes, c.HTTP.MaxBodyBytes)
	assert.Equal(t, int64(edge.DefaultMaxInflightBodyBytes), c.HTTP.MaxInflightBodyBytes)
	assert.Equal(t, edge.DefaultMaxConnsPerIP, c.HTTP.MaxConnsPerIP)
	assert.Equal(t, edge.DefaultMaxConns, c.HTTP.MaxConns)
	assert.Equal(t, edge.DefaultHeaderTimeout, c.HTTP.HeaderTimeout)
	assert.Equal(t, edge.DefaultBodyTimeout, c.HTTP.BodyTimeout)
	assert.Equal(t, edge.DefaultIdleTimeout, c.HTTP.IdleTimeout)
	assert.Zero(t, c.HTTP.RateLoginPerIP, "edge fills the rate limits it is not given")
	assert.False(t, c.Production)
	assert.Nil(t, c.Keys.AuditKey)
	assert.Nil(t, c.Keys.DataKey)
}

func TestParseTypedValues(t *testing.T) {
	c, err := parse(t,
		"CHEMGUARD_KAFKA_BROKERS", " k1:9092, ,k2:9092 ",
		"CHEMGUARD_KAFKA_SYNC_WRITES", "FALSE",
		"CHEMGUARD_REQUIRE_SIGNING", "yes",
		"CHEMGUARD_INSECURE_COOKIE", "on",
		"CHEMGUARD_HTTP_MAX_BODY_BYTES", "2097152",
		"CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES", "1073741824",
		"CHEMGUARD_HTTP_HEADER_TIMEOUT", "5s",
		"CHEMGUARD_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.10",
		"CHEMGUARD_RATE_LOGIN_PER_ACCOUNT", "5/3",
		"CHEMGUARD_MAX_SESSIONS", "2",
		"CHEMGUARD_ADMIN_PASSWORD_MAX_AGE", "720h",
		"CHEMGUARD_SESSION_PURGE", "1m",
		"CHEMGUARD_PATROL_PLANS", "city=week:50",
		"CHEMGUARD_WARNING_IM_KINDS", "warning_raised, reminder",
		"CHEMGUARD_OPERATOR_TOKEN", "", // empty means unset
	)
	require.NoError(t, err)
	assert.Equal(t, []string{"k1:9092", "k2:9092"}, []string(c.Kafka.Brokers))
	assert.False(t, c.Kafka.SyncWrites)
	assert.True(t, c.Exchange.RequireSigning)
	assert.True(t, c.Access.InsecureCookie)
	assert.Equal(t, 2<<20, c.HTTP.MaxBodyBytes)
	assert.Equal(t, int64(1<<30), c.HTTP.MaxInflightBodyBytes)
	assert.Equal(t, 5*time.Second, c.HTTP.HeaderTimeout)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.10/32")}, c.HTTP.TrustedProxies)
	assert.Equal(t, edge.Rate{PerMinute: 5, Burst: 3}, c.HTTP.RateLoginPerAccount)
	assert.Equal(t, 2, c.Access.MaxSessions)
	assert.Equal(t, 720*time.Hour, c.Access.AdminPasswordMaxAge)
	assert.Equal(t, time.Minute, c.Access.SessionPurge)
	assert.Equal(t, inspect.Plan{Cycle: inspect.CycleWeek, Percent: 50}, c.Inspect.PatrolPlans[inspect.TierCity])
	assert.Equal(t, inspect.DefaultPlans()[inspect.TierCounty], c.Inspect.PatrolPlans[inspect.TierCounty])
	assert.Equal(t, []string{"warning_raised", "reminder"}, []string(c.Warnings.IMKinds))
	assert.Empty(t, c.HTTP.OperatorToken)
}

// A bad value stops the start with the variable named, in Chinese and English;
// every bad value is reported at once.
func TestBadValuesNameTheirVariable(t *testing.T) {
	for name, value := range map[string]string{
		"CHEMGUARD_TRUSTED_PROXIES":        "proxy.example",
		"CHEMGUARD_RATE_EXCHANGE_PER_IP":   "lots",
		"CHEMGUARD_HTTP_BODY_TIMEOUT":      "forever",
		"CHEMGUARD_KAFKA_PARTITIONS":       "six",
		"CHEMGUARD_KAFKA_SYNC_WRITES":      "maybe",
		"CHEMGUARD_REQUIRE_SIGNING":        "sometimes",
		"CHEMGUARD_AUDIT_CHECKPOINT_ROWS":  "many",
		"CHEMGUARD_PATROL_PLANS":           "county=fortnight",
		"CHEMGUARD_MAX_SESSIONS":           "0",
		"CHEMGUARD_SINK_YIELD":             "-1s",
		"CHEMGUARD_GOVERNANCE_YIELD":       "-1s",
		"CHEMGUARD_WARNING_REMIND":         "often",
		"CHEMGUARD_GOVERNANCE_SCORE_EVERY": "5",
		"CHEMGUARD_DATA_KEY":               "short",
		"CHEMGUARD_AUDIT_KEY_FILE":         filepath.Join(t.TempDir(), "missing"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse(t, name, value)
			require.Error(t, err)
			var ae *chemguard.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, chemguard.EInvalid, ae.Code)
			assert.Contains(t, ae.MessageEN, name)
			assert.Contains(t, ae.MessageZH, name)
			assert.Contains(t, err.Error(), name)
		})
	}
	_, err := parse(t, "CHEMGUARD_KAFKA_PARTITIONS", "six", "CHEMGUARD_LOCKOUT", "long")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CHEMGUARD_KAFKA_PARTITIONS")
	assert.Contains(t, err.Error(), "CHEMGUARD_LOCKOUT")
	// What the operator reads at a failed start names each variable once and no
	// Go struct field (the env library's own text, which does, is not repeated).
	assert.Equal(t, 1, strings.Count(err.Error(), "CHEMGUARD_KAFKA_PARTITIONS"), err.Error())
	assert.NotContains(t, err.Error(), "field")

	_, err = config.Parse(map[string]string{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CHEMGUARD_DATABASE_URL", "the database is required")
}

// The audit and data keys come from the variable or, when it is empty, from the
// file its _FILE variable names; CHEMGUARD_PRODUCTION requires both.
func TestKeysFromValueOrFile(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	file := filepath.Join(t.TempDir(), "data.key")
	require.NoError(t, os.WriteFile(file, []byte(strings.Repeat("cd", 32)+"\n"), 0o600))
	c, err := parse(t, "CHEMGUARD_AUDIT_KEY", hexKey, "CHEMGUARD_DATA_KEY_FILE", file,
		"CHEMGUARD_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "never-read"))
	require.NoError(t, err)
	assert.Len(t, c.Keys.AuditKey, 32)
	assert.Equal(t, byte(0xab), c.Keys.AuditKey[0])
	assert.Equal(t, byte(0xcd), c.Keys.DataKey[0])

	_, err = parse(t, "CHEMGUARD_PRODUCTION", "true", "CHEMGUARD_AUDIT_KEY", hexKey)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CHEMGUARD_DATA_KEY is required with CHEMGUARD_PRODUCTION")
	_, err = parse(t, "CHEMGUARD_PRODUCTION", "1", "CHEMGUARD_AUDIT_KEY", hexKey, "CHEMGUARD_DATA_KEY_FILE", file)
	require.NoError(t, err)
}

// Bad values are told by the translation of field names to variables, so no two
// fields may share a name.
func TestFieldNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, v := range config.Variables() {
		require.Empty(t, seen[v.Field], "field %s holds %s and %s", v.Field, seen[v.Field], v.Name)
		seen[v.Field] = v.Name
		assert.NotEmpty(t, v.Help, v.Name)
	}
}

// The typed series' ages: the defaults are a week uncompressed and kept forever,
// the per-minute trend refreshed by the platform every 5 minutes up to 10 minutes
// ago (by TimescaleDB's policy when asked); a retention
// under 30 days, a negative age, compression not before retention, a refresh more
// often than a minute or a settle outside 1m–90m is refused naming the variable at
// fault; 0 keeps forever / never compresses.
func TestTimeSeriesAges(t *testing.T) {
	c, err := parse(t)
	require.NoError(t, err)
	assert.Equal(t, config.TimeSeries{ReadingsCompressAfter: 7 * 24 * time.Hour,
		DeviceStatusCompressAfter: 7 * 24 * time.Hour,
		TrendRefreshEvery:         5 * time.Minute, TrendRefreshBy: "platform", TrendSettle: 10 * time.Minute}, c.TimeSeries)
	cfg, err := platform.FromConfig(c)
	require.NoError(t, err)
	require.Len(t, cfg.SeriesPolicies, 3, "every typed series gets its policy")
	assert.Equal(t, store.TrendRefresh{Every: 5 * time.Minute, Settle: 10 * time.Minute}, cfg.TrendRefresh)
	assert.True(t, cfg.TrendRefresh.ByPlatform())

	c, err = parse(t, "CHEMGUARD_TREND_REFRESH_BY", "timescaledb")
	require.NoError(t, err)
	cfg, err = platform.FromConfig(c)
	require.NoError(t, err)
	assert.Equal(t, store.TrendRefresh{Every: 5 * time.Minute, Settle: 10 * time.Minute, ByPolicy: true}, cfg.TrendRefresh)

	c, err = parse(t, "CHEMGUARD_READINGS_RETAIN", "4320h", "CHEMGUARD_DEVICE_STATUS_COMPRESS_AFTER", "0")
	require.NoError(t, err)
	assert.Equal(t, 180*24*time.Hour, c.TimeSeries.ReadingsRetain)
	assert.Zero(t, c.TimeSeries.DeviceStatusCompressAfter)

	for _, bad := range []struct {
		name, value, blamed string
		also                []string // other variables set
	}{
		{"CHEMGUARD_READINGS_RETAIN", "240h", "CHEMGUARD_READINGS_RETAIN", nil},
		{"CHEMGUARD_DEVICE_STATUS_RETAIN", "-1h", "CHEMGUARD_DEVICE_STATUS_RETAIN", nil},
		{"CHEMGUARD_READINGS_COMPRESS_AFTER", "-1h", "CHEMGUARD_READINGS_COMPRESS_AFTER", nil},
		{"CHEMGUARD_DEVICE_STATUS_COMPRESS_AFTER", "4320h", "CHEMGUARD_DEVICE_STATUS_COMPRESS_AFTER", []string{"CHEMGUARD_DEVICE_STATUS_RETAIN", "4320h"}},
		{"CHEMGUARD_TREND_REFRESH_EVERY", "30s", "CHEMGUARD_TREND_REFRESH_EVERY", nil},
		{"CHEMGUARD_TREND_SETTLE", "30s", "CHEMGUARD_TREND_SETTLE", nil},
		{"CHEMGUARD_TREND_SETTLE", "2h", "CHEMGUARD_TREND_SETTLE", nil},
		{"CHEMGUARD_TREND_REFRESH_BY", "cron", "CHEMGUARD_TREND_REFRESH_BY", nil},
	} {
		t.Run(bad.name+"="+bad.value, func(t *testing.T) {
			_, err := parse(t, append([]string{bad.name, bad.value}, bad.also...)...)
			var ae *chemguard.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, chemguard.EInvalid, ae.Code)
			assert.Contains(t, ae.MessageZH, bad.blamed)
			assert.Contains(t, ae.MessageEN, bad.blamed)
		})
	}
}

// 人员定位 tracks: 90 days by default, handed to the module; under 30 days (指南
// 4.3) or a batch of no fixes is refused naming the variable.
func TestPositioningSettings(t *testing.T) {
	c, err := parse(t)
	require.NoError(t, err)
	assert.Equal(t, config.Positioning{TrackRetain: 90 * 24 * time.Hour, MaxBatch: 5000, MQTTAddr: "127.0.0.1:1883",
		MQTTClientID: "chemguard-positioning", MQTTShareGroup: "chemguard", MQTTFixesPerSecond: 2500, MQTTBytesPerSecond: 1 << 20}, c.Positioning)
	cfg, err := platform.FromConfig(c)
	require.NoError(t, err)
	assert.Equal(t, 90*24*time.Hour, cfg.BaseSystem.Positioning.Retention)
	assert.Equal(t, "127.0.0.1:1883", cfg.BaseSystem.PositioningMQTT.Addr, "the gateways' embedded MQTT broker is on, on loopback")
	assert.True(t, cfg.BaseSystem.PositioningMQTT.Enabled())
	assert.Equal(t, 2500.0, cfg.BaseSystem.PositioningMQTT.FixesPerSecond, "each gateway's rate limit reaches the transport")
	assert.Equal(t, float64(1<<20), cfg.BaseSystem.PositioningMQTT.BytesPerSecond)

	c, err = parse(t, "CHEMGUARD_POSITIONING_MQTT_BROKER", "ssl://mqtt.plant.example:8883", "CHEMGUARD_POSITIONING_MQTT_USERNAME", "chemguard",
		"CHEMGUARD_POSITIONING_MQTT_PASSWORD", "pw")
	require.NoError(t, err)
	cfg, err = platform.FromConfig(c)
	require.NoError(t, err)
	assert.Equal(t, "ssl://mqtt.plant.example:8883", cfg.BaseSystem.PositioningMQTT.Broker)
	assert.Equal(t, "pw", cfg.BaseSystem.PositioningMQTT.Password)
	assert.Equal(t, "$share/chemguard/chemguard/positioning/+/fixes", cfg.BaseSystem.PositioningMQTT.Subscription())

	c, err = parse(t, "CHEMGUARD_POSITIONING_MQTT_ADDR", "off")
	require.NoError(t, err)
	cfg, err = platform.FromConfig(c)
	require.NoError(t, err)
	assert.False(t, cfg.BaseSystem.PositioningMQTT.Enabled(), "no embedded broker and no external one: MQTT off, the HTTP API remains")
	for _, bad := range []struct{ name, value string }{
		{"CHEMGUARD_POSITIONING_TRACK_RETAIN", "719h"},
		{"CHEMGUARD_POSITIONING_MAX_BATCH", "0"},
		{"CHEMGUARD_POSITIONING_MQTT_ADDR", "1883"},
		{"CHEMGUARD_POSITIONING_MQTT_BROKER", "mqtt.plant.example"},
		{"CHEMGUARD_POSITIONING_MQTT_BROKER", "http://mqtt.plant.example:1883"},
		{"CHEMGUARD_POSITIONING_MQTT_SHARE_GROUP", "a/b"},
		{"CHEMGUARD_POSITIONING_MQTT_TLS_CERT", "/etc/chemguard/mqtt.pem"}, // without its key
		{"CHEMGUARD_POSITIONING_MQTT_FIXES_PER_SECOND", "0"},
		{"CHEMGUARD_POSITIONING_MQTT_BYTES_PER_SECOND", "100"},
	} {
		t.Run(bad.name+"="+bad.value, func(t *testing.T) {
			_, err := parse(t, bad.name, bad.value)
			var ae *chemguard.Error
			require.ErrorAs(t, err, &ae)
			assert.Contains(t, ae.MessageEN, bad.name)
		})
	}
}
