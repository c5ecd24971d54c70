// Package rounds is 日常巡检 of the hosted base system: the company's patrol
// routes, the points on them with the key operating parameter read at each and
// its expected range, and each patrol's readings. The 巡检记录表 (page and
// Excel) is produced from the readings; a reading out of its range is offered
// to the patrol as a hidden danger to register (the ledger's phone form,
// bound to the point's 危险源编码). The seed has no exchange table for patrols:
// nothing here is published.
package rounds

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// Route is a patrol route (巡检路线).
type Route struct {
	ID           int64
	Company      string
	Name         string
	DepartmentID int64
	Points       []Point
}

// Point is one reading on a route: where, which parameter, its expected range.
type Point struct {
	ID         int64
	Seq        int
	Name       string
	Parameter  string
	Unit       string
	Min, Max   *float64 // nil: open on that side
	HazardCode string
}

// In reports whether v is in the point's expected range (bounds included).
func (p Point) In(v float64) bool {
	return (p.Min == nil || v >= *p.Min) && (p.Max == nil || v <= *p.Max)
}

// Range shows the expected range, e.g. "0.2–1.6 MPa", "≤ 40 ℃".
func (p Point) Range() string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) }
	var s string
	switch {
	case p.Min != nil && p.Max != nil:
		s = f(p.Min) + "–" + f(p.Max)
	case p.Min != nil:
		s = "≥ " + f(p.Min)
	case p.Max != nil:
		s = "≤ " + f(p.Max)
	default:
		return "（不限）"
	}
	if p.Unit != "" {
		s += " " + p.Unit
	}
	return s
}

// Reading is one value of a patrol.
type Reading struct {
	Point Point
	Value float64
	In    bool
}

// Patrol is one patrol of a route with its readings.
type Patrol struct {
	ID         int64
	RouteID    int64
	UserName   string
	RecordedAt time.Time
	Note       string
	Readings   map[int64]Reading // by point id
}

// OutOfRange lists the patrol's readings outside their range, in route order.
func (p *Patrol) OutOfRange(points []Point) []Reading {
	var out []Reading
	for _, pt := range points {
		if r, ok := p.Readings[pt.ID]; ok && !r.In {
			out = append(out, r)
		}
	}
	return out
}

// Service is the rounds' rules and SQL.
type Service struct {
	pool  *pgxpool.Pool
	clock enterprise.Clock
}

// NewService returns the rounds on pool.
func NewService(pool *pgxpool.Pool, clock enterprise.Clock) *Service {
	if clock == nil {
		clock = time.Now
	}
	return &Service{pool: pool, clock: clock}
}

func invalid(field, zh, en string) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: en, Details: map[string]string{"field": field}}
}

func notFound() error {
	return chemguard.Errorf(chemguard.ENotFound, "未找到该巡检路线", "no such patrol route")
}

func mustManage(m *enterprise.Member) error {
	if !m.Has(enterprise.Managers...) {
		return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: "只有安全管理员或主要负责人可以设置巡检路线",
			MessageEN: "only a manager may set up patrol routes"}
	}
	return nil
}

func text(field, label, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalid(field, "「"+label+"」为必填项", field+" is required")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid(field, fmt.Sprintf("「%s」最长 %d 个字符，现为 %d 个", label, max, n),
			fmt.Sprintf("%s is at most %d characters, got %d", field, max, n))
	}
	return nil
}

// CreateRoute adds a route to m's company.
func (s *Service) CreateRoute(ctx context.Context, m *enterprise.Member, name string, departmentID int64) (int64, error) {
	if err := mustManage(m); err != nil {
		return 0, err
	}
	name = strings.TrimSpace(name)
	if err := text("name", "路线名称", name, 100, true); err != nil {
		return 0, err
	}
	var dep *int64
	if departmentID != 0 {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enterprise_departments WHERE id = $1 AND company = $2
			AND deleted_at IS NULL)`, departmentID, m.Company).Scan(&ok); err != nil {
			return 0, fmt.Errorf("rounds: department: %w", err)
		}
		if !ok {
			return 0, invalid("department", "所选部门不是本企业的部门", "the department is not one of the company's")
		}
		dep = &departmentID
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO enterprise_round_routes (company, name, department_id, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`, m.Company, name, dep, s.clock()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, chemguard.Errorf(chemguard.EConflict, "已有名为「%s」的巡检路线", "a route named %q exists", name)
	}
	if err != nil {
		return 0, fmt.Errorf("rounds: create route: %w", err)
	}
	return id, nil
}

// DeleteRoute softly deletes a route; its patrols stay readable.
func (s *Service) DeleteRoute(ctx context.Context, m *enterprise.Member, id int64) error {
	if err := mustManage(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE enterprise_round_routes SET deleted_at = $3 WHERE id = $1 AND company = $2
		AND deleted_at IS NULL`, id, m.Company, s.clock())
	if err != nil {
		return fmt.Errorf("rounds: delete route: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound()
	}
	return nil
}

// PointInput is a point as entered.
type PointInput struct {
	Name, Parameter, Unit, HazardCode string
	Min, Max                          *float64
}

// AddPoint appends a point to the company's route.
func (s *Service) AddPoint(ctx context.Context, m *enterprise.Member, routeID int64, in PointInput) error {
	if err := mustManage(m); err != nil {
		return err
	}
	for _, e := range []error{text("name", "巡检点", in.Name, 100, true), text("parameter", "巡检参数", in.Parameter, 50, true),
		text("unit", "单位", in.Unit, 20, false), text("hazard_code", "危险源编码", in.HazardCode, 36, false)} {
		if e != nil {
			return e
		}
	}
	if in.Min != nil && in.Max != nil && *in.Min > *in.Max {
		return invalid("max", "正常范围的上限不能小于下限", "the range's maximum is below its minimum")
	}
	if _, err := s.route(ctx, m.Company, routeID); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO enterprise_round_points (route_id, company, seq, name, parameter, unit,
		min_value, max_value, hazard_code, created_at)
		SELECT $1, $2, coalesce(max(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9 FROM enterprise_round_points WHERE route_id = $1`,
		routeID, m.Company, strings.TrimSpace(in.Name), strings.TrimSpace(in.Parameter), in.Unit, in.Min, in.Max,
		strings.TrimSpace(in.HazardCode), s.clock())
	if err != nil {
		return fmt.Errorf("rounds: add point: %w", err)
	}
	return nil
}

// DeletePoint softly removes a point from the route: later patrols skip it,
// earlier readings stay in the 巡检记录表.
func (s *Service) DeletePoint(ctx context.Context, m *enterprise.Member, routeID, pointID int64) error {
	if err := mustManage(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE enterprise_round_points SET deleted_at = $4 WHERE id = $1 AND route_id = $2
		AND company = $3 AND deleted_at IS NULL`, pointID, routeID, m.Company, s.clock())
	if err != nil {
		return fmt.Errorf("rounds: delete point: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return chemguard.Errorf(chemguard.ENotFound, "未找到该巡检点", "no such patrol point")
	}
	return nil
}

// Routes lists the company's live routes.
func (s *Service) Routes(ctx context.Context, company string) ([]Route, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, company, name, coalesce(department_id, 0) FROM enterprise_round_routes
		WHERE company = $1 AND deleted_at IS NULL ORDER BY name`, company)
	if err != nil {
		return nil, fmt.Errorf("rounds: routes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Route, error) {
		var x Route
		err := r.Scan(&x.ID, &x.Company, &x.Name, &x.DepartmentID)
		return x, err
	})
}

// Route returns the company's route with its live points.
func (s *Service) Route(ctx context.Context, company string, id int64) (Route, error) {
	return s.route(ctx, company, id)
}

func (s *Service) route(ctx context.Context, company string, id int64) (Route, error) {
	var r Route
	err := s.pool.QueryRow(ctx, `SELECT id, company, name, coalesce(department_id, 0) FROM enterprise_round_routes
		WHERE id = $1 AND company = $2 AND deleted_at IS NULL`, id, company).Scan(&r.ID, &r.Company, &r.Name, &r.DepartmentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, notFound()
	}
	if err != nil {
		return r, fmt.Errorf("rounds: route: %w", err)
	}
	r.Points, err = s.points(ctx, id, false)
	return r, err
}

// points lists a route's points; withDeleted adds the removed ones (the
// 巡检记录表 still shows their readings).
func (s *Service) points(ctx context.Context, routeID int64, withDeleted bool) ([]Point, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, seq, name, parameter, unit, min_value::float8, max_value::float8, hazard_code
		FROM enterprise_round_points WHERE route_id = $1 AND ($2 OR deleted_at IS NULL) ORDER BY seq`, routeID, withDeleted)
	if err != nil {
		return nil, fmt.Errorf("rounds: points: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Point, error) {
		var p Point
		err := r.Scan(&p.ID, &p.Seq, &p.Name, &p.Parameter, &p.Unit, &p.Min, &p.Max, &p.HazardCode)
		return p, err
	})
}

// Record keeps one patrol of the company's route: a value for every point
// (a missing or unreadable one refuses the patrol, naming the point). A
// client id already used is a replay: the first patrol's id is returned.
func (s *Service) Record(ctx context.Context, m *enterprise.Member, routeID int64, values map[int64]string, note, clientID string, at time.Time) (int64, error) {
	r, err := s.route(ctx, m.Company, routeID)
	if err != nil {
		return 0, err
	}
	if len(r.Points) == 0 {
		return 0, invalid("points", "该路线还没有巡检点", "the route has no points")
	}
	if err := text("note", "备注", note, 500, false); err != nil {
		return 0, err
	}
	read := map[int64]float64{}
	for _, p := range r.Points {
		raw := strings.TrimSpace(values[p.ID])
		v, err := strconv.ParseFloat(raw, 64)
		if raw == "" || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, invalid("point_"+strconv.FormatInt(p.ID, 10),
				fmt.Sprintf("巡检点「%s」的%s须填写数值，收到「%s」", p.Name, p.Parameter, raw),
				fmt.Sprintf("point %d (%s) needs a number, got %q", p.ID, p.Parameter, raw))
		}
		read[p.ID] = v
	}
	now := s.clock()
	if at.IsZero() || at.After(now) || now.Sub(at) > 7*24*time.Hour {
		at = now
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var client *string
		if clientID != "" {
			client = &clientID
			err := tx.QueryRow(ctx, `SELECT id FROM enterprise_round_records WHERE company = $1 AND client_id = $2`,
				m.Company, clientID).Scan(&id)
			if err == nil {
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("rounds: replay: %w", err)
			}
		}
		name := m.DisplayName
		if name == "" {
			name = m.Username
		}
		if err := tx.QueryRow(ctx, `INSERT INTO enterprise_round_records (company, route_id, user_id, user_name,
			recorded_at, note, client_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			m.Company, routeID, m.UserID, name, at, note, client, now).Scan(&id); err != nil {
			return fmt.Errorf("rounds: record: %w", err)
		}
		for _, p := range r.Points {
			if _, err := tx.Exec(ctx, `INSERT INTO enterprise_round_values (record_id, point_id, value, in_range)
				VALUES ($1, $2, $3, $4)`, id, p.ID, read[p.ID], p.In(read[p.ID])); err != nil {
				return fmt.Errorf("rounds: value: %w", err)
			}
		}
		return nil
	})
	return id, err
}

// Sheet is the 巡检记录表 of a route over a period.
type Sheet struct {
	Route    Route
	Points   []Point // every point read in the period, removed ones too
	Patrols  []Patrol
	From, To time.Time
}

// Sheet returns the 巡检记录表 of the company's route for patrols in [from, to).
func (s *Service) Sheet(ctx context.Context, company string, routeID int64, from, to time.Time) (Sheet, error) {
	sh := Sheet{From: from, To: to}
	var err error
	if sh.Route, err = s.route(ctx, company, routeID); err != nil {
		return sh, err
	}
	all, err := s.points(ctx, routeID, true)
	if err != nil {
		return sh, err
	}
	byID := map[int64]Point{}
	for _, p := range all {
		byID[p.ID] = p
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.user_name, r.recorded_at, r.note, v.point_id, v.value::float8, v.in_range
		FROM enterprise_round_records r JOIN enterprise_round_values v ON v.record_id = r.id
		WHERE r.company = $1 AND r.route_id = $2 AND r.recorded_at >= $3 AND r.recorded_at < $4
		ORDER BY r.recorded_at, r.id`, company, routeID, from, to)
	if err != nil {
		return sh, fmt.Errorf("rounds: sheet: %w", err)
	}
	defer rows.Close()
	used := map[int64]bool{}
	for rows.Next() {
		var p Patrol
		var point int64
		var v float64
		var in bool
		if err := rows.Scan(&p.ID, &p.UserName, &p.RecordedAt, &p.Note, &point, &v, &in); err != nil {
			return sh, fmt.Errorf("rounds: sheet: %w", err)
		}
		if n := len(sh.Patrols); n == 0 || sh.Patrols[n-1].ID != p.ID {
			p.RouteID, p.Readings = routeID, map[int64]Reading{}
			sh.Patrols = append(sh.Patrols, p)
		}
		sh.Patrols[len(sh.Patrols)-1].Readings[point] = Reading{Point: byID[point], Value: v, In: in}
		used[point] = true
	}
	if err := rows.Err(); err != nil {
		return sh, fmt.Errorf("rounds: sheet: %w", err)
	}
	for _, p := range all {
		if used[p.ID] || containsPoint(sh.Route.Points, p.ID) {
			sh.Points = append(sh.Points, p)
		}
	}
	return sh, nil
}

func containsPoint(ps []Point, id int64) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

// Patrol returns one patrol of the company with the route's points.
func (s *Service) Patrol(ctx context.Context, company string, id int64) (Patrol, []Point, error) {
	var routeID int64
	var from time.Time
	err := s.pool.QueryRow(ctx, `SELECT route_id, recorded_at FROM enterprise_round_records WHERE id = $1 AND company = $2`,
		id, company).Scan(&routeID, &from)
	if errors.Is(err, pgx.ErrNoRows) {
		return Patrol{}, nil, chemguard.Errorf(chemguard.ENotFound, "未找到该巡检记录", "no such patrol")
	}
	if err != nil {
		return Patrol{}, nil, fmt.Errorf("rounds: patrol: %w", err)
	}
	sh, err := s.Sheet(ctx, company, routeID, from, from.Add(time.Microsecond))
	if err != nil {
		return Patrol{}, nil, err
	}
	for _, p := range sh.Patrols {
		if p.ID == id {
			return p, sh.Points, nil
		}
	}
	return Patrol{}, nil, chemguard.Errorf(chemguard.ENotFound, "未找到该巡检记录", "no such patrol")
}

// newClientID is the id a phone form carries so the offline queue's resend
// is recognised (the queue replaces it with its own when it has one).
func newClientID() string { return uuid.NewString() }
