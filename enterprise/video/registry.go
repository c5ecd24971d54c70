package video

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/vms"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// Device is an analysis device (视频智能分析设备, 表2) as the company keeps it.
type Device struct {
	ID          string
	Code        string // DEVICE_CODE
	Name        string
	Description string
	Vendor      string
	// AutoClearMinutes > 0: the vendor's box sends no 销警; its alarms are
	// cleared this long after they were raised.
	AutoClearMinutes int
	KeyIssued        time.Time // zero until a credential is issued
	LastHeartbeat    time.Time // zero until the box first called in
}

// Camera is a camera (视频监控信息) with its GB28181 channel code.
type Camera struct {
	Code        string // VIDEO_CODE: 9-digit company code + 0132 + 7-digit serial
	Name        string
	Place       string
	Area        string // the area it watches (加油区, 卸油区, 罐区…)
	KeyAreaKind string // KEY_AREA_KIND
	DeviceID    string // the analysis device of its stream, "" when none
	Device      string // the device's name
}

// CheckChannelCode validates a camera's GB28181 channel code as the seed
// defines it (表4 VIDEO_CODE: 9 位企业编码 + 0132 + 7 位流水号) for company: the
// first nine characters must be the company's own code, or the platform
// counts every alarm on it as another company's channel.
func CheckChannelCode(company, code string) error {
	if !validate.IsGB28181Channel(code) {
		return invalid("视频通道编码", fmt.Sprintf("「%s」不符合 GB28181 编码规范：9 位企业编码 + 0132 + 7 位流水号，共 20 位", code),
			fmt.Sprintf("channel code %q is not a GB28181 code: 9-character company code + 0132 + 7-digit serial, 20 in all", code))
	}
	if len(company) == 9 && code[:9] != company {
		return invalid("视频通道编码", fmt.Sprintf("「%s」的前 9 位应为本企业编码 %s", code, company),
			fmt.Sprintf("channel code %q must begin with the company code %s", code, company))
	}
	return nil
}

func (d *Device) check() error {
	d.Code, d.Name, d.Description, d.Vendor = strings.TrimSpace(d.Code), strings.TrimSpace(d.Name), strings.TrimSpace(d.Description), strings.TrimSpace(d.Vendor)
	switch {
	case d.Code == "":
		return invalid("设备编码", "必填", "device code: required")
	case utf8.RuneCountInString(d.Code) > 36:
		return invalid("设备编码", "不超过 36 个字符", "device code: at most 36 characters")
	case d.Name == "":
		return invalid("设备名称", "必填", "device name: required")
	case utf8.RuneCountInString(d.Name) > 100:
		return invalid("设备名称", "不超过 100 个字符", "device name: at most 100 characters")
	case utf8.RuneCountInString(d.Description) > 500:
		return invalid("设备描述", "不超过 500 个字符", "device description: at most 500 characters")
	case d.AutoClearMinutes < 0 || d.AutoClearMinutes > 24*60:
		return invalid("自动销警时间", "应为 0～1440 分钟（0 表示设备自行发送销警）", "auto-clear: 0-1440 minutes (0: the box sends its own clear)")
	}
	return nil
}

// SaveDevice registers a device (ID "") or updates one, and publishes 表2.
func (s *Service) SaveDevice(ctx context.Context, m *enterprise.Member, d Device) (string, error) {
	if err := managersOnly(m); err != nil {
		return "", err
	}
	if err := d.check(); err != nil {
		return "", err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.saveDevice(ctx, tx, m.Company, &d) })
	return d.ID, err
}

func (s *Service) saveDevice(ctx context.Context, tx pgx.Tx, company string, d *Device) error {
	var err error
	if d.ID == "" {
		// A device code registered before (and not removed) is updated, so an
		// Excel import run twice changes nothing.
		e := tx.QueryRow(ctx, `SELECT id::text FROM video_devices WHERE company = $1 AND code = $2 AND deleted_at IS NULL`, company, d.Code).Scan(&d.ID)
		if e != nil && !errors.Is(e, pgx.ErrNoRows) {
			return fmt.Errorf("video: device: %w", e)
		}
	}
	if d.ID == "" {
		d.ID = uuid.NewString()
		_, err = tx.Exec(ctx, `INSERT INTO video_devices (id, company, code, name, description, vendor, auto_clear_minutes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d.ID, company, d.Code, d.Name, d.Description, d.Vendor, d.AutoClearMinutes, s.cfg.Now())
	} else {
		var tag interface{ RowsAffected() int64 }
		tag, err = tx.Exec(ctx, `UPDATE video_devices SET code = $3, name = $4, description = $5, vendor = $6, auto_clear_minutes = $7
			WHERE company = $1 AND id::text = $2 AND deleted_at IS NULL`, company, d.ID, d.Code, d.Name, d.Description, d.Vendor, d.AutoClearMinutes)
		if err == nil && tag.RowsAffected() == 0 {
			return notFound("分析设备", "analysis device")
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "video_devices_code") {
			return chemguard.Errorf(chemguard.EConflict, "设备编码“%s”已登记", "device code %q is already registered", d.Code)
		}
		return fmt.Errorf("video: save device: %w", err)
	}
	sp, err := s.space(ctx, tx, company)
	if err != nil {
		return err
	}
	rec := schemas.VideoDevice{DeviceID: d.ID, DeviceCode: d.Code, CompanyCode: company, DeviceName: d.Name, DeviceDesc: d.Description}
	if sp.GasStation {
		return s.pub.Stage(ctx, tx, sp.Devices.Slug, company, schemas.GasStationVideoDevice(rec))
	}
	return s.pub.Stage(ctx, tx, sp.Devices.Slug, company, rec)
}

// RemoveDevice soft-deletes a device: its credential stops working and its
// status is no longer reported; its alarms stay.
func (s *Service) RemoveDevice(ctx context.Context, m *enterprise.Member, id string) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE video_devices SET deleted_at = $3, key_hash = NULL WHERE company = $1 AND id::text = $2 AND deleted_at IS NULL`,
		m.Company, id, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("video: remove device: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("分析设备", "analysis device")
	}
	_, err = s.pool.Exec(ctx, `UPDATE video_cameras SET device_id = NULL WHERE company = $1 AND device_id::text = $2`, m.Company, id)
	return err
}

// Credential is a box's credential, shown once when issued.
type Credential struct {
	Key    string // Authorization: Bearer …
	Secret string // the HMAC key of X-Chemguard-Signature; never sent
}

// IssueCredential issues (or replaces) the device's credential; the previous
// one stops working at once.
func (s *Service) IssueCredential(ctx context.Context, m *enterprise.Member, id string) (Credential, error) {
	if err := managersOnly(m); err != nil {
		return Credential{}, err
	}
	cr := Credential{Key: "cgv_" + random(24), Secret: "cgs_" + random(32)}
	stored, err := s.cfg.Secrets.Seal(secretColumn, cr.Secret)
	if err != nil {
		return Credential{}, &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "平台未配置数据密钥（CHEMGUARD_DATA_KEY），无法签发设备凭证",
			MessageEN: "no data key is configured (CHEMGUARD_DATA_KEY): device credentials cannot be issued"}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE video_devices SET key_hash = $3, secret = $4, key_issued_at = $5
		WHERE company = $1 AND id::text = $2 AND deleted_at IS NULL`, m.Company, id, keyHash(cr.Key), stored, s.cfg.Now())
	if err != nil {
		return Credential{}, fmt.Errorf("video: credential: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Credential{}, notFound("分析设备", "analysis device")
	}
	return cr, nil
}

// secretColumn binds a sealed box secret to its column.
const secretColumn = "video_devices.secret"

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

func keyHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// Devices lists the company's devices.
func (s *Service) Devices(ctx context.Context, m *enterprise.Member) ([]Device, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id::text, code, name, description, vendor, auto_clear_minutes,
		coalesce(key_issued_at, '0001-01-01Z'), coalesce(last_heartbeat, '0001-01-01Z')
		FROM video_devices WHERE company = $1 AND deleted_at IS NULL ORDER BY code`, m.Company)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Device])
	if err != nil {
		return nil, fmt.Errorf("video: devices: %w", err)
	}
	return out, nil
}

func (c *Camera) check(company string) error {
	c.Code, c.Name, c.Place, c.Area = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name), strings.TrimSpace(c.Place), strings.TrimSpace(c.Area)
	if err := CheckChannelCode(company, c.Code); err != nil {
		return err
	}
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > 100:
		return invalid("摄像头名称", "必填，不超过 100 个字符", "camera name: required, at most 100 characters")
	case c.Place == "" || utf8.RuneCountInString(c.Place) > 100:
		return invalid("安装位置", "必填，不超过 100 个字符", "place: required, at most 100 characters")
	}
	if _, ok := schemas.CodesKeyAreaKind.Lookup(c.KeyAreaKind); !ok {
		return invalid("重点区域类型", fmt.Sprintf("「%s」不在重点区域类型代码表中", c.KeyAreaKind), fmt.Sprintf("key area kind %q is not in its code table", c.KeyAreaKind))
	}
	return nil
}

// SaveCamera registers or updates a camera, binds it to its area and device,
// and publishes it (视频监控信息) so that the platform knows the channel its
// alarms name.
func (s *Service) SaveCamera(ctx context.Context, m *enterprise.Member, c Camera) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	if err := c.check(m.Company); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.saveCamera(ctx, tx, m.Company, c) })
}

func (s *Service) saveCamera(ctx context.Context, tx pgx.Tx, company string, c Camera) error {
	var device *string
	if c.DeviceID != "" {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM video_devices WHERE company = $1 AND id::text = $2 AND deleted_at IS NULL)`,
			company, c.DeviceID).Scan(&ok); err != nil {
			return fmt.Errorf("video: camera device: %w", err)
		}
		if !ok {
			return notFound("分析设备", "analysis device")
		}
		device = &c.DeviceID
	}
	_, err := tx.Exec(ctx, `INSERT INTO video_cameras (company, code, name, place, area, key_area_kind, device_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::uuid, $8)
		ON CONFLICT (company, code) DO UPDATE SET name = excluded.name, place = excluded.place, area = excluded.area,
			key_area_kind = excluded.key_area_kind, device_id = excluded.device_id, deleted_at = NULL`,
		company, c.Code, c.Name, c.Place, c.Area, c.KeyAreaKind, device, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("video: save camera: %w", err)
	}
	return s.pub.Stage(ctx, tx, schemas.Cameras.Slug, company, schemas.Camera{VideoCode: c.Code, CompanyCode: company,
		CameraName: c.Name, Place: c.Place, KeyAreaKind: c.KeyAreaKind, Deleted: "0"})
}

// RemoveCamera soft-deletes a camera and publishes it as deleted (DELETED 1).
func (s *Service) RemoveCamera(ctx context.Context, m *enterprise.Member, code string) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var c Camera
		err := tx.QueryRow(ctx, `UPDATE video_cameras SET deleted_at = $3 WHERE company = $1 AND code = $2 AND deleted_at IS NULL
			RETURNING code, name, place, key_area_kind`, m.Company, code, s.cfg.Now()).Scan(&c.Code, &c.Name, &c.Place, &c.KeyAreaKind)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("摄像头", "camera")
		}
		if err != nil {
			return fmt.Errorf("video: remove camera: %w", err)
		}
		return s.pub.Stage(ctx, tx, schemas.Cameras.Slug, m.Company, schemas.Camera{VideoCode: c.Code, CompanyCode: m.Company,
			CameraName: c.Name, Place: c.Place, KeyAreaKind: c.KeyAreaKind, Deleted: "1"})
	})
}

// Cameras lists the company's cameras.
func (s *Service) Cameras(ctx context.Context, m *enterprise.Member) ([]Camera, error) {
	rows, _ := s.pool.Query(ctx, `SELECT c.code, c.name, c.place, c.area, c.key_area_kind, coalesce(c.device_id::text, ''), coalesce(d.name, '')
		FROM video_cameras c LEFT JOIN video_devices d ON d.id = c.device_id AND d.deleted_at IS NULL
		WHERE c.company = $1 AND c.deleted_at IS NULL ORDER BY c.code`, m.Company)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Camera])
	if err != nil {
		return nil, fmt.Errorf("video: cameras: %w", err)
	}
	return out, nil
}

// Settings is the company's video-platform setting: URL templates of its VMS.
type Settings struct {
	Live     string // {code}
	Playback string // {code} {start} {end}
	Before   int    // seconds of recording before the alarm
	After    int    // seconds after the alarm (or its clear)
}

// Settings returns the company's setting (defaults when never set).
func (s *Service) Settings(ctx context.Context, company string) Settings {
	st := Settings{Before: 30, After: 120}
	_ = s.pool.QueryRow(ctx, `SELECT live_template, playback_template, before_seconds, after_seconds FROM video_settings WHERE company = $1`, company).
		Scan(&st.Live, &st.Playback, &st.Before, &st.After)
	return st
}

// SaveSettings sets the company's VMS templates.
func (s *Service) SaveSettings(ctx context.Context, m *enterprise.Member, st Settings) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	st.Live, st.Playback = strings.TrimSpace(st.Live), strings.TrimSpace(st.Playback)
	if err := vms.Check("实时视频地址模板", st.Live, false); err != nil {
		return err
	}
	if err := vms.Check("录像回放地址模板", st.Playback, true); err != nil {
		return err
	}
	if st.Before < 0 || st.Before > 3600 || st.After < 0 || st.After > 3600 {
		return invalid("录像时段", "报警前、后秒数应为 0～3600", "seconds before and after: 0-3600")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO video_settings (company, live_template, playback_template, before_seconds, after_seconds, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (company) DO UPDATE SET live_template = excluded.live_template,
		playback_template = excluded.playback_template, before_seconds = excluded.before_seconds, after_seconds = excluded.after_seconds,
		updated_at = excluded.updated_at`, m.Company, st.Live, st.Playback, st.Before, st.After, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("video: settings: %w", err)
	}
	return nil
}
