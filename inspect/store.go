package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// Store runs the app's queries on its own tables (inspections, spot_checks) and
// asks readmodel the questions it shares with the portal. Lists filter by the
// caller's tiers.Scope in SQL.
type Store struct {
	pool *pgxpool.Pool
	// companies answers for a company's live status (企业一张图) and the company lists.
	companies *readmodel.Companies
	// warnings answers for the open warnings a tier watches.
	warnings *readmodel.Warnings
}

// NewStore returns the store on pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, companies: readmodel.NewCompanies(pool), warnings: readmodel.NewWarnings(pool)}
}

// Task is one company of the current patrol round.
type Task struct {
	readmodel.Enterprise
	DoneAt *time.Time // the round's latest patrol of the company by this tier, nil while due
	DoneBy string
}

// PatrolTasks returns the companies of scope that plan's round at now takes,
// due ones first: a deterministic sample (the same for everyone of domain
// during the round) of plan.Percent of the region's companies.
func (s *Store) PatrolTasks(ctx context.Context, scope tiers.Scope, domain string, tier Tier, plan Plan, now time.Time) ([]Task, Round, error) {
	r := plan.RoundAt(now)
	where, args := scope.Where("e", 1)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM enterprises e WHERE e.disabled_at IS NULL AND `+where, args...).Scan(&n); err != nil {
		return nil, r, fmt.Errorf("inspect: count region: %w", err)
	}
	k := len(args) + 1
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`WITH picked AS (
			SELECT e.code, e.name, e.division_code, COALESCE(e.park_code, '') AS park_code, e.kind FROM enterprises e
			WHERE e.disabled_at IS NULL AND %s
			ORDER BY md5($%d || '|' || $%d || '|' || e.code) LIMIT $%d)
		SELECT p.code, p.name, p.division_code, p.park_code, p.kind, last.recorded_at, COALESCE(last.inspector_name, '')
		FROM picked p LEFT JOIN LATERAL (SELECT i.recorded_at, i.inspector_name FROM inspections i
			WHERE i.company_code = p.code AND i.kind = 'patrol' AND i.tier = $%d
			AND i.recorded_at >= $%d AND i.recorded_at < $%d ORDER BY i.recorded_at DESC LIMIT 1) last ON true
		ORDER BY last.recorded_at IS NOT NULL, p.code`, where, k, k+1, k+2, k+3, k+4, k+5),
		append(args, domain, r.Start.Format(time.RFC3339), plan.SampleSize(n), string(tier), r.Start, r.End)...)
	if err != nil {
		return nil, r, fmt.Errorf("inspect: patrol tasks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) {
		var t Task
		return t, row.Scan(&t.Code, &t.Name, &t.DivisionCode, &t.ParkCode, &t.Kind, &t.DoneAt, &t.DoneBy)
	})
	if err != nil {
		return nil, r, fmt.Errorf("inspect: patrol tasks: %w", err)
	}
	return out, r, nil
}

// Live is a company's status as a patrol checks it.
type Live struct {
	Detail   readmodel.Detail
	LastSeen *time.Time // the latest upload, accepted or rejected
	Online   bool
}

// Live loads the company's live status at now; online means an upload within window.
func (s *Store) Live(ctx context.Context, e readmodel.Enterprise, now time.Time, window time.Duration) (Live, error) {
	var l Live
	var err error
	if l.Detail, err = s.companies.Detail(ctx, e, now); err != nil {
		return l, err
	}
	if l.LastSeen, err = s.companies.LastSeen(ctx, e.Code); err != nil {
		return l, err
	}
	l.Online = l.LastSeen != nil && now.Sub(*l.LastSeen) <= window
	return l, nil
}

// HazardOption is a 风险分析对象 a hidden danger can be bound to.
type HazardOption struct{ Code, Name string }

// HazardOptions lists the company's risk analysis objects: its 风险分析单元 and
// 危险源 codes with their names.
func (s *Store) HazardOptions(ctx context.Context, company string) ([]HazardOption, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (code) code, name FROM (
			SELECT doc->>'HAZARD_CODE' AS code, doc->>'RISK_UNIT_NAME' AS name FROM x_risk_units WHERE company_code = $1 AND NOT deleted
			UNION ALL
			SELECT doc->>'HAZARD_CODE', doc->>'HAZARD_NAME' FROM x_hazard_sources WHERE company_code = $1 AND NOT deleted) o
		WHERE code IS NOT NULL ORDER BY code, name LIMIT 200`, company)
	if err != nil {
		return nil, fmt.Errorf("inspect: hazard options: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[HazardOption])
	if err != nil {
		return nil, fmt.Errorf("inspect: hazard options: %w", err)
	}
	return out, nil
}

// Spot kinds: what a 抽查 draws.
const (
	SpotCompany    = "company"    // a company of the region
	SpotWarning    = "warning"    // an open 预警
	SpotCommitment = "commitment" // a 安全承诺 made today
	SpotPermit     = "permit"     // a 特殊作业 (work permit) of today
)

// SpotKindZH names a spot kind.
func SpotKindZH(kind string) string {
	return map[string]string{SpotCompany: "企业", SpotWarning: "预警", SpotCommitment: "今日安全承诺", SpotPermit: "今日特殊作业票"}[kind]
}

// Spot is one drawn 抽查 target.
type Spot struct {
	ID                         int64
	Kind, Company, CompanyName string
	DivisionCode, ParkCode     string
	TargetKey, TargetLabel     string
	DrawnBy                    string
	DrawnAt                    time.Time
	InspectionID               *int64 // the record made for it, nil while open
}

// KindZH names the spot's kind.
func (s Spot) KindZH() string { return SpotKindZH(s.Kind) }

// Path is the spot's company's authorization path.
func (s Spot) Path() string { return tiers.EnterprisePath(s.DivisionCode, s.ParkCode, s.Company) }

var errNothingToDraw = chemguard.Errorf(chemguard.ENotFound, "本辖区暂无可抽查的对象", "nothing of that kind to draw in your region")

// Draw picks a random target of kind among scope's companies at now and records
// the draw; a second draw with the same clientID returns the first.
func (s *Store) Draw(ctx context.Context, scope tiers.Scope, kind string, clientID uuid.UUID, by, domain string, now time.Time) (Spot, error) {
	if sp, err := s.spotBy(ctx, `s.client_id = $1`, clientID); err == nil {
		return sp, nil
	} else if chemguard.ErrorCode(err) != chemguard.ENotFound {
		return sp, err
	}
	day := now.In(schemas.Shanghai).Format(schemas.DateLayout)
	where, args := scope.Where("e", 2)
	var sql string
	switch kind {
	case SpotCompany:
		sql = `SELECT e.code, e.code, e.name FROM enterprises e WHERE e.disabled_at IS NULL AND $1::text IS NOT NULL AND ` + where
	case SpotWarning:
		sql = `SELECT w.company_code, w.id::text, concat_ws(' ', e.name, w.subject_name, w.level) FROM warnings w
			JOIN enterprises e ON e.code = w.company_code WHERE w.status = 'open' AND $1::text IS NOT NULL AND ` + where
	case SpotCommitment:
		sql = `SELECT x.company_code, x.record_key, concat_ws(' ', e.name, x.doc->>'COMMIT_DATE', x.doc->>'COMMIT_PERSON') FROM x_commitments x
			JOIN enterprises e ON e.code = x.company_code WHERE NOT x.deleted AND x.doc->>'COMMIT_DATE' = $1 AND ` + where
	case SpotPermit:
		// The seed's 特殊作业 table has no name field: the ticket is labelled by its
		// 作业类型 (TASK_TYPE's 细类 name from the code table, passed as a JSON map).
		args = append(args, taskTypeNames)
		sql = fmt.Sprintf(`SELECT x.company_code, x.record_key, concat_ws(' ', e.name,
				COALESCE($%d::jsonb->>(x.doc->>'TASK_TYPE'), x.doc->>'TASK_TYPE'), x.doc->>'TASK_BEGIN_TIME') FROM x_special_operations x
			JOIN enterprises e ON e.code = x.company_code WHERE NOT x.deleted AND x.doc->>'TASK_DATE' = $1
			AND COALESCE(x.doc->>'IS_CANCELLED', '0') <> '1' AND `, len(args)+1) + where
	default:
		return Spot{}, chemguard.Errorf(chemguard.EInvalid, "抽查对象须为企业、预警、今日安全承诺或今日特殊作业票",
			"kind must be company, warning, commitment or permit")
	}
	var company, key, label string
	err := s.pool.QueryRow(ctx, sql+` ORDER BY random() LIMIT 1`, append([]any{day}, args...)...).Scan(&company, &key, &label)
	if errors.Is(err, pgx.ErrNoRows) {
		return Spot{}, errNothingToDraw
	}
	if err != nil {
		return Spot{}, fmt.Errorf("inspect: draw %s: %w", kind, err)
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO spot_checks (client_id, kind, company_code, target_key, target_label, drawn_by, drawn_domain, drawn_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (client_id) DO NOTHING RETURNING id`,
		clientID, kind, company, key, label, by, domain, now).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Spot{}, fmt.Errorf("inspect: record draw: %w", err)
	}
	return s.spotBy(ctx, `s.client_id = $1`, clientID)
}

const spotColumns = `s.id, s.kind, s.company_code, e.name, e.division_code, COALESCE(e.park_code, ''), s.target_key,
	s.target_label, s.drawn_by, s.drawn_at, (SELECT min(i.id) FROM inspections i WHERE i.spot_check_id = s.id)`

func scanSpot(r pgx.Row) (Spot, error) {
	var s Spot
	err := r.Scan(&s.ID, &s.Kind, &s.Company, &s.CompanyName, &s.DivisionCode, &s.ParkCode, &s.TargetKey,
		&s.TargetLabel, &s.DrawnBy, &s.DrawnAt, &s.InspectionID)
	return s, err
}

var errNoSpot = chemguard.Errorf(chemguard.ENotFound, "没有该抽查", "no such spot check")

func (s *Store) spotBy(ctx context.Context, cond string, arg any) (Spot, error) {
	return one(s.pool.QueryRow(ctx, `SELECT `+spotColumns+` FROM spot_checks s
		JOIN enterprises e ON e.code = s.company_code WHERE `+cond, arg), scanSpot, errNoSpot, "spot check")
}

// one scans the row a by-key query returns; no row is notFound, any other failure
// an internal error naming what was read.
func one[T any](row pgx.Row, scan func(pgx.Row) (T, error), notFound error, what string) (T, error) {
	v, err := scan(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, notFound
	}
	if err != nil {
		return v, fmt.Errorf("inspect: %s: %w", what, err)
	}
	return v, nil
}

// Spot returns one drawn spot check, or a not_found error.
func (s *Store) Spot(ctx context.Context, id int64) (Spot, error) {
	return s.spotBy(ctx, `s.id = $1`, id)
}

// Spots returns the latest spot checks drawn by domain's inspectors among
// scope's companies, open ones first.
func (s *Store) Spots(ctx context.Context, scope tiers.Scope, domain string, limit int) ([]Spot, error) {
	where, args := scope.Where("e", 2)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT * FROM (SELECT `+spotColumns+` FROM spot_checks s
		JOIN enterprises e ON e.code = s.company_code WHERE s.drawn_domain = $1 AND %s
		ORDER BY s.drawn_at DESC LIMIT $%d) x ORDER BY x.min IS NOT NULL, x.drawn_at DESC`, where, len(args)+2),
		append(append([]any{domain}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("inspect: spot checks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Spot, error) { return scanSpot(r) })
	if err != nil {
		return nil, fmt.Errorf("inspect: spot checks: %w", err)
	}
	return out, nil
}

// Kinds of inspection record.
const (
	KindPatrol      = "patrol"      // 在线巡查
	KindSpot        = "spot"        // 抽查
	KindSupervision = "supervision" // 检查督导
)

// KindZH names a record kind.
func KindZH(kind string) string {
	return map[string]string{KindPatrol: "在线巡查", KindSpot: "抽查", KindSupervision: "检查督导"}[kind]
}

// CheckItem is one line of a record's checklist: what the platform showed at
// receipt and the inspector's verdict.
type CheckItem struct {
	Item   string `json:"item"`
	Label  string `json:"label"`
	Status string `json:"status"` // the live status, e.g. 在线（最近上传 …）
	OK     bool   `json:"ok"`     // 符合 / 不符合
}

// Photo is a stored photo of a record.
type Photo struct {
	Ref         string `json:"ref"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// Record is one inspection record.
type Record struct {
	ID                       int64
	ClientID                 uuid.UUID
	Kind                     string
	Company, CompanyName     string
	DivisionCode, ParkCode   string
	SpotCheckID              *int64
	Inspector, InspectorName string
	Domain, Tier             string
	Checklist                []CheckItem
	Result, Note             string
	Photos                   []Photo
	DangerID                 *uuid.UUID
	Danger                   json.RawMessage
	RecordedAt, ReceivedAt   time.Time
}

// KindZH names the record's kind.
func (r Record) KindZH() string { return KindZH(r.Kind) }

// ResultZH is 合格 or 发现问题.
func (r Record) ResultZH() string {
	if r.Result == "ok" {
		return "合格"
	}
	return "发现问题"
}

// Path is the record's company's authorization path.
func (r Record) Path() string { return tiers.EnterprisePath(r.DivisionCode, r.ParkCode, r.Company) }

const recordColumns = `i.id, i.client_id, i.kind, i.company_code, e.name, e.division_code, COALESCE(e.park_code, ''),
	i.spot_check_id, i.inspector, i.inspector_name, i.domain, i.tier, i.checklist, i.result, i.note, i.photos,
	i.danger_id, i.danger, i.recorded_at, i.received_at`

func scanRecord(row pgx.Row) (Record, error) {
	var r Record
	var checklist, photos []byte
	err := row.Scan(&r.ID, &r.ClientID, &r.Kind, &r.Company, &r.CompanyName, &r.DivisionCode, &r.ParkCode,
		&r.SpotCheckID, &r.Inspector, &r.InspectorName, &r.Domain, &r.Tier, &checklist, &r.Result, &r.Note, &photos,
		&r.DangerID, &r.Danger, &r.RecordedAt, &r.ReceivedAt)
	if err == nil {
		_ = json.Unmarshal(checklist, &r.Checklist) // written by Insert: always the shape above
		_ = json.Unmarshal(photos, &r.Photos)
	}
	return r, err
}

var errNoRecord = chemguard.Errorf(chemguard.ENotFound, "没有该检查记录", "no such inspection record")

func (s *Store) recordBy(ctx context.Context, cond string, arg any) (Record, error) {
	return one(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM inspections i
		JOIN enterprises e ON e.code = i.company_code WHERE `+cond, arg), scanRecord, errNoRecord, "record")
}

// Record returns one record, or a not_found error.
func (s *Store) Record(ctx context.Context, id int64) (Record, error) {
	return s.recordBy(ctx, `i.id = $1`, id)
}

// RecordByClientID returns the record a form with clientID made, or a not_found error.
func (s *Store) RecordByClientID(ctx context.Context, clientID uuid.UUID) (Record, error) {
	return s.recordBy(ctx, `i.client_id = $1`, clientID)
}

// Insert stores r unless a record with its ClientID exists, and returns the
// stored record and whether it was already there (a replay).
func (s *Store) Insert(ctx context.Context, r Record) (Record, bool, error) {
	checklist, err := json.Marshal(r.Checklist)
	if err != nil {
		return r, false, fmt.Errorf("inspect: encode checklist: %w", err)
	}
	photos, err := json.Marshal(r.Photos)
	if err != nil {
		return r, false, fmt.Errorf("inspect: encode photos: %w", err)
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO inspections (client_id, kind, company_code, spot_check_id, inspector,
		inspector_name, domain, tier, checklist, result, note, photos, danger_id, danger, recorded_at, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (client_id) DO NOTHING RETURNING id`,
		r.ClientID, r.Kind, r.Company, r.SpotCheckID, r.Inspector, r.InspectorName, r.Domain, r.Tier, checklist,
		r.Result, r.Note, photos, r.DangerID, r.Danger, r.RecordedAt, r.ReceivedAt).Scan(&id)
	replay := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !replay {
		return r, false, fmt.Errorf("inspect: insert record: %w", err)
	}
	stored, err := s.RecordByClientID(ctx, r.ClientID)
	return stored, replay, err
}

// Records returns a page of the records of scope's companies, newest first, of
// kind when set, and how many match.
func (s *Store) Records(ctx context.Context, scope tiers.Scope, kind string, offset, limit int) ([]Record, int, error) {
	where, args := scope.Where("e", 2)
	cond := `FROM inspections i JOIN enterprises e ON e.code = i.company_code WHERE ($1 = '' OR i.kind = $1) AND ` + where
	args = append([]any{kind}, args...)
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("inspect: count records: %w", err)
	}
	n := len(args)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s %s ORDER BY i.received_at DESC, i.id DESC LIMIT $%d OFFSET $%d`,
		recordColumns, cond, n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("inspect: records: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) { return scanRecord(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("inspect: records: %w", err)
	}
	return out, total, nil
}

// Waiting is an open warning watched by a tier, with what the app says about it.
type Waiting struct{ readmodel.Waiting }

// tierRank orders the tiers of 逐级上报.
var tierRank = map[string]int{string(TierCounty): 0, string(TierCity): 1, string(TierProvince): 2}

// WhyNotMine says, for a caller of tier, why it has nothing to do on the warning
// now — another tier watches it, or the company's step comes first — or "" when
// the warning awaits the caller's tier.
func (w Waiting) WhyNotMine(tier Tier) string {
	watcher := warning.Tier(w.Tier).NameZH()
	switch {
	case tierRank[w.Tier] < tierRank[string(tier)]:
		return fmt.Sprintf("由%s关注：%s逾期未办才逐级上报到%s，此前不由本级处置。", watcher,
			warning.Step(w.Step).NameZH(), warning.Tier(tier).NameZH())
	case tierRank[w.Tier] > tierRank[string(tier)]:
		return fmt.Sprintf("已逾期上报至%s，由%s处置。", watcher, watcher)
	case w.Step == string(warning.StepPublished):
		return "等待企业签收：企业签收并反馈处置情况后，由本级核查。"
	case w.Step == string(warning.StepAcknowledged):
		return "等待企业处置反馈：企业反馈后，由本级核查。"
	}
	return ""
}

// Waiting returns the open warnings of scope's companies that tier watches,
// those waiting for a regulator's step first (readmodel.Warnings.Waiting).
func (s *Store) Waiting(ctx context.Context, scope tiers.Scope, tier Tier, limit int) ([]Waiting, error) {
	return wrapWaiting(s.warnings.Waiting(ctx, scope, warning.Tier(tier), limit))
}

// Elsewhere returns the open warnings of scope's companies that another tier than
// tier watches (Waiting's order, at most limit): the page says why they are not the
// caller's to act on.
func (s *Store) Elsewhere(ctx context.Context, scope tiers.Scope, tier Tier, limit int) ([]Waiting, error) {
	return wrapWaiting(s.warnings.Elsewhere(ctx, scope, warning.Tier(tier), limit))
}

func wrapWaiting(list []readmodel.Waiting, err error) ([]Waiting, error) {
	if err != nil {
		return nil, err
	}
	out := make([]Waiting, len(list))
	for i, w := range list {
		out[i] = Waiting{w}
	}
	return out, nil
}

// taskTypeNames maps each 作业类型 细类编码 to its name, for labelling drawn permits.
var taskTypeNames = func() string {
	m := map[string]string{}
	for _, c := range schemas.CodesTaskType.Codes {
		m[c.Value] = c.NameZH
	}
	b, _ := json.Marshal(m)
	return string(b)
}()
