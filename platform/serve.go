package platform

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/enterprise/positioning/mqttgw"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// FromConfig turns the parsed environment into the service's configuration: it
// reads the model and rule files, builds the notifiers and the Kafka security, and
// validates every component's part, so a bad setting stops the process at start
// with its variable named. Missing development keys are created in the data
// directory (Config.Validate).
func FromConfig(c *config.Config) (Config, error) {
	cfg := Config{
		DatabaseURL: c.Database.URL, MigrateDatabaseURL: c.Database.MigrateURL, DatabaseRole: c.Database.Role,
		HTTPAddr: c.HTTP.Addr, TLSCert: c.HTTP.TLSCert, TLSKey: c.HTTP.TLSKey, DataDir: c.DataDir,
		KafkaBrokers: c.Kafka.Brokers, KafkaPartitions: c.Kafka.Partitions, KafkaReplicas: c.Kafka.Replication,
		KafkaSyncWrites: c.Kafka.SyncWrites, SinkWorkers: c.Exchange.SinkWorkers, SinkYield: c.Exchange.SinkYield,
		GovernanceYield: c.Governance.Yield,
	}
	cfg.Ingest.MaxBodyBytes, cfg.Ingest.MaxRecords, cfg.Ingest.ReadWait = c.Exchange.BatchBytes, c.Exchange.BatchRecords, c.Exchange.ReadWait
	cfg.Access = accessConfig(c)
	cfg.Inspect.Plans = c.Inspect.PatrolPlans
	cfg.BaseSystem.NoticeTemplateCode = c.Warnings.SMSNoticeCode
	cfg.BaseSystem.Positioning.Retention, cfg.BaseSystem.Positioning.MaxBatch = c.Positioning.TrackRetain, c.Positioning.MaxBatch
	pm := c.Positioning
	cfg.BaseSystem.PositioningMQTT = mqttgw.Config{Addr: pm.MQTTAddr, Broker: pm.MQTTBroker, Username: pm.MQTTUsername,
		Password: pm.MQTTPassword, ClientID: pm.MQTTClientID, ShareGroup: pm.MQTTShareGroup, TLSCert: pm.MQTTTLSCert, TLSKey: pm.MQTTTLSKey,
		FixesPerSecond: pm.MQTTFixesPerSecond, BytesPerSecond: pm.MQTTBytesPerSecond}
	ts := c.TimeSeries
	cfg.SeriesPolicies = []store.SeriesPolicy{
		{Table: store.SensorReadingsSeries, CompressAfter: ts.ReadingsCompressAfter, RetainFor: ts.ReadingsRetain},
		{Table: store.VideoDeviceStatusSeries, CompressAfter: ts.DeviceStatusCompressAfter, RetainFor: ts.DeviceStatusRetain},
		{Table: store.GasStationDeviceStatusSeries, CompressAfter: ts.DeviceStatusCompressAfter, RetainFor: ts.DeviceStatusRetain},
	}
	cfg.TrendRefresh = store.TrendRefresh{Every: ts.TrendRefreshEvery, Settle: ts.TrendSettle, ByPolicy: ts.TrendRefreshBy == "timescaledb"}
	var err error
	if cfg.Warnings, err = warningsConfig(c.Warnings); err != nil {
		return cfg, err
	}
	if cfg.Governance, err = governanceConfig(c.Governance); err != nil {
		return cfg, err
	}
	h := c.HTTP
	cfg.Edge = edge.Config{MaxBodyBytes: h.MaxBodyBytes, MaxInflightBodyBytes: h.MaxInflightBodyBytes,
		MaxConnsPerIP: h.MaxConnsPerIP, MaxConns: h.MaxConns, HeaderTimeout: h.HeaderTimeout, BodyTimeout: h.BodyTimeout,
		IdleTimeout: h.IdleTimeout, TrustedProxies: h.TrustedProxies, OperatorToken: h.OperatorToken,
		Limits: edge.Limits{LoginPerIP: h.RateLoginPerIP, LoginPerAccount: h.RateLoginPerAccount,
			ExchangePerKey: h.RateExchangePerKey, ExchangePerIP: h.RateExchangePerIP,
			StreamsPerSession: h.StreamsPerSession, StreamsPerIP: h.StreamsPerIP}}
	if err := cfg.Edge.Validate(); err != nil {
		return cfg, err
	}
	if cfg.KafkaSecurity, err = kafkaSecurity(c.Kafka); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// kafkaSecurity builds TLS and SASL to a cluster from CHEMGUARD_KAFKA_TLS_* and CHEMGUARD_KAFKA_SASL_*.
func kafkaSecurity(k config.Kafka) (bus.Security, error) {
	return bus.SecurityConfig{CAFile: k.CAFile, CertFile: k.ClientCertFile, KeyFile: k.ClientKeyFile,
		ServerName: k.ServerName, Mechanism: k.SASLMechanism, User: k.SASLUser, Password: k.SASLPassword}.Build()
}

func accessConfig(c *config.Config) auth.Config {
	a := auth.Config{RequireSigning: c.Exchange.RequireSigning, InsecureCookie: c.Access.InsecureCookie,
		PolicyReload: c.Access.PolicyReload, ShareLag: c.Access.ShareLag, StreamRecheck: c.Access.StreamRecheck,
		DataKey: c.Keys.DataKey}
	id := &a.Identity
	id.IdleTimeout, id.AbsoluteLifetime, id.LockoutDuration = c.Access.SessionIdle, c.Access.SessionMax, c.Access.Lockout
	id.AdminPasswordMaxAge, id.PurgeEvery, id.MaxSessions = c.Access.AdminPasswordMaxAge, c.Access.SessionPurge, c.Access.MaxSessions
	a.Audit.Key, a.Audit.CheckpointFile = c.Keys.AuditKey, c.Keys.CheckpointFile
	a.Audit.CheckpointEvery, a.Audit.CheckpointRows = c.Access.CheckpointEvery, c.Access.CheckpointRows
	return a
}

// warningsConfig reads the warning models and builds the notifiers: webhooks, the
// SMS gateway, the IM group robots and the log.
func warningsConfig(w config.Warnings) (warningsvc.Config, error) {
	cfg := warningsvc.Config{Tick: w.EngineTick, RemindEvery: w.Remind, NotifyPerMinute: w.NotifyRate}
	if w.ModelsFile != "" {
		b, err := os.ReadFile(w.ModelsFile)
		if err != nil {
			return cfg, config.Invalid("CHEMGUARD_WARNING_MODELS", err)
		}
		if cfg.Models, err = warning.LoadConfig(b); err != nil {
			return cfg, config.Invalid("CHEMGUARD_WARNING_MODELS", fmt.Errorf("%s: %w", w.ModelsFile, err))
		}
	}
	for _, u := range w.Webhooks {
		cfg.Notifiers = append(cfg.Notifiers, warningsvc.Webhook{URL: u})
	}
	if w.SMSURL != "" {
		sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: w.SMSURL, AppKey: w.SMSAppKey, Secret: w.SMSSecret,
			Template: w.SMSTemplate, TemplateCode: w.SMSTemplateCode, Kinds: w.SMSKinds})
		if err != nil {
			return cfg, config.Invalid("CHEMGUARD_WARNING_SMS_*", err)
		}
		cfg.Notifiers = append(cfg.Notifiers, sms)
	}
	if err := warningsvc.CheckKinds(w.IMKinds); err != nil {
		return cfg, config.Invalid("CHEMGUARD_WARNING_IM_KINDS", err)
	}
	for _, u := range w.WeComWebhooks {
		cfg.Notifiers = append(cfg.Notifiers, warningsvc.WeCom{URL: u, Only: w.IMKinds})
	}
	// A DingTalk entry is URL#SECRET when the robot signs (加签): a URL fragment is
	// never sent, so '#' cannot be part of a webhook address.
	for _, e := range w.DingTalkWebhooks {
		u, secret, _ := strings.Cut(e, "#")
		cfg.Notifiers = append(cfg.Notifiers, warningsvc.DingTalk{URL: u, Secret: secret, Only: w.IMKinds})
	}
	if w.NotifyLog {
		cfg.Notifiers = append(cfg.Notifiers, warningsvc.LogNotifier{})
	}
	return cfg, cfg.Validate()
}

// governanceConfig reads the rules overlay of the data-quality governance.
func governanceConfig(g config.Governance) (governancesvc.Config, error) {
	cfg := governancesvc.Config{Tick: g.AbsenceTick, ScoreEvery: g.ScoreEvery, FinalizeAfter: g.FinalizeAfter}
	if g.RulesFile != "" {
		b, err := os.ReadFile(g.RulesFile)
		if err != nil {
			return cfg, config.Invalid("CHEMGUARD_GOVERNANCE_CONFIG", err)
		}
		if cfg.Rules, err = governancesvc.LoadRules(b); err != nil {
			return cfg, config.Invalid("CHEMGUARD_GOVERNANCE_CONFIG", fmt.Errorf("%s: %w", g.RulesFile, err))
		}
	}
	return cfg, cfg.Validate()
}

// Serve runs the platform of c until ctx ends (`chemguard serve`).
func Serve(ctx context.Context, c *config.Config, stdout io.Writer) error {
	cfg, err := FromConfig(c)
	if err != nil {
		return err
	}
	TuneGC(ctx, os.LookupEnv)
	if c.HTTP.PprofAddr != "" {
		if err := servePprof(ctx, c.HTTP.PprofAddr); err != nil {
			return err
		}
	}
	app, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintf(stdout, "chemguard serving on %s (brokers %v)\n", app.URL(), app.BrokerAddrs())
	slog.Info("serving", "url", app.URL(), "brokers", app.BrokerAddrs())
	return app.Run(ctx)
}

// Open connects to the database of c and applies the migrations: what every
// administrative command needs first. The returned Config is c's, validated.
func Open(ctx context.Context, c *config.Config) (Config, *pgxpool.Pool, error) {
	cfg, err := FromConfig(c)
	if err != nil {
		return cfg, nil, err
	}
	pool, err := OpenDatabase(ctx, cfg)
	return cfg, pool, err
}

// Migrate applies the database migrations of c (`chemguard migrate`).
func Migrate(ctx context.Context, c *config.Config) error {
	_, pool, err := Open(ctx, c)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// OpenEnterprises is the registry of companies, their keys and signing secrets,
// for administrative commands; closeDB releases the connections.
func OpenEnterprises(ctx context.Context, c *config.Config) (_ *store.Enterprises, closeDB func(), _ error) {
	cfg, pool, err := Open(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	box, err := sealed.NewBox(cfg.Access.DataKey)
	if err != nil {
		pool.Close()
		return nil, nil, config.Invalid("CHEMGUARD_DATA_KEY", err)
	}
	return store.NewSealedEnterprises(pool, box), pool.Close, nil
}

// OpenAccess is access control (users, audit log) for administrative commands;
// closeDB releases the connections.
func OpenAccess(ctx context.Context, c *config.Config) (_ *auth.Service, closeDB func(), _ error) {
	cfg, pool, err := Open(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	svc, err := auth.New(ctx, pool, cfg.Access)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool.Close, nil
}
