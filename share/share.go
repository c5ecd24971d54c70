// Package share owns the regional read API: the data-sharing feed that city and
// county systems pull (the seed's 省、市、县三级数据共享) and the regulator's
// scoped reads of enterprises and their records. Every query filters by the
// caller's region in SQL (tiers.Scope), never after fetching.
package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Row is one current record in the feed.
type Row struct {
	Company   string          `json:"company_code"`
	Key       string          `json:"id"`
	Deleted   bool            `json:"deleted"`
	UpdatedAt time.Time       `json:"updated_at"`
	Doc       json.RawMessage `json:"record"`
}

// Cursor is a position in the feed's change order (updated_at, company_code,
// record_key).
type Cursor struct {
	UpdatedAt time.Time `json:"u"`
	Company   string    `json:"c"`
	Key       string    `json:"k"`
}

// Enterprise is an enterprise as the regional API shows it.
type Enterprise struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	DivisionCode string `json:"division_code"`
	ParkCode     string `json:"park_code,omitempty"`
	Kind         string `json:"kind"`
}

// Path is the enterprise's resource path for the authorizer.
func (e Enterprise) Path() string { return tiers.EnterprisePath(e.DivisionCode, e.ParkCode, e.Code) }

// Store runs the regional queries.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns the store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Feed returns up to limit current records of table t belonging to enterprises in
// scope, after cursor, in change order. Records changed within lag of the
// database's clock are held back, so a transaction that commits late cannot slip
// behind a cursor already handed out.
func (s *Store) Feed(ctx context.Context, t *schemas.Table, scope tiers.Scope, after Cursor, lag time.Duration, limit int) ([]Row, error) {
	return s.feed(ctx, t.Slug, feedSource{from: t.SQLName(), key: "x.record_key", deleted: "x.deleted", doc: "x.doc"},
		scope, after, lag, limit)
}

// WarningsSlug is the feed name of the warnings (风险预警), beside the exchange tables.
const WarningsSlug = "warnings"

// FeedWarnings is Feed for the warnings the warning service keeps: each row's record
// holds the warning's level, step, tier watching, factors and the engine's full
// account of it (history and disposal).
func (s *Store) FeedWarnings(ctx context.Context, scope tiers.Scope, after Cursor, lag time.Duration, limit int) ([]Row, error) {
	return s.feed(ctx, WarningsSlug, feedSource{from: "warnings", key: "x.warning_key", deleted: "false",
		doc: `jsonb_build_object('id', x.warning_key, 'model', x.model, 'subject', x.subject, 'area', x.area,
			'level', x.level, 'score', x.score, 'status', x.status, 'step', x.step, 'tier', x.tier,
			'raised_at', x.raised_at, 'settled_at', x.settled_at, 'factors', x.factors, 'warning', x.doc)`},
		scope, after, lag, limit)
}

// feedSource says where a feed's rows come from: a table with company_code and
// updated_at columns, and the expressions for its key, deletion flag and record.
type feedSource struct {
	from, key, deleted, doc string
}

func (s *Store) feed(ctx context.Context, name string, src feedSource, scope tiers.Scope, after Cursor, lag time.Duration, limit int) ([]Row, error) {
	where, args := scope.Where("e", 6)
	sql := `SELECT x.company_code, ` + src.key + `, ` + src.deleted + `, x.updated_at, ` + src.doc + ` FROM ` + src.from + ` x
		JOIN enterprises e ON e.code = x.company_code
		WHERE ` + where + ` AND (x.updated_at, x.company_code, ` + src.key + `) > ($1, $2, $3)
		AND x.updated_at < now() - $4::interval
		ORDER BY x.updated_at, x.company_code, ` + src.key + ` LIMIT $5`
	if after.UpdatedAt.IsZero() {
		after.UpdatedAt = time.Unix(0, 0)
	}
	rows, err := s.pool.Query(ctx, sql, append([]any{after.UpdatedAt, after.Company, after.Key, lag, limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("share: feed %s: %w", name, err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.Company, &r.Key, &r.Deleted, &r.UpdatedAt, &r.Doc); err != nil {
			return nil, fmt.Errorf("share: feed %s: %w", name, err)
		}
		// Personal data (phone numbers) leaves only masked: no city or county
		// system needs the number itself — warning SMS are sent by the platform.
		r.Doc = sealed.DisplayDoc(r.Doc)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("share: feed %s: %w", name, err)
	}
	return out, nil
}

// Enterprises returns up to limit enterprises in scope with codes after
// afterCode, in code order.
func (s *Store) Enterprises(ctx context.Context, scope tiers.Scope, afterCode string, limit int) ([]Enterprise, error) {
	where, args := scope.Where("e", 3)
	rows, err := s.pool.Query(ctx, `SELECT e.code, e.name, e.division_code, COALESCE(e.park_code, ''), e.kind
		FROM enterprises e WHERE `+where+` AND e.code > $1 ORDER BY e.code LIMIT $2`,
		append([]any{afterCode, limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("share: enterprises: %w", err)
	}
	defer rows.Close()
	out := []Enterprise{}
	for rows.Next() {
		var e Enterprise
		if err := rows.Scan(&e.Code, &e.Name, &e.DivisionCode, &e.ParkCode, &e.Kind); err != nil {
			return nil, fmt.Errorf("share: enterprises: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("share: enterprises: %w", err)
	}
	return out, nil
}

// Enterprise returns one enterprise, or a not_found *chemguard.Error.
func (s *Store) Enterprise(ctx context.Context, code string) (Enterprise, error) {
	var e Enterprise
	err := s.pool.QueryRow(ctx, `SELECT code, name, division_code, COALESCE(park_code, ''), kind FROM enterprises WHERE code = $1`, code).
		Scan(&e.Code, &e.Name, &e.DivisionCode, &e.ParkCode, &e.Kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, chemguard.Errorf(chemguard.ENotFound, "企业「%s」未注册", "enterprise %q is not registered", code)
	}
	if err != nil {
		return e, fmt.Errorf("share: enterprise: %w", err)
	}
	return e, nil
}

// Record returns the current version of one record of an enterprise.
func (s *Store) Record(ctx context.Context, t *schemas.Table, company, key string) (Row, error) {
	r := Row{Company: company, Key: key}
	err := s.pool.QueryRow(ctx, `SELECT deleted, updated_at, doc FROM `+t.SQLName()+` WHERE company_code = $1 AND record_key = $2`,
		company, key).Scan(&r.Deleted, &r.UpdatedAt, &r.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, chemguard.Errorf(chemguard.ENotFound, "未找到%s记录「%s」", "no %s record %q", t.NameZH, key)
	}
	if err != nil {
		return r, fmt.Errorf("share: record %s: %w", t.Slug, err)
	}
	return r, nil
}
