package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/share"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// Companies answers the questions about registered companies and their exchange
// records: lists of a scope, 企业一张图, the region's figures. Every list filters by
// the caller's tiers.Scope in SQL and is paginated in SQL.
type Companies struct{ db }

// NewCompanies returns the company queries on pool.
func NewCompanies(pool *pgxpool.Pool) *Companies { return &Companies{db{pool}} }

// Enterprise is a registered company as the UIs show it: the regional API's
// enterprise (with its authorizer Path) plus display helpers.
type Enterprise struct{ share.Enterprise }

// County is the Chinese name of the enterprise's county with its city.
func (e Enterprise) County() string { return RegionName(e.DivisionCode) }

// Enterprise returns one enterprise, or a not_found *chemguard.Error.
func (s *Companies) Enterprise(ctx context.Context, code string) (Enterprise, error) {
	e, err := share.NewStore(s.pool).Enterprise(ctx, code)
	return Enterprise{e}, err
}

// Enterprises returns a page of the enterprises in scope whose name or code
// contains q (all when q is empty) and, when counties is not nil, whose county is
// one of them, in code order, and how many match.
func (s *Companies) Enterprises(ctx context.Context, scope tiers.Scope, q string, counties []string, offset, limit int) ([]Enterprise, int, error) {
	where, args := scope.Where("e", 3)
	cond := `e.disabled_at IS NULL AND ` + where + ` AND ($1 = '%%' OR e.name ILIKE $1 OR e.code ILIKE $1)
		AND ($2::text[] IS NULL OR e.division_code = ANY($2::text[]))`
	args = append([]any{likePattern(q), counties}, args...)
	return page(ctx, s.db, "enterprises", `e.code, e.name, e.division_code, COALESCE(e.park_code, ''), e.kind`,
		`FROM enterprises e WHERE `+cond, `e.code`, args, offset, limit, func(r pgx.CollectableRow) (Enterprise, error) {
			var e Enterprise
			return e, r.Scan(&e.Code, &e.Name, &e.DivisionCode, &e.ParkCode, &e.Kind)
		})
}

// Count is a labelled number.
type Count struct {
	Code  string
	Name  string
	Count int
}

// Stats is the 综合分析 of a region.
type Stats struct {
	Companies          int
	HazardSources      int
	MajorHazardSources int
	Online             int
	CommitExpected     int // companies that owe a daily commitment (gas stations do not)
	CommitDone         int // committed today before 10:00
	CommitLate         int // committed today at or after 10:00
	CommitMissing      int // no commitment today yet
	SpecialOps         []Count
	SpecialOpsTotal    int
	RejectedToday      int
	OpenWarnings       []Count // open warnings by level, red first (every level, zeros too)
	OpenWarningsTotal  int
	ActiveAlarms       int
	ByCity             []Count // companies per city, every city of Shandong
	WarningsByCity     map[string]int
}

// OnlinePercent is the share of companies online, in percent.
func (s Stats) OnlinePercent() string {
	if s.Companies == 0 {
		return "0"
	}
	return fmt.Sprintf("%.1f", 100*float64(s.Online)/float64(s.Companies))
}

// dayOf returns the Shanghai calendar day of now, its start and its 10:00 deadline
// in the seed's layout.
func dayOf(now time.Time) (day string, start time.Time, deadline string) {
	l := now.In(schemas.Shanghai)
	start = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schemas.Shanghai)
	return l.Format(schemas.DateLayout), start, start.Add(10 * time.Hour).Format(schemas.DateTimeLayout)
}

// Stats computes the region's figures at now; online means any upload (accepted
// or rejected) within online of now.
func (s *Companies) Stats(ctx context.Context, scope tiers.Scope, now time.Time, online time.Duration) (Stats, error) {
	var st Stats
	day, start, deadline := dayOf(now)
	where, args := scope.Where("e", 1)
	q := func(what, sql string, extra []any, dest ...any) error {
		if err := s.pool.QueryRow(ctx, sql, append(append([]any{}, args...), extra...)...).Scan(dest...); err != nil {
			return fmt.Errorf("readmodel: stats %s: %w", what, err)
		}
		return nil
	}
	n := len(args) + 1 // the first placeholder after the scope's
	if err := q("companies", `SELECT count(*) FROM enterprises e WHERE e.disabled_at IS NULL AND `+where, nil, &st.Companies); err != nil {
		return st, err
	}
	if err := q("hazards", `SELECT count(*), count(*) FILTER (WHERE h.doc->>'HAZARD_GRADE' IN ('1','2','3','4'))
		FROM x_hazard_sources h JOIN enterprises e ON e.code = h.company_code WHERE NOT h.deleted AND `+where,
		nil, &st.HazardSources, &st.MajorHazardSources); err != nil {
		return st, err
	}
	exists := []string{fmt.Sprintf(`EXISTS (SELECT 1 FROM exchange_rejections r WHERE r.company_code = e.code AND r.received_at > $%d)`, n)}
	for _, t := range schemas.Tables() {
		rows := t.SQLName() + ` x WHERE x.company_code = e.code AND`
		if store.HasSeries(t) { // no (company_code, updated_at) index: the company's points by the key
			rows = `(SELECT updated_at FROM ` + t.SQLName() + ` WHERE company_code = e.code OFFSET 0) x WHERE`
		}
		exists = append(exists, fmt.Sprintf(`EXISTS (SELECT 1 FROM %s x.updated_at > $%d)`, rows, n))
	}
	if err := q("online", `SELECT count(*) FROM enterprises e WHERE e.disabled_at IS NULL AND `+where+` AND (`+strings.Join(exists, " OR ")+`)`,
		[]any{now.Add(-online)}, &st.Online); err != nil {
		return st, err
	}
	if err := q("commitments", fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE c.first < $%[2]d), count(*) FILTER (WHERE c.first >= $%[2]d),
		count(*) FILTER (WHERE c.first IS NULL)
		FROM enterprises e LEFT JOIN LATERAL (SELECT min(x.doc->>'COMMIT_TIME') AS first FROM x_commitments x
			WHERE x.company_code = e.code AND NOT x.deleted AND x.doc->>'COMMIT_DATE' = $%[1]d) c ON true
		WHERE e.disabled_at IS NULL AND e.kind <> '加油站' AND `+where, n, n+1),
		[]any{day, deadline}, &st.CommitExpected, &st.CommitDone, &st.CommitLate, &st.CommitMissing); err != nil {
		return st, err
	}
	if err := q("rejections", fmt.Sprintf(`SELECT count(*) FROM exchange_rejections r JOIN enterprises e ON e.code = r.company_code
		WHERE r.received_at >= $%d AND `+where, n), []any{start}, &st.RejectedToday); err != nil {
		return st, err
	}
	byType := map[string]int{}
	if err := s.group(ctx, &byType, fmt.Sprintf(`SELECT x.doc->>'TASK_TYPE', count(*) FROM x_special_operations x
		JOIN enterprises e ON e.code = x.company_code
		WHERE NOT x.deleted AND x.doc->>'TASK_DATE' = $%d AND COALESCE(x.doc->>'IS_CANCELLED', '0') <> '1' AND `+where+`
		GROUP BY 1`, n), append(append([]any{}, args...), day)...); err != nil {
		return st, err
	}
	for _, c := range schemas.CodesTaskType.Codes {
		if k := byType[c.Value]; k > 0 {
			st.SpecialOps = append(st.SpecialOps, Count{Code: c.Value, Name: c.NameZH, Count: k})
			st.SpecialOpsTotal += k
		}
	}
	byLevel := map[string]int{}
	if err := s.group(ctx, &byLevel, `SELECT w.level, count(*) FROM warnings w JOIN enterprises e ON e.code = w.company_code
		WHERE w.status = 'open' AND `+where+` GROUP BY 1`, args...); err != nil {
		return st, err
	}
	for _, l := range []warning.Level{warning.LevelRed, warning.LevelOrange, warning.LevelYellow, warning.LevelBlue} {
		st.OpenWarnings = append(st.OpenWarnings, Count{Code: l.String(), Name: l.NameZH(), Count: byLevel[l.String()]})
		st.OpenWarningsTotal += byLevel[l.String()]
	}
	if err := q("alarms", `SELECT count(*) FROM alarms a JOIN enterprises e ON e.code = a.company_code
		WHERE a.cleared_at IS NULL AND `+where, nil, &st.ActiveAlarms); err != nil {
		return st, err
	}
	st.WarningsByCity = map[string]int{}
	if err := s.group(ctx, &st.WarningsByCity, `SELECT left(e.division_code, 4) || '00', count(*) FROM warnings w
		JOIN enterprises e ON e.code = w.company_code WHERE w.status = 'open' AND w.level <> 'none' AND `+where+` GROUP BY 1`, args...); err != nil {
		return st, err
	}
	byCity := map[string]int{}
	if err := s.group(ctx, &byCity, `SELECT left(e.division_code, 4) || '00', count(*) FROM enterprises e
		WHERE e.disabled_at IS NULL AND `+where+` GROUP BY 1`, args...); err != nil {
		return st, err
	}
	for _, c := range tiers.Children(tiers.ProvinceCode) {
		st.ByCity = append(st.ByCity, Count{Code: c.Code, Name: c.NameZH, Count: byCity[c.Code]})
	}
	return st, nil
}

// Reading is an indicator with its latest reading.
type Reading struct {
	Indicator Doc
	Latest    Doc // nil when no reading arrived yet
}

// Level compares the latest value with the indicator's thresholds: 高高报, 高报,
// 低报, 低低报, 正常, or 无数据.
func (r Reading) Level() string {
	if r.Latest == nil {
		return "无数据"
	}
	v, ok := number(r.Latest["VALUE"])
	if !ok {
		return "无数据"
	}
	above := func(k string) bool { t, ok := number(r.Indicator[k]); return ok && v >= t }
	below := func(k string) bool { t, ok := number(r.Indicator[k]); return ok && v <= t }
	switch {
	case above("HIGH_HIGH"):
		return "高高报"
	case above("HIGH"):
		return "高报"
	case below("LOW_LOW"):
		return "低低报"
	case below("LOW"):
		return "低报"
	}
	return "正常"
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := json.Number(n).Float64()
		return f, err == nil
	}
	return 0, false
}

// Detail is 企业一张图: everything the UIs show about one company (the portal's page, an
// inspector's live check).
type Detail struct {
	Enterprise     Enterprise
	Info           Doc // 企业信息, nil when not uploaded
	HazardSources  []Doc
	Readings       []Reading
	VideoAlarms    []Doc // ALARM_TABLE says which table (企业/加油站)
	Positioning    []Doc
	SpecialOps     []Doc
	Commitment     Doc // today's, nil when missing
	HiddenDangers  []Doc
	Cameras        []Doc     // 视频监控信息, by place
	Warnings       []Warning // open warnings, worst first
	Alarms         []Alarm   // active alarms, newest first
	RejectedToday  int
	RecentLimit    int
	OpenDangers    int
	MajorOpenCount int
}

// Detail loads the company's sections; the caller has checked access.
func (s *Companies) Detail(ctx context.Context, e Enterprise, now time.Time) (Detail, error) {
	d := Detail{Enterprise: e, RecentLimit: 20}
	day, start, _ := dayOf(now)
	var err error
	info, err := s.docs(ctx, `SELECT doc FROM x_enterprise_info WHERE company_code = $1 AND NOT deleted ORDER BY updated_at DESC LIMIT 1`, e.Code)
	if err != nil {
		return d, err
	}
	if len(info) > 0 {
		d.Info = info[0]
	}
	if d.HazardSources, err = s.docs(ctx, `SELECT doc FROM x_hazard_sources WHERE company_code = $1 AND NOT deleted
		ORDER BY record_key LIMIT 200`, e.Code); err != nil {
		return d, err
	}
	rows, err := s.pool.Query(ctx, `SELECT i.doc, r.doc FROM x_indicators i
		LEFT JOIN x_sensor_readings r ON r.company_code = i.company_code AND r.record_key = i.record_key AND NOT r.deleted
		WHERE i.company_code = $1 AND NOT i.deleted ORDER BY i.doc->>'HAZARD_CODE', i.record_key LIMIT 500`, e.Code)
	if err != nil {
		return d, fmt.Errorf("readmodel: readings: %w", err)
	}
	if d.Readings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Reading, error) {
		var ind, latest []byte
		err := r.Scan(&ind, &latest)
		return Reading{Indicator: decodeDoc(ind), Latest: decodeDoc(latest)}, err
	}); err != nil {
		return d, fmt.Errorf("readmodel: readings: %w", err)
	}
	if d.VideoAlarms, err = s.docs(ctx, `SELECT doc || jsonb_build_object('ALARM_TABLE', t) FROM (
		(SELECT doc, event_time, 'video-alarms' AS t FROM x_video_alarms WHERE company_code = $1 ORDER BY event_time DESC NULLS LAST LIMIT $2)
		UNION ALL
		(SELECT doc, event_time, 'gas-station-video-alarms' FROM x_gas_station_video_alarms WHERE company_code = $1 ORDER BY event_time DESC NULLS LAST LIMIT $2)
		) a ORDER BY event_time DESC NULLS LAST LIMIT $2`, e.Code, d.RecentLimit); err != nil {
		return d, err
	}
	if d.Positioning, err = s.docs(ctx, `SELECT doc FROM x_positioning_alarms WHERE company_code = $1
		ORDER BY event_time DESC NULLS LAST LIMIT $2`, e.Code, d.RecentLimit); err != nil {
		return d, err
	}
	if d.SpecialOps, err = s.docs(ctx, `SELECT doc FROM x_special_operations WHERE company_code = $1 AND NOT deleted
		AND doc->>'TASK_DATE' = $2 ORDER BY doc->>'TASK_BEGIN_TIME', record_key LIMIT 200`, e.Code, day); err != nil {
		return d, err
	}
	commit, err := s.docs(ctx, `SELECT doc FROM x_commitments WHERE company_code = $1 AND NOT deleted
		AND doc->>'COMMIT_DATE' = $2 ORDER BY doc->>'COMMIT_TIME' LIMIT 1`, e.Code, day)
	if err != nil {
		return d, err
	}
	if len(commit) > 0 {
		d.Commitment = commit[0]
	}
	if d.Cameras, err = s.docs(ctx, `SELECT doc FROM x_cameras WHERE company_code = $1 AND NOT deleted
		ORDER BY doc->>'PLACE', record_key LIMIT 200`, e.Code); err != nil {
		return d, err
	}
	if d.HiddenDangers, err = s.docs(ctx, `SELECT doc FROM x_hidden_dangers WHERE company_code = $1 AND NOT deleted
		ORDER BY (doc->>'DANGER_STATE' = '9'), doc->>'REGIST_TIME' DESC LIMIT 50`, e.Code); err != nil {
		return d, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE doc->>'DANGER_STATE' <> '9'),
		count(*) FILTER (WHERE doc->>'DANGER_STATE' <> '9' AND doc->>'DANGER_LEVEL' = '1')
		FROM x_hidden_dangers WHERE company_code = $1 AND NOT deleted`, e.Code).Scan(&d.OpenDangers, &d.MajorOpenCount); err != nil {
		return d, fmt.Errorf("readmodel: hidden dangers: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT level, model, subject_name, score, step, tier, raised_at FROM warnings
		WHERE company_code = $1 AND status = 'open'
		ORDER BY array_position(ARRAY['red','orange','yellow','blue'], level), raised_at DESC LIMIT 50`, e.Code)
	if err != nil {
		return d, fmt.Errorf("readmodel: warnings: %w", err)
	}
	if d.Warnings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Warning, error) {
		var w Warning
		return w, r.Scan(&w.Level, &w.Model, &w.Subject, &w.Score, &w.Step, &w.Tier, &w.RaisedAt)
	}); err != nil {
		return d, fmt.Errorf("readmodel: warnings: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT source, indicator_code, hazard_code, severity, started_at, peak FROM alarms
		WHERE company_code = $1 AND cleared_at IS NULL ORDER BY started_at DESC LIMIT 50`, e.Code)
	if err != nil {
		return d, fmt.Errorf("readmodel: alarms: %w", err)
	}
	if d.Alarms, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alarm, error) {
		var a Alarm
		return a, r.Scan(&a.Source, &a.Indicator, &a.Hazard, &a.Severity, &a.StartedAt, &a.Peak)
	}); err != nil {
		return d, fmt.Errorf("readmodel: alarms: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM exchange_rejections WHERE company_code = $1 AND received_at >= $2`,
		e.Code, start).Scan(&d.RejectedToday); err != nil {
		return d, fmt.Errorf("readmodel: rejections: %w", err)
	}
	return d, nil
}

// Row is one current exchange record in 数据浏览.
type Row struct {
	Company   string
	Name      string
	Key       string
	Deleted   bool
	UpdatedAt time.Time
	Doc       Doc
}

// textMatch is the SQL condition that the record's key or one of its text values
// contains the pattern in placeholder p. It reads only the table's text fields
// (->>), cheaper than casting the whole document to text.
func textMatch(t *schemas.Table, alias, p string) string {
	conds := []string{alias + ".record_key ILIKE " + p}
	for _, f := range t.Fields {
		if (f.Kind == schemas.KindChar || f.Kind == schemas.KindText) && f.Code == nil && f.ID != t.Key {
			conds = append(conds, fmt.Sprintf("%s.doc->>'%s' ILIKE %s", alias, f.ID, p))
		}
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// Records returns a page of table t's current records of the enterprises in
// scope, of company when set, containing q (in the key or in one of its
// text value) when set, newest change first, and how many match.
func (s *Companies) Records(ctx context.Context, t *schemas.Table, scope tiers.Scope, company, q string, offset, limit int) ([]Row, int, error) {
	where, args := scope.Where("e", 3)
	cond := `FROM ` + t.SQLName() + ` x JOIN enterprises e ON e.code = x.company_code
		WHERE ($1 = '' OR x.company_code = $1) AND ($2 = '%%' OR ` + textMatch(t, "x", "$2") + `) AND ` + where
	args = append([]any{company, likePattern(q)}, args...)
	return page(ctx, s.db, "records "+t.Slug, `x.company_code, e.name, x.record_key, x.deleted, x.updated_at, x.doc`, cond,
		`x.updated_at DESC, x.company_code, x.record_key`, args, offset, limit, func(r pgx.CollectableRow) (Row, error) {
			var row Row
			var raw []byte
			err := r.Scan(&row.Company, &row.Name, &row.Key, &row.Deleted, &row.UpdatedAt, &raw)
			row.Doc = decodeDoc(raw)
			return row, err
		})
}

// FieldError is one validation error of a rejected record.
type FieldError struct {
	Field     string `json:"field"`
	Rule      string `json:"rule"`
	MessageZH string `json:"message_zh"`
}

// Rejection is one rejected record with its errors.
type Rejection struct {
	Table      string
	Company    string
	Name       string
	Key        string
	ReceivedAt time.Time
	Errors     []FieldError
	Raw        string // the record as sent, cut to a preview
}

// TableName is the Chinese name of the rejection's table.
func (r Rejection) TableName() string {
	if t, ok := schemas.TableBySlug(r.Table); ok {
		return t.NameZH
	}
	return r.Table
}

const rawPreview = 300

// Rejections returns a page of the rejected records of enterprises in scope, of
// company and table (slug) when set, newest first, and how many match.
func (s *Companies) Rejections(ctx context.Context, scope tiers.Scope, company, table string, offset, limit int) ([]Rejection, int, error) {
	where, args := scope.Where("e", 3)
	cond := `FROM exchange_rejections r JOIN enterprises e ON e.code = r.company_code
		WHERE ($1 = '' OR r.company_code = $1) AND ($2 = '' OR r.table_slug = $2) AND ` + where
	args = append([]any{company, table}, args...)
	cols := fmt.Sprintf(`r.table_slug, r.company_code, e.name, r.record_key, r.received_at, r.errors, left(r.raw, %d)`, rawPreview)
	return page(ctx, s.db, "rejections", cols, cond, `r.received_at DESC, r.msg_id`, args, offset, limit, func(r pgx.CollectableRow) (Rejection, error) {
		var rj Rejection
		var errs []byte
		if err := r.Scan(&rj.Table, &rj.Company, &rj.Name, &rj.Key, &rj.ReceivedAt, &errs, &rj.Raw); err != nil {
			return rj, err
		}
		_ = json.Unmarshal(errs, &rj.Errors) // kept as evidence whatever its shape; shown when it parses
		rj.Raw = sealed.DisplayText(rj.Raw)  // phone numbers stored sealed show masked
		return rj, nil
	})
}

// CommitmentLate reports whether today's commitment came at or after 10:00.
func (d Detail) CommitmentLate() bool {
	if d.Commitment == nil {
		return false
	}
	t, ok := d.Commitment["COMMIT_TIME"].(string)
	return ok && len(t) >= 13 && t[11:] >= "10:00:00"
}

// Alarm is an active 报警 of a company (issue 5's alarms table).
type Alarm struct {
	Source, Indicator, Hazard, Severity string
	StartedAt                           time.Time
	Peak                                *float64
}

// SeverityZH is the severity in Chinese (高高报 …, 企业报警).
func (a Alarm) SeverityZH() string {
	if s := warning.Severity(a.Severity).NameZH(); s != "" {
		return s
	}
	return a.Severity
}

// SourceZH names where the alarm comes from.
func (a Alarm) SourceZH() string {
	if s, ok := map[string]string{"indicator": "监测指标", "video": "智能视频", "gas-station-video": "加油站视频", "positioning": "人员定位"}[a.Source]; ok {
		return s
	}
	return a.Source
}

// CountyCount is a county's companies and open warnings.
type CountyCount struct {
	Code, Name          string
	Companies, Warnings int
}

// Counties returns the companies and open warnings of each county of city that
// scope reaches (all of them for the province), in code order.
func (s *Companies) Counties(ctx context.Context, scope tiers.Scope, city string) ([]CountyCount, error) {
	var out []CountyCount
	for _, d := range tiers.Children(city) {
		if scope.All || slices.Contains(scope.Counties, d.Code) {
			out = append(out, CountyCount{Code: d.Code, Name: d.NameZH})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	codes := make([]string, len(out))
	for i, c := range out {
		codes[i] = c.Code
	}
	where, args := scope.Where("e", 2)
	rows, err := s.pool.Query(ctx, `SELECT e.division_code, count(DISTINCT e.code), count(w.id) FROM enterprises e
		LEFT JOIN warnings w ON w.company_code = e.code AND w.status = 'open' AND w.level <> 'none'
		WHERE e.disabled_at IS NULL AND e.division_code = ANY($1::text[]) AND `+where+` GROUP BY 1`,
		append([]any{codes}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: counties: %w", err)
	}
	defer rows.Close()
	got := map[string][2]int{}
	for rows.Next() {
		var code string
		var n [2]int
		if err := rows.Scan(&code, &n[0], &n[1]); err != nil {
			return nil, fmt.Errorf("readmodel: counties: %w", err)
		}
		got[code] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readmodel: counties: %w", err)
	}
	for i := range out {
		out[i].Companies, out[i].Warnings = got[out[i].Code][0], got[out[i].Code][1]
	}
	return out, nil
}

// LastSeen is the time of the company's latest upload, accepted or rejected; nil
// when it has sent nothing.
func (s *Companies) LastSeen(ctx context.Context, code string) (*time.Time, error) {
	parts := []string{`(SELECT max(received_at) FROM exchange_rejections WHERE company_code = $1)`}
	for _, t := range schemas.Tables() {
		if store.HasSeries(t) { // no (company_code, updated_at) index: the company's points by the key
			parts = append(parts, `(SELECT max(updated_at) FROM (SELECT updated_at FROM `+t.SQLName()+`
				WHERE company_code = $1 OFFSET 0) p)`)
			continue
		}
		parts = append(parts, `(SELECT max(updated_at) FROM `+t.SQLName()+` WHERE company_code = $1)`)
	}
	var last *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT greatest(`+strings.Join(parts, ", ")+`)`, code).Scan(&last); err != nil {
		return nil, fmt.Errorf("readmodel: last upload: %w", err)
	}
	return last, nil
}

// MapCompany is a company on a county's map: its position from its latest
// 企业信息 (LONGITUDE/LATITUDE), nil when it has sent none, and its open warnings.
type MapCompany struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	Warnings int      `json:"warnings"`
}

// MapCompanyLimit caps the companies one county's map plots.
const MapCompanyLimit = 500

// jsonNumber is a SQL expression turning a JSON field to float8, NULL unless it is a
// plain decimal number.
func jsonNumber(field string) string {
	return fmt.Sprintf(`CASE WHEN x.doc->>'%[1]s' ~ '^-?[0-9]{1,3}(\.[0-9]+)?$' THEN (x.doc->>'%[1]s')::float8 END`, field)
}

// CountyCompanies returns the companies of county that scope reaches (none
// outside it), with positions and open warnings, most warnings first, at most
// MapCompanyLimit.
func (s *Companies) CountyCompanies(ctx context.Context, scope tiers.Scope, county string) ([]MapCompany, error) {
	where, args := scope.Where("e", 3)
	rows, err := s.pool.Query(ctx, `SELECT e.code, e.name, e.kind, `+jsonNumber("LONGITUDE")+`, `+jsonNumber("LATITUDE")+`,
		(SELECT count(*) FROM warnings w WHERE w.company_code = e.code AND w.status = 'open' AND w.level <> 'none') AS open
		FROM enterprises e
		LEFT JOIN LATERAL (SELECT doc FROM x_enterprise_info i WHERE i.company_code = e.code AND NOT i.deleted
			ORDER BY i.updated_at DESC LIMIT 1) x ON TRUE
		WHERE e.disabled_at IS NULL AND e.division_code = $1 AND `+where+`
		ORDER BY open DESC, e.code LIMIT $2`, append([]any{county, MapCompanyLimit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: county companies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MapCompany, error) {
		var m MapCompany
		return m, r.Scan(&m.Code, &m.Name, &m.Kind, &m.Lon, &m.Lat, &m.Warnings)
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: county companies: %w", err)
	}
	return out, nil
}

// Point is one point of a trend: a reading, or a bucket of readings (Value their
// mean, Lo and Hi their least and greatest, N how many).
type Point struct {
	At    string `json:"t"` // COLLECT_TIME or the bucket's start, the seed's layout
	Value string `json:"v"`
	Lo    string `json:"lo,omitempty"`
	Hi    string `json:"hi,omitempty"`
	N     int64  `json:"n,omitempty"`
}

// TrendRange is a span a trend page shows and the aggregate behind it: a day per
// minute, a week or a month per hour (1,440, 168 and 720 points).
type TrendRange struct {
	Key    string // the page's ?range=
	Label  string // 近 24 小时
	Bucket string // 1 分钟
	Span   time.Duration
	view   string        // the aggregate read
	width  time.Duration // its buckets' width
}

// TrendRanges are the ranges a trend offers, the default first.
var TrendRanges = []TrendRange{
	{Key: "24h", Label: "近 24 小时", Bucket: "1 分钟", Span: 24 * time.Hour, view: "ts_sensor_readings_1m", width: time.Minute},
	{Key: "7d", Label: "近 7 天", Bucket: "1 小时", Span: 7 * 24 * time.Hour, view: "ts_sensor_readings_1h", width: time.Hour},
	{Key: "30d", Label: "近 30 天", Bucket: "1 小时", Span: 30 * 24 * time.Hour, view: "ts_sensor_readings_1h", width: time.Hour},
}

// LookupTrendRange returns the range of key ("" is the default, 24 hours); an
// invalid error naming the ranges offered for any other key.
func LookupTrendRange(key string) (TrendRange, error) {
	if key == "" {
		return TrendRanges[0], nil
	}
	keys := make([]string, len(TrendRanges))
	for i, r := range TrendRanges {
		if r.Key == key {
			return r, nil
		}
		keys[i] = r.Key
	}
	return TrendRange{}, chemguard.Errorf(chemguard.EInvalid, "趋势范围「%s」无效，可选：%s", "trend range %q is not one of %s",
		key, strings.Join(keys, "、"))
}

// recentReadings is how many of the latest readings a trend lists.
const recentReadings = 50

// Trend is an indicator's definition and its readings over a range.
type Trend struct {
	Indicator Doc
	Points    []Point // one per bucket with readings, oldest first
	Recent    []Point // the latest readings in the range, newest first, at most 50
	Readings  int64   // readings in the range
}

// Trend returns the indicator's trend over r up to now from the typed readings'
// aggregate r names, and its latest readings as sent; a not_found error when the
// company has no such indicator.
func (s *Companies) Trend(ctx context.Context, company, indicator string, now time.Time, r TrendRange) (Trend, error) {
	docs, err := s.docs(ctx, `SELECT doc FROM x_indicators WHERE company_code = $1 AND record_key = $2`, company, indicator)
	if err != nil {
		return Trend{}, err
	}
	if len(docs) == 0 {
		return Trend{}, chemguard.Errorf(chemguard.ENotFound, "该企业没有指标「%s」", "the company has no indicator %q", indicator)
	}
	tr := Trend{Indicator: docs[0]}
	from := now.Add(-r.Span)
	// The bucket holding the range's start is shown whole, so a reading at the
	// start is not left out. The mean is rounded to the seed's 4 decimals of 采集值; lo and hi are readings.
	rows, err := s.pool.Query(ctx, `SELECT to_char(bucket AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),
			round(mean::numeric, 4)::float8::text, lo::text, hi::text, n
		FROM `+r.view+` WHERE company_code = $1 AND indicator_code = $2 AND bucket > $3 AND bucket <= $4
		ORDER BY bucket`, company, indicator, from.Add(-r.width), now)
	if err != nil {
		return tr, fmt.Errorf("readmodel: trend: %w", err)
	}
	tr.Points, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Point, error) {
		var p Point
		return p, row.Scan(&p.At, &p.Value, &p.Lo, &p.Hi, &p.N)
	})
	if err != nil {
		return tr, fmt.Errorf("readmodel: trend: %w", err)
	}
	for _, p := range tr.Points {
		tr.Readings += p.N
	}
	rows, err = s.pool.Query(ctx, `SELECT to_char(collect_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), value::text
		FROM ts_sensor_readings WHERE company_code = $1 AND indicator_code = $2 AND collect_time > $3 AND collect_time <= $4
		ORDER BY collect_time DESC LIMIT $5`, company, indicator, from, now, recentReadings)
	if err != nil {
		return tr, fmt.Errorf("readmodel: recent readings: %w", err)
	}
	tr.Recent, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Point, error) {
		var p Point
		return p, row.Scan(&p.At, &p.Value)
	})
	if err != nil {
		return tr, fmt.Errorf("readmodel: recent readings: %w", err)
	}
	return tr, nil
}

// AlarmImage is the stored file reference and content type of the image of the
// company's video alarm key in table t (企业 or 加油站 video alarms); ref is ""
// when the alarm does not exist or carries no image.
func (s *Companies) AlarmImage(ctx context.Context, t *schemas.Table, company, key string) (ref, contentType string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT COALESCE(doc->'ALARM_IMAGE'->>'ref', ''),
		COALESCE(doc->'ALARM_IMAGE'->>'content_type', '') FROM `+t.SQLName()+` WHERE company_code = $1 AND record_key = $2`,
		company, key).Scan(&ref, &contentType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("readmodel: alarm image: %w", err)
	}
	return ref, contentType, nil
}
