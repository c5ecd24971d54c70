package dualprevention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Check is one performed check (排查记录, 表5).
type Check struct {
	ID          string
	TaskID      string
	ClientID    string
	CheckerID   int64
	CheckerName string
	CheckedAt   time.Time
	Status      string
	Note        string
	Photos      []Photo
	DangerID    string
	Deleted     bool
	// From the task, for lists.
	UnitName string
	Content  string
	PostName string
}

// StatusZH is the result in the seed's words.
func (c Check) StatusZH() string { return codeName(schemas.CodesCheckStatus, c.Status) }

// Photo is a stored photo of a check.
type Photo struct {
	Ref         string `json:"ref"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// PhotoUpload is one photo as received.
type PhotoUpload struct {
	Data []byte
}

// CheckInput is what an employee records.
type CheckInput struct {
	TaskID    string
	ClientID  string    // the form's id, so the offline queue's retry lands once
	CheckedAt time.Time // when the phone says the check was made; zero for now
	Status    string    // CHECK_STATUS
	Note      string
	Photos    []PhotoUpload
	// The hidden danger, when Status is 1 (存在隐患).
	DangerName  string
	DangerDesc  string
	DangerLevel int
}

// StoredCheck is the outcome of RecordCheck.
type StoredCheck struct {
	ID        string
	DangerID  string
	Duplicate bool // the client id was recorded before; nothing new was stored
}

// checkedAt keeps the phone's time when within the last 7 days and not in
// the future (a check queued offline is recorded at the time it was made).
func checkedAt(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) || now.Sub(t) > 7*24*time.Hour {
		return now
	}
	return t
}

// mayCheck refuses a check of a disabled task, or of another post's task by
// a member who is not a manager.
func mayCheck(m *enterprise.Member, task Task) error {
	if !task.Enabled {
		return chemguard.Errorf(chemguard.EConflict, "该排查任务已停用", "the check task is disabled")
	}
	if !m.HoldsPost(task.PostID) && !m.Has(enterprise.Managers...) {
		if task.PostName == "" {
			return chemguard.Errorf(chemguard.EForbidden, "该排查任务已改由其他岗位负责，您不在该岗位", "the task now belongs to another post, which you do not hold")
		}
		return chemguard.Errorf(chemguard.EForbidden, "该排查任务属于岗位「%s」，您不在该岗位",
			"the task belongs to post %s, which you do not hold", task.PostName)
	}
	return nil
}

// RecordCheck records a check of one of the member's tasks (a manager may
// record any task of the company), publishes 表5 and the task's new 表4 at
// once, and — when the check found a hidden danger — registers it in the
// hidden-danger ledger in the same transaction.
func (s *Service) RecordCheck(ctx context.Context, m *enterprise.Member, in CheckInput) (StoredCheck, error) {
	if _, err := uuid.Parse(in.ClientID); err != nil {
		in.ClientID = uuid.NewString()
	}
	task, err := s.Task(ctx, m.Company, in.TaskID)
	if err != nil {
		return StoredCheck{}, err
	}
	if err := mayCheck(m, task); err != nil {
		return StoredCheck{}, err
	}
	var ps []Problem
	if _, ok := schemas.CodesCheckStatus.Lookup(in.Status); !ok {
		ps = append(ps, Problem{Field: "status", Rule: "code", MessageZH: "排查结果须为 正常、存在隐患、未排查 或 其他",
			MessageEN: "status must be 0 (正常), 1 (存在隐患), 2 (未排查) or 3 (其他)"})
	}
	textRule(&ps, "note", "排查情况说明", in.Note, 1000, in.Status == "3" || in.Status == "2")
	if in.Status == "1" {
		textRule(&ps, "danger_name", "隐患名称", in.DangerName, 100, true)
		textRule(&ps, "danger_desc", "隐患描述", in.DangerDesc, 1000, true)
		if in.DangerLevel != 0 && in.DangerLevel != 1 {
			ps = append(ps, Problem{Field: "danger_level", Rule: "code", MessageZH: "隐患等级须为 一般隐患 或 重大隐患",
				MessageEN: "danger_level must be 0 (一般) or 1 (重大)"})
		}
	}
	if len(in.Photos) > s.cfg.MaxPhotos {
		ps = append(ps, Problem{Field: "photos", Rule: "too_many", MessageZH: fmt.Sprintf("照片最多 %d 张", s.cfg.MaxPhotos),
			MessageEN: fmt.Sprintf("at most %d photos", s.cfg.MaxPhotos)})
	}
	if len(ps) > 0 {
		return StoredCheck{}, invalid("排查记录有误，未保存", "the check has errors; nothing was stored", ps)
	}
	var prior StoredCheck
	err = s.pool.QueryRow(ctx, `SELECT id::text, coalesce(danger_id, '') FROM dp_checks WHERE client_id::text = $1 AND company = $2 AND checker_id = $3`,
		in.ClientID, m.Company, m.UserID).Scan(&prior.ID, &prior.DangerID)
	if err == nil {
		prior.Duplicate = true
		return prior, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return StoredCheck{}, fmt.Errorf("dualprevention: replay: %w", err)
	}
	photos, err := s.storePhotos(in.Photos)
	if err != nil {
		return StoredCheck{}, err
	}
	now := s.now()
	c := Check{ID: uuid.NewString(), TaskID: task.ID, ClientID: in.ClientID, CheckerID: m.UserID, CheckerName: m.DisplayName,
		CheckedAt: checkedAt(in.CheckedAt, now).Truncate(time.Second), Status: in.Status, Note: in.Note, Photos: photos}
	unit, _, err := s.Unit(ctx, m.Company, task.UnitID)
	if err != nil {
		return StoredCheck{}, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// The task was read above without its row lock, and a change to it
		// (停用, another post) may have committed since: lock it first — the
		// republish below locks it anyway, so this takes no lock it would not
		// — and check again what the change could have made untrue.
		locked := task
		err := tx.QueryRow(ctx, `SELECT enabled, post_id FROM dp_tasks WHERE company = $1 AND id::text = $2 AND deleted_at IS NULL FOR NO KEY UPDATE`,
			m.Company, task.ID).Scan(&locked.Enabled, &locked.PostID)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("排查任务", "check task")
		}
		if err != nil {
			return fmt.Errorf("dualprevention: lock task: %w", err)
		}
		if locked.PostID != task.PostID {
			locked.PostName = "" // the name read above is the old post's
		}
		if err := mayCheck(m, locked); err != nil {
			return err
		}
		if c.Status == "1" {
			if s.dangers == nil {
				return chemguard.Errorf(chemguard.EUnavailable, "隐患台账未启用，无法登记排查发现的隐患", "the hidden-danger ledger is not enabled; the finding cannot be registered")
			}
			refs := make([]string, len(photos))
			for i, p := range photos {
				refs[i] = p.Ref
			}
			me := enterprise.Person{UserID: m.UserID, Username: m.Username, DisplayName: m.DisplayName}
			if m.Department != nil {
				me.DepartmentID = m.Department.ID
			}
			id, err := s.dangers.RegisterFinding(ctx, tx, enterprise.Finding{Company: m.Company, HazardCode: unit.HazardCode,
				RiskMeasureID: task.MeasureID, CheckRecordID: c.ID, Name: in.DangerName, Description: in.DangerDesc,
				Place: unit.Name, Level: in.DangerLevel, Source: "1", Registrant: me, FoundAt: c.CheckedAt, Photos: refs})
			if err != nil {
				return err
			}
			c.DangerID = id
		}
		pj, _ := json.Marshal(c.Photos)
		tag, err := tx.Exec(ctx, `INSERT INTO dp_checks (id, company, task_id, client_id, checker_id, checker_name, checked_at, status, note, photos, danger_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, ''), $12) ON CONFLICT (client_id) DO NOTHING`,
			c.ID, m.Company, c.TaskID, c.ClientID, c.CheckerID, c.CheckerName, c.CheckedAt, c.Status, c.Note, pj, c.DangerID, now)
		if err != nil {
			return fmt.Errorf("dualprevention: insert check: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return chemguard.Errorf(chemguard.EConflict, "该表单编号已被使用", "the client_id was used before")
		}
		if err := s.pub.Stage(ctx, tx, schemas.CheckRecords.Slug, m.Company, checkRecord(c)); err != nil {
			return err
		}
		return s.republishTasks(ctx, tx, m.Company, `t.id::text = $2`, c.TaskID)
	})
	if err != nil {
		return StoredCheck{}, err
	}
	return StoredCheck{ID: c.ID, DangerID: c.DangerID}, nil
}

func (s *Service) storePhotos(in []PhotoUpload) ([]Photo, error) {
	out := []Photo{}
	for i, p := range in {
		if len(p.Data) == 0 {
			continue // an empty file input
		}
		if len(p.Data) > s.cfg.MaxPhotoBytes {
			return nil, chemguard.Errorf(chemguard.ETooLarge, "第 %d 张照片超过 %d MB", "photo %d is larger than %d MB", i+1, s.cfg.MaxPhotoBytes>>20)
		}
		ct := http.DetectContentType(p.Data)
		if !strings.HasPrefix(ct, "image/") {
			return nil, chemguard.Errorf(chemguard.EInvalid, "第 %d 个文件不是图片", "file %d is not an image", i+1)
		}
		ref, err := s.files.Put(p.Data)
		if err != nil {
			return nil, &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "文件存储暂时不可用，请稍后重试",
				MessageEN: "the file store is unavailable; retry later", Err: err}
		}
		out = append(out, Photo{Ref: ref, ContentType: ct, Size: len(p.Data)})
	}
	return out, nil
}

// CheckFilter narrows the check records.
type CheckFilter struct {
	CheckID  string
	TaskID   string
	From, To time.Time // checked_at in [From, To); zero for open
	Status   string
	Limit    int
	Offset   int
}

// Checks returns the company's check records, newest first, and how many
// match.
func (s *Service) Checks(ctx context.Context, company string, f CheckFilter) ([]Check, int, error) {
	d, err := s.directory(ctx, company)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id::text, c.task_id::text, c.client_id::text, c.checker_id, c.checker_name, c.checked_at, c.status, c.note,
			c.photos, coalesce(c.danger_id, ''), u.name, ms.content, t.post_id, count(*) OVER ()
		FROM dp_checks c JOIN dp_tasks t ON t.id = c.task_id JOIN dp_measures ms ON ms.id = t.measure_id
		JOIN dp_events e ON e.id = ms.event_id JOIN dp_units u ON u.id = e.unit_id
		WHERE c.company = $1 AND c.deleted_at IS NULL AND ($2 = '' OR c.task_id::text = $2)
			AND ($3::timestamptz IS NULL OR c.checked_at >= $3) AND ($4::timestamptz IS NULL OR c.checked_at < $4)
			AND ($5 = '' OR c.status = $5) AND ($8 = '' OR c.id::text = $8)
		ORDER BY c.checked_at DESC, c.created_at DESC LIMIT $6 OFFSET $7`, company, f.TaskID, from, to, f.Status, f.Limit, f.Offset, f.CheckID)
	if err != nil {
		return nil, 0, fmt.Errorf("dualprevention: checks: %w", err)
	}
	defer rows.Close()
	var out []Check
	total := 0
	for rows.Next() {
		var c Check
		var pj []byte
		var post int64
		if err := rows.Scan(&c.ID, &c.TaskID, &c.ClientID, &c.CheckerID, &c.CheckerName, &c.CheckedAt, &c.Status, &c.Note,
			&pj, &c.DangerID, &c.UnitName, &c.Content, &post, &total); err != nil {
			return nil, 0, fmt.Errorf("dualprevention: checks: %w", err)
		}
		if err := json.Unmarshal(pj, &c.Photos); err != nil {
			return nil, 0, fmt.Errorf("dualprevention: checks: photos: %w", err)
		}
		c.PostName = d.postName(post)
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// CheckPhoto returns photo n of one of the company's checks.
func (s *Service) CheckPhoto(ctx context.Context, company, id string, n int) ([]byte, string, error) {
	var pj []byte
	err := s.pool.QueryRow(ctx, `SELECT photos FROM dp_checks WHERE id::text = $1 AND company = $2 AND deleted_at IS NULL`, id, company).Scan(&pj)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", notFound("排查记录", "check record")
	}
	if err != nil {
		return nil, "", fmt.Errorf("dualprevention: photo: %w", err)
	}
	var photos []Photo
	if err := json.Unmarshal(pj, &photos); err != nil {
		return nil, "", fmt.Errorf("dualprevention: photo: %w", err)
	}
	if n < 0 || n >= len(photos) {
		return nil, "", notFound("照片", "photo")
	}
	data, err := s.files.Get(photos[n].Ref)
	if err != nil {
		return nil, "", fmt.Errorf("dualprevention: photo: %w", err)
	}
	return data, photos[n].ContentType, nil
}
