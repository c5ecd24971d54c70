package warningsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/form"
)

// ActionWarning is the audit action of a disposal action on a warning.
const ActionWarning = "warning_action"

// Handler serves the alarm and warning API.
type Handler struct {
	svc   *Service
	guard web.Guard
	audit audit.Recorder
}

// NewHandler returns the handler; rec records every disposal action (nil: none).
func NewHandler(svc *Service, guard web.Guard, rec audit.Recorder) *Handler {
	return &Handler{svc: svc, guard: guard, audit: rec}
}

// Register mounts under r (the /api/v1 group), every route scoped to the caller's
// region:
//
//	GET  /alarms                 报警 list: region, company, active, severity, from, to, before, limit
//	GET  /warnings               预警 list: region, company, level, status, step, tier, model, from, to, before, limit
//	GET  /warnings/stream        server-sent events: every committed warning change in the caller's region
//	GET  /warnings/:id           one warning with its factors, level history, disposal and events
//	POST /warnings/:id/actions   {action, note, reason, to_level}: 签收/反馈/核查/解除/降级/误报
func (h *Handler) Register(r fiber.Router) {
	r.Get("/alarms", h.guard.Require(policy.ObjWarning, policy.ActRead), h.alarms)
	r.Get("/warnings", h.guard.Require(policy.ObjWarning, policy.ActRead), h.warnings)
	r.Get("/warnings/stream", h.guard.Require(policy.ObjWarning, policy.ActRead), h.stream)
	r.Get("/warnings/:id", h.guard.Require(policy.ObjWarning, policy.ActRead), h.warning)
	r.Post("/warnings/:id/actions", h.guard.Require(policy.ObjWarning, policy.ActHandle), h.act)
}

func invalid(zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
}

// query builds a WHERE clause with numbered placeholders.
type query struct {
	where []string
	args  []any
}

func (q *query) add(cond string, arg any) {
	q.args = append(q.args, arg)
	q.where = append(q.where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(q.args))))
}

// common adds the region scope and the filters shared by both lists: company,
// from/to on the time column col, before (an id), and returns the limit.
func (h *Handler) common(c *fiber.Ctx, q *query, col string) (int, error) {
	cond, args := tiers.ScopeOf(h.guard.Domain(c)).Where("e", len(q.args)+1)
	q.where, q.args = append(q.where, cond), append(q.args, args...)
	if v := c.Query("region"); v != "" { // a division code or park:CODE, within the caller's scope
		if tiers.ScopeOf(v).Empty() {
			return 0, invalid("region 须为行政区划代码或 park:园区编码", "region must be a division code or park:CODE")
		}
		cond, args := tiers.ScopeOf(v).Where("e", len(q.args)+1)
		q.where, q.args = append(q.where, cond), append(q.args, args...)
	}
	if v := c.Query("company"); v != "" {
		q.add("x.company_code = $?", v)
	}
	for _, p := range []struct{ name, op string }{{"from", ">="}, {"to", "<"}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return 0, invalid("%s 须为 RFC 3339 时间，如 2026-01-02T08:00:00+08:00", "%s must be an RFC 3339 time", p.name)
			}
			q.add("x."+col+" "+p.op+" $?", t)
		}
	}
	if v := c.Query("before"); v != "" {
		id, err := queryparam.Int64(c, "before", 0)
		if err != nil {
			return 0, err
		}
		q.add("x.id < $?", id)
	}
	return queryparam.Limit(c, 100)
}

// AlarmView is an alarm as the API shows it.
type AlarmView struct {
	ID          int64           `json:"id"`
	Company     string          `json:"company_code"`
	Source      string          `json:"source"`
	Indicator   string          `json:"indicator_code,omitempty"`
	Hazard      string          `json:"hazard_code,omitempty"`
	Area        string          `json:"area,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Type        string          `json:"alarm_type,omitempty"`
	Severity    string          `json:"severity"`
	MaxSeverity string          `json:"max_severity"`
	Limit       *float64        `json:"limit,omitempty"`
	StartedAt   time.Time       `json:"started_at"`
	RaisedAt    time.Time       `json:"raised_at"`
	Peak        *float64        `json:"peak,omitempty"`
	PeakAt      *time.Time      `json:"peak_at,omitempty"`
	ClearedAt   *time.Time      `json:"cleared_at,omitempty"`
	ClearReason string          `json:"clear_reason,omitempty"`
	Detail      json.RawMessage `json:"detail"`
}

func (h *Handler) alarms(c *fiber.Ctx) error {
	q := &query{}
	limit, err := h.common(c, q, "started_at")
	if err != nil {
		return err
	}
	switch c.Query("active") {
	case "":
	case "true":
		q.where = append(q.where, "x.cleared_at IS NULL")
	case "false":
		q.where = append(q.where, "x.cleared_at IS NOT NULL")
	default:
		return invalid("active 须为 true 或 false", "active must be true or false")
	}
	if v := c.Query("severity"); v != "" {
		q.add("x.severity = $?", v)
	}
	rows, err := h.svc.pool.Query(c.UserContext(), `SELECT x.id, x.company_code, x.source, x.indicator_code,
		x.hazard_code, x.area, x.kind, x.alarm_type, x.severity, x.max_severity, x.limit_value, x.started_at,
		x.raised_at, x.peak, x.peak_at, x.cleared_at, x.clear_reason, x.doc
		FROM alarms x JOIN enterprises e ON e.code = x.company_code
		WHERE `+strings.Join(q.where, " AND ")+` ORDER BY x.id DESC LIMIT `+strconv.Itoa(limit), q.args...)
	if err != nil {
		return fmt.Errorf("alerting: list alarms: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlarmView, error) {
		var a AlarmView
		err := r.Scan(&a.ID, &a.Company, &a.Source, &a.Indicator, &a.Hazard, &a.Area, &a.Kind, &a.Type, &a.Severity,
			&a.MaxSeverity, &a.Limit, &a.StartedAt, &a.RaisedAt, &a.Peak, &a.PeakAt, &a.ClearedAt, &a.ClearReason, &a.Detail)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("alerting: list alarms: %w", err)
	}
	return c.JSON(fiber.Map{"alarms": nonNil(list)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// WarningView is a warning as the API lists it.
type WarningView struct {
	ID            int64           `json:"id"`
	Key           string          `json:"key"`
	Company       string          `json:"company_code"`
	CompanyName   string          `json:"company_name"`
	DivisionCode  string          `json:"division_code"`
	Model         string          `json:"model"`
	Subject       string          `json:"subject,omitempty"`
	SubjectName   string          `json:"subject_name,omitempty"`
	Area          string          `json:"area,omitempty"`
	Level         string          `json:"level"`
	LevelZH       string          `json:"level_zh"`
	Score         float64         `json:"score"`
	Status        string          `json:"status"`
	Step          string          `json:"step"`
	Tier          string          `json:"tier"`
	Deadline      *time.Time      `json:"deadline,omitempty"`
	OverdueAt     *time.Time      `json:"overdue_at,omitempty"`
	ConfigVersion string          `json:"config_version"`
	RaisedAt      time.Time       `json:"raised_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	SettledAt     *time.Time      `json:"settled_at,omitempty"`
	Factors       json.RawMessage `json:"factors"`

	parkCode string
	doc      []byte
}

const warningColumns = `x.id, x.warning_key, x.company_code, e.name, e.division_code, COALESCE(e.park_code, ''),
	x.model, x.subject, x.subject_name, x.area, x.level, x.score, x.status, x.step, x.tier, x.deadline,
	x.overdue_at, x.config_version, x.raised_at, x.updated_at, x.settled_at, x.factors, x.doc`

func scanWarning(r pgx.Row) (WarningView, error) {
	var w WarningView
	err := r.Scan(&w.ID, &w.Key, &w.Company, &w.CompanyName, &w.DivisionCode, &w.parkCode, &w.Model, &w.Subject,
		&w.SubjectName, &w.Area, &w.Level, &w.Score, &w.Status, &w.Step, &w.Tier, &w.Deadline, &w.OverdueAt,
		&w.ConfigVersion, &w.RaisedAt, &w.UpdatedAt, &w.SettledAt, &w.Factors, &w.doc)
	if l, perr := warning.ParseLevel(w.Level); perr == nil {
		w.LevelZH = l.NameZH()
	}
	return w, err
}

func (h *Handler) warnings(c *fiber.Ctx) error {
	q := &query{}
	limit, err := h.common(c, q, "raised_at")
	if err != nil {
		return err
	}
	if v := c.Query("level"); v != "" {
		if _, err := warning.ParseLevel(v); err != nil {
			return invalid("level 须为 red、orange、yellow、blue 或 none", "level must be red, orange, yellow, blue or none")
		}
		q.add("x.level = $?", v)
	}
	for _, f := range []string{"status", "step", "tier", "model"} {
		if v := c.Query(f); v != "" {
			q.add("x."+f+" = $?", v)
		}
	}
	rows, err := h.svc.pool.Query(c.UserContext(), `SELECT `+warningColumns+`
		FROM warnings x JOIN enterprises e ON e.code = x.company_code
		WHERE `+strings.Join(q.where, " AND ")+` ORDER BY x.id DESC LIMIT `+strconv.Itoa(limit), q.args...)
	if err != nil {
		return fmt.Errorf("alerting: list warnings: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WarningView, error) { return scanWarning(r) })
	if err != nil {
		return fmt.Errorf("alerting: list warnings: %w", err)
	}
	return c.JSON(fiber.Map{"warnings": nonNil(list)})
}

// reachable loads the warning :id and checks the caller may do act on it. A caller
// who does not reach the whole province is refused (403) for an unknown id as for
// one outside its region.
func (h *Handler) reachable(c *fiber.Ctx, act string) (WarningView, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return WarningView{}, chemguard.Errorf(chemguard.ENotFound, "没有该预警", "no such warning")
	}
	w, err := scanWarning(h.svc.pool.QueryRow(c.UserContext(), `SELECT `+warningColumns+`
		FROM warnings x JOIN enterprises e ON e.code = x.company_code WHERE x.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		if cerr := h.guard.Check(c, policy.ObjWarning, act, tiers.ProvinceCode); cerr != nil {
			return w, cerr
		}
		return w, chemguard.Errorf(chemguard.ENotFound, "没有该预警", "no such warning")
	}
	if err != nil {
		return w, fmt.Errorf("alerting: warning %d: %w", id, err)
	}
	return w, h.guard.Check(c, policy.ObjWarning, act, tiers.EnterprisePath(w.DivisionCode, w.parkCode, w.Company))
}

// EventView is one entry of a warning's history.
type EventView struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	At         time.Time       `json:"at"`
	Level      string          `json:"level"`
	Step       string          `json:"step"`
	Tier       string          `json:"tier"`
	Reason     string          `json:"reason,omitempty"`
	ActorID    string          `json:"actor_id,omitempty"`
	ActorName  string          `json:"actor_name,omitempty"`
	ActorRole  string          `json:"actor_role,omitempty"`
	Action     json.RawMessage `json:"action,omitempty"`
	Escalation json.RawMessage `json:"escalation,omitempty"`
}

// DetailView is one warning with everything about it.
type DetailView struct {
	WarningView
	History  []warning.LevelChange `json:"history"`
	Disposal warning.Disposal      `json:"disposal"`
	Events   []EventView           `json:"events"`
}

func (h *Handler) detail(ctx context.Context, w WarningView) (DetailView, error) {
	d := DetailView{WarningView: w}
	var doc warning.Warning
	if err := json.Unmarshal(w.doc, &doc); err != nil {
		return d, fmt.Errorf("alerting: warning %d: %w", w.ID, err)
	}
	d.History, d.Disposal = doc.History, doc.Disposal
	rows, err := h.svc.pool.Query(ctx, `SELECT id, kind, at, level, step, tier, reason, actor_id, actor_name,
		actor_role, action, escalation FROM warning_events WHERE warning_id = $1 ORDER BY id`, w.ID)
	if err != nil {
		return d, fmt.Errorf("alerting: warning events: %w", err)
	}
	d.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (EventView, error) {
		var e EventView
		var action, esc []byte
		err := r.Scan(&e.ID, &e.Kind, &e.At, &e.Level, &e.Step, &e.Tier, &e.Reason, &e.ActorID, &e.ActorName,
			&e.ActorRole, &action, &esc)
		e.Action, e.Escalation = action, esc
		return e, err
	})
	if err != nil {
		return d, fmt.Errorf("alerting: warning events: %w", err)
	}
	d.Events = nonNil(d.Events)
	return d, nil
}

func (h *Handler) warning(c *fiber.Ctx) error {
	w, err := h.reachable(c, policy.ActRead)
	if err != nil {
		return err
	}
	d, err := h.detail(c.UserContext(), w)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// MaxNoteRunes bounds a disposal note and reason, in characters: notes become
// part of the warning's history and the audit log, so they are bounded where
// the person can still shorten them, not silently later. ActionRequest's max
// tags say the same number.
const MaxNoteRunes = 2000

func init() {
	form.Register("warning_action", func(s string) bool {
		_, ok := Permission(warning.ActionKind(s), warning.LevelNone)
		return ok
	}, "{0}须为 acknowledge、feedback、verify、close、downgrade 或 false_alarm",
		"{0} must be acknowledge, feedback, verify, close, downgrade or false_alarm")
}

// ActionRequest is the body of POST /warnings/:id/actions. The actions are
// those Permission knows; whether a note or reason is needed, and the level a
// downgrade goes to, are the engine's rules (warning.Action).
type ActionRequest struct {
	Action  string `json:"action" label:"处置操作（action）" validate:"warning_action"`
	Note    string `json:"note" label:"处置情况" validate:"max=2000"`                          // 处置情况 / 核查意见 (feedback needs it)
	Reason  string `json:"reason" label:"原因" validate:"max=2000"`                          // 降级/误报 reason
	ToLevel string `json:"to_level" label:"降级后等级" validate:"required_if=Action downgrade"` // 降级 target level
}

// RoleOf is the disposal role of a caller's domain: the company for an enterprise
// domain, the tier of a division, the county tier for a chemical park.
func RoleOf(domain string) (warning.Role, bool) {
	if strings.HasPrefix(domain, "ent:") {
		return warning.RoleCompany, true
	}
	if strings.HasPrefix(domain, "park:") {
		return warning.RoleCounty, true
	}
	d, ok := tiers.DivisionByCode(domain)
	if !ok {
		return "", false
	}
	switch d.Level {
	case tiers.Province:
		return warning.RoleProvince, true
	case tiers.City:
		return warning.RoleCity, true
	}
	return warning.RoleCounty, true
}

// Permission is the tiers permission on ObjWarning a disposal action on a
// warning of level needs: ActApprove (leaders) for what
// warning.ActionKind.NeedsApproval says — 解除, 降级, and 误报 of an orange or red
// warning — ActHandle for the others; false for an unknown action.
func Permission(kind warning.ActionKind, level warning.Level) (string, bool) {
	switch kind {
	case warning.ActAcknowledge, warning.ActFeedback, warning.ActVerify, warning.ActFalseAlarm,
		warning.ActClose, warning.ActDowngrade:
	default:
		return "", false
	}
	if kind.NeedsApproval(level) {
		return policy.ActApprove, true
	}
	return policy.ActHandle, true
}

// ActError turns the engine's refusals into the API's bilingual application
// errors; other errors pass unchanged.
func ActError(err error) error {
	switch {
	case errors.Is(err, warning.ErrNotFound):
		return chemguard.Errorf(chemguard.EConflict, "该预警处置已终结", "the warning's disposal has ended")
	case errors.Is(err, warning.ErrWrongStep):
		return &chemguard.Error{Code: chemguard.EConflict, MessageZH: "当前处置环节不允许该操作", MessageEN: err.Error()}
	case errors.Is(err, warning.ErrNotPermitted):
		return chemguard.Errorf(chemguard.EForbidden, "该角色不能执行此处置操作（签收、反馈由企业，核查、解除、降级、误报由监管部门）",
			"this role may not take that action (the company acknowledges and feeds back; regulators verify, close, downgrade, declare false alarms)")
	case errors.Is(err, warning.ErrNeedsApproval):
		return chemguard.Errorf(chemguard.EForbidden, "橙色、红色预警的误报及解除、降级须由监管部门领导审批",
			"false alarm of an orange or red warning, like close and downgrade, needs a regulator leader's approval")
	case errors.Is(err, warning.ErrNeedsReason):
		return invalid("降级和误报须填写原因", "downgrade and false alarm need a reason")
	case errors.Is(err, warning.ErrNeedsNote):
		return invalid("处置反馈须填写处置情况", "feedback needs a note of what was done")
	case errors.Is(err, warning.ErrLevelNotLower):
		return invalid("降级须降至更低等级", "downgrade must go to a lower level")
	}
	return err
}

func (h *Handler) act(c *fiber.Ctx) error {
	var req ActionRequest
	if err := form.Bind(c, &req); err != nil {
		return err
	}
	kind := warning.ActionKind(req.Action)
	// The permission depends on the warning's level (误报 of orange/red is a
	// leader's): load it with the least permission any action needs, then
	// check the one this action needs at the level the warning has now.
	w, err := h.reachable(c, policy.ActHandle)
	if err != nil {
		return err
	}
	level, err := warning.ParseLevel(w.Level)
	if err != nil {
		return fmt.Errorf("alerting: warning %d: %w", w.ID, err)
	}
	res := tiers.EnterprisePath(w.DivisionCode, w.parkCode, w.Company)
	if perm, _ := Permission(kind, level); perm != policy.ActHandle {
		if err := h.guard.Check(c, policy.ObjWarning, perm, res); err != nil {
			return err
		}
	}
	if w.Status != "open" {
		return chemguard.Errorf(chemguard.EConflict, "该预警处置已终结", "the warning's disposal has ended")
	}
	u := identity.UserFrom(c)
	role, ok := RoleOf(u.Domain)
	if !ok {
		return chemguard.Errorf(chemguard.EForbidden, "该账号不能处置预警", "this account may not act on warnings")
	}
	a := warning.Action{Kind: kind, Actor: warning.Actor{ID: strconv.FormatInt(u.ID, 10), Name: u.Username, Role: role},
		At: h.svc.cfg.Now(), Note: req.Note, Reason: req.Reason,
		Unapproved: !h.guard.Allowed(c, policy.ObjWarning, policy.ActApprove, res)}
	if kind == warning.ActDowngrade {
		if a.ToLevel, err = warning.ParseLevel(req.ToLevel); err != nil {
			return invalid("to_level 须为 red、orange、yellow、blue 或 none", "to_level must be red, orange, yellow, blue or none")
		}
	}
	_, aerr := h.svc.Act(c.UserContext(), w.Company, w.Key, a)
	aerr = ActError(aerr)
	if h.audit != nil {
		ev := h.guard.Actor(c)
		ev.Action, ev.Object, ev.Result = ActionWarning, "warning:"+strconv.FormatInt(w.ID, 10), audit.ResultOK
		ev.Detail = fiber.Map{"action": req.Action, "note": req.Note, "reason": req.Reason, "to_level": req.ToLevel}
		if aerr != nil {
			ev.Result = audit.ResultFailed
		}
		if err := h.audit.Record(c.UserContext(), ev); err != nil {
			return err
		}
	}
	if aerr != nil {
		return aerr
	}
	w, err = h.reachable(c, policy.ActHandle)
	if err != nil {
		return err
	}
	d, err := h.detail(c.UserContext(), w)
	if err != nil {
		return err
	}
	return c.JSON(d)
}
