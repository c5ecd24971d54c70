package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
	"github.com/shandong-emergency/chemguard/web"
)

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

// Warnings returns a page of the warnings of enterprises in scope, worst level
// first then newest, and how many match.
func (s *Store) Warnings(ctx context.Context, scope tiers.Scope, f WarningFilter, offset, limit int) ([]WarningRow, int, error) {
	where, args := scope.Where("e", 3)
	cond := `FROM warnings w JOIN enterprises e ON e.code = w.company_code
		WHERE ($1 = '' OR w.level = $1) AND ($2 = 'all' OR w.status = $2) AND ` + where
	status := f.Status
	if status == "" {
		status = "open"
	}
	args = append([]any{f.Level, status}, args...)
	count := s.countAsync(ctx, `SELECT count(*) `+cond, args...)
	n := len(args)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s %s
		ORDER BY array_position(ARRAY['red','orange','yellow','blue'], w.level), w.raised_at DESC, w.id DESC
		LIMIT $%d OFFSET $%d`, warningRowColumns, cond, n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: warnings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WarningRow, error) { return scanWarningRow(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("portal: warnings: %w", err)
	}
	total, err := count()
	if err != nil {
		return nil, 0, fmt.Errorf("portal: count warnings: %w", err)
	}
	return out, total, nil
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
	// Offer: the 处置操作 the caller may take (an open warning only).
	Offer Offer
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

// WarningNotifications returns who was told of the warning's events, the latest
// first: people and channels, not the log nor an SMS target's closing row.
func (s *Store) WarningNotifications(ctx context.Context, id int64) ([]Notification, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.kind, n.target, n.recipient, n.recipient_name, n.status, n.last_error,
		n.attempts, n.sent_at, n.updated_at
		FROM warning_events e JOIN warning_notifications n ON n.event_id = e.id
		WHERE e.warning_id = $1 AND n.target <> 'log' AND (n.recipient <> '' OR n.target NOT LIKE 'sms:%')
		ORDER BY n.updated_at DESC, n.id DESC LIMIT $2`, id, maxNotifications)
	if err != nil {
		return nil, fmt.Errorf("portal: warning notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		return n, r.Scan(&n.EventKind, &n.Target, &n.Recipient, &n.RecipientName, &n.Status, &n.Error, &n.Attempts,
			&n.SentAt, &n.UpdatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("portal: warning notifications: %w", err)
	}
	return out, nil
}

var errNoWarning = chemguard.Errorf(chemguard.ENotFound, "没有该预警", "no such warning")

// Warning returns one warning with its company, or a not_found error.
func (s *Store) Warning(ctx context.Context, id int64) (WarningDetail, error) {
	var d WarningDetail
	var factors []byte
	row := s.pool.QueryRow(ctx, `SELECT `+warningRowColumns+`, w.factors FROM warnings w
		JOIN enterprises e ON e.code = w.company_code WHERE w.id = $1`, id)
	err := row.Scan(&d.ID, &d.Level, &d.Model, &d.Subject, &d.Score, &d.Step, &d.Tier, &d.RaisedAt,
		&d.Company, &d.CompanyName, &d.DivisionCode, &d.ParkCode, &d.Status, &d.UpdatedAt, &factors)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, errNoWarning
	}
	if err != nil {
		return d, fmt.Errorf("portal: warning %d: %w", id, err)
	}
	_ = json.Unmarshal(factors, &d.Factors) // shown when it parses; the API has the raw factors
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
func (s *Store) nameFactorItems(ctx context.Context, company string, fs []warning.Factor) error {
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
		return fmt.Errorf("portal: factor items: %w", err)
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
		return fmt.Errorf("portal: factor items: %w", err)
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

// WarningEvents returns the warning's timeline, oldest first: its first event
// and its latest maxEvents-1, and how many in between are left out.
func (s *Store) WarningEvents(ctx context.Context, id int64) ([]WarningEvent, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM warning_events WHERE warning_id = $1`, id).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("portal: warning events: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT kind, level, step, tier, reason, actor_name, actor_role, at
		FROM warning_events WHERE warning_id = $1 AND (
			id = (SELECT min(id) FROM warning_events WHERE warning_id = $1) OR
			id IN (SELECT id FROM warning_events WHERE warning_id = $1 ORDER BY id DESC LIMIT $2))
		ORDER BY id`, id, maxEvents-1)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: warning events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WarningEvent, error) {
		var e WarningEvent
		return e, r.Scan(&e.Kind, &e.Level, &e.Step, &e.Tier, &e.Reason, &e.ActorName, &e.ActorRole, &e.At)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("portal: warning events: %w", err)
	}
	return out, max(total-len(out), 0), nil
}

type warningsPage struct {
	Filter   WarningFilter
	Levels   []Count
	Warnings []WarningRow
	Pager    web.Pager
}

func (p *Portal) warnings(c *fiber.Ctx) error {
	f := WarningFilter{Level: c.Query("level"), Status: c.Query("status", "open")}
	if f.Level != "" {
		if l, err := warning.ParseLevel(f.Level); err != nil || l == warning.LevelNone {
			return chemguard.Errorf(chemguard.EInvalid, "预警等级须为红、橙、黄、蓝之一", "level must be red, orange, yellow or blue")
		}
	}
	if f.Status != "open" && f.Status != "settled" && f.Status != "all" {
		return chemguard.Errorf(chemguard.EInvalid, "状态须为处置中、已归档或全部", "status must be open, settled or all")
	}
	number, offset, err := p.page(c)
	if err != nil {
		return err
	}
	list, total, err := p.store.Warnings(c.UserContext(), p.guard.Scope(c), f, offset, p.cfg.PageSize)
	if err != nil {
		return err
	}
	var levels []Count
	for _, l := range []warning.Level{warning.LevelRed, warning.LevelOrange, warning.LevelYellow, warning.LevelBlue} {
		levels = append(levels, Count{Code: l.String(), Name: l.NameZH()})
	}
	return p.render(c, "warnings", "风险预警", "warnings", warningsPage{Filter: f, Levels: levels, Warnings: list,
		Pager: p.pager(Prefix+"/warnings", url.Values{"level": {f.Level}, "status": {f.Status}}, number, total)})
}

// warning shows one warning: a caller outside its company's region is refused
// (403, audited); an unknown id is 404 only for a caller reaching the province.
func (p *Portal) warning(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errNoWarning
	}
	d, err := p.store.Warning(c.UserContext(), id)
	if errors.Is(err, errNoWarning) {
		if cerr := p.guard.Check(c, policy.ObjWarning, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return err
	}
	if err := p.guard.Check(c, policy.ObjWarning, policy.ActRead,
		tiers.EnterprisePath(d.DivisionCode, d.ParkCode, d.Company)); err != nil {
		return err
	}
	if d.Events, d.EventsOmitted, err = p.store.WarningEvents(c.UserContext(), id); err != nil {
		return err
	}
	if d.Notifications, err = p.store.WarningNotifications(c.UserContext(), id); err != nil {
		return err
	}
	if d.Status == "open" {
		d.Offer = p.offer(c, d)
	}
	return p.render(c, "warning", "预警详情", "warnings", d)
}

// ActionOffer is one 处置操作 the caller may take now.
type ActionOffer struct{ Kind, LabelZH string }

// Offer is what the 处置操作 form offers the caller at a warning's step, from
// the workflow's rules (warning.ActionKind.May) and the caller's permissions
// (alerting.Permission via the Guard): the same the warnings API enforces.
type Offer struct {
	Actions []ActionOffer
	// Waiting is what the disposal waits for (等待企业签收); Why, when nothing is
	// offered, says why.
	Waiting, Why string
	// Reason, ToLevel: an offered action needs the field.
	Reason, ToLevel bool
}

var actionLabelZH = map[warning.ActionKind]string{
	warning.ActAcknowledge: "签收（企业）", warning.ActFeedback: "处置反馈（企业，须填写处置情况）",
	warning.ActVerify: "核查（监管部门）", warning.ActClose: "解除（监管部门领导）",
	warning.ActDowngrade: "降级（监管部门领导，须填写原因和目标等级）", warning.ActFalseAlarm: "误报（须填写原因；橙色、红色预警由监管部门领导审批）",
}

// actorZH names who takes an action on a warning of level: 企业, 监管部门 or
// 监管部门领导.
func actorZH(k warning.ActionKind, level warning.Level) string {
	if k.ByCompany() {
		return "企业"
	}
	if perm, _ := warningsvc.Permission(k, level); perm == policy.ActApprove {
		return "监管部门领导"
	}
	return "监管部门"
}

// waitingZH is what a step waits for, e.g. 等待企业签收, 等待监管部门领导解除或降级;
// 误报 (possible at every open step) only when nothing else moves it on.
func waitingZH(step warning.Step, level warning.Level) string {
	awaited := warning.Awaited(step)
	if len(awaited) > 1 {
		awaited = slices.DeleteFunc(awaited, func(k warning.ActionKind) bool { return k == warning.ActFalseAlarm })
	}
	var b strings.Builder
	who := ""
	for i, k := range awaited {
		if i > 0 {
			b.WriteString("或")
		}
		if a := actorZH(k, level); a != who {
			who = a
			b.WriteString(a)
		}
		b.WriteString(k.NameZH())
	}
	if b.Len() == 0 {
		return ""
	}
	return "等待" + b.String()
}

// offer returns the actions the caller may take on the open warning d now.
func (p *Portal) offer(c *fiber.Ctx, d WarningDetail) Offer {
	step := warning.Step(d.Step)
	level, _ := warning.ParseLevel(d.Level)
	o := Offer{Waiting: waitingZH(step, level)}
	var role warning.Role
	ok := false
	if u := identity.UserFrom(c); u != nil {
		role, ok = warningsvc.RoleOf(u.Domain)
	}
	if !ok {
		o.Why = "本账号不能处置预警"
		return o
	}
	res := tiers.EnterprisePath(d.DivisionCode, d.ParkCode, d.Company)
	roleMay := false
	for _, k := range warning.ActionKinds {
		if k.May(step, role) != nil {
			continue
		}
		roleMay = true
		if perm, _ := warningsvc.Permission(k, level); !p.guard.Allowed(c, policy.ObjWarning, perm, res) {
			continue
		}
		o.Actions = append(o.Actions, ActionOffer{Kind: string(k), LabelZH: actionLabelZH[k]})
		o.Reason = o.Reason || k == warning.ActDowngrade || k == warning.ActFalseAlarm
		o.ToLevel = o.ToLevel || k == warning.ActDowngrade
	}
	switch {
	case len(o.Actions) > 0:
	case roleMay:
		o.Why = "本账号的角色无权执行当前环节的处置操作（" + o.Waiting + "）"
	default:
		o.Why = "当前环节无本账号可执行的处置操作：" + o.Waiting
	}
	return o
}
