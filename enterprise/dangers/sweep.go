package dangers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// Tier is who an overdue danger has reached.
type Tier int

// The escalation tiers of an overdue danger.
const (
	TierRectifier Tier = iota + 1 // the 整改责任人, daily
	TierDeptHead                  // and the department's 部门负责人, after DeptHeadAfter
	TierPrincipal                 // and the 主要负责人, urgently, after PrincipalAfter (a 重大隐患 at once)
)

// Escalation is the tier an open danger has reached at now; 0 when not overdue.
func (c Config) Escalation(d *Danger, now time.Time) Tier {
	if !d.Overdue(now) {
		return 0
	}
	late := now.Sub(d.Deadline)
	switch {
	case d.Level == 1 || late >= c.PrincipalAfter:
		return TierPrincipal
	case late >= c.DeptHeadAfter:
		return TierDeptHead
	}
	return TierRectifier
}

// Sweep runs the ledger's periodic work at the clock's now: it imports the
// regulators' dangers (Sync) of every company using the base system, reminds
// the 安全管理员 of dangers still 待分派, and pushes every overdue danger to the
// people its tier reaches — each person once a day per danger (the notices'
// Key), so running it often is harmless.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Clock()
	if s.Exchange != nil {
		rows, err := s.Pool.Query(ctx, `SELECT DISTINCT company FROM enterprise_members`)
		if err != nil {
			return fmt.Errorf("dangers: sweep companies: %w", err)
		}
		companies, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("dangers: sweep companies: %w", err)
		}
		for _, c := range companies {
			if _, err := s.Sync(ctx, c); err != nil {
				slog.Warn("dangers: sync", "company", c, "err", err)
			}
		}
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+dangerColumns+dangerFrom+` WHERE d.deleted_at IS NULL
		AND (d.state = 'registered' OR (d.state = 'rectifying' AND d.deadline < $1)) ORDER BY d.company, d.deadline`, now)
	if err != nil {
		return fmt.Errorf("dangers: sweep: %w", err)
	}
	open, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Danger, error) { return scanDanger(r) })
	if err != nil {
		return fmt.Errorf("dangers: sweep: %w", err)
	}
	day := now.In(schemas.Shanghai).Format(schemas.DateLayout)
	for i := range open {
		d := &open[i]
		link := enterprise.Prefix + "/dangers/" + d.ID.String()
		if d.State == Registered {
			s.notifyRole(ctx, d, policy.EnterpriseSafety, enterprise.Notice{Kind: "danger_registered",
				Title: "新登记隐患待分派：" + d.Name, Body: d.Place + " " + d.Description, Link: link,
				Key: "danger_registered:" + d.ID.String()})
			if !d.Overdue(now) {
				continue
			}
		}
		s.escalate(ctx, d, now, day)
	}
	return nil
}

func (s *Service) escalate(ctx context.Context, d *Danger, now time.Time, day string) {
	tier := s.cfg.Escalation(d, now)
	if tier == 0 {
		return
	}
	days := int(now.Sub(d.Deadline).Hours()/24) + 1
	level := "一般隐患"
	if d.Level == 1 {
		level = "重大隐患"
	}
	body := fmt.Sprintf("%s「%s」（%s）已超过整改期限 %s，逾期第 %d 天，整改责任人：%s。", level, d.Name, d.Place,
		d.Deadline.In(schemas.Shanghai).Format(schemas.DateTimeLayout), days, orDash(d.LiableName))
	n := func(t Tier, urgent bool, link string) enterprise.Notice {
		return enterprise.Notice{Kind: "danger_overdue", Title: "隐患逾期未整改：" + d.Name, Body: body, Link: link,
			Urgent: urgent, Key: "danger_overdue:" + d.ID.String() + ":" + strconv.Itoa(int(t)) + ":" + day}
	}
	if d.LiableID != 0 {
		s.notify(ctx, d.Company, []int64{d.LiableID}, n(TierRectifier, d.Level == 1, enterprise.PhonePrefix+"/dangers/"+d.ID.String()))
	}
	link := enterprise.Prefix + "/dangers/" + d.ID.String()
	if tier >= TierDeptHead && d.DepartmentID != 0 {
		deps, err := s.Directory.Departments(ctx, d.Company)
		if err != nil {
			slog.Warn("dangers: departments", "company", d.Company, "err", err)
		}
		for _, dep := range deps {
			if dep.ID == d.DepartmentID && dep.HeadID != 0 {
				s.notify(ctx, d.Company, []int64{dep.HeadID}, n(TierDeptHead, d.Level == 1, link))
			}
		}
	}
	if tier >= TierPrincipal {
		s.notifyRole(ctx, d, policy.EnterprisePrincipal, n(TierPrincipal, true, link))
	}
}

func orDash(s string) string {
	if s == "" {
		return "未指定"
	}
	return s
}

// Sync imports the company's hidden dangers the regulators issued (表6 records
// with DANGER_SRC 11 on the platform, published by the inspector app) into the
// ledger, keeping their ID so the company's rectification continues the same
// record. Idempotent: a danger already in the ledger is left alone. Returns how
// many were imported.
func (s *Service) Sync(ctx context.Context, company string) (int, error) {
	if s.Exchange == nil {
		return 0, nil
	}
	dir, err := s.directory(ctx, company)
	if err != nil {
		return 0, err
	}
	var since time.Time
	err = s.Pool.QueryRow(ctx, `SELECT synced_until FROM enterprise_danger_sync WHERE company = $1`, company).Scan(&since)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("dangers: sync mark: %w", err)
	}
	var after store.Cursor
	imported := 0
	var newest time.Time
	for {
		page, err := s.Exchange.List(ctx, schemas.HiddenDangers, company, since, after, 500)
		if err != nil {
			return imported, fmt.Errorf("dangers: sync list: %w", err)
		}
		for _, c := range page {
			if c.UpdatedAt.After(newest) {
				newest = c.UpdatedAt
			}
			if c.Deleted {
				continue
			}
			var r schemas.HiddenDanger
			if err := json.Unmarshal(c.Doc, &r); err != nil || r.DangerSrc != schemas.DangerSrcSupervision {
				continue
			}
			ok, err := s.importIssued(ctx, company, &r, dir)
			if err != nil {
				return imported, err
			}
			if ok {
				imported++
			}
		}
		if len(page) < 500 {
			break
		}
		last := page[len(page)-1]
		after = store.Cursor{UpdatedAt: last.UpdatedAt, Key: last.Key}
	}
	if !newest.IsZero() {
		// Keep a minute's overlap: a record committed late with an earlier
		// updated_at is still seen; importing is idempotent.
		if _, err := s.Pool.Exec(ctx, `INSERT INTO enterprise_danger_sync (company, synced_until) VALUES ($1, $2)
			ON CONFLICT (company) DO UPDATE SET synced_until = greatest(enterprise_danger_sync.synced_until, $2)`,
			company, newest.Add(-time.Minute)); err != nil {
			return imported, fmt.Errorf("dangers: sync mark: %w", err)
		}
	}
	return imported, nil
}

func (s *Service) importIssued(ctx context.Context, company string, r *schemas.HiddenDanger, dir people) (bool, error) {
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return false, nil
	}
	now := s.Clock()
	atoi := func(n schemas.Number) int { v, _ := strconv.Atoi(string(n)); return v }
	d := Danger{ID: id, Company: company, State: Rectifying, HazardCode: r.HazardCode, RiskMeasureID: r.RiskMeasureID,
		Report: Report{Name: r.DangerName, Description: r.DangerDesc, Level: atoi(r.DangerLevel), Type: atoi(r.HazardDangerType),
			Source: r.DangerSrc, ManageType: atoi(r.DangerManageType), Reason: r.DangerReason, FoundOn: r.RegistTime.Time},
		RegistrantName: r.Registrant, RegisteredAt: r.RegistTime.Time,
		Deadline: r.DangerManageDeadline.Time, LiableName: r.LiablePerson, LiableUnit: "", Inspectors: r.Registrant,
		AcceptorName: r.CheckAcceptPerson, AcceptedAt: r.CheckAcceptTime.Time, AcceptComment: r.CheckAcceptComment,
		Origin: "inspect", CreatedAt: now, UpdatedAt: now}
	switch string(r.DangerState) {
	case schemas.DangerStatePendingAcceptance:
		d.State = Pending
	case schemas.DangerStateAccepted:
		d.State = Accepted
	}
	if p, ok := dir.names[r.LiablePerson]; ok {
		d.LiableID, d.DepartmentID = p.UserID, p.DepartmentID
	}
	added := false
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO enterprise_dangers (id, company, state, hazard_code, name, description,
			level, danger_type, source, manage_type, found_on, registrant_name, registered_at, created_at, updated_at)
			VALUES ($1, $2, 'registered', '', '', '', 0, 8, '11', 1, $3, '', $4, $5, $5) ON CONFLICT (id) DO NOTHING`,
			d.ID, company, d.RegisteredAt, d.RegisteredAt, now)
		if err != nil {
			return fmt.Errorf("dangers: import issued: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		if err := save(ctx, tx, &d); err != nil {
			return err
		}
		added = true
		_, err = addEvent(ctx, tx, &d, Event{At: now, ActorName: r.Registrant, Action: "sync",
			Note: "监管部门监督检查下发，检查人员：" + r.Registrant}, "")
		return err
	})
	if err != nil || !added {
		return false, err
	}
	if d.LiableID != 0 && d.State == Rectifying {
		s.notifyAssigned(ctx, &d)
	}
	s.notifyRole(ctx, &d, policy.EnterpriseSafety, enterprise.Notice{Kind: "danger_issued",
		Title: "监管部门下发隐患：" + d.Name, Body: d.Description, Urgent: d.Level == 1,
		Link: enterprise.Prefix + "/dangers/" + d.ID.String(), Key: "danger_issued:" + d.ID.String()})
	return true, nil
}

// Run sweeps every interval until ctx ends (the platform's scheduler calls
// it once per process; notices are keyed, so two processes sweeping tell no
// one twice). A failed sweep is logged and retried at the next tick.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("dangers: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
