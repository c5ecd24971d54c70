package dangers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/filestore"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
)

// directory is the company directory of the fixture, kept in memory beside the
// rows it inserted (the foundation's real one reads the same tables).
type directory struct {
	people map[string][]enterprise.Person
	deps   map[string][]enterprise.Department
}

func (d *directory) Departments(_ context.Context, company string) ([]enterprise.Department, error) {
	return d.deps[company], nil
}
func (d *directory) Posts(context.Context, string) ([]enterprise.Post, error) { return nil, nil }
func (d *directory) People(_ context.Context, company string) ([]enterprise.Person, error) {
	return d.people[company], nil
}
func (d *directory) PeopleOfPost(context.Context, string, int64) ([]enterprise.Person, error) {
	return nil, nil
}
func (d *directory) PeopleWithRole(_ context.Context, company string, role policy.Role) ([]enterprise.Person, error) {
	var out []enterprise.Person
	for _, p := range d.people[company] {
		for _, r := range p.Roles {
			if r == role {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// fixture is two companies (A with a department and its people, B with one
// manager) on a fresh database, the module mounted on a fiber app whose test
// middleware signs in the member named by the X-Test-Member header.
type fixture struct {
	t       *testing.T
	pool    *pgxpool.Pool
	clock   *testclock.Clock
	dir     *directory
	notes   *enttest.Notifier
	audit   *enttest.AuditLog
	mod     *dangers.Module
	svc     *dangers.Service
	app     *fiber.App
	members map[string]*enterprise.Member
	dep     enterprise.Department
}

const (
	companyA = "370102000001"
	companyB = "370102000002"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	start := time.Date(2026, 12, 5, 9, 0, 0, 0, schemas.Shanghai)
	f := &fixture{t: t, pool: pool, clock: testclock.Frozen(start), dir: &directory{people: map[string][]enterprise.Person{},
		deps: map[string][]enterprise.Department{}}, notes: &enttest.Notifier{}, audit: &enttest.AuditLog{}, members: map[string]*enterprise.Member{}}
	for _, c := range []string{companyA, companyB} {
		_, err := pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code) VALUES ($1, $2, '370102')`, c, "企业"+c)
		require.NoError(t, err)
	}
	var depID int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO enterprise_departments (company, name) VALUES ($1, '合成氨车间') RETURNING id`, companyA).Scan(&depID))
	f.dep = enterprise.Department{ID: depID, Company: companyA, Name: "合成氨车间"}
	add := func(company, username, name string, inDep bool, roles ...policy.Role) {
		var id int64
		require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, display_name, password_hash, domain)
			VALUES ($1, $2, 'x', $3) RETURNING id`, username, name, "ent:"+company).Scan(&id))
		var dp *enterprise.Department
		var dpID *int64
		if inDep {
			d := f.dep
			dp, dpID = &d, &d.ID
		}
		_, err := pool.Exec(ctx, `INSERT INTO enterprise_members (user_id, company, department_id) VALUES ($1, $2, $3)`, id, company, dpID)
		require.NoError(t, err)
		p := enterprise.Person{UserID: id, Username: username, DisplayName: name, Roles: roles}
		if dpID != nil {
			p.DepartmentID = *dpID
		}
		f.dir.people[company] = append(f.dir.people[company], p)
		f.members[username] = &enterprise.Member{UserID: id, Username: username, DisplayName: name, Company: company,
			Roles: roles, Department: dp}
	}
	add(companyA, "safety", "李安全", false, policy.EnterpriseSafety)
	add(companyA, "boss", "张厂长", false, policy.EnterprisePrincipal)
	add(companyA, "head", "王主任", true, policy.EnterpriseDeptHead)
	add(companyA, "fixer", "赵师傅", true, policy.EnterpriseStaff)
	add(companyA, "worker", "钱操作工", true, policy.EnterpriseStaff)
	add(companyB, "bsafety", "孙安全", false, policy.EnterpriseSafety)
	f.dep.HeadID = f.members["head"].UserID
	_, err := pool.Exec(ctx, `UPDATE enterprise_departments SET head_id = $1 WHERE id = $2`, f.dep.HeadID, depID)
	require.NoError(t, err)
	f.dir.deps[companyA] = []enterprise.Department{f.dep}
	var bDep int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO enterprise_departments (company, name) VALUES ($1, '储运部') RETURNING id`, companyB).Scan(&bDep))
	f.dir.deps[companyB] = []enterprise.Department{{ID: bDep, Company: companyB, Name: "储运部"}}

	files, err := filestore.Open(t.TempDir())
	require.NoError(t, err)
	f.mod, err = dangers.New(dangers.Deps{Pool: pool, Directory: f.dir, Notifier: f.notes, Publisher: enttest.Outbox{Now: f.clock.Now},
		Files: files, Exchange: store.NewExchange(pool), Audit: f.audit, Clock: f.clock.Now}, dangers.DefaultConfig)
	require.NoError(t, err)
	f.svc = f.mod.Service()
	f.app = enttest.Mount(f.mod, f.members)
	return f
}

func (f *fixture) m(username string) *enterprise.Member { return f.members[username] }

// request sends method path as member with a form body (fields, and photo
// files when given) and returns the response.
func (f *fixture) request(member, method, path string, fields url.Values, photos ...[]byte) *http.Response {
	f.t.Helper()
	var body io.Reader
	ct := ""
	if len(photos) > 0 {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, vs := range fields {
			for _, v := range vs {
				require.NoError(f.t, w.WriteField(k, v))
			}
		}
		for i, p := range photos {
			fw, err := w.CreateFormFile("photos", fmt.Sprintf("p%d.png", i))
			require.NoError(f.t, err)
			_, _ = fw.Write(p)
		}
		require.NoError(f.t, w.Close())
		body, ct = &b, w.FormDataContentType()
	} else if fields != nil {
		body, ct = strings.NewReader(fields.Encode()), "application/x-www-form-urlencoded"
	}
	req := httptest.NewRequest(method, path, body)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set(enttest.MemberHeader, member)
	resp, err := f.app.Test(req, 60_000)
	require.NoError(f.t, err)
	return resp
}

func readBody(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

// outbox returns the 表6 records staged for id, oldest first.
func (f *fixture) outbox(id string) []map[string]any {
	f.t.Helper()
	var out []map[string]any
	for _, c := range []string{companyA, companyB} {
		for _, r := range enttest.Staged(f.t, f.pool, c, "hidden-dangers") {
			if r["ID"] == id {
				out = append(out, r)
			}
		}
	}
	return out
}

var tinyPNG = enttest.TinyPNG

// general is a 限期整改 一般隐患 in A's department, not yet assigned.
func (f *fixture) general(name string) dangers.Input {
	return dangers.Input{HazardCode: "370102100001", DepartmentID: f.dep.ID, Inspectors: "钱操作工",
		Report: dangers.Report{Name: name, Description: "液氨储罐区法兰泄漏，现场有氨味", Place: "液氨储罐区", Level: 0, Type: 7,
			Source: "1", ManageType: 1, Basis: "GB 50160", FoundOn: f.clock.Now()}}
}

func num(v any) string { return fmt.Sprint(v) }

func itoa(n int64) string { return fmt.Sprint(n) }

func detailsField(err error) string {
	var e *chemguard.Error
	if !errors.As(err, &e) {
		return ""
	}
	m, _ := e.Details.(map[string]string)
	return m["field"]
}

func uuidOf(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	require.NoError(t, err)
	return id
}
