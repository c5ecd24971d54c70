package readmodel

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Rollout answers the regulators' questions about the six systems (推广应用进度) and
// the 双重预防 figures the platform holds of each company: what the companies sent
// (the exchange tables and rollout_connections, written by the governance runner),
// what governance found (governance_facts) and what the counties accepted
// (rollout_acceptances). Lists take a Region, resolved and authorized by the caller.
type Rollout struct {
	db
	now func() time.Time
}

// NewRollout returns the rollout queries on pool; now is the clock (time.Now when nil).
func NewRollout(pool *pgxpool.Pool, now func() time.Time) *Rollout {
	if now == nil {
		now = time.Now
	}
	return &Rollout{db: db{pool}, now: now}
}

// freshness is how long after a table's required interval its last record still
// counts as current: the governance rules' upload grace would flag a single late
// upload; the rollout page asks whether the system is in use, so a day's slack.
const freshness = 24 * time.Hour

// SystemStatus is one company's state of one of the six systems.
type SystemStatus struct {
	System    governance.System
	Owed      bool      // the company must build it (by its kind)
	Connected bool      // at least one of its tables received (全要素: accepted by the county)
	Source    string    // "base", "own" or "both": which system sent its tables
	First     time.Time // first record received
	Last      time.Time // last record received
	Current   bool      // every owed table it sent is within its seed frequency (plus a day)
	Stale     []string  // the owed tables that are not
	Missing   []string  // the owed tables never sent
	Accepted  *AcceptanceView
}

// StateZH is the status as the rollout page prints it.
func (s SystemStatus) StateZH() string {
	switch {
	case !s.Owed && !s.Connected:
		return "不适用"
	case !s.Connected && s.System.Group == "":
		return "未确认"
	case !s.Connected:
		return "未接入"
	case s.System.Group == "":
		return "县级已确认"
	case len(s.Missing) > 0 || len(s.Stale) > 0:
		return "已接入·数据不全"
	}
	return "已接入"
}

// SourceZH names the sending system.
func (s SystemStatus) SourceZH() string {
	return map[string]string{"base": "基础版系统", "own": "企业自建系统", "both": "基础版与自建系统"}[s.Source]
}

// AcceptanceView is the latest 验收 of a company's system.
type AcceptanceView struct {
	Result string
	On     time.Time
	By     string
	Note   string
}

// Passed reports whether the 验收 passed.
func (a *AcceptanceView) Passed() bool { return a != nil && a.Result == "passed" }

// CompanyRollout is one company's six systems.
type CompanyRollout struct {
	Code, Name, County, Kind string
	Systems                  []SystemStatus // in governance.Systems' order
}

// RegionRollout sums the companies of one region under the asked one.
type RegionRollout struct {
	Code, Name string
	Companies  int
	Owed       []int // per system: companies that must build it
	Connected  []int // … that have connected it
	Accepted   []int // … whose latest 验收 passed
	NeverSent  int   // companies with an open table_never_sent fact
}

// ProgressView is the province's (a city's, a county's) progress report.
type ProgressView struct {
	Region    Region
	Systems   []governance.System
	Total     RegionRollout
	Regions   []RegionRollout  // by city (province), county (city) — empty for a county or park
	Companies []CompanyRollout // every company of the region, by county and code
}

// childKey is the SQL that names the region under r an enterprise e falls in.
func childKey(r Region) string {
	switch r.Level {
	case governance.LevelProvince:
		return "left(e.division_code, 4) || '00'"
	case governance.LevelCity:
		return "e.division_code"
	}
	return "''"
}

type connRow struct {
	company, table, source string
	first, last            time.Time
}

// Progress reads the rollout of every enabled company of r.
func (q *Rollout) Progress(ctx context.Context, r Region) (ProgressView, error) {
	now := q.now()
	v := ProgressView{Region: r, Systems: governance.Systems}
	var w Where
	w.Scope(r.Scope)
	w.Conds = append(w.Conds, "e.disabled_at IS NULL")
	rows, err := q.pool.Query(ctx, `SELECT e.code, e.name, e.division_code, e.kind, `+childKey(r)+`
		FROM enterprises e WHERE `+w.SQL()+` ORDER BY e.division_code, e.code`, w.Args...)
	if err != nil {
		return v, fmt.Errorf("readmodel: rollout companies: %w", err)
	}
	byCode := map[string]int{}
	child := map[string]string{}
	var code, name, county, kind, key string
	if _, err := pgx.ForEachRow(rows, []any{&code, &name, &county, &kind, &key}, func() error {
		byCode[code] = len(v.Companies)
		child[code] = key
		v.Companies = append(v.Companies, CompanyRollout{Code: code, Name: name, County: county, Kind: kind})
		return nil
	}); err != nil {
		return v, fmt.Errorf("readmodel: rollout companies: %w", err)
	}
	conns, err := q.connections(ctx, w)
	if err != nil {
		return v, err
	}
	acc, err := q.acceptances(ctx, w)
	if err != nil {
		return v, err
	}
	never := map[string]int{}
	if err := q.group(ctx, &never, `SELECT f.company_code, count(*) FROM governance_facts f
		JOIN enterprises e ON e.code = f.company_code WHERE f.ended_at IS NULL AND f.kind = '`+string(governance.TableNeverSent)+
		`' AND `+w.SQL()+` GROUP BY 1`, w.Args...); err != nil {
		return v, err
	}
	for i := range v.Companies {
		c := &v.Companies[i]
		c.Systems = systemsOf(c.Kind, conns[c.Code], acc[c.Code], now)
	}
	v.Total, v.Regions = summarize(r, v.Companies, child, never)
	return v, nil
}

// CompanySystems reads one company's six systems. It does not authorize.
func (q *Rollout) CompanySystems(ctx context.Context, code string) (CompanyRollout, error) {
	c := CompanyRollout{Code: code}
	if err := q.pool.QueryRow(ctx, `SELECT name, division_code, kind FROM enterprises WHERE code = $1`, code).
		Scan(&c.Name, &c.County, &c.Kind); err != nil {
		return c, fmt.Errorf("readmodel: rollout of %s: %w", code, err)
	}
	w := Where{}
	w.Scope(tiers.Scope{Enterprise: code})
	conns, err := q.connections(ctx, w)
	if err != nil {
		return c, err
	}
	acc, err := q.acceptances(ctx, w)
	if err != nil {
		return c, err
	}
	c.Systems = systemsOf(c.Kind, conns[code], acc[code], q.now())
	return c, nil
}

func (q *Rollout) connections(ctx context.Context, w Where) (map[string][]connRow, error) {
	rows, err := q.pool.Query(ctx, `SELECT c.company_code, c.table_name, c.source, c.first_at, c.last_at
		FROM rollout_connections c JOIN enterprises e ON e.code = c.company_code WHERE `+w.SQL(), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: rollout connections: %w", err)
	}
	out := map[string][]connRow{}
	var c connRow
	if _, err := pgx.ForEachRow(rows, []any{&c.company, &c.table, &c.source, &c.first, &c.last}, func() error {
		out[c.company] = append(out[c.company], c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("readmodel: rollout connections: %w", err)
	}
	return out, nil
}

func (q *Rollout) acceptances(ctx context.Context, w Where) (map[string]map[string]*AcceptanceView, error) {
	rows, err := q.pool.Query(ctx, `SELECT DISTINCT ON (a.company_code, a.system) a.company_code, a.system, a.result,
		a.accepted_on, a.recorded_by, a.note FROM rollout_acceptances a JOIN enterprises e ON e.code = a.company_code
		WHERE `+w.SQL()+` ORDER BY a.company_code, a.system, a.id DESC`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: rollout acceptances: %w", err)
	}
	out := map[string]map[string]*AcceptanceView{}
	var company, system string
	var a AcceptanceView
	if _, err := pgx.ForEachRow(rows, []any{&company, &system, &a.Result, &a.On, &a.By, &a.Note}, func() error {
		if out[company] == nil {
			out[company] = map[string]*AcceptanceView{}
		}
		cp := a
		out[company][system] = &cp
		return nil
	}); err != nil {
		return nil, fmt.Errorf("readmodel: rollout acceptances: %w", err)
	}
	return out, nil
}

// systemsOf judges a company's six systems from its connections and 验收.
func systemsOf(kind string, conns []connRow, acc map[string]*AcceptanceView, now time.Time) []SystemStatus {
	out := make([]SystemStatus, 0, len(governance.Systems))
	for _, sys := range governance.Systems {
		s := SystemStatus{System: sys, Owed: sys.Owes(kind), Accepted: acc[sys.Key]}
		tables := map[string]bool{}
		for _, t := range sys.Tables() {
			tables[t] = true
		}
		last := map[string]time.Time{}
		sources := map[string]bool{}
		for _, c := range conns {
			if !tables[c.table] {
				continue
			}
			sources[c.source] = true
			if s.First.IsZero() || c.first.Before(s.First) {
				s.First = c.first
			}
			s.Last = later(s.Last, c.last)
			last[c.table] = later(last[c.table], c.last)
		}
		switch {
		case sources["base"] && sources["own"]:
			s.Source = "both"
		case sources["base"]:
			s.Source = "base"
		case sources["own"]:
			s.Source = "own"
		}
		s.Connected = len(sources) > 0
		if sys.Group == "" { // 全要素: declared by the county at 验收
			s.Connected = s.Accepted.Passed()
		}
		if s.Connected && s.Owed {
			for _, t := range sys.Owed {
				l, ok := last[t]
				if !ok {
					s.Missing = append(s.Missing, t)
					continue
				}
				tb, _ := schemas.TableBySlug(t)
				if tb.Frequency.Interval > 0 && now.Sub(l) > tb.Frequency.Interval+freshness {
					s.Stale = append(s.Stale, t)
				}
			}
		}
		s.Current = s.Connected && len(s.Missing) == 0 && len(s.Stale) == 0
		out = append(out, s)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func summarize(r Region, cos []CompanyRollout, child map[string]string, never map[string]int) (RegionRollout, []RegionRollout) {
	n := len(governance.Systems)
	blank := func(code string) *RegionRollout {
		return &RegionRollout{Code: code, Name: RegionName(code), Owed: make([]int, n), Connected: make([]int, n),
			Accepted: make([]int, n)}
	}
	total := blank(r.Code)
	total.Name = r.Name
	regions := map[string]*RegionRollout{}
	for _, c := range cos {
		targets := []*RegionRollout{total}
		if k := child[c.Code]; k != "" {
			if regions[k] == nil {
				regions[k] = blank(k)
			}
			targets = append(targets, regions[k])
		}
		for _, t := range targets {
			t.Companies++
			if never[c.Code] > 0 {
				t.NeverSent++
			}
			for i, s := range c.Systems {
				if s.Owed {
					t.Owed[i]++
				}
				if s.Owed && s.Connected {
					t.Connected[i]++
				}
				if s.Owed && s.Accepted.Passed() {
					t.Accepted[i]++
				}
			}
		}
	}
	var out []RegionRollout
	if r.Level == governance.LevelProvince || r.Level == governance.LevelCity {
		for _, d := range tiers.Children(r.Code) {
			if regions[d.Code] == nil {
				regions[d.Code] = blank(d.Code)
			}
		}
	}
	for _, v := range regions {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return *total, out
}

// DualView is one company's 双重预防 figures as the platform holds them.
type DualView struct {
	Units, Events, Measures, Tasks int
	OverdueChecks                  int // open check_overdue facts
	BrokenLinks                    int // open chain facts
	Dangers                        DangerCounts
	Tables                         []TableUpload // the six tables' last upload
	Overdue                        []FactView    // the open overdue checks and 隐患, oldest first (at most 20)
}

// DangerCounts are hidden dangers (not deleted) by level and state.
type DangerCounts struct {
	GeneralOpen, MajorOpen       int // not 已验收
	GeneralOverdue, MajorOverdue int // not 已验收, past DANGER_MANAGE_DEADLINE
	Accepted                     int
}

// TableUpload is a table's first and last record and the sending system.
type TableUpload struct {
	Table       *schemas.Table
	First, Last time.Time
	Source      string
	Records     int64
}

// dualTables are the 双重预防 tables in seed order.
func dualTables() []string {
	s, _ := governance.SystemByKey("dual-prevention")
	return s.Tables()
}

// chainKinds are the open facts the 双重预防 section counts as broken links.
var chainKinds = []string{string(governance.ChainEventUnit), string(governance.ChainMeasureEvent),
	string(governance.ChainTaskMeasure), string(governance.ChainRecordTask), string(governance.DangerHazardUnknown),
	string(governance.DangerMeasureUnknown)}

// Dual reads company code's 双重预防 figures. It does not authorize.
func (q *Rollout) Dual(ctx context.Context, code string) (DualView, error) {
	var v DualView
	deadline := q.now().In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	err := q.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM x_risk_units WHERE company_code = $1 AND NOT deleted),
		(SELECT count(*) FROM x_risk_events WHERE company_code = $1 AND NOT deleted),
		(SELECT count(*) FROM x_control_measures WHERE company_code = $1 AND NOT deleted),
		(SELECT count(*) FROM x_check_tasks WHERE company_code = $1 AND NOT deleted),
		(SELECT count(*) FROM governance_facts WHERE company_code = $1 AND ended_at IS NULL AND kind = $2),
		(SELECT count(*) FROM governance_facts WHERE company_code = $1 AND ended_at IS NULL AND kind = ANY($3))`,
		code, string(governance.CheckOverdue), chainKinds).
		Scan(&v.Units, &v.Events, &v.Measures, &v.Tasks, &v.OverdueChecks, &v.BrokenLinks)
	if err != nil {
		return v, fmt.Errorf("readmodel: 双重预防 of %s: %w", code, err)
	}
	var w Where
	w.Scope(tiers.Scope{Enterprise: code})
	rows, err := q.dangerCounts(ctx, "e.code", w, deadline)
	if err != nil {
		return v, err
	}
	v.Dangers = rows[code]
	conns, err := q.pool.Query(ctx, `SELECT table_name, min(first_at), max(last_at), sum(records)::bigint,
		CASE WHEN count(DISTINCT source) > 1 THEN 'both' ELSE min(source) END
		FROM rollout_connections WHERE company_code = $1 AND table_name = ANY($2) GROUP BY 1`, code, dualTables())
	if err != nil {
		return v, fmt.Errorf("readmodel: 双重预防 uploads of %s: %w", code, err)
	}
	got := map[string]TableUpload{}
	var t TableUpload
	var slug string
	if _, err := pgx.ForEachRow(conns, []any{&slug, &t.First, &t.Last, &t.Records, &t.Source}, func() error {
		got[slug] = t
		return nil
	}); err != nil {
		return v, fmt.Errorf("readmodel: 双重预防 uploads of %s: %w", code, err)
	}
	for _, slug := range dualTables() {
		tb, _ := schemas.TableBySlug(slug)
		u := got[slug]
		u.Table = tb
		v.Tables = append(v.Tables, u)
	}
	fw := Where{}
	fw.Add("f.company_code = $?", code)
	fw.Add("f.kind = ANY($?)", []string{string(governance.CheckOverdue), string(governance.DangerOverdue),
		string(governance.MajorDangerOverdue)})
	fw.Conds = append(fw.Conds, "f.ended_at IS NULL")
	if v.Overdue, err = q.facts(ctx, fw, 20); err != nil {
		return v, err
	}
	return v, nil
}

// facts reads open facts matching w (over governance_facts f), oldest first.
func (q *Rollout) facts(ctx context.Context, w Where, limit int) ([]FactView, error) {
	rows, err := q.pool.Query(ctx, `SELECT f.kind, f.subject, f.severity, f.started_at, f.detail
		FROM governance_facts f WHERE `+w.SQL()+fmt.Sprintf(` ORDER BY f.started_at LIMIT %d`, limit), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: 双重预防 facts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FactView, error) {
		var f FactView
		err := r.Scan(&f.Kind, &f.Subject, &f.Severity, &f.Started, &f.Detail)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: 双重预防 facts: %w", err)
	}
	return out, nil
}

// dangerCounts counts hidden dangers (x_hidden_dangers, not deleted) of the
// companies of w by the SQL key (over enterprises e). The deadline compares as text:
// DANGER_MANAGE_DEADLINE is stored as the seed writes it, yyyy-MM-dd HH:mm:ss local.
func (q *Rollout) dangerCounts(ctx context.Context, key string, w Where, now string) (map[string]DangerCounts, error) {
	n := len(w.Args)
	rows, err := q.pool.Query(ctx, `SELECT `+key+`,
		count(*) FILTER (WHERE h.doc->>'DANGER_STATE' <> '9' AND h.doc->>'DANGER_LEVEL' <> '1'),
		count(*) FILTER (WHERE h.doc->>'DANGER_STATE' <> '9' AND h.doc->>'DANGER_LEVEL' = '1'),
		count(*) FILTER (WHERE h.doc->>'DANGER_STATE' <> '9' AND h.doc->>'DANGER_LEVEL' <> '1'
			AND h.doc->>'DANGER_MANAGE_DEADLINE' < $`+fmt.Sprint(n+1)+`),
		count(*) FILTER (WHERE h.doc->>'DANGER_STATE' <> '9' AND h.doc->>'DANGER_LEVEL' = '1'
			AND h.doc->>'DANGER_MANAGE_DEADLINE' < $`+fmt.Sprint(n+1)+`),
		count(*) FILTER (WHERE h.doc->>'DANGER_STATE' = '9')
		FROM x_hidden_dangers h JOIN enterprises e ON e.code = h.company_code
		WHERE NOT h.deleted AND `+w.SQL()+` GROUP BY 1`, append(w.Args, now)...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: hidden dangers: %w", err)
	}
	out := map[string]DangerCounts{}
	var k string
	var d DangerCounts
	if _, err := pgx.ForEachRow(rows, []any{&k, &d.GeneralOpen, &d.MajorOpen, &d.GeneralOverdue, &d.MajorOverdue, &d.Accepted},
		func() error { out[k] = d; return nil }); err != nil {
		return nil, fmt.Errorf("readmodel: hidden dangers: %w", err)
	}
	return out, nil
}

// DualRow is the 双重预防 figures of a region under the asked one, or of one company
// (a county's or park's rows).
type DualRow struct {
	Code, Name    string
	Companies     int // enabled companies
	Connected     int // … that have sent any 双重预防 table
	Units, Tasks  int
	OverdueChecks int
	BrokenLinks   int
	Dangers       DangerCounts
}

// DualStatsView is the region statistics page.
type DualStatsView struct {
	Region Region
	ByWhat string // 市, 区县 or 企业
	Total  DualRow
	Rows   []DualRow
}

// DualStats sums the 双重预防 figures of r's companies by the regions directly under
// it (cities of the province, counties of a city), or by company for a county or park.
func (q *Rollout) DualStats(ctx context.Context, r Region) (DualStatsView, error) {
	v := DualStatsView{Region: r, ByWhat: "企业"}
	key := "e.code"
	switch r.Level {
	case governance.LevelProvince:
		key, v.ByWhat = childKey(r), "市"
	case governance.LevelCity:
		key, v.ByWhat = childKey(r), "区县"
	}
	var w Where
	w.Scope(r.Scope)
	w.Conds = append(w.Conds, "e.disabled_at IS NULL")
	rowsBy := map[string]*DualRow{}
	row := func(k string) *DualRow {
		if rowsBy[k] == nil {
			rowsBy[k] = &DualRow{Code: k, Name: RegionName(k)}
		}
		return rowsBy[k]
	}
	names := map[string]string{}
	type count struct {
		sql string
		set func(*DualRow, int)
	}
	tables := dualTables()
	counts := []count{
		{`SELECT ` + key + `, count(*) FROM enterprises e WHERE ` + w.SQL() + ` GROUP BY 1`,
			func(d *DualRow, n int) { d.Companies = n }},
		{`SELECT ` + key + `, count(DISTINCT e.code) FROM rollout_connections c JOIN enterprises e ON e.code = c.company_code
			WHERE c.table_name = ANY('{` + strings.Join(tables, ",") + `}'::text[]) AND ` + w.SQL() + ` GROUP BY 1`,
			func(d *DualRow, n int) { d.Connected = n }},
		{`SELECT ` + key + `, count(*) FROM x_risk_units x JOIN enterprises e ON e.code = x.company_code
			WHERE NOT x.deleted AND ` + w.SQL() + ` GROUP BY 1`, func(d *DualRow, n int) { d.Units = n }},
		{`SELECT ` + key + `, count(*) FROM x_check_tasks x JOIN enterprises e ON e.code = x.company_code
			WHERE NOT x.deleted AND ` + w.SQL() + ` GROUP BY 1`, func(d *DualRow, n int) { d.Tasks = n }},
		{`SELECT ` + key + `, count(*) FROM governance_facts f JOIN enterprises e ON e.code = f.company_code
			WHERE f.ended_at IS NULL AND f.kind = '` + string(governance.CheckOverdue) + `' AND ` + w.SQL() + ` GROUP BY 1`,
			func(d *DualRow, n int) { d.OverdueChecks = n }},
		{`SELECT ` + key + `, count(*) FROM governance_facts f JOIN enterprises e ON e.code = f.company_code
			WHERE f.ended_at IS NULL AND f.kind = ANY('{` + strings.Join(chainKinds, ",") + `}'::text[]) AND ` + w.SQL() + ` GROUP BY 1`,
			func(d *DualRow, n int) { d.BrokenLinks = n }},
	}
	for _, c := range counts {
		m := map[string]int{}
		if err := q.group(ctx, &m, c.sql, w.Args...); err != nil {
			return v, err
		}
		for k, n := range m {
			c.set(row(k), n)
		}
	}
	dangers, err := q.dangerCounts(ctx, key, w, q.now().In(schemas.Shanghai).Format(schemas.DateTimeLayout))
	if err != nil {
		return v, err
	}
	for k, d := range dangers {
		row(k).Dangers = d
	}
	if key == "e.code" {
		rows, err := q.pool.Query(ctx, `SELECT e.code, e.name FROM enterprises e WHERE `+w.SQL(), w.Args...)
		if err != nil {
			return v, fmt.Errorf("readmodel: 双重预防 companies: %w", err)
		}
		var code, name string
		if _, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error { names[code] = name; return nil }); err != nil {
			return v, fmt.Errorf("readmodel: 双重预防 companies: %w", err)
		}
	} else {
		for _, d := range tiers.Children(r.Code) {
			row(d.Code)
		}
	}
	v.Total = DualRow{Code: r.Code, Name: r.Name}
	for _, d := range rowsBy {
		if n, ok := names[d.Code]; ok {
			d.Name = n
		}
		t := &v.Total
		t.Companies += d.Companies
		t.Connected += d.Connected
		t.Units += d.Units
		t.Tasks += d.Tasks
		t.OverdueChecks += d.OverdueChecks
		t.BrokenLinks += d.BrokenLinks
		t.Dangers.GeneralOpen += d.Dangers.GeneralOpen
		t.Dangers.MajorOpen += d.Dangers.MajorOpen
		t.Dangers.GeneralOverdue += d.Dangers.GeneralOverdue
		t.Dangers.MajorOverdue += d.Dangers.MajorOverdue
		t.Dangers.Accepted += d.Dangers.Accepted
		v.Rows = append(v.Rows, *d)
	}
	sort.Slice(v.Rows, func(i, j int) bool { return v.Rows[i].Code < v.Rows[j].Code })
	return v, nil
}
