package warningsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shandong-emergency/chemguard/events"
)

// batchIntake is what one batch says of the platform's intake of sensor readings:
// the oldest and newest receive times, and, when the batch itself spans a gap
// longer than alarms.intake_gap, the first receive time after the last such gap —
// the arguments of the stored intake's update (writer.intake), which computes in
// SQL what events.Intake.Advance computes in memory, so that two processes
// storing batches at once both move it forward.
type batchIntake struct {
	received                []time.Time
	oldest, newest, resumed time.Time
}

// intakeOf summarises the receive times of a batch's readings (nil when none).
func intakeOf(received []time.Time, gap time.Duration) *batchIntake {
	if len(received) == 0 {
		return nil
	}
	ts := slices.Clone(received)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	in := &batchIntake{received: received, oldest: ts[0], newest: ts[len(ts)-1]}
	for i := 1; gap > 0 && i < len(ts); i++ {
		if ts[i].Sub(ts[i-1]) > gap {
			in.resumed = ts[i]
		}
	}
	return in
}

// after is the intake once the batch is stored on top of in (in itself when the
// batch has no reading).
func (b *batchIntake) after(in events.Intake, gap time.Duration) events.Intake {
	if b == nil {
		return in
	}
	return in.Advance(b.received, gap)
}

// intake queues the update of the stored intake by a batch: the newest receive
// time moves forward only, and the intake restarts when the batch begins more than
// gap after the newest reading stored before it, or spans such a gap itself.
func (w *writer) intake(in *batchIntake, gap time.Duration) {
	if in == nil {
		return
	}
	var gapMicros any
	if gap > 0 {
		gapMicros = gap.Microseconds()
	}
	w.b.Queue(`INSERT INTO warning_intake AS i (id, received_at, since) VALUES (1, $2::timestamptz, COALESCE($3::timestamptz, $1::timestamptz))
		ON CONFLICT (id) DO UPDATE SET
			since = CASE
				WHEN $3::timestamptz IS NOT NULL AND $3 > i.since THEN $3
				WHEN $1::timestamptz - i.received_at > $4::bigint * interval '1 microsecond' THEN $1
				ELSE i.since END,
			received_at = GREATEST(i.received_at, $2), updated_at = now()`,
		in.oldest, in.newest, tsOrNil(in.resumed), gapMicros)
}

// readIntake reads the stored intake (the zero Intake before any reading).
func readIntake(ctx context.Context, pool *pgxpool.Pool) (events.Intake, error) {
	var in events.Intake
	err := pool.QueryRow(ctx, `SELECT received_at, since FROM warning_intake WHERE id = 1`).Scan(&in.At, &in.Since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return in, fmt.Errorf("alerting: read intake: %w", err)
	}
	return in, nil
}

// watchIntake logs, once per outage, that the platform's own intake of sensor
// readings has stopped (no reading from anyone for longer than alarms.intake_gap):
// 数据中断 is held for every company meanwhile, so the outage is the platform's to
// see, in its log and in chemguard_warning_intake_age_seconds.
func (s *Service) watchIntake(now time.Time, in events.Intake) {
	if in.At.IsZero() {
		return
	}
	age := now.Sub(in.At)
	if m := s.cfg.Metrics; m != nil {
		m.IntakeAge.Set(age.Seconds())
	}
	gap := s.cfg.Models.Alarms.IntakeGap
	stalled := gap > 0 && age > gap
	switch {
	case stalled && !s.intakeStalled:
		slog.Error("alerting: 平台接入中断 — no sensor reading from any company; 数据中断 alarms are held until the intake resumes",
			"last_received", in.At, "for", age.Round(time.Second))
	case !stalled && s.intakeStalled:
		slog.Info("alerting: platform intake of sensor readings resumed", "since", in.Since)
	}
	s.intakeStalled = stalled
}
