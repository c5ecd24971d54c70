// Package enterprise is the foundation of the hosted base system (企业端基础系统,
// issue 15): the free software the province hosts for companies that have no
// system of their own. It owns company membership (departments, posts, the
// people in them), the company web app's shell at Prefix (PC) and PhonePrefix
// (phone PWA), notifications to company people, and the outbox through which
// everything a module records reaches the platform as the seed's exchange
// tables — validated by the same seed validator and published through
// ingest's pipeline, so the platform cannot tell the base system from a
// company's own system.
//
// Modules (双重预防 in enterprise/dualprevention and enterprise/dangers, the
// permit module to come) implement Module and use only this package's
// contract: MemberFrom for who is asking (always one company), Directory for
// departments, posts and people, Publisher to stage exchange records in the
// same transaction as their own rows, Notifier to tell people, Pages to render
// inside the shell. A company member never sees another company: every query a
// module runs is keyed by Member.Company.
package enterprise

import (
	"context"
	"io/fs"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
)

// Prefix is where the company web app is mounted; PhonePrefix its phone pages
// (the PWA's service-worker scope).
const (
	Prefix      = "/e"
	PhonePrefix = "/e/m"
)

// Member is an authenticated company user: who is asking, for which company.
type Member struct {
	UserID      int64
	Username    string
	DisplayName string
	Company     string        // company code (COMPANY_CODE); the only company the member may see
	Roles       []policy.Role // the member's roles in the company's domain
	Department  *Department   // the member's department, nil when none is set
	Posts       []Post        // the posts (岗位) the member holds
}

// Has reports whether the member holds any of roles.
func (m *Member) Has(roles ...policy.Role) bool {
	for _, held := range m.Roles {
		for _, r := range roles {
			if held == r {
				return true
			}
		}
	}
	return false
}

// HoldsPost reports whether the member holds the post with id.
func (m *Member) HoldsPost(id int64) bool {
	for _, p := range m.Posts {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Managers are the roles that manage the company's base system: they see every
// department's data and accept what others record.
var Managers = []policy.Role{policy.EnterpriseAdmin, policy.EnterprisePrincipal, policy.EnterpriseSafety}

// Supervisors are the managers and the department heads: they follow the
// figures (statistics, confirmations) of what others record.
var Supervisors = []policy.Role{policy.EnterpriseDeptHead, policy.EnterpriseAdmin, policy.EnterprisePrincipal, policy.EnterpriseSafety}

type memberKey struct{}

// SetMember stores m as the request's member; the foundation's guard calls it
// after authenticating a company session (tests of a module call it from a
// test middleware).
func SetMember(c *fiber.Ctx, m *Member) { c.Locals(memberKey{}, m) }

// MemberFrom returns the request's member; nil outside the guard.
func MemberFrom(c *fiber.Ctx) *Member {
	m, _ := c.Locals(memberKey{}).(*Member)
	return m
}

// CurrentMember is MemberFrom for a module's handler, which cannot go on
// without one: no member (a route mounted outside the signed-in group) is
// EUnauthorized rather than a nil dereference.
func CurrentMember(c *fiber.Ctx) (*Member, error) {
	m := MemberFrom(c)
	if m == nil {
		return nil, chemguard.Errorf(chemguard.EUnauthorized, "请先登录", "sign in first")
	}
	return m, nil
}

// MemberHandler is a page handler that acts for the signed-in member.
type MemberHandler func(c *fiber.Ctx, m *Member) error

// WithMember mounts h: it is called with the member the session put on c, and
// a request without one gets CurrentMember's refusal. Every module page acts
// for a member; this is the one place that fetches it.
func WithMember(h MemberHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := CurrentMember(c)
		if err != nil {
			return err
		}
		return h(c, m)
	}
}

// Department is a company department (部门).
type Department struct {
	ID      int64
	Company string
	Name    string
	HeadID  int64 // user id of the 部门负责人, 0 when none
}

// Post is a post (岗位) in a department; check tasks are pushed to the people
// holding it.
type Post struct {
	ID           int64
	Company      string
	DepartmentID int64
	Name         string
}

// Person is a member as others see it: for choosing a responsible person and
// for notifying.
type Person struct {
	UserID       int64
	Username     string
	DisplayName  string
	Mobile       string // decrypted; "" when none
	DepartmentID int64
	Roles        []policy.Role
}

// Directory answers who is who inside one company. Every method is keyed by
// company and never returns another company's rows.
type Directory interface {
	Departments(ctx context.Context, company string) ([]Department, error)
	Posts(ctx context.Context, company string) ([]Post, error)
	// People returns the company's active members.
	People(ctx context.Context, company string) ([]Person, error)
	// PeopleOfPost returns the active members holding post.
	PeopleOfPost(ctx context.Context, company string, post int64) ([]Person, error)
	// PeopleWithRole returns the active members holding role (主要负责人, 部门负责人…).
	PeopleWithRole(ctx context.Context, company string, role policy.Role) ([]Person, error)
}

// Notice is one notification to company people: in the app's inbox, and by
// SMS/IM through the platform's gateways when Urgent.
type Notice struct {
	Kind   string // e.g. "task_due", "task_overdue", "danger_assigned", "danger_overdue"
	Title  string // Chinese, shown in the inbox and as the SMS text's head
	Body   string
	Link   string // path inside Prefix or PhonePrefix the notice opens
	Urgent bool   // also by SMS/IM
	// Key makes a notice idempotent: a second Notify with the same Key to the
	// same person is not sent again ("" never dedups).
	Key string
}

// Notifier tells company people.
type Notifier interface {
	Notify(ctx context.Context, company string, userIDs []int64, n Notice) error
}

// Publisher stages exchange records for the platform. Stage validates each
// record with the seed's validator exactly as the exchange API would (the
// table's slug from schemas, the record as the seed's JSON keys) and, when all
// are valid, queues them in tx — the module's own change and what it publishes
// commit together, so nothing recorded is lost and nothing unvalidated leaves.
// An invalid record returns a *chemguard.Error (EInvalid) naming the record,
// the field and the seed's rule in Chinese and English, and nothing is queued;
// the caller rolls back. A background drainer publishes what was staged
// through ingest (→ Kafka → sink), in order, retrying until it is accepted.
type Publisher interface {
	Stage(ctx context.Context, tx pgx.Tx, slug, company string, records ...any) error
}

// NavItem is one entry of the shell's navigation.
type NavItem struct {
	Label string // Chinese
	// Path is where the entry leads. In a ModuleSpec it is relative to the
	// module ("" its first page, "stats", "bookings/new"), or, starting with
	// "/", relative to the side's prefix (Prefix or PhonePrefix) for a page a
	// module mounts outside its own path; ModuleNav makes it absolute.
	Path string
	// Roles that see the entry; empty means every member.
	Roles []policy.Role
}

// Module is one module of the base system (双重预防, 特殊作业…).
type Module interface {
	// Spec says where the module lives in the shell and what it shows in the
	// navigation; the foundation mounts its static files and prefixes its
	// navigation from it.
	Spec() ModuleSpec
	// Register mounts the module's routes: pc is Prefix, phone is PhonePrefix.
	// Both are behind the member guard and the CSRF check; MemberFrom is set.
	Register(pc, phone fiber.Router)
}

// ModuleSpec is what every module declares and the foundation acts on, so
// that no module repeats the shell's prefixes or its static mount.
type ModuleSpec struct {
	// Path is the module's own path under Prefix and PhonePrefix ("/permits").
	Path string
	// Static, when not nil, holds a static/ folder (the module's scripts and
	// styles) served at Prefix+Path+"/static".
	Static fs.FS
	// PC and Phone are the module's entries in the PC and the phone
	// navigation, in order; their paths as NavItem.Path says.
	PC, Phone []NavItem
}

// Clock is the time source of the base system; tests inject a fixed one.
type Clock func() time.Time

// Finding is a hidden danger (隐患) found by a check, registered on the phone or
// by a manager: what the 双重预防 checks hand to the hidden-danger ledger.
type Finding struct {
	Company       string
	HazardCode    string // the registered 危险源编码 the danger is bound to (表6 HAZARD_CODE)
	RiskMeasureID string // the control measure whose check found it; "" when not from a task
	CheckRecordID string // the check record (表5 ID) that found it; "" when not from a task
	Name          string // 隐患名称
	Description   string // 隐患描述
	Place         string // 隐患地点
	Level         int    // 0 一般隐患, 1 重大隐患
	Source        string // DANGER_SRC code: "1" 日常排查 … "11" 监管部门监督检查
	Registrant    Person // 登记人
	FoundAt       time.Time
	Photos        []string // filestore references
}

// DangerRegistry is the hidden-danger ledger as the checks see it
// (enterprise/dangers implements it): RegisterFinding enters f in tx (the
// check record and its danger commit together) and returns the danger's ID
// (the 表6 UUID).
type DangerRegistry interface {
	RegisterFinding(ctx context.Context, tx pgx.Tx, f Finding) (id string, err error)
}

// Files stores photos and attachments; filestore.Dir implements it.
type Files interface {
	Put(data []byte) (string, error)
	Get(ref string) ([]byte, error)
}

// Foundation is what the platform hands a module's constructor: the database,
// the foundation's services and the platform's clock, audit log and file store.
type Foundation struct {
	Pool      *pgxpool.Pool
	Directory Directory
	Publisher Publisher
	Notifier  Notifier
	Files     Files
	Audit     audit.Recorder
	Now       Clock
}

// ModuleFactory builds a module from the foundation; platform.Config lists them.
type ModuleFactory func(Foundation) (Module, error)
