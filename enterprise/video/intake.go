package video

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// box is the device a credential belongs to.
type box struct {
	ID, Company, Code, Name string
	AutoClear               int
}

// SigningSecret implements signing.Secrets for the boxes' credentials: the
// company and the HMAC key of an active device's key.
func (s *Service) SigningSecret(ctx context.Context, key string) (string, []byte, error) {
	var company, secret string
	err := s.pool.QueryRow(ctx, `SELECT company, secret FROM video_devices WHERE key_hash = $1 AND deleted_at IS NULL`, keyHash(key)).
		Scan(&company, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: "分析设备凭证无效或已停用", MessageEN: "unknown or revoked device credential"}
	}
	if err != nil {
		return "", nil, fmt.Errorf("video: credential: %w", err)
	}
	plain, err := s.cfg.Secrets.Open(secretColumn, secret)
	if err != nil {
		return "", nil, fmt.Errorf("video: credential: %w", err)
	}
	return company, []byte(plain), nil
}

func (s *Service) box(ctx context.Context, key string) (box, error) {
	var b box
	err := s.pool.QueryRow(ctx, `SELECT id::text, company, code, name, auto_clear_minutes FROM video_devices WHERE key_hash = $1 AND deleted_at IS NULL`,
		keyHash(key)).Scan(&b.ID, &b.Company, &b.Code, &b.Name, &b.AutoClear)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: "分析设备凭证无效或已停用", MessageEN: "unknown or revoked device credential"}
	}
	if err != nil {
		return b, fmt.Errorf("video: device: %w", err)
	}
	return b, nil
}

// Heartbeat records that the box holding key is running.
func (s *Service) Heartbeat(ctx context.Context, key string) (string, error) {
	b, err := s.box(ctx, key)
	if err != nil {
		return "", err
	}
	_, err = s.pool.Exec(ctx, `UPDATE video_devices SET last_heartbeat = $2 WHERE id = $1`, b.ID, s.cfg.Now())
	return b.Code, err
}

// AlarmInput is one alarm or clear as a box posts it; the field names are
// the seed's (表4), EVENT_ID the box's own id of the event (optional: a 销警
// without it clears the oldest open alarm of the same channel and type).
type AlarmInput struct {
	EventID   string `json:"EVENT_ID"`
	Type      string `json:"ALARM_TYPE"`
	Status    string `json:"ALARM_STATUS"`
	Time      string `json:"ALARM_TIME"`
	VideoCode string `json:"VIDEO_CODE"`
	Image     string `json:"ALARM_IMAGE"` // base64 in JSON; the file part in multipart
	image     []byte
}

// Result is the outcome of one posted record.
type Result struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"` // the alarm's ALARM_ID
	Status    string `json:"status"`       // raised, cleared, duplicate, rejected
	Field     string `json:"field,omitempty"`
	MessageZH string `json:"message_zh,omitempty"`
	MessageEN string `json:"message_en,omitempty"`
}

type fieldError struct {
	field string
	err   *chemguard.Error
}

func (e *fieldError) Error() string { return e.err.Error() }

func bad(field, zh, en string) error {
	return &fieldError{field: field, err: &chemguard.Error{Code: chemguard.EInvalid, MessageZH: field + "：" + zh, MessageEN: field + ": " + en}}
}

// Intake records the alarms a box posted, each on its own: a bad record is
// answered with its field and the rule in Chinese and English and the good
// ones beside it are kept and published.
func (s *Service) Intake(ctx context.Context, key string, in []AlarmInput) ([]Result, error) {
	b, err := s.box(ctx, key)
	if err != nil {
		return nil, err
	}
	sp, err := s.space(ctx, s.pool, b.Company)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if _, err := s.pool.Exec(ctx, `UPDATE video_devices SET last_heartbeat = $2 WHERE id = $1`, b.ID, now); err != nil {
		return nil, fmt.Errorf("video: heartbeat: %w", err)
	}
	out := make([]Result, len(in))
	for i, a := range in {
		r, err := s.intakeOne(ctx, b, sp, a, now)
		r.Index = i
		if err != nil {
			var fe *fieldError
			var ce *chemguard.Error
			switch {
			case errors.As(err, &fe):
				r.Status, r.Field, r.MessageZH, r.MessageEN = "rejected", fe.field, fe.err.MessageZH, fe.err.MessageEN
			case errors.As(err, &ce) && ce.Code != chemguard.EInternal:
				r.Status, r.MessageZH, r.MessageEN = "rejected", ce.MessageZH, ce.MessageEN
			default:
				return nil, err
			}
		}
		out[i] = r
	}
	return out, nil
}

func (s *Service) parse(b box, sp Space, a *AlarmInput, now time.Time) (time.Time, error) {
	a.Type, a.Status, a.VideoCode, a.EventID = strings.TrimSpace(a.Type), strings.TrimSpace(a.Status), strings.TrimSpace(a.VideoCode), strings.TrimSpace(a.EventID)
	if _, ok := sp.Types.Lookup(a.Type); !ok {
		space := "智能视频 表1（1～10）"
		if sp.GasStation {
			space = "加油站 表1（3、6、7、10、11、13、14）"
		}
		return time.Time{}, bad("ALARM_TYPE", fmt.Sprintf("「%s」不是%s的报警类型", a.Type, space),
			fmt.Sprintf("%q is not an alarm type of %s", a.Type, sp.Types.Source))
	}
	if a.Status != schemas.VideoAlarmRaised && a.Status != schemas.VideoAlarmCleared {
		return time.Time{}, bad("ALARM_STATUS", "应为 1（报警）或 0（销警）", "must be 1 (raised) or 0 (cleared)")
	}
	at, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(a.Time), schemas.Shanghai)
	if err != nil {
		if at, err = time.Parse(time.RFC3339, strings.TrimSpace(a.Time)); err != nil {
			return time.Time{}, bad("ALARM_TIME", "格式应为 yyyy-MM-dd HH:mm:ss", "expected yyyy-MM-dd HH:mm:ss")
		}
	}
	if at.After(now.Add(5 * time.Minute)) {
		return time.Time{}, bad("ALARM_TIME", "晚于当前时间，请检查设备时钟", "is in the future: check the box's clock")
	}
	if len(a.EventID) > 64 {
		return time.Time{}, bad("EVENT_ID", "不超过 64 个字符", "at most 64 characters")
	}
	if err := CheckChannelCode(b.Company, a.VideoCode); err != nil {
		var ce *chemguard.Error
		errors.As(err, &ce)
		return time.Time{}, &fieldError{field: "VIDEO_CODE", err: ce}
	}
	if a.image == nil && a.Image != "" {
		if a.image, err = base64.StdEncoding.DecodeString(a.Image); err != nil {
			return time.Time{}, bad("ALARM_IMAGE", "不是有效的 Base64 编码", "is not valid base64")
		}
	}
	if len(a.image) > MaxImageBytes {
		return time.Time{}, bad("ALARM_IMAGE", fmt.Sprintf("图片 %d 字节，超过 4MB", len(a.image)), fmt.Sprintf("the image has %d bytes, more than 4 MB", len(a.image)))
	}
	if len(a.image) > 0 {
		switch http.DetectContentType(a.image) {
		case "image/png", "image/jpeg", "image/bmp":
		default:
			return time.Time{}, bad("ALARM_IMAGE", "图片格式应为 PNG、JPG、JPEG 或 BMP", "the image must be PNG, JPEG or BMP")
		}
	} else if a.Status == schemas.VideoAlarmRaised {
		return time.Time{}, bad("ALARM_IMAGE", "报警须附报警时图片", "a raised alarm needs its image")
	}
	return at, nil
}

func (s *Service) intakeOne(ctx context.Context, b box, sp Space, a AlarmInput, now time.Time) (Result, error) {
	at, err := s.parse(b, sp, &a, now)
	if err != nil {
		return Result{}, err
	}
	var r Result
	var notice *enterprise.Notice
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM video_cameras WHERE company = $1 AND code = $2 AND deleted_at IS NULL)`,
			b.Company, a.VideoCode).Scan(&ok); err != nil {
			return fmt.Errorf("video: camera: %w", err)
		}
		if !ok {
			return bad("VIDEO_CODE", fmt.Sprintf("摄像头 %s 未在本企业登记，请先在“视频设备”中登记", a.VideoCode),
				fmt.Sprintf("camera %s is not registered by the company: register it first", a.VideoCode))
		}
		if a.Status == schemas.VideoAlarmRaised {
			return s.raise(ctx, tx, b, sp, a, at, &r, &notice)
		}
		return s.clear(ctx, tx, b, sp, a, at, &r)
	})
	if err != nil {
		return Result{}, err
	}
	if notice != nil {
		s.tell(ctx, b.Company, *notice)
	}
	return r, nil
}

func (s *Service) raise(ctx context.Context, tx pgx.Tx, b box, sp Space, a AlarmInput, at time.Time, r *Result, notice **enterprise.Notice) error {
	if a.EventID != "" {
		err := tx.QueryRow(ctx, `SELECT id::text FROM video_alarms WHERE device_id = $1 AND vendor_event = $2`, b.ID, a.EventID).Scan(&r.ID)
		if err == nil {
			r.Status = "duplicate" // the box sent it again (a retry): recorded once
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("video: pairing: %w", err)
		}
	}
	ref, err := s.files.Put(a.image)
	if err != nil {
		return fmt.Errorf("video: image: %w", err)
	}
	r.ID, r.Status = uuid.NewString(), "raised"
	if _, err := tx.Exec(ctx, `INSERT INTO video_alarms (id, company, device_id, camera_code, alarm_type, vendor_event, raised_at, image_ref, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, b.Company, b.ID, a.VideoCode, a.Type, a.EventID, at, ref, s.cfg.Now()); err != nil {
		return fmt.Errorf("video: alarm: %w", err)
	}
	if err := s.step(ctx, tx, r.ID, "分析设备 "+b.Name, "received", ""); err != nil {
		return err
	}
	if err := s.stageAlarm(ctx, tx, b.Company, sp, r.ID, a.Type, schemas.VideoAlarmRaised, at, b.Code, a.VideoCode, a.image); err != nil {
		return err
	}
	var place string
	_ = tx.QueryRow(ctx, `SELECT coalesce(nullif(area, ''), place) FROM video_cameras WHERE company = $1 AND code = $2`, b.Company, a.VideoCode).Scan(&place)
	*notice = &enterprise.Notice{Kind: "video_alarm", Title: "视频报警：" + sp.TypeName(a.Type) + "（" + place + "）",
		Body: fmt.Sprintf("%s 摄像头 %s 识别到“%s”，请及时处置。", at.In(schemas.Shanghai).Format("01-02 15:04:05"), a.VideoCode, sp.TypeName(a.Type)),
		Link: enterprise.Prefix + "/video/alarms/" + r.ID, Urgent: sp.urgent(a.Type), Key: "video_alarm:" + r.ID}
	return nil
}

func (s *Service) clear(ctx context.Context, tx pgx.Tx, b box, sp Space, a AlarmInput, at time.Time, r *Result) error {
	var cleared *time.Time
	var imageRef string
	var err error
	if a.EventID != "" {
		err = tx.QueryRow(ctx, `SELECT id::text, cleared_at, image_ref FROM video_alarms WHERE device_id = $1 AND vendor_event = $2 FOR UPDATE`,
			b.ID, a.EventID).Scan(&r.ID, &cleared, &imageRef)
	} else {
		err = tx.QueryRow(ctx, `SELECT id::text, cleared_at, image_ref FROM video_alarms WHERE device_id = $1 AND camera_code = $2 AND alarm_type = $3
			AND cleared_at IS NULL AND raised_at <= $4 ORDER BY raised_at LIMIT 1 FOR UPDATE`, b.ID, a.VideoCode, a.Type, at).Scan(&r.ID, &cleared, &imageRef)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return bad("ALARM_STATUS", "销警找不到对应的未销警报警（同一设备、通道、类型，或同一 EVENT_ID）",
			"the clear matches no open alarm (same device, channel and type, or the same EVENT_ID)")
	}
	if err != nil {
		return fmt.Errorf("video: pairing: %w", err)
	}
	if cleared != nil {
		r.Status = "duplicate"
		return nil
	}
	img := a.image
	ref := ""
	if len(img) > 0 {
		if ref, err = s.files.Put(img); err != nil {
			return fmt.Errorf("video: image: %w", err)
		}
	} else if img, err = s.files.Get(imageRef); err != nil { // 表4 needs an image for the 销警 too
		return fmt.Errorf("video: image: %w", err)
	}
	r.Status = "cleared"
	return s.closeAlarm(ctx, tx, b.Company, sp, r.ID, at, ref, "box", b.Code, a.VideoCode, a.Type, img)
}

func (s *Service) closeAlarm(ctx context.Context, tx pgx.Tx, company string, sp Space, id string, at time.Time, ref, by, device, camera, typ string, img []byte) error {
	if _, err := tx.Exec(ctx, `UPDATE video_alarms SET cleared_at = $2, clear_image_ref = $3, cleared_by = $4 WHERE id = $1`, id, at, ref, by); err != nil {
		return fmt.Errorf("video: clear: %w", err)
	}
	note := "分析设备发送销警"
	if by == "auto" {
		note = "设备不发送销警，按设置自动销警"
	}
	if err := s.step(ctx, tx, id, "系统", "cleared", note); err != nil {
		return err
	}
	return s.stageAlarm(ctx, tx, company, sp, id, typ, schemas.VideoAlarmCleared, at, device, camera, img)
}

func (s *Service) stageAlarm(ctx context.Context, tx pgx.Tx, company string, sp Space, id, typ, status string, at time.Time, device, camera string, img []byte) error {
	file := schemas.File{ContentType: http.DetectContentType(img), Size: int64(len(img)), Data: img}
	if sp.GasStation {
		return s.pub.Stage(ctx, tx, sp.Alarms.Slug, company, schemas.GasStationVideoAlarm{AlarmID: id, AlarmType: typ, AlarmStatus: status,
			AlarmTime: seedTime(at), DeviceCode: device, VideoCode: camera, AlarmImage: file})
	}
	return s.pub.Stage(ctx, tx, sp.Alarms.Slug, company, schemas.VideoAlarm{AlarmID: id, AlarmType: typ, AlarmStatus: status,
		AlarmTime: seedTime(at), DeviceCode: device, VideoCode: camera, AlarmImage: file})
}

func (s *Service) step(ctx context.Context, tx pgx.Tx, id, actor, step, note string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO video_alarm_steps (alarm_id, at, actor, step, note) VALUES ($1, $2, $3, $4, $5)`,
		id, s.cfg.Now(), actor, step, note); err != nil {
		return fmt.Errorf("video: step: %w", err)
	}
	return nil
}

// tell notifies the company's 安全管理员 and administrators (the control room);
// a failed notice is logged by the notifier and never undoes the alarm.
func (s *Service) tell(ctx context.Context, company string, n enterprise.Notice) {
	seen := map[int64]bool{}
	var ids []int64
	for _, role := range []policy.Role{policy.EnterpriseSafety, policy.EnterpriseAdmin} {
		people, err := s.dir.PeopleWithRole(ctx, company, role)
		if err != nil {
			continue
		}
		for _, p := range people {
			if !seen[p.UserID] {
				seen[p.UserID] = true
				ids = append(ids, p.UserID)
			}
		}
	}
	if len(ids) > 0 {
		_ = s.notify.Notify(ctx, company, ids, n)
	}
}
