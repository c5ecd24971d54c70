// Command chemguard is the platform's one binary: serve, migrate, enterprise
// administration, the simulator and the end-to-end benchmark.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/inspect"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `chemguard — 山东省危险化学品安全生产风险监测预警平台

usage:
  chemguard serve                      serve the platform (migrates first)
  chemguard migrate                    apply database migrations
  chemguard enterprise add --code CODE --name NAME --region COUNTY_CODE [--park CODE] [--kind 生产|经营|使用|加油站]
  chemguard enterprise rotate-key --code CODE     issue a new key, revoke the others
  chemguard enterprise revoke-keys --code CODE    revoke every key
  chemguard simulate --enterprises N --rate R [--bad 0.05] [--url URL] [--duration D]
  chemguard bench [--records N] [--batch B] [--table SLUG] [--concurrency C]
  chemguard bench --scenario warnings [--companies N] [--detectors D] [--readings R] [--rate RPS] [--probes P]
                                       HIGH_HIGH readings → warning via the API, under load (issue 5)
  chemguard bench --scenario governance [--companies N] [--duration D] [--rate RPS] [--speed X]
                                       simulated companies → data-quality facts and scores stored (issue 6)
  chemguard user add --username U --role ROLE --region CODE [--enterprise CODE] [--park CODE] [--name NAME]
                                       create an account (password prompted, or the first line of stdin)
  chemguard user unlock --username U   clear a login lockout
  chemguard audit verify               check the audit log's hash chain
  chemguard check [--company CODE] [--json] TABLE FILE|DIR|-
                                       validate an exchange batch offline, exactly as POST /api/v1/exchange/TABLE would (exit 1 when refused)

configuration (environment):
  CHEMGUARD_DATABASE_URL     PostgreSQL connection string (required)
  CHEMGUARD_MIGRATE_DATABASE_URL  the schema owner's connection string, for migrations (default CHEMGUARD_DATABASE_URL)
  CHEMGUARD_DATABASE_ROLE    SET ROLE on every application connection, e.g. chemguard_app (development; default none)
  CHEMGUARD_PRODUCTION       true: refuse to start without CHEMGUARD_AUDIT_KEY and CHEMGUARD_DATA_KEY (default false)
  CHEMGUARD_AUDIT_KEY        32-byte key (64 hex digits) of the audit chain and its checkpoints; kept out of the
                             database (default: generated once into $CHEMGUARD_DATA_DIR/keys/audit.key);
                             CHEMGUARD_AUDIT_KEY_FILE / CHEMGUARD_DATA_KEY_FILE read a mounted secret instead
  CHEMGUARD_DATA_KEY         32-byte AES-256-GCM key sealing mobile/ID numbers and signing secrets
                             (default: generated once into $CHEMGUARD_DATA_DIR/keys/data.key)
  CHEMGUARD_AUDIT_CHECKPOINT_FILE   signed audit checkpoints (default $CHEMGUARD_DATA_DIR/audit/checkpoints.jsonl)
  CHEMGUARD_AUDIT_CHECKPOINT_EVERY, _ROWS  checkpoint the audit head this often / after this many rows (default 5m, 1000)
  CHEMGUARD_HTTP_ADDR        listen address (default 127.0.0.1:8080)
  CHEMGUARD_KAFKA_BROKERS    comma-separated brokers; empty starts the embedded broker
  CHEMGUARD_KAFKA_PARTITIONS partitions per topic (default 6)
  CHEMGUARD_KAFKA_REPLICATION replication factor on a cluster (default 1)
  CHEMGUARD_KAFKA_SYNC_WRITES fsync every batch in the embedded broker (default true)
  CHEMGUARD_DATA_DIR         embedded broker data and stored files (default ./.data)
  CHEMGUARD_MAX_BODY_BYTES   largest exchange request body (default 67108864)
  CHEMGUARD_MAX_RECORDS      largest exchange batch (default 10000)
  CHEMGUARD_READ_WAIT        longest a GET by id waits for a record just accepted to be stored (default 5s)
  CHEMGUARD_REQUIRE_SIGNING  enterprise requests must carry an HMAC signature (default false)
  CHEMGUARD_SESSION_IDLE     session idle timeout (default 30m); CHEMGUARD_SESSION_MAX absolute (default 12h)
  CHEMGUARD_LOCKOUT          lockout after 5 failed logins (default 30m)
  CHEMGUARD_POLICY_RELOAD    how often policy changes by other processes are loaded (default 5s)
  CHEMGUARD_SHARE_LAG        sharing feed holds back changes this recent (default 5s)
  CHEMGUARD_STREAM_RECHECK   how often an open event stream checks its session; it ends at logout (default 5s)
  CHEMGUARD_INSECURE_COOKIE  drop the session cookie's Secure flag, plain-HTTP development only (default false)
  CHEMGUARD_WARNING_TICK     how often the warning engine's clock advances (default 5s)
  CHEMGUARD_WARNING_MODELS   warning model configuration file (default: the built-in warning/models.yaml)
  CHEMGUARD_WARNING_WEBHOOKS comma-separated URLs told every warning change as JSON (default none)
  CHEMGUARD_WARNING_NOTIFY_LOG log every warning change as a notification (development; default false)
  CHEMGUARD_WARNING_REMIND   announce a warning not yet acknowledged again this often (default 5m)
  CHEMGUARD_WARNING_NOTIFY_RATE most notifications per minute to one target (one person for SMS); the rest wait (default 0, no cap)
  CHEMGUARD_WARNING_SMS_URL  HTTP SMS gateway; each person is texted (company principals, regulators of the tier watching)
  CHEMGUARD_WARNING_SMS_APP_KEY, _SECRET  gateway credentials; with a secret every request is HMAC-SHA256 signed
  CHEMGUARD_WARNING_SMS_TEMPLATE, _TEMPLATE_CODE  content (Go text/template) and the gateway's template id
  CHEMGUARD_WARNING_SMS_KINDS  changes texted (default warning_raised,warning_escalated,disposal_escalated,disposal_overdue,reminder)
  CHEMGUARD_WARNING_WECOM_WEBHOOKS  企业微信 group robot webhook URLs, comma-separated
  CHEMGUARD_WARNING_DINGTALK_WEBHOOKS  钉钉 robot webhook URLs, comma-separated, URL#SECRET for a signing (加签) robot
  CHEMGUARD_WARNING_IM_KINDS  changes told to the robots (default: level changes, settlement, escalations)
  CHEMGUARD_PATROL_PLANS     在线巡查 plans per tier, TIER=CYCLE:PERCENT,… (default county=week:100,city=month:20,province=quarter:5)
  CHEMGUARD_GOVERNANCE_TICK  how often data-quality facts from absences are checked (default 10s)
  CHEMGUARD_GOVERNANCE_SCORE_EVERY how often today's data-quality scores are recomputed (default 30s)
  CHEMGUARD_GOVERNANCE_FINALIZE_AFTER finalise yesterday's scores this long after midnight (default 10m; at least the longest fact limit + a tick)
  CHEMGUARD_GOVERNANCE_CONFIG YAML overlay of the governance rules' limits and weights (default: docs/governance.md's)
` + securityUsage

func run(args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, stdout)
	case "migrate":
		err = migrate(ctx)
	case "enterprise":
		err = enterprise(ctx, args[1:], stdout)
	case "simulate":
		err = simulateCmd(ctx, args[1:], stdout)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout)
	case "user":
		err = userCmd(ctx, args[1:], os.Stdin, stdout)
	case "audit":
		err = auditCmd(ctx, args[1:], stdout)
	case "check":
		err = checkCmd(args[1:], os.Stdin, stdout, time.Now())
		if errors.Is(err, errCheckFailed) {
			return 1
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "chemguard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "chemguard:", err)
		// An operator reads the refusal in Chinese too (bad codes, roles, regions).
		var ae *chemguard.Error
		if errors.As(err, &ae) && ae.Code != chemguard.EInternal && ae.MessageZH != "" {
			fmt.Fprintln(stderr, "chemguard:", ae.MessageZH)
		}
		return 1
	}
	return 0
}

// configFromEnv reads every CHEMGUARD_* setting once.
func configFromEnv() (platform.Config, error) {
	cfg := platform.Config{
		DatabaseURL:        os.Getenv("CHEMGUARD_DATABASE_URL"),
		MigrateDatabaseURL: os.Getenv("CHEMGUARD_MIGRATE_DATABASE_URL"),
		DatabaseRole:       os.Getenv("CHEMGUARD_DATABASE_ROLE"),
		HTTPAddr:           envOr("CHEMGUARD_HTTP_ADDR", platform.DefaultHTTPAddr),
		KafkaBrokers:       bus.ParseBrokers(os.Getenv("CHEMGUARD_KAFKA_BROKERS")),
		DataDir:            envOr("CHEMGUARD_DATA_DIR", ".data"),
		KafkaSyncWrites:    true, // acknowledged records survive kill -9: see bus.EmbeddedConfig
	}
	var err error
	ints := []struct {
		env string
		dst *int
	}{
		{"CHEMGUARD_KAFKA_PARTITIONS", &cfg.KafkaPartitions},
		{"CHEMGUARD_KAFKA_REPLICATION", &cfg.KafkaReplicas},
		{"CHEMGUARD_MAX_BODY_BYTES", &cfg.Ingest.MaxBodyBytes},
		{"CHEMGUARD_MAX_RECORDS", &cfg.Ingest.MaxRecords},
	}
	for _, i := range ints {
		if s := os.Getenv(i.env); s != "" {
			if *i.dst, err = strconv.Atoi(s); err != nil {
				return cfg, fmt.Errorf("%s: %w", i.env, err)
			}
		}
	}
	if s := os.Getenv("CHEMGUARD_READ_WAIT"); s != "" {
		if cfg.Ingest.ReadWait, err = time.ParseDuration(s); err != nil {
			return cfg, fmt.Errorf("CHEMGUARD_READ_WAIT: %w", err)
		}
	}
	if s := os.Getenv("CHEMGUARD_KAFKA_SYNC_WRITES"); s != "" {
		if cfg.KafkaSyncWrites, err = strconv.ParseBool(s); err != nil {
			return cfg, fmt.Errorf("CHEMGUARD_KAFKA_SYNC_WRITES: %w", err)
		}
	}
	if err := accessFromEnv(&cfg.Access); err != nil {
		return cfg, err
	}
	if err := warningsFromEnv(&cfg.Warnings); err != nil {
		return cfg, err
	}
	if cfg.Inspect.Plans, err = inspect.ParsePlans(os.Getenv("CHEMGUARD_PATROL_PLANS")); err != nil {
		return cfg, fmt.Errorf("CHEMGUARD_PATROL_PLANS: %w", err)
	}
	if err := governanceFromEnv(&cfg.Governance); err != nil {
		return cfg, err
	}
	if err := securityFromEnv(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// warningsFromEnv reads the warning engine's settings (issue 5).
func warningsFromEnv(cfg *warningsvc.Config) error {
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{{"CHEMGUARD_WARNING_TICK", &cfg.Tick}, {"CHEMGUARD_WARNING_REMIND", &cfg.RemindEvery}} {
		if s := os.Getenv(d.env); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %w", d.env, err)
			}
			*d.dst = v
		}
	}
	if p := os.Getenv("CHEMGUARD_WARNING_MODELS"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_WARNING_MODELS: %w", err)
		}
		if cfg.Models, err = warning.LoadConfig(b); err != nil {
			return fmt.Errorf("CHEMGUARD_WARNING_MODELS %s: %w", p, err)
		}
	}
	for _, u := range strings.Split(os.Getenv("CHEMGUARD_WARNING_WEBHOOKS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.Notifiers = append(cfg.Notifiers, warningsvc.Webhook{URL: u})
		}
	}
	gateways, err := gatewaysFromEnv()
	if err != nil {
		return err
	}
	cfg.Notifiers = append(cfg.Notifiers, gateways...)
	if s := os.Getenv("CHEMGUARD_WARNING_NOTIFY_RATE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_WARNING_NOTIFY_RATE: %w", err)
		}
		cfg.NotifyPerMinute = n
	}
	if s := os.Getenv("CHEMGUARD_WARNING_NOTIFY_LOG"); s != "" {
		on, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_WARNING_NOTIFY_LOG: %w", err)
		}
		if on {
			cfg.Notifiers = append(cfg.Notifiers, warningsvc.LogNotifier{})
		}
	}
	return cfg.Validate()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(ctx context.Context, stdout io.Writer) error {
	cfg, err := configFromEnv()
	if err != nil {
		return err
	}
	app, err := platform.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintf(stdout, "chemguard serving on %s (brokers %v)\n", app.URL(), app.BrokerAddrs())
	slog.Info("serving", "url", app.URL(), "brokers", app.BrokerAddrs())
	return app.Run(ctx)
}

func migrate(ctx context.Context) error {
	_, pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	pool.Close()
	return nil
}

// openDB reads the configuration, connects and applies the migrations: what every
// administrative command needs before it touches the database.
func openDB(ctx context.Context) (platform.Config, *pgxpool.Pool, error) {
	cfg, err := configFromEnv()
	if err != nil {
		return cfg, nil, err
	}
	pool, err := platform.OpenDatabase(ctx, cfg)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, pool, nil
}

func openEnterprises(ctx context.Context) (*store.Enterprises, func(), error) {
	cfg, pool, err := openDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	box, err := sealed.NewBox(cfg.Access.DataKey)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("CHEMGUARD_DATA_KEY: %w", err)
	}
	return store.NewSealedEnterprises(pool, box), pool.Close, nil
}

// printCredentials prints a newly issued signing secret and key, the only time
// either is shown; the key stays alone on the last line, where scripts read it.
func printCredentials(w io.Writer, c store.Credentials) {
	fmt.Fprintf(w, "signing secret (HMAC key of X-Chemguard-Signature; never send it; shown once):\n%s\n", c.SigningSecret)
	fmt.Fprintf(w, "API key (Authorization: Bearer …, shown once):\n%s\n", c.Key)
}

func enterprise(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("enterprise: add, rotate-key or revoke-keys")
	}
	fs := flag.NewFlagSet("enterprise "+args[0], flag.ContinueOnError)
	code := fs.String("code", "", "company code (企业编码)")
	name := fs.String("name", "", "company name")
	region := fs.String("region", "", "GB/T 2260 county code the company belongs to")
	park := fs.String("park", "", "chemical park code (optional)")
	kind := fs.String("kind", "", "生产, 经营, 使用 or 加油站")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *code == "" {
		return errors.New("enterprise: --code is required")
	}
	ents, closeDB, err := openEnterprises(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	switch args[0] {
	case "add":
		if *name == "" {
			return errors.New("enterprise add: --name is required")
		}
		if !tiers.IsCounty(*region) {
			return fmt.Errorf("enterprise add: --region %q is not a Shandong county (GB/T 2260), e.g. 370102 历下区", *region)
		}
		if err := ents.Add(ctx, store.Enterprise{Code: *code, Name: *name, DivisionCode: *region, ParkCode: *park, Kind: *kind}); err != nil {
			return err
		}
		cred, err := ents.IssueCredentials(ctx, *code)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered %s %s under %s\n", *code, *name, *region)
		printCredentials(stdout, cred)
	case "rotate-key":
		cred, err := ents.IssueCredentials(ctx, *code)
		if err != nil {
			return err
		}
		n, err := ents.RevokeKeys(ctx, *code, cred.Key)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d old key(s) of %s\n", n, *code)
		printCredentials(stdout, cred)
	case "revoke-keys":
		n, err := ents.RevokeKeys(ctx, *code, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %d key(s) of %s\n", n, *code)
	default:
		return fmt.Errorf("enterprise: unknown action %q", args[0])
	}
	return nil
}
