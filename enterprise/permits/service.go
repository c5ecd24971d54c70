// Package permits is the base system's 特殊作业 module: bookings (作业活动预约)
// reviewed before any permit, electronic permits for every TASK_TYPE of the
// seed's 表2 with their approval chain, gas analyses timed by GB 30871-2022,
// the safety briefing, interruption, guardian change, acceptance and archive,
// the printed permit, contractors with their certificates, statistics, and
// 表1 published to the platform on every change with the permit PDF as FILE.
//
// rules.go is the pure engine (templates, chain, gas limits, certificates);
// Service runs it against PostgreSQL with an injected clock.
package permits

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// Permit statuses.
const (
	StatusApproving   = "approving"   // 审批中
	StatusRejected    = "rejected"    // 审批未通过
	StatusIssued      = "issued"      // 已签发
	StatusWorking     = "working"     // 作业中
	StatusInterrupted = "interrupted" // 作业中断
	StatusFinished    = "finished"    // 作业完毕，待验收
	StatusAccepted    = "accepted"    // 已验收
	StatusArchived    = "archived"    // 已归档
	StatusRevoked     = "revoked"     // 已撤销
	StatusVoided      = "voided"      // 已作废
)

// StatusName is the Chinese name of a permit or booking status.
func StatusName(s string) string {
	return map[string]string{StatusApproving: "审批中", StatusRejected: "审批未通过", StatusIssued: "已签发", StatusWorking: "作业中",
		StatusInterrupted: "作业中断", StatusFinished: "待验收", StatusAccepted: "已验收", StatusArchived: "已归档",
		StatusRevoked: "已撤销", StatusVoided: "已作废", "pending": "待审核", "approved": "审核通过", "cancelled": "已取消"}[s]
}

// Config configures the service.
type Config struct {
	Rules    Rules
	Now      enterprise.Clock
	FontPath string // a TrueType font or collection with Chinese glyphs
	// PlanAt is the time of day (Asia/Shanghai) by which the day's planned
	// permits are published again as the day's plan (the seed: before 10:00).
	PlanAt time.Duration
}

// DefaultFont is where Debian's fonts-wqy-microhei puts its collection.
const DefaultFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

// Service is the permit module's logic. Every method takes the member asking
// and touches only the member's company.
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
	if cfg.Rules.Kinds == nil {
		cfg.Rules = DefaultRules()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FontPath == "" {
		cfg.FontPath = DefaultFont
	}
	if cfg.PlanAt == 0 {
		cfg.PlanAt = 9*time.Hour + 30*time.Minute
	}
	return &Service{cfg: cfg, pool: pool, dir: dir, pub: pub, notify: notify, files: files}
}

// Rules returns the service's configuration of kinds.
func (s *Service) Rules() Rules { return s.cfg.Rules }

func managerOrHead(m *enterprise.Member) bool {
	return m.Has(enterprise.Supervisors...)
}

// ---- bookings ----

// BookingInput is a booking as filled in (预约报备内容).
type BookingInput struct {
	TaskType     string
	Content      string
	Place        string
	Unit         string // 作业单位
	ContractorID int64  // 0 when the company's own people work
	PlannedStart time.Time
	PlannedEnd   time.Time
}

// Booking is a booking as listed.
type Booking struct {
	ID           int64
	TaskType     string
	Content      string
	Place        string
	Unit         string
	ContractorID int64
	Contractor   string
	PlannedStart time.Time
	PlannedEnd   time.Time
	Status       string
	Applicant    string
	Reviewer     string
	ReviewNote   string
	Permits      int
}

func (in BookingInput) check(r Rules) error {
	var errs []string
	var ens []string
	add := func(zh, en string) { errs = append(errs, zh); ens = append(ens, en) }
	if _, err := r.Kind(in.TaskType); err != nil {
		add("作业类型：不是表2 细类编码", "TASK_TYPE: not a 表2 code")
	}
	if strings.TrimSpace(in.Content) == "" {
		add("作业内容：必填", "content: required")
	}
	if strings.TrimSpace(in.Place) == "" {
		add("作业地点：必填", "place: required")
	}
	if strings.TrimSpace(in.Unit) == "" {
		add("作业单位：必填", "unit: required")
	} else if utf8.RuneCountInString(in.Unit) > 50 {
		add("作业单位：不超过 50 字（表1 TASK_UNIT 长度 50）", "unit: at most 50 characters (表1 TASK_UNIT)")
	}
	if in.PlannedStart.IsZero() || in.PlannedEnd.IsZero() {
		add("预计开始/完成时间：必填", "planned start/end: required")
	} else if !in.PlannedEnd.After(in.PlannedStart) {
		add("预计完成时间：应晚于预计开始时间", "planned end: must be after the planned start")
	}
	if len(errs) > 0 {
		return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: strings.Join(errs, "；"), MessageEN: strings.Join(ens, "; ")}
	}
	return nil
}

// Book records a booking for review; any member may book.
func (s *Service) Book(ctx context.Context, m *enterprise.Member, in BookingInput) (int64, error) {
	if err := in.check(s.cfg.Rules); err != nil {
		return 0, err
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if in.ContractorID != 0 {
			if _, err := s.contractor(ctx, tx, m.Company, in.ContractorID); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `INSERT INTO permit_bookings (company, task_type, content, place, unit, contractor_id, planned_start, planned_end, applicant_id, created_at)
			VALUES ($1, $2, $3, $4, $5, nullif($6, 0), $7, $8, $9, $10) RETURNING id`,
			m.Company, in.TaskType, strings.TrimSpace(in.Content), strings.TrimSpace(in.Place), strings.TrimSpace(in.Unit), in.ContractorID,
			in.PlannedStart, in.PlannedEnd, m.UserID, s.cfg.Now()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("permits: book: %w", err)
	}
	return id, nil
}

// ReviewBooking approves or rejects a pending booking (审核); a rejection
// needs a reason. 部门负责人 and the managers review.
func (s *Service) ReviewBooking(ctx context.Context, m *enterprise.Member, id int64, approve bool, note string) error {
	if !managerOrHead(m) {
		return forbidden("只有部门负责人或企业安全管理员可以审核作业预约", "only a department head or a manager reviews bookings")
	}
	if !approve && strings.TrimSpace(note) == "" {
		return invalid("审核意见", "驳回预约须填写原因", "a rejected booking needs a reason")
	}
	status := "rejected"
	if approve {
		status = "approved"
	}
	tag, err := s.pool.Exec(ctx, `UPDATE permit_bookings SET status = $1, reviewer_id = $2, review_note = $3, reviewed_at = $4
		WHERE company = $5 AND id = $6 AND status = 'pending'`, status, m.UserID, strings.TrimSpace(note), s.cfg.Now(), m.Company, id)
	if err != nil {
		return fmt.Errorf("permits: review booking: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Booking(ctx, m, id); err != nil {
			return err
		}
		return chemguard.Errorf(chemguard.EConflict, "该预约已审核过", "the booking was already reviewed")
	}
	return nil
}

const bookingCols = `b.id, b.task_type, b.content, b.place, b.unit, coalesce(b.contractor_id, 0), coalesce(c.name, ''), b.planned_start, b.planned_end,
	b.status, ua.display_name, coalesce(ur.display_name, ''), b.review_note,
	(SELECT count(*) FROM permits p WHERE p.booking_id = b.id)::int
	FROM permit_bookings b JOIN users ua ON ua.id = b.applicant_id LEFT JOIN users ur ON ur.id = b.reviewer_id
	LEFT JOIN permit_contractors c ON c.id = b.contractor_id`

func scanBooking(r pgx.CollectableRow) (Booking, error) {
	var b Booking
	err := r.Scan(&b.ID, &b.TaskType, &b.Content, &b.Place, &b.Unit, &b.ContractorID, &b.Contractor, &b.PlannedStart, &b.PlannedEnd,
		&b.Status, &b.Applicant, &b.Reviewer, &b.ReviewNote, &b.Permits)
	return b, err
}

// Booking returns one of the company's bookings.
func (s *Service) Booking(ctx context.Context, m *enterprise.Member, id int64) (Booking, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+bookingCols+` WHERE b.company = $1 AND b.id = $2`, m.Company, id)
	b, err := pgx.CollectExactlyOneRow(rows, scanBooking)
	if errors.Is(err, pgx.ErrNoRows) {
		return Booking{}, notFound("作业预约", "booking")
	}
	if err != nil {
		return Booking{}, fmt.Errorf("permits: booking: %w", err)
	}
	return b, nil
}

// Bookings lists the company's bookings, newest planned first.
func (s *Service) Bookings(ctx context.Context, m *enterprise.Member) ([]Booking, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+bookingCols+` WHERE b.company = $1 ORDER BY b.planned_start DESC, b.id DESC LIMIT 500`, m.Company)
	out, err := pgx.CollectRows(rows, scanBooking)
	if err != nil {
		return nil, fmt.Errorf("permits: bookings: %w", err)
	}
	return out, nil
}

// The foundation's refusals, under the short names this package's code uses.
var (
	notFound  = enterprise.NotFound
	forbidden = enterprise.Forbidden
	invalid   = enterprise.Invalid
)
