package dualprevention_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	dp "github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/filestore"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

// company is one company of the fixture: its people as members.
type company struct {
	Code       string
	Hazard     string
	Dept       int64
	Post       int64
	Safety     *enterprise.Member // 安全管理员
	Worker     *enterprise.Member // 岗位员工 holding Post
	Head       *enterprise.Member // 部门负责人 of Dept
	Principal  *enterprise.Member // 主要负责人
	OtherPost  int64
	OtherPostN string
}

type fixture struct {
	pool    *pgxpool.Pool
	clock   *testclock.Clock
	svc     *dp.Service
	notices *enttest.Notifier
	dangers *fakeDangers
	audit   *enttest.AuditLog
	A, B    company
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := pgtest.Pool(t)
	f := &fixture{pool: pool, clock: testclock.Frozen(testclock.Parse(t, "2026-12-05 09:30:00")),
		notices: &enttest.Notifier{}, dangers: &fakeDangers{}, audit: &enttest.AuditLog{}}
	f.A = f.company(t, "DPTESTA001", "370102100001")
	f.B = f.company(t, "DPTESTB002", "370102200002")
	files, err := filestore.Open(t.TempDir())
	require.NoError(t, err)
	f.svc = dp.NewService(dp.Config{Now: f.clock.Now, EscalateAfter: 24 * time.Hour}, pool, sqlDirectory{pool}, enttest.Outbox{Now: f.clock.Now},
		f.notices, f.dangers, files)
	return f
}

func (f *fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := f.pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

func (f *fixture) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

func (f *fixture) company(t *testing.T, code, hazard string) company {
	t.Helper()
	f.exec(t, `INSERT INTO enterprises (code, name, division_code) VALUES ($1, $1 || '化工有限公司', '370102')`, code)
	doc, _ := json.Marshal(map[string]string{"HAZARD_CODE": hazard, "COMPANY_CODE": code, "HAZARD_NAME": "液氨储罐区", "DELETED": "0"})
	f.exec(t, `INSERT INTO x_hazard_sources (company_code, record_key, version, msg_id, received_at, doc) VALUES ($1, $2, 1, $3, now(), $4)`,
		code, hazard, uuid.New(), doc)
	c := company{Code: code, Hazard: hazard}
	c.Dept = f.id(t, `INSERT INTO enterprise_departments (company, name) VALUES ($1, '合成氨车间') RETURNING id`, code)
	other := f.id(t, `INSERT INTO enterprise_departments (company, name) VALUES ($1, '储运部') RETURNING id`, code)
	c.Post = f.id(t, `INSERT INTO enterprise_posts (company, department_id, name) VALUES ($1, $2, '操作工') RETURNING id`, code, c.Dept)
	c.OtherPost = f.id(t, `INSERT INTO enterprise_posts (company, department_id, name) VALUES ($1, $2, '巡检工') RETURNING id`, code, other)
	c.OtherPostN = "储运部/巡检工"
	member := func(user, name string, role policy.Role, posts ...int64) *enterprise.Member {
		id := f.id(t, `INSERT INTO users (username, display_name, password_hash, domain) VALUES ($1, $2, 'x', 'ent:' || $3) RETURNING id`,
			code+"_"+user, name, code)
		f.exec(t, `INSERT INTO enterprise_members (user_id, company, department_id) VALUES ($1, $2, $3)`, id, code, c.Dept)
		m := &enterprise.Member{UserID: id, Username: code + "_" + user, DisplayName: name, Company: code, Roles: []policy.Role{role},
			Department: &enterprise.Department{ID: c.Dept, Company: code, Name: "合成氨车间"}}
		for _, p := range posts {
			f.exec(t, `INSERT INTO enterprise_member_posts (user_id, post_id) VALUES ($1, $2)`, id, p)
			m.Posts = append(m.Posts, enterprise.Post{ID: p, Company: code, DepartmentID: c.Dept})
		}
		if role == policy.EnterprisePrincipal || role == policy.EnterpriseSafety || role == policy.EnterpriseDeptHead {
			m.Roles = append(m.Roles, policy.EnterpriseStaff)
		}
		return m
	}
	c.Safety = member("safety", "李安全", policy.EnterpriseSafety)
	c.Worker = member("worker", "王操作", policy.EnterpriseStaff, c.Post)
	c.Head = member("head", "赵主任", policy.EnterpriseDeptHead)
	c.Principal = member("boss", "张总", policy.EnterprisePrincipal)
	f.exec(t, `UPDATE enterprise_departments SET head_id = $1 WHERE id = $2`, c.Head.UserID, c.Dept)
	return c
}

// staged returns the records staged for slug, in order.
func (f *fixture) staged(t *testing.T, company, slug string) []map[string]any {
	t.Helper()
	return enttest.Staged(t, f.pool, company, slug)
}

// sqlDirectory answers the Directory from the foundation's tables, as the
// foundation's own does.
type sqlDirectory struct{ pool *pgxpool.Pool }

func (d sqlDirectory) Departments(ctx context.Context, company string) ([]enterprise.Department, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, company, name, coalesce(head_id, 0) FROM enterprise_departments WHERE company = $1 AND deleted_at IS NULL ORDER BY id`, company)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[enterprise.Department])
}

func (d sqlDirectory) Posts(ctx context.Context, company string) ([]enterprise.Post, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, company, department_id, name FROM enterprise_posts WHERE company = $1 AND deleted_at IS NULL ORDER BY id`, company)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[enterprise.Post])
}

func (d sqlDirectory) people(ctx context.Context, where string, args ...any) ([]enterprise.Person, error) {
	rows, err := d.pool.Query(ctx, `SELECT u.id, u.username, u.display_name, coalesce(m.department_id, 0) FROM enterprise_members m JOIN users u ON u.id = m.user_id
		WHERE `+where+` ORDER BY u.id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (enterprise.Person, error) {
		var p enterprise.Person
		err := r.Scan(&p.UserID, &p.Username, &p.DisplayName, &p.DepartmentID)
		return p, err
	})
}

func (d sqlDirectory) People(ctx context.Context, company string) ([]enterprise.Person, error) {
	return d.people(ctx, `m.company = $1`, company)
}

func (d sqlDirectory) PeopleOfPost(ctx context.Context, company string, post int64) ([]enterprise.Person, error) {
	return d.people(ctx, `m.company = $1 AND EXISTS (SELECT 1 FROM enterprise_member_posts p WHERE p.user_id = m.user_id AND p.post_id = $2 AND p.removed_at IS NULL)`, company, post)
}

func (d sqlDirectory) PeopleWithRole(ctx context.Context, company string, role policy.Role) ([]enterprise.Person, error) {
	if role != policy.EnterprisePrincipal {
		return nil, nil
	}
	return d.people(ctx, `m.company = $1 AND u.username LIKE '%\_boss'`, company)
}

// fakeDangers stands in for enterprise/dangers: it keeps the finding in the
// check's transaction (a row the rollback removes) and returns its id.
type fakeDangers struct {
	mu       sync.Mutex
	findings []enterprise.Finding
}

func (d *fakeDangers) RegisterFinding(ctx context.Context, tx pgx.Tx, f enterprise.Finding) (string, error) {
	id := uuid.NewString()
	if _, err := tx.Exec(ctx, `INSERT INTO enterprise_outbox (company, slug, record) VALUES ($1, 'hidden-dangers', $2)`,
		f.Company, map[string]any{"ID": id, "HAZARD_CODE": f.HazardCode, "RISK_MEASURE_ID": f.RiskMeasureID, "DANGER_NAME": f.Name}); err != nil {
		return "", err
	}
	d.mu.Lock()
	d.findings = append(d.findings, f)
	d.mu.Unlock()
	return id, nil
}

var tinyPNG = enttest.TinyPNG

// app mounts the module behind a stand-in guard: the member is the one the
// X-Test-Member header names.
func (f *fixture) app(t *testing.T) *fiber.App {
	t.Helper()
	mod, err := dp.New(f.svc, f.audit)
	require.NoError(t, err)
	members := map[string]*enterprise.Member{}
	for _, c := range []company{f.A, f.B} {
		for _, m := range []*enterprise.Member{c.Safety, c.Worker, c.Head, c.Principal} {
			members[m.Username] = m
		}
	}
	return enttest.Mount(mod, members)
}
