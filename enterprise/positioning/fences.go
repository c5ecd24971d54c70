package positioning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/signing"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// Floor is a floor's plan and its frame: the image spans Width × Height
// metres, x to the right and y up from the lower-left corner.
type Floor struct {
	Floor     string // 楼层号
	Name      string
	ImageRef  string
	ImageType string
	Width     float64
	Height    float64
}

// SetFloor creates or replaces a floor's plan. image may be nil to keep the
// current one (changing only the frame or the name).
func (s *Service) SetFloor(ctx context.Context, m *enterprise.Member, f Floor, image []byte) error {
	if err := requireManager(m); err != nil {
		return err
	}
	var err error
	if f.Floor, err = textField("楼层号", "floor", f.Floor, 5, true); err != nil {
		return err
	}
	if f.Name, err = textField("楼层名称", "floor name", f.Name, 50, false); err != nil {
		return err
	}
	if !(f.Width > 0 && f.Width <= 100000) || !(f.Height > 0 && f.Height <= 100000) {
		return invalid("平面图尺寸", "宽、高应为 0～100000 米", "the plan's width and height must be 0-100000 metres")
	}
	if image != nil {
		f.ImageType = http.DetectContentType(image)
		if f.ImageType != "image/png" && f.ImageType != "image/jpeg" && f.ImageType != "image/gif" && f.ImageType != "image/webp" {
			return invalid("平面图", "应为 PNG、JPEG、GIF 或 WebP 图片", "the plan must be a PNG, JPEG, GIF or WebP image")
		}
		if f.ImageRef, err = s.files.Put(image); err != nil {
			return fmt.Errorf("positioning: store plan: %w", err)
		}
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO pos_floors (company, floor, name, image_ref, image_type, width_m, height_m, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (company, floor) DO UPDATE SET name = excluded.name, width_m = excluded.width_m, height_m = excluded.height_m,
			image_ref = CASE WHEN excluded.image_ref = '' THEN pos_floors.image_ref ELSE excluded.image_ref END,
			image_type = CASE WHEN excluded.image_ref = '' THEN pos_floors.image_type ELSE excluded.image_type END,
			updated_at = excluded.updated_at`,
		m.Company, f.Floor, f.Name, f.ImageRef, f.ImageType, f.Width, f.Height, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("positioning: set floor: %w", err)
	}
	return nil
}

// Floors returns the company's floors in order.
func (s *Service) Floors(ctx context.Context, company string) ([]Floor, error) {
	rows, err := s.pool.Query(ctx, `SELECT floor, name, image_ref, image_type, width_m, height_m FROM pos_floors WHERE company = $1 ORDER BY floor`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: floors: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Floor, error) {
		var f Floor
		return f, r.Scan(&f.Floor, &f.Name, &f.ImageRef, &f.ImageType, &f.Width, &f.Height)
	})
}

// FloorImage returns a floor's plan image and its content type.
func (s *Service) FloorImage(ctx context.Context, company, floor string) ([]byte, string, error) {
	var ref, typ string
	if err := s.pool.QueryRow(ctx, `SELECT image_ref, image_type FROM pos_floors WHERE company = $1 AND floor = $2`, company, floor).Scan(&ref, &typ); err != nil || ref == "" {
		return nil, "", notFound("平面图", "floor plan")
	}
	data, err := s.files.Get(ref)
	if err != nil {
		return nil, "", fmt.Errorf("positioning: plan: %w", err)
	}
	return data, typ, nil
}

// SaveFence creates a fence (ID 0) or changes one. The polygon has at least
// three points inside its floor's plan.
func (s *Service) SaveFence(ctx context.Context, m *enterprise.Member, f Fence) (int64, error) {
	if err := requireManager(m); err != nil {
		return 0, err
	}
	var err error
	if f.Name, err = textField("围栏名称", "fence name", f.Name, 36, true); err != nil {
		return 0, err
	}
	if KindName(f.Kind) == "" {
		return 0, invalid("围栏类别", "应为危险区域、限制区域、控制室/值班室、岗位区域或特殊作业区域", "kind must be hazard, area, control, post or work")
	}
	var width, height float64
	if err := s.pool.QueryRow(ctx, `SELECT width_m, height_m FROM pos_floors WHERE company = $1 AND floor = $2`, m.Company, f.Floor).Scan(&width, &height); err != nil {
		return 0, invalid("楼层", "请先上传该楼层的平面图", "upload the floor's plan first")
	}
	if len(f.Polygon) < 3 {
		return 0, invalid("围栏范围", "至少在地图上点选 3 个点", "a fence needs at least 3 points")
	}
	for i, p := range f.Polygon {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || p.X < 0 || p.Y < 0 || p.X > width || p.Y > height {
			return 0, invalid("围栏范围", fmt.Sprintf("第 %d 个点 (%.1f, %.1f) 不在平面图范围内", i+1, p.X, p.Y),
				fmt.Sprintf("point %d (%.1f, %.1f) is outside the floor's plan", i+1, p.X, p.Y))
		}
	}
	if f.MaxPeople < 0 || f.MinPeople < 0 || f.MaxStay < 0 || f.StillFor < 0 {
		return 0, invalid("围栏规则", "人数和时长不能为负数", "limits and durations must not be negative")
	}
	if f.MaxPeople > 0 && f.MinPeople >= f.MaxPeople {
		return 0, invalid("限定人数", "缺员人数应小于超员人数", "the minimum must be below the maximum")
	}
	if math.IsNaN(f.SpeedLimit) || f.SpeedLimit < 0 || f.SpeedLimit > MaxSpeed {
		return 0, invalid("车辆限速", fmt.Sprintf("应为 0～%.0f km/h（0 为厂内限速）", MaxSpeed), fmt.Sprintf("the speed limit must be 0-%.0f km/h (0: the plant's)", MaxSpeed))
	}
	if f.ActiveFrom < 0 || f.ActiveFrom > 1440 || f.ActiveTo < 0 || f.ActiveTo > 1440 {
		return 0, invalid("生效时间", "应为 00:00～24:00", "active hours must be 00:00-24:00")
	}
	poly, _ := json.Marshal(polygonJSON(f.Polygon))
	if f.ID == 0 {
		err = s.pool.QueryRow(ctx, `INSERT INTO pos_fences (company, name, floor, kind, polygon, max_people, min_people, max_stay_s, still_s, active_from, active_to, created_at, speed_limit_kmh)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			m.Company, f.Name, f.Floor, f.Kind, poly, f.MaxPeople, f.MinPeople, int(f.MaxStay.Seconds()), int(f.StillFor.Seconds()),
			f.ActiveFrom, f.ActiveTo, s.cfg.Now(), f.SpeedLimit).Scan(&f.ID)
		if err != nil {
			return 0, fmt.Errorf("positioning: add fence: %w", err)
		}
	} else {
		tag, err := s.pool.Exec(ctx, `UPDATE pos_fences SET name = $3, floor = $4, kind = $5, polygon = $6, max_people = $7, min_people = $8,
			max_stay_s = $9, still_s = $10, active_from = $11, active_to = $12, speed_limit_kmh = $13 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`,
			m.Company, f.ID, f.Name, f.Floor, f.Kind, poly, f.MaxPeople, f.MinPeople, int(f.MaxStay.Seconds()), int(f.StillFor.Seconds()), f.ActiveFrom, f.ActiveTo, f.SpeedLimit)
		if err != nil {
			return 0, fmt.Errorf("positioning: change fence: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return 0, notFound("电子围栏", "fence")
		}
	}
	s.live.changed(m.Company)
	return f.ID, nil
}

func polygonJSON(p Polygon) [][2]float64 {
	out := make([][2]float64, len(p))
	for i, pt := range p {
		out[i] = [2]float64{pt.X, pt.Y}
	}
	return out
}

// RemoveFence marks a fence removed; its alarms keep it by id.
func (s *Service) RemoveFence(ctx context.Context, m *enterprise.Member, id int64) error {
	if err := requireManager(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE pos_fences SET deleted_at = $3 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, id, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("positioning: remove fence: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("电子围栏", "fence")
	}
	s.live.changed(m.Company)
	return nil
}

// SuspendFence stops (or resumes) one fence's alarms: part of the plant under
// maintenance (指南 4.8).
func (s *Service) SuspendFence(ctx context.Context, m *enterprise.Member, id int64, suspended bool) error {
	if err := requireManager(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE pos_fences SET suspended = $3 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, id, suspended)
	if err != nil {
		return fmt.Errorf("positioning: suspend fence: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("电子围栏", "fence")
	}
	s.live.changed(m.Company)
	return nil
}

// Suspend stops (or resumes) the whole plant's positioning alarms (停产检修):
// fixes are still kept as tracks, but no alarm is raised.
func (s *Service) Suspend(ctx context.Context, m *enterprise.Member, suspended bool, reason string) error {
	if err := requireManager(m); err != nil {
		return err
	}
	reason, err := textField("停用原因", "reason", reason, 100, suspended)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO pos_settings (company, suspended, reason, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (company) DO UPDATE SET suspended = excluded.suspended, reason = excluded.reason, updated_at = excluded.updated_at`,
		m.Company, suspended, reason, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("positioning: suspend: %w", err)
	}
	s.live.changed(m.Company)
	return nil
}

// Suspension is whether the whole plant's positioning is stopped, and why;
// with the plant's other setting, its 厂内限速.
type Suspension struct {
	Suspended bool
	Reason    string
	// SpeedLimit is the plant's 厂内限速 in km/h; 0 when the company set none
	// (DefaultSpeedLimit applies).
	SpeedLimit float64
}

// Suspended returns the company's plant-wide suspension and speed limit.
func (s *Service) Suspended(ctx context.Context, company string) Suspension {
	var out Suspension
	_ = s.pool.QueryRow(ctx, `SELECT suspended, reason, speed_limit_kmh FROM pos_settings WHERE company = $1`, company).Scan(&out.Suspended, &out.Reason, &out.SpeedLimit)
	return out
}

// SetSpeedLimit sets the plant's 厂内限速 (km/h) for vehicles outside every
// fence with its own; 0 goes back to DefaultSpeedLimit.
func (s *Service) SetSpeedLimit(ctx context.Context, m *enterprise.Member, kmh float64) error {
	if err := requireManager(m); err != nil {
		return err
	}
	if math.IsNaN(kmh) || kmh < 0 || kmh > MaxSpeed {
		return invalid("厂内限速", fmt.Sprintf("应为 0～%.0f km/h（0 为默认 %.0f km/h）", MaxSpeed, DefaultSpeedLimit),
			fmt.Sprintf("the plant's speed limit must be 0-%.0f km/h (0: the default %.0f)", MaxSpeed, DefaultSpeedLimit))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO pos_settings (company, speed_limit_kmh, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (company) DO UPDATE SET speed_limit_kmh = excluded.speed_limit_kmh, updated_at = excluded.updated_at`, m.Company, kmh, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("positioning: speed limit: %w", err)
	}
	return nil
}

// Fences returns the company's fences (suspended ones included).
func (s *Service) Fences(ctx context.Context, company string) ([]Fence, error) {
	return fences(ctx, s.pool, company)
}

func fences(ctx context.Context, q Querier, company string) ([]Fence, error) {
	rows, err := q.Query(ctx, `SELECT id, name, floor, kind, polygon, max_people, min_people, max_stay_s, still_s, active_from, active_to, suspended, speed_limit_kmh
		FROM pos_fences WHERE company = $1 AND deleted_at IS NULL ORDER BY floor, name, id`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: fences: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Fence, error) {
		var f Fence
		var poly [][2]float64
		var stay, still int
		err := r.Scan(&f.ID, &f.Name, &f.Floor, &f.Kind, &poly, &f.MaxPeople, &f.MinPeople, &stay, &still, &f.ActiveFrom, &f.ActiveTo, &f.Suspended, &f.SpeedLimit)
		for _, p := range poly {
			f.Polygon = append(f.Polygon, Point{X: p[0], Y: p[1]})
		}
		f.MaxStay, f.StillFor = time.Duration(stay)*time.Second, time.Duration(still)*time.Second
		return f, err
	})
}

// Gateway is a positioning gateway's credential as listed (never its secret).
type Gateway struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	RevokedAt time.Time
}

// gatewaySecretColumn binds a sealed gateway secret to its column.
const gatewaySecretColumn = "pos_gateways.secret"

// Credential is a new gateway's key and signing secret, shown once.
type Credential struct {
	ID     int64
	Key    string // Authorization: Bearer …
	Secret string // HMAC key of X-Chemguard-Signature; never sent
}

// IssueGateway issues a credential for the company's positioning gateway.
func (s *Service) IssueGateway(ctx context.Context, m *enterprise.Member, name string) (Credential, error) {
	if err := requireManager(m); err != nil {
		return Credential{}, err
	}
	name, err := textField("网关名称", "gateway name", name, 50, true)
	if err != nil {
		return Credential{}, err
	}
	c := Credential{Key: "cgp_" + randomHex(24), Secret: "cgh_" + randomHex(32)}
	stored := c.Secret
	if s.cfg.Box != nil {
		if stored, err = s.cfg.Box.Seal(gatewaySecretColumn, c.Secret); err != nil {
			return Credential{}, fmt.Errorf("positioning: seal gateway secret: %w", err)
		}
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO pos_gateways (company, name, key_hash, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		m.Company, name, signing.KeyHash(c.Key), stored, m.UserID, s.cfg.Now()).Scan(&c.ID)
	if err != nil {
		return Credential{}, fmt.Errorf("positioning: issue gateway: %w", err)
	}
	return c, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RevokeGateway revokes a gateway's credential at once.
func (s *Service) RevokeGateway(ctx context.Context, m *enterprise.Member, id int64) error {
	if err := requireManager(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE pos_gateways SET revoked_at = $3 WHERE company = $1 AND id = $2 AND revoked_at IS NULL`, m.Company, id, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("positioning: revoke gateway: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("有效的网关凭证", "active gateway credential")
	}
	return nil
}

// Gateways lists the company's gateway credentials.
func (s *Service) Gateways(ctx context.Context, company string) ([]Gateway, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at, revoked_at FROM pos_gateways WHERE company = $1 ORDER BY id`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: gateways: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Gateway, error) {
		var g Gateway
		var rev *time.Time
		err := r.Scan(&g.ID, &g.Name, &g.CreatedAt, &rev)
		if rev != nil {
			g.RevokedAt = *rev
		}
		return g, err
	})
}

// SigningSecret is signing.Secrets over the gateway credentials: the company
// and secret of an active gateway key.
func (s *Service) SigningSecret(ctx context.Context, key string) (string, []byte, error) {
	var company, secret string
	err := s.pool.QueryRow(ctx, `SELECT company, secret FROM pos_gateways WHERE key_hash = $1 AND revoked_at IS NULL`, signing.KeyHash(key)).Scan(&company, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, &chemguard.Error{Code: chemguard.EUnauthorized, MessageZH: "定位网关凭证无效或已吊销", MessageEN: "unknown or revoked positioning gateway key"}
	}
	if err != nil {
		return "", nil, fmt.Errorf("positioning: gateway key: %w", err)
	}
	if secret, err = s.cfg.Box.Open(gatewaySecretColumn, secret); err != nil {
		return "", nil, fmt.Errorf("positioning: open gateway secret: %w", err)
	}
	return company, []byte(secret), nil
}

var _ signing.Secrets = (*Service)(nil)

func parseHM(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if s == "24:00" {
		return 1440, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, invalid("生效时间", "应为 时:分，如 08:00", "active hours must be HH:MM")
	}
	return t.Hour()*60 + t.Minute(), nil
}
