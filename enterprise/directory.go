package enterprise

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Members is the SQL of company membership: departments, posts and the people
// in them. It implements Directory; every query is keyed by company.
type Members struct {
	pool *pgxpool.Pool
	box  *sealed.Box // opens users' sealed mobiles; nil opens only unsealed values
}

// NewMembers returns the membership store on pool; box opens mobiles.
func NewMembers(pool *pgxpool.Pool, box *sealed.Box) *Members { return &Members{pool: pool, box: box} }

var _ Directory = (*Members)(nil)

// Departments returns the company's departments (not deleted), by name.
func (m *Members) Departments(ctx context.Context, company string) ([]Department, error) {
	rows, err := m.pool.Query(ctx, `SELECT id, company, name, coalesce(head_id, 0) FROM enterprise_departments
		WHERE company = $1 AND deleted_at IS NULL ORDER BY name, id`, company)
	if err != nil {
		return nil, fmt.Errorf("enterprise: departments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Department, error) {
		var d Department
		return d, r.Scan(&d.ID, &d.Company, &d.Name, &d.HeadID)
	})
}

// Posts returns the company's posts (not deleted, in departments not
// deleted), by department and name.
func (m *Members) Posts(ctx context.Context, company string) ([]Post, error) {
	rows, err := m.pool.Query(ctx, `SELECT p.id, p.company, p.department_id, p.name FROM enterprise_posts p
		JOIN enterprise_departments d ON d.id = p.department_id AND d.deleted_at IS NULL
		WHERE p.company = $1 AND p.deleted_at IS NULL ORDER BY d.name, p.name, p.id`, company)
	if err != nil {
		return nil, fmt.Errorf("enterprise: posts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Post, error) {
		var p Post
		return p, r.Scan(&p.ID, &p.Company, &p.DepartmentID, &p.Name)
	})
}

// peopleSQL selects active members of company $1 with their roles in its
// domain; extra narrows it ($2 onwards).
const peopleSQL = `SELECT u.id, u.username, u.display_name, u.mobile, coalesce(m.department_id, 0),
		coalesce((SELECT array_agg(c.v1 ORDER BY c.v1) FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
			AND c.v0 = 'u:' || u.id AND c.v2 = 'ent:' || m.company), '{}')
	FROM enterprise_members m JOIN users u ON u.id = m.user_id
	WHERE m.company = $1 AND u.disabled_at IS NULL`

func (m *Members) people(ctx context.Context, extra string, args ...any) ([]Person, error) {
	rows, err := m.pool.Query(ctx, peopleSQL+extra+` ORDER BY u.display_name, u.username`, args...)
	if err != nil {
		return nil, fmt.Errorf("enterprise: people: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) {
		var p Person
		var roles []string
		if err := r.Scan(&p.UserID, &p.Username, &p.DisplayName, &p.Mobile, &p.DepartmentID, &roles); err != nil {
			return p, err
		}
		for _, s := range roles {
			p.Roles = append(p.Roles, policy.Role(s))
		}
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("enterprise: people: %w", err)
	}
	for i := range out {
		if out[i].Mobile, err = m.box.Open(store.UsersMobileColumn, out[i].Mobile); err != nil {
			return nil, fmt.Errorf("enterprise: people: open mobile of %s: %w", out[i].Username, err)
		}
	}
	return out, nil
}

// People returns the company's active members.
func (m *Members) People(ctx context.Context, company string) ([]Person, error) {
	return m.people(ctx, "", company)
}

// PeopleOfPost returns the active members holding post.
func (m *Members) PeopleOfPost(ctx context.Context, company string, post int64) ([]Person, error) {
	return m.people(ctx, ` AND EXISTS (SELECT 1 FROM enterprise_member_posts mp JOIN enterprise_posts p ON p.id = mp.post_id
		WHERE mp.user_id = u.id AND mp.post_id = $2 AND mp.removed_at IS NULL AND p.company = $1 AND p.deleted_at IS NULL)`,
		company, post)
}

// PeopleWithRole returns the active members holding role in the company.
func (m *Members) PeopleWithRole(ctx context.Context, company string, role policy.Role) ([]Person, error) {
	return m.people(ctx, ` AND EXISTS (SELECT 1 FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
		AND c.v0 = 'u:' || u.id AND c.v1 = $2 AND c.v2 = 'ent:' || m.company)`, company, string(role))
}

// Person returns one active member of company; ENotFound for anyone else
// (another company's user is not found, not forbidden: the company learns
// nothing about who exists elsewhere).
func (m *Members) Person(ctx context.Context, company string, userID int64) (Person, error) {
	ps, err := m.people(ctx, ` AND u.id = $2`, company, userID)
	if err != nil {
		return Person{}, err
	}
	if len(ps) == 0 {
		return Person{}, chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的在岗人员", "the company has no active member %d", userID)
	}
	return ps[0], nil
}

// Membership returns the member's department (nil when none) and posts; an
// account with no membership row (created before the base system, or by the
// platform's administrator) has neither.
func (m *Members) Membership(ctx context.Context, company string, userID int64) (*Department, []Post, error) {
	var dep *Department
	var d Department
	err := m.pool.QueryRow(ctx, `SELECT d.id, d.company, d.name, coalesce(d.head_id, 0) FROM enterprise_members m
		JOIN enterprise_departments d ON d.id = m.department_id AND d.deleted_at IS NULL
		WHERE m.user_id = $1 AND m.company = $2`, userID, company).Scan(&d.ID, &d.Company, &d.Name, &d.HeadID)
	switch {
	case err == nil:
		dep = &d
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, nil, fmt.Errorf("enterprise: membership: %w", err)
	}
	rows, err := m.pool.Query(ctx, `SELECT p.id, p.company, p.department_id, p.name FROM enterprise_member_posts mp
		JOIN enterprise_posts p ON p.id = mp.post_id AND p.deleted_at IS NULL
		WHERE mp.user_id = $1 AND p.company = $2 AND mp.removed_at IS NULL ORDER BY p.name`, userID, company)
	if err != nil {
		return nil, nil, fmt.Errorf("enterprise: membership: %w", err)
	}
	posts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Post, error) {
		var p Post
		return p, r.Scan(&p.ID, &p.Company, &p.DepartmentID, &p.Name)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("enterprise: membership: %w", err)
	}
	return dep, posts, nil
}

// checkName trims a department's or post's name and checks its length.
func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", chemguard.Errorf(chemguard.EInvalid, what+"名称不能为空", "the %s name is empty", map[string]string{"部门": "department", "岗位": "post"}[what])
	}
	if len([]rune(name)) > 50 {
		return "", chemguard.Errorf(chemguard.EInvalid, what+"名称「%s」超过 50 字", "the name %q is longer than 50 characters", name)
	}
	return name, nil
}

// isUnique reports whether err is a unique-index violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// AddDepartment creates a department of company; a department of the same name
// (not deleted) is a conflict.
func (m *Members) AddDepartment(ctx context.Context, company, name string) (Department, error) {
	name, err := checkName("部门", name)
	if err != nil {
		return Department{}, err
	}
	d := Department{Company: company, Name: name}
	err = m.pool.QueryRow(ctx, `INSERT INTO enterprise_departments (company, name) VALUES ($1, $2) RETURNING id`,
		company, name).Scan(&d.ID)
	if isUnique(err) {
		return d, chemguard.Errorf(chemguard.EConflict, "部门「%s」已存在", "department %q already exists", name)
	}
	if err != nil {
		return d, fmt.Errorf("enterprise: add department: %w", err)
	}
	return d, nil
}

// UpdateDepartment renames a department of company and sets its head (0 for
// none; the head must be an active member of the company).
func (m *Members) UpdateDepartment(ctx context.Context, company string, id int64, name string, head int64) error {
	// Another company's department is not found whatever the form holds.
	if err := checkPlacement(ctx, m.pool, company, id, nil); err != nil {
		return err
	}
	name, err := checkName("部门", name)
	if err != nil {
		return err
	}
	if head != 0 {
		if _, err := m.Person(ctx, company, head); err != nil {
			return err
		}
	}
	tag, err := m.pool.Exec(ctx, `UPDATE enterprise_departments SET name = $3, head_id = NULLIF($4, 0)
		WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, company, id, name, head)
	if isUnique(err) {
		return chemguard.Errorf(chemguard.EConflict, "部门「%s」已存在", "department %q already exists", name)
	}
	if err != nil {
		return fmt.Errorf("enterprise: update department: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errNoDepartment(id)
	}
	return nil
}

func errNoDepartment(id int64) error {
	return chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的部门", "the company has no department %d", id)
}

// DeleteDepartment marks a department of company deleted. A department that
// still has posts or members is refused: deleting it would leave them nowhere.
func (m *Members) DeleteDepartment(ctx context.Context, company string, id int64, now time.Time) error {
	var posts, people int
	err := m.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM enterprise_posts WHERE department_id = $2 AND deleted_at IS NULL),
		(SELECT count(*) FROM enterprise_members m JOIN users u ON u.id = m.user_id WHERE m.department_id = $2 AND u.disabled_at IS NULL)
		FROM enterprise_departments WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, company, id).Scan(&posts, &people)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoDepartment(id)
	}
	if err != nil {
		return fmt.Errorf("enterprise: delete department: %w", err)
	}
	if posts > 0 || people > 0 {
		return chemguard.Errorf(chemguard.EConflict, "该部门还有 %d 个岗位、%d 名人员，请先调整后再删除",
			"the department still has %d post(s) and %d member(s); move them first", posts, people)
	}
	if _, err := m.pool.Exec(ctx, `UPDATE enterprise_departments SET deleted_at = $3 WHERE company = $1 AND id = $2`,
		company, id, now); err != nil {
		return fmt.Errorf("enterprise: delete department: %w", err)
	}
	return nil
}

// AddPost creates a post in a department of company.
func (m *Members) AddPost(ctx context.Context, company string, department int64, name string) (Post, error) {
	name, err := checkName("岗位", name)
	if err != nil {
		return Post{}, err
	}
	p := Post{Company: company, DepartmentID: department, Name: name}
	err = m.pool.QueryRow(ctx, `INSERT INTO enterprise_posts (company, department_id, name)
		SELECT $1, id, $3 FROM enterprise_departments WHERE company = $1 AND id = $2 AND deleted_at IS NULL
		RETURNING id`, company, department, name).Scan(&p.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errNoDepartment(department)
	}
	if isUnique(err) {
		return p, chemguard.Errorf(chemguard.EConflict, "该部门已有岗位「%s」", "the department already has post %q", name)
	}
	if err != nil {
		return p, fmt.Errorf("enterprise: add post: %w", err)
	}
	return p, nil
}

// DeletePost marks a post of company deleted and releases the people holding it.
func (m *Members) DeletePost(ctx context.Context, company string, id int64, now time.Time) error {
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("enterprise: delete post: %w", err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE enterprise_posts SET deleted_at = $3 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`,
		company, id, now)
	if err != nil {
		return fmt.Errorf("enterprise: delete post: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的岗位", "the company has no post %d", id)
	}
	if _, err := tx.Exec(ctx, `UPDATE enterprise_member_posts SET removed_at = $2 WHERE post_id = $1 AND removed_at IS NULL`,
		id, now); err != nil {
		return fmt.Errorf("enterprise: delete post: %w", err)
	}
	return tx.Commit(ctx)
}

// SetMembership puts user (an account of company's domain) in department (0
// for none) holding exactly posts, which must be the company's. Posts no
// longer held are marked removed, not deleted.
func (m *Members) SetMembership(ctx context.Context, company string, user, department int64, posts []int64, now time.Time) error {
	tx, err := m.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("enterprise: membership: %w", err)
	}
	defer tx.Rollback(ctx)
	var domain string
	if err := tx.QueryRow(ctx, `SELECT domain FROM users WHERE id = $1`, user).Scan(&domain); err != nil || domain != tiers.EnterpriseDomain(company) {
		return chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的账号", "the company has no account %d", user)
	}
	if err := checkPlacement(ctx, tx, company, department, posts); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO enterprise_members (user_id, company, department_id) VALUES ($1, $2, NULLIF($3, 0))
		ON CONFLICT (user_id) DO UPDATE SET department_id = EXCLUDED.department_id`, user, company, department); err != nil {
		return fmt.Errorf("enterprise: membership: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE enterprise_member_posts SET removed_at = $3
		WHERE user_id = $1 AND removed_at IS NULL AND NOT (post_id = ANY($2))`, user, posts, now); err != nil {
		return fmt.Errorf("enterprise: membership: %w", err)
	}
	for _, p := range posts {
		if _, err := tx.Exec(ctx, `INSERT INTO enterprise_member_posts (user_id, post_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, post_id) WHERE removed_at IS NULL DO NOTHING`, user, p, now); err != nil {
			return fmt.Errorf("enterprise: membership: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// Account is a company account as its administrator sees it in the list.
type Account struct {
	Person
	Department string
	Posts      []string
	PostIDs    []int64
	Disabled   bool
	Locked     bool
	MustChange bool
	TOTP       bool
	CreatedAt  time.Time
}

// Accounts returns every account of company's domain (disabled ones too),
// with department and posts, by username.
func (m *Members) Accounts(ctx context.Context, company string, now time.Time) ([]Account, error) {
	rows, err := m.pool.Query(ctx, `SELECT u.id, u.username, u.display_name, coalesce(m.department_id, 0), coalesce(d.name, ''),
			coalesce((SELECT array_agg(c.v1 ORDER BY c.v1) FROM casbin_rules c WHERE c.ptype = 'g' AND c.removed_at IS NULL
				AND c.v0 = 'u:' || u.id AND c.v2 = u.domain), '{}'),
			coalesce((SELECT array_agg(p.name ORDER BY p.name) FROM enterprise_member_posts mp JOIN enterprise_posts p ON p.id = mp.post_id
				WHERE mp.user_id = u.id AND mp.removed_at IS NULL AND p.deleted_at IS NULL), '{}'),
			coalesce((SELECT array_agg(p.id ORDER BY p.name) FROM enterprise_member_posts mp JOIN enterprise_posts p ON p.id = mp.post_id
				WHERE mp.user_id = u.id AND mp.removed_at IS NULL AND p.deleted_at IS NULL), '{}'),
			u.disabled_at IS NOT NULL, coalesce(u.locked_until > $2, false), u.totp_secret IS NOT NULL, u.created_at
		FROM users u LEFT JOIN enterprise_members m ON m.user_id = u.id
		LEFT JOIN enterprise_departments d ON d.id = m.department_id AND d.deleted_at IS NULL
		WHERE u.domain = $1 ORDER BY u.username`, tiers.EnterpriseDomain(company), now)
	if err != nil {
		return nil, fmt.Errorf("enterprise: accounts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		var a Account
		var roles []string
		err := r.Scan(&a.UserID, &a.Username, &a.DisplayName, &a.DepartmentID, &a.Department, &roles, &a.Posts, &a.PostIDs,
			&a.Disabled, &a.Locked, &a.TOTP, &a.CreatedAt)
		for _, s := range roles {
			a.Roles = append(a.Roles, policy.Role(s))
		}
		return a, err
	})
}

// usernameOf returns the username of company's account id; ENotFound for an
// account of any other domain.
func (m *Members) usernameOf(ctx context.Context, company string, id int64) (string, error) {
	var name string
	err := m.pool.QueryRow(ctx, `SELECT username FROM users WHERE id = $1 AND domain = $2`, id, tiers.EnterpriseDomain(company)).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的账号", "the company has no account %d", id)
	}
	if err != nil {
		return "", fmt.Errorf("enterprise: account %d: %w", id, err)
	}
	return name, nil
}

// parseID reads a path or form id; 0 for anything that is not a positive integer.
func parseID(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// checkPlacement checks that department (0 for none) and posts are company's
// and not deleted.
func (m *Members) checkPlacement(ctx context.Context, company string, department int64, posts []int64) error {
	return checkPlacement(ctx, m.pool, company, department, posts)
}

func checkPlacement(ctx context.Context, q querier, company string, department int64, posts []int64) error {
	if department != 0 {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enterprise_departments WHERE company = $1 AND id = $2 AND deleted_at IS NULL)`,
			company, department).Scan(&ok); err != nil {
			return fmt.Errorf("enterprise: membership: %w", err)
		}
		if !ok {
			return errNoDepartment(department)
		}
	}
	for _, p := range posts {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enterprise_posts WHERE company = $1 AND id = $2 AND deleted_at IS NULL)`,
			company, p).Scan(&ok); err != nil {
			return fmt.Errorf("enterprise: membership: %w", err)
		}
		if !ok {
			return chemguard.Errorf(chemguard.ENotFound, "本企业没有编号为 %d 的岗位", "the company has no post %d", p)
		}
	}
	return nil
}
