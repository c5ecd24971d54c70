package dualprevention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Config tunes the module. Zero fields take the defaults.
type Config struct {
	// Now is the clock (time.Now when nil); tests inject a fixed one.
	Now enterprise.Clock
	// BaseURL is the platform's public address (https://host), written into
	// the QR labels; when empty, the address the label was requested on.
	BaseURL string
	// FontPath is the TrueType collection the PDF labels are set in
	// (DefaultFontPath).
	FontPath string
	// MaxPhotos and MaxPhotoBytes bound one check's photos (6, 10 MB each).
	MaxPhotos, MaxPhotoBytes int
	// EscalateAfter is how long an overdue check waits before the 部门负责人
	// is told, and twice that before the 主要负责人 is (24 h).
	EscalateAfter time.Duration
}

// Defaults for Config.
const (
	DefaultFontPath      = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
	DefaultMaxPhotos     = 6
	DefaultMaxPhotoBytes = 10 << 20
	DefaultEscalateAfter = 24 * time.Hour
)

// Files stores photos; filestore.Dir implements it.
type Files interface {
	Put(data []byte) (string, error)
	Get(ref string) ([]byte, error)
}

// Service is the 双重预防 list, tasks and checks of every company, each call
// keyed by one company. It is safe for concurrent use.
type Service struct {
	cfg     Config
	pool    *pgxpool.Pool
	dir     enterprise.Directory
	pub     enterprise.Publisher
	notify  enterprise.Notifier
	dangers enterprise.DangerRegistry
	files   Files
}

// NewService returns the service on pool.
func NewService(cfg Config, pool *pgxpool.Pool, dir enterprise.Directory, pub enterprise.Publisher,
	notify enterprise.Notifier, dangers enterprise.DangerRegistry, files Files) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FontPath == "" {
		cfg.FontPath = DefaultFontPath
	}
	if cfg.MaxPhotos <= 0 {
		cfg.MaxPhotos = DefaultMaxPhotos
	}
	if cfg.MaxPhotoBytes <= 0 {
		cfg.MaxPhotoBytes = DefaultMaxPhotoBytes
	}
	if cfg.EscalateAfter <= 0 {
		cfg.EscalateAfter = DefaultEscalateAfter
	}
	return &Service{cfg: cfg, pool: pool, dir: dir, pub: pub, notify: notify, dangers: dangers, files: files}
}

// Task is a 隐患排查任务 with where it comes from and its last check.
type Task struct {
	ID         string
	MeasureID  string
	Company    string
	PostID     int64
	PostName   string
	Cycle      Cycle
	Enabled    bool
	Anchor     time.Time
	CreatedAt  time.Time
	Deleted    bool
	Content    string
	Measure    string
	EventName  string
	Level      int
	UnitID     string
	UnitName   string
	UnitNo     int64
	DeptID     int64 // the unit's 责任部门
	DeptName   string
	LastCheck  *time.Time
	LastStatus string
	// Status, Period and Missed are where the task stands at the time asked.
	Status string
	Period Period
	Missed time.Time
}

// StatusZH is the task's status in the seed's words.
func (t Task) StatusZH() string { return StatusZH(t.Status) }

// LevelName is the task's 风险等级.
func (t Task) LevelName() string { return LevelName(t.Level) }

// LastStatusZH is the last check's result.
func (t Task) LastStatusZH() string {
	if t.LastCheck == nil {
		return ""
	}
	return codeName(schemas.CodesCheckStatus, t.LastStatus)
}

const taskSelect = `SELECT t.id::text, t.measure_id::text, t.company, t.post_id, t.cycle_n, t.cycle_unit, t.enabled, t.anchor, t.created_at,
		t.deleted_at IS NOT NULL, ms.content, ms.description, e.name, e.risk_level, u.id::text, u.name, u.no, u.department_id,
		lc.checked_at, coalesce(lc.status, '')
	FROM dp_tasks t
	JOIN dp_measures ms ON ms.id = t.measure_id
	JOIN dp_events e ON e.id = ms.event_id
	JOIN dp_units u ON u.id = e.unit_id
	LEFT JOIN LATERAL (SELECT checked_at, status FROM dp_checks c WHERE c.task_id = t.id AND c.deleted_at IS NULL
		ORDER BY checked_at DESC, created_at DESC LIMIT 1) lc ON true
	WHERE t.company = $1 `

func scanTask(r pgx.CollectableRow) (Task, error) {
	var t Task
	err := r.Scan(&t.ID, &t.MeasureID, &t.Company, &t.PostID, &t.Cycle.N, &t.Cycle.Unit, &t.Enabled, &t.Anchor, &t.CreatedAt,
		&t.Deleted, &t.Content, &t.Measure, &t.EventName, &t.Level, &t.UnitID, &t.UnitName, &t.UnitNo, &t.DeptID,
		&t.LastCheck, &t.LastStatus)
	return t, err
}

// TaskFilter narrows a task query.
type TaskFilter struct {
	UnitID string
	PostID int64
	Posts  []int64 // only tasks of these posts (a member's own)
	Status string
	Level  int
	All    bool // disabled tasks too
}

// Tasks returns the company's tasks with their status at the service's now.
func (s *Service) Tasks(ctx context.Context, company string, f TaskFilter) ([]Task, error) {
	d, err := s.directory(ctx, company)
	if err != nil {
		return nil, err
	}
	return s.tasks(ctx, s.pool, company, d, f, s.now())
}

func (s *Service) tasks(ctx context.Context, q querier, company string, d *directory, f TaskFilter, now time.Time) ([]Task, error) {
	rows, err := q.Query(ctx, taskSelect+`AND t.deleted_at IS NULL AND ($2 = '' OR u.id::text = $2) AND ($3 = 0 OR t.post_id = $3)
		AND ($4 OR t.enabled) AND ($5 = 0 OR e.risk_level = $5)
		ORDER BY u.no, e.risk_level, ms.seq`, company, f.UnitID, f.PostID, f.All, f.Level)
	if err != nil {
		return nil, fmt.Errorf("dualprevention: tasks: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return nil, fmt.Errorf("dualprevention: tasks: %w", err)
	}
	out := ts[:0]
	for _, t := range ts {
		if f.Posts != nil && !slices.Contains(f.Posts, t.PostID) {
			continue
		}
		t.PostName = d.postName(t.PostID)
		t.DeptName = d.depName(t.DeptID)
		var last time.Time
		if t.LastCheck != nil {
			last = *t.LastCheck
		}
		t.Status, t.Period, t.Missed = Status(t.Cycle, t.Anchor, last, now)
		if f.Status != "" && t.Status != f.Status {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// Task returns one of the company's tasks; another company's is not found.
func (s *Service) Task(ctx context.Context, company, id string) (Task, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Task{}, notFound("排查任务", "check task")
	}
	d, err := s.directory(ctx, company)
	if err != nil {
		return Task{}, err
	}
	rows, err := s.pool.Query(ctx, taskSelect+`AND t.id::text = $2 AND t.deleted_at IS NULL`, company, id)
	if err != nil {
		return Task{}, fmt.Errorf("dualprevention: task: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return Task{}, fmt.Errorf("dualprevention: task: %w", err)
	}
	if len(ts) == 0 {
		return Task{}, notFound("排查任务", "check task")
	}
	t := ts[0]
	t.PostName, t.DeptName = d.postName(t.PostID), d.depName(t.DeptID)
	var last time.Time
	if t.LastCheck != nil {
		last = *t.LastCheck
	}
	t.Status, t.Period, t.Missed = Status(t.Cycle, t.Anchor, last, s.now())
	return t, nil
}

// republishTasks stages 表4 for the company's tasks matching where ($2 its
// argument, on dp_tasks t only), as they now stand. It takes the tasks' row
// locks first, in id order, and reads them in a statement of its own once it
// holds them: 表4 joins the task with its measure and its last check, which
// other transactions change (a measure's content, a task's cycle, a new
// check), and the platform keeps the version staged last. Read without the
// lock, a version read before another transaction's change could be staged
// after that change's own; and a query that took the lock itself would still
// see the measure and the checks as they were before it waited. NO KEY
// UPDATE, as an UPDATE of the task takes: a check being recorded holds the
// task's KEY SHARE lock (its foreign key), and FOR UPDATE would deadlock two
// checks of one task.
func (s *Service) republishTasks(ctx context.Context, tx pgx.Tx, company, where string, arg any) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM dp_tasks t WHERE t.company = $1 AND `+where+` ORDER BY t.id FOR NO KEY UPDATE`, company, arg); err != nil {
		return fmt.Errorf("dualprevention: lock tasks: %w", err)
	}
	rows, err := tx.Query(ctx, taskSelect+`AND `+where, company, arg)
	if err != nil {
		return fmt.Errorf("dualprevention: read tasks: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTask)
	if err != nil {
		return fmt.Errorf("dualprevention: read tasks: %w", err)
	}
	if len(ts) == 0 {
		return nil
	}
	recs := make([]any, len(ts))
	for i, t := range ts {
		recs[i] = taskRecord(t)
	}
	return s.pub.Stage(ctx, tx, schemas.CheckTasks.Slug, company, recs...)
}

// Settings are the company's task generation settings.
type Settings struct {
	Levels []int // the 风险等级 whose measures get tasks
}

// Settings returns the company's settings (every level until configured).
func (s *Service) Settings(ctx context.Context, company string) (Settings, error) {
	var levels []int16
	err := s.pool.QueryRow(ctx, `SELECT levels FROM dp_task_settings WHERE company = $1`, company).Scan(&levels)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{Levels: []int{1, 2, 3, 4}}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("dualprevention: settings: %w", err)
	}
	st := Settings{}
	for _, l := range levels {
		st.Levels = append(st.Levels, int(l))
	}
	return st, nil
}

// Generate creates the tasks the list calls for: one per measure whose event
// is of a level in levels (saved as the company's setting), with the measure's
// post and cycle. A measure that already has a task keeps it; a task whose
// measure's level is no longer selected is disabled, not deleted (its
// history stays). It returns how many tasks were created and disabled.
func (s *Service) Generate(ctx context.Context, m *enterprise.Member, levels []int) (created, disabled int, err error) {
	if err := mustManage(m); err != nil {
		return 0, 0, err
	}
	if len(levels) == 0 {
		return 0, 0, invalid("请至少选择一个风险等级", "choose at least one risk level",
			[]Problem{{Field: "levels", Rule: "required", MessageZH: "请至少选择一个风险等级", MessageEN: "choose at least one risk level"}})
	}
	for _, l := range levels {
		if LevelName(l) == "" {
			return 0, 0, chemguard.Errorf(chemguard.EInvalid, "风险等级 %d 不存在", "no risk level %d", l)
		}
	}
	now := s.now()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO dp_task_settings (company, levels, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (company) DO UPDATE SET levels = $2, updated_at = $3`, m.Company, levels, now); err != nil {
			return fmt.Errorf("dualprevention: save settings: %w", err)
		}
		rows, err := tx.Query(ctx, `INSERT INTO dp_tasks (id, company, measure_id, post_id, cycle_n, cycle_unit, anchor, created_at, updated_at)
			SELECT gen_random_uuid(), ms.company, ms.id, ms.post_id, ms.cycle_n, ms.cycle_unit, $3, $3, $3
			FROM dp_measures ms JOIN dp_events e ON e.id = ms.event_id
			WHERE ms.company = $1 AND ms.deleted_at IS NULL AND e.risk_level = ANY($2)
				AND NOT EXISTS (SELECT 1 FROM dp_tasks t WHERE t.measure_id = ms.id)
			FOR SHARE OF ms
			RETURNING id::text`, m.Company, levels, now)
		if err != nil {
			return fmt.Errorf("dualprevention: generate: %w", err)
		}
		// The measures are held in share mode, as writeEvent holds a unit: a
		// measure changed or deleted meanwhile waits for this commit and then
		// republishes (or deletes) the new task too.
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("dualprevention: generate: %w", err)
		}
		created = len(ids)
		// A task of a deleted measure was deleted with it; a disabled task
		// whose level is selected again is enabled again.
		rows, err = tx.Query(ctx, `UPDATE dp_tasks t SET enabled = (e.risk_level = ANY($2)), updated_at = $3
			FROM dp_measures ms JOIN dp_events e ON e.id = ms.event_id
			WHERE t.measure_id = ms.id AND t.company = $1 AND t.deleted_at IS NULL AND t.enabled <> (e.risk_level = ANY($2))
			RETURNING t.id::text, t.enabled`, m.Company, levels, now)
		if err != nil {
			return fmt.Errorf("dualprevention: generate: %w", err)
		}
		for rows.Next() {
			var id string
			var on bool
			if err := rows.Scan(&id, &on); err != nil {
				rows.Close()
				return fmt.Errorf("dualprevention: generate: %w", err)
			}
			if !on {
				disabled++
			}
			ids = append(ids, id)
		}
		rows.Close()
		return s.republishTasks(ctx, tx, m.Company, `t.id::text = ANY($2)`, ids)
	})
	return created, disabled, err
}

// TaskInput is a task's configuration.
type TaskInput struct {
	PostID  int64
	Cycle   Cycle
	Enabled bool
}

// UpdateTask changes a task's post, cycle or whether it is enabled, and
// publishes 表4. A changed cycle counts its periods from now.
func (s *Service) UpdateTask(ctx context.Context, m *enterprise.Member, id string, in TaskInput) error {
	if err := mustManage(m); err != nil {
		return err
	}
	if err := s.owned(ctx, m.Company, "dp_tasks", id); err != nil {
		return err
	}
	d, err := s.directory(ctx, m.Company)
	if err != nil {
		return err
	}
	var ps []Problem
	if _, ok := d.posts[in.PostID]; !ok {
		ps = append(ps, Problem{Field: "post_id", Rule: "post", MessageZH: "岗位须为本企业的岗位", MessageEN: "post_id must be one of the company's posts"})
	}
	if !in.Cycle.Valid() {
		ps = append(ps, Problem{Field: "cycle", Rule: "cycle", MessageZH: "周期须为 1～9999 的整数，单位为 小时、天、周、月 或 年",
			MessageEN: "the cycle must be 1-9999 of 小时, 天, 周, 月 or 年"})
	}
	if len(ps) > 0 {
		return invalid("排查任务配置有误，未保存", "the task configuration has errors; nothing was saved", ps)
	}
	now := s.now()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE dp_tasks SET post_id = $3, enabled = $6, updated_at = $7,
				anchor = CASE WHEN cycle_n = $4 AND cycle_unit = $5 THEN anchor ELSE $7 END, cycle_n = $4, cycle_unit = $5
			WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL`, id, m.Company, in.PostID, in.Cycle.N, in.Cycle.Unit, in.Enabled, now)
		if err != nil {
			return fmt.Errorf("dualprevention: update task: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("排查任务", "check task")
		}
		return s.republishTasks(ctx, tx, m.Company, `t.id::text = $2`, id)
	})
}

// Sweep tells people about the tasks of every company at now: a period that
// began is pushed to the people of the task's post (once per period); a
// missed deadline is pushed to them again as urgent, then after
// EscalateAfter to the unit's 部门负责人, and after twice that to the
// 主要负责人. The Notifier's Key makes each push happen once however often
// Sweep runs. It returns how many notices it asked for.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT company FROM dp_tasks WHERE deleted_at IS NULL AND enabled`)
	if err != nil {
		return 0, fmt.Errorf("dualprevention: sweep: %w", err)
	}
	companies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("dualprevention: sweep: %w", err)
	}
	sent := 0
	for _, company := range companies {
		n, err := s.sweepCompany(ctx, company, now)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *Service) sweepCompany(ctx context.Context, company string, now time.Time) (int, error) {
	d, err := s.directory(ctx, company)
	if err != nil {
		return 0, err
	}
	ts, err := s.tasks(ctx, s.pool, company, d, TaskFilter{}, now)
	if err != nil {
		return 0, err
	}
	var principals []int64
	if ps, err := s.dir.PeopleWithRole(ctx, company, policy.EnterprisePrincipal); err == nil {
		for _, p := range ps {
			principals = append(principals, p.UserID)
		}
	} else {
		return 0, fmt.Errorf("dualprevention: principals: %w", err)
	}
	sent := 0
	for _, t := range ts {
		people, err := s.dir.PeopleOfPost(ctx, company, t.PostID)
		if err != nil {
			return sent, fmt.Errorf("dualprevention: people of post: %w", err)
		}
		var ids []int64
		for _, p := range people {
			ids = append(ids, p.UserID)
		}
		link := enterprise.PhonePrefix + "/units/" + t.UnitID
		period := t.Period.Start.In(schemas.Shanghai).Format("2006-01-02T15")
		due := t.Period.End.In(schemas.Shanghai).Format("01-02 15:04")
		push := func(to []int64, n enterprise.Notice) error {
			if len(to) == 0 {
				return nil
			}
			if err := s.notify.Notify(ctx, company, to, n); err != nil {
				return fmt.Errorf("dualprevention: notify: %w", err)
			}
			sent++
			return nil
		}
		switch t.Status {
		case StatusPending:
			if err := push(ids, enterprise.Notice{Kind: "task_due", Title: "隐患排查任务：" + t.UnitName,
				Body: fmt.Sprintf("%s（%s），请于 %s 前完成排查。", t.Content, t.Cycle, due), Link: link,
				Key: "dp-task:" + t.ID + ":" + period + ":due"}); err != nil {
				return sent, err
			}
		case StatusOverdue:
			// The post is told of each missed deadline; the escalation runs on
			// how long the task has been overdue since its last check.
			missed := t.Period.Start.In(schemas.Shanghai).Format("2006-01-02T15")
			since := t.Missed.In(schemas.Shanghai).Format("2006-01-02T15")
			late := now.Sub(t.Missed)
			body := fmt.Sprintf("%s（%s）自 %s 起超期未排查，请立即排查。", t.Content, t.Cycle, t.Missed.In(schemas.Shanghai).Format("01-02 15:04"))
			if err := push(ids, enterprise.Notice{Kind: "task_overdue", Title: "超期未排查：" + t.UnitName, Body: body, Link: link,
				Urgent: true, Key: "dp-task:" + t.ID + ":" + missed + ":overdue"}); err != nil {
				return sent, err
			}
			if late >= s.cfg.EscalateAfter {
				if dep, ok := d.deps[t.DeptID]; ok && dep.HeadID != 0 {
					if err := push([]int64{dep.HeadID}, enterprise.Notice{Kind: "task_overdue", Title: "本部门排查任务超期：" + t.UnitName,
						Body: body + "（岗位：" + t.PostName + "）", Link: enterprise.Prefix + "/dp/tasks?status=overdue", Urgent: true,
						Key: "dp-task:" + t.ID + ":" + since + ":head"}); err != nil {
						return sent, err
					}
				}
			}
			if late >= 2*s.cfg.EscalateAfter {
				if err := push(principals, enterprise.Notice{Kind: "task_overdue", Title: "排查任务严重超期：" + t.UnitName,
					Body: body + "（责任部门：" + t.DeptName + "，岗位：" + t.PostName + "）", Link: enterprise.Prefix + "/dp/tasks?status=overdue",
					Urgent: true, Key: "dp-task:" + t.ID + ":" + since + ":principal"}); err != nil {
					return sent, err
				}
			}
		}
	}
	return sent, nil
}

// Run sweeps every interval until ctx ends; errors are returned to report
// and the loop goes on.
func (s *Service) Run(ctx context.Context, every time.Duration, report func(error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
