package governancesvc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/web"
)

// Handler serves the governance API.
type Handler struct {
	svc   *Service
	guard web.Guard
	books *workbooks // Excel reports of final days
}

// NewHandler returns the handler.
func NewHandler(svc *Service, guard web.Guard) *Handler {
	return &Handler{svc: svc, guard: guard, books: newWorkbooks(WorkbookCacheSize)}
}

// Register mounts under r (the /api/v1 group). Every route reads stored facts and
// scores only, scoped to the caller's region (tiers): a region parameter is a
// division code (province, city, county) or park:CODE, by default the caller's own
// domain, and one outside the caller's region is refused (403, audited). day is
// yyyy-mm-dd (Asia/Shanghai), by default today.
//
//	GET /governance/scores             company scores of a day: region, day, after (company code), limit
//	GET /governance/regions            a region's score and the ranking of the regions under it, with day-over-day trends
//	GET /governance/companies/:code    a company's score, breakdown, open and recent facts with evidence
//	GET /governance/facts              facts: region, company, kind, open, day, cursor, limit
//	GET /governance/rejections         各表校验拒收情况: records received, rejected and their share per table and rule: region or company, day
//	GET /governance/fallers            the companies whose score fell most since the previous day: region, day, limit
//	GET /governance/report             the daily report (治理日报) of a region as JSON: region, day
//	GET /governance/report.xlsx        the same report as an Excel workbook
//	GET /share/governance/report       the daily report through the data-sharing API (share service accounts)
func (h *Handler) Register(r fiber.Router) {
	read := h.guard.Require(policy.ObjData, policy.ActRead)
	r.Get("/governance/scores", read, h.scores)
	r.Get("/governance/regions", read, h.regions)
	r.Get("/governance/companies/:code", read, h.company)
	r.Get("/governance/facts", read, h.facts)
	r.Get("/governance/fallers", read, h.fallers)
	r.Get("/governance/rejections", read, h.rejections)
	r.Get("/governance/report", read, h.report)
	r.Get("/governance/report.xlsx", read, h.reportXLSX)
	r.Get("/share/governance/report", h.guard.Require(policy.ObjShare, policy.ActRead), h.shareReport)
}

func invalid(zh, en string, args ...any) error {
	return chemguard.Errorf(chemguard.EInvalid, zh, en, args...)
}

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

// region resolves the region parameter (the caller's domain when absent) and checks
// the caller may do act on obj there.
func (h *Handler) region(c *fiber.Ctx, obj string) (Region, error) {
	v := c.Query("region")
	if v == "" {
		v = h.guard.Domain(c)
		if strings.HasPrefix(v, "ent:") {
			return Region{}, chemguard.Errorf(chemguard.EForbidden, "企业账号只能查看本企业的数据质量（/governance/companies/{code}）",
				"an enterprise account sees its own company only (/governance/companies/{code})")
		}
	}
	r, err := h.ResolveRegion(c.UserContext(), v)
	if chemguard.ErrorCode(err) == chemguard.ENotFound {
		// Refused like a region outside the caller's, unless it reaches the province.
		if cerr := h.guard.Check(c, obj, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return r, cerr
		}
	}
	if err != nil {
		return r, err
	}
	return r, h.guard.Check(c, obj, policy.ActRead, r.Path)
}

// ResolveRegion resolves a region parameter: a division code (province, city,
// county) or park:CODE; an unknown park is not found. It does not authorize.
func (h *Handler) ResolveRegion(ctx context.Context, v string) (Region, error) {
	var r Region
	if code, ok := strings.CutPrefix(v, "park:"); ok {
		var county, name string
		err := h.svc.pool.QueryRow(ctx, `SELECT division_code, name FROM parks WHERE code = $1`, code).Scan(&county, &name)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, chemguard.Errorf(chemguard.ENotFound, "园区「%s」不存在", "no park %q", code)
		}
		if err != nil {
			return r, fmt.Errorf("quality: park %s: %w", code, err)
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

// regionDay is region and day.
func (h *Handler) regionDay(c *fiber.Ctx, obj string) (Region, time.Time, error) {
	r, err := h.region(c, obj)
	if err != nil {
		return r, time.Time{}, err
	}
	day, err := h.day(c)
	return r, day, err
}

// day parses the day parameter (today by default) as the local midnight; a day
// after today is refused (its scores would be made up from the facts open now).
func (h *Handler) day(c *fiber.Ctx) (time.Time, error) {
	return h.ParseDay(c.Query("day"))
}

// ParseDay parses a day yyyy-mm-dd (today when "") as its local midnight and refuses
// a day after today.
func (h *Handler) ParseDay(v string) (time.Time, error) {
	today, _ := governance.DayBounds(h.svc.cfg.Now())
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

func limitOf(c *fiber.Ctx, def int) (int, error) {
	return queryparam.Limit(c, def)
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
func (h *Handler) scoreViews(ctx context.Context, w *where, limit int) ([]ScoreView, error) {
	sql := `SELECT ` + scoreColumns + ` FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE ` + w.sql() + ` ORDER BY s.company_code, s.day DESC`
	if limit > 0 {
		sql += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := h.svc.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("quality: read scores: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanScore)
	if err != nil {
		return nil, fmt.Errorf("quality: read scores: %w", err)
	}
	return list, nil
}

func scanScore(r pgx.CollectableRow) (ScoreView, error) {
	var v ScoreView
	err := r.Scan(&v.Company, &v.CompanyName, &v.County, &v.Park, &v.Day, &v.Score, &v.Dimensions, &v.Deductions,
		&v.AsOf, &v.Final, &v.Config)
	return v, err
}

// where joins conditions and numbers their placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) scope(s tiers.Scope) {
	cond, args := s.Where("e", len(w.args)+1)
	w.conds, w.args = append(w.conds, cond), append(w.args, args...)
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(w.args))))
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

// scores serves GET /governance/scores: company scores of the region on a day, by
// company code, after the code given.
func (h *Handler) scores(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	limit, err := limitOf(c, 100)
	if err != nil {
		return err
	}
	w := &where{}
	w.scope(r.Scope)
	w.add("s.day = $?::date", dayString(day))
	if v := c.Query("after"); v != "" {
		w.add("s.company_code > $?", v)
	}
	list, err := h.scoreViews(c.UserContext(), w, limit)
	if err != nil {
		return err
	}
	next := ""
	if len(list) == limit {
		next = list[len(list)-1].Company
	}
	return c.JSON(fiber.Map{"region": r, "day": dayString(day), "scores": nonNil(list), "next_after": next})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// regionRows reads the stored rollups of a day: the region itself and its children.
func (h *Handler) regionRows(ctx context.Context, r Region, day time.Time) ([]governance.RegionScore, error) {
	rows, err := h.svc.pool.Query(ctx, `SELECT region, level, parent, day::text, score, companies, min_score, max_score
		FROM governance_region_scores WHERE day = $1::date AND ((region = $2 AND level = $3) OR (parent = $2 AND level = $4))`,
		dayString(day), r.Code, r.Level, r.childLevel())
	if err != nil {
		return nil, fmt.Errorf("quality: read rollups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (governance.RegionScore, error) {
		var x governance.RegionScore
		return x, row.Scan(&x.Region, &x.Level, &x.Parent, &x.Day, &x.Score, &x.Companies, &x.Min, &x.Max)
	})
	if err != nil {
		return nil, fmt.Errorf("quality: read rollups: %w", err)
	}
	return out, nil
}

// RankedRegion is a child region in a ranking, with its day-over-day trend.
type RankedRegion struct {
	governance.RegionScore
	Name  string           `json:"name"`
	Trend governance.Trend `json:"trend"`
}

// RegionsView is GET /governance/regions.
type RegionsView struct {
	Region   Region                  `json:"region"`
	Day      string                  `json:"day"`
	Score    *governance.RegionScore `json:"score"` // nil: no scored company yet
	Trend    *governance.Trend       `json:"trend,omitempty"`
	Children []RankedRegion          `json:"children"`
}

// regions serves GET /governance/regions: the region's rollup and the ranking of the
// regions directly under it (cities, counties of a city, parks of a county), each
// with the change since the previous day.
func (h *Handler) regions(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	v, err := h.Regions(c.UserContext(), r, day)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// Regions is the rollup of region r on day with the ranking of the regions directly
// under it and their day-over-day trends. It does not authorize.
func (h *Handler) Regions(ctx context.Context, r Region, day time.Time) (RegionsView, error) {
	v := RegionsView{Region: r, Day: dayString(day), Children: []RankedRegion{}}
	today, err := h.regionRows(ctx, r, day)
	if err != nil {
		return v, err
	}
	prev, err := h.regionRows(ctx, r, day.AddDate(0, 0, -1))
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
	names, err := h.parkNames(ctx)
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

func (h *Handler) parkNames(ctx context.Context) (map[string]string, error) {
	return h.nameMap(ctx, `SELECT code, name FROM parks`)
}

// nameMap reads code → name pairs.
func (h *Handler) nameMap(ctx context.Context, sql string, args ...any) (map[string]string, error) {
	rows, err := h.svc.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("quality: names: %w", err)
	}
	out := map[string]string{}
	var code, name string
	_, err = pgx.ForEachRow(rows, []any{&code, &name}, func() error { out[code] = name; return nil })
	if err != nil {
		return nil, fmt.Errorf("quality: names: %w", err)
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

func (h *Handler) factViews(ctx context.Context, w *where, limit int) ([]FactView, error) {
	rows, err := h.svc.pool.Query(ctx, `SELECT f.doc, e.name, f.updated_at FROM governance_facts f
		JOIN enterprises e ON e.code = f.company_code WHERE `+w.sql()+`
		ORDER BY f.started_at DESC, f.fact_id DESC LIMIT `+strconv.Itoa(limit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("quality: list facts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FactView, error) {
		var v FactView
		err := r.Scan(&v.Fact, &v.CompanyName, &v.UpdatedAt)
		rule := h.svc.cfg.Rules.Kinds[v.Kind]
		v.NameZH, v.Dimension, v.Open = rule.NameZH, rule.Dimension, v.Fact.Open()
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("quality: list facts: %w", err)
	}
	return nonNil(list), nil
}

// factCursor is the place of the last fact of a page.
type factCursor struct {
	Started time.Time `json:"s"`
	ID      string    `json:"i"`
}

// facts serves GET /governance/facts, newest first.
func (h *Handler) facts(c *fiber.Ctx) error {
	w := &where{}
	w.scope(tiers.ScopeOf(h.guard.Domain(c)))
	if c.Query("region") != "" {
		r, err := h.region(c, policy.ObjData)
		if err != nil {
			return err
		}
		w.scope(r.Scope)
	}
	if v := c.Query("company"); v != "" {
		w.add("f.company_code = $?", v)
	}
	if v := c.Query("kind"); v != "" {
		if _, ok := h.svc.cfg.Rules.Kinds[governance.Kind(v)]; !ok {
			return invalid("kind 不是已知的质量事实类型", "kind is not a known fact kind")
		}
		w.add("f.kind = $?", v)
	}
	switch c.Query("open") {
	case "":
	case "true":
		w.conds = append(w.conds, "f.ended_at IS NULL")
	case "false":
		w.conds = append(w.conds, "f.ended_at IS NOT NULL")
	default:
		return invalid("open 须为 true 或 false", "open must be true or false")
	}
	if c.Query("day") != "" {
		day, err := h.day(c)
		if err != nil {
			return err
		}
		start, end := governance.DayBounds(day)
		w.add("f.started_at < $?", end)
		w.add("(f.ended_at IS NULL OR f.ended_at >= $?)", start)
	}
	if v := c.Query("cursor"); v != "" {
		var cur factCursor
		if _, err := queryparam.Cursor(c, &cur); err != nil {
			return err
		}
		w.args = append(w.args, cur.Started, cur.ID)
		n := len(w.args)
		w.conds = append(w.conds, fmt.Sprintf("(f.started_at, f.fact_id) < ($%d, $%d)", n-1, n))
	}
	limit, err := limitOf(c, 100)
	if err != nil {
		return err
	}
	list, err := h.factViews(c.UserContext(), w, limit)
	if err != nil {
		return err
	}
	next := ""
	if len(list) == limit {
		last := list[len(list)-1]
		b, _ := json.Marshal(factCursor{Started: last.Started, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return c.JSON(fiber.Map{"facts": list, "next_cursor": next})
}

// CompanyView is GET /governance/companies/:code.
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

// company serves GET /governance/companies/:code.
func (h *Handler) company(c *fiber.Ctx) error {
	code := c.Params("code")
	v := CompanyView{Company: code, OpenFacts: []FactView{}, RecentFacts: []FactView{}}
	var err error
	if v.CompanyName, v.County, v.Park, err = h.companyOf(c, code); err != nil {
		return err
	}
	day, err := h.day(c)
	if err != nil {
		return err
	}
	if v, err = h.CompanyDetail(c.UserContext(), v, day); err != nil {
		return err
	}
	return c.JSON(v)
}

// companyOf is the name, county and park of the registered company code, which the
// caller must be allowed to read.
func (h *Handler) companyOf(c *fiber.Ctx, code string) (name, county, park string, err error) {
	err = h.svc.pool.QueryRow(c.UserContext(), `SELECT name, division_code, COALESCE(park_code, '') FROM enterprises
		WHERE code = $1`, code).Scan(&name, &county, &park)
	if errors.Is(err, pgx.ErrNoRows) {
		// Only a caller who reaches the province learns that a code is unregistered.
		if cerr := h.guard.Check(c, policy.ObjData, policy.ActRead, tiers.ProvinceCode); cerr != nil {
			return "", "", "", cerr
		}
		return "", "", "", chemguard.Errorf(chemguard.ENotFound, "企业「%s」未登记", "no enterprise %q", code)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("quality: company %s: %w", code, err)
	}
	return name, county, park, h.guard.Check(c, policy.ObjData, policy.ActRead, tiers.EnterprisePath(county, park, code))
}

// CompanyDetail fills v (its company code, name, county and park set) for day: the
// score with its breakdown and trend, the open facts and those of the last days.
// It does not authorize.
func (h *Handler) CompanyDetail(ctx context.Context, v CompanyView, day time.Time) (CompanyView, error) {
	code := v.Company
	v.OpenFacts, v.RecentFacts = []FactView{}, []FactView{}
	v.Day = dayString(day)
	sw := &where{}
	sw.add("s.company_code = $?", code)
	sw.add("s.day = ANY($?::date[])", []string{v.Day, dayString(day.AddDate(0, 0, -1))})
	scores, err := h.scoreViews(ctx, sw, 0)
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
	w := &where{}
	w.add("f.company_code = $?", code)
	w.conds = append(w.conds, "f.ended_at IS NULL")
	if v.OpenFacts, err = h.factViews(ctx, w, 1000); err != nil {
		return v, err
	}
	v.Online = true
	for _, f := range v.OpenFacts {
		if f.Kind == governance.OfflineSystem || f.Kind == governance.OfflineReadings {
			v.Online = false
		}
	}
	_, end := governance.DayBounds(day)
	w = &where{}
	w.add("f.company_code = $?", code)
	w.add("f.started_at < $?", end)
	w.add("(f.ended_at IS NULL OR f.ended_at >= $?)", end.AddDate(0, 0, -recentDays))
	if v.RecentFacts, err = h.factViews(ctx, w, 200); err != nil {
		return v, err
	}
	return v, nil
}

// storedScores reads the stored company scores of the region on a day.
func (h *Handler) storedScores(ctx context.Context, r Region, day time.Time) ([]governance.CompanyScore, error) {
	w := &where{}
	w.scope(r.Scope)
	w.add("s.day = $?::date", dayString(day))
	views, err := h.scoreViews(ctx, w, 0)
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

// fallers serves GET /governance/fallers: the region's companies whose stored score
// fell the most since the previous day, largest fall first.
func (h *Handler) fallers(c *fiber.Ctx) error {
	r, day, err := h.regionDay(c, policy.ObjData)
	if err != nil {
		return err
	}
	limit, err := limitOf(c, 20)
	if err != nil {
		return err
	}
	out, err := h.Fallers(c.UserContext(), r, day, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"region": r, "day": dayString(day), "fallers": out})
}

// Fallers are the companies of region r whose stored score fell the most since the
// day before day, largest fall first, at most limit. It does not authorize.
func (h *Handler) Fallers(ctx context.Context, r Region, day time.Time, limit int) ([]FallerView, error) {
	today, err := h.storedScores(ctx, r, day)
	if err != nil {
		return nil, err
	}
	prev, err := h.storedScores(ctx, r, day.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	names, err := h.names(ctx, r.Scope)
	if err != nil {
		return nil, err
	}
	out := []FallerView{}
	for _, t := range governance.Fallers(governance.CompanyTrends(today, prev), limit) {
		out = append(out, FallerView{Trend: t, CompanyName: names[t.Key]})
	}
	return out, nil
}

// names maps the codes of the enterprises in scope to their names.
func (h *Handler) names(ctx context.Context, s tiers.Scope) (map[string]string, error) {
	w := &where{}
	w.scope(s)
	return h.nameMap(ctx, `SELECT e.code, e.name FROM enterprises e WHERE `+w.sql(), w.args...)
}

// ReportView is a region's daily report with the names a reader needs.
type ReportView struct {
	governance.Report
	RegionName   string            `json:"region_name"`
	CompanyNames map[string]string `json:"company_names"`
	RegionNames  map[string]string `json:"region_names"` // of the ranked child regions
	KindNames    map[string]string `json:"kind_names"`
	// Rejections are the region's 各表校验拒收情况 of the day (Handler.Rejections).
	Rejections []RejectionRow `json:"rejections"`
}

// topOffenders bounds a report's fallers and worst companies.
const topOffenders = 20

// Report builds the daily report of region r for the local day of day from the
// stored facts, the registry and the previous day's stored scores: counting facts up
// to now for today, to the day's end for a past day (so a past day's report holds
// exactly its final stored scores).
func (h *Handler) Report(ctx context.Context, r Region, day time.Time) (ReportView, error) {
	start, end := governance.DayBounds(day)
	asOf := h.svc.cfg.Now()
	if asOf.After(end) {
		asOf = end
	}
	tx, err := h.svc.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return ReportView{}, fmt.Errorf("quality: report: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	members, err := Members(ctx, tx)
	if err != nil {
		return ReportView{}, err
	}
	facts, err := DayFacts(ctx, tx, start, end)
	if err != nil {
		return ReportView{}, err
	}
	prev, err := h.storedScores(ctx, r, day.AddDate(0, 0, -1))
	if err != nil {
		return ReportView{}, err
	}
	rep := governance.DailyReport(&h.svc.cfg.Rules, r.Code, day, asOf, facts, members, prev, topOffenders)
	v := ReportView{Report: rep, RegionName: r.Name, RegionNames: map[string]string{}, KindNames: map[string]string{}}
	if v.CompanyNames, err = h.names(ctx, r.Scope); err != nil {
		return v, err
	}
	if v.Rejections, err = h.rejectionRows(ctx, tx, r.Scope, "", day); err != nil {
		return v, err
	}
	parks, err := h.parkNames(ctx)
	if err != nil {
		return v, err
	}
	for _, x := range rep.Children {
		v.RegionNames[x.Region] = parks[x.Region]
		if d, ok := tiers.DivisionByCode(x.Region); ok && x.Level != governance.LevelPark {
			v.RegionNames[x.Region] = d.NameZH
		}
	}
	for k, rule := range h.svc.cfg.Rules.Kinds {
		v.KindNames[string(k)] = rule.NameZH
	}
	return v, nil
}

func (h *Handler) reportOf(c *fiber.Ctx, obj string) (ReportView, error) {
	r, day, err := h.regionDay(c, obj)
	if err != nil {
		return ReportView{}, err
	}
	return h.Report(c.UserContext(), r, day)
}

// report serves GET /governance/report.
func (h *Handler) report(c *fiber.Ctx) error {
	v, err := h.reportOf(c, policy.ObjData)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// shareReport serves GET /share/governance/report: the same report for the share
// service accounts of a region's own systems.
func (h *Handler) shareReport(c *fiber.Ctx) error {
	v, err := h.reportOf(c, policy.ObjShare)
	if err != nil {
		return err
	}
	return c.JSON(v)
}
