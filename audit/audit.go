// Package audit owns the platform's audit log (安全审计): an append-only,
// chained record of logins, logouts, failures, lockouts, authorization denials,
// role and policy changes and data changes made by people — who, when, from
// where, what, and the result.
//
// Each row stores a MAC of the previous row's MAC and its own canonical
// content, keyed with HMAC-SHA256 under a key the database does not hold
// (CHEMGUARD_AUDIT_KEY): someone who can write the table but lacks the key
// cannot delete, edit or insert rows and recompute a chain that verifies. Rows
// written before the chain was keyed (chain_version 1, plain SHA-256) still
// verify as such, and may only precede the keyed rows. Cutting rows off the end
// leaves a shorter chain that verifies, so the head is checkpointed outside the
// database (checkpoint.go): a MAC-signed line appended to a file and a log line,
// which Verify compares with the table.
//
// The table refuses UPDATE, DELETE and TRUNCATE by trigger, and the application
// runs as a role that may only INSERT and SELECT it. Every field is bounded
// before insert (bound.go), so an oversized value is recorded truncated instead
// of making the insert fail. Only the 审计管理员 reads and exports it (Handler).
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Actions recorded. Other packages may record their own action names for data
// changes (e.g. "hidden_danger.update"); these are the ones access control uses.
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login_failed"
	ActionLockout       = "lockout"
	ActionLogout        = "logout"
	ActionDeny          = "deny"
	ActionUserCreate    = "user_create"
	ActionUserUnlock    = "user_unlock"
	ActionUserMobile    = "user_mobile" // a regulator's mobile for warning SMS set or cleared
	ActionPasswordReset = "password_reset"
	ActionGrant         = "role_grant"
	ActionRevoke        = "role_revoke"
	ActionPolicy        = "policy_change"
	ActionTOTP          = "totp_enrol"
	ActionAuditRead     = "audit_read"
	ActionAuditExport   = "audit_export"
	ActionDataChange    = "data_change"
	// ActionExchangeRefused is an exchange request refused for its credentials
	// (unknown key, bad signature, another company's code); ActionExchangeRefusedSummary
	// counts the refusals from one source that were not recorded one by one.
	ActionExchangeRefused        = "exchange_refused"
	ActionExchangeRefusedSummary = "exchange_refused_summary"
)

// Results recorded.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
	ResultDenied = "denied"
)

// Chain versions: how a row's hash is computed.
const (
	ChainUnkeyed = 1 // SHA-256(prev || content): rows written before the key existed
	ChainKeyed   = 2 // HMAC-SHA256(chain key, prev || content)
)

// Event is what a caller records.
type Event struct {
	Actor     string // username, or "system", or "ent:CODE" for an enterprise key
	ActorRole string // roles of the actor, comma-separated
	ClientIP  string
	Action    string
	Object    string // what was acted on: a path, a user, a rule
	Result    string
	Detail    any // encoded as JSON; nil for none
}

// Record is a stored row of the log.
type Record struct {
	Seq          int64     `json:"seq"`
	At           time.Time `json:"at"`
	Actor        string    `json:"actor"`
	ActorRole    string    `json:"actor_role"`
	ClientIP     string    `json:"client_ip"`
	Action       string    `json:"action"`
	Object       string    `json:"object"`
	Result       string    `json:"result"`
	Detail       string    `json:"detail"`
	ChainVersion int       `json:"chain_version"`
	PrevHash     []byte    `json:"prev_hash"`
	Hash         []byte    `json:"hash"`
}

// Recorder records audit events; *Log is the implementation.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Config configures the Log.
type Config struct {
	// Key keys the chain and signs checkpoints (CHEMGUARD_AUDIT_KEY, 32 bytes).
	// It must not be stored in the database.
	Key []byte
	// CheckpointFile is where checkpoints are appended ("" keeps none: a log
	// whose tail is then only protected by the database's own permissions).
	CheckpointFile string
	// CheckpointEvery and CheckpointRows: a checkpoint is written when this much
	// time has passed or this many rows were appended since the last one.
	CheckpointEvery time.Duration
	CheckpointRows  int64
	// Now gives the time of each record (time.Now when nil; a fake clock in tests).
	Now func() time.Time
	// Logger receives the checkpoint lines (slog.Default when nil).
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultCheckpointEvery       = 5 * time.Minute
	DefaultCheckpointRows  int64 = 1000
)

// ErrKey is returned by New when the key is missing or not 32 bytes.
var ErrKey = errors.New("audit: the audit key (CHEMGUARD_AUDIT_KEY) must be 32 bytes")

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if len(c.Key) != 32 {
		return ErrKey
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = DefaultCheckpointEvery
	}
	if c.CheckpointRows <= 0 {
		c.CheckpointRows = DefaultCheckpointRows
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Log is the audit log in PostgreSQL (table audit_log). It is safe for
// concurrent use; appends are serialised by a transaction-scoped advisory lock.
type Log struct {
	pool     *pgxpool.Pool
	cfg      Config
	chainKey []byte // derived from the audit key: keys the rows
	cpKey    []byte // derived from the audit key: signs checkpoints
	now      func() time.Time

	appended atomic.Int64  // rows appended since the last checkpoint
	wake     chan struct{} // tells the checkpointer CheckpointRows were reached
}

// New returns the log on pool.
func New(pool *pgxpool.Pool, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Log{pool: pool, cfg: cfg, now: cfg.Now, chainKey: derive(cfg.Key, "chemguard audit chain v2"),
		cpKey: derive(cfg.Key, "chemguard audit checkpoint v1"), wake: make(chan struct{}, 1)}, nil
}

// derive gives each use of the audit key its own key, so a checkpoint MAC can
// never be passed off as a row MAC or the reverse.
func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// auditLock is the advisory lock key that serialises appends.
const auditLock = 0x636775617564 // "cguaud"

// Record appends e, its fields bounded (see Bound), to the chain and returns
// once it is committed.
func (l *Log) Record(ctx context.Context, e Event) error {
	detail, err := boundDetail(e.Detail)
	if err != nil {
		return err
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
		return fmt.Errorf("audit: lock: %w", err)
	}
	r := Record{At: l.now().UTC().Truncate(time.Microsecond), Actor: bound(e.Actor, maxActor),
		ActorRole: bound(e.ActorRole, maxActorRole), ClientIP: bound(e.ClientIP, maxClientIP), Action: bound(e.Action, maxAction),
		Object: bound(e.Object, maxObject), Result: bound(e.Result, maxResult), Detail: detail, ChainVersion: ChainKeyed}
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&r.Seq, &r.PrevHash)
	if errors.Is(err, pgx.ErrNoRows) {
		r.PrevHash = make([]byte, sha256.Size)
	} else if err != nil {
		return fmt.Errorf("audit: chain head: %w", err)
	}
	r.Seq++
	r.Hash = Hash(l.chainKey, r.PrevHash, r)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log
		(seq, at, actor, actor_role, client_ip, action, object, result, detail, chain_version, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.Seq, r.At, r.Actor, r.ActorRole, r.ClientIP, r.Action, r.Object, r.Result, r.Detail, r.ChainVersion,
		r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	if l.appended.Add(1) >= l.cfg.CheckpointRows {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Hash is the chain hash of r after prev. For r.ChainVersion ChainKeyed it is
// HMAC-SHA256 under chainKey; for ChainUnkeyed (rows from before the key) plain
// SHA-256. The content is every field length-prefixed, so no two rows encode
// alike and characters cannot move between fields.
func Hash(chainKey, prev []byte, r Record) []byte {
	var h interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	if r.ChainVersion == ChainUnkeyed {
		h = sha256.New()
	} else {
		h = hmac.New(sha256.New, chainKey)
	}
	h.Write(prev)
	fields := []string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.Actor, r.ActorRole,
		r.ClientIP, r.Action, r.Object, r.Result, r.Detail}
	if r.ChainVersion != ChainUnkeyed {
		fields = append(fields, strconv.Itoa(r.ChainVersion))
	}
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// Filter selects records for List.
type Filter struct {
	AfterSeq int64     // records after this sequence number
	From, To time.Time // zero: unbounded
	Actor    string    // "" for all
	Action   string    // "" for all
	Result   string    // ok, failed, denied; "" for all
	Limit    int       // at most this many (1–10000; 0 means 100)
	// BeforeSeq, when not 0, keeps records before this sequence number.
	BeforeSeq int64
	// Newest lists newest first (a page of the portal); otherwise oldest first.
	Newest bool
}

const columns = `seq, at, actor, actor_role, client_ip, action, object, result, detail, chain_version, prev_hash, hash`

// List returns records in sequence order (newest first with f.Newest),
// filtered and limited in SQL.
func (l *Log) List(ctx context.Context, f Filter) ([]Record, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 10000 {
		f.Limit = 10000
	}
	var from, to any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	order := "seq"
	if f.Newest {
		order = "seq DESC"
	}
	rows, err := l.pool.Query(ctx, `SELECT `+columns+`
		FROM audit_log WHERE seq > $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
		AND ($4 = '' OR actor = $4) AND ($5 = '' OR action = $5) AND ($7 = '' OR result = $7) AND ($8 = 0 OR seq < $8)
		ORDER BY `+order+` LIMIT $6`, f.AfterSeq, from, to, f.Actor, f.Action, f.Limit, f.Result, f.BeforeSeq)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return scan(rows)
}

func scan(rows pgx.Rows) ([]Record, error) {
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.At, &r.Actor, &r.ActorRole, &r.ClientIP, &r.Action, &r.Object, &r.Result,
			&r.Detail, &r.ChainVersion, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit: scan: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: scan: %w", err)
	}
	return out, nil
}

// Verification is the result of Verify.
type Verification struct {
	Rows       int64  // rows checked
	LegacyRows int64  // of which unkeyed (written before the audit key existed)
	BadSeq     int64  // first row whose chain does not hold; 0 when intact
	Problem    string // what is wrong with it
	LastHash   []byte // hash of the last row checked
	// Checkpoints is how many checkpoints were compared; LastCheckpoint the
	// newest of them (zero when there were none).
	Checkpoints    int
	LastCheckpoint Checkpoint
}

// OK reports whether the whole chain held.
func (v Verification) OK() bool { return v.BadSeq == 0 }

// Verify recomputes the chain from the first row and reports the first row whose
// sequence, previous-hash link, version or own MAC does not hold, then compares
// the chain with every checkpoint in the checkpoint file: a checkpointed row
// that is missing (the tail was cut) or differs fails too. An error is
// returned only when the log or the checkpoint file cannot be read.
func (l *Log) Verify(ctx context.Context) (Verification, error) {
	var v Verification
	cps, bad, err := ReadCheckpoints(l.cfg.CheckpointFile, l.cpKey)
	if err != nil {
		return v, err
	}
	if bad != "" {
		v.BadSeq, v.Problem = -1, bad
		return v, nil
	}
	want := map[int64][]byte{}
	for _, cp := range cps {
		want[cp.Seq] = cp.Hash
	}
	v.Checkpoints = len(cps)
	v.LastCheckpoint = Latest(cps)
	prev := make([]byte, sha256.Size)
	after := int64(0)
	keyed := false
	for {
		rows, err := l.pool.Query(ctx, `SELECT `+columns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, after)
		if err != nil {
			return v, fmt.Errorf("audit: verify: %w", err)
		}
		recs, err := scan(rows)
		if err != nil {
			return v, err
		}
		for _, r := range recs {
			switch {
			case r.Seq != after+1:
				v.BadSeq, v.Problem = after+1, fmt.Sprintf("row %d is missing (next is %d)", after+1, r.Seq)
			case string(r.PrevHash) != string(prev):
				v.BadSeq, v.Problem = r.Seq, "previous-hash link broken"
			case r.ChainVersion != ChainUnkeyed && r.ChainVersion != ChainKeyed:
				v.BadSeq, v.Problem = r.Seq, fmt.Sprintf("unknown chain version %d", r.ChainVersion)
			case r.ChainVersion == ChainUnkeyed && keyed:
				v.BadSeq, v.Problem = r.Seq, "unkeyed row after the chain was keyed"
			case !hmac.Equal(Hash(l.chainKey, prev, r), r.Hash):
				v.BadSeq, v.Problem = r.Seq, "content does not match its MAC (edited, or written without the audit key)"
			case want[r.Seq] != nil && !hmac.Equal(want[r.Seq], r.Hash):
				v.BadSeq, v.Problem = r.Seq, "row differs from the checkpoint taken of it"
			}
			if v.BadSeq != 0 {
				return v, nil
			}
			keyed = keyed || r.ChainVersion == ChainKeyed
			if r.ChainVersion == ChainUnkeyed {
				v.LegacyRows++
			}
			v.Rows++
			prev, after = r.Hash, r.Seq
			v.LastHash = r.Hash
		}
		if len(recs) < 5000 {
			break
		}
	}
	if last := v.LastCheckpoint; last.Seq > v.Rows {
		v.BadSeq = v.Rows + 1
		v.Problem = fmt.Sprintf("rows %d–%d are missing: the checkpoint of %s recorded the log up to row %d (tail cut)",
			v.Rows+1, last.Seq, last.At.Format(time.RFC3339), last.Seq)
	}
	return v, nil
}

// encodeDetail encodes a Detail as JSON.
func encodeDetail(d any) (string, error) {
	if d == nil {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("audit: encode detail: %w", err)
	}
	return string(b), nil
}
