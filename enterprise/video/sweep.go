package video

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Sweep does the module's timed work for every company: it clears the alarms
// of boxes that send no 销警 once their auto-clear time passed, and stages 表3
// for each device whose last report is StatusEvery old — RUN_STATUS 1 when
// the box called in (heartbeat or alarm) within OfflineAfter, else 0. Every
// step is recorded in the database, so a restart neither skips nor repeats a
// report.
func (s *Service) Sweep(ctx context.Context) error {
	if err := s.autoClear(ctx); err != nil {
		return err
	}
	return s.reportStatus(ctx)
}

// Run sweeps every interval until ctx ends; errors go to onErr.
func (s *Service) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) autoClear(ctx context.Context) error {
	now := s.cfg.Now()
	type due struct {
		ID, Company, Kind, Device, Camera, Type, Image string
		At                                             time.Time
	}
	rows, _ := s.pool.Query(ctx, `SELECT a.id::text, a.company, e.kind, d.code, a.camera_code, a.alarm_type, a.image_ref,
		a.raised_at + make_interval(mins => d.auto_clear_minutes)
		FROM video_alarms a JOIN video_devices d ON d.id = a.device_id JOIN enterprises e ON e.code = a.company
		WHERE a.cleared_at IS NULL AND d.auto_clear_minutes > 0 AND a.raised_at + make_interval(mins => d.auto_clear_minutes) <= $1
		ORDER BY a.raised_at LIMIT 500`, now)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
	if err != nil {
		return fmt.Errorf("video: auto-clear: %w", err)
	}
	for _, a := range list {
		img, err := s.files.Get(a.Image)
		if err != nil {
			return fmt.Errorf("video: auto-clear image: %w", err)
		}
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE video_alarms SET cleared_at = cleared_at WHERE id = $1 AND cleared_at IS NULL`, a.ID)
			if err != nil || tag.RowsAffected() == 0 {
				return err // a clear from the box arrived meanwhile
			}
			return s.closeAlarm(ctx, tx, a.Company, SpaceOf(a.Kind), a.ID, a.At, "", "auto", a.Device, a.Camera, a.Type, img)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) reportStatus(ctx context.Context) error {
	now := s.cfg.Now()
	type dev struct {
		ID, Company, Kind, Code string
		Last                    *time.Time
	}
	rows, _ := s.pool.Query(ctx, `SELECT d.id::text, d.company, e.kind, d.code, d.last_heartbeat FROM video_devices d JOIN enterprises e ON e.code = d.company
		WHERE d.deleted_at IS NULL AND e.disabled_at IS NULL AND (d.status_reported_at IS NULL OR d.status_reported_at <= $1) ORDER BY d.company, d.code`,
		now.Add(-s.cfg.StatusEvery))
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dev])
	if err != nil {
		return fmt.Errorf("video: status: %w", err)
	}
	for _, d := range list {
		sp := SpaceOf(d.Kind)
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			// The list was read without the devices' locks: under the lock the
			// device is read again, and skipped when it was removed (its status
			// is no longer reported) or reported by another sweep meanwhile.
			// Its last call is the one as of now, not as of the list.
			err := tx.QueryRow(ctx, `UPDATE video_devices SET status_reported_at = $2
				WHERE id::text = $1 AND deleted_at IS NULL AND (status_reported_at IS NULL OR status_reported_at <= $3)
				RETURNING code, last_heartbeat`, d.ID, now, now.Add(-s.cfg.StatusEvery)).Scan(&d.Code, &d.Last)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			status := schemas.RunStatusAbnormal
			if d.Last != nil && now.Sub(*d.Last) <= s.cfg.OfflineAfter {
				status = schemas.RunStatusNormal
			}
			rec := schemas.VideoDeviceStatus{DeviceCode: d.Code, DateTime: seedTime(now), RunStatus: status}
			if sp.GasStation {
				return s.pub.Stage(ctx, tx, sp.Statuses.Slug, d.Company, schemas.GasStationVideoDeviceStatus(rec))
			}
			return s.pub.Stage(ctx, tx, sp.Statuses.Slug, d.Company, rec)
		})
		if err != nil {
			return fmt.Errorf("video: status of %s: %w", d.Code, err)
		}
	}
	return nil
}
