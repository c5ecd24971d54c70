package notices_test

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/auth"
	"github.com/shandong-emergency/chemguard/governancesvc/govtest"
)

// env is the notices API on a fresh database.
type env struct {
	govtest.Client
	pool *pgxpool.Pool
	acc  *auth.Service
}

func f(v float64) *float64 { return &v }
