package permits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/vms"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Contractor is a contractor (承包商) working for the company.
type Contractor struct {
	ID      int64
	Name    string
	Contact string
	Mobile  string
}

// Worker is a person who may be named on a permit, with the certificate.
type Worker struct {
	ID           int64
	ContractorID int64
	Contractor   string
	Name         string
	Mobile       string
	CertNo       string
	CertKind     string
	CertValidTo  time.Time
}

func managersOnly(m *enterprise.Member) error {
	if !m.Has(enterprise.Managers...) {
		return forbidden("只有企业管理员、主要负责人或安全管理员可以维护基础数据", "only a manager maintains the base data")
	}
	return nil
}

func (s *Service) contractor(ctx context.Context, q pgx.Tx, company string, id int64) (Contractor, error) {
	var c Contractor
	err := q.QueryRow(ctx, `SELECT id, name, contact, mobile FROM permit_contractors WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, company, id).
		Scan(&c.ID, &c.Name, &c.Contact, &c.Mobile)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound("承包商", "contractor")
	}
	return c, err
}

func (s *Service) worker(ctx context.Context, q pgx.Tx, company string, id int64) (WorkerRef, error) {
	var w WorkerRef
	var valid *time.Time
	err := q.QueryRow(ctx, `SELECT w.id, w.name, w.cert_no, w.cert_kind, w.cert_valid_to, coalesce(c.name, '') FROM permit_workers w
		LEFT JOIN permit_contractors c ON c.id = w.contractor_id WHERE w.company = $1 AND w.id = $2`, company, id).
		Scan(&w.ID, &w.Name, &w.CertNo, &w.CertKind, &valid, &w.Contractor)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, notFound(fmt.Sprintf("作业人员（编号 %d）", id), fmt.Sprintf("worker %d", id))
	}
	if valid != nil {
		w.CertValid = *valid
	}
	return w, err
}

// AddContractor registers a contractor.
func (s *Service) AddContractor(ctx context.Context, m *enterprise.Member, c Contractor) (int64, error) {
	if err := managersOnly(m); err != nil {
		return 0, err
	}
	if strings.TrimSpace(c.Name) == "" {
		return 0, invalid("承包商名称", "必填", "contractor name: required")
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO permit_contractors (company, name, contact, mobile) VALUES ($1, $2, $3, $4) RETURNING id`,
		m.Company, strings.TrimSpace(c.Name), strings.TrimSpace(c.Contact), strings.TrimSpace(c.Mobile)).Scan(&id)
	if err != nil {
		if strings.Contains(err.Error(), "permit_contractors_name") {
			return 0, chemguard.Errorf(chemguard.EConflict, "承包商“%s”已登记", "contractor %q is already registered", c.Name)
		}
		return 0, fmt.Errorf("permits: add contractor: %w", err)
	}
	return id, nil
}

// Contractors lists the company's contractors.
func (s *Service) Contractors(ctx context.Context, m *enterprise.Member) ([]Contractor, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name, contact, mobile FROM permit_contractors WHERE company = $1 AND deleted_at IS NULL ORDER BY name`, m.Company)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Contractor])
}

// AddWorker registers a worker of the company (ContractorID 0) or of one of
// its contractors, with the 特种作业操作证.
func (s *Service) AddWorker(ctx context.Context, m *enterprise.Member, w Worker) (int64, error) {
	if err := managersOnly(m); err != nil {
		return 0, err
	}
	if strings.TrimSpace(w.Name) == "" {
		return 0, invalid("姓名", "必填", "name: required")
	}
	if (w.CertNo == "") != (w.CertValidTo.IsZero()) {
		return 0, invalid("特种作业操作证", "证号与有效期须同时填写", "certificate number and validity go together")
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if w.ContractorID != 0 {
			if _, err := s.contractor(ctx, tx, m.Company, w.ContractorID); err != nil {
				return err
			}
		}
		var valid *time.Time
		if !w.CertValidTo.IsZero() {
			valid = &w.CertValidTo
		}
		return tx.QueryRow(ctx, `INSERT INTO permit_workers (company, contractor_id, name, mobile, cert_no, cert_kind, cert_valid_to)
			VALUES ($1, nullif($2, 0), $3, $4, $5, $6, $7) RETURNING id`, m.Company, w.ContractorID, strings.TrimSpace(w.Name), strings.TrimSpace(w.Mobile),
			strings.TrimSpace(w.CertNo), strings.TrimSpace(w.CertKind), valid).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("permits: add worker: %w", err)
	}
	return id, nil
}

// Workers lists the company's workers, contractors' first by name.
func (s *Service) Workers(ctx context.Context, m *enterprise.Member) ([]Worker, error) {
	rows, _ := s.pool.Query(ctx, `SELECT w.id, coalesce(w.contractor_id, 0), coalesce(c.name, ''), w.name, w.mobile, w.cert_no, w.cert_kind,
		coalesce(w.cert_valid_to, '0001-01-01'::date) FROM permit_workers w LEFT JOIN permit_contractors c ON c.id = w.contractor_id
		WHERE w.company = $1 AND w.deleted_at IS NULL ORDER BY c.name NULLS FIRST, w.name`, m.Company)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Worker])
}

// RemoveWorker soft-deletes a worker (kept on the permits naming them).
func (s *Service) RemoveWorker(ctx context.Context, m *enterprise.Member, id int64) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE permit_workers SET deleted_at = $3 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, id, s.cfg.Now())
	if err != nil {
		return fmt.Errorf("permits: remove worker: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("作业人员", "worker")
	}
	return nil
}

// LibraryItem is an entry of the equipment and gas library.
type LibraryItem struct {
	ID        int64
	Kind      string // equipment | gas
	Name      string
	Unit      string
	Low, High *float64
}

// AddLibrary adds an equipment or a gas (with its qualified range).
func (s *Service) AddLibrary(ctx context.Context, m *enterprise.Member, it LibraryItem) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	if it.Kind != "equipment" && it.Kind != "gas" || strings.TrimSpace(it.Name) == "" {
		return invalid("名称", "必填", "name: required")
	}
	if it.Kind == "gas" && (it.Unit == "" || it.Low == nil && it.High == nil) {
		return invalid("检测气体", "须填写单位和合格范围（下限或上限）", "a gas needs its unit and qualified range")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO permit_library (company, kind, name, unit, limit_low, limit_high) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.Company, it.Kind, strings.TrimSpace(it.Name), it.Unit, it.Low, it.High)
	if err != nil {
		if strings.Contains(err.Error(), "permit_library_name") {
			return chemguard.Errorf(chemguard.EConflict, "“%s”已在库中", "%q is already in the library", it.Name)
		}
		return fmt.Errorf("permits: library: %w", err)
	}
	return nil
}

// Library lists the company's equipment and gases.
func (s *Service) Library(ctx context.Context, m *enterprise.Member) ([]LibraryItem, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, kind, name, unit, limit_low, limit_high FROM permit_library WHERE company = $1 AND deleted_at IS NULL ORDER BY kind, name`, m.Company)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[LibraryItem])
}

// Camera is one of the company's registered cameras (视频监控信息).
type Camera struct {
	Code  string
	Name  string
	Place string
	Area  string // the work area it is bound to, "" when unbound
}

// Cameras lists the company's registered cameras and where they are bound.
func (s *Service) Cameras(ctx context.Context, m *enterprise.Member) ([]Camera, error) {
	rows, _ := s.pool.Query(ctx, `SELECT c.record_key, c.doc->>'CAMERA_NAME', c.doc->>'PLACE', coalesce(string_agg(b.area, '、' ORDER BY b.area), '')
		FROM x_cameras c LEFT JOIN permit_cameras b ON b.company = c.company_code AND b.video_code = c.record_key AND b.removed_at IS NULL
		WHERE c.company_code = $1 AND NOT c.deleted GROUP BY 1, 2, 3 ORDER BY 1`, m.Company)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Camera])
}

// BindCamera binds a registered camera to a work area (the permit's place).
func (s *Service) BindCamera(ctx context.Context, m *enterprise.Member, code, area string) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	if strings.TrimSpace(area) == "" {
		return invalid("作业区域", "必填", "area: required")
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM x_cameras WHERE company_code = $1 AND record_key = $2 AND NOT deleted)`, m.Company, code).Scan(&ok); err != nil {
		return fmt.Errorf("permits: camera: %w", err)
	}
	if !ok {
		return notFound("已登记的摄像头 "+code, "registered camera "+code)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO permit_cameras (company, area, video_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, m.Company, strings.TrimSpace(area), code)
	return err
}

// SetVideoTemplate sets the company's video-platform URL template: {code} is
// the camera's VIDEO_CODE, {start} and {end} the work's times (RFC 3339).
func (s *Service) SetVideoTemplate(ctx context.Context, m *enterprise.Member, tmpl string) error {
	if err := managersOnly(m); err != nil {
		return err
	}
	tmpl = strings.TrimSpace(tmpl)
	if err := vms.Check("视频地址模板", tmpl, false); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO permit_settings (company, video_template, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (company) DO UPDATE SET video_template = excluded.video_template, updated_at = excluded.updated_at`, m.Company, tmpl, s.cfg.Now())
	return err
}

// VideoLink is a camera's live/recorded view for a permit.
type VideoLink struct {
	Camera string
	URL    string
}

// VideoTemplate returns the company's template ("" when none).
func (s *Service) VideoTemplate(ctx context.Context, m *enterprise.Member) string {
	var t string
	_ = s.pool.QueryRow(ctx, `SELECT video_template FROM permit_settings WHERE company = $1`, m.Company).Scan(&t)
	return t
}

// Videos returns the views of the cameras bound to the permit's place.
func (s *Service) Videos(ctx context.Context, m *enterprise.Member, p *Permit) ([]VideoLink, error) {
	tmpl := s.VideoTemplate(ctx, m)
	if tmpl == "" {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT b.video_code, coalesce(c.doc->>'CAMERA_NAME', b.video_code) FROM permit_cameras b
		LEFT JOIN x_cameras c ON c.company_code = b.company AND c.record_key = b.video_code
		WHERE b.company = $1 AND b.area = $2 AND b.removed_at IS NULL ORDER BY 1`, m.Company, p.Place)
	var code, name string
	var out []VideoLink
	start, end := p.PlannedStart, p.PlannedEnd
	if !p.StartedAt.IsZero() {
		start = p.StartedAt
	}
	if !p.FinishedAt.IsZero() {
		end = p.FinishedAt
	}
	_, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error {
		out = append(out, VideoLink{Camera: name, URL: vms.Expand(tmpl, code, start, end)})
		return nil
	})
	return out, err
}

// Filter selects permits.
type Filter struct {
	From, To time.Time // planned start in [From, To); zero = unbounded
	TaskType string
	Status   string
	Unit     string
}

// Row is a permit as listed.
type Row struct {
	ID           string
	Number       string
	TaskType     string
	KindName     string
	Place        string
	Unit         string
	Contractor   string
	Status       string
	PlannedStart time.Time
	PlannedEnd   time.Time
	Guardian     string
}

// List returns the company's permits matching f, newest first.
func (s *Service) List(ctx context.Context, m *enterprise.Member, f Filter) ([]Row, error) {
	q := `SELECT p.id::text, p.number, p.task_type, '', p.place, p.unit, coalesce(c.name, ''), p.status, p.planned_start, p.planned_end, p.guardian_name
		FROM permits p LEFT JOIN permit_contractors c ON c.id = p.contractor_id WHERE p.company = $1`
	w := enterprise.NewWhere(q, m.Company)
	w.If(!f.From.IsZero(), "p.planned_start >= $%d", f.From)
	w.If(!f.To.IsZero(), "p.planned_start < $%d", f.To)
	w.If(f.TaskType != "", "p.task_type = $%d", f.TaskType)
	w.If(f.Status != "", "p.status = $%d", f.Status)
	w.If(f.Unit != "", "p.unit = $%d", f.Unit)
	rows, _ := s.pool.Query(ctx, w.SQL+` ORDER BY p.planned_start DESC, p.number DESC LIMIT 1000`, w.Args...)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Row])
	if err != nil {
		return nil, fmt.Errorf("permits: list: %w", err)
	}
	for i := range out {
		if k, ok := s.cfg.Rules.Kinds[out[i].TaskType]; ok {
			out[i].KindName = k.Name
		}
	}
	return out, nil
}

// Count is one line of a statistic.
type Count struct {
	Key   string
	Label string
	N     int
}

// Stats is the statistics page: today's operations and the period's permits
// by type, by unit and by status, with the alarms (gas lapses, expiries).
type Stats struct {
	Today    []Row
	ByType   []Count
	ByUnit   []Count
	ByStatus []Count
	Alarms   int
	Total    int
}

// Statistics computes Stats for permits planned in [from, to).
func (s *Service) Statistics(ctx context.Context, m *enterprise.Member, from, to time.Time) (Stats, error) {
	var st Stats
	now := s.cfg.Now().In(schemas.Shanghai)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, schemas.Shanghai)
	today, err := s.List(ctx, m, Filter{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		return st, err
	}
	st.Today = today
	rows, err := s.List(ctx, m, Filter{From: from, To: to})
	if err != nil {
		return st, err
	}
	st.Total = len(rows)
	count := func(key func(Row) (string, string)) []Count {
		idx := map[string]int{}
		var out []Count
		for _, r := range rows {
			k, l := key(r)
			if i, ok := idx[k]; ok {
				out[i].N++
				continue
			}
			idx[k] = len(out)
			out = append(out, Count{Key: k, Label: l, N: 1})
		}
		return out
	}
	st.ByType = count(func(r Row) (string, string) { return r.TaskType, r.KindName })
	st.ByUnit = count(func(r Row) (string, string) { return r.Unit, r.Unit })
	st.ByStatus = count(func(r Row) (string, string) { return r.Status, StatusName(r.Status) })
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM permit_events e JOIN permits p ON p.id = e.permit_id
		WHERE p.company = $1 AND e.kind IN ('gas_lapsed', 'expired') AND e.at >= $2 AND e.at < $3`, m.Company, from, to).Scan(&st.Alarms)
	if err != nil {
		return st, fmt.Errorf("permits: alarms: %w", err)
	}
	return st, nil
}

// StatsExcel writes the period's permit list and its counts as .xlsx.
func (s *Service) StatsExcel(ctx context.Context, m *enterprise.Member, from, to time.Time, w io.Writer) error {
	st, err := s.Statistics(ctx, m, from, to)
	if err != nil {
		return err
	}
	rows, err := s.List(ctx, m, Filter{From: from, To: to})
	if err != nil {
		return err
	}
	b := enterprise.StatsBook{Sheet: "作业票", Header: []any{"编号", "作业类型", "作业地点", "作业单位", "承包商", "监护人", "计划开始", "计划结束", "状态"},
		Totals: [][]any{{"期间", hm(from) + " 至 " + hm(to)}, {"作业票总数", st.Total}, {"报警次数（气体分析超时、作业票到期）", st.Alarms}}}
	for _, r := range rows {
		b.Rows = append(b.Rows, []any{r.Number, r.KindName, r.Place, r.Unit, r.Contractor, r.Guardian,
			hm(r.PlannedStart), hm(r.PlannedEnd), StatusName(r.Status)})
	}
	for _, g := range []struct {
		t  string
		cs []Count
	}{{"按作业类型", st.ByType}, {"按作业单位", st.ByUnit}, {"按状态", st.ByStatus}} {
		sg := enterprise.StatsGroup{Heading: []any{g.t}}
		for _, c := range g.cs {
			sg.Lines = append(sg.Lines, []any{c.Label, c.N})
		}
		b.Groups = append(b.Groups, sg)
	}
	if err := b.Write(w); err != nil {
		return fmt.Errorf("permits: excel: %w", err)
	}
	return nil
}
