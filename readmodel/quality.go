package readmodel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Quality answers the questions about data quality (数据质量) from the governance
// runner's stored facts and scores: a region's rollup and ranking, its companies'
// scores and fallers, a company's breakdown with its facts. It reads only what the
// runner stored; it computes nothing the runner would store differently.
type Quality struct {
	db
	rules *governance.Config
	now   func() time.Time
}

// NewQuality returns the data-quality queries on pool; rules name the fact kinds and
// dimensions, now is the clock that decides what today is.
func NewQuality(pool *pgxpool.Pool, rules *governance.Config, now func() time.Time) *Quality {
	if now == nil {
		now = time.Now
	}
	return &Quality{db: db{pool}, rules: rules, now: now}
}

// Today is the local midnight starting the current day.
func (q *Quality) Today() time.Time {
	start, _ := governance.DayBounds(q.now())
	return start
}

// Rules are the governance rules in use (fact names, dimensions).
func (q *Quality) Rules() *governance.Config { return q.rules }

// Region is a region a request is about.
type Region struct {
	Code  string      `json:"code"`  // division code, or the park's code
	Level string      `json:"level"` // governance.LevelProvince … LevelPark
	Name  string      `json:"name"`
	Scope tiers.Scope `json:"-"`
	Path  string      `json:"-"` // resource path, for Check
}

// childLevel is the level of the regions ranked under a region ("" for a park).
func (r Region) childLevel() string {
	return map[string]string{governance.LevelProvince: governance.LevelCity, governance.LevelCity: governance.LevelCounty,
		governance.LevelCounty: governance.LevelPark}[r.Level]
}

// ResolveRegion resolves a region parameter: a division code (province, city,
// county) or park:CODE; an unknown park is not found. It does not authorize.
func (q *Quality) ResolveRegion(ctx context.Context, v string) (Region, error) {
	var r Region
	if code, ok := strings.CutPrefix(v, "park:"); ok {
		var county, name string
		err := q.pool.QueryRow(ctx, `SELECT division_code, name FROM parks WHERE code = $1`, code).Scan(&county, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, chemguard.Errorf(chemguard.ENotFound, "园区「%s」不存在", "no park %q", code)
		}
		if err != nil {
			return r, fmt.Errorf("readmodel: park %s: %w", code, err)
		}
		return Region{Code: code, Level: governance.LevelPark, Name: name, Scope: tiers.Scope{Park: code},
			Path: tiers.RegionPath(county) + "/" + tiers.ParkDomain(code)}, nil
	}
	d, ok := tiers.DivisionByCode(v)
	if !ok {
		return r, invalid("region 须为行政区划代码或 park:园区编码", "region must be a division code or park:CODE")
	}
	lvl := map[tiers.Level]string{tiers.Province: governance.LevelProvince, tiers.City: governance.LevelCity,
		tiers.County: governance.LevelCounty}[d.Level]
	return Region{Code: d.Code, Level: lvl, Name: d.NameZH, Scope: tiers.ScopeOf(d.Code), Path: tiers.RegionPath(d.Code)}, nil
}

// CheckedRegion resolves region parameter v and checks the caller may read it
// with check (the caller's authorization of a resource path, auditing a refusal).
// An unknown park is refused like a region outside the caller's, unless the
// caller reaches the province: only then does it learn the park does not exist.
func (q *Quality) CheckedRegion(ctx context.Context, v string, check func(path string) error) (Region, error) {
	r, err := q.ResolveRegion(ctx, v)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		if cerr := check(tiers.ProvinceCode); cerr != nil {
			return r, cerr
		}
	}
	if err != nil {
		return r, err
	}
	return r, check(r.Path)
}

// ParseDay parses a day yyyy-mm-dd (today when "") as its local midnight and refuses
// a day after today.
func (q *Quality) ParseDay(v string) (time.Time, error) {
	today, _ := governance.DayBounds(q.now())
	if v == "" {
		return today, nil
	}
	t, err := time.ParseInLocation(schemas.DateLayout, v, schemas.Shanghai)
	if err != nil {
		return t, invalid("day 须为日期 yyyy-MM-dd", "day must be a date yyyy-MM-dd")
	}
	if t.After(today) {
		return t, invalid("day 不能晚于今天（%[1]s）", "day must not be after today (%[1]s)", dayString(today))
	}
	return t, nil
}

func dayString(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateLayout) }

// ScoreView is a company's stored score of a day.
type ScoreView struct {
	Company     string                      `json:"company_code"`
	CompanyName string                      `json:"company_name"`
	County      string                      `json:"division_code"`
	Park        string                      `json:"park_code,omitempty"`
	Day         string                      `json:"day"`
	Score       float64                     `json:"score"`
	Dimensions  []governance.DimensionScore `json:"dimensions"`
	Deductions  []governance.Deduction      `json:"deductions"`
	AsOf        time.Time                   `json:"as_of"`
	Final       bool                        `json:"final"`
	Config      string                      `json:"config_version"`
}

const scoreColumns = `s.company_code, e.name, e.division_code, COALESCE(e.park_code, ''), s.day::text, s.score,
	s.dimensions, s.deductions, s.as_of, s.final, s.config_version`

// scoreViews reads stored scores by company code (limit 0: all).
func (q *Quality) scoreViews(ctx context.Context, w *Where, limit int) ([]ScoreView, error) {
	sql := `SELECT ` + scoreColumns + ` FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE ` + w.SQL() + ` ORDER BY s.company_code, s.day DESC`
	if limit > 0 {
		sql += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := q.pool.Query(ctx, sql, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: read scores: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanScore)
	if err != nil {
		return nil, fmt.Errorf("readmodel: read scores: %w", err)
	}
	return list, nil
}

func scanScore(r pgx.CollectableRow) (ScoreView, error) {
	var v ScoreView
	err := r.Scan(&v.Company, &v.CompanyName, &v.County, &v.Park, &v.Day, &v.Score, &v.Dimensions, &v.Deductions,
		&v.AsOf, &v.Final, &v.Config)
	return v, err
}

// Where joins the conditions of a query over enterprises e and numbers their
// placeholders; governancesvc builds its rejection counts' query with it too.
type Where struct {
	Conds []string
	Args  []any
}

// Scope adds the condition that e lies in s.
func (w *Where) Scope(s tiers.Scope) {
	cond, args := s.Where("e", len(w.Args)+1)
	w.Conds, w.Args = append(w.Conds, cond), append(w.Args, args...)
}

// Add adds cond with its one placeholder written $?, numbered here.
func (w *Where) Add(cond string, arg any) {
	w.Args = append(w.Args, arg)
	w.Conds = append(w.Conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(w.Args))))
}

// SQL is the conditions joined by AND.
func (w *Where) SQL() string { return strings.Join(w.Conds, " AND ") }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// regionRows reads the stored rollups of a day: the region itself and its children.
func (q *Quality) regionRows(ctx context.Context, r Region, day time.Time) ([]governance.RegionScore, error) {
	rows, err := q.pool.Query(ctx, `SELECT region, level, parent, day::text, score, companies, min_score, max_score
		FROM governance_region_scores WHERE day = $1::date AND ((region = $2 AND level = $3) OR (parent = $2 AND level = $4))`,
		dayString(day), r.Code, r.Level, r.childLevel())
	if err != nil {
		return nil, fmt.Errorf("readmodel: read rollups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (governance.RegionScore, error) {
		var x governance.RegionScore
		return x, row.Scan(&x.Region, &x.Level, &x.Parent, &x.Day, &x.Score, &x.Companies, &x.Min, &x.Max)
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: read rollups: %w", err)
	}
	return out, nil
}

// RankedRegion is a child region in a ranking, with its day-over-day trend.
type RankedRegion struct {
	governance.RegionScore
	Name  string           `json:"name"`
	Trend governance.Trend `json:"trend"`
}

// RegionsView is a region's rollup of a day and the ranking of the regions under it.
type RegionsView struct {
	Region   Region                  `json:"region"`
	Day      string                  `json:"day"`
	Score    *governance.RegionScore `json:"score"` // nil: no scored company yet
	Trend    *governance.Trend       `json:"trend,omitempty"`
	Children []RankedRegion          `json:"children"`
}

// Regions is the rollup of region r on day with the ranking of the regions directly
// under it and their day-over-day trends. It does not authorize.
func (q *Quality) Regions(ctx context.Context, r Region, day time.Time) (RegionsView, error) {
	v := RegionsView{Region: r, Day: dayString(day), Children: []RankedRegion{}}
	today, err := q.regionRows(ctx, r, day)
	if err != nil {
		return v, err
	}
	prev, err := q.regionRows(ctx, r, day.AddDate(0, 0, -1))
	if err != nil {
		return v, err
	}
	trends := map[string]governance.Trend{}
	for _, t := range governance.RegionTrends(today, prev) {
		trends[t.Key] = t
	}
	for _, x := range today {
		if x.Region == r.Code && x.Level == r.Level {
			x := x
			t := trends[x.Level+"|"+x.Region]
			v.Score, v.Trend = &x, &t
		}
	}
	names, err := q.ParkNames(ctx)
	if err != nil {
		return v, err
	}
	for _, x := range governance.RankRegions(today, r.Code, r.childLevel()) {
		rr := RankedRegion{RegionScore: x, Trend: trends[x.Level+"|"+x.Region], Name: names[x.Region]}
		if d, ok := tiers.DivisionByCode(x.Region); ok && x.Level != governance.LevelPark {
			rr.Name = d.NameZH
		}
		v.Children = append(v.Children, rr)
	}
	return v, nil
}

// ParkNames maps every park's code to its name.
func (q *Quality) ParkNames(ctx context.Context) (map[string]string, error) {
	return q.nameMap(ctx, `SELECT code, name FROM parks`)
}

// nameMap reads code → name pairs.
func (q *Quality) nameMap(ctx context.Context, sql string, args ...any) (map[string]string, error) {
	rows, err := q.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: names: %w", err)
	}
	out := map[string]string{}
	var code, name string
	_, err = pgx.ForEachRow(rows, []any{&code, &name}, func() error { out[code] = name; return nil })
	if err != nil {
		return nil, fmt.Errorf("readmodel: names: %w", err)
	}
	return out, nil
}

// FactView is a stored fact as the API shows it.
type FactView struct {
	governance.Fact
	NameZH      string               `json:"name_zh"`
	Dimension   governance.Dimension `json:"dimension"`
	Open        bool                 `json:"open"`
	CompanyName string               `json:"company_name"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

func (q *Quality) factViews(ctx context.Context, w *Where, limit int) ([]FactView, error) {
	rows, err := q.pool.Query(ctx, `SELECT f.doc, e.name, f.updated_at FROM governance_facts f
		JOIN enterprises e ON e.code = f.company_code WHERE `+w.SQL()+`
		ORDER BY f.started_at DESC, f.fact_id DESC LIMIT `+strconv.Itoa(limit), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: list facts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FactView, error) {
		var v FactView
		err := r.Scan(&v.Fact, &v.CompanyName, &v.UpdatedAt)
		rule := q.rules.Kinds[v.Kind]
		v.NameZH, v.Dimension, v.Open = rule.NameZH, rule.Dimension, v.Fact.Open()
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: list facts: %w", err)
	}
	return nonNil(list), nil
}

// CompanyView is a company's data quality of a day: its score with the breakdown
// and trend, its open facts and those of the last days.
type CompanyView struct {
	Company     string            `json:"company_code"`
	CompanyName string            `json:"company_name"`
	County      string            `json:"division_code"`
	Park        string            `json:"park_code,omitempty"`
	Day         string            `json:"day"`
	Score       *ScoreView        `json:"score"` // nil: not scored that day
	Trend       *governance.Trend `json:"trend,omitempty"`
	// Online (在线) is false while the company's system or its data collection is
	// offline (an open offline_system or offline_readings fact).
	Online      bool       `json:"online"`
	OpenFacts   []FactView `json:"open_facts"`
	RecentFacts []FactView `json:"recent_facts"` // the last 7 days up to day, newest first
}

// recentDays is how far back a company's recent facts go.
const recentDays = 7

// CompanyDetail fills v (its company code, name, county and park set) for day: the
// score with its breakdown and trend, the open facts and those of the last days.
// It does not authorize.
func (q *Quality) CompanyDetail(ctx context.Context, v CompanyView, day time.Time) (CompanyView, error) {
	code := v.Company
	v.OpenFacts, v.RecentFacts = []FactView{}, []FactView{}
	v.Day = dayString(day)
	sw := &Where{}
	sw.Add("s.company_code = $?", code)
	sw.Add("s.day = ANY($?::date[])", []string{v.Day, dayString(day.AddDate(0, 0, -1))})
	scores, err := q.scoreViews(ctx, sw, 0)
	if err != nil {
		return v, err
	}
	if len(scores) > 0 && scores[0].Day == v.Day {
		v.Score = &scores[0]
		t := governance.Trend{Key: code, Score: scores[0].Score, Previous: scores[0].Score, New: true}
		if len(scores) > 1 {
			t = governance.CompanyTrends([]governance.CompanyScore{{Company: code, Score: scores[0].Score}},
				[]governance.CompanyScore{{Company: code, Score: scores[1].Score}})[0]
		}
		v.Trend = &t
	}
	w := &Where{}
	w.Add("f.company_code = $?", code)
	w.Conds = append(w.Conds, "f.ended_at IS NULL")
	if v.OpenFacts, err = q.factViews(ctx, w, 1000); err != nil {
		return v, err
	}
	v.Online = true
	for _, f := range v.OpenFacts {
		if f.Kind == governance.OfflineSystem || f.Kind == governance.OfflineReadings {
			v.Online = false
		}
	}
	_, end := governance.DayBounds(day)
	w = &Where{}
	w.Add("f.company_code = $?", code)
	w.Add("f.started_at < $?", end)
	w.Add("(f.ended_at IS NULL OR f.ended_at >= $?)", end.AddDate(0, 0, -recentDays))
	if v.RecentFacts, err = q.factViews(ctx, w, 200); err != nil {
		return v, err
	}
	return v, nil
}

// StoredScores reads the stored company scores of the region on a day.
func (q *Quality) StoredScores(ctx context.Context, r Region, day time.Time) ([]governance.CompanyScore, error) {
	w := &Where{}
	w.Scope(r.Scope)
	w.Add("s.day = $?::date", dayString(day))
	views, err := q.scoreViews(ctx, w, 0)
	if err != nil {
		return nil, err
	}
	out := make([]governance.CompanyScore, len(views))
	for i, v := range views {
		out[i] = governance.CompanyScore{Company: v.Company, Day: v.Day, AsOf: v.AsOf, Score: v.Score,
			Dimensions: v.Dimensions, Deductions: v.Deductions, ConfigVersion: v.Config}
	}
	return out, nil
}

// FallerView is a company whose score fell.
type FallerView struct {
	governance.Trend
	CompanyName string `json:"company_name"`
}

// Fallers are the companies of region r whose stored score fell the most since the
// day before day, largest fall first, at most limit. It does not authorize.
func (q *Quality) Fallers(ctx context.Context, r Region, day time.Time, limit int) ([]FallerView, error) {
	today, err := q.StoredScores(ctx, r, day)
	if err != nil {
		return nil, err
	}
	prev, err := q.StoredScores(ctx, r, day.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	names, err := q.Names(ctx, r.Scope)
	if err != nil {
		return nil, err
	}
	out := []FallerView{}
	for _, t := range governance.Fallers(governance.CompanyTrends(today, prev), limit) {
		out = append(out, FallerView{Trend: t, CompanyName: names[t.Key]})
	}
	return out, nil
}

// Names maps the codes of the enterprises in scope to their names.
func (q *Quality) Names(ctx context.Context, s tiers.Scope) (map[string]string, error) {
	w := &Where{}
	w.Scope(s)
	return q.nameMap(ctx, `SELECT e.code, e.name FROM enterprises e WHERE `+w.SQL(), w.Args...)
}

// CompanyScore is a company's stored score of a day with the change since the day
// before (nil: not scored then).
type CompanyScore struct {
	ScoreView
	Previous  *float64 `json:"previous"`
	OpenFacts int      `json:"open_facts"`
}

// CompanyScores returns a page of the stored scores of the companies of scope on
// day, worst first (then by code), and how many there are; paginated in SQL. It does
// not authorize: scope is the caller's.
func (q *Quality) CompanyScores(ctx context.Context, scope tiers.Scope, day time.Time, offset, limit int) ([]CompanyScore, int, error) {
	w := &Where{}
	w.Scope(scope)
	w.Add("s.day = $?::date", dayString(day))
	var total int
	if err := q.pool.QueryRow(ctx, `SELECT count(*) FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE `+w.SQL(), w.Args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("readmodel: count scores: %w", err)
	}
	w.Args = append(w.Args, dayString(day.AddDate(0, 0, -1))) // the previous day, for the trend
	prevArg := len(w.Args)
	rows, err := q.pool.Query(ctx, `SELECT `+scoreColumns+`,
			(SELECT p.score FROM governance_scores p WHERE p.company_code = s.company_code AND p.day = $`+strconv.Itoa(prevArg)+`::date),
			(SELECT count(*) FROM governance_facts f WHERE f.company_code = s.company_code AND f.ended_at IS NULL)
		FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE `+w.SQL()+` ORDER BY s.score, s.company_code
		LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), w.Args...)
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: list scores: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CompanyScore, error) {
		var v CompanyScore
		err := r.Scan(&v.Company, &v.CompanyName, &v.County, &v.Park, &v.Day, &v.Score, &v.Dimensions, &v.Deductions,
			&v.AsOf, &v.Final, &v.Config, &v.Previous, &v.OpenFacts)
		return v, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("readmodel: list scores: %w", err)
	}
	return nonNil(list), total, nil
}

// RegionScore is the stored rollup of region r on day and its change since the day
// before (nil when nothing was scored). It does not authorize.
func (q *Quality) RegionScore(ctx context.Context, r Region, day time.Time) (*governance.RegionScore, *governance.Trend, error) {
	v, err := q.Regions(ctx, r, day)
	if err != nil {
		return nil, nil, err
	}
	return v.Score, v.Trend, nil
}

// Scores returns the stored scores of the companies of scope on day by company
// code, those after the code after ("" from the first), at most limit.
func (q *Quality) Scores(ctx context.Context, scope tiers.Scope, day time.Time, after string, limit int) ([]ScoreView, error) {
	w := &Where{}
	w.Scope(scope)
	w.Add("s.day = $?::date", dayString(day))
	if after != "" {
		w.Add("s.company_code > $?", after)
	}
	list, err := q.scoreViews(ctx, w, limit)
	return nonNil(list), err
}

// FactFilter selects stored facts for Facts.
type FactFilter struct {
	Scopes  []tiers.Scope // the facts of companies every one of them reaches
	Company string        // "" for all
	Kind    string        // "" for all
	Open    *bool         // nil for both
	Day     time.Time     // the facts open at some time of that local day; zero for any
	After   *FactCursor   // the facts after this place, newest first; nil from the newest
	Limit   int
}

// FactCursor is the place of a fact in the newest-first order.
type FactCursor struct {
	Started time.Time `json:"s"`
	ID      string    `json:"i"`
}

// Facts returns the stored facts f selects, newest first.
func (q *Quality) Facts(ctx context.Context, f FactFilter) ([]FactView, error) {
	w := &Where{}
	for _, s := range f.Scopes {
		w.Scope(s)
	}
	if f.Company != "" {
		w.Add("f.company_code = $?", f.Company)
	}
	if f.Kind != "" {
		w.Add("f.kind = $?", f.Kind)
	}
	if f.Open != nil && *f.Open {
		w.Conds = append(w.Conds, "f.ended_at IS NULL")
	} else if f.Open != nil {
		w.Conds = append(w.Conds, "f.ended_at IS NOT NULL")
	}
	if !f.Day.IsZero() {
		start, end := governance.DayBounds(f.Day)
		w.Add("f.started_at < $?", end)
		w.Add("(f.ended_at IS NULL OR f.ended_at >= $?)", start)
	}
	if f.After != nil {
		w.Args = append(w.Args, f.After.Started, f.After.ID)
		n := len(w.Args)
		w.Conds = append(w.Conds, fmt.Sprintf("(f.started_at, f.fact_id) < ($%d, $%d)", n-1, n))
	}
	if len(w.Conds) == 0 {
		w.Conds = append(w.Conds, "TRUE")
	}
	return q.factViews(ctx, w, f.Limit)
}

func invalid(zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
}
