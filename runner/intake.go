package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/events"
)

// Intake is the platform's intake clock as one engine's consumer stores it: a
// one-row table (id, received_at, since, updated_at) written in the same
// transaction as the records it describes. The update is computed in SQL from the
// batch's receive times, so two processes storing batches at once both move it
// forward; events.Intake.Advance computes the same in memory.
type Intake struct {
	// Name prefixes logs and errors.
	Name string
	// Table is the table's name, a constant of the caller's (warning_intake,
	// governance_intake), never input.
	Table string
	// Gap is how long the platform may deliver nothing before its intake counts as
	// restarted (0: never restarts).
	Gap time.Duration
	// Stalled and Resumed are logged, once per outage, when the intake stops for
	// longer than Gap and when it resumes.
	Stalled, Resumed string

	stalled bool // the ticker has reported the intake stopped
}

// Querier is what Read reads through: a pool or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Read reads the stored intake (the zero Intake before any record).
func (in *Intake) Read(ctx context.Context, q Querier) (events.Intake, error) {
	var out events.Intake
	err := q.QueryRow(ctx, `SELECT received_at, since FROM `+in.Table+` WHERE id = 1`).Scan(&out.At, &out.Since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("%s: read intake: %w", in.Name, err)
	}
	return out, nil
}

// Batch is what one batch says of the platform's intake: the receive times of its
// records, the oldest and newest, and, when the batch itself spans a gap longer than
// the intake's, the first receive time after the last such gap.
type Batch struct {
	received                []time.Time
	oldest, newest, resumed time.Time
}

// Of summarises the receive times of a batch (nil when none).
func (in *Intake) Of(received []time.Time) *Batch {
	if len(received) == 0 {
		return nil
	}
	ts := slices.Clone(received)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	b := &Batch{received: received, oldest: ts[0], newest: ts[len(ts)-1]}
	for i := 1; in.Gap > 0 && i < len(ts); i++ {
		if ts[i].Sub(ts[i-1]) > in.Gap {
			b.resumed = ts[i]
		}
	}
	return b
}

// After is the intake once b is stored on top of stored (stored itself when the
// batch has no receive time).
func (in *Intake) After(stored events.Intake, b *Batch) events.Intake {
	if b == nil {
		return stored
	}
	return stored.Advance(b.received, in.Gap)
}

// Write stores the update of the intake by b in tx (nothing when b is nil): the
// newest receive time moves forward only, and the intake restarts when the batch
// begins more than Gap after the newest record stored before it, or spans such a
// gap itself.
func (in *Intake) Write(ctx context.Context, tx pgx.Tx, b *Batch) error {
	if b == nil {
		return nil
	}
	var gapMicros any
	if in.Gap > 0 {
		gapMicros = in.Gap.Microseconds()
	}
	var resumed any
	if !b.resumed.IsZero() {
		resumed = b.resumed
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+in.Table+` AS i (id, received_at, since) VALUES (1, $2::timestamptz, COALESCE($3::timestamptz, $1::timestamptz))
		ON CONFLICT (id) DO UPDATE SET
			since = CASE
				WHEN $3::timestamptz IS NOT NULL AND $3 > i.since THEN $3
				WHEN $1::timestamptz - i.received_at > $4::bigint * interval '1 microsecond' THEN $1
				ELSE i.since END,
			received_at = GREATEST(i.received_at, $2), updated_at = now()`,
		b.oldest, b.newest, resumed, gapMicros)
	if err != nil {
		return fmt.Errorf("%s: write intake: %w", in.Name, err)
	}
	return nil
}

// Watch logs, once per outage, that the platform's intake has stopped (nothing from
// anyone for longer than Gap) and that it resumed, and returns how long it has been
// silent at now (0 before any record). Only the ticker calls it.
func (in *Intake) Watch(now time.Time, cur events.Intake) time.Duration {
	if cur.At.IsZero() {
		return 0
	}
	age := now.Sub(cur.At)
	stalled := in.Gap > 0 && age > in.Gap
	switch {
	case stalled && !in.stalled:
		slog.Error(in.Name+": "+in.Stalled, "last_received", cur.At, "for", age.Round(time.Second))
	case !stalled && in.stalled:
		slog.Info(in.Name+": "+in.Resumed, "since", cur.Since)
	}
	in.stalled = stalled
	return age
}
