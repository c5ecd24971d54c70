package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// Load parses the process environment: see Parse.
func Load() (*Config, error) {
	return Parse(Environ(os.Environ()))
}

// Environ turns KEY=VALUE pairs into a map, leaving out empty values: an empty
// variable means its default, as a variable that is not set does.
func Environ(pairs []string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" {
			m[k] = v
		}
	}
	return m
}

// Parse reads the configuration from environ (variable → value; see Environ).
// Every bad value is reported, each naming its variable, in one *chemguard.Error
// with code invalid; the key files are read here.
func Parse(environ map[string]string) (*Config, error) {
	var c Config
	err := env.ParseWithOptions(&c, env.Options{Environment: environ, FuncMap: parsers})
	if err != nil {
		return nil, translate(err)
	}
	if c.Exchange.SinkWorkers < 1 {
		return nil, Invalid("CHEMGUARD_SINK_WORKERS", fmt.Errorf("want a whole number of writers, at least 1, got %d", c.Exchange.SinkWorkers))
	}
	if c.Exchange.SinkYield < 0 {
		return nil, Invalid("CHEMGUARD_SINK_YIELD", fmt.Errorf("want a duration of 0 or more, got %s", c.Exchange.SinkYield))
	}
	if c.Governance.Yield < 0 {
		return nil, Invalid("CHEMGUARD_GOVERNANCE_YIELD", fmt.Errorf("want a duration of 0 or more, got %s", c.Governance.Yield))
	}
	if c.Access.MaxSessions < 1 {
		return nil, Invalid("CHEMGUARD_MAX_SESSIONS", fmt.Errorf("want a whole number of sessions, at least 1, got %d", c.Access.MaxSessions))
	}
	for _, r := range []struct {
		name, compressName    string
		retain, compressAfter time.Duration
	}{{"CHEMGUARD_READINGS_RETAIN", "CHEMGUARD_READINGS_COMPRESS_AFTER", c.TimeSeries.ReadingsRetain, c.TimeSeries.ReadingsCompressAfter},
		{"CHEMGUARD_DEVICE_STATUS_RETAIN", "CHEMGUARD_DEVICE_STATUS_COMPRESS_AFTER", c.TimeSeries.DeviceStatusRetain, c.TimeSeries.DeviceStatusCompressAfter}} {
		switch {
		case r.compressAfter < 0:
			return nil, Invalid(r.compressName, fmt.Errorf("want 0 or a positive age, got %s", r.compressAfter))
		case r.retain < 0 || r.retain > 0 && r.retain < MinRetain:
			return nil, Invalid(r.name, fmt.Errorf("want 0 (keep forever) or at least %s (30 days), got %s", MinRetain, r.retain))
		case r.retain > 0 && r.compressAfter >= r.retain:
			return nil, Invalid(r.compressName, fmt.Errorf("want less than %s=%s, got %s", r.name, r.retain, r.compressAfter))
		}
	}
	if c.TimeSeries.TrendRefreshEvery < time.Minute {
		return nil, Invalid("CHEMGUARD_TREND_REFRESH_EVERY", fmt.Errorf("want at least 1m, got %s", c.TimeSeries.TrendRefreshEvery))
	}
	if by := c.TimeSeries.TrendRefreshBy; by != "platform" && by != "timescaledb" {
		return nil, Invalid("CHEMGUARD_TREND_REFRESH_BY", fmt.Errorf("want platform or timescaledb, got %q", by))
	}
	if c.TimeSeries.TrendSettle < time.Minute || c.TimeSeries.TrendSettle > 90*time.Minute {
		return nil, Invalid("CHEMGUARD_TREND_SETTLE", fmt.Errorf("want 1m to 90m, got %s", c.TimeSeries.TrendSettle))
	}
	if c.Positioning.TrackRetain < MinRetain {
		return nil, Invalid("CHEMGUARD_POSITIONING_TRACK_RETAIN", fmt.Errorf("want at least %s (30 days, 指南 4.3), got %s", MinRetain, c.Positioning.TrackRetain))
	}
	if c.Positioning.MaxBatch < 1 {
		return nil, Invalid("CHEMGUARD_POSITIONING_MAX_BATCH", fmt.Errorf("want at least 1 fix, got %d", c.Positioning.MaxBatch))
	}
	if strings.EqualFold(c.Positioning.MQTTAddr, "off") { // an empty value would mean the default
		c.Positioning.MQTTAddr = ""
	}
	if err := checkMQTT(c.Positioning); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		name, text, file string
		dst              *[]byte
	}{{"CHEMGUARD_AUDIT_KEY", c.Keys.AuditKeyText, c.Keys.AuditKeyFile, &c.Keys.AuditKey},
		{"CHEMGUARD_DATA_KEY", c.Keys.DataKeyText, c.Keys.DataKeyFile, &c.Keys.DataKey}} {
		if k.text == "" && k.file != "" { // a mounted secret (compose, Kubernetes)
			b, err := os.ReadFile(k.file)
			if err != nil {
				return nil, Invalid(k.name+"_FILE", err)
			}
			k.text = string(b)
		}
		if k.text == "" {
			if c.Production {
				return nil, &chemguard.Error{Code: chemguard.EInvalid,
					MessageZH: fmt.Sprintf("CHEMGUARD_PRODUCTION 下必须设置 %s（32 字节，例如 `openssl rand -hex 32`）", k.name),
					MessageEN: fmt.Sprintf("%s is required with CHEMGUARD_PRODUCTION (32 bytes, e.g. `openssl rand -hex 32`)", k.name)}
			}
			continue
		}
		key, err := sealed.ParseKey(k.text)
		if err != nil {
			return nil, Invalid(k.name, err)
		}
		*k.dst = key
	}
	return &c, nil
}

// Invalid is the error of a variable whose value cannot be used, in both languages.
func Invalid(name string, err error) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: fmt.Sprintf("环境变量 %s 的值无效：%v", name, err),
		MessageEN: fmt.Sprintf("%s: %v", name, err), Err: err}
}

// parsers read the values whose syntax is the platform's own.
var parsers = map[reflect.Type]env.ParserFunc{
	reflect.TypeOf(false):                           func(s string) (any, error) { return parseBool(s) },
	reflect.TypeOf(edge.Rate{}):                     func(s string) (any, error) { return edge.ParseRate(s) },
	reflect.TypeOf([]netip.Prefix{}):                func(s string) (any, error) { return edge.ParsePrefixes(s) },
	reflect.TypeOf(map[inspect.Tier]inspect.Plan{}): func(s string) (any, error) { return inspect.ParsePlans(s) },
}

// parseBool takes the words operators write for on and off, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "yes", "on":
		return true, nil
	case "0", "f", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", s)
}

// List is a comma-separated list; spaces around an item and empty items are dropped.
type List []string

// UnmarshalText splits text at commas.
func (l *List) UnmarshalText(text []byte) error {
	*l = nil
	for _, s := range strings.Split(string(text), ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// translate turns the env library's errors, which name struct fields, into one
// error naming the variables.
func translate(err error) error {
	keys := map[string]string{} // struct field name → variable (field names are unique: TestFieldNamesUnique)
	for _, v := range Variables() {
		keys[v.Field] = v.Name
	}
	var zh, en []string
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		agg.Errors = []error{err}
	}
	for _, e := range agg.Errors {
		var pe env.ParseError
		var ns env.VarIsNotSetError
		switch {
		case errors.As(e, &pe):
			zh = append(zh, fmt.Sprintf("环境变量 %s 的值无效：%v", keys[pe.Name], pe.Err))
			en = append(en, fmt.Sprintf("%s: %v", keys[pe.Name], pe.Err))
		case errors.As(e, &ns):
			zh = append(zh, fmt.Sprintf("必须设置环境变量 %s", ns.Key))
			en = append(en, fmt.Sprintf("%s is not set", ns.Key))
		default:
			zh, en = append(zh, e.Error()), append(en, e.Error())
		}
	}
	// The library's own text names struct fields, not variables, and repeats each
	// cause: the messages above say it all, so it is not kept as the cause (the
	// operator reading a failed start sees every variable once, in each language).
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: strings.Join(zh, "；"), MessageEN: strings.Join(en, "; ")}
}

// checkMQTT refuses a positioning MQTT setting the transport could not use,
// naming the variable, rather than failing at the first gateway.
func checkMQTT(p Positioning) error {
	if p.MQTTAddr != "" {
		if _, port, err := net.SplitHostPort(p.MQTTAddr); err != nil || port == "" {
			return Invalid("CHEMGUARD_POSITIONING_MQTT_ADDR", fmt.Errorf("want host:port such as 127.0.0.1:1883, got %q", p.MQTTAddr))
		}
	}
	if (p.MQTTTLSCert == "") != (p.MQTTTLSKey == "") {
		return Invalid("CHEMGUARD_POSITIONING_MQTT_TLS_KEY", fmt.Errorf("want both CHEMGUARD_POSITIONING_MQTT_TLS_CERT and CHEMGUARD_POSITIONING_MQTT_TLS_KEY or neither"))
	}
	if p.MQTTBroker != "" {
		u, err := url.Parse(p.MQTTBroker)
		if err != nil || u.Host == "" || !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, u.Scheme) {
			return Invalid("CHEMGUARD_POSITIONING_MQTT_BROKER", fmt.Errorf("want a URL tcp://, ssl://, ws:// or wss://host:port, got %q", p.MQTTBroker))
		}
	}
	if !(p.MQTTFixesPerSecond >= 1) {
		return Invalid("CHEMGUARD_POSITIONING_MQTT_FIXES_PER_SECOND", fmt.Errorf("want at least 1 fix per second, got %g", p.MQTTFixesPerSecond))
	}
	if !(p.MQTTBytesPerSecond >= 1024) {
		return Invalid("CHEMGUARD_POSITIONING_MQTT_BYTES_PER_SECOND", fmt.Errorf("want at least 1024 bytes per second, got %g", p.MQTTBytesPerSecond))
	}
	if strings.ContainsAny(p.MQTTShareGroup, "/+#") {
		return Invalid("CHEMGUARD_POSITIONING_MQTT_SHARE_GROUP", fmt.Errorf("want a name without /, + or #, got %q", p.MQTTShareGroup))
	}
	return nil
}
