package dangers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const dangerColumns = `d.id, d.company, d.state, d.hazard_code, d.risk_measure_id, d.check_record_id, d.name,
	d.description, d.place, d.level, d.danger_type, d.source, d.manage_type, d.basis, d.reason, d.found_on,
	coalesce(d.department_id, 0), coalesce(dep.name, ''), d.inspectors, coalesce(d.registrant_id, 0),
	d.registrant_name, d.registered_at, d.deadline, d.liable_unit, coalesce(d.liable_id, 0), d.liable_name,
	d.funds, d.funds_source, d.rectification, d.completed_on, d.accept_unit, coalesce(d.acceptor_id, 0),
	d.acceptor_name, d.accepted_at, d.accept_comment, d.origin, d.created_at, d.updated_at, d.deleted_at,
	d.delete_reason`

const dangerFrom = ` FROM enterprise_dangers d LEFT JOIN enterprise_departments dep ON dep.id = d.department_id`

func scanDanger(row pgx.Row) (Danger, error) {
	var d Danger
	var state string
	var level, typ, manage int16
	var deadline, completed, accepted, deleted *time.Time
	err := row.Scan(&d.ID, &d.Company, &state, &d.HazardCode, &d.RiskMeasureID, &d.CheckRecordID, &d.Name,
		&d.Description, &d.Place, &level, &typ, &d.Source, &manage, &d.Basis, &d.Reason, &d.FoundOn,
		&d.DepartmentID, &d.DepartmentName, &d.Inspectors, &d.RegistrantID,
		&d.RegistrantName, &d.RegisteredAt, &deadline, &d.LiableUnit, &d.LiableID, &d.LiableName,
		&d.Funds, &d.FundsSource, &d.Rectification, &completed, &d.AcceptUnit, &d.AcceptorID,
		&d.AcceptorName, &accepted, &d.AcceptComment, &d.Origin, &d.CreatedAt, &d.UpdatedAt, &deleted,
		&d.DeleteReason)
	d.State, d.Level, d.Type, d.ManageType = State(state), int(level), int(typ), int(manage)
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{deadline, &d.Deadline}, {completed, &d.CompletedOn}, {accepted, &d.AcceptedAt}, {deleted, &d.DeletedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return d, err
}

// load reads one danger of company, locking it for update inside tx.
func load(ctx context.Context, q pgx.Tx, company, id string, lock bool) (Danger, error) {
	key, err := uuid.Parse(id)
	if err != nil {
		return Danger{}, notFound(id)
	}
	sql := `SELECT ` + dangerColumns + dangerFrom + ` WHERE d.company = $1 AND d.id = $2`
	if lock {
		sql += ` FOR UPDATE OF d`
	}
	d, err := scanDanger(q.QueryRow(ctx, sql, company, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, notFound(id)
	}
	if err != nil {
		return d, fmt.Errorf("dangers: load: %w", err)
	}
	return d, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// save writes d (insert or full update).
func save(ctx context.Context, tx pgx.Tx, d *Danger) error {
	_, err := tx.Exec(ctx, `INSERT INTO enterprise_dangers (id, company, state, hazard_code, risk_measure_id,
		check_record_id, name, description, place, level, danger_type, source, manage_type, basis, reason, found_on,
		department_id, inspectors, registrant_id, registrant_name, registered_at, deadline, liable_unit, liable_id,
		liable_name, funds, funds_source, rectification, completed_on, accept_unit, acceptor_id, acceptor_name,
		accepted_at, accept_comment, origin, created_at, updated_at, deleted_at, deleted_by, delete_reason)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,
			$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37,$38,NULL,$39)
		ON CONFLICT (id) DO UPDATE SET state = $3, hazard_code = $4, risk_measure_id = $5, check_record_id = $6,
			name = $7, description = $8, place = $9, level = $10, danger_type = $11, source = $12, manage_type = $13,
			basis = $14, reason = $15, found_on = $16, department_id = $17, inspectors = $18, deadline = $22,
			liable_unit = $23, liable_id = $24, liable_name = $25, funds = $26, funds_source = $27,
			rectification = $28, completed_on = $29, accept_unit = $30, acceptor_id = $31, acceptor_name = $32,
			accepted_at = $33, accept_comment = $34, registrant_name = $20, registered_at = $21, origin = $35, updated_at = $37, deleted_at = $38, delete_reason = $39
		WHERE enterprise_dangers.company = $2`,
		d.ID, d.Company, string(d.State), d.HazardCode, d.RiskMeasureID, d.CheckRecordID, d.Name, d.Description,
		d.Place, d.Level, d.Type, d.Source, d.ManageType, d.Basis, d.Reason, d.FoundOn, nullID(d.DepartmentID),
		d.Inspectors, nullID(d.RegistrantID), d.RegistrantName, d.RegisteredAt, nullTime(d.Deadline), d.LiableUnit,
		nullID(d.LiableID), d.LiableName, d.Funds, d.FundsSource, d.Rectification, nullTime(d.CompletedOn),
		d.AcceptUnit, nullID(d.AcceptorID), d.AcceptorName, nullTime(d.AcceptedAt), d.AcceptComment, d.Origin,
		d.CreatedAt, d.UpdatedAt, nullTime(d.DeletedAt), d.DeleteReason)
	if err != nil {
		return fmt.Errorf("dangers: save %s: %w", d.ID, err)
	}
	return nil
}

// addEvent records one step. A client id already used by the company makes it
// a replay: added is false and nothing is written.
func addEvent(ctx context.Context, tx pgx.Tx, d *Danger, e Event, clientID string) (added bool, err error) {
	var client *string
	if clientID != "" {
		client = &clientID
	}
	if e.Photos == nil {
		e.Photos = []string{}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO enterprise_danger_events (danger_id, company, at, actor_id, actor_name,
		action, note, photos, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		d.ID, d.Company, e.At, nullID(e.ActorID), e.ActorName, e.Action, e.Note, e.Photos, client)
	if err != nil {
		return false, fmt.Errorf("dangers: event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// replayed returns the danger a client id was already applied to, if any.
func replayed(ctx context.Context, tx pgx.Tx, company, clientID string) (string, bool, error) {
	if clientID == "" {
		return "", false, nil
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `SELECT danger_id FROM enterprise_danger_events WHERE company = $1 AND client_id = $2`,
		company, clientID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("dangers: replay: %w", err)
	}
	return id.String(), true, nil
}

// Events returns a danger's history, oldest first.
func (s *Service) Events(ctx context.Context, company string, id uuid.UUID) ([]Event, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, at, coalesce(actor_id, 0), actor_name, action, note, photos
		FROM enterprise_danger_events WHERE company = $1 AND danger_id = $2 ORDER BY id`, company, id)
	if err != nil {
		return nil, fmt.Errorf("dangers: events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.Action, &e.Note, &e.Photos)
		return e, err
	})
}

// HasPhoto reports whether ref is a photo of one of the company's danger's steps.
func (s *Service) HasPhoto(ctx context.Context, company string, id uuid.UUID, ref string) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM enterprise_danger_events
		WHERE company = $1 AND danger_id = $2 AND $3 = ANY (photos))`, company, id, ref).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("dangers: photo: %w", err)
	}
	return ok, nil
}

// Filter narrows the ledger's list.
type Filter struct {
	State        State
	Level        string // "0", "1" or ""
	Source       string
	DepartmentID int64
	Overdue      bool
	Mine         int64 // the rectifier's own: liable_id
	Acceptor     int64 // dangers waiting for this acceptor (assigned to him, or any when a manager)
	Manager      bool  // with Acceptor: the member is a manager
	Deleted      bool  // the deleted ones instead of the live ones
	Query        string
}

// List returns the company's dangers matching f at now, newest first.
func (s *Service) List(ctx context.Context, company string, f Filter, now time.Time) ([]Danger, error) {
	where := []string{"d.company = $1"}
	args := []any{company}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Deleted {
		where = append(where, "d.deleted_at IS NOT NULL")
	} else {
		where = append(where, "d.deleted_at IS NULL")
	}
	if f.State != "" {
		where = append(where, "d.state = "+arg(string(f.State)))
	}
	if f.Level != "" {
		where = append(where, "d.level::text = "+arg(f.Level))
	}
	if f.Source != "" {
		where = append(where, "d.source = "+arg(f.Source))
	}
	if f.DepartmentID != 0 {
		where = append(where, "d.department_id = "+arg(f.DepartmentID))
	}
	if f.Overdue {
		where = append(where, "d.state IN ('registered', 'rectifying') AND d.deadline < "+arg(now))
	}
	if f.Mine != 0 {
		where = append(where, "d.liable_id = "+arg(f.Mine))
	}
	if f.Acceptor != 0 {
		// A manager may accept any danger (canAccept), the assigned acceptor
		// his own; nobody the danger he rectified.
		me := arg(f.Acceptor)
		cond := "d.state = 'pending' AND d.liable_id IS DISTINCT FROM " + me
		if !f.Manager {
			cond += " AND d.acceptor_id = " + me
		}
		where = append(where, cond)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		p := arg("%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%")
		where = append(where, "(d.name ILIKE "+p+" OR d.description ILIKE "+p+" OR d.place ILIKE "+p+")")
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+dangerColumns+dangerFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY d.registered_at DESC, d.id LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("dangers: list: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Danger, error) { return scanDanger(r) })
}

// Get returns one danger of company (deleted ones too).
func (s *Service) Get(ctx context.Context, company, id string) (Danger, error) {
	var d Danger
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		d, err = load(ctx, tx, company, id, false)
		return err
	})
	return d, err
}
