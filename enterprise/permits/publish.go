package permits

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Record is the permit as the seed's 表1 (企业特殊作业数据), FILE the permit's
// PDF as printed now.
func Record(p *Permit, pdf []byte) schemas.SpecialOperation {
	yes := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	begin, end := p.PlannedStart, p.PlannedEnd
	if !p.StartedAt.IsZero() {
		begin = p.StartedAt
	}
	if !p.FinishedAt.IsZero() {
		end = p.FinishedAt
	}
	if end.Before(begin) {
		end = begin
	}
	cancelled := p.Status == StatusRevoked || p.Status == StatusVoided || p.Status == StatusRejected
	reason := p.CancelReason
	if p.Status == StatusRejected && reason == "" {
		for _, a := range p.Approvals {
			if !a.Approved {
				reason = "审批未通过（" + a.Label + "）：" + a.Note
			}
		}
	}
	return schemas.SpecialOperation{
		ID:                p.ID,
		CompanyCode:       p.Company,
		TaskDate:          schemas.Date{Time: p.PlannedStart.In(schemas.Shanghai)},
		TaskType:          p.Kind.Code,
		TaskPosition:      p.Place,
		TaskBeginTime:     schemas.DateTime{Time: begin.In(schemas.Shanghai)},
		TaskEndTime:       schemas.DateTime{Time: end.In(schemas.Shanghai)},
		IsContractorTask:  yes(p.ContractorID != 0),
		TaskUnit:          p.Unit,
		MajorPerson:       p.MajorPerson,
		MajorPersonMobile: p.MajorMobile,
		TaskContent:       p.Content,
		IsChanged:         yes(p.ChangedReason != ""),
		ChangedReason:     p.ChangedReason,
		IsCancelled:       yes(cancelled),
		CancelledReason:   reason,
		File:              schemas.File{ContentType: "application/pdf", Size: int64(len(pdf)), Data: pdf},
	}
}

// publish prints the permit as it stands in tx, keeps the PDF, and stages its
// 表1 record in tx: a record the seed's validator refuses rolls the change back.
// tx must hold the permit's row lock (lock) from before it read the state it
// changed: the platform orders a permit's versions by the order they are
// staged, so a state read without the lock could be staged after a newer one
// and become the regulator's current record.
func (s *Service) publish(ctx context.Context, tx pgx.Tx, company, id string) error {
	p, err := s.load(ctx, tx, company, id)
	if err != nil {
		return err
	}
	return s.publishLoaded(ctx, tx, p)
}

// publishLoaded is publish of p, loaded in tx under the permit's row lock.
func (s *Service) publishLoaded(ctx context.Context, tx pgx.Tx, p *Permit) error {
	company, id := p.Company, p.ID
	var buf bytes.Buffer
	if err := s.writePermitPDF(p, &buf); err != nil {
		return err
	}
	ref, err := s.files.Put(buf.Bytes())
	if err != nil {
		return fmt.Errorf("permits: store pdf: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE permits SET pdf_ref = $3, pdf_of = $4 WHERE company = $1 AND id = $2`, company, id, ref, p.UpdatedAt); err != nil {
		return fmt.Errorf("permits: pdf ref: %w", err)
	}
	if err := s.pub.Stage(ctx, tx, schemas.SpecialOperations.Slug, company, Record(p, buf.Bytes())); err != nil {
		return fmt.Errorf("permits: stage 表1: %w", err)
	}
	return nil
}

// PublishPlan stages again, for every company, the permits planned for the
// clock's day that are not yet cancelled: the day's plan the seed wants before
// 10:00. It runs once a day at Config.PlanAt; it returns how many it staged.
func (s *Service) PublishPlan(ctx context.Context) (int, error) {
	now := s.cfg.Now().In(schemas.Shanghai)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schemas.Shanghai)
	rows, _ := s.pool.Query(ctx, `SELECT company, id::text FROM permits WHERE planned_start < $2 AND planned_end >= $1
		AND status NOT IN ('revoked', 'voided', 'rejected', 'archived') ORDER BY company, planned_start`, day, day.AddDate(0, 0, 1))
	type key struct{ Company, ID string }
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[key])
	if err != nil {
		return 0, fmt.Errorf("permits: plan: %w", err)
	}
	staged := 0
	for _, k := range keys {
		// The row lock first, as every change of a permit takes it: a change
		// committed between the query above and this publish is then either
		// before it (and printed by it) or waits for it (and staged after it).
		// Read without the lock, the plan printed the state before a change
		// made meanwhile (an archive, a revocation) and staged it after that
		// change's own record, so the platform kept the older state as
		// current (the regulator saw an accepted permit that was archived,
		// with a PDF that was not the company's print).
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			p, err := s.lock(ctx, tx, k.Company, k.ID)
			if err != nil || !inPlan(p.Status) {
				return err
			}
			staged++
			return s.publishLoaded(ctx, tx, p)
		})
		if err != nil {
			return staged, fmt.Errorf("permits: plan %s: %w", k.ID, err)
		}
	}
	return staged, nil
}

// inPlan reports whether a permit of status belongs in the day's plan: not
// cancelled and not yet archived.
func inPlan(status string) bool {
	switch status {
	case StatusRevoked, StatusVoided, StatusRejected, StatusArchived:
		return false
	}
	return true
}

// Run sweeps the working permits every minute and publishes the day's plan
// once a day at PlanAt, until ctx ends. Errors are reported to report and the
// loop goes on.
func (s *Service) Run(ctx context.Context, every time.Duration, report func(error)) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var planned string
	for {
		now := s.cfg.Now().In(schemas.Shanghai)
		day := now.Format("2006-01-02")
		sinceMidnight := now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schemas.Shanghai))
		if planned != day && sinceMidnight >= s.cfg.PlanAt {
			if _, err := s.PublishPlan(ctx); err != nil {
				report(err)
			} else {
				planned = day
			}
		}
		if _, err := s.Sweep(ctx); err != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
