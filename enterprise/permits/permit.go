package permits

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
)

// PermitInput is what the applicant fills in to open a permit on an approved
// booking. One booking may carry several permits of different kinds (a hot
// work inside a confined space needs both).
type PermitInput struct {
	TaskType    string
	MajorPerson string // 作业负责人
	MajorMobile string
	GuardianID  int64 // 监护人, a company member
	Risks       string
	Measures    []string // the template's measures plus any the applicant adds
	Workers     []int64  // permit_workers ids
	Onsite      bool     // 现场办票 (else 流转办票)
}

// Measure is one safety measure with who confirmed it on site.
type Measure struct {
	Text        string    `json:"text"`
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// Approval is one signed step of the chain.
type Approval struct {
	Step      int
	Label     string
	User      string
	Approved  bool
	Note      string
	Signature string
	At        time.Time
}

// Gas is one gas analysis.
type Gas struct {
	ID        int64
	SampledAt time.Time
	Point     string
	Gas       string
	Value     float64
	Unit      string
	Qualified bool
	Source    string
	Indicator string
	Analyst   string
	Signature string
}

// Event is one entry of a permit's history.
type Event struct {
	ID    int64
	Kind  string
	Actor string // the person's name
	Note  string
	File  string
	At    time.Time
	// Username is the account that acted; Roles its role codes at the time,
	// comma-separated (RolesZH names them).
	Username, Roles string
}

// RolesZH names the roles the actor held, e.g. 企业安全管理员.
func (e Event) RolesZH() string { return policy.RoleLabels(e.Roles) }

// EventName is the Chinese name of an event kind (the one list the
// regulators' permit page uses too).
func EventName(k string) string { return readmodel.PermitStepName(k) }

// WorkerRef is a worker named on a permit.
type WorkerRef struct {
	ID         int64
	Name       string
	CertNo     string
	CertKind   string
	CertValid  time.Time
	Contractor string
	Briefed    bool
}

// Permit is a permit with everything its page and its PDF show.
type Permit struct {
	ID             string
	Company        string
	CompanyName    string
	BookingID      int64
	Number         string
	Kind           Kind
	Status         string
	Place          string
	Content        string
	Unit           string
	ContractorID   int64
	Contractor     string
	MajorPerson    string
	MajorMobile    string
	GuardianID     int64
	Guardian       string
	PlannedStart   time.Time
	PlannedEnd     time.Time
	IssueMode      string
	Risks          string
	Measures       []Measure
	Workers        []WorkerRef
	IssuedAt       time.Time
	ValidUntil     time.Time
	StartedAt      time.Time
	FinishedAt     time.Time
	AcceptedAt     time.Time
	ArchivedAt     time.Time
	ChangedReason  string
	CancelReason   string
	PDFRef         string
	PDFOf          time.Time // the UpdatedAt of the state PDFRef shows; zero when none
	CreatedBy      int64
	Approvals      []Approval
	Analyses       []Gas
	Events         []Event
	UpdatedAt      time.Time
	InterruptedAt  time.Time // when the current interruption began
	GasDue         time.Time // until when the gas analysis covers the work
	NextStep       *Step
	NextStepNumber int
}

var mobileRE = regexp.MustCompile(`^1[3-9]\d{9}$`)

func (s *Service) checkPermitInput(in PermitInput) (Kind, error) {
	k, err := s.cfg.Rules.Kind(in.TaskType)
	if err != nil {
		return k, err
	}
	var zh, en []string
	if n := utf8.RuneCountInString(strings.TrimSpace(in.MajorPerson)); n == 0 || n > 20 {
		zh, en = append(zh, "作业负责人：必填，不超过 20 字（表1 MAJOR_PERSON）"), append(en, "major person: required, at most 20 characters")
	}
	if !mobileRE.MatchString(strings.TrimSpace(in.MajorMobile)) {
		zh, en = append(zh, "负责人联系方式：应为 11 位手机号（表1 MAJOR_PERSON_MOBILE）"), append(en, "major person mobile: an 11-digit mobile number")
	}
	if in.GuardianID == 0 {
		zh, en = append(zh, "监护人：必选"), append(en, "guardian: required")
	}
	if strings.TrimSpace(in.Risks) == "" {
		zh, en = append(zh, "风险辨识：必填"), append(en, "risk analysis: required")
	}
	if len(in.Workers) == 0 {
		zh, en = append(zh, "作业人员：至少一人"), append(en, "workers: at least one")
	}
	if len(zh) > 0 {
		return k, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: strings.Join(zh, "；"), MessageEN: strings.Join(en, "; ")}
	}
	return k, nil
}

// CreatePermit opens a permit of in.TaskType on the approved booking
// bookingID and sends it into the approval chain. A booking not approved is
// refused; each named worker's certificate is checked on the planned day.
func (s *Service) CreatePermit(ctx context.Context, m *enterprise.Member, bookingID int64, in PermitInput) (string, error) {
	k, err := s.checkPermitInput(in)
	if err != nil {
		return "", err
	}
	b, err := s.Booking(ctx, m, bookingID)
	if err != nil {
		return "", err
	}
	if b.Status != "approved" {
		return "", chemguard.Errorf(chemguard.EConflict, "作业预约尚未审核通过（%s），不能进入作业许可程序", "the booking is not approved (%s); it cannot enter the permit process", StatusName(b.Status))
	}
	now := s.cfg.Now()
	id := uuid.NewString()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var guardian string
		if err := tx.QueryRow(ctx, `SELECT u.display_name FROM enterprise_members em JOIN users u ON u.id = em.user_id WHERE em.company = $1 AND em.user_id = $2`,
			m.Company, in.GuardianID).Scan(&guardian); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return invalid("监护人", "不是本企业人员", "the guardian is not a member of the company")
			}
			return err
		}
		for _, w := range in.Workers {
			ref, err := s.worker(ctx, tx, m.Company, w)
			if err != nil {
				return err
			}
			if err := CheckCertificate(k, ref.Name, ref.CertNo, ref.CertKind, ref.CertValid, b.PlannedStart); err != nil {
				return err
			}
			if err := CheckCertificate(k, ref.Name, ref.CertNo, ref.CertKind, ref.CertValid, b.PlannedEnd); err != nil {
				return err
			}
		}
		var measures []Measure
		seen := map[string]bool{}
		for _, t := range append(append([]string{}, k.Measures...), in.Measures...) {
			t = strings.TrimSpace(t)
			if t != "" && !seen[t] {
				seen[t] = true
				measures = append(measures, Measure{Text: t})
			}
		}
		mode := "routed"
		if in.Onsite {
			mode = "onsite"
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) + 1 FROM permits WHERE company = $1 AND created_at::date = $2::date`, m.Company, now).Scan(&n); err != nil {
			return err
		}
		number := fmt.Sprintf("%s-%s-%03d", k.Code, now.In(schemas.Shanghai).Format("20060102"), n)
		mj, _ := json.Marshal(measures)
		if _, err := tx.Exec(ctx, `INSERT INTO permits (id, company, booking_id, number, task_type, status, place, content, unit, contractor_id,
			major_person, major_mobile, guardian_id, guardian_name, planned_start, planned_end, issue_mode, risks, measures, workers, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, nullif($10, 0), $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)`,
			id, m.Company, b.ID, number, k.Code, StatusApproving, b.Place, b.Content, b.Unit, b.ContractorID,
			strings.TrimSpace(in.MajorPerson), strings.TrimSpace(in.MajorMobile), in.GuardianID, guardian, b.PlannedStart, b.PlannedEnd,
			mode, strings.TrimSpace(in.Risks), mj, in.Workers, m.UserID, now); err != nil {
			return fmt.Errorf("insert permit: %w", err)
		}
		if err := s.learn(ctx, tx, m.Company, k.Category, in.Risks, measures, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, m, "created", number, ""); err != nil {
			return err
		}
		return s.publish(ctx, tx, m.Company, id)
	})
	if err != nil {
		return "", fmt.Errorf("permits: create: %w", err)
	}
	s.notifyNextStep(ctx, m.Company, id)
	return id, nil
}

// learn adds the permit's risks and measures to the knowledge base, each line
// one entry, counting uses.
func (s *Service) learn(ctx context.Context, tx pgx.Tx, company, category, risks string, measures []Measure, now time.Time) error {
	add := func(kind, text string) error {
		text = strings.TrimSpace(text)
		if text == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO permit_knowledge (company, category, kind, text, last_used) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (company, category, kind, text) DO UPDATE SET uses = permit_knowledge.uses + 1, last_used = excluded.last_used`,
			company, category, kind, text, now)
		return err
	}
	for _, line := range strings.Split(risks, "\n") {
		if err := add("risk", line); err != nil {
			return fmt.Errorf("learn: %w", err)
		}
	}
	for _, m := range measures {
		if err := add("measure", m.Text); err != nil {
			return fmt.Errorf("learn: %w", err)
		}
	}
	return nil
}

// Knowledge returns the company's most used risks and measures of a
// category: the suggestions a new permit of the category starts from.
func (s *Service) Knowledge(ctx context.Context, m *enterprise.Member, category string) (risks, measures []string, err error) {
	rows, _ := s.pool.Query(ctx, `SELECT kind, text FROM permit_knowledge WHERE company = $1 AND category = $2 ORDER BY uses DESC, last_used DESC LIMIT 60`,
		m.Company, category)
	var kind, text string
	_, err = pgx.ForEachRow(rows, []any{&kind, &text}, func() error {
		if kind == "risk" {
			risks = append(risks, text)
		} else {
			measures = append(measures, text)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("permits: knowledge: %w", err)
	}
	return risks, measures, nil
}

func (s *Service) event(ctx context.Context, tx pgx.Tx, permit string, m *enterprise.Member, kind, note, file string) error {
	var roles []string
	for _, r := range m.Roles {
		roles = append(roles, string(r))
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	_, err := tx.Exec(ctx, `INSERT INTO permit_events (permit_id, kind, actor_id, actor_name, note, file_ref, at,
		actor_username, actor_roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		permit, kind, m.UserID, m.DisplayName, note, file, s.cfg.Now(), m.Username, strings.Join(roles, ","))
	if err != nil {
		return fmt.Errorf("event %s: %w", kind, err)
	}
	// The printed permit shows its history, analyses and signatures: every
	// step changes the permit, so a PDF stored before it is no longer current.
	if _, err := tx.Exec(ctx, `UPDATE permits SET updated_at = greatest(updated_at, $2) WHERE id = $1`, permit, s.cfg.Now()); err != nil {
		return fmt.Errorf("event %s: %w", kind, err)
	}
	return nil
}

// Permit loads one of the company's permits with its chain, analyses and
// history.
func (s *Service) Permit(ctx context.Context, m *enterprise.Member, id string) (*Permit, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound("作业票", "permit")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("permits: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	return s.load(ctx, tx, m.Company, id)
}

func (s *Service) load(ctx context.Context, tx pgx.Tx, company, id string) (*Permit, error) {
	p := &Permit{ID: id, Company: company}
	var code string
	var measures []byte
	var workers []int64
	var issued, valid, started, finished, accepted, archived, pdfOf *time.Time
	err := tx.QueryRow(ctx, `SELECT e.name, p.booking_id, p.number, p.task_type, p.status, p.place, p.content, p.unit, coalesce(p.contractor_id, 0),
		coalesce(c.name, ''), p.major_person, p.major_mobile, coalesce(p.guardian_id, 0), p.guardian_name, p.planned_start, p.planned_end, p.issue_mode,
		p.risks, p.measures, p.workers, p.issued_at, p.valid_until, p.started_at, p.finished_at, p.accepted_at, p.archived_at,
		p.changed_reason, p.cancelled_reason, p.pdf_ref, p.created_by, p.updated_at, p.pdf_of
		FROM permits p JOIN enterprises e ON e.code = p.company LEFT JOIN permit_contractors c ON c.id = p.contractor_id
		WHERE p.company = $1 AND p.id = $2`, company, id).Scan(&p.CompanyName, &p.BookingID, &p.Number, &code, &p.Status, &p.Place, &p.Content, &p.Unit,
		&p.ContractorID, &p.Contractor, &p.MajorPerson, &p.MajorMobile, &p.GuardianID, &p.Guardian, &p.PlannedStart, &p.PlannedEnd, &p.IssueMode,
		&p.Risks, &measures, &workers, &issued, &valid, &started, &finished, &accepted, &archived,
		&p.ChangedReason, &p.CancelReason, &p.PDFRef, &p.CreatedBy, &p.UpdatedAt, &pdfOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("作业票", "permit")
	}
	if err != nil {
		return nil, fmt.Errorf("permits: load: %w", err)
	}
	for _, pair := range []struct {
		src *time.Time
		dst *time.Time
	}{{issued, &p.IssuedAt}, {valid, &p.ValidUntil}, {started, &p.StartedAt}, {finished, &p.FinishedAt}, {accepted, &p.AcceptedAt}, {archived, &p.ArchivedAt}, {pdfOf, &p.PDFOf}} {
		if pair.src != nil {
			*pair.dst = *pair.src
		}
	}
	if p.Kind, err = s.cfg.Rules.Kind(code); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(measures, &p.Measures); err != nil {
		return nil, fmt.Errorf("permits: measures: %w", err)
	}
	rows, _ := tx.Query(ctx, `SELECT step, step_label, user_name, approved, note, signature, signed_at FROM permit_approvals WHERE permit_id = $1 ORDER BY id`, id)
	if p.Approvals, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Approval]); err != nil {
		return nil, fmt.Errorf("permits: approvals: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT id, sampled_at, point, gas, value, unit, qualified, source, indicator, analyst_name, signature
		FROM permit_gas_analyses WHERE permit_id = $1 ORDER BY sampled_at, id`, id)
	if p.Analyses, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Gas]); err != nil {
		return nil, fmt.Errorf("permits: gas: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT id, kind, actor_name, note, file_ref, at, actor_username, actor_roles
		FROM permit_events WHERE permit_id = $1 ORDER BY id`, id)
	if p.Events, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Event]); err != nil {
		return nil, fmt.Errorf("permits: events: %w", err)
	}
	briefed := map[string]bool{}
	for _, e := range p.Events {
		switch e.Kind {
		case "briefing":
			briefed[e.Note] = true
		case "interrupted":
			p.InterruptedAt = e.At
		}
	}
	for _, w := range workers {
		ref, err := s.worker(ctx, tx, company, w)
		if err != nil {
			return nil, err
		}
		ref.Briefed = briefed[fmt.Sprint(ref.ID)+" "+ref.Name]
		p.Workers = append(p.Workers, ref)
	}
	approved := 0
	for _, a := range p.Approvals {
		if a.Approved {
			approved++
		}
	}
	if p.Status == StatusApproving {
		if st, ok := p.Kind.NextStep(approved); ok {
			p.NextStep, p.NextStepNumber = &st, approved+1
		}
	}
	p.GasDue = GasDue(p.Kind, p.analyses(), p.StartedAt)
	return p, nil
}

func (p *Permit) analyses() []Analysis {
	out := make([]Analysis, 0, len(p.Analyses))
	for _, g := range p.Analyses {
		out = append(out, Analysis{SampledAt: g.SampledAt, Qualified: g.Qualified})
	}
	return out
}

// lock loads the permit for update inside tx.
func (s *Service) lock(ctx context.Context, tx pgx.Tx, company, id string) (*Permit, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, notFound("作业票", "permit")
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM permits WHERE company = $1 AND id = $2 FOR UPDATE`, company, id); err != nil {
		return nil, fmt.Errorf("permits: lock: %w", err)
	}
	return s.load(ctx, tx, company, id)
}

func wrongStatus(p *Permit, action, actionEN string) error {
	return &chemguard.Error{Code: chemguard.EConflict,
		MessageZH: fmt.Sprintf("作业票 %s 当前状态为“%s”，不能%s", p.Number, StatusName(p.Status), action),
		MessageEN: fmt.Sprintf("permit %s is %s; cannot %s", p.Number, p.Status, actionEN)}
}

func (s *Service) setStatus(ctx context.Context, tx pgx.Tx, p *Permit, status string, extra string, args ...any) error {
	q := `UPDATE permits SET status = $3, updated_at = $4` + extra + ` WHERE company = $1 AND id = $2`
	_, err := tx.Exec(ctx, q, append([]any{p.Company, p.ID, status, s.cfg.Now()}, args...)...)
	if err != nil {
		return fmt.Errorf("permits: set status: %w", err)
	}
	p.Status = status
	return nil
}

// Approve signs the chain's next step (approve) or sends the permit back
// (reject, with a reason). The signature is the signer's drawing (PNG). The
// last approval issues the permit: valid from now for the kind's validity,
// not beyond the planned end.
func (s *Service) Approve(ctx context.Context, m *enterprise.Member, id string, approve bool, note string, signature []byte) error {
	if approve && len(signature) == 0 {
		return invalid("签名", "审批须手写签名", "an approval needs the signer's signature")
	}
	if !approve && strings.TrimSpace(note) == "" {
		return invalid("审批意见", "驳回须填写原因", "a rejection needs a reason")
	}
	issued := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lock(ctx, tx, m.Company, id)
		if err != nil {
			return err
		}
		if p.NextStep == nil {
			return wrongStatus(p, "审批", "approve")
		}
		if !MaySign(*p.NextStep, m.Roles) {
			return forbidden(fmt.Sprintf("“%s”须由%s签署", p.NextStep.Label, roleName(string(p.NextStep.Role))),
				fmt.Sprintf("step %q is signed by %s", p.NextStep.Label, p.NextStep.Role))
		}
		ref := ""
		if len(signature) > 0 {
			if ref, err = s.putPNG(signature); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO permit_approvals (permit_id, step, step_label, user_id, user_name, approved, note, signature, signed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, p.NextStepNumber, p.NextStep.Label, m.UserID, m.DisplayName, approve, strings.TrimSpace(note), ref, s.cfg.Now()); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		if !approve {
			if err := s.event(ctx, tx, id, m, "rejected", p.NextStep.Label+"："+note, ref); err != nil {
				return err
			}
			if err := s.setStatus(ctx, tx, p, StatusRejected, ""); err != nil {
				return err
			}
			return s.publish(ctx, tx, m.Company, id)
		}
		if err := s.event(ctx, tx, id, m, "approved", p.NextStep.Label, ref); err != nil {
			return err
		}
		if p.NextStepNumber < len(p.Kind.Chain) {
			return nil
		}
		now := s.cfg.Now()
		from := now
		if p.PlannedStart.After(from) {
			from = p.PlannedStart
		}
		until := from.Add(p.Kind.Validity)
		if p.PlannedEnd.Before(until) && p.PlannedEnd.After(now) {
			until = p.PlannedEnd
		}
		if err := s.setStatus(ctx, tx, p, StatusIssued, `, issued_at = $5, valid_until = $6`, now, until); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, m, "issued", "有效期至 "+until.In(schemas.Shanghai).Format("2006-01-02 15:04"), ""); err != nil {
			return err
		}
		issued = true
		return s.publish(ctx, tx, m.Company, id)
	})
	if err != nil {
		return fmt.Errorf("permits: approve: %w", err)
	}
	if !issued && approve {
		s.notifyNextStep(ctx, m.Company, id)
	}
	return nil
}

func roleName(r string) string {
	return map[string]string{"enterprise_dept_head": "部门负责人", "enterprise_safety": "企业安全管理员", "enterprise_principal": "主要负责人"}[r]
}

// notifyNextStep tells the holders of the next step's role that a permit
// waits for them; a failure to notify is not the approval's failure.
func (s *Service) notifyNextStep(ctx context.Context, company, id string) {
	if s.notify == nil {
		return
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return
	}
	defer tx.Rollback(ctx)
	p, err := s.load(ctx, tx, company, id)
	if err != nil || p.NextStep == nil {
		return
	}
	people, err := s.dir.PeopleWithRole(ctx, company, p.NextStep.Role)
	if err != nil || len(people) == 0 {
		return
	}
	ids := make([]int64, 0, len(people))
	for _, pp := range people {
		ids = append(ids, pp.UserID)
	}
	_ = s.notify.Notify(ctx, company, ids, enterprise.Notice{Kind: "permit_approval", Title: "作业票待审批：" + p.Number,
		Body: p.Kind.Name + " " + p.Place + "：" + p.NextStep.Label, Link: enterprise.Prefix + "/permits/" + id,
		Key: fmt.Sprintf("permit:%s:step:%d", id, p.NextStepNumber)})
}

// putPNG stores a drawn signature: it must decode as a PNG of a sensible size,
// and is stored re-encoded so what the PDF embeds is always well-formed.
func (s *Service) putPNG(data []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return "", invalid("签名", "签名应为 PNG 图片", "the signature must be a PNG image")
	}
	if b := img.Bounds(); b.Dx() > 4000 || b.Dy() > 4000 {
		return "", invalid("签名", "签名图片过大", "the signature image is too large")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("permits: encode signature: %w", err)
	}
	ref, err := s.files.Put(buf.Bytes())
	if err != nil {
		return "", fmt.Errorf("permits: store file: %w", err)
	}
	return ref, nil
}
