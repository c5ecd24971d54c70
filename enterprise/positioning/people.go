package positioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// Person kinds (指南 4.1, 4.8).
const (
	PersonEmployee   = "employee"
	PersonContractor = "contractor"
	PersonVisitor    = "visitor"
	PersonVehicle    = "vehicle"
	PersonDriver     = "driver"
	PersonEscort     = "escort"
)

// PersonKinds are the kinds in the order the pages list them.
var PersonKinds = []string{PersonEmployee, PersonContractor, PersonVisitor, PersonVehicle, PersonDriver, PersonEscort}

// PersonKindName is the Chinese name of a person kind.
func PersonKindName(k string) string {
	return map[string]string{PersonEmployee: "企业员工", PersonContractor: "承包商人员", PersonVisitor: "访客",
		PersonVehicle: "车辆", PersonDriver: "驾驶员", PersonEscort: "押运员"}[k]
}

// Carrier is a person (or vehicle) who may carry a tag.
type Carrier struct {
	ID        int64
	Kind      string
	UserID    int64 // employee: the member
	WorkerID  int64 // contractor's person: the permit module's worker
	Name      string
	Unit      string // 单位名称
	Age       int
	Trade     string // 工种
	Training  string // 培训情况
	Mobile    string
	PostFence int64
	Card      string // the tag bound now; "" none
}

// AddPerson registers a carrier. Employees come from the directory (UserID),
// contractors' people from the permit module (WorkerID); visitors, vehicles,
// drivers and escorts are entered here.
func (s *Service) AddPerson(ctx context.Context, m *enterprise.Member, p Carrier) (int64, error) {
	if err := requireManager(m); err != nil {
		return 0, err
	}
	if PersonKindName(p.Kind) == "" {
		return 0, invalid("人员类别", "应为企业员工、承包商人员、访客、车辆、驾驶员或押运员", "kind must be one of "+strings.Join(PersonKinds, ", "))
	}
	if p.Age != 0 && (p.Age < 14 || p.Age > 100) {
		return 0, invalid("年龄", "应在 14～100 之间", "age must be 14-100")
	}
	var err error
	if p.Kind == PersonEmployee {
		if p.UserID == 0 {
			return 0, invalid("企业员工", "请从本企业人员中选择", "an employee must be chosen from the company's people")
		}
		people, err := s.dir.People(ctx, m.Company)
		if err != nil {
			return 0, fmt.Errorf("positioning: people: %w", err)
		}
		found := false
		for _, d := range people {
			if d.UserID == p.UserID {
				found, p.Name, p.Mobile = true, d.DisplayName, d.Mobile
			}
		}
		if !found {
			return 0, invalid("企业员工", "不是本企业在职人员", "not an active member of the company")
		}
	}
	if p.Kind == PersonContractor {
		if p.WorkerID == 0 {
			return 0, invalid("承包商人员", "请从特殊作业的承包商人员中选择", "a contractor's person must be chosen from the permit module's workers")
		}
		var unit string
		err := s.pool.QueryRow(ctx, `SELECT w.name, coalesce(c.name, ''), w.mobile FROM permit_workers w LEFT JOIN permit_contractors c ON c.id = w.contractor_id
			WHERE w.company = $1 AND w.id = $2 AND w.deleted_at IS NULL`, m.Company, p.WorkerID).Scan(&p.Name, &unit, &p.Mobile)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, notFound("承包商人员", "contractor's person")
		}
		if err != nil {
			return 0, fmt.Errorf("positioning: worker: %w", err)
		}
		if p.Unit == "" {
			p.Unit = unit
		}
	}
	if p.Name, err = textField("姓名/车牌号", "name", p.Name, 50, true); err != nil {
		return 0, err
	}
	if p.Unit, err = textField("单位名称", "unit", p.Unit, 50, false); err != nil {
		return 0, err
	}
	if p.Trade, err = textField("工种", "trade", p.Trade, 50, false); err != nil {
		return 0, err
	}
	if p.Training, err = textField("培训情况", "training", p.Training, 200, false); err != nil {
		return 0, err
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO pos_people (company, kind, user_id, worker_id, name, unit, age, trade, training, mobile, created_at)
		VALUES ($1, $2, nullif($3, 0), nullif($4, 0), $5, $6, nullif($7, 0), $8, $9, $10, $11) RETURNING id`,
		m.Company, p.Kind, p.UserID, p.WorkerID, p.Name, p.Unit, p.Age, p.Trade, p.Training, p.Mobile, s.cfg.Now()).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return 0, &chemguard.Error{Code: chemguard.EConflict, MessageZH: p.Name + "已登记", MessageEN: "the person is already registered"}
	}
	if err != nil {
		return 0, fmt.Errorf("positioning: add person: %w", err)
	}
	return id, nil
}

// People returns the company's carriers with the tag each carries now.
func (s *Service) People(ctx context.Context, company string) ([]Carrier, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.kind, coalesce(p.user_id, 0), coalesce(p.worker_id, 0), p.name, p.unit, coalesce(p.age, 0),
		p.trade, p.training, p.mobile, coalesce(p.post_fence_id, 0), coalesce(t.card_no, '')
		FROM pos_people p LEFT JOIN pos_tags t ON t.person_id = p.id AND t.unbound_at IS NULL
		WHERE p.company = $1 AND p.deleted_at IS NULL ORDER BY p.kind, p.name, p.id`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: people: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Carrier, error) {
		var c Carrier
		err := r.Scan(&c.ID, &c.Kind, &c.UserID, &c.WorkerID, &c.Name, &c.Unit, &c.Age, &c.Trade, &c.Training, &c.Mobile, &c.PostFence, &c.Card)
		return c, err
	})
}

// RemovePerson marks a carrier removed and unbinds the tag it carried.
func (s *Service) RemovePerson(ctx context.Context, m *enterprise.Member, id int64) error {
	if err := requireManager(m); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.cfg.Now()
		tag, err := tx.Exec(ctx, `UPDATE pos_people SET deleted_at = $3 WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, id, now)
		if err != nil {
			return fmt.Errorf("positioning: remove person: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("人员", "person")
		}
		_, err = tx.Exec(ctx, `UPDATE pos_tags SET unbound_at = $3, unbound_by = $4 WHERE company = $1 AND person_id = $2 AND unbound_at IS NULL`, m.Company, id, now, m.UserID)
		return err
	})
}

// SetPost sets the 岗位区域 (a post fence) whose leaving is 离岗 for person; 0 clears it.
func (s *Service) SetPost(ctx context.Context, m *enterprise.Member, person, fence int64) error {
	if err := requireManager(m); err != nil {
		return err
	}
	if fence != 0 {
		var kind string
		if err := s.pool.QueryRow(ctx, `SELECT kind FROM pos_fences WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, fence).Scan(&kind); err != nil {
			return notFound("电子围栏", "fence")
		}
		if kind != KindPost {
			return invalid("岗位区域", "应选择类别为岗位区域的电子围栏", "the post must be a fence of kind post")
		}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE pos_people SET post_fence_id = nullif($3, 0) WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, person, fence)
	if err != nil {
		return fmt.Errorf("positioning: set post: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("人员", "person")
	}
	return nil
}

// Bind gives person the tag card. A tag carried by someone else must be
// unbound first: a fix must never be charged to the wrong person.
func (s *Service) Bind(ctx context.Context, m *enterprise.Member, person int64, card string) error {
	if err := requireManager(m); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM pos_people WHERE company = $1 AND id = $2 AND deleted_at IS NULL`, m.Company, person).Scan(&name); err != nil {
			return notFound("人员", "person")
		}
		card, err := textField("卡号", "card number", card, 36, true)
		if err != nil {
			return err
		}
		var holder string
		err = tx.QueryRow(ctx, `SELECT p.name FROM pos_tags t JOIN pos_people p ON p.id = t.person_id WHERE t.company = $1 AND t.card_no = $2 AND t.unbound_at IS NULL`,
			m.Company, card).Scan(&holder)
		if err == nil {
			return &chemguard.Error{Code: chemguard.EConflict, MessageZH: fmt.Sprintf("卡号 %s 已绑定给%s，请先解绑", card, holder),
				MessageEN: fmt.Sprintf("tag %s is bound to someone else; unbind it first", card)}
		}
		now := s.cfg.Now()
		if _, err := tx.Exec(ctx, `UPDATE pos_tags SET unbound_at = $3, unbound_by = $4 WHERE company = $1 AND person_id = $2 AND unbound_at IS NULL`,
			m.Company, person, now, m.UserID); err != nil {
			return fmt.Errorf("positioning: rebind: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO pos_tags (company, card_no, person_id, bound_at, bound_by) VALUES ($1, $2, $3, $4, $5)`,
			m.Company, card, person, now, m.UserID); err != nil {
			return fmt.Errorf("positioning: bind: %w", err)
		}
		// The tag's past belongs to its former carrier: the rules start afresh.
		_, err = tx.Exec(ctx, `DELETE FROM pos_last WHERE company = $1 AND card_no = $2`, m.Company, card)
		return err
	})
}

// Unbind takes the tag card back (a visitor leaving returns the card).
func (s *Service) Unbind(ctx context.Context, m *enterprise.Member, card string) error {
	if err := requireManager(m); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE pos_tags SET unbound_at = $3, unbound_by = $4 WHERE company = $1 AND card_no = $2 AND unbound_at IS NULL`,
			m.Company, card, s.cfg.Now(), m.UserID)
		if err != nil {
			return fmt.Errorf("positioning: unbind: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return notFound("已绑定的卡号 "+card, "bound tag")
		}
		_, err = tx.Exec(ctx, `DELETE FROM pos_last WHERE company = $1 AND card_no = $2`, m.Company, card)
		return err
	})
}

// Binding is one period a tag was carried by a person.
type Binding struct {
	Card      string
	Person    string
	Kind      string
	BoundAt   time.Time
	UnboundAt time.Time // zero while bound
}

// TagHistory returns every binding of the company's tags, newest first.
func (s *Service) TagHistory(ctx context.Context, company string) ([]Binding, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.card_no, p.name, p.kind, t.bound_at, t.unbound_at FROM pos_tags t JOIN pos_people p ON p.id = t.person_id
		WHERE t.company = $1 ORDER BY t.bound_at DESC, t.id DESC LIMIT 500`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: tag history: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Binding, error) {
		var b Binding
		var un *time.Time
		err := r.Scan(&b.Card, &b.Person, &b.Kind, &b.BoundAt, &un)
		if un != nil {
			b.UnboundAt = *un
		}
		return b, err
	})
}

// Worker is a contractor's person of the permit module, to choose from.
type Worker struct {
	ID   int64
	Name string
	Unit string
}

// Workers returns the permit module's contractors' people of the company.
func (s *Service) Workers(ctx context.Context, company string) ([]Worker, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.id, w.name, coalesce(c.name, '') FROM permit_workers w LEFT JOIN permit_contractors c ON c.id = w.contractor_id
		WHERE w.company = $1 AND w.deleted_at IS NULL ORDER BY c.name, w.name`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: workers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Worker, error) {
		var w Worker
		return w, r.Scan(&w.ID, &w.Name, &w.Unit)
	})
}
