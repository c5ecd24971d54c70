package governancesvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shandong-emergency/chemguard/events"
)

// readIntake reads the platform's intake of exchange records as stored by this
// consumer group (the zero Intake before any record), locking the row for the
// transaction when lock is set.
func readIntake(ctx context.Context, tx pgx.Tx, lock bool) (events.Intake, error) {
	var in events.Intake
	q := `SELECT received_at, since FROM governance_intake WHERE id = 1`
	if lock {
		q += ` FOR UPDATE`
	}
	err := tx.QueryRow(ctx, q).Scan(&in.At, &in.Since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return in, fmt.Errorf("quality: read intake: %w", err)
	}
	return in, nil
}

// intake queues the storing of the intake a batch advanced to (nothing when the
// batch held no receive time): the newest receive time moves forward only.
func (w *writer) intake(before, after events.Intake) {
	if after == before || after.At.IsZero() {
		return
	}
	w.b.Queue(`INSERT INTO governance_intake AS i (id, received_at, since, updated_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET received_at = GREATEST(i.received_at, EXCLUDED.received_at),
			since = GREATEST(i.since, EXCLUDED.since), updated_at = EXCLUDED.updated_at`, after.At, after.Since, w.now)
}

// watchIntake logs, once per outage, that the platform's own intake has stopped (no
// exchange record from anyone for longer than limits.intake_gap): facts from
// absence are held for every company meanwhile, so the outage is the platform's to
// see.
func (s *Service) watchIntake(now time.Time, in events.Intake) {
	if in.At.IsZero() {
		return
	}
	gap := s.cfg.Rules.Limits.IntakeGap
	age := now.Sub(in.At)
	stalled := gap > 0 && age > gap
	switch {
	case stalled && !s.intakeStalled:
		slog.Error("quality: 平台接入中断 — no exchange record from any company; facts from absence are held until the intake resumes",
			"last_received", in.At, "for", age.Round(time.Second))
	case !stalled && s.intakeStalled:
		slog.Info("quality: platform intake of exchange records resumed", "since", in.Since)
	}
	s.intakeStalled = stalled
}
