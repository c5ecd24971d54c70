package positioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

func newUUID() string { return uuid.NewString() }

// Alarm is a positioning alarm with its handling.
type Alarm struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	TypeName    string    `json:"type_name"`
	Card        string    `json:"card_no"`
	Name        string    `json:"name"`
	Info        string    `json:"info"`
	FenceID     int64     `json:"fence_id"`
	Location    string    `json:"location"`
	Floor       string    `json:"floor"`
	X           float64   `json:"x"`
	Y           float64   `json:"y"`
	PermitID    string    `json:"permit_id,omitempty"`
	RaisedAt    time.Time `json:"raised_at"`
	EndedAt     time.Time `json:"ended_at"`
	HandledAt   time.Time `json:"handled_at"`
	HandledBy   string    `json:"handled_by"`
	HandleInfo  string    `json:"handle_info"`
	ConfirmedAt time.Time `json:"confirmed_at"`
	ConfirmedBy string    `json:"confirmed_by"`
}

// Status is the alarm's place in its closed loop: 待处置, 待确认 or 已确认.
func (a Alarm) Status() string {
	switch {
	case !a.ConfirmedAt.IsZero():
		return "已确认"
	case !a.HandledAt.IsZero():
		return "已处置，待确认"
	default:
		return "待处置"
	}
}

// alarmRow is an alarm as raised.
type alarmRow struct {
	ID, Key, Type, Card, Name, Info, Location, Floor, PermitID string
	FenceID                                                    int64
	X, Y                                                       float64
	RaisedAt                                                   time.Time
}

// record is the alarm as 表1 (报警状态 alarm).
func (a alarmRow) record(company string) schemas.PositioningAlarm {
	return schemas.PositioningAlarm{ID: a.ID, CardNo: a.Card, RealName: clipName(a.Name), Type: schemas.PositioningRaised,
		Time: schemas.DateTime{Time: a.RaisedAt.In(schemas.Shanghai)}, AlarmInfo: clip(a.Info), AlarmType: a.Type,
		AlarmLocation: clipRunes(a.Location, 36), FloorNo: a.Floor}
}

// announce tells the company's managers (and for an SOS, by SMS as well) of
// the alarms just raised. A failed notice is logged: the alarm is recorded
// and on the map whatever the gateways do.
func (s *Service) announce(ctx context.Context, company string, raised []alarmRow) {
	for _, a := range raised {
		n := enterprise.Notice{Kind: "positioning_alarm", Title: AlarmName(a.Type) + "：" + a.Location, Body: a.Info,
			Link: enterprise.Prefix + "/positioning?alarm=" + a.ID, Urgent: a.Type == AlarmSOS, Key: "positioning:" + a.ID}
		if err := s.notifyManagers(ctx, company, nil, n); err != nil {
			slog.Error("positioning: alarm notice failed", "company", company, "alarm", a.ID, "err", err)
		}
	}
}

const alarmColumns = `a.id::text, a.alarm_type, a.card_no, a.real_name, a.info, coalesce(a.fence_id, 0), a.location, a.floor, a.x, a.y,
	coalesce(a.permit_id::text, ''), a.raised_at, a.ended_at, a.handled_at, coalesce(h.display_name, ''), a.handle_info, a.confirmed_at, coalesce(c.display_name, '')`

const alarmJoins = ` FROM pos_alarms a LEFT JOIN users h ON h.id = a.handled_by LEFT JOIN users c ON c.id = a.confirmed_by`

func scanAlarm(r pgx.Row) (Alarm, error) {
	var a Alarm
	var ended, handled, confirmed *time.Time
	err := r.Scan(&a.ID, &a.Type, &a.Card, &a.Name, &a.Info, &a.FenceID, &a.Location, &a.Floor, &a.X, &a.Y, &a.PermitID, &a.RaisedAt,
		&ended, &handled, &a.HandledBy, &a.HandleInfo, &confirmed, &a.ConfirmedBy)
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{ended, &a.EndedAt}, {handled, &a.HandledAt}, {confirmed, &a.ConfirmedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	a.TypeName = AlarmName(a.Type)
	return a, err
}

// AlarmFilter selects alarms: open only (not yet confirmed), or a period.
type AlarmFilter struct {
	Open     bool
	From, To time.Time // by raised_at; zero for no bound
	Type     string
}

// Alarms returns the company's alarms, newest first (at most 1000).
func (s *Service) Alarms(ctx context.Context, company string, f AlarmFilter) ([]Alarm, error) {
	q := `SELECT ` + alarmColumns + alarmJoins + ` WHERE a.company = $1`
	if f.Open {
		q += ` AND a.confirmed_at IS NULL`
	}
	w := enterprise.NewWhere(q, company)
	w.If(!f.From.IsZero(), "a.raised_at >= $%d", f.From)
	w.If(!f.To.IsZero(), "a.raised_at < $%d", f.To)
	w.If(f.Type != "", "a.alarm_type = $%d", f.Type)
	rows, err := s.pool.Query(ctx, w.SQL+` ORDER BY a.raised_at DESC, a.id LIMIT 1000`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("positioning: alarms: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alarm, error) { return scanAlarm(r) })
}

// Alarm returns one of the company's alarms.
func (s *Service) Alarm(ctx context.Context, company, id string) (Alarm, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Alarm{}, notFound("报警", "alarm")
	}
	a, err := scanAlarm(s.pool.QueryRow(ctx, `SELECT `+alarmColumns+alarmJoins+` WHERE a.company = $1 AND a.id = $2`, company, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Alarm{}, notFound("报警", "alarm")
	}
	return a, err
}

// errHandled refuses handling an alarm a second time.
var errHandled = &chemguard.Error{Code: chemguard.EConflict, MessageZH: "该报警已处置", MessageEN: "the alarm was already handled"}

// Handle records how an alarm was dealt with (处置, 销警) and publishes 表1
// alarm:handle under the alarm's id. Any member on duty may handle; an SOS's
// episode ends with its handling (the next press is a new alarm).
func (s *Service) Handle(ctx context.Context, m *enterprise.Member, id, info string) error {
	a, err := s.Alarm(ctx, m.Company, id)
	if err != nil {
		return err
	}
	info, err = textField("处理信息", "handling", info, 100, true)
	if err != nil {
		return err
	}
	if !a.HandledAt.IsZero() {
		return errHandled
	}
	now := s.cfg.Now()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The check above read the alarm without its row lock: a handling
		// committed since then is seen here, under the lock, and refused, so
		// it is neither overwritten nor followed by a second alarm:handle
		// version the platform would keep as the alarm's handling.
		tag, err := tx.Exec(ctx, `UPDATE pos_alarms SET handled_at = $3, handled_by = $4, handle_info = $5,
			ended_at = CASE WHEN alarm_type = '01' THEN coalesce(ended_at, $3) ELSE ended_at END
			WHERE company = $1 AND id = $2 AND handled_at IS NULL`,
			m.Company, id, now, m.UserID, info)
		if err != nil {
			return fmt.Errorf("positioning: handle: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errHandled
		}
		rec := alarmRow{ID: a.ID, Type: a.Type, Card: a.Card, Name: a.Name, Info: a.Info, Location: a.Location, Floor: a.Floor, RaisedAt: a.RaisedAt}.record(m.Company)
		rec.Type = schemas.PositioningHandled
		rec.HandleTime = schemas.DateTime{Time: now.In(schemas.Shanghai)}
		rec.HandleInfo = info
		return s.pub.Stage(ctx, tx, schemas.PositioningAlarms.Slug, m.Company, rec)
	})
	if err != nil {
		return err
	}
	s.live.changed(m.Company)
	return nil
}

// errConfirmed refuses confirming an alarm a second time.
var errConfirmed = &chemguard.Error{Code: chemguard.EConflict, MessageZH: "该报警已确认", MessageEN: "the alarm was already confirmed"}

// Confirm closes a handled alarm's loop: a manager confirms the handling.
func (s *Service) Confirm(ctx context.Context, m *enterprise.Member, id string) error {
	if !m.Has(enterprise.Supervisors...) {
		return forbidden("仅部门负责人、安全管理员或主要负责人可以确认报警处置", "only a department head or manager may confirm an alarm's handling")
	}
	a, err := s.Alarm(ctx, m.Company, id)
	if err != nil {
		return err
	}
	if a.HandledAt.IsZero() {
		return &chemguard.Error{Code: chemguard.EConflict, MessageZH: "该报警尚未处置，不能确认", MessageEN: "the alarm has not been handled yet"}
	}
	if !a.ConfirmedAt.IsZero() {
		return errConfirmed
	}
	// The checks above read the alarm without its row lock: a confirmation
	// committed since then is seen by the update, under the lock, and refused,
	// so the first confirmer is the one the alarm keeps.
	tag, err := s.pool.Exec(ctx, `UPDATE pos_alarms SET confirmed_at = $3, confirmed_by = $4
		WHERE company = $1 AND id = $2 AND handled_at IS NOT NULL AND confirmed_at IS NULL`,
		m.Company, id, s.cfg.Now(), m.UserID)
	if err != nil {
		return fmt.Errorf("positioning: confirm: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errConfirmed
	}
	s.live.changed(m.Company)
	return nil
}

// LivePerson is a tag on the live map.
type LivePerson struct {
	Card     string    `json:"card_no"`
	PersonID int64     `json:"person_id"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	KindName string    `json:"kind_name"`
	Unit     string    `json:"unit"`
	Floor    string    `json:"floor"`
	X        float64   `json:"x"`
	Y        float64   `json:"y"`
	At       time.Time `json:"at"`
	Fences   []int64   `json:"fences"`
}

// FenceCount is a fence with the people inside it now, by kind.
type FenceCount struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Floor     string         `json:"floor"`
	Kind      string         `json:"kind"`
	Polygon   [][2]float64   `json:"polygon"`
	MaxPeople int            `json:"max_people"`
	MinPeople int            `json:"min_people"`
	Suspended bool           `json:"suspended"`
	Count     int            `json:"count"`
	ByKind    map[string]int `json:"by_kind"`
}

// Live is the company's live picture: where everyone is, how many are in
// each fence, and the alarms not yet confirmed.
type Live struct {
	At        time.Time      `json:"at"`
	Suspended bool           `json:"suspended"`
	People    []LivePerson   `json:"people"`
	Fences    []FenceCount   `json:"fences"`
	ByKind    map[string]int `json:"by_kind"`
	Alarms    []Alarm        `json:"alarms"`
}

// Stale is how old a tag's last fix may be and still show on the live map: a
// tag silent longer has left the plant or lost power.
const Stale = 10 * time.Minute

// Live returns the company's live picture at the service's now.
func (s *Service) Live(ctx context.Context, company string) (Live, error) {
	now := s.cfg.Now()
	out := Live{At: now, Suspended: s.Suspended(ctx, company).Suspended, ByKind: map[string]int{}}
	fs, err := s.Fences(ctx, company)
	if err != nil {
		return out, err
	}
	rows, err := s.pool.Query(ctx, `SELECT l.card_no, p.id, p.name, p.kind, p.unit, l.floor, l.x, l.y, l.fix_time
		FROM pos_last l JOIN pos_tags t ON t.company = l.company AND t.card_no = l.card_no AND t.unbound_at IS NULL
		JOIN pos_people p ON p.id = t.person_id AND p.deleted_at IS NULL
		WHERE l.company = $1 AND l.fix_time > $2 ORDER BY p.name`, company, now.Add(-Stale))
	if err != nil {
		return out, fmt.Errorf("positioning: live: %w", err)
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LivePerson, error) {
		var p LivePerson
		err := r.Scan(&p.Card, &p.PersonID, &p.Name, &p.Kind, &p.Unit, &p.Floor, &p.X, &p.Y, &p.At)
		p.KindName = PersonKindName(p.Kind)
		return p, err
	})
	if err != nil {
		return out, fmt.Errorf("positioning: live: %w", err)
	}
	for _, f := range fs {
		fc := FenceCount{ID: f.ID, Name: f.Name, Floor: f.Floor, Kind: f.Kind, Polygon: polygonJSON(f.Polygon), MaxPeople: f.MaxPeople,
			MinPeople: f.MinPeople, Suspended: f.Suspended, ByKind: map[string]int{}}
		for i := range people {
			if f.Contains(people[i].Floor, Point{X: people[i].X, Y: people[i].Y}) {
				fc.Count++
				fc.ByKind[people[i].KindName]++
				people[i].Fences = append(people[i].Fences, f.ID)
			}
		}
		out.Fences = append(out.Fences, fc)
	}
	for _, p := range people {
		out.ByKind[p.KindName]++
	}
	out.People = people
	if out.Alarms, err = s.Alarms(ctx, company, AlarmFilter{Open: true}); err != nil {
		return out, err
	}
	return out, nil
}

// TrackPoint is one fix of a track.
type TrackPoint struct {
	At    time.Time `json:"at"`
	X     float64   `json:"x"`
	Y     float64   `json:"y"`
	Floor string    `json:"floor"`
}

// Track returns a person's fixes between from and to (several days if asked),
// whichever tags they carried then, in time order (at most 50 000 points).
func (s *Service) Track(ctx context.Context, company string, person int64, from, to time.Time) ([]TrackPoint, error) {
	if !to.After(from) {
		return nil, invalid("查询时间", "结束时间应晚于开始时间", "the end must be after the start")
	}
	if to.Sub(from) > s.cfg.Retention {
		return nil, invalid("查询时间", "查询范围不能超过轨迹保存期限", "the range must not exceed the track retention")
	}
	rows, err := s.pool.Query(ctx, `SELECT fix_time, x, y, floor FROM pos_fixes WHERE company = $1 AND person_id = $2 AND fix_time >= $3 AND fix_time < $4
		ORDER BY fix_time LIMIT 50000`, company, person, from, to)
	if err != nil {
		return nil, fmt.Errorf("positioning: track: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TrackPoint, error) {
		var p TrackPoint
		return p, r.Scan(&p.At, &p.X, &p.Y, &p.Floor)
	})
}

// Evacuation is who was told to leave an area, and what.
type Evacuation struct {
	Fence       string
	Instruction string
	People      []LivePerson
	Notified    int // members reached in the app (and by SMS)
}

// Evacuate sends instruction to everyone inside fence now (指南 4.6: after a
// DCS/GDS/SIS alarm, by its affected area) and to the company's managers:
// urgent, so also by SMS. People without an account (visitors, contractors)
// are listed for the control room to reach by radio.
func (s *Service) Evacuate(ctx context.Context, m *enterprise.Member, fence int64, instruction string) (Evacuation, error) {
	if err := requireManager(m); err != nil {
		return Evacuation{}, err
	}
	instruction, err := textField("疏散指令", "instruction", instruction, 200, true)
	if err != nil {
		return Evacuation{}, err
	}
	live, err := s.Live(ctx, m.Company)
	if err != nil {
		return Evacuation{}, err
	}
	out := Evacuation{Instruction: instruction}
	for _, f := range live.Fences {
		if f.ID == fence {
			out.Fence = f.Name
		}
	}
	if out.Fence == "" {
		return Evacuation{}, notFound("电子围栏", "fence")
	}
	var users []int64
	out.People = inside(live, fence)
	for _, p := range out.People {
		var uid int64
		_ = s.pool.QueryRow(ctx, `SELECT coalesce(user_id, 0) FROM pos_people WHERE id = $1`, p.PersonID).Scan(&uid)
		if uid != 0 {
			users = append(users, uid)
		}
	}
	var names []string
	for _, p := range out.People {
		names = append(names, p.Name)
	}
	n := enterprise.Notice{Kind: "positioning_evacuate", Title: "紧急疏散：" + out.Fence, Body: instruction + "（区域内：" + strings.Join(names, "、") + "）",
		Link: enterprise.Prefix + "/positioning", Urgent: true, Key: fmt.Sprintf("evacuate:%d:%d", fence, s.cfg.Now().Unix())}
	if err := s.notifyManagers(ctx, m.Company, users, n); err != nil {
		return out, err
	}
	out.Notified = len(users)
	return out, nil
}

// Camera is a camera bound to an alarm's area, with its view's address.
type Camera struct {
	Code string
	Name string
	URL  string
}

// Cameras returns the views of the cameras bound to area (the permit module's
// camera bindings and video-platform template are the company's one set):
// the alarm's 报警位置 opens its cameras (指南 4.6).
func (s *Service) Cameras(ctx context.Context, company, area string, at time.Time) ([]Camera, error) {
	var tmpl string
	_ = s.pool.QueryRow(ctx, `SELECT video_template FROM permit_settings WHERE company = $1`, company).Scan(&tmpl)
	if tmpl == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT b.video_code, coalesce(c.doc->>'CAMERA_NAME', b.video_code) FROM permit_cameras b
		LEFT JOIN x_cameras c ON c.company_code = b.company AND c.record_key = b.video_code
		WHERE b.company = $1 AND b.area = $2 AND b.removed_at IS NULL ORDER BY 1`, company, area)
	if err != nil {
		return nil, fmt.Errorf("positioning: cameras: %w", err)
	}
	cams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Camera, error) {
		var c Camera
		return c, r.Scan(&c.Code, &c.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("positioning: cameras: %w", err)
	}
	// The same placeholders as the permit's video link: the view opens five
	// minutes either side of the alarm.
	for i := range cams {
		cams[i].URL = strings.NewReplacer("{code}", url.QueryEscape(cams[i].Code), "{start}", url.QueryEscape(at.Add(-5*time.Minute).Format(time.RFC3339)),
			"{end}", url.QueryEscape(at.Add(5*time.Minute).Format(time.RFC3339))).Replace(tmpl)
	}
	return cams, nil
}
