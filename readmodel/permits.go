package readmodel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// PermitFilter selects 特殊作业 records (作业票) by 作业日期 (From..To inclusive,
// yyyy-MM-dd), 作业类型 code and region (a division code narrowing the caller's
// scope; "" for all of it). The caller validates the values.
type PermitFilter struct {
	From, To string
	Type     string
	Region   string
}

// where is the filter's conditions on x (x_special_operations) and e (enterprises)
// inside scope. The region only narrows: both scopes must hold.
func (f PermitFilter) where(scope tiers.Scope) *Where {
	w := &Where{}
	w.Conds = append(w.Conds, "NOT x.deleted")
	w.Add("x.doc->>'TASK_DATE' >= $?", f.From)
	w.Add("x.doc->>'TASK_DATE' <= $?", f.To)
	if f.Type != "" {
		w.Add("x.doc->>'TASK_TYPE' = $?", f.Type)
	}
	w.Scope(scope)
	if f.Region != "" {
		w.Scope(tiers.ScopeOf(f.Region))
	}
	return w
}

// Permit is one company's 特殊作业 record as the regulator lists it.
type Permit struct {
	Company    string
	Name       string // the company's name
	County     string // its division code
	CountyName string
	ID         string // the record's 编号
	Deleted    bool
	UpdatedAt  time.Time
	HasFile    bool // FILE (作业票证) is stored
	Doc        Doc
}

const permitCols = `x.company_code, e.name, e.division_code, x.record_key, x.deleted, x.updated_at,
	COALESCE(x.doc->'FILE'->>'ref', '') <> '', x.doc`

func scanPermit(r pgx.CollectableRow) (Permit, error) {
	var p Permit
	var raw []byte
	err := r.Scan(&p.Company, &p.Name, &p.County, &p.ID, &p.Deleted, &p.UpdatedAt, &p.HasFile, &raw)
	p.Doc = decodeDoc(raw)
	p.CountyName = RegionName(p.County)
	return p, err
}

// Permits is one page of the special-operation records in scope matching f, by
// 作业日期 (newest first), start time and company, and the number of all of them.
func (s *Companies) Permits(ctx context.Context, scope tiers.Scope, f PermitFilter, offset, limit int) ([]Permit, int, error) {
	w := f.where(scope)
	return page(ctx, s.db, "permits", permitCols,
		`FROM x_special_operations x JOIN enterprises e ON e.code = x.company_code WHERE `+w.SQL(),
		`x.doc->>'TASK_DATE' DESC, x.doc->>'TASK_BEGIN_TIME' DESC, x.company_code, x.record_key`,
		w.Args, offset, limit, scanPermit)
}

// PermitCount is the number of permits of one type on one day in one county;
// cancelled ones (作业是否取消 = 1) are counted apart.
type PermitCount struct {
	Day        string
	County     string
	CountyName string
	Type       string
	TypeZH     string
	Permits    int
	Cancelled  int
}

// PermitCounts counts the records in scope matching f by 作业日期, county and
// 作业类型, in that order.
func (s *Companies) PermitCounts(ctx context.Context, scope tiers.Scope, f PermitFilter) ([]PermitCount, error) {
	w := f.where(scope)
	rows, err := s.pool.Query(ctx, `SELECT x.doc->>'TASK_DATE', e.division_code, x.doc->>'TASK_TYPE', count(*),
		count(*) FILTER (WHERE x.doc->>'IS_CANCELLED' = '1')
		FROM x_special_operations x JOIN enterprises e ON e.code = x.company_code WHERE `+w.SQL()+`
		GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: permit counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PermitCount, error) {
		var c PermitCount
		err := r.Scan(&c.Day, &c.County, &c.Type, &c.Permits, &c.Cancelled)
		c.CountyName = RegionName(c.County)
		c.TypeZH = c.Type
		if code, ok := schemas.CodesTaskType.Lookup(c.Type); ok {
			c.TypeZH = code.NameZH
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: permit counts: %w", err)
	}
	return nonNil(out), nil
}

// PermitVersion is one accepted version of a permit from the exchange history:
// when it arrived, in which message, and which fields it changed from the
// version before (nil for the first).
type PermitVersion struct {
	Version    int64
	MsgID      string
	ReceivedAt time.Time
	Deleted    bool
	Doc        Doc
	HasFile    bool
	Changed    []string // the seed's field names (中文) that differ from the previous version
}

// Permit reads one company's permit and every version of it, oldest first; a
// chemguard ENotFound error when the company has no such record. The caller has
// checked access to company.
func (s *Companies) Permit(ctx context.Context, company, id string) (Permit, []PermitVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+permitCols+` FROM x_special_operations x
		JOIN enterprises e ON e.code = x.company_code WHERE x.company_code = $1 AND x.record_key = $2`, company, id)
	if err != nil {
		return Permit{}, nil, fmt.Errorf("readmodel: permit: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPermit)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil, chemguard.Errorf(chemguard.ENotFound, "企业 %s 没有编号为 %s 的特殊作业记录",
			"company %s has no special-operation record %s", company, id)
	}
	if err != nil {
		return p, nil, fmt.Errorf("readmodel: permit: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT version, msg_id::text, received_at, deleted,
		COALESCE(doc->'FILE'->>'ref', '') <> '', doc FROM x_special_operations_history
		WHERE company_code = $1 AND record_key = $2 ORDER BY received_at, version`, company, id)
	if err != nil {
		return p, nil, fmt.Errorf("readmodel: permit history: %w", err)
	}
	versions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PermitVersion, error) {
		var v PermitVersion
		var raw []byte
		err := r.Scan(&v.Version, &v.MsgID, &v.ReceivedAt, &v.Deleted, &v.HasFile, &raw)
		v.Doc = decodeDoc(raw)
		return v, err
	})
	if err != nil {
		return p, nil, fmt.Errorf("readmodel: permit history: %w", err)
	}
	for i := 1; i < len(versions); i++ {
		versions[i].Changed = changedFields(versions[i-1], versions[i])
	}
	return p, versions, nil
}

// PermitStep is one step a person took on a permit in the hosted base system
// (开票, 审批, 气体分析, 验收…): who — name, account, roles then — and when.
type PermitStep struct {
	Kind, Name, Username, Roles, Note string
	At                                time.Time
}

// KindZH names the step.
func (s PermitStep) KindZH() string { return PermitStepName(s.Kind) }

// PermitStepName is the Chinese name of a base-system permit step kind
// (permit_events.kind), e.g. 审批通过; the kind itself when unknown.
func PermitStepName(kind string) string {
	if n, ok := permitStepZH[kind]; ok {
		return n
	}
	return kind
}

// RolesZH names the roles the person held, e.g. 企业安全管理员.
func (s PermitStep) RolesZH() string { return policy.RoleLabels(s.Roles) }

// permitStepZH are the names of the base system's permit steps, one list for
// the base system's pages and the regulators'.
var permitStepZH = map[string]string{"created": "开票", "approved": "审批通过", "rejected": "审批驳回", "issued": "签发",
	"gas": "气体分析", "measure": "措施确认", "briefing": "安全交底签字", "started": "开始作业", "interrupted": "作业中断",
	"resumed": "恢复作业", "guardian": "更换监护人", "finished": "作业完毕", "accepted": "验收", "archived": "归档",
	"revoked": "撤销", "voided": "作废", "photo": "现场照片", "gas_lapsed": "气体分析超时", "gas_remind": "气体分析即将超时",
	"expired": "作业票到期", "published": "上报平台"}

// PermitSteps returns who did what on company's permit id in the hosted base
// system, oldest first; none for a permit the company's own system sent (the
// platform only knows that its system sent each version). The caller has
// checked access to company.
func (s *Companies) PermitSteps(ctx context.Context, company, id string) ([]PermitStep, error) {
	rows, err := s.pool.Query(ctx, `SELECT ev.kind, ev.actor_name, ev.actor_username, ev.actor_roles, ev.note, ev.at
		FROM permit_events ev JOIN permits p ON p.id = ev.permit_id
		WHERE p.company = $1 AND p.id::text = $2 ORDER BY ev.id`, company, id)
	if err != nil {
		return nil, fmt.Errorf("readmodel: permit steps: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PermitStep, error) {
		var st PermitStep
		return st, r.Scan(&st.Kind, &st.Name, &st.Username, &st.Roles, &st.Note, &st.At)
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: permit steps: %w", err)
	}
	return out, nil
}

// changedFields names, in the seed's order and words, the fields b changed from a.
func changedFields(a, b PermitVersion) []string {
	var out []string
	for _, f := range schemas.SpecialOperations.Fields {
		if !reflect.DeepEqual(a.Doc[f.ID], b.Doc[f.ID]) {
			out = append(out, f.NameZH)
		}
	}
	if a.Deleted != b.Deleted {
		out = append(out, "删除标记")
	}
	return out
}

// PermitFile is the stored reference and content type of a permit's 作业票证
// (FILE): of the current record when version is 0, else of that version in the
// history. ref is "" when there is no such record or file.
func (s *Companies) PermitFile(ctx context.Context, company, id string, version int64) (ref, contentType string, err error) {
	sql := `SELECT COALESCE(doc->'FILE'->>'ref', ''), COALESCE(doc->'FILE'->>'content_type', '')
		FROM x_special_operations WHERE company_code = $1 AND record_key = $2 AND $3::bigint = 0`
	if version != 0 {
		sql = `SELECT COALESCE(doc->'FILE'->>'ref', ''), COALESCE(doc->'FILE'->>'content_type', '')
		FROM x_special_operations_history WHERE company_code = $1 AND record_key = $2 AND version = $3
		ORDER BY received_at DESC LIMIT 1`
	}
	err = s.pool.QueryRow(ctx, sql, company, id, version).Scan(&ref, &contentType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("readmodel: permit file: %w", err)
	}
	return ref, contentType, nil
}

// PermitsXLSX writes the counts (sheet 统计, by day, county and type, with a
// total) and the permits themselves (sheet 作业票) as an Excel workbook; region
// and the filter's dates go in the titles.
func PermitsXLSX(region string, f PermitFilter, counts []PermitCount, permits []Permit) ([]byte, error) {
	wb := excelize.NewFile()
	defer wb.Close()
	const stats, list = "统计", "作业票"
	if err := wb.SetSheetName("Sheet1", stats); err != nil {
		return nil, err
	}
	if _, err := wb.NewSheet(list); err != nil {
		return nil, err
	}
	period := fmt.Sprintf("%s 至 %s", f.From, f.To)
	cells := [][]any{{fmt.Sprintf("%s 特殊作业统计（%s）", region, period)},
		{"作业日期", "区县", "区划代码", "作业类型代码", "作业类型", "作业票数", "其中已取消"}}
	total, cancelled := 0, 0
	for _, c := range counts {
		cells = append(cells, []any{c.Day, c.CountyName, c.County, c.Type, c.TypeZH, c.Permits, c.Cancelled})
		total += c.Permits
		cancelled += c.Cancelled
	}
	cells = append(cells, []any{"合计", "", "", "", "", total, cancelled})
	if err := setRows(wb, stats, cells); err != nil {
		return nil, err
	}
	cells = [][]any{{fmt.Sprintf("%s 特殊作业明细（%s）", region, period)},
		{"作业日期", "区县", "企业编码", "企业名称", "编号", "作业类型", "作业位置", "作业开始时间", "作业结束时间",
			"是否是承包商作业", "作业单位", "负责人", "作业是否变更过", "作业是否取消", "作业票证"}}
	for _, p := range permits {
		typ := str(p.Doc["TASK_TYPE"])
		if code, ok := schemas.CodesTaskType.Lookup(typ); ok {
			typ = code.NameZH
		}
		file := "无"
		if p.HasFile {
			file = "有"
		}
		cells = append(cells, []any{str(p.Doc["TASK_DATE"]), p.CountyName, p.Company, p.Name, p.ID, typ,
			str(p.Doc["TASK_POSITION"]), str(p.Doc["TASK_BEGIN_TIME"]), str(p.Doc["TASK_END_TIME"]),
			yesNo(p.Doc["IS_CONTRACTOR_TASK"]), str(p.Doc["TASK_UNIT"]), str(p.Doc["MAJOR_PERSON"]),
			yesNo(p.Doc["IS_CHANGED"]), yesNo(p.Doc["IS_CANCELLED"]), file})
	}
	if err := setRows(wb, list, cells); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		return nil, fmt.Errorf("readmodel: permits workbook: %w", err)
	}
	return buf.Bytes(), nil
}

func setRows(wb *excelize.File, sheet string, cells [][]any) error {
	for i, row := range cells {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow(sheet, cell, &row); err != nil {
			return fmt.Errorf("readmodel: workbook %s: %w", sheet, err)
		}
	}
	return nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func yesNo(v any) string {
	if code, ok := schemas.CodesYesNo.Lookup(str(v)); ok {
		return code.NameZH
	}
	return str(v)
}

// PermitTypes are the 作业类型 codes of the seed, for a filter's choices.
func PermitTypes() []schemas.Code {
	out := append([]schemas.Code(nil), schemas.CodesTaskType.Codes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out
}

// PermitLink names one permit a warning's evidence cites.
type PermitLink struct {
	ID     string
	TypeZH string
	Place  string // 作业位置
}

// permitLinks are the company's permits among the items the factors count (their
// details list item keys, comma-separated), by 作业日期 and id.
func (s *Warnings) permitLinks(ctx context.Context, company string, fs []warning.Factor) ([]PermitLink, error) {
	var keys []string
	for _, f := range fs {
		if f.Detail != "" {
			keys = append(keys, strings.Split(f.Detail, ",")...)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT record_key, COALESCE(doc->>'TASK_TYPE', ''), COALESCE(doc->>'TASK_POSITION', '')
		FROM x_special_operations WHERE company_code = $1 AND record_key = ANY($2) ORDER BY doc->>'TASK_DATE', record_key`, company, keys)
	if err != nil {
		return nil, fmt.Errorf("readmodel: warning permits: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PermitLink, error) {
		var l PermitLink
		err := r.Scan(&l.ID, &l.TypeZH, &l.Place)
		if code, ok := schemas.CodesTaskType.Lookup(l.TypeZH); ok {
			l.TypeZH = code.NameZH
		}
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("readmodel: warning permits: %w", err)
	}
	return out, nil
}
