// Package audit owns the platform's audit log (安全审计): an append-only,
// hash-chained record of logins, logouts, failures, lockouts, authorization
// denials, role and policy changes and data changes made by people — who, when,
// from where, what, and the result. Each row stores SHA-256(previous row's hash
// || its own canonical content), so editing, removing or reordering a stored row
// breaks the chain and Verify finds it. The table refuses UPDATE, DELETE and
// TRUNCATE by trigger; rows are kept at least 180 days (in practice never
// deleted). Only the 审计管理员 reads and exports it (see Handler).
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
)

// Results recorded.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
	ResultDenied = "denied"
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
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole string    `json:"actor_role"`
	ClientIP  string    `json:"client_ip"`
	Action    string    `json:"action"`
	Object    string    `json:"object"`
	Result    string    `json:"result"`
	Detail    string    `json:"detail"`
	PrevHash  []byte    `json:"prev_hash"`
	Hash      []byte    `json:"hash"`
}

// Recorder records audit events; *Log is the implementation.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Log is the audit log in PostgreSQL (table audit_log). It is safe for
// concurrent use; appends are serialised by a transaction-scoped advisory lock.
type Log struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewLog returns the log on pool; now gives the time of each record (time.Now
// in production, a fake clock in tests).
func NewLog(pool *pgxpool.Pool, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{pool: pool, now: now}
}

// auditLock is the advisory lock key that serialises appends.
const auditLock = 0x636775617564 // "cguaud"

// Record appends e to the chain and returns once it is committed.
func (l *Log) Record(ctx context.Context, e Event) error {
	detail := ""
	if e.Detail != nil {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit: encode detail: %w", err)
		}
		detail = string(b)
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("audit: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
		return fmt.Errorf("audit: lock: %w", err)
	}
	r := Record{At: l.now().UTC().Truncate(time.Microsecond), Actor: e.Actor, ActorRole: e.ActorRole,
		ClientIP: e.ClientIP, Action: e.Action, Object: e.Object, Result: e.Result, Detail: detail}
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&r.Seq, &r.PrevHash)
	if errors.Is(err, pgx.ErrNoRows) {
		r.PrevHash = make([]byte, sha256.Size)
	} else if err != nil {
		return fmt.Errorf("audit: chain head: %w", err)
	}
	r.Seq++
	r.Hash = Hash(r.PrevHash, r)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log
		(seq, at, actor, actor_role, client_ip, action, object, result, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.Seq, r.At, r.Actor, r.ActorRole, r.ClientIP, r.Action, r.Object, r.Result, r.Detail, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("audit: commit: %w", err)
	}
	return nil
}

// Hash is the chain hash of r after prev: SHA-256 of prev followed by r's
// canonical content, every field length-prefixed so no two rows encode alike.
func Hash(prev []byte, r Record) []byte {
	h := sha256.New()
	h.Write(prev)
	for _, f := range []string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano), r.Actor, r.ActorRole,
		r.ClientIP, r.Action, r.Object, r.Result, r.Detail} {
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
	rows, err := l.pool.Query(ctx, `SELECT seq, at, actor, actor_role, client_ip, action, object, result, detail, prev_hash, hash
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
			&r.Detail, &r.PrevHash, &r.Hash); err != nil {
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
	Rows     int64  // rows checked
	BadSeq   int64  // first row whose chain does not hold; 0 when intact
	Problem  string // what is wrong with it
	LastHash []byte // hash of the last row checked, to compare with a copy kept elsewhere
}

// OK reports whether the whole chain held.
func (v Verification) OK() bool { return v.BadSeq == 0 }

// Verify recomputes the chain from the first row and reports the first row whose
// sequence, previous-hash link or own hash does not hold. An error is returned
// only when the log cannot be read.
func (l *Log) Verify(ctx context.Context) (Verification, error) {
	var v Verification
	prev := make([]byte, sha256.Size)
	after := int64(0)
	for {
		rows, err := l.pool.Query(ctx, `SELECT seq, at, actor, actor_role, client_ip, action, object, result, detail, prev_hash, hash
			FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, after)
		if err != nil {
			return v, fmt.Errorf("audit: verify: %w", err)
		}
		recs, err := scan(rows)
		if err != nil {
			return v, err
		}
		if len(recs) == 0 {
			return v, nil
		}
		for _, r := range recs {
			switch {
			case r.Seq != after+1:
				v.BadSeq, v.Problem = after+1, fmt.Sprintf("row %d is missing (next is %d)", after+1, r.Seq)
			case string(r.PrevHash) != string(prev):
				v.BadSeq, v.Problem = r.Seq, "previous-hash link broken"
			case string(Hash(prev, r)) != string(r.Hash):
				v.BadSeq, v.Problem = r.Seq, "content does not match its hash"
			}
			if v.BadSeq != 0 {
				return v, nil
			}
			v.Rows++
			prev, after = r.Hash, r.Seq
			v.LastHash = r.Hash
		}
	}
}
