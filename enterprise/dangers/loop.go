package dangers

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Input is what a person enters for a danger (登记 or 修改).
type Input struct {
	HazardCode    string
	RiskMeasureID string
	Report
	DepartmentID int64
	Inspectors   string
	Deadline     time.Time // zero: not assigned yet
	LiableUnit   string
	LiableID     int64 // 0: not assigned yet
	AcceptUnit   string
	AcceptorID   int64
	// 即查即改 only: what was done on the spot.
	Rectification string
	Funds         *float64
	FundsSource   string
}

func invalid(field, zh, en string, args ...any) error {
	e := chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
	e.Details = map[string]string{"field": field}
	return e
}

// invalidText is invalid with each language's text already formatted.
func invalidText(field, zh, en string) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: en, Details: map[string]string{"field": field}}
}

func checkLen(field, label, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalidText(field, fmt.Sprintf("「%s」为必填项", label), fmt.Sprintf("%s is required", field))
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalidText(field, fmt.Sprintf("「%s」最长 %d 个字符，现为 %d 个", label, max, n),
			fmt.Sprintf("%s is at most %d characters, got %d", field, max, n))
	}
	return nil
}

// people is the company's directory at the time of a change.
type people struct {
	byID  map[int64]enterprise.Person
	deps  map[int64]enterprise.Department
	names map[string]enterprise.Person // display name → person, when unique
}

func (s *Service) directory(ctx context.Context, company string) (people, error) {
	p := people{byID: map[int64]enterprise.Person{}, deps: map[int64]enterprise.Department{}, names: map[string]enterprise.Person{}}
	ps, err := s.Directory.People(ctx, company)
	if err != nil {
		return p, fmt.Errorf("dangers: people: %w", err)
	}
	dup := map[string]bool{}
	for _, x := range ps {
		p.byID[x.UserID] = x
		for _, n := range []string{x.DisplayName, x.Username} {
			if n == "" {
				continue
			}
			if _, ok := p.names[n]; ok {
				dup[n] = true
			}
			p.names[n] = x
		}
	}
	for n := range dup {
		delete(p.names, n)
	}
	ds, err := s.Directory.Departments(ctx, company)
	if err != nil {
		return p, fmt.Errorf("dangers: departments: %w", err)
	}
	for _, d := range ds {
		p.deps[d.ID] = d
	}
	return p, nil
}

func displayName(p enterprise.Person) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

func memberName(m *enterprise.Member) string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Username
}

// apply checks in against the seed's codes and lengths and the company's
// directory, and copies it onto d.
func (in *Input) apply(d *Danger, dir people) error {
	checks := []error{
		checkLen("HAZARD_CODE", "危险源编码", in.HazardCode, 36, true),
		checkLen("DANGER_NAME", "隐患名称", in.Name, 100, true),
		checkLen("DANGER_DESC", "隐患内容", in.Description, 1000, true),
		checkLen("place", "隐患地点", in.Place, 200, false),
		checkLen("basis", "判定依据", in.Basis, 1000, false),
		checkLen("DANGER_REASON", "原因分析", in.Reason, 1000, false),
		checkLen("inspectors", "排查人员", in.Inspectors, 200, false),
		checkLen("liable_unit", "整改责任单位", in.LiableUnit, 200, false),
		checkLen("accept_unit", "评估验收单位", in.AcceptUnit, 200, false),
		checkLen("rectification", "整改落实情况", in.Rectification, 1000, false),
		checkLen("funds_source", "资金来源", in.FundsSource, 200, false),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if in.RiskMeasureID != "" {
		if _, err := uuid.Parse(in.RiskMeasureID); err != nil {
			return invalid("RISK_MEASURE_ID", "「管控措施主键」须为 UUID", "RISK_MEASURE_ID must be a UUID")
		}
	}
	if !codeOK(schemas.CodesDangerLevel, strconv.Itoa(in.Level)) {
		return invalid("DANGER_LEVEL", "「隐患等级」须为 0 一般隐患 或 1 重大隐患", "DANGER_LEVEL must be 0 (general) or 1 (major)")
	}
	if !codeOK(schemas.CodesDangerType, strconv.Itoa(in.Type)) {
		return invalid("HAZARD_DANGER_TYPE", "「隐患类型」须为 1–8（安全、工艺、电气、仪表、消防、总图、设备、其他）", "HAZARD_DANGER_TYPE must be 1–8")
	}
	if !codeOK(schemas.CodesDangerSrc, in.Source) {
		return invalid("DANGER_SRC", "「隐患来源」须为 1–11 之一", "DANGER_SRC must be one of 1–11")
	}
	if !codeOK(schemas.CodesManageType, strconv.Itoa(in.ManageType)) {
		return invalid("DANGER_MANAGE_TYPE", "「治理类型」须为 0 即查即改 或 1 限期整改", "DANGER_MANAGE_TYPE must be 0 (on the spot) or 1 (by a deadline)")
	}
	if in.FoundOn.IsZero() {
		return invalid("found_on", "「排查日期」为必填项", "the check date is required")
	}
	if in.Funds != nil && *in.Funds < 0 {
		return invalid("funds", "「整改资金」不能为负数", "the rectification funds cannot be negative")
	}
	if in.DepartmentID != 0 {
		dep, ok := dir.deps[in.DepartmentID]
		if !ok {
			return invalid("department", "「实施部门」不是本企业的部门", "the department is not one of the company's")
		}
		d.DepartmentName = dep.Name
	}
	if in.LiableID != 0 {
		p, ok := dir.byID[in.LiableID]
		if !ok {
			return invalid("liable", "「整改责任人」不是本企业在册人员", "the rectifier is not a member of the company")
		}
		if in.Deadline.IsZero() {
			return invalid("DANGER_MANAGE_DEADLINE", "指定整改责任人时须填写「整改期限」", "a deadline is required with the rectifier")
		}
		d.LiableName = displayName(p)
	} else {
		d.LiableName = ""
	}
	if in.AcceptorID != 0 {
		p, ok := dir.byID[in.AcceptorID]
		if !ok {
			return invalid("acceptor", "「评估验收人员」不是本企业在册人员", "the acceptor is not a member of the company")
		}
		if in.AcceptorID == in.LiableID && in.ManageType != 0 {
			return invalid("acceptor", "验收人员不能是整改责任人本人", "the acceptor cannot be the rectifier")
		}
		d.AcceptorName = displayName(p)
	} else if d.State != Accepted {
		d.AcceptorName = ""
	}
	d.HazardCode, d.RiskMeasureID = strings.TrimSpace(in.HazardCode), in.RiskMeasureID
	d.Report = in.Report
	d.Name, d.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	d.DepartmentID, d.Inspectors, d.Deadline = in.DepartmentID, in.Inspectors, in.Deadline
	d.LiableUnit, d.LiableID, d.AcceptUnit, d.AcceptorID = in.LiableUnit, in.LiableID, in.AcceptUnit, in.AcceptorID
	if in.Funds != nil {
		d.Funds = in.Funds
	}
	if in.FundsSource != "" {
		d.FundsSource = in.FundsSource
	}
	return nil
}

func codeOK(t *schemas.CodeTable, v string) bool {
	_, ok := t.Lookup(v)
	return ok
}

// canManage: the company's managers and the head of the danger's department
// assign, edit and follow it.
func canManage(m *enterprise.Member, d *Danger) bool {
	if m.Has(enterprise.Managers...) {
		return true
	}
	return m.Has(policy.EnterpriseDeptHead) && m.Department != nil && d.DepartmentID != 0 && m.Department.ID == d.DepartmentID
}

// canAccept: a manager, or the 验收人员 assigned; never the rectifier himself
// (except 即查即改, closed on the spot).
func canAccept(m *enterprise.Member, d *Danger) bool {
	if d.LiableID == m.UserID {
		return false
	}
	if d.AcceptorID != 0 {
		return d.AcceptorID == m.UserID || m.Has(enterprise.Managers...)
	}
	return m.Has(enterprise.Managers...)
}

// Step is what a loop step carries besides its fields: the photos taken and,
// from the phone's offline queue, the client's id (a replay is applied once).
type Step struct {
	Photos   []string
	ClientID string
	Note     string
	// At is when the phone says the form was filled in (a queued form is sent
	// later); kept when within the last 7 days and not in the future.
	At time.Time
}

// when is the step's time at now.
func (st Step) when(now time.Time) time.Time {
	if st.At.IsZero() || st.At.After(now) || now.Sub(st.At) > 7*24*time.Hour {
		return now
	}
	return st.At
}

// Register enters a new danger for m. With a 整改责任人 it is 整改中 at once and
// the rectifier is told; 即查即改 with what was done closes it at once; without
// either it waits for a manager to assign it. Returns the danger's id.
func (s *Service) Register(ctx context.Context, m *enterprise.Member, in Input, st Step, origin string) (string, error) {
	now := s.Clock()
	dir, err := s.directory(ctx, m.Company)
	if err != nil {
		return "", err
	}
	d := Danger{ID: uuid.New(), Company: m.Company, State: Registered, RegistrantID: m.UserID,
		RegistrantName: memberName(m), RegisteredAt: st.when(now), Origin: origin, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&d, dir); err != nil {
		return "", err
	}
	if d.DepartmentID == 0 && m.Department != nil {
		d.DepartmentID, d.DepartmentName = m.Department.ID, m.Department.Name
	}
	switch {
	case in.ManageType == 0:
		if strings.TrimSpace(in.Rectification) == "" {
			return "", invalid("rectification", "即查即改的隐患须填写「整改落实情况」", "an on-the-spot danger needs what was done (rectification)")
		}
		if d.LiableID == 0 {
			d.LiableID, d.LiableName = m.UserID, memberName(m)
		}
		if d.Deadline.IsZero() {
			d.Deadline = now
		}
		d.Rectification, d.CompletedOn = in.Rectification, now
		d.State, d.AcceptorName, d.AcceptedAt, d.AcceptComment = Accepted, memberName(m), now, "即查即改，现场整改完毕"
	case d.LiableID != 0:
		d.State = Rectifying
	}
	var replay string
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var ok bool
		if replay, ok, err = replayed(ctx, tx, m.Company, st.ClientID); err != nil || ok {
			return err
		}
		if err := save(ctx, tx, &d); err != nil {
			return err
		}
		note := st.Note
		if d.State == Accepted {
			note = strings.TrimSpace(note + " 即查即改：" + d.Rectification)
		}
		if _, err := addEvent(ctx, tx, &d, Event{At: now, ActorID: m.UserID, ActorName: memberName(m), Action: "register",
			Note: note, Photos: st.Photos}, st.ClientID); err != nil {
			return err
		}
		return s.publish(ctx, tx, &d)
	})
	if err != nil {
		return "", err
	}
	if replay != "" {
		return replay, nil
	}
	s.afterRegister(ctx, &d)
	return d.ID.String(), nil
}

// afterRegister tells who must act on a new danger.
func (s *Service) afterRegister(ctx context.Context, d *Danger) {
	switch d.State {
	case Registered:
		s.notifyRole(ctx, d, policy.EnterpriseSafety, enterprise.Notice{Kind: "danger_registered",
			Title: "新登记隐患待分派：" + d.Name, Body: d.Place + " " + d.Description,
			Link: enterprise.Prefix + "/dangers/" + d.ID.String(), Key: "danger_registered:" + d.ID.String()})
	case Rectifying:
		s.notifyAssigned(ctx, d)
	}
	if d.Level == 1 && d.State != Accepted {
		s.notifyRole(ctx, d, policy.EnterprisePrincipal, enterprise.Notice{Kind: "danger_major",
			Title: "重大隐患：" + d.Name, Body: d.Place + " " + d.Description, Urgent: true,
			Link: enterprise.Prefix + "/dangers/" + d.ID.String(), Key: "danger_major:" + d.ID.String()})
	}
}

func (s *Service) notifyAssigned(ctx context.Context, d *Danger) {
	if d.LiableID == 0 {
		return
	}
	s.notify(ctx, d.Company, []int64{d.LiableID}, enterprise.Notice{Kind: "danger_assigned",
		Title: "请整改隐患：" + d.Name,
		Body:  "整改期限 " + d.Deadline.In(schemas.Shanghai).Format(schemas.DateTimeLayout) + "，" + d.Place,
		Link:  enterprise.PhonePrefix + "/dangers/" + d.ID.String(),
		Key:   "danger_assigned:" + d.ID.String() + ":" + strconv.FormatInt(d.LiableID, 10) + ":" + d.UpdatedAt.Format(time.RFC3339Nano)})
}

func (s *Service) notifyRole(ctx context.Context, d *Danger, role policy.Role, n enterprise.Notice) {
	ps, err := s.Directory.PeopleWithRole(ctx, d.Company, role)
	if err != nil {
		slog.Warn("dangers: people with role", "company", d.Company, "role", role, "err", err)
		return
	}
	ids := make([]int64, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.UserID)
	}
	s.notify(ctx, d.Company, ids, n)
}

// notify tells people after the change committed; a failure is logged, not
// the request's: the change stands and the sweep tells again.
func (s *Service) notify(ctx context.Context, company string, ids []int64, n enterprise.Notice) {
	if len(ids) == 0 {
		return
	}
	if err := s.Notifier.Notify(ctx, company, ids, n); err != nil {
		slog.Warn("dangers: notify", "company", company, "kind", n.Kind, "err", err)
	}
}

// change runs one loop step on the company's danger id: fn checks and changes
// the locked danger and returns the event; the danger, the event and the 表6
// record commit together. A replayed client id is a no-op.
func (s *Service) change(ctx context.Context, m *enterprise.Member, id string, st Step, fn func(d *Danger, now time.Time) (Event, error)) (Danger, bool, error) {
	now := s.Clock()
	var d Danger
	changed := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if d, err = load(ctx, tx, m.Company, id, true); err != nil {
			return err
		}
		if _, ok, err := replayed(ctx, tx, m.Company, st.ClientID); err != nil || ok {
			return err
		}
		if d.Deleted() {
			return chemguard.Errorf(chemguard.EConflict, "该隐患已删除", "the hidden danger was deleted")
		}
		e, err := fn(&d, now)
		if err != nil {
			return err
		}
		d.UpdatedAt = now
		e.At, e.ActorID, e.ActorName = now, m.UserID, memberName(m)
		if e.Photos == nil {
			e.Photos = st.Photos
		}
		if err := save(ctx, tx, &d); err != nil {
			return err
		}
		if _, err := addEvent(ctx, tx, &d, e, st.ClientID); err != nil {
			return err
		}
		changed = true
		return s.publish(ctx, tx, &d)
	})
	return d, changed, err
}

func wrongState(d *Danger, zh, en string) error {
	return &chemguard.Error{Code: chemguard.EConflict, MessageZH: "该隐患当前为「" + StateZH[d.State] + "」，" + zh,
		MessageEN: "the hidden danger is " + string(d.State) + "; " + en}
}

// Edit changes a danger's fields (a manager or the department's head), not
// once accepted.
func (s *Service) Edit(ctx context.Context, m *enterprise.Member, id string, in Input) error {
	dir, err := s.directory(ctx, m.Company)
	if err != nil {
		return err
	}
	d, changed, err := s.change(ctx, m, id, Step{}, func(d *Danger, now time.Time) (Event, error) {
		if !canManage(m, d) {
			return Event{}, forbidden("只有安全管理员、主要负责人或本部门负责人可以修改隐患", "only a manager or the department's head may edit the danger")
		}
		if d.State == Accepted {
			return Event{}, wrongState(d, "已验收的隐患不能修改", "an accepted danger cannot be edited")
		}
		before := *d
		in.Rectification = ""
		if in.ManageType == 0 && d.State != Accepted {
			in.ManageType = d.ManageType // 即查即改 is decided at registration
		}
		if err := in.apply(d, dir); err != nil {
			return Event{}, err
		}
		if d.State == Registered && d.LiableID != 0 {
			d.State = Rectifying
		}
		return Event{Action: "edit", Note: diff(&before, d)}, nil
	})
	if err == nil && changed && d.State == Rectifying {
		s.notifyAssigned(ctx, &d)
	}
	return err
}

// diff names the fields an edit changed.
func diff(a, b *Danger) string {
	var out []string
	add := func(label string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out = append(out, label)
		}
	}
	add("隐患名称", a.Name, b.Name)
	add("隐患内容", a.Description, b.Description)
	add("隐患地点", a.Place, b.Place)
	add("隐患等级", a.Level, b.Level)
	add("隐患类型", a.Type, b.Type)
	add("隐患来源", a.Source, b.Source)
	add("危险源编码", a.HazardCode, b.HazardCode)
	add("判定依据", a.Basis, b.Basis)
	add("原因分析", a.Reason, b.Reason)
	add("实施部门", a.DepartmentID, b.DepartmentID)
	add("排查人员", a.Inspectors, b.Inspectors)
	add("排查日期", a.FoundOn, b.FoundOn)
	add("整改期限", a.Deadline, b.Deadline)
	add("整改责任单位", a.LiableUnit, b.LiableUnit)
	add("整改责任人", a.LiableName, b.LiableName)
	add("评估验收单位", a.AcceptUnit, b.AcceptUnit)
	add("评估验收人员", a.AcceptorName, b.AcceptorName)
	if len(out) == 0 {
		return "未改动字段"
	}
	return "修改了：" + strings.Join(out, "、")
}

// Assignment is a manager's 分派: who rectifies by when, who accepts.
type Assignment struct {
	LiableID   int64
	LiableUnit string
	Deadline   time.Time
	AcceptorID int64
	AcceptUnit string
}

// Assign gives a danger to its 整改责任人 (again, when reassigning) and tells
// him.
func (s *Service) Assign(ctx context.Context, m *enterprise.Member, id string, a Assignment) error {
	dir, err := s.directory(ctx, m.Company)
	if err != nil {
		return err
	}
	d, _, err := s.change(ctx, m, id, Step{}, func(d *Danger, now time.Time) (Event, error) {
		if !canManage(m, d) {
			return Event{}, forbidden("只有安全管理员、主要负责人或本部门负责人可以分派整改", "only a manager or the department's head may assign the danger")
		}
		if d.State != Registered && d.State != Rectifying {
			return Event{}, wrongState(d, "不能再分派", "it cannot be assigned")
		}
		p, ok := dir.byID[a.LiableID]
		if !ok {
			return Event{}, invalid("liable", "「整改责任人」须为本企业在册人员", "the rectifier must be a member of the company")
		}
		if a.Deadline.IsZero() {
			return Event{}, invalid("DANGER_MANAGE_DEADLINE", "「整改期限」为必填项", "the deadline is required")
		}
		if a.AcceptorID != 0 {
			q, ok := dir.byID[a.AcceptorID]
			if !ok {
				return Event{}, invalid("acceptor", "「评估验收人员」须为本企业在册人员", "the acceptor must be a member of the company")
			}
			if a.AcceptorID == a.LiableID {
				return Event{}, invalid("acceptor", "验收人员不能是整改责任人本人", "the acceptor cannot be the rectifier")
			}
			d.AcceptorID, d.AcceptorName = a.AcceptorID, displayName(q)
		}
		d.LiableID, d.LiableName, d.Deadline, d.State = a.LiableID, displayName(p), a.Deadline, Rectifying
		if a.LiableUnit != "" {
			d.LiableUnit = a.LiableUnit
		}
		if a.AcceptUnit != "" {
			d.AcceptUnit = a.AcceptUnit
		}
		return Event{Action: "assign", Note: "整改责任人：" + d.LiableName + "，整改期限：" +
			d.Deadline.In(schemas.Shanghai).Format(schemas.DateTimeLayout)}, nil
	})
	if err == nil {
		s.notifyAssigned(ctx, &d)
	}
	return err
}

// Rectification is what the rectifier reports.
type Rectification struct {
	Done        string // 整改落实情况
	Funds       *float64
	FundsSource string
	CompletedOn time.Time
}

// Rectify records the rectification (the 整改责任人, or a manager for him) and
// hands the danger to acceptance (待验收).
func (s *Service) Rectify(ctx context.Context, m *enterprise.Member, id string, r Rectification, st Step) error {
	d, changed, err := s.change(ctx, m, id, st, func(d *Danger, now time.Time) (Event, error) {
		if d.LiableID != m.UserID && !canManage(m, d) {
			return Event{}, forbidden("只有整改责任人可以填报整改", "only the rectifier may report the rectification")
		}
		if d.State != Rectifying {
			return Event{}, wrongState(d, "不能填报整改", "the rectification cannot be reported")
		}
		if err := checkLen("rectification", "整改落实情况", r.Done, 1000, true); err != nil {
			return Event{}, err
		}
		if err := checkLen("funds_source", "资金来源", r.FundsSource, 200, false); err != nil {
			return Event{}, err
		}
		if r.Funds != nil && *r.Funds < 0 {
			return Event{}, invalid("funds", "「整改资金」不能为负数", "the rectification funds cannot be negative")
		}
		if r.CompletedOn.IsZero() {
			r.CompletedOn = now
		}
		if r.CompletedOn.After(now) {
			return Event{}, invalid("completed_on", "「整改完成日期」不能晚于今天", "the completion date cannot be in the future")
		}
		// Funds left empty on a second report (after a return) keep the first one's.
		if r.Funds != nil {
			d.Funds = r.Funds
		}
		if r.FundsSource != "" {
			d.FundsSource = r.FundsSource
		}
		d.Rectification, d.CompletedOn, d.State = r.Done, r.CompletedOn, Pending
		return Event{Action: "rectify", Note: r.Done}, nil
	})
	if err == nil && changed {
		n := enterprise.Notice{Kind: "danger_pending", Title: "隐患待验收：" + d.Name, Body: d.Rectification,
			Link: enterprise.PhonePrefix + "/accept", Key: "danger_pending:" + d.ID.String() + ":" + d.UpdatedAt.Format(time.RFC3339Nano)}
		if d.AcceptorID != 0 {
			s.notify(ctx, d.Company, []int64{d.AcceptorID}, n)
		} else {
			s.notifyRole(ctx, &d, policy.EnterpriseSafety, n)
		}
	}
	return err
}

// Accept closes a danger awaiting acceptance (CHECK_ACCEPT_PERSON, _TIME,
// _COMMENT from m and now).
func (s *Service) Accept(ctx context.Context, m *enterprise.Member, id, comment string, st Step) error {
	_, _, err := s.change(ctx, m, id, st, func(d *Danger, now time.Time) (Event, error) {
		if d.State != Pending {
			return Event{}, wrongState(d, "不能验收", "it cannot be accepted")
		}
		if !canAccept(m, d) {
			return Event{}, forbidden("只有指定的验收人员或安全管理员可以验收，且不能验收本人整改的隐患",
				"only the assigned acceptor or a manager may accept, never the rectifier himself")
		}
		if err := checkLen("CHECK_ACCEPT_COMMENT", "验收情况", comment, 1000, false); err != nil {
			return Event{}, err
		}
		d.State, d.AcceptorID, d.AcceptorName, d.AcceptedAt, d.AcceptComment = Accepted, m.UserID, memberName(m), now, comment
		return Event{Action: "accept", Note: comment}, nil
	})
	return err
}

// Return sends a rectification back to the rectifier with a reason.
func (s *Service) Return(ctx context.Context, m *enterprise.Member, id, reason string, st Step) error {
	d, changed, err := s.change(ctx, m, id, st, func(d *Danger, now time.Time) (Event, error) {
		if d.State != Pending {
			return Event{}, wrongState(d, "不能退回", "it cannot be sent back")
		}
		if !canAccept(m, d) {
			return Event{}, forbidden("只有指定的验收人员或安全管理员可以退回", "only the assigned acceptor or a manager may send it back")
		}
		if err := checkLen("reason", "退回原因", reason, 1000, true); err != nil {
			return Event{}, err
		}
		d.State = Rectifying
		return Event{Action: "return", Note: reason}, nil
	})
	if err == nil && changed {
		s.notify(ctx, d.Company, []int64{d.LiableID}, enterprise.Notice{Kind: "danger_returned",
			Title: "隐患整改被退回：" + d.Name, Body: reason, Link: enterprise.PhonePrefix + "/dangers/" + d.ID.String(),
			Key: "danger_returned:" + d.ID.String() + ":" + d.UpdatedAt.Format(time.RFC3339Nano)})
	}
	return err
}

// Delete softly deletes a danger (a manager, with a reason): it stays in the
// ledger's 已删除 view and its 表6 record is published with DELETED=1.
func (s *Service) Delete(ctx context.Context, m *enterprise.Member, id, reason string) error {
	_, _, err := s.change(ctx, m, id, Step{}, func(d *Danger, now time.Time) (Event, error) {
		if !m.Has(enterprise.Managers...) {
			return Event{}, forbidden("只有安全管理员或主要负责人可以删除隐患", "only a manager may delete a danger")
		}
		if err := checkLen("reason", "删除原因", reason, 500, true); err != nil {
			return Event{}, err
		}
		d.DeletedAt, d.DeleteReason = now, reason
		return Event{Action: "delete", Note: reason}, nil
	})
	return err
}

// RegisterFinding enters a check's finding in tx (enterprise.DangerRegistry):
// 待分派 until a manager names the rectifier, which 表6 requires before it is
// published; the sweep tells the 安全管理员. The type is 其他 until edited:
// a check does not know it.
func (s *Service) RegisterFinding(ctx context.Context, tx pgx.Tx, f enterprise.Finding) (string, error) {
	now := s.Clock()
	found := Step{At: f.FoundAt}.when(now) // a phone's clock ahead of ours would fail 表6's REGIST_TIME
	d := Danger{ID: uuid.New(), Company: f.Company, State: Registered, RegistrantID: f.Registrant.UserID,
		RegistrantName: displayName(f.Registrant), RegisteredAt: found, Origin: "check", CreatedAt: now, UpdatedAt: now,
		DepartmentID: f.Registrant.DepartmentID, CheckRecordID: f.CheckRecordID}
	src := f.Source
	if src == "" {
		src = "1"
	}
	// The member who made the check is its 排查人员 (the ledger shows it, as for
	// a danger registered by hand).
	in := Input{HazardCode: f.HazardCode, RiskMeasureID: f.RiskMeasureID, Inspectors: displayName(f.Registrant), DepartmentID: f.Registrant.DepartmentID,
		Report: Report{Name: f.Name, Description: f.Description, Place: f.Place, Level: f.Level, Type: 8, Source: src, ManageType: 1, FoundOn: found}}
	dir, err := s.directory(ctx, f.Company)
	if err != nil {
		return "", err
	}
	if err := in.apply(&d, dir); err != nil {
		return "", err
	}
	if err := save(ctx, tx, &d); err != nil {
		return "", err
	}
	if _, err := addEvent(ctx, tx, &d, Event{At: now, ActorID: f.Registrant.UserID, ActorName: d.RegistrantName,
		Action: "register", Note: "排查发现", Photos: f.Photos}, ""); err != nil {
		return "", err
	}
	return d.ID.String(), nil
}

var _ enterprise.DangerRegistry = (*Service)(nil)
