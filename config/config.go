// Package config owns chemguard's configuration: every CHEMGUARD_* environment
// variable, its name, default and meaning, parsed once at start into typed values.
// It parses and checks values only; platform turns them into the components'
// configurations. docs/configuration.md is generated from the struct tags here.
package config

import (
	"net/netip"
	"time"

	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// Struct tags: env and envDefault are the variable and its default
// (github.com/caarlos0/env); help is its meaning and shown the default a reader
// sees when another part computes it (a component fills a zero value, or the
// default is another variable's value).

// Config is the whole configuration of a chemguard process.
type Config struct {
	Database    Database
	DataDir     string `env:"CHEMGUARD_DATA_DIR" envDefault:".data" help:"embedded broker data, stored files and the development keys"`
	Production  bool   `env:"CHEMGUARD_PRODUCTION" envDefault:"false" help:"true: refuse to start without CHEMGUARD_AUDIT_KEY and CHEMGUARD_DATA_KEY"`
	Keys        Keys
	HTTP        HTTP
	Kafka       Kafka
	Exchange    Exchange
	Access      Access
	Warnings    Warnings
	Governance  Governance
	Inspect     Inspect
	TimeSeries  TimeSeries
	Positioning Positioning
}

// Database is where the data lives and who migrates it.
type Database struct {
	URL        string `env:"CHEMGUARD_DATABASE_URL,required" help:"PostgreSQL connection string (required)"`
	MigrateURL string `env:"CHEMGUARD_MIGRATE_DATABASE_URL" shown:"CHEMGUARD_DATABASE_URL" help:"the schema owner's connection string, for migrations"`
	Role       string `env:"CHEMGUARD_DATABASE_ROLE" shown:"none" help:"SET ROLE on every application connection, e.g. chemguard_app (development)"`
}

// Keys are the audit and data keys, each given as a value or as a mounted file.
type Keys struct {
	AuditKeyText   string `env:"CHEMGUARD_AUDIT_KEY" shown:"generated once into $CHEMGUARD_DATA_DIR/keys/audit.key" help:"32-byte key (64 hex digits) of the audit chain and its checkpoints; kept out of the database"`
	AuditKeyFile   string `env:"CHEMGUARD_AUDIT_KEY_FILE" shown:"none" help:"file holding CHEMGUARD_AUDIT_KEY (a mounted secret), read when CHEMGUARD_AUDIT_KEY is empty"`
	DataKeyText    string `env:"CHEMGUARD_DATA_KEY" shown:"generated once into $CHEMGUARD_DATA_DIR/keys/data.key" help:"32-byte AES-256-GCM key sealing mobile/ID numbers and signing secrets"`
	DataKeyFile    string `env:"CHEMGUARD_DATA_KEY_FILE" shown:"none" help:"file holding CHEMGUARD_DATA_KEY (a mounted secret), read when CHEMGUARD_DATA_KEY is empty"`
	CheckpointFile string `env:"CHEMGUARD_AUDIT_CHECKPOINT_FILE" shown:"$CHEMGUARD_DATA_DIR/audit/checkpoints.jsonl" help:"signed audit checkpoints"`
	// AuditKey and DataKey are the keys read from the variables above; nil when
	// neither the value nor the file is set (platform then keeps development keys
	// in the data directory).
	AuditKey []byte `env:"-"`
	DataKey  []byte `env:"-"`
}

// HTTP is the listener and the edge guards in front of every route.
type HTTP struct {
	Addr                 string         `env:"CHEMGUARD_HTTP_ADDR" envDefault:"127.0.0.1:8080" help:"listen address"`
	TLSCert              string         `env:"CHEMGUARD_TLS_CERT" shown:"none: plain HTTP behind a TLS proxy" help:"PEM certificate: serve HTTPS (with CHEMGUARD_TLS_KEY)"`
	TLSKey               string         `env:"CHEMGUARD_TLS_KEY" shown:"none" help:"PEM private key of CHEMGUARD_TLS_CERT"`
	MaxBodyBytes         int            `env:"CHEMGUARD_HTTP_MAX_BODY_BYTES" envDefault:"1048576" help:"body cap of every route but the exchange uploads and inspection photos"`
	MaxInflightBodyBytes int64          `env:"CHEMGUARD_HTTP_INFLIGHT_BODY_BYTES" envDefault:"536870912" help:"request-body bytes held at once by all requests; past it 503 + Retry-After"`
	MaxConnsPerIP        int            `env:"CHEMGUARD_HTTP_MAX_CONNS_PER_IP" envDefault:"256" help:"open connections per client address, trusted proxies exempt"`
	MaxConns             int            `env:"CHEMGUARD_HTTP_MAX_CONNS" envDefault:"10000" help:"connections served at once"`
	HeaderTimeout        time.Duration  `env:"CHEMGUARD_HTTP_HEADER_TIMEOUT" envDefault:"10s" help:"longest wait for a request's headers"`
	BodyTimeout          time.Duration  `env:"CHEMGUARD_HTTP_BODY_TIMEOUT" envDefault:"120s" help:"longest wait for a request's body"`
	IdleTimeout          time.Duration  `env:"CHEMGUARD_HTTP_IDLE_TIMEOUT" envDefault:"120s" help:"longest kept-alive wait for the next request"`
	TrustedProxies       []netip.Prefix `env:"CHEMGUARD_TRUSTED_PROXIES" shown:"none" help:"reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For is believed"`
	OperatorToken        string         `env:"CHEMGUARD_OPERATOR_TOKEN" shown:"none" help:"Bearer token (16+ characters) that opens /metrics and /readyz details from outside the private network"`
	RateLoginPerIP       edge.Rate      `env:"CHEMGUARD_RATE_LOGIN_PER_IP" shown:"60" help:"failed logins a minute[/burst] from one address"`
	RateLoginPerAccount  edge.Rate      `env:"CHEMGUARD_RATE_LOGIN_PER_ACCOUNT" shown:"10" help:"failed logins a minute[/burst] of one account"`
	RateExchangePerKey   edge.Rate      `env:"CHEMGUARD_RATE_EXCHANGE_PER_KEY" shown:"1200/600" help:"exchange requests a minute[/burst] of one API key"`
	RateExchangePerIP    edge.Rate      `env:"CHEMGUARD_RATE_EXCHANGE_PER_IP" shown:"12000/3000" help:"exchange requests a minute[/burst] from one address"`
	StreamsPerSession    int            `env:"CHEMGUARD_STREAMS_PER_SESSION" shown:"8" help:"concurrent event streams of one session"`
	StreamsPerIP         int            `env:"CHEMGUARD_STREAMS_PER_IP" shown:"200" help:"concurrent event streams from one address"`
	PprofAddr            string         `env:"CHEMGUARD_PPROF_ADDR" shown:"none: no profiling endpoint" help:"loopback address (e.g. 127.0.0.1:6060) serving Go's /debug/pprof/ for profiling under load (chemguard bench --profile); refused off loopback"`
}

// Kafka is the broker: embedded when no brokers are given, else a cluster.
type Kafka struct {
	Brokers        List   `env:"CHEMGUARD_KAFKA_BROKERS" shown:"none: the embedded broker" help:"comma-separated brokers of a Kafka cluster"`
	Partitions     int    `env:"CHEMGUARD_KAFKA_PARTITIONS" envDefault:"6" help:"partitions per topic"`
	Replication    int    `env:"CHEMGUARD_KAFKA_REPLICATION" envDefault:"1" help:"replication factor on a cluster"`
	BrokerAddr     string `env:"CHEMGUARD_BROKER_ADDR" envDefault:"127.0.0.1:9092" help:"where chemguard broker listens: the address the serve processes name in CHEMGUARD_KAFKA_BROKERS (not 0.0.0.0)"`
	SyncWrites     bool   `env:"CHEMGUARD_KAFKA_SYNC_WRITES" envDefault:"true" help:"fsync every batch in the embedded broker, so acknowledged records survive kill -9"`
	CAFile         string `env:"CHEMGUARD_KAFKA_TLS_CA" shown:"none: plaintext" help:"PEM CA of the brokers: TLS to Kafka"`
	ClientCertFile string `env:"CHEMGUARD_KAFKA_TLS_CERT" shown:"none" help:"PEM client certificate, where the cluster wants mutual TLS"`
	ClientKeyFile  string `env:"CHEMGUARD_KAFKA_TLS_KEY" shown:"none" help:"PEM key of CHEMGUARD_KAFKA_TLS_CERT"`
	ServerName     string `env:"CHEMGUARD_KAFKA_TLS_SERVER_NAME" shown:"the broker's host" help:"name the brokers' certificates carry, when it is another host"`
	SASLMechanism  string `env:"CHEMGUARD_KAFKA_SASL_MECHANISM" shown:"SCRAM-SHA-512 with a user" help:"SASL to Kafka: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (TLS only)"`
	SASLUser       string `env:"CHEMGUARD_KAFKA_SASL_USER" shown:"none" help:"SASL user"`
	SASLPassword   string `env:"CHEMGUARD_KAFKA_SASL_PASSWORD" shown:"none" help:"SASL password"`
}

// Exchange is the enterprise exchange API.
type Exchange struct {
	BatchBytes     int           `env:"CHEMGUARD_MAX_BODY_BYTES" envDefault:"67108864" help:"largest exchange request body"`
	BatchRecords   int           `env:"CHEMGUARD_MAX_RECORDS" envDefault:"10000" help:"largest exchange batch"`
	ReadWait       time.Duration `env:"CHEMGUARD_READ_WAIT" envDefault:"5s" help:"longest a GET by id waits for a record just accepted to be stored"`
	RequireSigning bool          `env:"CHEMGUARD_REQUIRE_SIGNING" envDefault:"false" help:"enterprise requests must carry an HMAC signature"`
	SinkWorkers    int           `env:"CHEMGUARD_SINK_WORKERS" envDefault:"1" help:"transactions the sink writes at once, each for its own share of the partitions (at least 1; more than CHEMGUARD_KAFKA_PARTITIONS leaves some idle)"`
	SinkYield      time.Duration `env:"CHEMGUARD_SINK_YIELD" envDefault:"300ms" help:"the sink waits before writing a batch (at most a second) while this process's warning consumer is later than this, so warnings get the database first; 0 = never waits"`
}

// Access is sessions, logins, policy and the audit checkpoints.
type Access struct {
	SessionIdle         time.Duration `env:"CHEMGUARD_SESSION_IDLE" envDefault:"30m" help:"session idle timeout"`
	SessionMax          time.Duration `env:"CHEMGUARD_SESSION_MAX" envDefault:"12h" help:"session absolute lifetime"`
	SessionPurge        time.Duration `env:"CHEMGUARD_SESSION_PURGE" envDefault:"10m" help:"how often ended sessions are deleted"`
	MaxSessions         int           `env:"CHEMGUARD_MAX_SESSIONS" envDefault:"3" help:"sessions one account may have open at once (at least 1)"`
	Lockout             time.Duration `env:"CHEMGUARD_LOCKOUT" envDefault:"30m" help:"lockout after 5 failed logins"`
	AdminPasswordMaxAge time.Duration `env:"CHEMGUARD_ADMIN_PASSWORD_MAX_AGE" envDefault:"2160h" help:"how long an administrator's password lasts before it must be changed"`
	InsecureCookie      bool          `env:"CHEMGUARD_INSECURE_COOKIE" envDefault:"false" help:"drop the session cookie's Secure flag, plain-HTTP development only"`
	PolicyReload        time.Duration `env:"CHEMGUARD_POLICY_RELOAD" envDefault:"5s" help:"how often policy changes by other processes are loaded"`
	ShareLag            time.Duration `env:"CHEMGUARD_SHARE_LAG" shown:"5s" help:"sharing feed holds back changes this recent"`
	StreamRecheck       time.Duration `env:"CHEMGUARD_STREAM_RECHECK" envDefault:"5s" help:"how often an open event stream checks its session; it ends at logout"`
	CheckpointEvery     time.Duration `env:"CHEMGUARD_AUDIT_CHECKPOINT_EVERY" envDefault:"5m" help:"checkpoint the audit head this often"`
	CheckpointRows      int64         `env:"CHEMGUARD_AUDIT_CHECKPOINT_ROWS" envDefault:"1000" help:"checkpoint the audit head after this many rows"`
}

// Warnings is the warning engine and who it tells.
type Warnings struct {
	EngineTick       time.Duration `env:"CHEMGUARD_WARNING_TICK" envDefault:"5s" help:"how often the warning engine's clock advances"`
	Remind           time.Duration `env:"CHEMGUARD_WARNING_REMIND" envDefault:"5m" help:"announce a warning not yet acknowledged again this often"`
	ModelsFile       string        `env:"CHEMGUARD_WARNING_MODELS" shown:"the built-in warning/models.yaml" help:"warning model configuration file"`
	Webhooks         List          `env:"CHEMGUARD_WARNING_WEBHOOKS" shown:"none" help:"comma-separated URLs told every warning change as JSON"`
	NotifyLog        bool          `env:"CHEMGUARD_WARNING_NOTIFY_LOG" envDefault:"false" help:"log every warning change as a notification (development)"`
	NotifyRate       int           `env:"CHEMGUARD_WARNING_NOTIFY_RATE" envDefault:"0" help:"most notifications per minute to one target (one person for SMS); the rest wait; 0: no cap"`
	SMSURL           string        `env:"CHEMGUARD_WARNING_SMS_URL" shown:"none" help:"HTTP SMS gateway; each person is texted (company principals, regulators of the tier watching) and so are the base system's urgent notices to company people"`
	SMSAppKey        string        `env:"CHEMGUARD_WARNING_SMS_APP_KEY" shown:"none" help:"SMS gateway application key"`
	SMSSecret        string        `env:"CHEMGUARD_WARNING_SMS_SECRET" shown:"none" help:"SMS gateway secret; with one every request is HMAC-SHA256 signed"`
	SMSTemplate      string        `env:"CHEMGUARD_WARNING_SMS_TEMPLATE" shown:"warningsvc.DefaultSMSTemplate" help:"SMS content (Go text/template)"`
	SMSTemplateCode  string        `env:"CHEMGUARD_WARNING_SMS_TEMPLATE_CODE" shown:"none" help:"the gateway's template id"`
	SMSNoticeCode    string        `env:"CHEMGUARD_WARNING_SMS_NOTICE_TEMPLATE_CODE" shown:"none: the text is sent as content" help:"the gateway's template id for the base system's urgent notices to company people (params kind, title, name, body); a gateway that only sends registered templates needs one of its own, the warnings' template does not fit a notice"`
	SMSKinds         List          `env:"CHEMGUARD_WARNING_SMS_KINDS" shown:"warning_raised,warning_escalated,disposal_escalated,disposal_overdue,reminder" help:"changes texted"`
	WeComWebhooks    List          `env:"CHEMGUARD_WARNING_WECOM_WEBHOOKS" shown:"none" help:"企业微信 group robot webhook URLs, comma-separated"`
	DingTalkWebhooks List          `env:"CHEMGUARD_WARNING_DINGTALK_WEBHOOKS" shown:"none" help:"钉钉 robot webhook URLs, comma-separated, URL#SECRET for a signing (加签) robot"`
	IMKinds          List          `env:"CHEMGUARD_WARNING_IM_KINDS" shown:"level changes, settlement, escalations" help:"changes told to the robots"`
}

// Governance is the data-quality governance.
type Governance struct {
	AbsenceTick   time.Duration `env:"CHEMGUARD_GOVERNANCE_TICK" envDefault:"10s" help:"how often data-quality facts from absences are checked"`
	ScoreEvery    time.Duration `env:"CHEMGUARD_GOVERNANCE_SCORE_EVERY" envDefault:"30s" help:"how often today's data-quality scores are recomputed"`
	FinalizeAfter time.Duration `env:"CHEMGUARD_GOVERNANCE_FINALIZE_AFTER" envDefault:"10m" help:"finalise yesterday's scores this long after midnight (at least the longest fact limit + a tick)"`
	RulesFile     string        `env:"CHEMGUARD_GOVERNANCE_CONFIG" shown:"docs/governance.md's" help:"YAML overlay of the governance rules' limits and weights"`
	Yield         time.Duration `env:"CHEMGUARD_GOVERNANCE_YIELD" envDefault:"100ms" help:"the governance consumer waits before storing a batch (at most 2 s) while this process's warning consumer is later than this: facts have seconds to spare, warnings 200 ms; 0 = never waits"`
}

// Inspect is the inspectors' 在线巡查.
type Inspect struct {
	PatrolPlans map[inspect.Tier]inspect.Plan `env:"CHEMGUARD_PATROL_PLANS" envDefault:"county=week:100,city=month:20,province=quarter:5" help:"在线巡查 plans per tier, TIER=CYCLE:PERCENT,…"`
}

// TimeSeries is how long the typed time series (感知数据 readings, 视频智能分析设备运行状态
// of companies and gas stations) stay uncompressed and how long they are kept at all.
// They are those tables' history (the sink writes no JSON history beside them), so by
// default they are kept forever, as every exchange table's history is: compressed, a
// reading costs about 16 bytes. A province that must bound its disk sets a retention:
// at least 30 days (AQ 3035 asks monitoring records be kept that long); 180 days
// keeps the readings before any accident until its report is in (an investigation has
// 60 days, extendable by at most 60: 生产安全事故报告和调查处理条例 第二十九条).
type TimeSeries struct {
	ReadingsCompressAfter     time.Duration `env:"CHEMGUARD_READINGS_COMPRESS_AFTER" envDefault:"168h" help:"compress 感知数据 readings older than this (TimescaleDB only; 0: never)"`
	ReadingsRetain            time.Duration `env:"CHEMGUARD_READINGS_RETAIN" envDefault:"0" help:"drop 感知数据 readings (their typed series is their history) older than this, at least 720h (0: keep forever)"`
	DeviceStatusCompressAfter time.Duration `env:"CHEMGUARD_DEVICE_STATUS_COMPRESS_AFTER" envDefault:"168h" help:"compress video-analysis device status reports older than this (TimescaleDB only; 0: never)"`
	DeviceStatusRetain        time.Duration `env:"CHEMGUARD_DEVICE_STATUS_RETAIN" envDefault:"0" help:"drop device status reports (their typed series is their history) older than this, at least 720h (0: keep forever)"`
	// The per-minute trend aggregate: a refresh redoes, for every point, each minute a
	// reading arrived in after the minute was done. Readings come in batches up to
	// minutes after they were taken, so minutes are done once they are older than
	// TrendSettle (younger ones are aggregated when read: a trend still ends at the
	// last reading); every 5 minutes rather than every minute halves the refreshes'
	// overhead at no cost to readers for the same reason. The platform refreshes a
	// minute at a time, letting the warning consumer catch up between minutes
	// (store.TrendMinutes); TimescaleDB's policy refreshes all that is due in one job.
	TrendRefreshEvery time.Duration `env:"CHEMGUARD_TREND_REFRESH_EVERY" envDefault:"5m" help:"how often the 感知数据 per-minute trend aggregate is refreshed (TimescaleDB only)"`
	TrendRefreshBy    string        `env:"CHEMGUARD_TREND_REFRESH_BY" envDefault:"platform" help:"who refreshes the per-minute trend: platform (a minute at a time, after the warning consumer has caught up) or timescaledb (its refresh policy, all that is due in one job) (TimescaleDB only)"`
	TrendSettle       time.Duration `env:"CHEMGUARD_TREND_SETTLE" envDefault:"10m" help:"minutes of readings younger than this are aggregated when read, not materialized, so late readings do not make a refresh redo them; 1m to 90m (TimescaleDB only)"`
}

// Positioning is the base system's 人员定位: how long the tags' tracks are kept
// (指南 4.3: at least 30 days, multi-day replay) and how big a gateway's batch may be.
type Positioning struct {
	TrackRetain time.Duration `env:"CHEMGUARD_POSITIONING_TRACK_RETAIN" envDefault:"2160h" help:"purge 人员定位 tracks (fixes) older than this, at least 720h (30 days, 指南 4.3)"`
	MaxBatch    int           `env:"CHEMGUARD_POSITIONING_MAX_BATCH" envDefault:"5000" help:"most fixes one positioning-gateway request may carry"`
	// The gateways' MQTT transport: an embedded broker by default (like
	// Kafka's), an external one in production.
	MQTTAddr       string `env:"CHEMGUARD_POSITIONING_MQTT_ADDR" envDefault:"127.0.0.1:1883" help:"listen address of the embedded MQTT broker the positioning gateways publish fixes to (username = gateway key, password = secret); off: no embedded broker"`
	MQTTTLSCert    string `env:"CHEMGUARD_POSITIONING_MQTT_TLS_CERT" shown:"none: plain MQTT" help:"PEM certificate (chain) file: the embedded MQTT broker speaks TLS (with CHEMGUARD_POSITIONING_MQTT_TLS_KEY)"`
	MQTTTLSKey     string `env:"CHEMGUARD_POSITIONING_MQTT_TLS_KEY" shown:"none" help:"PEM private key file of CHEMGUARD_POSITIONING_MQTT_TLS_CERT"`
	MQTTBroker     string `env:"CHEMGUARD_POSITIONING_MQTT_BROKER" shown:"none: the embedded broker" help:"external MQTT broker (tcp://, ssl://, ws://, wss:// URL) to take the gateways' signed batches from instead of embedding one"`
	MQTTUsername   string `env:"CHEMGUARD_POSITIONING_MQTT_USERNAME" help:"the platform's username on the external MQTT broker"`
	MQTTPassword   string `env:"CHEMGUARD_POSITIONING_MQTT_PASSWORD" shown:"none" help:"the platform's password on the external MQTT broker"`
	MQTTClientID   string `env:"CHEMGUARD_POSITIONING_MQTT_CLIENT_ID" envDefault:"chemguard-positioning" help:"the platform's client id on the external MQTT broker (unique per replica)"`
	MQTTShareGroup string `env:"CHEMGUARD_POSITIONING_MQTT_SHARE_GROUP" envDefault:"chemguard" help:"shared-subscription group ($share/<group>/…) the replicas split the gateways' batches in on the external broker; empty: every replica takes every batch"`
	// Per-gateway rate limits: one gateway flooding the broker must not starve
	// the others or the platform.
	MQTTFixesPerSecond float64 `env:"CHEMGUARD_POSITIONING_MQTT_FIXES_PER_SECOND" envDefault:"2500" help:"fixes per second one positioning gateway credential may publish over MQTT (2 s worth at once); a batch over it is refused whole with retry_after_s on the errors topic"`
	MQTTBytesPerSecond float64 `env:"CHEMGUARD_POSITIONING_MQTT_BYTES_PER_SECOND" envDefault:"1048576" help:"payload bytes per second one positioning gateway credential may publish over MQTT (2 s worth at once)"`
}

// MinRetain is the shortest retention accepted for a typed series: 30 days.
const MinRetain = 30 * 24 * time.Hour
