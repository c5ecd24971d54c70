// Package platform wires chemguard's parts into one running service: the database,
// the broker (embedded or a cluster), the exchange API, the sink, health and metrics.
// cmd/chemguard calls it (serve.go: Serve, Migrate, the admin commands' Open*);
// tests start the whole service on 127.0.0.1:0 with it.
package platform

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/enterprise/positioning/mqttgw"
	"github.com/shandong-emergency/chemguard/enterprise/video"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/filestore"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/notices"
	"github.com/shandong-emergency/chemguard/openapi"
	"github.com/shandong-emergency/chemguard/portal"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/runner"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/validate"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/edge"
)

// Config is the service's configuration: FromConfig fills it from the CHEMGUARD_*
// environment (config.Config); tests fill it directly.
type Config struct {
	DatabaseURL string // CHEMGUARD_DATABASE_URL
	// MigrateDatabaseURL connects as the schema's owner to run migrations
	// (CHEMGUARD_MIGRATE_DATABASE_URL); DatabaseURL when empty.
	MigrateDatabaseURL string
	// DatabaseRole is switched to (SET ROLE) on every application connection
	// (CHEMGUARD_DATABASE_ROLE, e.g. chemguard_app): for development, where one
	// owner URL serves both; production logs in as the application role instead.
	DatabaseRole string
	// SeriesPolicies are the typed time series' compression and retention
	// (CHEMGUARD_READINGS_*, CHEMGUARD_DEVICE_STATUS_*), applied after the
	// migrations; none leaves the database's policies as they are.
	SeriesPolicies []store.SeriesPolicy
	// TrendRefresh is the readings' per-minute aggregate's refresh (zero: as migrated).
	TrendRefresh    store.TrendRefresh
	HTTPAddr        string   // CHEMGUARD_HTTP_ADDR
	KafkaBrokers    []string // CHEMGUARD_KAFKA_BROKERS; empty starts the embedded broker
	KafkaPartitions int      // CHEMGUARD_KAFKA_PARTITIONS
	KafkaReplicas   int      // CHEMGUARD_KAFKA_REPLICATION
	KafkaSyncWrites bool     // CHEMGUARD_KAFKA_SYNC_WRITES: fsync each batch in the embedded broker
	// KafkaSecurity is TLS and SASL to a cluster (CHEMGUARD_KAFKA_TLS_*, CHEMGUARD_KAFKA_SASL_*).
	KafkaSecurity bus.Security
	DataDir       string // CHEMGUARD_DATA_DIR: embedded broker data and stored files
	Ingest        ingest.Config
	// NoSink leaves the sink out (a process that only accepts, e.g. in fault tests).
	NoSink bool
	// SinkWorkers is how many transactions the sink writes at once
	// (CHEMGUARD_SINK_WORKERS); zero: ingest.DefaultSinkWorkers.
	SinkWorkers int
	// SinkYield: the sink waits before a batch (at most ingest.SinkYieldMost) while
	// this process's warning consumer is later than this (CHEMGUARD_SINK_YIELD);
	// zero: it never waits.
	SinkYield time.Duration
	// GovernanceYield: the governance consumer waits before a batch (at most
	// governancesvc.YieldMost) while this process's warning consumer is later than this
	// (CHEMGUARD_GOVERNANCE_YIELD); zero: it never waits.
	GovernanceYield time.Duration
	// Access configures users, roles, sessions, signing and the audit log (issue 4).
	Access auth.Config
	// Warnings configures the warning consumer and API (issue 5).
	Warnings warningsvc.Config
	// Inspect configures the inspector mobile app (issue 7 item 2).
	Inspect inspect.Config
	// Governance configures the data-quality consumer, scores and API (issue 6).
	Governance governancesvc.Config
	// BaseSystem configures the hosted base system for companies under /e.
	BaseSystem BaseSystemConfig
	// Now, when set, is the clock of every part whose own clock is not set: tests run
	// the whole service at a chosen hour (the 10:00 commitment, day boundaries).
	Now func() time.Time
	// Edge configures the HTTP edge: body caps, connection and rate limits, trusted
	// proxies, the operator token. New adds the large-body routes itself.
	Edge edge.Config
	// TLSCert and TLSKey, both set, make the server speak HTTPS with this PEM pair.
	TLSCert string // CHEMGUARD_TLS_CERT
	TLSKey  string // CHEMGUARD_TLS_KEY
}

// BaseSystemConfig configures the hosted base system (企业端基础系统).
type BaseSystemConfig struct {
	// Modules build the base system's modules (双重预防 …) from its foundation,
	// in the order their navigation appears; nil means every module the
	// platform has (baseSystemModules), with their sweeps.
	Modules []enterprise.ModuleFactory
	// Outbox tunes the publishing of what the base system records; its Check
	// is the exchange API's configuration (set by New).
	Outbox enterprise.OutboxConfig
	// Gateway sends urgent notices to company people by SMS/IM; nil: the SMS
	// gateway among Warnings.Notifiers, if any, else none (urgent notices stay
	// in the inbox, marked undelivered).
	Gateway enterprise.Gateway
	// NoticeTemplateCode is the SMS gateway's template id for those notices
	// (CHEMGUARD_WARNING_SMS_NOTICE_TEMPLATE_CODE) when Gateway is nil; empty:
	// the text goes as content.
	NoticeTemplateCode string
	// IM configures the companies' own group robots, to which urgent notices
	// also go (the client; which webhooks a company may enter).
	IM enterprise.IMConfig
	// Positioning configures 人员定位 (track retention, gateway batch size)
	// when Modules is nil.
	Positioning positioning.Config
	// PositioningMQTT is the gateways' MQTT transport (an embedded broker or
	// an external one) when Modules is nil; zero: off.
	PositioningMQTT mqttgw.Config
}

// nowClock adapts a clock function to identity.Clock.
type nowClock func() time.Time

func (f nowClock) Now() time.Time { return f() }

// shareClock gives every part without a clock of its own the configuration's.
func (c *Config) shareClock() {
	if c.Now == nil {
		return
	}
	for _, now := range []*func() time.Time{&c.Ingest.Now, &c.Warnings.Now, &c.Governance.Now, &c.Inspect.Now} {
		if *now == nil {
			*now = c.Now
		}
	}
	if c.Access.Clock == nil {
		c.Access.Clock = nowClock(c.Now)
	}
}

// Errors returned by Config.Validate.
var (
	ErrNoDatabase = errors.New("platform: CHEMGUARD_DATABASE_URL is not set")
	ErrNoDataDir  = errors.New("platform: CHEMGUARD_DATA_DIR is not set")
	ErrTLSPair    = errors.New("platform: CHEMGUARD_TLS_CERT and CHEMGUARD_TLS_KEY must be set together")
)

// Defaults.
const (
	DefaultHTTPAddr   = "127.0.0.1:8080"
	DefaultPartitions = 6
)

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.DatabaseURL == "" {
		return ErrNoDatabase
	}
	if c.DataDir == "" {
		return ErrNoDataDir
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.KafkaPartitions <= 0 {
		c.KafkaPartitions = DefaultPartitions
	}
	if c.KafkaReplicas <= 0 {
		c.KafkaReplicas = 1
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return ErrTLSPair
	}
	return c.defaultKeys()
}

// defaultKeys fills the audit and data keys not configured with keys kept in
// the data directory (created on first use), and places the audit checkpoints
// there: development and tests run with one command, and restarts keep
// verifying. Production sets CHEMGUARD_AUDIT_KEY and CHEMGUARD_DATA_KEY (cmd
// refuses to start without them), so a lost data directory cannot mint new ones.
func (c *Config) defaultKeys() error {
	var err error
	keys := filepath.Join(c.DataDir, "keys")
	if c.Access.Audit.Key == nil {
		if c.Access.Audit.Key, err = sealed.LoadOrCreateKey(keys, "audit.key"); err != nil {
			return fmt.Errorf("platform: audit key: %w", err)
		}
	}
	if c.Access.DataKey == nil {
		if c.Access.DataKey, err = sealed.LoadOrCreateKey(keys, "data.key"); err != nil {
			return fmt.Errorf("platform: data key: %w", err)
		}
	}
	if c.Access.Audit.CheckpointFile == "" {
		c.Access.Audit.CheckpointFile = filepath.Join(c.DataDir, "audit", "checkpoints.jsonl")
	}
	return nil
}

// OpenDatabase runs the migrations as the owner (MigrateDatabaseURL, or
// DatabaseURL) and returns the application's pool (DatabaseURL, switched to
// DatabaseRole when set). The configuration must be validated.
func OpenDatabase(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	if cfg.MigrateDatabaseURL == "" && cfg.DatabaseRole == "" {
		pool, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if err := migrate(ctx, pool, cfg); err != nil {
			pool.Close()
			return nil, err
		}
		return pool, nil
	}
	owner := cfg.MigrateDatabaseURL
	if owner == "" {
		owner = cfg.DatabaseURL
	}
	mpool, err := store.Open(ctx, owner)
	if err != nil {
		return nil, err
	}
	err = migrate(ctx, mpool, cfg)
	mpool.Close()
	if err != nil {
		return nil, err
	}
	return store.OpenAs(ctx, cfg.DatabaseURL, cfg.DatabaseRole)
}

// migrate runs the migrations and brings the series policies to the configuration,
// both as the schema's owner (only a table's owner may change its policies).
func migrate(ctx context.Context, pool *pgxpool.Pool, cfg Config) error {
	if err := store.Migrate(ctx, pool); err != nil {
		return err
	}
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	if err := store.ApplySeriesPolicies(ctx, pool, cfg.SeriesPolicies, now); err != nil {
		return err
	}
	return store.ApplyTrendRefresh(ctx, pool, cfg.TrendRefresh)
}

// App is the running service.
type App struct {
	cfg      Config
	broker   *bus.Embedded
	busCfg   bus.Config
	Pool     *pgxpool.Pool
	producer *bus.Producer
	consumer *bus.Consumer
	sink     *ingest.Sink
	http     *fiber.App
	edge     *edge.Guard
	ln       net.Listener
	tls      bool
	Registry *prometheus.Registry
	// Enterprises and Exchange are the stores, for admin commands and tests.
	Enterprises *store.Enterprises
	Exchange    *store.Exchange
	// Access is access control: users, policy, audit log, sharing API.
	Access *auth.Service
	// Warnings is the warning engine's consumer and store (issue 5).
	Warnings     *warningsvc.Service
	warnConsumer *bus.Consumer
	// Outbox publishes what the hosted base system records through the exchange.
	Outbox *enterprise.Outbox
	// Members is the base system's departments, posts and people.
	Members *enterprise.Members
	// Inbox is the base system's notifier.
	Inbox *enterprise.Inbox
	// sweeps are the base system modules' background work (task pushes,
	// overdue dangers, gas-analysis lapses), run by Run.
	sweeps []sweep
	// Governance is the data-quality consumer, scorer and store (issue 6).
	Governance *governancesvc.Service
	// Notices are the governance notices (整改通知), closed by a sweeper when their facts end.
	Notices     *notices.Service
	govConsumer *bus.Consumer

	apiDocOnce sync.Once
	apiDoc     *openapi.Description
	apiDocErr  error

	closeOnce sync.Once
}

// New starts the broker if embedded, connects and migrates the database, creates the
// topics and binds the HTTP listener. Run serves.
func New(ctx context.Context, cfg Config) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.shareClock()
	a := &App{cfg: cfg, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	brokers := cfg.KafkaBrokers
	if len(brokers) == 0 {
		a.broker, err = bus.StartEmbedded(bus.EmbeddedConfig{Dir: filepath.Join(cfg.DataDir, "kafka"),
			Partitions: cfg.KafkaPartitions, SyncWrites: cfg.KafkaSyncWrites})
		if err != nil {
			return nil, err
		}
		brokers = []string{a.broker.Addr()}
	}
	a.busCfg = bus.Config{Brokers: brokers, Partitions: cfg.KafkaPartitions, ReplicationFactor: cfg.KafkaReplicas}
	if a.broker == nil {
		a.busCfg.Security = cfg.KafkaSecurity // the embedded broker listens on loopback in plaintext
	}
	if a.Pool, err = OpenDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	box, err := sealed.NewBox(cfg.Access.DataKey)
	if err != nil {
		return nil, fmt.Errorf("platform: CHEMGUARD_DATA_KEY: %w", err)
	}
	if n, err := store.SealPersonalData(ctx, a.Pool, box); err != nil {
		return nil, err
	} else if n > 0 {
		slog.Info("sealed personal data stored before sealing existed", "values", n)
	}
	if err = bus.EnsureTopics(ctx, a.busCfg, events.Topics()); err != nil {
		return nil, err
	}
	if a.producer, err = bus.NewProducer(a.busCfg); err != nil {
		return nil, err
	}
	files, err := filestore.Open(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		return nil, err
	}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := ingest.NewMetrics(a.Registry)
	a.Enterprises = store.NewSealedEnterprises(a.Pool, box)
	a.Exchange = store.NewSealedExchange(a.Pool, box)
	// The warning consumer tells how late it is (nil in a process without consumers:
	// nothing waits for it there).
	var warnBehind, sinkBehind *bus.Behind
	if !cfg.NoSink {
		if a.consumer, err = ingest.NewSinkConsumer(a.busCfg); err != nil {
			return nil, err
		}
		a.sink = ingest.NewSink(a.consumer, a.Exchange, metrics)
		if cfg.SinkWorkers > 0 {
			a.sink.Workers = cfg.SinkWorkers
		}
		// The warning consumer tells how late it is; the sink gives it the database
		// while it is late. Both run in this process, so this is a node's own priority:
		// where the groups run on separate nodes, each node's sink yields to its own.
		warnBehind = bus.NewBehind(nil)
		cfg.Warnings.Behind = warnBehind
		sinkBehind = bus.NewBehind(nil)
		a.sink.Behind = sinkBehind
		if cfg.SinkYield > 0 {
			a.sink.Yield = func(ctx context.Context) time.Duration {
				return warnBehind.Yield(ctx, cfg.SinkYield, ingest.SinkYieldMost)
			}
		}
	}
	// Any process may lead the trend's refresh, as any may lead the engines' ticks.
	if cfg.TrendRefresh.ByPlatform() {
		a.sweeps = append(a.sweeps, a.trendMinutes(warnBehind, sinkBehind))
	}

	if a.edge, err = edge.New(edgeConfig(cfg)); err != nil {
		return nil, err
	}
	a.edge.Register(a.Registry)
	a.http = fiber.New(a.edge.Fiber(fiber.Config{
		AppName:               "chemguard",
		ErrorHandler:          web.ErrorHandler,
		JSONDecoder:           validate.DecodeJSON, // every JSON body route accepts a leading UTF-8 BOM
		DisableStartupMessage: true,
		WriteTimeout:          60 * time.Second,
	}))
	a.http.Use(recover.New())
	// The edge guards run before every route: bodies capped and decoded, then the
	// rate limits of the routes a flood or a guesser aims at.
	a.edge.Install(a.http)
	for _, p := range []string{"/api/v1/auth/login", "/portal/login", "/m/login", "/e/login"} {
		a.http.Use(p, a.edge.LoginLimit)
	}
	for _, p := range []string{"/api/v1/exchange", "/api/v1/enterprise", "/api/v1/positioning"} {
		a.http.Use(p, a.edge.KeyLimit)
	}
	for _, p := range []string{"/portal/live", "/api/v1/warnings/stream", "/e/positioning/live"} {
		a.http.Use(p, a.edge.StreamLimit(identity.CookieName))
	}
	a.http.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	a.http.Get("/readyz", a.ready)
	a.http.Get("/metrics", a.edge.OperatorOnly, adaptor.HTTPHandler(promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})))
	api := a.http.Group("/api/v1")
	// Access control (issue 4): exchange request signing, auth, admin, audit, sharing.
	if a.Access, err = auth.New(ctx, a.Pool, cfg.Access); err != nil {
		return nil, err
	}
	// A company account's session never reaches the regulators' API: the company
	// acts on its own warnings in the base system and sends data with its key.
	api.Use(enterprise.KeepOutAPI(a.Access.Identity, a.Access.Audit, RegulatorAPIOpenPaths...))
	api.Use("/exchange", a.Access.Signing())
	api.Use("/enterprise/notices", a.Access.Signing()) // a company's 整改通知, by its key like /exchange
	a.Access.Mount(api)
	// Warnings (issue 5): consumer group chemguard-warning and /alarms, /warnings.
	if err = bus.EnsureTopics(ctx, a.busCfg, warningsvc.Topics()); err != nil {
		return nil, err
	}
	var warnSrc warningsvc.Source
	if !cfg.NoSink {
		if a.warnConsumer, err = warningsvc.NewConsumer(a.busCfg); err != nil {
			return nil, err
		}
		warnSrc = a.warnConsumer
	}
	cfg.Warnings.Metrics = warningsvc.NewMetrics(a.Registry)
	cfg.Warnings.StateWrites = runner.NewWrites(a.Registry, "alerting")
	cfg.Warnings.Personal = box
	if a.Warnings, err = warningsvc.New(ctx, a.Pool, warnSrc, cfg.Warnings); err != nil {
		return nil, err
	}
	warningsvc.NewHandler(a.Warnings, a.Access, a.Access.Audit).Register(api)
	// Data-quality governance (issue 6): consumer group chemguard-governance, /governance.
	var govSrc governancesvc.Source
	if !cfg.NoSink {
		if a.govConsumer, err = governancesvc.NewConsumer(a.busCfg); err != nil {
			return nil, err
		}
		govSrc = a.govConsumer
	}
	cfg.Governance.StateWrites = runner.NewWrites(a.Registry, "quality")
	if cfg.GovernanceYield > 0 && warnBehind != nil {
		waited := prometheus.NewCounter(prometheus.CounterOpts{Name: "chemguard_governance_yield_seconds_total",
			Help: "Seconds the governance consumer waited before its batches for this process's warning consumer to catch up."})
		a.Registry.MustRegister(waited)
		cfg.Governance.Yield = func(ctx context.Context) time.Duration {
			d := warnBehind.Yield(ctx, cfg.GovernanceYield, governancesvc.YieldMost)
			waited.Add(d.Seconds())
			return d
		}
	}
	if a.Governance, err = governancesvc.New(ctx, a.Pool, govSrc, cfg.Governance); err != nil {
		return nil, err
	}
	governance := governancesvc.NewHandler(a.Governance, a.Access)
	governance.Register(api)
	// 整改通知 (issue 6 item 4): /governance/notices for regulators, /enterprise/notices by API key.
	a.Notices = notices.New(a.Pool, a.Access.Audit, a.Governance.Rules(), cfg.Governance.Now)
	notices.NewHandler(a.Notices, governance.Quality(), a.Access, a.Enterprises).Register(api)
	exchange := ingest.NewHandler(cfg.Ingest, a.producer, files, a.Enterprises, a.Exchange, metrics)
	exchange.Register(api)
	// A company account never opens the regulators' UIs (it handles its
	// warnings in the base system); their login and static files stay reachable.
	keepOut := enterprise.KeepOut(a.Access.Identity, RegulatorUIOpenPaths...)
	a.http.Use("/portal", keepOut)
	a.http.Use("/m", keepOut)
	// Regulator portal (issue 7): server-rendered pages under /portal, embedded assets.
	pt, err := portal.New(portal.Config{InsecureCookie: cfg.Access.InsecureCookie, Now: cfg.Now}, a.Pool, a.Access, a.Access.Identity, files)
	if err != nil {
		return nil, err
	}
	pt.EnableAdmin(portal.Admin{Ops: a.Access, Identity: a.Access.Identity, Parks: a.Access.Parks,
		Enterprises: a.Access.Enterprises, Audit: a.Access.Audit, Policy: a.Access.Authz.Policy})
	pt.EnableQuality(portal.Quality{Read: governance.Quality(), Reports: governance, Notices: a.Notices,
		Actor: func(c *fiber.Ctx) notices.Actor { return notices.ActorOf(c, a.Access) }, Can: a.Access.Can})
	// 推广应用进度 and 双重预防 (the regulators' side of the base system).
	pt.EnableRollout(portal.Rollout{Read: readmodel.NewRollout(a.Pool, cfg.Governance.Now), Regions: governance.Quality(),
		Acceptances: governancesvc.NewAcceptances(a.Pool, a.Access.Audit, cfg.Governance.Now)})
	pt.EnableAPIDocs(a.APIDescription)
	pt.Register(a.http)
	// Inspector mobile app (issue 7 item 2) under /m; its hidden dangers go through the exchange pipeline.
	cfg.Inspect.InsecureCookie = cfg.Inspect.InsecureCookie || cfg.Access.InsecureCookie
	mobile, err := inspect.New(cfg.Inspect, a.Pool, a.Access, a.Access.Authz, a.Access.Identity, exchange, files, a.Access.Audit)
	if err != nil {
		return nil, err
	}
	mobile.Register(a.http)
	if err := a.mountBaseSystem(cfg, exchange, files, box); err != nil {
		return nil, err
	}
	a.http.Get(openapi.Path, a.serveAPIDescription)

	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("platform: load TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	}
	if a.ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("platform: listen %s: %w", cfg.HTTPAddr, err)
	}
	// Per-address connection counting sits under TLS, so a refused connection costs no handshake.
	a.ln = a.edge.Listen(a.ln)
	if tlsCfg != nil {
		a.ln, a.tls = tls.NewListener(a.ln, tlsCfg), true
	}
	return a, nil
}

// mountBaseSystem wires the hosted base system under /e: its foundation (the
// outbox publishing through exchange, membership, the inbox) and the modules
// built on it.
func (a *App) mountBaseSystem(cfg Config, exchange *ingest.Handler, files *filestore.Dir, box *sealed.Box) error {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	oc := cfg.BaseSystem.Outbox
	oc.Check = cfg.Ingest
	if oc.Now == nil {
		oc.Now = now
	}
	a.Outbox = enterprise.NewOutbox(oc, a.Pool, exchange)
	a.Members = enterprise.NewMembers(a.Pool, box)
	a.Inbox = enterprise.NewInbox(a.Pool, a.Members, noticeGateway(cfg), now)
	robots := enterprise.NewIMRobots(a.Pool, box, cfg.BaseSystem.IM, now)
	a.Inbox.UseIM(robots)
	a.sweeps = append(a.sweeps, func(ctx context.Context) {
		a.Inbox.Run(ctx, noticeRetryEvery, func(err error) { slog.Error("base system notice retry failed", "err", err) })
	})
	found := enterprise.Foundation{Pool: a.Pool, Directory: a.Members, Publisher: a.Outbox, Notifier: a.Inbox,
		Files: files, Audit: a.Access.Audit, Now: now}
	var modules []enterprise.Module
	factories := cfg.BaseSystem.Modules
	cfg.BaseSystem.Positioning.Box = box // gateway secrets sealed like the exchange keys'
	if cfg.BaseSystem.Positioning.Metrics == nil {
		cfg.BaseSystem.Positioning.Metrics = positioning.NewMetrics(a.Registry)
	}
	if factories == nil {
		factories = baseSystemModules(cfg.BaseSystem, func(s sweep) { a.sweeps = append(a.sweeps, s) }, box)
	}
	for _, build := range factories {
		m, err := build(found)
		if err != nil {
			return fmt.Errorf("platform: base system module: %w", err)
		}
		modules = append(modules, m)
		if in, ok := m.(intakeModule); ok {
			in.RegisterIntake(a.http)
		}
	}
	app, err := enterprise.New(enterprise.Config{InsecureCookie: cfg.Access.InsecureCookie, Now: now},
		enterprise.Deps{Pool: a.Pool, Guard: a.Access, Identity: a.Access.Identity, Grants: a.Access.Authz,
			Audit: a.Access.Audit, Members: a.Members, Outbox: a.Outbox, Inbox: a.Inbox, Modules: modules, IM: robots,
			Warnings: a.Warnings})
	if err != nil {
		return err
	}
	app.Register(a.http)
	return nil
}

// RegulatorUIOpenPaths are the regulators' UIs' paths a company account still
// reaches — the login, logout and static files — so the refusal page can say
// where to go; every other /portal and /m route refuses it.
var RegulatorUIOpenPaths = []string{"/portal/login", "/portal/logout", "/portal/static",
	"/m/login", "/m/logout", "/m/static", "/m/sw.js", "/m/manifest.webmanifest", "/m/offline"}

// RegulatorAPIOpenPaths are the /api/v1 paths a company session is not
// refused on: the login and logout, and the routes a company's own system,
// gateways and boxes reach with their signed keys (where a bearer token is a
// key, not a session).
var RegulatorAPIOpenPaths = []string{"/api/v1/auth/login", "/api/v1/auth/logout",
	"/api/v1/exchange", "/api/v1/enterprise", positioning.APIPath}

// edgeConfig is cfg.Edge with the routes that take large bodies: the exchange
// uploads (gzip allowed, up to the ingest cap) and the inspector's record with its
// photos. Everything else keeps the small default cap.
func edgeConfig(cfg Config) edge.Config {
	ec := cfg.Edge
	photos, photoBytes := cfg.Inspect.MaxPhotos, cfg.Inspect.MaxPhotoBytes
	if photos <= 0 {
		photos = inspect.DefaultMaxPhotos
	}
	if photoBytes <= 0 {
		photoBytes = inspect.DefaultMaxPhotoBytes
	}
	ec.Routes = append([]edge.Route{
		{Method: fiber.MethodPost, Prefix: "/api/v1/exchange/", MaxBytes: cfg.Ingest.MaxBodyBytesOrDefault(), Gzip: true},
		{Method: fiber.MethodPost, Prefix: "/m/records", MaxBytes: photos*photoBytes + 1<<20}, // + the form's fields
		// An analysis box's alarm: one image of at most 4 MB (base64 or a part).
		{Method: fiber.MethodPost, Prefix: video.IntakePrefix + "/", MaxBytes: video.MaxIntakeBytes},
		{Method: fiber.MethodPost, Prefix: "/api/v1/positioning/", MaxBytes: 4 << 20, Gzip: true}, // 5000 fixes a batch
	}, ec.Routes...)
	// The base system's forms that carry photos or a workbook: checks and
	// hidden dangers on the phone and the PC, permits' photos and signatures,
	// Excel imports. Every other /e form keeps the small default cap.
	upload := photos*photoBytes + 1<<20
	for _, prefix := range []string{"/e/m/dp/checks", "/e/m/dangers", "/e/dangers", "/e/dp/import",
		"/e/m/permits/", "/e/permits/", "/e/m/video/alarms/", "/e/video/alarms/", "/e/video/import", "/e/positioning/floors"} {
		ec.Routes = append(ec.Routes, edge.Route{Method: fiber.MethodPost, Prefix: prefix, MaxBytes: upload})
	}
	return ec
}

// APIDescription is the OpenAPI 3.1 description of the /api/v1 routes, built from
// the route table on first use (when every route is registered) and kept.
func (a *App) APIDescription() (*openapi.Description, error) {
	a.apiDocOnce.Do(func() {
		a.apiDoc, a.apiDocErr = openapi.Build(openapi.RoutesOf(a.http), APIVersion)
	})
	return a.apiDoc, a.apiDocErr
}

// HTTP is the app's fiber router: its route table is what APIDescription describes.
func (a *App) HTTP() *fiber.App { return a.http }

// APIVersion is the version the API description carries.
const APIVersion = "1.0"

func (a *App) serveAPIDescription(c *fiber.Ctx) error {
	d, err := a.APIDescription()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(d.JSON)
}

// Addr is the address the HTTP server listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the base URL of the HTTP server.
func (a *App) URL() string {
	if a.tls {
		return "https://" + a.Addr()
	}
	return "http://" + a.Addr()
}

// Routes lists the HTTP routes as "METHOD /path": middleware mounts and the HEAD
// twins of GET routes left out.
func (a *App) Routes() []string {
	var out []string
	for _, r := range a.http.GetRoutes(true) {
		if r.Method != fiber.MethodHead {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// BrokerAddrs are the Kafka brokers in use.
func (a *App) BrokerAddrs() []string { return a.busCfg.Brokers }

// ready answers whether the database and the broker answer. Operators (the local
// network or the operator token) see each check and its error; anyone else only
// the overall status, since error text names hosts, users and versions.
func (a *App) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{"database": "ok", "broker": "ok"}
	status := fiber.StatusOK
	if err := a.Pool.Ping(ctx); err != nil {
		slog.Warn("readiness: database", "err", err)
		checks["database"], status = err.Error(), fiber.StatusServiceUnavailable
	}
	if err := bus.Ping(ctx, a.busCfg); err != nil {
		slog.Warn("readiness: broker", "err", err)
		checks["broker"], status = err.Error(), fiber.StatusServiceUnavailable
	}
	overall := "ok"
	if status != fiber.StatusOK {
		overall = "unavailable"
	}
	if !a.edge.IsOperator(c) {
		return c.Status(status).JSON(fiber.Map{"status": overall})
	}
	checks["status"] = overall
	return c.Status(status).JSON(checks)
}

// Run serves HTTP and runs the sink until ctx ends, then shuts down gracefully: the
// HTTP server stops taking requests and finishes those in flight, the sink finishes
// its batch, and the producer flushes.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 4)
	go func() { errc <- a.http.Listener(a.ln) }()
	sinkDone := make(chan struct{})
	sinkCtx, stopSink := context.WithCancel(context.Background())
	defer stopSink()
	go func() {
		defer close(sinkDone)
		if a.sink != nil {
			if err := a.sink.Run(sinkCtx); err != nil {
				errc <- err
			}
		}
	}()
	go a.maintain(sinkCtx)
	warnDone := make(chan struct{})
	go func() {
		defer close(warnDone)
		if err := a.Warnings.Run(sinkCtx); err != nil {
			errc <- err
		}
	}()
	go a.Access.Run(sinkCtx)
	govDone := make(chan struct{})
	go func() {
		defer close(govDone)
		if err := a.Governance.Run(sinkCtx); err != nil {
			errc <- err
		}
	}()
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); a.Outbox.Run(sinkCtx) }()
	var sweeps sync.WaitGroup
	for _, s := range a.sweeps {
		sweeps.Add(1)
		go func() { defer sweeps.Done(); s(sinkCtx) }()
	}
	noticesDone := make(chan struct{})
	go func() { defer close(noticesDone); a.Notices.RunSweeper(sinkCtx, a.cfg.Governance.Tick) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	slog.Info("shutting down")
	a.Warnings.CloseStreams() // live streams would hold the HTTP shutdown open
	if serr := a.http.ShutdownWithTimeout(30 * time.Second); serr != nil && err == nil {
		err = serr
	}
	stopSink()
	<-sinkDone
	<-warnDone
	<-govDone
	<-noticesDone
	<-outboxDone
	sweeps.Wait()
	return err
}

// trendLock is the advisory lock of the per-minute trend's refresh: one process
// refreshes at a time.
const trendLock = 0x63670108 // "cg", migration 00108

// trendSinkLate is how late this process's sink may be before the per-minute trend's
// next minute waits for it. A minute's refresh holds a core for 0.5 s on a quiet
// database and 1.0–2.6 s under 20,000 readings/s, and a round has 4–5 of them; run
// back to back, yielding only to the warning consumer, they let the sink fall up to
// 147,512 messages (7 s) behind in the bench's 10-minute runs, the lag's p99 target
// being 2 s (docs/performance.md, "The trend's minutes wait for the sink"). Waiting
// while the sink is more than a second late lets it catch up between two minutes.
const trendSinkLate = time.Second

// trendMinutes is the per-minute trend's refresh (store.TrendMinutes) as a sweep: in
// the process holding trendLock, every TrendRefresh.Every, each minute after the
// warning consumer has caught up (the sink's bound, CHEMGUARD_SINK_YIELD; 0: not
// waited for) and the sink is within trendSinkLate, waiting up to a minute (a round
// that waits a long time only materializes later, the trend is computed when read
// meanwhile). It reads the machine's clock, not cfg.Now: the minutes due are the
// database's, whose clock TimescaleDB's refresh windows and threshold are on.
func (a *App) trendMinutes(warnBehind, sinkBehind *bus.Behind) sweep {
	r := a.cfg.TrendRefresh
	m := &store.TrendMinutes{Pool: a.Pool, Settle: r.Settle}
	m.Yield = func(ctx context.Context) time.Duration {
		return bus.YieldAll(ctx, time.Minute, bus.Gate{Behind: warnBehind, Bound: a.cfg.SinkYield},
			bus.Gate{Behind: sinkBehind, Bound: trendSinkLate})
	}
	return func(ctx context.Context) { store.Lead(ctx, a.Pool, trendLock, r.Every, "per-minute trend", m.Round) }
}

// maintain creates the coming months' history partitions and applies the typed
// series' retention once a day.
func (a *App) maintain(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := store.EnsurePartitions(ctx, a.Pool, now); err != nil {
				slog.Error("partition maintenance failed", "err", err)
			}
			// Retention on plain PostgreSQL drops whole months: daily is often enough.
			// TimescaleDB runs its own jobs; re-applying there finds nothing to change.
			if err := store.ApplySeriesPolicies(ctx, a.Pool, a.cfg.SeriesPolicies, now); err != nil {
				slog.Error("time-series retention failed", "err", err)
			}
		}
	}
}

// Close releases everything New acquired. It is safe to call more than once.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.ln != nil {
			a.ln.Close()
		}
		// Leaving a consumer group takes the broker seconds: leave both at once.
		var wg sync.WaitGroup
		for _, c := range []*bus.Consumer{a.consumer, a.warnConsumer, a.govConsumer} {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Close() }()
			}
		}
		wg.Wait()
		if a.producer != nil {
			a.producer.Close()
		}
		if a.Pool != nil {
			a.Pool.Close()
		}
		if a.broker != nil {
			a.broker.Close()
		}
	})
}
