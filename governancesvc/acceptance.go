package governancesvc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
)

// AcceptanceAction is the audit log's action of a 验收 recorded.
const AcceptanceAction = "rollout_acceptance"

// The results of a 验收.
const (
	AcceptancePassed = "passed" // 验收通过
	AcceptanceFailed = "failed" // 验收不通过
)

// maxAcceptanceNote bounds a 验收's note, in characters.
const maxAcceptanceNote = 1000

// Acceptances records the county's 验收 of a company's systems (seed 正文 三(三)1:
// 各市县应急管理部门…对企业建设和应用情况进行验收、评估) in rollout_acceptances
// (migration 00055). Each act is a new row; the latest one per company and system
// stands.
type Acceptances struct {
	pool  *pgxpool.Pool
	audit audit.Recorder
	now   func() time.Time
}

// NewAcceptances returns the 验收 register on pool, auditing each act with rec (nil:
// not audited, for tests of the rule alone).
func NewAcceptances(pool *pgxpool.Pool, rec audit.Recorder, now func() time.Time) *Acceptances {
	if now == nil {
		now = time.Now
	}
	return &Acceptances{pool: pool, audit: rec, now: now}
}

// AcceptanceInput is a 验收 as the county enters it.
type AcceptanceInput struct {
	Company string
	System  string // governance.System.Key
	Result  string // AcceptancePassed or AcceptanceFailed
	On      string // the day of the 验收, yyyy-MM-dd
	Note    string
}

// Acceptor is who records a 验收: the audit log's actor, its region (Domain) and
// whether it holds a county-level regulator role (县级监管领导/人员).
type Acceptor struct {
	Name, Role, ClientIP string
	Domain               string
	CountyRegulator      bool
}

// Acceptance is one recorded 验收.
type Acceptance struct {
	ID         int64     `json:"id"`
	Company    string    `json:"company_code"`
	System     string    `json:"system"`
	Result     string    `json:"result"`
	On         time.Time `json:"accepted_on"`
	Note       string    `json:"note"`
	By         string    `json:"recorded_by"`
	County     string    `json:"division_code"`
	RecordedAt time.Time `json:"recorded_at"`
}

// ResultZH is the result as users read it.
func (a Acceptance) ResultZH() string { return AcceptanceResultZH(a.Result) }

// AcceptanceResultZH is a result as users read it.
func AcceptanceResultZH(r string) string {
	return map[string]string{AcceptancePassed: "验收通过", AcceptanceFailed: "验收不通过"}[r]
}

func invalidField(field, zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, "%[1]s："+zh, "%[1]s: "+en, append([]any{field}, args...)...)
}

// Record checks and stores a 验收 by by: only a county-level regulator of the
// company's own county may record it (a city, the province, a park or another county
// is refused: the seed gives the 验收 to the county that supervises the company);
// the system must be one of governance.Systems the company owes by its kind, the
// result passed or failed, the day a date not after today. Refusals are audited as
// denied, the act as ok.
func (s *Acceptances) Record(ctx context.Context, in AcceptanceInput, by Acceptor) (Acceptance, error) {
	a, err := s.record(ctx, in, by)
	if s.audit != nil {
		ev := audit.Event{Actor: by.Name, ActorRole: by.Role, ClientIP: by.ClientIP, Action: AcceptanceAction,
			Object: "enterprise:" + in.Company + "/" + in.System, Result: audit.ResultOK,
			Detail: map[string]any{"result": in.Result, "accepted_on": in.On, "note": in.Note}}
		if err != nil {
			ev.Result = audit.ResultFailed
			if chemguard.ErrorCode(err) == chemguard.EForbidden {
				ev.Result = audit.ResultDenied
			}
			var ce *chemguard.Error
			if errors.As(err, &ce) {
				ev.Detail.(map[string]any)["error"] = ce.MessageZH
			}
		} else {
			ev.Detail.(map[string]any)["id"] = a.ID
		}
		if aerr := s.audit.Record(ctx, ev); aerr != nil && err == nil {
			return a, fmt.Errorf("rollout: audit acceptance: %w", aerr)
		}
	}
	return a, err
}

func (s *Acceptances) record(ctx context.Context, in AcceptanceInput, by Acceptor) (Acceptance, error) {
	var county, kind string
	var disabled *time.Time
	err := s.pool.QueryRow(ctx, `SELECT division_code, kind, disabled_at FROM enterprises WHERE code = $1`, in.Company).
		Scan(&county, &kind, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return Acceptance{}, chemguard.Errorf(chemguard.ENotFound, "企业「%s」不存在", "no enterprise %q", in.Company)
	}
	if err != nil {
		return Acceptance{}, fmt.Errorf("rollout: enterprise %s: %w", in.Company, err)
	}
	if err := AcceptanceAllowed(by, county); err != nil {
		return Acceptance{}, err
	}
	if disabled != nil {
		return Acceptance{}, chemguard.Errorf(chemguard.EConflict, "企业「%s」已停用，不能验收", "enterprise %q is disabled", in.Company)
	}
	sys, ok := governance.SystemByKey(in.System)
	if !ok {
		return Acceptance{}, invalidField("system", "不是六类系统之一", "is not one of the six systems")
	}
	if !sys.Owes(kind) {
		return Acceptance{}, invalidField("system", "企业类型「%[2]s」不需建设%[3]s", "a company of kind %[2]q does not build %[3]s",
			kind, sys.NameZH)
	}
	if in.Result != AcceptancePassed && in.Result != AcceptanceFailed {
		return Acceptance{}, invalidField("result", "须为验收通过（passed）或验收不通过（failed）", "must be passed or failed")
	}
	on, err := time.ParseInLocation(schemas.DateLayout, strings.TrimSpace(in.On), schemas.Shanghai)
	if err != nil {
		return Acceptance{}, invalidField("accepted_on", "验收日期须为 yyyy-MM-dd", "the date must be yyyy-MM-dd")
	}
	if today := s.now().In(schemas.Shanghai).Format(schemas.DateLayout); on.Format(schemas.DateLayout) > today {
		return Acceptance{}, invalidField("accepted_on", "验收日期不能晚于今天（%[2]s）", "must not be after today (%[2]s)", today)
	}
	note := strings.TrimSpace(in.Note)
	if n := utf8.RuneCountInString(note); n > maxAcceptanceNote {
		return Acceptance{}, invalidField("note", "验收意见最多 %[2]d 字（现 %[3]d 字）", "at most %[2]d characters (has %[3]d)",
			maxAcceptanceNote, n)
	}
	if in.Result == AcceptanceFailed && note == "" {
		return Acceptance{}, invalidField("note", "验收不通过须写明原因", "a failed acceptance needs the reason")
	}
	a := Acceptance{Company: in.Company, System: sys.Key, Result: in.Result, On: on, Note: note, By: by.Name,
		County: county, RecordedAt: s.now()}
	err = s.pool.QueryRow(ctx, `INSERT INTO rollout_acceptances (company_code, system, result, accepted_on, note,
		recorded_by, division_code, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.Company, a.System, a.Result, on.Format(schemas.DateLayout), a.Note, a.By, a.County, a.RecordedAt).Scan(&a.ID)
	if err != nil {
		return Acceptance{}, fmt.Errorf("rollout: record acceptance: %w", err)
	}
	return a, nil
}

// AcceptanceAllowed reports whether by may record a 验收 of a company of county:
// only a county-level regulator (县级监管领导/人员) whose region is that very county.
func AcceptanceAllowed(by Acceptor, county string) error {
	d, ok := tiers.DivisionByCode(by.Domain)
	if !by.CountyRegulator || !ok || d.Level != tiers.County {
		return chemguard.Errorf(chemguard.EForbidden, "验收由企业所在区县的县级应急管理部门录入",
			"only the company's county regulator records an acceptance")
	}
	if by.Domain != county {
		return chemguard.Errorf(chemguard.EForbidden, "该企业不属于本区县（%s），不能验收",
			"the company is not in your county (%s)", by.Domain)
	}
	return nil
}

// AcceptanceHistory lists the company's 验收, newest first.
func (s *Acceptances) AcceptanceHistory(ctx context.Context, company string) ([]Acceptance, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, company_code, system, result, accepted_on, note, recorded_by,
		division_code, recorded_at FROM rollout_acceptances WHERE company_code = $1 ORDER BY id DESC`, company)
	if err != nil {
		return nil, fmt.Errorf("rollout: acceptances of %s: %w", company, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Acceptance, error) {
		var a Acceptance
		err := r.Scan(&a.ID, &a.Company, &a.System, &a.Result, &a.On, &a.Note, &a.By, &a.County, &a.RecordedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("rollout: acceptances of %s: %w", company, err)
	}
	return out, nil
}
