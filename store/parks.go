package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Parks stores chemical parks in PostgreSQL.
type Parks struct {
	pool *pgxpool.Pool
}

// NewParks returns the park store on pool.
func NewParks(pool *pgxpool.Pool) *Parks { return &Parks{pool: pool} }

// Add registers p; an existing code is a conflict.
func (s *Parks) Add(ctx context.Context, p tiers.Park) error {
	if err := tiers.CheckPark(p); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO parks (code, name, division_code) VALUES ($1, $2, $3)`, p.Code, p.Name, p.DivisionCode)
	if uniqueViolation(err) {
		return chemguard.Errorf(chemguard.EConflict, "园区编码「%s」已存在", "park %q already exists", p.Code)
	}
	if err != nil {
		return fmt.Errorf("store: add park: %w", err)
	}
	return nil
}

// Get returns the park with code, or a not_found *chemguard.Error.
func (s *Parks) Get(ctx context.Context, code string) (tiers.Park, error) {
	p := tiers.Park{Code: code}
	err := s.pool.QueryRow(ctx, `SELECT name, division_code FROM parks WHERE code = $1`, code).Scan(&p.Name, &p.DivisionCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, chemguard.Errorf(chemguard.ENotFound, "园区「%s」不存在", "no park %q", code)
	}
	if err != nil {
		return p, fmt.Errorf("store: get park: %w", err)
	}
	return p, nil
}

// List returns the parks under any of the division codes (every park when
// divisions is nil), in code order.
func (s *Parks) List(ctx context.Context, divisions []string) ([]tiers.Park, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, division_code FROM parks
		WHERE disabled_at IS NULL AND ($1::text[] IS NULL OR division_code = ANY($1::text[])) ORDER BY code`, divisions)
	if err != nil {
		return nil, fmt.Errorf("store: list parks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tiers.Park, error) {
		var p tiers.Park
		return p, r.Scan(&p.Code, &p.Name, &p.DivisionCode)
	})
	if err != nil {
		return nil, fmt.Errorf("store: list parks: %w", err)
	}
	return out, nil
}
