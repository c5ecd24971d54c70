package dangers

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/store"
)

// Ledger builds the module from the platform's foundation and stands for its
// ledger before it is built: the platform lists Ledger.Factory among the base
// system's modules before the checks' module, and hands the checks the Ledger
// as their enterprise.DangerRegistry.
type Ledger struct {
	cfg Config
	mod *Module
}

// NewLedger returns the ledger to be built with cfg.
func NewLedger(cfg Config) *Ledger { return &Ledger{cfg: cfg} }

// Factory builds the module (an enterprise.ModuleFactory). The inspector's
// dangers are read from the platform's exchange store (表6 carries no
// personal-data field, so the unsealed reader reads it as stored).
func (l *Ledger) Factory(f enterprise.Foundation) (enterprise.Module, error) {
	m, err := New(Deps{Pool: f.Pool, Directory: f.Directory, Notifier: f.Notifier, Publisher: f.Publisher,
		Files: f.Files, Exchange: store.NewExchange(f.Pool), Audit: f.Audit, Clock: f.Now}, l.cfg)
	if err != nil {
		return nil, err
	}
	l.mod = m
	return m, nil
}

var errNotBuilt = errors.New("dangers: the ledger is used before the platform built it (list Ledger.Factory first)")

// RegisterFinding is the built ledger's (enterprise.DangerRegistry).
func (l *Ledger) RegisterFinding(ctx context.Context, tx pgx.Tx, f enterprise.Finding) (string, error) {
	if l.mod == nil {
		return "", errNotBuilt
	}
	return l.mod.svc.RegisterFinding(ctx, tx, f)
}

// Run sweeps the built ledger every interval until ctx ends (see Service.Sweep).
func (l *Ledger) Run(ctx context.Context, every time.Duration) error {
	if l.mod == nil {
		return errNotBuilt
	}
	l.mod.svc.Run(ctx, every)
	return nil
}

// Get is the built ledger's Service.Get.
func (l *Ledger) Get(ctx context.Context, company, id string) (Danger, error) {
	if l.mod == nil {
		return Danger{}, errNotBuilt
	}
	return l.mod.svc.Get(ctx, company, id)
}

var _ enterprise.DangerRegistry = (*Ledger)(nil)
