package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
)

// PGPolicy is the PolicyStore in PostgreSQL's casbin_rules table (migration
// 00002_tiers.sql): removed rules are marked, and a trigger bumps
// policy_version on every change.
type PGPolicy struct {
	pool *pgxpool.Pool
}

// NewPGPolicy returns the policy store on pool.
func NewPGPolicy(pool *pgxpool.Pool) *PGPolicy { return &PGPolicy{pool: pool} }

var _ PolicyStore = (*PGPolicy)(nil)

// Rules returns the active rules and their version, read in one snapshot.
func (s *PGPolicy) Rules(ctx context.Context) ([]Rule, int64, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, fmt.Errorf("tiers: policy: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var version int64
	if err := tx.QueryRow(ctx, `SELECT version FROM policy_version WHERE id = 1`).Scan(&version); err != nil {
		return nil, 0, fmt.Errorf("tiers: policy: version: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT ptype, v0, v1, v2 FROM casbin_rules WHERE removed_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, 0, fmt.Errorf("tiers: policy: rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		v := make([]string, 3)
		if err := rows.Scan(&r.PType, &v[0], &v[1], &v[2]); err != nil {
			return nil, 0, fmt.Errorf("tiers: policy: rules: %w", err)
		}
		r.V = v
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("tiers: policy: rules: %w", err)
	}
	return out, version, nil
}

// Version returns the policy's version.
func (s *PGPolicy) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM policy_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("tiers: policy: version: %w", err)
	}
	return v, nil
}

// Add stores r. An active duplicate is a conflict, and so is a grant that the
// database's three-role separation trigger refuses.
func (s *PGPolicy) Add(ctx context.Context, r Rule, actor string) error {
	if len(r.V) != 3 || (r.PType != "p" && r.PType != "g") {
		return fmt.Errorf("tiers: policy: add: malformed rule %v", r)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2, created_by) VALUES ($1, $2, $3, $4, $5)`,
		r.PType, r.V[0], r.V[1], r.V[2], actor)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return chemguard.Errorf(chemguard.EConflict, "该策略规则已存在", "the policy rule already exists")
		case "23514":
			return &chemguard.Error{Code: chemguard.EConflict, MessageZH: "三员分立：同一账号不能兼任系统管理员、安全管理员、审计管理员中的两个",
				MessageEN: "three-role separation: one account cannot hold two of system, security and audit administrator", Err: err}
		}
	}
	if err != nil {
		return fmt.Errorf("tiers: policy: add: %w", err)
	}
	return nil
}

// Remove marks the active rule r removed by actor and reports whether there was one.
func (s *PGPolicy) Remove(ctx context.Context, r Rule, actor string) (bool, error) {
	if len(r.V) != 3 {
		return false, fmt.Errorf("tiers: policy: remove: malformed rule %v", r)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE casbin_rules SET removed_at = now(), removed_by = $5
		WHERE removed_at IS NULL AND ptype = $1 AND v0 = $2 AND v1 = $3 AND v2 = $4`,
		r.PType, r.V[0], r.V[1], r.V[2], actor)
	if err != nil {
		return false, fmt.Errorf("tiers: policy: remove: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// SeedDefaults stores rules if the store has no permission yet, so a new
// platform starts with DefaultPolicy and later edits by the 安全管理员 are kept
// across restarts. It reports whether it seeded.
func (s *PGPolicy) SeedDefaults(ctx context.Context, rules []Rule) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("tiers: seed policy: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE casbin_rules IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return false, fmt.Errorf("tiers: seed policy: lock: %w", err)
	}
	var any bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM casbin_rules WHERE ptype = 'p')`).Scan(&any); err != nil {
		return false, fmt.Errorf("tiers: seed policy: %w", err)
	}
	if any {
		return false, nil
	}
	for _, r := range rules {
		if _, err := tx.Exec(ctx, `INSERT INTO casbin_rules (ptype, v0, v1, v2, created_by) VALUES ($1, $2, $3, $4, 'system')`,
			r.PType, r.V[0], r.V[1], r.V[2]); err != nil {
			return false, fmt.Errorf("tiers: seed policy: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("tiers: seed policy: commit: %w", err)
	}
	return true, nil
}

// Holder is a user who holds a role in a domain.
type Holder struct {
	Name   string
	Mobile string // as stored: sealed (store.UsersMobileColumn)
	Role   string // the role's name (ParseRole reads it)
}

// Holders lists the enabled users with a mobile number who hold one of roles in one
// of domains, each once (under the first of their roles by name): the people a
// warning is announced to.
func (s *PGPolicy) Holders(ctx context.Context, roles []Role, domains []string) ([]Holder, error) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (u.id) u.display_name, u.mobile, r.v1
		FROM casbin_rules r JOIN users u ON r.v0 = 'u:' || u.id
		WHERE r.ptype = 'g' AND r.removed_at IS NULL AND r.v1 = ANY($1) AND r.v2 = ANY($2)
			AND u.disabled_at IS NULL AND u.mobile <> ''
		ORDER BY u.id, r.v1`, names, domains)
	if err != nil {
		return nil, fmt.Errorf("policy: holders: %w", err)
	}
	var out []Holder
	var h Holder
	if _, err = pgx.ForEachRow(rows, []any{&h.Name, &h.Mobile, &h.Role}, func() error {
		out = append(out, h)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("policy: holders: %w", err)
	}
	return out, nil
}
