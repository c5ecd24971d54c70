package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// Warning is an open 预警 of a company.
type Warning struct {
	// Subject is the subject's name as the model gives it; a leak warning's already
	// names its area (罐区A 可燃气体), so the area is not shown again.
	Level, Model, Subject, Step, Tier string
	Score                             float64
	RaisedAt                          time.Time
}

// LevelZH is the level as a regulator reads it, e.g. 红色（重大）.
func (w Warning) LevelZH() string {
	if l, err := warning.ParseLevel(w.Level); err == nil {
		return l.NameZH()
	}
	return w.Level
}

// StepZH is the disposal step in Chinese.
func (w Warning) StepZH() string { return warning.Step(w.Step).NameZH() }

// ModelZH names the risk model.
func (w Warning) ModelZH() string { return warning.ModelNameZH(w.Model) }

// TierZH names the tier watching the warning.
func (w Warning) TierZH() string { return warning.Tier(w.Tier).NameZH() }

// Warnings answers the questions about 预警: the list of a scope, one warning with
// its factors, timeline and notifications, and what waits for a tier.
type Warnings struct{ db }

// NewWarnings returns the warning queries on pool.
func NewWarnings(pool *pgxpool.Pool) *Warnings { return &Warnings{db{pool}} }

// WarningRow is a warning in the 风险预警 list, with its company.
type WarningRow struct {
	ID int64
	Warning
	Company, CompanyName, DivisionCode, ParkCode string
	Status                                       string
	UpdatedAt                                    time.Time
}

// StatusZH is 处置中 or 已归档.
func (w WarningRow) StatusZH() string {
	if w.Status == "open" {
		return "处置中"
	}
	return "已归档"
}

// WarningFilter narrows the 风险预警 list.
type WarningFilter struct {
	Level  string // red, orange, yellow, blue; "" for all
	Status string // open (default), settled, all
}

const warningRowColumns = `w.id, w.level, w.model, w.subject_name, w.score, w.step, w.tier, w.raised_at,
	w.company_code, e.name, e.division_code, COALESCE(e.park_code, ''), w.status, w.updated_at`

func scanWarningRow(r pgx.Row) (WarningRow, error) {
	var w WarningRow
	err := r.Scan(&w.ID, &w.Level, &w.Model, &w.Subject, &w.Score, &w.Step, &w.Tier, &w.RaisedAt,
		&w.Company, &w.CompanyName, &w.DivisionCode, &w.ParkCode, &w.Status, &w.UpdatedAt)
	return w, err
}

// List returns a page of the warnings of enterprises in scope, worst level
// first then newest, and how many match.
func (s *Warnings) List(ctx context.Context, scope tiers.Scope, f WarningFilter, offset, limit int) ([]WarningRow, int, error) {
	where, args := scope.Where("e", 3)
	cond := `FROM warnings w JOIN enterprises e ON e.code = w.company_code
		WHERE ($1 = '' OR w.level = $1) AND ($2 = 'all' OR w.status = $2) AND ` + where
	status := f.Status
	if status == "" {
		status = "open"
	}
	args = append([]any{f.Level, status}, args...)
	return page(ctx, s.db, "warnings", warningRowColumns, cond,
		`array_position(ARRAY['red','orange','yellow','blue'], w.level), w.raised_at DESC, w.id DESC`, args, offset, limit,
		func(r pgx.CollectableRow) (WarningRow, error) { return scanWarningRow(r) })
}

// WarningEvent is one entry of a warning's timeline.
type WarningEvent struct {
	Kind, Level, Step, Tier, Reason, ActorName, ActorRole string
	At                                                    time.Time
}

// KindZH names what happened.
func (e WarningEvent) KindZH() string {
	if s, ok := map[warning.ChangeKind]string{warning.WarningRaised: "预警发布", warning.WarningEscalated: "预警等级升高",
		warning.WarningLowered: "预警等级降低", warning.WarningCleared: "预警条件消除", warning.WarningSettled: "处置终结，归档",
		warning.DisposalActed: "处置操作", warning.DisposalEscalated: "逾期，逐级上报", warning.DisposalOverdue: "省级仍逾期",
		warning.AlarmRaised: "报警", warning.AlarmChanged: "报警级别变化", warning.AlarmCleared: "销警"}[warning.ChangeKind(e.Kind)]; ok {
		return s
	}
	return e.Kind
}

// ActorRoleZH names who acted: 企业, 县级, 市级 or 省级.
func (e WarningEvent) ActorRoleZH() string { return warning.Role(e.ActorRole).NameZH() }

// LevelZH is the level after the event.
func (e WarningEvent) LevelZH() string { return Warning{Level: e.Level}.LevelZH() }

// StepZH is the disposal step after the event.
func (e WarningEvent) StepZH() string { return Warning{Step: e.Step}.StepZH() }

// TierZH is the tier watching after the event.
func (e WarningEvent) TierZH() string { return Warning{Tier: e.Tier}.TierZH() }

// WarningDetail is one warning with its contributing factors and timeline.
type WarningDetail struct {
	WarningRow
	Factors []warning.Factor
	Events  []WarningEvent
	// EventsOmitted: events between the first and the latest not shown.
	EventsOmitted int
	Notifications []Notification
	// Permits are the company's 特殊作业 records the factors name (a hot-work
	// warning's evidence), so the page links each to its permit and PDF.
	Permits []PermitLink
}

// FactorTotal is the sum of the factors' points; 风险值 is it capped at
// warning.MaxScore, so the page says so when the sum is above.
func (d WarningDetail) FactorTotal() float64 {
	var sum float64
	for _, f := range d.Factors {
		sum += f.Points
	}
	return sum
}

// Notification is one delivery of a timeline event: to a person (an SMS) or a
// channel (a group robot, a webhook).
type Notification struct {
	EventKind, Target, Recipient, RecipientName, Status, Error string
	Attempts                                                   int
	SentAt                                                     *time.Time
	UpdatedAt                                                  time.Time
}

// EventZH is the event's kind in Chinese.
func (n Notification) EventZH() string { return WarningEvent{Kind: n.EventKind}.KindZH() }

// ChannelZH names the channel; never the webhook's address (it may carry a token).
func (n Notification) ChannelZH() string {
	kind, _, _ := strings.Cut(n.Target, ":")
	switch kind {
	case "sms":
		return "短信"
	case "wecom":
		return "企业微信"
	case "dingtalk":
		return "钉钉"
	case "webhook":
		return "接口推送"
	}
	return kind
}

// RecipientZH is the person told, the mobile masked (138****5678).
func (n Notification) RecipientZH() string {
	m := n.Recipient
	if masked, _, ok := strings.Cut(m, sealed.PseudonymSeparator); ok {
		m = masked // stored as a pseudonym (masked number and digest)
	} else if r := []rune(m); len(r) >= 7 {
		m = string(r[:3]) + "****" + string(r[len(r)-4:])
	}
	return strings.TrimSpace(n.RecipientName + " " + m)
}

// StatusZH is the delivery's state in Chinese.
func (n Notification) StatusZH() string {
	switch n.Status {
	case "sent":
		return "已发送"
	case "failed":
		return "发送失败，重试中"
	case "refused":
		return "被拒收"
	case "no_recipient":
		return "无接收人"
	}
	return n.Status
}

// maxNotifications bounds the list: the latest first.
const maxNotifications = 200

// Notifications returns who was told of the warning's events, the latest
// first: people and channels, not the log nor an SMS target's closing row.
func (s *Warnings) Notifications(ctx context.Context, id int64) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.kind, n.target, n.recipient, n.recipient_name, n.status, n.last_error,
		n.attempts, n.sent_at, n.updated_at
		FROM warning_events e JOIN warning_notifications n ON n.event_id = e.id
		WHERE e.warning_id = $1 AND n.target <> 'log' AND (n.recipient <> '' OR n.target NOT LIKE 'sms:%')
		ORDER BY n.updated_at DESC, n.id DESC LIMIT $2`, id, maxNotifications)
	if err != nil {
		return nil, fmt.Errorf("readmodel: warning notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		return n, r.Scan(&n.EventKind, &n.Target, &n.Recipient, &n.RecipientName, &n.Status, &n.Error, &n.Attempts,
			&n.SentAt, &n.UpdatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: warning notifications: %w", err)
	}
	return out, nil
}

// ErrNoWarning is the not_found error of a warning id that does not exist.
var ErrNoWarning = chemguard.Errorf(chemguard.ENotFound, "没有该预警", "no such warning")

// Get returns one warning with its company, or a not_found error.
func (s *Warnings) Get(ctx context.Context, id int64) (WarningDetail, error) {
	var d WarningDetail
	var factors []byte
	row := s.pool.QueryRow(ctx, `SELECT `+warningRowColumns+`, w.factors FROM warnings w
		JOIN enterprises e ON e.code = w.company_code WHERE w.id = $1`, id)
	err := row.Scan(&d.ID, &d.Level, &d.Model, &d.Subject, &d.Score, &d.Step, &d.Tier, &d.RaisedAt,
		&d.Company, &d.CompanyName, &d.DivisionCode, &d.ParkCode, &d.Status, &d.UpdatedAt, &factors)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNoWarning
	}
	if err != nil {
		return d, fmt.Errorf("readmodel: warning %d: %w", id, err)
	}
	_ = json.Unmarshal(factors, &d.Factors) // shown when it parses; the API has the raw factors
	if d.Permits, err = s.permitLinks(ctx, d.Company, d.Factors); err != nil {
		return d, err
	}
	if err := s.nameFactorItems(ctx, d.Company, d.Factors); err != nil {
		return d, err
	}
	return d, nil
}

// nameFactorItems rewrites each factor's detail — the codes of the items it counts,
// comma-separated — in the words of the company's own data: an indicator by its
// 指标名称, a work permit by its 作业类型 and 作业位置. A regulator reads names, not
// detector codes or permit UUIDs; an item the company's data does not name is left
// as it is.
func (s *Warnings) nameFactorItems(ctx context.Context, company string, fs []warning.Factor) error {
	var keys []string
	for _, f := range fs {
		keys = append(keys, strings.Split(f.Detail, ",")...)
	}
	if len(keys) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT record_key, doc->>'INDICATOR_NAME' FROM x_indicators
			WHERE company_code = $1 AND record_key = ANY($2) AND doc->>'INDICATOR_NAME' <> ''
		UNION ALL SELECT record_key, concat_ws('·', doc->>'TASK_TYPE', doc->>'TASK_POSITION') FROM x_special_operations
			WHERE company_code = $1 AND record_key = ANY($2)`, company, keys)
	if err != nil {
		return fmt.Errorf("readmodel: factor items: %w", err)
	}
	names := map[string]string{}
	var key, name string
	if _, err := pgx.ForEachRow(rows, []any{&key, &name}, func() error {
		if typ, pos, ok := strings.Cut(name, "·"); ok { // a permit: its type's name and its place
			if c, ok := schemas.CodesTaskType.Lookup(typ); ok {
				typ = c.NameZH
			}
			name = typ + "（" + pos + "）"
		}
		names[key] = name
		return nil
	}); err != nil {
		return fmt.Errorf("readmodel: factor items: %w", err)
	}
	for i, f := range fs {
		items := strings.Split(f.Detail, ",")
		named := false
		for j, it := range items {
			if n, ok := names[it]; ok {
				items[j], named = n, true
			}
		}
		if named {
			fs[i].Detail = strings.Join(items, "；")
		}
	}
	return nil
}

// maxEvents bounds a timeline: a warning nobody signs for is reminded every
// few minutes, hundreds of events in a few days.
const maxEvents = 500

// Events returns the warning's timeline, oldest first: its first event
// and its latest maxEvents-1, and how many in between are left out.
func (s *Warnings) Events(ctx context.Context, id int64) ([]WarningEvent, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM warning_events WHERE warning_id = $1`, id).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("readmodel: warning events: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT kind, level, step, tier, reason, actor_name, actor_role, at
		FROM warning_events WHERE warning_id = $1 AND (
			id = (SELECT min(id) FROM warning_events WHERE warning_id = $1) OR
			id IN (SELECT id FROM warning_events WHERE warning_id = $1 ORDER BY id DESC LIMIT $2))
		ORDER BY id`, id, maxEvents-1)
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: warning events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WarningEvent, error) {
		var e WarningEvent
		return e, r.Scan(&e.Kind, &e.Level, &e.Step, &e.Tier, &e.Reason, &e.ActorName, &e.ActorRole, &e.At)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: warning events: %w", err)
	}
	return out, max(total-len(out), 0), nil
}

// Waiting is an open warning as the tier watching it sees it in its work list.
type Waiting struct {
	ID                          int64
	Company, CompanyName        string
	Subject, Level, Step, Model string
	Score                       float64
	RaisedAt                    time.Time
	Deadline                    *time.Time
	Tier                        string // the tier watching it now (逐级上报)
}

// FalseAlarmIsALeaders reports whether declaring the warning a 误报 needs a
// regulator leader's approval (an orange or red warning), as the warnings API
// enforces: a page offers it then only to those who may approve.
func (w Waiting) FalseAlarmIsALeaders() bool {
	l, err := warning.ParseLevel(w.Level)
	return err != nil || warning.ActFalseAlarm.NeedsApproval(l)
}

// Warning is the row with the display helpers of Warning.
func (w Waiting) Warning() Warning {
	return Warning{Level: w.Level, Model: w.Model, Subject: w.Subject, Step: w.Step, Score: w.Score, RaisedAt: w.RaisedAt}
}

// Waiting returns the open warnings of scope's companies that tier watches,
// those waiting for a regulator's step (核查 after feedback, 解除/降级 after
// verification) first, then worst level, then oldest, at most limit.
func (s *Warnings) Waiting(ctx context.Context, scope tiers.Scope, tier warning.Tier, limit int) ([]Waiting, error) {
	return s.waiting(ctx, scope, "w.tier = $1", tier, limit)
}

// Elsewhere returns the open warnings of scope's companies that another tier than
// tier watches, in Waiting's order, at most limit.
func (s *Warnings) Elsewhere(ctx context.Context, scope tiers.Scope, tier warning.Tier, limit int) ([]Waiting, error) {
	return s.waiting(ctx, scope, "w.tier <> $1", tier, limit)
}

func (s *Warnings) waiting(ctx context.Context, scope tiers.Scope, cond string, tier warning.Tier, limit int) ([]Waiting, error) {
	where, args := scope.Where("e", 3)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT w.id, w.company_code, e.name, w.subject_name, w.level, w.step, w.model,
		w.score, w.raised_at, w.deadline, w.tier FROM warnings w JOIN enterprises e ON e.code = w.company_code
		WHERE w.status = 'open' AND w.level <> 'none' AND `+cond+` AND %s
		ORDER BY w.step NOT IN ('fed_back', 'verified'), array_position(ARRAY['red','orange','yellow','blue'], w.level),
		w.raised_at LIMIT $2`, where), append([]any{string(tier), limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: waiting warnings: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Waiting])
	if err != nil {
		return nil, fmt.Errorf("readmodel: waiting warnings: %w", err)
	}
	return out, nil
}
