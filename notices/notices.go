// Package notices is the 整改通知 workflow of data quality: a regulator issues a
// notice about a company's open governance facts with a requirement and a
// deadline, the company signs and answers it with its exchange API key, and the
// notice closes by itself once the data shows the facts fixed, or by a regulator.
// Every step is kept in the notice's history and in the audit log. The workflow
// takes an Actor value — who acts, in which role and domain, and how to check what
// it may do — so the portal's forms and the API (http.go) share one set of rules.
package notices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web/form"
)

// Statuses of a governance notice (整改通知).
const (
	Issued       = "issued"       // 已下达: waiting for the company to sign
	Acknowledged = "acknowledged" // 已签收
	Answered     = "answered"     // 已反馈
	Closed       = "closed"       // 已关闭: by the data (system) or a regulator
)

// Steps of a notice, as governance_notice_steps and the audit log name them.
const (
	StepIssue       = "issue"
	StepAcknowledge = "acknowledge"
	StepAnswer      = "answer"
	StepClose       = "close"
	StepAutoClose   = "auto_close"
	StepReopen      = "reopen"
)

// AuditAction is the audit action of every step of a governance notice.
const AuditAction = "governance_notice"

// SystemActor is who closes a notice when the data shows its facts fixed.
const SystemActor = "system"

// StatusZH is the Chinese name of a notice status.
func StatusZH(s string) string {
	return map[string]string{Issued: "已下达", Acknowledged: "已签收", Answered: "已反馈",
		Closed: "已关闭"}[s]
}

// StepZH is the Chinese name of a step.
func StepZH(s string) string {
	return map[string]string{StepIssue: "下达", StepAcknowledge: "签收", StepAnswer: "整改反馈", StepClose: "关闭",
		StepAutoClose: "数据已整改，自动关闭", StepReopen: "重新打开"}[s]
}

// Limits of the texts of a notice, in characters.
const (
	MaxRequirement = 1000
	MaxAnswer      = 2000
	MaxReason      = 500
	MaxFacts       = 50
)

// Notice is a governance notice with its facts and steps.
type Notice struct {
	ID             int64      `json:"id"`
	Company        string     `json:"company_code"`
	CompanyName    string     `json:"company_name"`
	County         string     `json:"division_code"`
	Park           string     `json:"park_code,omitempty"`
	Requirement    string     `json:"requirement"`
	Deadline       time.Time  `json:"deadline"`
	Status         string     `json:"status"`
	StatusZH       string     `json:"status_zh"`
	Overdue        bool       `json:"overdue"` // not closed and past its deadline
	AutoClose      bool       `json:"auto_close"`
	IssuedBy       string     `json:"issued_by"`
	IssuerDomain   string     `json:"issuer_domain"`
	IssuedAt       time.Time  `json:"issued_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	Answer         string     `json:"answer"`
	AnsweredAt     *time.Time `json:"answered_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	ClosedBy       string     `json:"closed_by"`
	CloseReason    string     `json:"close_reason"`
	Facts          []Fact     `json:"facts"`
	Steps          []Step     `json:"steps,omitempty"` // in order; only for one notice
}

// Path is the resource path of the notice's company, for authorization.
func (n Notice) Path() string { return tiers.EnterprisePath(n.County, n.Park, n.Company) }

// Fact is a fact a notice names, as it is now.
type Fact struct {
	ID      string     `json:"fact_id"`
	Kind    string     `json:"kind"`
	NameZH  string     `json:"name_zh"`
	Detail  string     `json:"detail"`
	Started time.Time  `json:"started_at"`
	Ended   *time.Time `json:"ended_at"`
}

// Step is one step of a notice's history.
type Step struct {
	Action     string    `json:"action"`
	ActionZH   string    `json:"action_zh"`
	FromStatus string    `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	Actor      string    `json:"actor"`
	ActorRole  string    `json:"actor_role"`
	Note       string    `json:"note"`
	At         time.Time `json:"at"`
}

// Service keeps governance notices in PostgreSQL (migration 00011) and records every
// step in the audit log. Callers authorize: Issue, Close and Reopen after checking
// the regulator reaches the company; Acknowledge and Answer for the company itself.
// It is safe for concurrent use: every step locks its notice's row.
type Service struct {
	pool  *pgxpool.Pool
	audit audit.Recorder
	rules *governance.Config
	now   func() time.Time
}

// New returns the notices on pool; rec records the steps (nil records none,
// for tests of the store alone); rules name the fact kinds; now is the clock.
func New(pool *pgxpool.Pool, rec audit.Recorder, rules *governance.Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, audit: rec, rules: rules, now: now}
}

// Actor is who takes a step: a regulator, a company's API key or the system.
type Actor struct {
	Name     string // the username; ent:CODE for a company's API key; SystemActor
	Role     string // the roles, comma-separated, as the audit log records them
	Domain   string // the domain it acts for (a regulator's region)
	ClientIP string
	// Check checks the actor may do act on obj of the resource at path and returns
	// a forbidden error (the refusal audited) when not. Nil: the caller has
	// authorized already (a company acting on its own notices, the system).
	Check func(obj, act, path string) error
}

func (a Actor) event() audit.Event {
	return audit.Event{Actor: a.Name, ActorRole: a.Role, ClientIP: a.ClientIP}
}

func (a Actor) check(obj, act, path string) error {
	if a.Check == nil {
		return nil
	}
	return a.Check(obj, act, path)
}

// NewIssue is what a regulator issues.
type NewIssue struct {
	Company     string    `json:"company_code" label:"企业编码" validate:"company_code"`
	Facts       []string  `json:"fact_ids" label:"质量事实" validate:"min=1,max=50,dive,required"` // MaxNoticeFacts
	Requirement string    `json:"requirement" label:"整改要求" validate:"notblank,max=1000"`       // MaxRequirement
	Deadline    time.Time `json:"-" form:"deadline" label:"整改期限" validate:"required"`          // parsed from the text by ParseDeadline
}

func textRule(field, zh, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return invalid("%[1]s不能为空（%[2]s）", "%[2]s is required", zh, field)
	}
	if utf8.RuneCountInString(v) > max {
		return invalid("%[1]s不能超过 %[3]d 个字符（%[2]s）", "%[2]s must be at most %[3]d characters", zh, field, max)
	}
	return nil
}

// Issue issues a notice about facts of a company as actor, who must be allowed to
// write inspections of the company (a forbidden error, audited, outside its
// region; an unregistered company is not found only for one who reaches the
// province). Every fact must be the company's and at least one still open; the
// deadline must be in the future.
func (s *Service) Issue(ctx context.Context, actor Actor, in NewIssue) (Notice, error) {
	if err := s.checkCompany(ctx, actor, in.Company); err != nil {
		return Notice{}, err
	}
	// The shape (requirement, 1–MaxFacts facts, a deadline) by the tags of NewIssue;
	// only that the deadline lies ahead needs the clock.
	if err := form.Check(in); err != nil {
		return Notice{}, err
	}
	now := s.now()
	if !in.Deadline.After(now) {
		return Notice{}, invalid("整改期限须晚于当前时间（deadline）", "deadline must be in the future")
	}
	var id int64
	err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
		var county, park string
		err := tx.QueryRow(ctx, `SELECT division_code, COALESCE(park_code, '') FROM enterprises WHERE code = $1`,
			in.Company).Scan(&county, &park)
		if errors.Is(err, pgx.ErrNoRows) {
			return stepRow{}, chemguard.Errorf(chemguard.ENotFound, "企业「%s」未登记", "no enterprise %q", in.Company)
		}
		if err != nil {
			return stepRow{}, fmt.Errorf("notices: notice company: %w", err)
		}
		var mine, open int
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE ended_at IS NULL) FROM governance_facts
			WHERE fact_id = ANY($1) AND company_code = $2`, in.Facts, in.Company).Scan(&mine, &open); err != nil {
			return stepRow{}, fmt.Errorf("notices: notice facts: %w", err)
		}
		if mine != len(uniq(in.Facts)) {
			return stepRow{}, invalid("质量事实不存在或不属于该企业（fact_ids）", "a fact does not exist or is not the company's (fact_ids)")
		}
		if open == 0 {
			return stepRow{}, chemguard.Errorf(chemguard.EConflict, "所选质量事实均已结束，无需整改",
				"every fact named has already ended; nothing to rectify")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO governance_notices (company_code, division_code, park_code, requirement,
			deadline, status, issued_by, issuer_domain, issued_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'issued', $6, $7, $8, $8) RETURNING id`,
			in.Company, county, park, in.Requirement, in.Deadline, actor.Name, actor.Domain, now).Scan(&id); err != nil {
			return stepRow{}, fmt.Errorf("notices: issue notice: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO governance_notice_facts (notice_id, fact_id)
			SELECT $1, unnest($2::text[])`, id, uniq(in.Facts)); err != nil {
			return stepRow{}, fmt.Errorf("notices: notice facts: %w", err)
		}
		return stepRow{id: id, action: StepIssue, to: Issued, note: in.Requirement,
			detail: map[string]any{"company_code": in.Company, "fact_ids": uniq(in.Facts), "deadline": in.Deadline}}, nil
	}, actor)
	if err != nil {
		return Notice{}, err
	}
	return s.Get(ctx, id)
}

// checkCompany checks actor may write inspections of company code.
func (s *Service) checkCompany(ctx context.Context, actor Actor, code string) error {
	var county, park string
	err := s.pool.QueryRow(ctx, `SELECT division_code, COALESCE(park_code, '') FROM enterprises
		WHERE code = $1`, code).Scan(&county, &park)
	if err != nil {
		if cerr := actor.check(policy.ObjInspection, policy.ActWrite, tiers.ProvinceCode); cerr != nil {
			return cerr
		}
		return chemguard.Errorf(chemguard.ENotFound, "企业「%s」未登记", "no enterprise %q", code)
	}
	return actor.check(policy.ObjInspection, policy.ActWrite, tiers.EnterprisePath(county, park, code))
}

// Reachable returns notice id after checking actor may do act on obj of its
// company: an unknown id is not found only for one who reaches the province.
func (s *Service) Reachable(ctx context.Context, actor Actor, obj, act string, id int64) (Notice, error) {
	n, err := s.Get(ctx, id)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		// Only a caller who reaches the province learns a number is unused.
		if cerr := actor.check(obj, act, tiers.ProvinceCode); cerr != nil {
			return n, cerr
		}
	}
	if err != nil {
		return n, err
	}
	return n, actor.check(obj, act, n.Path())
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// stepRow is one step to append.
type stepRow struct {
	id       int64
	action   string
	from, to string
	note     string
	detail   map[string]any
}

// step runs fn in a transaction, appends the step it returns to the notice's
// history and, once committed, records it in the audit log as actor.
func (s *Service) step(ctx context.Context, fn func(pgx.Tx) (stepRow, error), by Actor) error {
	actor := by.event()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("notices: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	st, err := fn(tx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO governance_notice_steps (notice_id, action, from_status, to_status, actor,
		actor_role, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		st.id, st.action, st.from, st.to, actor.Actor, actor.ActorRole, st.note, s.now()); err != nil {
		return fmt.Errorf("notices: notice step: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("notices: commit notice: %w", err)
	}
	if s.audit == nil {
		return nil
	}
	ev := actor
	ev.Action, ev.Object, ev.Result = AuditAction, "governance_notice:"+strconv.FormatInt(st.id, 10), audit.ResultOK
	detail := map[string]any{"step": st.action, "from": st.from, "to": st.to, "note": st.note}
	for k, v := range st.detail {
		detail[k] = v
	}
	ev.Detail = detail
	return s.audit.Record(ctx, ev)
}

// lock reads and locks a notice's status; company, when not "", must own it (a
// company never learns of another's notices: not found).
func lock(ctx context.Context, tx pgx.Tx, id int64, company string) (status string, auto bool, err error) {
	var owner string
	err = tx.QueryRow(ctx, `SELECT status, auto_close, company_code FROM governance_notices WHERE id = $1 FOR UPDATE`,
		id).Scan(&status, &auto, &owner)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && company != "" && owner != company) {
		return "", false, errNoNotice(id)
	}
	if err != nil {
		return "", false, fmt.Errorf("notices: lock notice %d: %w", id, err)
	}
	return status, auto, nil
}

func errNoNotice(id int64) error {
	return chemguard.Errorf(chemguard.ENotFound, "整改通知 %d 不存在", "no governance notice %d", id)
}

func conflict(status, zh, en string) error {
	return chemguard.Errorf(chemguard.EConflict, "整改通知当前状态为「%s」，"+zh, "the notice is %s; "+en, StatusZH(status), status)
}

// Acknowledge signs (签收) notice id for company, which must own it (another's is
// not found); actor is the company's key (ent:CODE).
func (s *Service) Acknowledge(ctx context.Context, actor Actor, company string, id int64) (Notice, error) {
	err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
		status, _, err := lock(ctx, tx, id, company)
		if err != nil {
			return stepRow{}, err
		}
		if status != Issued {
			return stepRow{}, conflict(status, "只有已下达的通知可以签收", "only an issued notice can be acknowledged")
		}
		if _, err := tx.Exec(ctx, `UPDATE governance_notices SET status = 'acknowledged', acknowledged_at = $2,
			updated_at = $2 WHERE id = $1`, id, s.now()); err != nil {
			return stepRow{}, fmt.Errorf("notices: acknowledge notice: %w", err)
		}
		return stepRow{id: id, action: StepAcknowledge, from: status, to: Acknowledged}, nil
	}, actor)
	if err != nil {
		return Notice{}, err
	}
	return s.Get(ctx, id)
}

// Answer records the company's 整改反馈 on a signed notice (again after a reopening
// or to amend an earlier answer); an unsigned notice must be signed first.
func (s *Service) Answer(ctx context.Context, actor Actor, company string, id int64, answer string) (Notice, error) {
	if err := textRule("answer", "整改反馈", answer, MaxAnswer); err != nil {
		return Notice{}, err
	}
	err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
		status, _, err := lock(ctx, tx, id, company)
		if err != nil {
			return stepRow{}, err
		}
		if status != Acknowledged && status != Answered {
			return stepRow{}, conflict(status, "请先签收，已关闭的通知不能反馈", "acknowledge it first; a closed notice takes no answer")
		}
		if _, err := tx.Exec(ctx, `UPDATE governance_notices SET status = 'answered', answer = $2, answered_at = $3,
			updated_at = $3 WHERE id = $1`, id, answer, s.now()); err != nil {
			return stepRow{}, fmt.Errorf("notices: answer notice: %w", err)
		}
		return stepRow{id: id, action: StepAnswer, from: status, to: Answered, note: answer}, nil
	}, actor)
	if err != nil {
		return Notice{}, err
	}
	return s.Get(ctx, id)
}

// Close closes an open notice with a reason (a regulator's decision); actor must
// be allowed to write inspections of its company.
func (s *Service) Close(ctx context.Context, actor Actor, id int64, reason string) (Notice, error) {
	if _, err := s.Reachable(ctx, actor, policy.ObjInspection, policy.ActWrite, id); err != nil {
		return Notice{}, err
	}
	if err := textRule("reason", "关闭原因", reason, MaxReason); err != nil {
		return Notice{}, err
	}
	err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
		status, _, err := lock(ctx, tx, id, "")
		if err != nil {
			return stepRow{}, err
		}
		if status == Closed {
			return stepRow{}, conflict(status, "不能重复关闭", "it cannot be closed again")
		}
		if err := closeNotice(ctx, tx, id, actor.Name, reason, s.now()); err != nil {
			return stepRow{}, err
		}
		return stepRow{id: id, action: StepClose, from: status, to: Closed, note: reason}, nil
	}, actor)
	if err != nil {
		return Notice{}, err
	}
	return s.Get(ctx, id)
}

func closeNotice(ctx context.Context, tx pgx.Tx, id int64, by, reason string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE governance_notices SET status = 'closed', closed_at = $2, closed_by = $3,
		close_reason = $4, updated_at = $2 WHERE id = $1`, id, now, by, reason); err != nil {
		return fmt.Errorf("notices: close notice: %w", err)
	}
	return nil
}

// Reopen reopens a closed notice with a reason and, if not zero, a new deadline.
// The company answers again; the notice no longer closes by itself (its facts have
// ended already), only a regulator closes it. Actor must be allowed to write
// inspections of its company.
func (s *Service) Reopen(ctx context.Context, actor Actor, id int64, reason string, deadline time.Time) (Notice, error) {
	if _, err := s.Reachable(ctx, actor, policy.ObjInspection, policy.ActWrite, id); err != nil {
		return Notice{}, err
	}
	if err := textRule("reason", "重新打开原因", reason, MaxReason); err != nil {
		return Notice{}, err
	}
	if !deadline.IsZero() && !deadline.After(s.now()) {
		return Notice{}, invalid("整改期限须晚于当前时间（deadline）", "deadline must be in the future")
	}
	err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
		status, _, err := lock(ctx, tx, id, "")
		if err != nil {
			return stepRow{}, err
		}
		if status != Closed {
			return stepRow{}, conflict(status, "只有已关闭的通知可以重新打开", "only a closed notice can be reopened")
		}
		// Back to signed: the company has seen it; it answers again.
		to := Acknowledged
		var dl any
		if !deadline.IsZero() {
			dl = deadline
		}
		if _, err := tx.Exec(ctx, `UPDATE governance_notices SET status = $2, auto_close = false, closed_at = NULL,
			closed_by = '', close_reason = '', acknowledged_at = COALESCE(acknowledged_at, $3),
			deadline = COALESCE($4, deadline), updated_at = $3 WHERE id = $1`, id, to, s.now(), dl); err != nil {
			return stepRow{}, fmt.Errorf("notices: reopen notice: %w", err)
		}
		return stepRow{id: id, action: StepReopen, from: status, to: to, note: reason,
			detail: map[string]any{"deadline": dl}}, nil
	}, actor)
	if err != nil {
		return Notice{}, err
	}
	return s.Get(ctx, id)
}

// AutoCloseReason is the reason of a notice closed by the data.
const AutoCloseReason = "数据显示所涉质量事实均已结束（已整改）"

// notFixed is the SQL condition on a fact (f) that the data has not shown fixed: it
// is open, or it is a day-bound fact that ended only because its day did (at the
// day's local midnight: 未承诺 never committed, a rejected share or contradiction
// that lasted all day).
const notFixed = `(f.ended_at IS NULL OR (f.day IS NOT NULL
	AND f.ended_at = ((f.day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')))`

// Sweep closes every open notice that closes by itself and whose facts have all
// ended in the data (the governance consumer set their ended_at; a day-bound fact
// that merely reached the end of its day is not fixed), as SystemActor, and returns
// how many it closed.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT n.id FROM governance_notices n WHERE n.status <> 'closed' AND n.auto_close
		AND NOT EXISTS (SELECT 1 FROM governance_notice_facts nf JOIN governance_facts f ON f.fact_id = nf.fact_id
			WHERE nf.notice_id = n.id AND `+notFixed+`)
		ORDER BY n.id`)
	if err != nil {
		return 0, fmt.Errorf("notices: sweep notices: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("notices: sweep notices: %w", err)
	}
	closed := 0
	for _, id := range ids {
		done := false
		err := s.step(ctx, func(tx pgx.Tx) (stepRow, error) {
			status, auto, err := lock(ctx, tx, id, "")
			if err != nil {
				return stepRow{}, err
			}
			if status == Closed || !auto {
				return stepRow{}, errSkip // another process got there first, or it was reopened
			}
			var open bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM governance_notice_facts nf
				JOIN governance_facts f ON f.fact_id = nf.fact_id WHERE nf.notice_id = $1 AND `+notFixed+`)`,
				id).Scan(&open); err != nil {
				return stepRow{}, fmt.Errorf("notices: sweep notice %d: %w", id, err)
			}
			if open {
				return stepRow{}, errSkip
			}
			if err := closeNotice(ctx, tx, id, SystemActor, AutoCloseReason, s.now()); err != nil {
				return stepRow{}, err
			}
			done = true
			return stepRow{id: id, action: StepAutoClose, from: status, to: Closed, note: AutoCloseReason}, nil
		}, Actor{Name: SystemActor})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return closed, err
		}
		if done {
			closed++
		}
	}
	return closed, nil
}

var errSkip = errors.New("notices: notice skipped")

// DefaultSweepEvery is how often RunSweeper sweeps when not told: the governance
// runner's default tick, at which it ends the facts a sweep looks at.
const DefaultSweepEvery = 10 * time.Second

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				slog.Error("notices: notice sweep failed", "err", err)
			}
		}
	}
}

// Filter selects notices for List.
type Filter struct {
	Scope   tiers.Scope // the enterprises whose notices are listed
	Company string      // "" for all in scope
	Fact    string      // notices naming this fact, "" for all
	// Status: "" all, "open" not closed, "overdue" open past the deadline, or one status.
	Status        string
	Offset, Limit int // Limit 0: 20
}

// statusCond is the SQL condition of a status filter, $1 being now.
func statusCond(status string) (string, error) {
	switch status {
	case "":
		return "TRUE", nil
	case "open":
		return "n.status <> 'closed'", nil
	case "overdue":
		return "n.status <> 'closed' AND n.deadline < $1", nil
	case Issued, Acknowledged, Answered, Closed:
		return "n.status = '" + status + "'", nil
	}
	return "", invalid("status 须为 open、overdue、issued、acknowledged、answered 或 closed",
		"status must be open, overdue, issued, acknowledged, answered or closed")
}

const noticeColumns = `n.id, n.company_code, e.name, n.division_code, n.park_code, n.requirement, n.deadline, n.status,
	n.auto_close, n.issued_by, n.issuer_domain, n.issued_at, n.acknowledged_at, n.answer, n.answered_at, n.closed_at,
	n.closed_by, n.close_reason`

func (s *Service) scan(r pgx.CollectableRow) (Notice, error) {
	var n Notice
	err := r.Scan(&n.ID, &n.Company, &n.CompanyName, &n.County, &n.Park, &n.Requirement, &n.Deadline, &n.Status,
		&n.AutoClose, &n.IssuedBy, &n.IssuerDomain, &n.IssuedAt, &n.AcknowledgedAt, &n.Answer, &n.AnsweredAt,
		&n.ClosedAt, &n.ClosedBy, &n.CloseReason)
	n.StatusZH = StatusZH(n.Status)
	n.Overdue = n.Status != Closed && s.now().After(n.Deadline)
	return n, err
}

// List returns a page of notices, newest first, with their facts, and the number
// of notices the filter selects; scope and filters apply in SQL.
func (s *Service) List(ctx context.Context, f Filter) ([]Notice, int, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	cond, err := statusCond(f.Status)
	if err != nil {
		return nil, 0, err
	}
	scope, args := f.Scope.Where("e", 2)
	args = append([]any{s.now()}, args...)
	conds := []string{"$1::timestamptz IS NOT NULL", cond, scope}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Company != "" {
		add("n.company_code = $?", f.Company)
	}
	if f.Fact != "" {
		add("EXISTS (SELECT 1 FROM governance_notice_facts nf WHERE nf.notice_id = n.id AND nf.fact_id = $?)", f.Fact)
	}
	from := ` FROM governance_notices n JOIN enterprises e ON e.code = n.company_code WHERE ` + strings.Join(conds, " AND ")
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("notices: count notices: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+noticeColumns+from+` ORDER BY n.issued_at DESC, n.id DESC
		LIMIT `+strconv.Itoa(f.Limit)+` OFFSET `+strconv.Itoa(f.Offset), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("notices: list notices: %w", err)
	}
	list, err := pgx.CollectRows(rows, s.scan)
	if err != nil {
		return nil, 0, fmt.Errorf("notices: list notices: %w", err)
	}
	if err := s.facts(ctx, list); err != nil {
		return nil, 0, err
	}
	if list == nil {
		list = []Notice{}
	}
	return list, total, nil
}

// facts fills the facts of notices.
func (s *Service) facts(ctx context.Context, list []Notice) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	at := map[int64]int{}
	for i, n := range list {
		ids[i], at[n.ID] = n.ID, i
		list[i].Facts = []Fact{}
	}
	rows, err := s.pool.Query(ctx, `SELECT nf.notice_id, f.fact_id, f.kind, f.detail, f.started_at, f.ended_at
		FROM governance_notice_facts nf JOIN governance_facts f ON f.fact_id = nf.fact_id
		WHERE nf.notice_id = ANY($1) ORDER BY nf.notice_id, f.started_at, f.fact_id`, ids)
	if err != nil {
		return fmt.Errorf("notices: notice facts: %w", err)
	}
	var id int64
	var nf Fact
	_, err = pgx.ForEachRow(rows, []any{&id, &nf.ID, &nf.Kind, &nf.Detail, &nf.Started, &nf.Ended}, func() error {
		x := nf
		if s.rules != nil {
			x.NameZH = s.rules.Kinds[governance.Kind(x.Kind)].NameZH
		}
		list[at[id]].Facts = append(list[at[id]].Facts, x)
		return nil
	})
	if err != nil {
		return fmt.Errorf("notices: notice facts: %w", err)
	}
	return nil
}

// Get returns a notice with its facts and steps.
func (s *Service) Get(ctx context.Context, id int64) (Notice, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+noticeColumns+` FROM governance_notices n
		JOIN enterprises e ON e.code = n.company_code WHERE n.id = $1`, id)
	if err != nil {
		return Notice{}, fmt.Errorf("notices: notice %d: %w", id, err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, s.scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, errNoNotice(id)
	}
	if err != nil {
		return n, fmt.Errorf("notices: notice %d: %w", id, err)
	}
	list := []Notice{n}
	if err := s.facts(ctx, list); err != nil {
		return n, err
	}
	n = list[0]
	rows, err = s.pool.Query(ctx, `SELECT action, from_status, to_status, actor, actor_role, note, at
		FROM governance_notice_steps WHERE notice_id = $1 ORDER BY id`, id)
	if err != nil {
		return n, fmt.Errorf("notices: notice steps: %w", err)
	}
	n.Steps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Step, error) {
		var st Step
		err := r.Scan(&st.Action, &st.FromStatus, &st.ToStatus, &st.Actor, &st.ActorRole, &st.Note, &st.At)
		st.ActionZH = StepZH(st.Action)
		return st, err
	})
	if err != nil {
		return n, fmt.Errorf("notices: notice steps: %w", err)
	}
	return n, nil
}

func invalid(zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
}
