package permits_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/enterprise/permits"
	"github.com/shandong-emergency/chemguard/filestore"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/testclock"
)

// company is one company of the fixture with the people a permit needs.
type company struct {
	Code       string
	Applicant  *enterprise.Member // 岗位员工 who books and opens permits
	Guardian   *enterprise.Member // 监护人
	Head       *enterprise.Member // 部门负责人
	Safety     *enterprise.Member // 企业安全管理员
	Principal  *enterprise.Member // 主要负责人
	Contractor int64
	Welder     int64 // a contractor's welder with a valid certificate
	Helper     int64 // a contractor's worker whose certificate expired
}

type fixture struct {
	pool    *pgxpool.Pool
	clock   *testclock.Clock
	svc     *permits.Service
	files   *filestore.Dir
	notices *enttest.Notifier
	roles   map[string]map[policy.Role][]enterprise.Person
	A, B    company
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := pgtest.Pool(t)
	files, err := filestore.Open(t.TempDir())
	require.NoError(t, err)
	f := &fixture{pool: pool, clock: testclock.Frozen(testclock.Parse(t, "2026-12-05 07:30:00")), files: files,
		notices: &enttest.Notifier{}, roles: map[string]map[policy.Role][]enterprise.Person{}}
	f.A = f.company(t, "PMTESTA001")
	f.B = f.company(t, "PMTESTB002")
	f.svc = permits.NewService(permits.Config{Now: f.clock.Now}, pool, f, enttest.Outbox{Now: f.clock.Now}, f.notices, files)
	for _, c := range []*company{&f.A, &f.B} {
		ctx := context.Background()
		c.Contractor, err = f.svc.AddContractor(ctx, c.Safety, permits.Contractor{Name: "济南石化安装工程有限公司", Contact: "刘洋", Mobile: "13805310001"})
		require.NoError(t, err)
		c.Welder, err = f.svc.AddWorker(ctx, c.Safety, permits.Worker{ContractorID: c.Contractor, Name: "钱焊工", CertNo: "T370102198001011234",
			CertKind: "焊接与热切割作业", CertValidTo: at(t, "2028-06-30 00:00:00")})
		require.NoError(t, err)
		c.Helper, err = f.svc.AddWorker(ctx, c.Safety, permits.Worker{ContractorID: c.Contractor, Name: "吴过期", CertNo: "T370102199002021234",
			CertKind: "焊接与热切割作业", CertValidTo: at(t, "2026-11-30 00:00:00")})
		require.NoError(t, err)
	}
	return f
}

func (f *fixture) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	require.NoError(t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&id), sql)
	return id
}

func (f *fixture) company(t *testing.T, code string) company {
	t.Helper()
	ctx := context.Background()
	_, err := f.pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code) VALUES ($1, $1 || '化工有限公司', '370102')`, code)
	require.NoError(t, err)
	dept := f.id(t, `INSERT INTO enterprise_departments (company, name) VALUES ($1, '储运部') RETURNING id`, code)
	f.roles[code] = map[policy.Role][]enterprise.Person{}
	member := func(user, name string, role policy.Role) *enterprise.Member {
		id := f.id(t, `INSERT INTO users (username, display_name, password_hash, domain) VALUES ($1, $2, 'x', 'ent:' || $3) RETURNING id`, code+"_"+user, name, code)
		_, err := f.pool.Exec(ctx, `INSERT INTO enterprise_members (user_id, company, department_id) VALUES ($1, $2, $3)`, id, code, dept)
		require.NoError(t, err)
		f.roles[code][role] = append(f.roles[code][role], enterprise.Person{UserID: id, Username: code + "_" + user, DisplayName: name})
		return &enterprise.Member{UserID: id, Username: code + "_" + user, DisplayName: name, Company: code, Roles: []policy.Role{role, policy.EnterpriseStaff},
			Department: &enterprise.Department{ID: dept, Company: code, Name: "储运部"}}
	}
	c := company{Code: code}
	c.Applicant = member("applicant", "孙申请", policy.EnterpriseStaff)
	c.Guardian = member("guardian", "周监护", policy.EnterpriseStaff)
	c.Head = member("head", "赵主任", policy.EnterpriseDeptHead)
	c.Safety = member("safety", "李安全", policy.EnterpriseSafety)
	c.Principal = member("boss", "张总", policy.EnterprisePrincipal)
	return c
}

// Directory over the fixture's people.
func (f *fixture) Departments(context.Context, string) ([]enterprise.Department, error) {
	return nil, nil
}
func (f *fixture) Posts(context.Context, string) ([]enterprise.Post, error) { return nil, nil }
func (f *fixture) People(_ context.Context, company string) ([]enterprise.Person, error) {
	var out []enterprise.Person
	for _, r := range []policy.Role{policy.EnterpriseStaff, policy.EnterpriseDeptHead, policy.EnterpriseSafety, policy.EnterprisePrincipal} {
		out = append(out, f.roles[company][r]...)
	}
	return out, nil
}
func (f *fixture) PeopleOfPost(context.Context, string, int64) ([]enterprise.Person, error) {
	return nil, nil
}
func (f *fixture) PeopleWithRole(_ context.Context, company string, role policy.Role) ([]enterprise.Person, error) {
	return f.roles[company][role], nil
}

// staged returns the 表1 records staged for company, in order.
func (f *fixture) staged(t *testing.T, company string) []map[string]any {
	t.Helper()
	return enttest.Staged(t, f.pool, company, "special-operations")
}

// tinyPNG is a small PNG: the signatures and photos of the tests.
var tinyPNG = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 16))
	for x := 0; x < 40; x++ {
		img.Set(x, 8, color.Black)
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}()

// signature is a drawn signature, a different stroke for each n: the PDF
// embeds each as its own image.
func signature(n int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 16))
	for x := 0; x < 40; x++ {
		img.Set(x, (x*n)%16, color.Black)
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func at(t *testing.T, s string) time.Time { return testclock.Parse(t, s) }
