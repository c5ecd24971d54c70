package permits

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// GasInput is one gas analysis as recorded on site.
type GasInput struct {
	SampledAt time.Time
	Point     string // 取样点
	Gas       string
	Value     float64
	Unit      string
	Indicator string // INDICATOR_CODE when the value was taken from a fixed detector
	Signature []byte // the analyst's signature (PNG), optional
}

// GasLimit is the qualified range of a gas (either bound may be absent).
type GasLimit struct {
	Name       string
	Unit       string
	Low, High  *float64
	Clause     string
	fromLibrar bool
}

func f(v float64) *float64 { return &v }

// DefaultGasLimits are the qualified ranges (GB 30871-2022 5.3 动火分析, 6
// 受限空间 氧含量与有毒气体; the sub-clause numbers and the 10 %LEL criterion
// could not be checked against the standard's text, see docs/base-system.md);
// the company's gas library overrides them by name.
var DefaultGasLimits = []GasLimit{
	{Name: "可燃气体", Unit: "%LEL", High: f(10), Clause: "GB 30871-2022 5.3（动火分析）：不大于爆炸下限的 10%（LEL）"},
	{Name: "氧气", Unit: "%VOL", Low: f(19.5), High: f(21), Clause: "GB 30871-2022 6（受限空间）：氧含量 19.5%～21%"},
	{Name: "硫化氢", Unit: "mg/m3", High: f(10), Clause: "GBZ 2.1 最高容许浓度（GB 30871-2022 6 引用）"},
	{Name: "一氧化碳", Unit: "mg/m3", High: f(30), Clause: "GBZ 2.1 短时间接触容许浓度（GB 30871-2022 6 引用）"},
}

// GasLimits returns the company's gas library merged over DefaultGasLimits.
func (s *Service) GasLimits(ctx context.Context, m *enterprise.Member) ([]GasLimit, error) {
	out := append([]GasLimit{}, DefaultGasLimits...)
	rows, _ := s.pool.Query(ctx, `SELECT name, unit, limit_low, limit_high FROM permit_library WHERE company = $1 AND kind = 'gas' AND deleted_at IS NULL ORDER BY name`, m.Company)
	var l GasLimit
	_, err := pgx.ForEachRow(rows, []any{&l.Name, &l.Unit, &l.Low, &l.High}, func() error {
		l.Clause, l.fromLibrar = "企业检测气体库", true
		for i := range out {
			if out[i].Name == l.Name {
				out[i] = l
				return nil
			}
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("permits: gas limits: %w", err)
	}
	return out, nil
}

// RecordGas records a gas analysis; whether it qualifies follows the gas's
// limit. A sample from the future, or of a gas with no limit, is refused.
func (s *Service) RecordGas(ctx context.Context, m *enterprise.Member, id string, in GasInput) (qualified bool, err error) {
	limits, err := s.GasLimits(ctx, m)
	if err != nil {
		return false, err
	}
	var lim *GasLimit
	for i := range limits {
		if limits[i].Name == strings.TrimSpace(in.Gas) {
			lim = &limits[i]
		}
	}
	now := s.cfg.Now()
	switch {
	case lim == nil:
		return false, invalid("检测气体", fmt.Sprintf("“%s”不在检测气体库中，请先在基础数据中维护其合格范围", in.Gas), fmt.Sprintf("gas %q is not in the gas library; add its qualified range first", in.Gas))
	case in.SampledAt.IsZero() || in.SampledAt.After(now.Add(time.Minute)):
		return false, invalid("取样时间", "必填，且不能晚于当前时间", "sampling time: required and not in the future")
	case strings.TrimSpace(in.Point) == "":
		return false, invalid("取样点", "必填", "sampling point: required")
	}
	qualified = (lim.Low == nil || in.Value >= *lim.Low) && (lim.High == nil || in.Value <= *lim.High)
	source := "manual"
	if in.Indicator != "" {
		source = "detector"
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		switch p.Status {
		case StatusApproving, StatusIssued, StatusWorking, StatusInterrupted:
		default:
			return wrongStatus(p, "记录气体分析", "record a gas analysis")
		}
		if p.Kind.Gas == nil {
			return chemguard.Errorf(chemguard.EInvalid, "%s 不需要气体分析", "%s needs no gas analysis", p.Kind.Name)
		}
		ref := ""
		if len(in.Signature) > 0 {
			if ref, err = s.putPNG(in.Signature); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO permit_gas_analyses (permit_id, sampled_at, point, gas, value, unit, qualified, source, indicator, analyst_id, analyst_name, signature, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, id, in.SampledAt, strings.TrimSpace(in.Point), lim.Name, in.Value, lim.Unit,
			qualified, source, in.Indicator, m.UserID, m.DisplayName, ref, now); err != nil {
			return fmt.Errorf("record gas: %w", err)
		}
		verdict := "合格"
		if !qualified {
			verdict = "不合格"
		}
		return s.event(ctx, tx, id, m, "gas", fmt.Sprintf("%s %s %g%s %s", strings.TrimSpace(in.Point), lim.Name, in.Value, lim.Unit, verdict), ref)
	})
	if err != nil {
		return false, fmt.Errorf("permits: gas: %w", err)
	}
	return qualified, nil
}

// DetectorValue is the latest reading of one of the company's fixed gas
// detectors (指标类型 5 可燃气体, 6 有毒气体) as the platform received it.
type DetectorValue struct {
	Code  string
	Name  string
	Area  string
	Unit  string
	Value float64
	At    time.Time
}

// Detectors returns the latest values of the company's gas indicators, for an
// analyst to take a fixed detector's reading near the work point.
func (s *Service) Detectors(ctx context.Context, m *enterprise.Member) ([]DetectorValue, error) {
	rows, _ := s.pool.Query(ctx, `SELECT i.record_key, i.doc->>'INDICATOR_NAME', coalesce(i.doc->>'AREA', ''), i.doc->>'UNIT',
		(r.doc->>'VALUE')::float8, r.event_time
		FROM x_indicators i JOIN x_sensor_readings r ON r.company_code = i.company_code AND r.record_key = i.record_key
		WHERE i.company_code = $1 AND NOT i.deleted AND i.doc->>'INDICATOR_KIND' IN ('5', '6') AND r.event_time IS NOT NULL
		ORDER BY i.doc->>'AREA', i.record_key`, m.Company)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DetectorValue])
	if err != nil {
		return nil, fmt.Errorf("permits: detectors: %w", err)
	}
	return out, nil
}

// ConfirmMeasure records who confirmed measure i on site.
func (s *Service) ConfirmMeasure(ctx context.Context, m *enterprise.Member, id string, i int) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		if p.Status != StatusApproving && p.Status != StatusIssued {
			return wrongStatus(p, "确认安全措施", "confirm a measure")
		}
		if i < 0 || i >= len(p.Measures) {
			return notFound("安全措施", "measure")
		}
		if _, err := tx.Exec(ctx, `UPDATE permits SET measures = jsonb_set(measures, $3, jsonb_build_object('text', measures->($4::int)->>'text', 'confirmed_by', $5::text, 'confirmed_at', $6::timestamptz)), updated_at = $6
			WHERE company = $1 AND id = $2`, m.Company, id, []string{fmt.Sprint(i)}, i, m.DisplayName, s.cfg.Now()); err != nil {
			return fmt.Errorf("permits: confirm: %w", err)
		}
		return s.event(ctx, tx, id, m, "measure", p.Measures[i].Text, "")
	})
}

// SignBriefing records that worker signed the safety briefing (安全交底).
func (s *Service) SignBriefing(ctx context.Context, m *enterprise.Member, id string, worker int64, signature []byte) error {
	if len(signature) == 0 {
		return invalid("签名", "安全交底须作业人员手写签名", "the briefing needs the worker's signature")
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		if p.Status != StatusIssued && p.Status != StatusApproving && p.Status != StatusInterrupted {
			return wrongStatus(p, "安全交底", "sign the briefing")
		}
		for _, w := range p.Workers {
			if w.ID == worker {
				ref, err := s.putPNG(signature)
				if err != nil {
					return err
				}
				return s.event(ctx, tx, id, m, "briefing", fmt.Sprint(w.ID)+" "+w.Name, ref)
			}
		}
		return notFound("该作业票上的作业人员", "worker on this permit")
	})
}

func mayRun(m *enterprise.Member, p *Permit) bool {
	return m.UserID == p.GuardianID || m.UserID == p.CreatedBy || managerOrHead(m)
}

// Start starts the work: the permit is issued and still valid, every measure
// confirmed, every worker briefed, and the gas analysis (when the kind needs
// one) qualified within the standard's limit.
func (s *Service) Start(ctx context.Context, m *enterprise.Member, id string) error {
	return s.onPermit(ctx, m, id, []string{StatusIssued}, mayRun, "开始作业", "start the work", func(tx pgx.Tx, p *Permit) error {
		now := s.cfg.Now()
		if err := stillValid(p, now); err != nil {
			return err
		}
		var zh, en []string
		for _, ms := range p.Measures {
			if ms.ConfirmedBy == "" {
				zh, en = append(zh, "安全措施未确认："+ms.Text), append(en, "measure not confirmed: "+ms.Text)
			}
		}
		for _, w := range p.Workers {
			if !w.Briefed {
				zh, en = append(zh, "作业人员 "+w.Name+" 未签字确认安全交底"), append(en, "worker "+w.Name+" has not signed the briefing")
			}
		}
		if len(zh) > 0 {
			return &chemguard.Error{Code: chemguard.EConflict, MessageZH: strings.Join(zh, "；"), MessageEN: strings.Join(en, "; ")}
		}
		if err := CheckGas(p.Kind, p.analyses(), time.Time{}, now); err != nil {
			return err
		}
		if err := s.setStatus(ctx, tx, p, StatusWorking, `, started_at = $5`, now); err != nil {
			return err
		}
		return s.event(ctx, tx, id, m, "started", "", "")
	})
}

// stillValid refuses work on a permit past its validity.
func stillValid(p *Permit, now time.Time) error {
	if now.After(p.ValidUntil) {
		return chemguard.Errorf(chemguard.EConflict, "作业票已于 %s 到期，须重新办理", "the permit expired at %s; open a new one",
			p.ValidUntil.In(schemas.Shanghai).Format("2006-01-02 15:04"))
	}
	return nil
}

// onPermit runs fn on the member's permit id locked in a transaction when its
// status is one of from and may allows the member, then publishes the
// permit's 表1 record in the same transaction; verb names the action in the
// refusals.
func (s *Service) onPermit(ctx context.Context, m *enterprise.Member, id string, from []string, may func(*enterprise.Member, *Permit) bool,
	verb, verbEN string, fn func(tx pgx.Tx, p *Permit) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		ok := false
		for _, st := range from {
			ok = ok || p.Status == st
		}
		if !ok {
			return wrongStatus(p, verb, verbEN)
		}
		if !may(m, p) {
			return forbidden("您无权"+verb+"该作业票", "you may not "+verbEN+" this permit")
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		return s.publish(ctx, tx, m.Company, id)
	})
}

// Interrupt interrupts the work with a reason (作业中断).
func (s *Service) Interrupt(ctx context.Context, m *enterprise.Member, id, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return invalid("中断原因", "必填", "interruption reason: required")
	}
	return s.onPermit(ctx, m, id, []string{StatusWorking}, mayRun, "中断作业", "interrupt the work", func(tx pgx.Tx, p *Permit) error {
		return s.interrupt(ctx, tx, m, p, "interrupted", reason)
	})
}

// interrupt interrupts p in tx; kind is the event that caused it when not a
// person's interruption (gas_lapsed, expired). The caller publishes.
func (s *Service) interrupt(ctx context.Context, tx pgx.Tx, m *enterprise.Member, p *Permit, kind, reason string) error {
	if err := s.setStatus(ctx, tx, p, StatusInterrupted, `, changed_reason = $5`, "作业中断："+reason); err != nil {
		return err
	}
	if kind != "interrupted" {
		if err := s.event(ctx, tx, p.ID, m, kind, reason, ""); err != nil {
			return err
		}
	}
	return s.event(ctx, tx, p.ID, m, "interrupted", reason, "")
}

// Resume resumes an interrupted work: within validity, with a gas analysis
// after a long interruption and within the re-analysis interval.
func (s *Service) Resume(ctx context.Context, m *enterprise.Member, id string) error {
	return s.onPermit(ctx, m, id, []string{StatusInterrupted}, mayRun, "恢复作业", "resume the work", func(tx pgx.Tx, p *Permit) error {
		now := s.cfg.Now()
		if err := stillValid(p, now); err != nil {
			return err
		}
		if err := CheckResume(p.Kind, p.analyses(), p.InterruptedAt, now); err != nil {
			return err
		}
		if err := CheckGas(p.Kind, p.analyses(), p.StartedAt, now); err != nil {
			return err
		}
		if err := s.setStatus(ctx, tx, p, StatusWorking, `, changed_reason = $5`, "作业中断后恢复"); err != nil {
			return err
		}
		return s.event(ctx, tx, id, m, "resumed", "", "")
	})
}

// ChangeGuardian hands the guardian's duty to another member, with a reason.
func (s *Service) ChangeGuardian(ctx context.Context, m *enterprise.Member, id string, guardian int64, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return invalid("更换原因", "必填", "reason: required")
	}
	from := []string{StatusApproving, StatusIssued, StatusWorking, StatusInterrupted}
	return s.onPermit(ctx, m, id, from, mayRun, "更换监护人", "change the guardian", func(tx pgx.Tx, p *Permit) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT u.display_name FROM enterprise_members em JOIN users u ON u.id = em.user_id WHERE em.company = $1 AND em.user_id = $2`,
			m.Company, guardian).Scan(&name); err != nil {
			return invalid("监护人", "不是本企业人员", "the guardian is not a member of the company")
		}
		note := fmt.Sprintf("%s → %s：%s", p.Guardian, name, reason)
		if _, err := tx.Exec(ctx, `UPDATE permits SET guardian_id = $3, guardian_name = $4, changed_reason = $5, updated_at = $6 WHERE company = $1 AND id = $2`,
			m.Company, id, guardian, name, "更换监护人："+note, s.cfg.Now()); err != nil {
			return fmt.Errorf("permits: guardian: %w", err)
		}
		return s.event(ctx, tx, id, m, "guardian", note, "")
	})
}

// Finish marks the work done (作业完毕), ready for acceptance.
func (s *Service) Finish(ctx context.Context, m *enterprise.Member, id string) error {
	return s.transition(ctx, m, id, []string{StatusWorking, StatusInterrupted}, StatusFinished, "finished", "", mayRun,
		"完成作业", "finish", `, finished_at = $5`)
}

// Accept accepts the finished work (验收) with the acceptor's signature.
func (s *Service) Accept(ctx context.Context, m *enterprise.Member, id, note string, signature []byte) error {
	if len(signature) == 0 {
		return invalid("签名", "验收须手写签名", "acceptance needs the acceptor's signature")
	}
	ref, err := s.putPNG(signature)
	if err != nil {
		return err
	}
	return s.transition(ctx, m, id, []string{StatusFinished}, StatusAccepted, "accepted", note+"\x00"+ref,
		func(m *enterprise.Member, _ *Permit) bool { return managerOrHead(m) }, "验收", "accept", `, accepted_at = $5`)
}

// Archive files the accepted permit (归档); its PDF is final.
func (s *Service) Archive(ctx context.Context, m *enterprise.Member, id string) error {
	return s.transition(ctx, m, id, []string{StatusAccepted}, StatusArchived, "archived", "",
		func(m *enterprise.Member, _ *Permit) bool { return managerOrHead(m) }, "归档", "archive", `, archived_at = $5`)
}

// Revoke withdraws a permit before the work started (撤销); Void cancels any
// permit not archived (作废). Both need a reason and publish IS_CANCELLED.
func (s *Service) Revoke(ctx context.Context, m *enterprise.Member, id, reason string) error {
	return s.cancel(ctx, m, id, reason, StatusRevoked, "revoked", []string{StatusApproving, StatusRejected, StatusIssued})
}

// Void is Revoke for any permit not yet archived.
func (s *Service) Void(ctx context.Context, m *enterprise.Member, id, reason string) error {
	return s.cancel(ctx, m, id, reason, StatusVoided, "voided",
		[]string{StatusApproving, StatusRejected, StatusIssued, StatusWorking, StatusInterrupted, StatusFinished, StatusAccepted})
}

func (s *Service) cancel(ctx context.Context, m *enterprise.Member, id, reason, to, kind string, from []string) error {
	if strings.TrimSpace(reason) == "" {
		return invalid("原因", "撤销或作废须填写原因", "revoking or voiding needs a reason")
	}
	may := func(m *enterprise.Member, p *Permit) bool {
		return managerOrHead(m) || to == StatusRevoked && m.UserID == p.CreatedBy
	}
	verb, en := "撤销", "revoke"
	if to == StatusVoided {
		verb, en = "作废", "void"
	}
	return s.transition(ctx, m, id, from, to, kind, reason, may, verb, en, `, cancelled_reason = $5`, strings.TrimSpace(reason))
}

func (s *Service) transition(ctx context.Context, m *enterprise.Member, id string, from []string, to, kind, note string,
	may func(*enterprise.Member, *Permit) bool, verb, verbEN, extra string, args ...any) error {
	return s.onPermit(ctx, m, id, from, may, verb, verbEN, func(tx pgx.Tx, p *Permit) error {
		if len(args) == 0 && strings.Contains(extra, "$5") {
			args = []any{s.cfg.Now()}
		}
		if err := s.setStatus(ctx, tx, p, to, extra, args...); err != nil {
			return err
		}
		text, file, _ := strings.Cut(note, "\x00")
		return s.event(ctx, tx, id, m, kind, text, file)
	})
}

// AddPhoto stores a site photo (JPEG or PNG) on the permit.
func (s *Service) AddPhoto(ctx context.Context, m *enterprise.Member, id, note string, data []byte) error {
	if len(data) < 4 || !(string(data[:4]) == "\x89PNG" || data[0] == 0xFF && data[1] == 0xD8) {
		return invalid("照片", "应为 JPEG 或 PNG 图片", "the photo must be a JPEG or PNG image")
	}
	if len(data) > 10<<20 {
		return invalid("照片", "不超过 10MB", "the photo must be at most 10 MB")
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		if p.Status == StatusArchived || p.Status == StatusVoided || p.Status == StatusRevoked {
			return wrongStatus(p, "上传照片", "add a photo")
		}
		ref, err := s.files.Put(data)
		if err != nil {
			return fmt.Errorf("permits: photo: %w", err)
		}
		return s.event(ctx, tx, id, m, "photo", note, ref)
	})
}

// File returns a file (signature or photo) that belongs to one of the
// company's permits.
func (s *Service) File(ctx context.Context, m *enterprise.Member, id, ref string) ([]byte, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM permits p WHERE p.company = $1 AND p.id::text = $2 AND (
		p.pdf_ref = $3 OR EXISTS (SELECT 1 FROM permit_events e WHERE e.permit_id = p.id AND e.file_ref = $3)
		OR EXISTS (SELECT 1 FROM permit_approvals a WHERE a.permit_id = p.id AND a.signature = $3)
		OR EXISTS (SELECT 1 FROM permit_gas_analyses g WHERE g.permit_id = p.id AND g.signature = $3)))`, m.Company, id, ref).Scan(&ok)
	if err != nil {
		return nil, fmt.Errorf("permits: file: %w", err)
	}
	if !ok || ref == "" {
		return nil, notFound("文件", "file")
	}
	return s.files.Get(ref)
}

// system is the actor of what the sweep does by itself.
var system = &enterprise.Member{DisplayName: "系统"}

// Sweep checks every working permit of every company at the clock's now: a
// gas analysis about to lapse reminds the analyst's people (the guardian and
// the applicant); a lapsed one or a permit past its validity interrupts the
// work and alerts the guardian, the 安全管理员 and the 主要负责人. It returns
// how many permits it interrupted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rows, _ := s.pool.Query(ctx, `SELECT company, id::text, created_by FROM permits WHERE status = $1 ORDER BY company, id`, StatusWorking)
	type key struct {
		Company, ID string
		By          int64
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[key])
	if err != nil {
		return 0, fmt.Errorf("permits: sweep: %w", err)
	}
	now := s.cfg.Now()
	stopped := 0
	for _, k := range keys {
		var alert *enterprise.Notice
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			p, err := s.lock(ctx, tx, k.Company, k.ID)
			if err != nil || p.Status != StatusWorking {
				return err
			}
			who := &enterprise.Member{UserID: k.By, DisplayName: system.DisplayName, Company: k.Company}
			link := enterprise.Prefix + "/permits/" + p.ID
			switch {
			case now.After(p.ValidUntil):
				alert = &enterprise.Notice{Kind: "permit_expired", Title: "作业票到期，作业已中断：" + p.Number, Urgent: true, Link: link,
					Body: p.Kind.Name + " " + p.Place, Key: "permit:" + p.ID + ":expired"}
				stopped++
				if err := s.interrupt(ctx, tx, who, p, "expired", "作业票已到期"); err != nil {
					return err
				}
				return s.publish(ctx, tx, k.Company, p.ID)
			case CheckGas(p.Kind, p.analyses(), p.StartedAt, now) != nil:
				alert = &enterprise.Notice{Kind: "permit_gas_lapsed", Title: "气体分析超时，作业已中断：" + p.Number, Urgent: true, Link: link,
					Body: p.Kind.Name + " " + p.Place + "：须重新进行气体分析后方可恢复作业", Key: "permit:" + p.ID + ":lapsed:" + p.GasDue.Format(time.RFC3339)}
				stopped++
				if err := s.interrupt(ctx, tx, who, p, "gas_lapsed", "气体分析超时（"+p.Kind.Gas.Clause+"）"); err != nil {
					return err
				}
				return s.publish(ctx, tx, k.Company, p.ID)
			case p.Kind.Gas != nil && now.Add(s.cfg.Rules.RemindAhead).After(p.GasDue):
				alert = &enterprise.Notice{Kind: "permit_gas_due", Title: "气体分析即将超时：" + p.Number, Link: enterprise.PhonePrefix + "/permits/" + p.ID,
					Body: "请在 " + p.GasDue.In(schemas.Shanghai).Format("15:04") + " 前重新分析", Key: "permit:" + p.ID + ":remind:" + p.GasDue.Format(time.RFC3339)}
			}
			return nil
		})
		if err != nil {
			return stopped, fmt.Errorf("permits: sweep %s: %w", k.ID, err)
		}
		if alert != nil && s.notify != nil {
			to := s.alertees(ctx, k.Company, k.ID, alert.Urgent)
			if err := s.notify.Notify(ctx, k.Company, to, *alert); err != nil {
				return stopped, fmt.Errorf("permits: sweep notify: %w", err)
			}
		}
	}
	return stopped, nil
}

// alertees are the permit's guardian and applicant and, for an alarm, the
// company's 安全管理员 and 主要负责人 (the control room reads the same inbox).
func (s *Service) alertees(ctx context.Context, company, id string, alarm bool) []int64 {
	var guardian, by int64
	_ = s.pool.QueryRow(ctx, `SELECT coalesce(guardian_id, 0), created_by FROM permits WHERE company = $1 AND id = $2`, company, id).Scan(&guardian, &by)
	seen := map[int64]bool{}
	var out []int64
	add := func(id int64) {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(guardian)
	add(by)
	if alarm {
		for _, r := range []policy.Role{policy.EnterpriseSafety, policy.EnterprisePrincipal} {
			people, _ := s.dir.PeopleWithRole(ctx, company, r)
			for _, p := range people {
				add(p.UserID)
			}
		}
	}
	return out
}
