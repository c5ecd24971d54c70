package tiers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
)

// Park is a chemical park (化工园区): a unit under a county or a city that
// enterprises may belong to, and the domain of the park regulator roles.
type Park struct {
	Code         string
	Name         string
	DivisionCode string // GB/T 2260 county or city the park is under
}

// CheckPark returns an invalid *chemguard.Error unless p has a well-formed
// code (CheckParkCode), a name and a Shandong city or county as its division.
func CheckPark(p Park) error {
	if err := CheckParkCode(p.Code); err != nil {
		return err
	}
	if strings.TrimSpace(p.Name) == "" {
		return chemguard.Errorf(chemguard.EInvalid, "园区名称为必填项", "park %s: a name is required", p.Code)
	}
	d, ok := DivisionByCode(p.DivisionCode)
	if !ok || d.Level == Province {
		return chemguard.Errorf(chemguard.EInvalid, "园区所在行政区划须为山东省的市或区县（GB/T 2260）",
			"park %s: %q is not a Shandong city or county", p.Code, p.DivisionCode)
	}
	return nil
}

// PGParks stores chemical parks in PostgreSQL.
type PGParks struct {
	pool *pgxpool.Pool
}

// NewPGParks returns the park store on pool.
func NewPGParks(pool *pgxpool.Pool) *PGParks { return &PGParks{pool: pool} }

// Add registers p; an existing code is a conflict.
func (s *PGParks) Add(ctx context.Context, p Park) error {
	if err := CheckPark(p); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO parks (code, name, division_code) VALUES ($1, $2, $3)`, p.Code, p.Name, p.DivisionCode)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return chemguard.Errorf(chemguard.EConflict, "园区编码「%s」已存在", "park %q already exists", p.Code)
	}
	if err != nil {
		return fmt.Errorf("tiers: add park: %w", err)
	}
	return nil
}

// Get returns the park with code, or a not_found *chemguard.Error.
func (s *PGParks) Get(ctx context.Context, code string) (Park, error) {
	p := Park{Code: code}
	err := s.pool.QueryRow(ctx, `SELECT name, division_code FROM parks WHERE code = $1`, code).Scan(&p.Name, &p.DivisionCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, chemguard.Errorf(chemguard.ENotFound, "园区「%s」不存在", "no park %q", code)
	}
	if err != nil {
		return p, fmt.Errorf("tiers: get park: %w", err)
	}
	return p, nil
}

// List returns the parks under any of the division codes (every park when
// divisions is nil), in code order.
func (s *PGParks) List(ctx context.Context, divisions []string) ([]Park, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, division_code FROM parks
		WHERE disabled_at IS NULL AND ($1::text[] IS NULL OR division_code = ANY($1::text[])) ORDER BY code`, divisions)
	if err != nil {
		return nil, fmt.Errorf("tiers: list parks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Park, error) {
		var p Park
		return p, r.Scan(&p.Code, &p.Name, &p.DivisionCode)
	})
	if err != nil {
		return nil, fmt.Errorf("tiers: list parks: %w", err)
	}
	return out, nil
}
