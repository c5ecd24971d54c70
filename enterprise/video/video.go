// Package video is the base system's 智能视频 (附件5) and 加油站视频 (附件7)
// module: a company's (or gas station's) cameras and video analysis devices
// (视频智能分析设备, the vendors' AI boxes) with their GB28181 channel codes and
// the areas they watch; the alarms the boxes post with their images, paired
// with the 销警 each vendor sends (or cleared after a configured time when it
// sends none); each alarm's closed loop (received → assigned → handled →
// confirmed, with a note and a photo) on the PC and the phone; statistics by
// type, area, device and day with Excel; the device operations view; and
// links into the company's own VMS for a camera's live view and an alarm's
// recording. It publishes 表2 on every device change, 表3 every 10 minutes
// (offline when a box stopped calling in) and 表4 for every raise and clear,
// with the image, in the company's code space: a gas station's tables and
// alarm codes (加油站 表1) are not an enterprise's (智能视频 表1).
//
// The boxes call /api/v1/enterprise/video/* (IntakePrefix) with a credential
// the company issues per device in /e and sign each request exactly like the
// exchange API (auth/signing, docs/api-signing.md).
package video

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
)

// IntakePrefix is where the analysis boxes post alarms and heartbeats.
const IntakePrefix = "/api/v1/enterprise/video"

// MaxImageBytes is the seed's limit of an alarm image (表4 ALARM_IMAGE: 最大 4MB).
const MaxImageBytes = 4 << 20

// MaxIntakeBytes caps an intake request before it is read: one image as
// base64 in JSON (4/3 of MaxImageBytes) with its fields, or as a multipart
// part. The platform's edge enforces it for IntakePrefix.
const MaxIntakeBytes = MaxImageBytes*4/3 + 64<<10

// Config configures the service.
type Config struct {
	Now enterprise.Clock
	// StatusEvery is the seed's 表3 period (每 10 分钟).
	StatusEvery time.Duration
	// OfflineAfter: a device whose last heartbeat or alarm is older is reported
	// RUN_STATUS 0 (异常).
	OfflineAfter time.Duration
	// Secrets seals the boxes' signing secrets with the platform's data key
	// (CHEMGUARD_DATA_KEY), as the company API keys' secrets are: a copy of
	// the database alone does not let anyone sign as a box. Without it no
	// credential can be issued.
	Secrets *sealed.Box
}

// Service is the module's logic; every member-facing method is keyed by the
// member's company.
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	dir    enterprise.Directory
	pub    enterprise.Publisher
	notify enterprise.Notifier
	files  enterprise.Files
}

// NewService returns the service; cfg's zero fields take defaults.
func NewService(cfg Config, pool *pgxpool.Pool, dir enterprise.Directory, pub enterprise.Publisher, notify enterprise.Notifier, files enterprise.Files) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = 10 * time.Minute
	}
	if cfg.OfflineAfter <= 0 {
		cfg.OfflineAfter = 10 * time.Minute
	}
	return &Service{cfg: cfg, pool: pool, dir: dir, pub: pub, notify: notify, files: files}
}

// Space is a company's code space: an enterprise's (附件5) or a gas station's
// (附件7) tables and alarm types.
type Space struct {
	GasStation bool
	Types      *schemas.CodeTable
	Devices    *schemas.Table
	Statuses   *schemas.Table
	Alarms     *schemas.Table
}

// SpaceOf returns the code space of a registered company's kind (enterprises.kind).
func SpaceOf(kind string) Space {
	if kind == "加油站" {
		return Space{GasStation: true, Types: schemas.CodesGasStationAlarmType, Devices: schemas.GasStationVideoDevices,
			Statuses: schemas.GasStationVideoDeviceStatuses, Alarms: schemas.GasStationVideoAlarms}
	}
	return Space{Types: schemas.CodesVideoAlarmType, Devices: schemas.VideoDevices, Statuses: schemas.VideoDeviceStatuses,
		Alarms: schemas.VideoAlarms}
}

// TypeName is the Chinese name of an alarm type in the space ("" if unknown).
func (sp Space) TypeName(code string) string {
	c, _ := sp.Types.Lookup(code)
	return c.NameZH
}

// urgent reports the alarm types that reach the 安全管理员 by SMS too: fire,
// smoke and smoking — the ones a person must act on at once.
func (sp Space) urgent(code string) bool {
	switch sp.TypeName(code) {
	case "明火", "烟雾", "抽烟":
		return true
	}
	return false
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Service) space(ctx context.Context, q querier, company string) (Space, error) {
	var kind string
	if err := q.QueryRow(ctx, `SELECT kind FROM enterprises WHERE code = $1`, company).Scan(&kind); err != nil {
		return Space{}, fmt.Errorf("video: company kind: %w", err)
	}
	return SpaceOf(kind), nil
}

// SpaceFor returns the member's company's code space.
func (s *Service) SpaceFor(ctx context.Context, m *enterprise.Member) (Space, error) {
	return s.space(ctx, s.pool, m.Company)
}

func managersOnly(m *enterprise.Member) error {
	if !m.Has(enterprise.Managers...) {
		return forbidden("只有企业管理员、主要负责人或安全管理员可以进行此操作", "only a manager may do this")
	}
	return nil
}

func seedTime(t time.Time) schemas.DateTime { return schemas.DateTime{Time: t.In(schemas.Shanghai)} }

// The foundation's refusals, under the short names this package's code uses.
var (
	notFound  = enterprise.NotFound
	forbidden = enterprise.Forbidden
	invalid   = enterprise.Invalid
)
