// Package dangers is the hidden-danger ledger (隐患清单) of the hosted base
// system and its governance loop 登记→整改→验收: every danger of one company,
// whatever found it (the company's own checks, outside experts, the regulators'
// inspections), each step kept with who, when, what and photos, and each change
// published to the platform as the seed's 表6 隐患信息 through the base system's
// outbox. It also pushes overdue dangers to the people responsible, escalating
// to the 部门负责人 and the 主要负责人, and counts the ledger for 统计分析.
//
// Service holds the rules and the SQL; Module mounts the PC and phone pages.
// Every query is keyed by the asking member's company: another company's danger
// is not found, never shown.
package dangers

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
)

// State is where a danger is in its governance loop.
type State string

// The loop's states. Registered is a danger nobody is yet responsible for (a
// frontline worker's report): 表6 requires 整改责任人 and 治理期限, so it is
// published once assigned. Each other state is one DANGER_STATE.
const (
	Registered State = "registered" // 待分派: no 整改责任人 yet
	Rectifying State = "rectifying" // 整改中 (DANGER_STATE 0)
	Pending    State = "pending"    // 待验收 (DANGER_STATE 1)
	Accepted   State = "accepted"   // 已验收 (DANGER_STATE 9)
)

// StateZH names the states on the pages.
var StateZH = map[State]string{Registered: "待分派", Rectifying: "整改中", Pending: "待验收", Accepted: "已验收"}

// SeedState is the state's 表6 DANGER_STATE; "" for Registered, which is not
// published.
func (s State) SeedState() string {
	switch s {
	case Rectifying:
		return schemas.DangerStateRectifying
	case Pending:
		return schemas.DangerStatePendingAcceptance
	case Accepted:
		return schemas.DangerStateAccepted
	}
	return ""
}

// Report is what a person reports of a danger, registering or editing it:
// the 隐患清单's own columns, which a Danger keeps as entered.
type Report struct {
	Name        string    // 隐患名称 (DANGER_NAME)
	Description string    // 隐患内容 (DANGER_DESC)
	Place       string    // 隐患地点
	Level       int       // DANGER_LEVEL: 0 一般隐患, 1 重大隐患
	Type        int       // HAZARD_DANGER_TYPE 1–8
	Source      string    // DANGER_SRC code
	ManageType  int       // DANGER_MANAGE_TYPE: 0 即查即改, 1 限期整改
	Basis       string    // 判定依据
	Reason      string    // 原因分析 (DANGER_REASON)
	FoundOn     time.Time // 排查日期
}

// Danger is one row of the ledger: every field of the 隐患清单 and what 表6 needs.
type Danger struct {
	ID            uuid.UUID
	Company       string
	State         State
	HazardCode    string
	RiskMeasureID string
	CheckRecordID string
	Report
	DepartmentID   int64
	DepartmentName string
	Inspectors     string
	RegistrantID   int64
	RegistrantName string
	RegisteredAt   time.Time
	Deadline       time.Time // zero: not yet set
	LiableUnit     string
	LiableID       int64
	LiableName     string
	Funds          *float64
	FundsSource    string
	Rectification  string
	CompletedOn    time.Time
	AcceptUnit     string
	AcceptorID     int64
	AcceptorName   string
	AcceptedAt     time.Time
	AcceptComment  string
	Origin         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      time.Time
	DeleteReason   string
}

// Deleted reports whether the danger was (softly) deleted.
func (d Danger) Deleted() bool { return !d.DeletedAt.IsZero() }

// Open reports whether the danger still waits for rectification.
func (d Danger) Open() bool {
	return !d.Deleted() && (d.State == Registered || d.State == Rectifying)
}

// Overdue reports whether the danger is open past its 整改期限 at now.
func (d Danger) Overdue(now time.Time) bool {
	return d.Open() && !d.Deadline.IsZero() && now.After(d.Deadline)
}

// Event is one step of a danger's governance.
type Event struct {
	ID        int64
	At        time.Time
	ActorID   int64
	ActorName string
	Action    string
	Note      string
	Photos    []string
}

// ActionZH names the events' actions on the pages.
var ActionZH = map[string]string{"register": "登记", "assign": "分派整改", "rectify": "填报整改", "accept": "验收通过",
	"return": "退回重新整改", "edit": "修改", "delete": "删除", "import": "导入", "sync": "监管部门下发"}

// Files stores photos (filestore.Dir).
type Files interface {
	Put(data []byte) (string, error)
	Get(ref string) ([]byte, error)
}

// Exchange reads the platform's stored exchange records of one company
// (store.Exchange): where the inspector app's issued dangers are found.
type Exchange interface {
	List(ctx context.Context, t *schemas.Table, company string, since time.Time, after store.Cursor, limit int) ([]store.Current, error)
}

// Config tunes the ledger.
type Config struct {
	// DeptHeadAfter is how long a danger is overdue before its department's
	// 部门负责人 is told too.
	DeptHeadAfter time.Duration
	// PrincipalAfter is how long a danger is overdue before the 主要负责人 is
	// told, urgently (SMS/IM). A 重大隐患 goes to the 主要负责人 at once.
	PrincipalAfter time.Duration
	// MaxPhotoBytes bounds one photo.
	MaxPhotoBytes int
	// MaxPhotos bounds the photos of one step.
	MaxPhotos int
}

// DefaultConfig is one day to the 部门负责人, three to the 主要负责人, 10 MB and
// 9 photos a step.
var DefaultConfig = Config{DeptHeadAfter: 24 * time.Hour, PrincipalAfter: 72 * time.Hour, MaxPhotoBytes: 10 << 20, MaxPhotos: 9}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DeptHeadAfter < 0 || c.PrincipalAfter < c.DeptHeadAfter {
		return errors.New("dangers: escalation delays must be >= 0 and the 主要负责人's not before the 部门负责人's")
	}
	if c.MaxPhotoBytes <= 0 || c.MaxPhotos <= 0 {
		return errors.New("dangers: photo limits must be positive")
	}
	return nil
}

// Deps are what the ledger uses from the foundation and the platform.
type Deps struct {
	Pool      *pgxpool.Pool
	Directory enterprise.Directory
	Notifier  enterprise.Notifier
	Publisher enterprise.Publisher
	Files     Files
	Exchange  Exchange // nil: the inspector's dangers are not imported
	Audit     audit.Recorder
	Clock     enterprise.Clock
}

// Service is the ledger: its rules and its SQL.
type Service struct {
	Deps
	cfg Config
}

// NewService returns the ledger on deps.
func NewService(deps Deps, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Pool == nil || deps.Directory == nil || deps.Notifier == nil || deps.Publisher == nil || deps.Files == nil ||
		deps.Audit == nil {
		return nil, errors.New("dangers: pool, directory, notifier, publisher, files and audit are required")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	return &Service{Deps: deps, cfg: cfg}, nil
}

func notFound(id string) error {
	return chemguard.Errorf(chemguard.ENotFound, "未找到隐患「%s」", "no hidden danger %q", id)
}

func forbidden(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: zh, MessageEN: en}
}

// inTx runs fn in one transaction.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}
