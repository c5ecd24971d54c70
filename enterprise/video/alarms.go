package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/vms"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Handling states of an alarm.
const (
	StateReceived  = "received"  // 待处置
	StateAssigned  = "assigned"  // 已派发
	StateHandled   = "handled"   // 已处置，待确认
	StateConfirmed = "confirmed" // 已确认（闭环）
)

// StateName is the Chinese name of a handling state (or of a step).
func StateName(s string) string {
	return map[string]string{StateReceived: "待处置", StateAssigned: "已派发", StateHandled: "已处置待确认", StateConfirmed: "已闭环",
		"cleared": "销警"}[s]
}

// Alarm is an alarm with its handling.
type Alarm struct {
	ID           string
	Type         string
	TypeName     string
	CameraCode   string
	Camera       string
	Area         string
	DeviceID     string
	Device       string
	DeviceCode   string
	RaisedAt     time.Time
	ClearedAt    time.Time // zero while the alarm stands
	ClearedBy    string
	Image        string // filestore refs
	ClearImage   string
	State        string
	AssigneeID   int64
	Assignee     string
	Note         string
	Photo        string
	HandledAt    time.Time
	HandledBy    string
	ConfirmedAt  time.Time
	ConfirmedBy  string
	Steps        []Step
	LiveURL      string // the camera's live view on the company's VMS, "" when not set
	RecordingURL string // the recording around the alarm
}

// Step is one step of an alarm's handling.
type Step struct {
	At    time.Time
	Actor string
	Step  string
	Note  string
}

// Filter selects alarms.
type Filter struct {
	From, To time.Time // raised in [From, To); zero = unbounded
	Type     string
	State    string
	Area     string
	Device   string // device id
	Mine     bool   // only those assigned to the member
}

const alarmColumns = `a.id::text, a.alarm_type, a.camera_code, coalesce(c.name, a.camera_code), coalesce(c.area, ''), a.device_id::text, d.name, d.code,
	a.raised_at, coalesce(a.cleared_at, '0001-01-01Z'), a.cleared_by, a.image_ref, a.clear_image_ref, a.state, coalesce(a.assignee_id, 0), a.assignee_name,
	a.handle_note, a.handle_photo, coalesce(a.handled_at, '0001-01-01Z'), a.handled_by, coalesce(a.confirmed_at, '0001-01-01Z'), a.confirmed_by
	FROM video_alarms a JOIN video_devices d ON d.id = a.device_id LEFT JOIN video_cameras c ON c.company = a.company AND c.code = a.camera_code`

func scanAlarm(row pgx.Row, a *Alarm) error {
	return row.Scan(&a.ID, &a.Type, &a.CameraCode, &a.Camera, &a.Area, &a.DeviceID, &a.Device, &a.DeviceCode, &a.RaisedAt, &a.ClearedAt, &a.ClearedBy,
		&a.Image, &a.ClearImage, &a.State, &a.AssigneeID, &a.Assignee, &a.Note, &a.Photo, &a.HandledAt, &a.HandledBy, &a.ConfirmedAt, &a.ConfirmedBy)
}

// Alarms lists the company's alarms matching f, newest first.
func (s *Service) Alarms(ctx context.Context, m *enterprise.Member, f Filter) ([]Alarm, error) {
	sp, err := s.SpaceFor(ctx, m)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + alarmColumns + ` WHERE a.company = $1`
	w := enterprise.NewWhere(q, m.Company)
	w.If(!f.From.IsZero(), "a.raised_at >= $%d", f.From)
	w.If(!f.To.IsZero(), "a.raised_at < $%d", f.To)
	w.If(f.Type != "", "a.alarm_type = $%d", f.Type)
	w.If(f.State != "", "a.state = $%d", f.State)
	w.If(f.Area != "", "c.area = $%d", f.Area)
	w.If(f.Device != "", "a.device_id::text = $%d", f.Device)
	w.If(f.Mine, "a.assignee_id = $%d", m.UserID)
	rows, err := s.pool.Query(ctx, w.SQL+` ORDER BY a.raised_at DESC LIMIT 2000`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("video: alarms: %w", err)
	}
	defer rows.Close()
	var out []Alarm
	for rows.Next() {
		var a Alarm
		if err := scanAlarm(rows, &a); err != nil {
			return nil, fmt.Errorf("video: alarms: %w", err)
		}
		a.TypeName = sp.TypeName(a.Type)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Alarm returns one of the company's alarms with its steps and its video links.
func (s *Service) Alarm(ctx context.Context, m *enterprise.Member, id string) (*Alarm, error) {
	sp, err := s.SpaceFor(ctx, m)
	if err != nil {
		return nil, err
	}
	a := &Alarm{}
	err = scanAlarm(s.pool.QueryRow(ctx, `SELECT `+alarmColumns+` WHERE a.company = $1 AND a.id::text = $2`, m.Company, id), a)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("报警", "alarm")
	}
	if err != nil {
		return nil, fmt.Errorf("video: alarm: %w", err)
	}
	a.TypeName = sp.TypeName(a.Type)
	rows, _ := s.pool.Query(ctx, `SELECT at, actor, step, note FROM video_alarm_steps WHERE alarm_id = $1 ORDER BY at, id`, a.ID)
	if a.Steps, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Step]); err != nil {
		return nil, fmt.Errorf("video: steps: %w", err)
	}
	st := s.Settings(ctx, m.Company)
	end := a.RaisedAt
	if !a.ClearedAt.IsZero() {
		end = a.ClearedAt
	}
	a.LiveURL = vms.Expand(st.Live, a.CameraCode, time.Time{}, time.Time{})
	a.RecordingURL = vms.Expand(st.Playback, a.CameraCode, a.RaisedAt.Add(-time.Duration(st.Before)*time.Second), end.Add(time.Duration(st.After)*time.Second))
	return a, nil
}

// Image returns an image of one of the company's alarms (the box's or the
// handler's photo).
func (s *Service) Image(ctx context.Context, m *enterprise.Member, id, ref string) ([]byte, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM video_alarms WHERE company = $1 AND id::text = $2 AND $3 <> ''
		AND $3 IN (image_ref, clear_image_ref, handle_photo))`, m.Company, id, ref).Scan(&ok)
	if err != nil {
		return nil, fmt.Errorf("video: image: %w", err)
	}
	if !ok {
		return nil, notFound("图片", "image")
	}
	return s.files.Get(ref)
}

// Assign sends an alarm to a member of the company to handle (派发).
func (s *Service) Assign(ctx context.Context, m *enterprise.Member, id string, userID int64) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	people, err := s.dir.People(ctx, m.Company)
	if err != nil {
		return err
	}
	var to *enterprise.Person
	for i := range people {
		if people[i].UserID == userID {
			to = &people[i]
		}
	}
	if to == nil {
		return invalid("处置人", "请选择本企业人员", "choose a member of the company")
	}
	a, err := s.Alarm(ctx, m, id)
	if err != nil {
		return err
	}
	if a.State != StateReceived && a.State != StateAssigned {
		return invalid("派发", "报警已处置，不能再派发", "the alarm is already handled")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE video_alarms SET state = $2, assignee_id = $3, assignee_name = $4 WHERE id::text = $1`,
			id, StateAssigned, to.UserID, to.DisplayName); err != nil {
			return fmt.Errorf("video: assign: %w", err)
		}
		return s.step(ctx, tx, id, m.DisplayName, StateAssigned, "派发给 "+to.DisplayName)
	})
	if err != nil {
		return err
	}
	_ = s.notify.Notify(ctx, m.Company, []int64{to.UserID}, enterprise.Notice{Kind: "video_alarm_assigned",
		Title: "请处置视频报警：" + a.TypeName + "（" + a.Camera + "）", Body: "报警时间 " + a.RaisedAt.In(schemas.Shanghai).Format("01-02 15:04:05") + "，由 " + m.DisplayName + " 派发。",
		Link: enterprise.PhonePrefix + "/video/alarms/" + id, Urgent: true, Key: "video_assigned:" + id + fmt.Sprint(to.UserID)})
	return nil
}

// Handle records how the alarm was handled (处置), with a note and an
// optional photo: by its assignee, or by a manager.
func (s *Service) Handle(ctx context.Context, m *enterprise.Member, id, note string, photo []byte) error {
	a, err := s.Alarm(ctx, m, id)
	if err != nil {
		return err
	}
	if !(m.Has(enterprise.Managers...) || a.AssigneeID == m.UserID) {
		return forbidden("只有被派发的处置人或安全管理员可以处置该报警", "only the assignee or a manager may handle the alarm")
	}
	if a.State != StateReceived && a.State != StateAssigned {
		return invalid("处置", "报警已处置", "the alarm is already handled")
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return invalid("处置情况", "必填：写明现场核实和处置结果", "the handling note is required")
	}
	ref := ""
	if len(photo) > 0 {
		if len(photo) > MaxImageBytes {
			return invalid("处置照片", "不超过 4MB", "the photo must be at most 4 MB")
		}
		if ref, err = s.files.Put(photo); err != nil {
			return fmt.Errorf("video: photo: %w", err)
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE video_alarms SET state = $2, handle_note = $3, handle_photo = $4, handled_at = $5, handled_by = $6 WHERE id::text = $1`,
			id, StateHandled, note, ref, s.cfg.Now(), m.DisplayName); err != nil {
			return fmt.Errorf("video: handle: %w", err)
		}
		return s.step(ctx, tx, id, m.DisplayName, StateHandled, note)
	})
}

// Confirm closes the loop (确认): a manager accepts the handling, or sends it
// back (reject) to be handled again with the reason.
func (s *Service) Confirm(ctx context.Context, m *enterprise.Member, id string, accept bool, note string) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	a, err := s.Alarm(ctx, m, id)
	if err != nil {
		return err
	}
	if a.State != StateHandled {
		return invalid("确认", "报警尚未处置", "the alarm is not handled yet")
	}
	note = strings.TrimSpace(note)
	if !accept && note == "" {
		return invalid("退回原因", "退回时必填", "a reason is required to send it back")
	}
	state, step := StateConfirmed, StateConfirmed
	if !accept {
		state, step = StateAssigned, "returned"
		if a.AssigneeID == 0 {
			state = StateReceived
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if accept {
			_, err = tx.Exec(ctx, `UPDATE video_alarms SET state = $2, confirmed_at = $3, confirmed_by = $4 WHERE id::text = $1`, id, state, s.cfg.Now(), m.DisplayName)
		} else {
			_, err = tx.Exec(ctx, `UPDATE video_alarms SET state = $2, handled_at = NULL WHERE id::text = $1`, id, state)
		}
		if err != nil {
			return fmt.Errorf("video: confirm: %w", err)
		}
		return s.step(ctx, tx, id, m.DisplayName, step, note)
	})
}

// Count is one line of a statistic.
type Count struct {
	Key, Label string
	N, Open    int // alarms; those not yet closed (闭环)
}

// Stats are the period's alarms by type, area, device and day.
type Stats struct {
	Total, Open                     int
	ByType, ByArea, ByDevice, ByDay []Count
}

// Statistics counts the alarms raised in [from, to).
func (s *Service) Statistics(ctx context.Context, m *enterprise.Member, from, to time.Time) (Stats, error) {
	var st Stats
	rows, err := s.Alarms(ctx, m, Filter{From: from, To: to})
	if err != nil {
		return st, err
	}
	count := func(key func(Alarm) (string, string)) []Count {
		idx := map[string]int{}
		var out []Count
		for _, a := range rows {
			k, l := key(a)
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, Count{Key: k, Label: l})
			}
			out[i].N++
			if a.State != StateConfirmed {
				out[i].Open++
			}
		}
		return out
	}
	for _, a := range rows {
		st.Total++
		if a.State != StateConfirmed {
			st.Open++
		}
	}
	st.ByType = count(func(a Alarm) (string, string) { return a.Type, a.TypeName })
	st.ByArea = count(func(a Alarm) (string, string) {
		if a.Area == "" {
			return "", "（未绑定区域）"
		}
		return a.Area, a.Area
	})
	st.ByDevice = count(func(a Alarm) (string, string) { return a.DeviceID, a.Device + "（" + a.DeviceCode + "）" })
	st.ByDay = count(func(a Alarm) (string, string) {
		d := a.RaisedAt.In(schemas.Shanghai).Format("2006-01-02")
		return d, d
	})
	return st, nil
}

func hms(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(schemas.Shanghai).Format("2006-01-02 15:04:05")
}

// StatsExcel writes the period's alarms and their counts as .xlsx.
func (s *Service) StatsExcel(ctx context.Context, m *enterprise.Member, from, to time.Time, w io.Writer) error {
	st, err := s.Statistics(ctx, m, from, to)
	if err != nil {
		return err
	}
	rows, err := s.Alarms(ctx, m, Filter{From: from, To: to})
	if err != nil {
		return err
	}
	b := enterprise.StatsBook{Sheet: "报警明细",
		Header: []any{"报警时间", "报警类型", "区域", "摄像头", "视频通道编码", "分析设备", "销警时间", "处置状态", "处置人", "处置情况", "确认人", "确认时间"},
		Totals: [][]any{{"期间", hms(from) + " 至 " + hms(to)}, {"报警总数", st.Total}, {"未闭环", st.Open}}}
	for _, a := range rows {
		b.Rows = append(b.Rows, []any{hms(a.RaisedAt), a.TypeName, a.Area, a.Camera, a.CameraCode, a.Device,
			hms(a.ClearedAt), StateName(a.State), a.HandledBy, a.Note, a.ConfirmedBy, hms(a.ConfirmedAt)})
	}
	for _, g := range []struct {
		t  string
		cs []Count
	}{{"按报警类型", st.ByType}, {"按区域", st.ByArea}, {"按分析设备", st.ByDevice}, {"按日期", st.ByDay}} {
		sg := enterprise.StatsGroup{Heading: []any{g.t, "报警数", "未闭环"}}
		for _, c := range g.cs {
			sg.Lines = append(sg.Lines, []any{c.Label, c.N, c.Open})
		}
		b.Groups = append(b.Groups, sg)
	}
	if err := b.Write(w); err != nil {
		return fmt.Errorf("video: excel: %w", err)
	}
	return nil
}

// Operation is a device's line in the operations view.
type Operation struct {
	Device
	Online    bool
	Cameras   int
	Open      int       // alarms not yet cleared
	LastAlarm time.Time // zero when none
}

// Operations is the device operations view (运维): every device, online or
// not by its last heartbeat, with its cameras and open alarms.
func (s *Service) Operations(ctx context.Context, m *enterprise.Member) ([]Operation, error) {
	devices, err := s.Devices(ctx, m)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := make([]Operation, len(devices))
	for i, d := range devices {
		out[i].Device = d
		out[i].Online = !d.LastHeartbeat.IsZero() && now.Sub(d.LastHeartbeat) <= s.cfg.OfflineAfter
		var last *time.Time
		err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM video_cameras WHERE company = $1 AND device_id::text = $2 AND deleted_at IS NULL),
			(SELECT count(*) FROM video_alarms WHERE company = $1 AND device_id::text = $2 AND cleared_at IS NULL),
			(SELECT max(raised_at) FROM video_alarms WHERE company = $1 AND device_id::text = $2)`, m.Company, d.ID).
			Scan(&out[i].Cameras, &out[i].Open, &last)
		if err != nil {
			return nil, fmt.Errorf("video: operations: %w", err)
		}
		if last != nil {
			out[i].LastAlarm = *last
		}
	}
	return out, nil
}
