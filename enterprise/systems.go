package enterprise

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
)

// System is where a company's exchange tables come from.
type System string

// The two systems a company may publish from. A company starts on the base
// system once it has base-system accounts; the platform keys every record by
// the company's own UUIDs, so either system continues the other's records.
const (
	SystemBase System = "base" // the hosted base system publishes
	SystemOwn  System = "own"  // the company's own system publishes by API key
)

// Label is the system's Chinese name.
func (s System) Label() string {
	if s == SystemOwn {
		return "企业自有系统"
	}
	return "基础系统"
}

// Choice is one switch between the systems.
type Choice struct {
	System   System
	Reason   string
	ChosenBy string // username; "" for the default
	ChosenAt time.Time
}

// Systems records which system each company publishes from.
type Systems struct{ pool *pgxpool.Pool }

// NewSystems returns the record on pool.
func NewSystems(pool *pgxpool.Pool) *Systems { return &Systems{pool: pool} }

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// current is the company's system as q sees it (the base system when never chosen).
func (s *Systems) current(ctx context.Context, q querier, company string) (System, error) {
	var sys System
	err := q.QueryRow(ctx, `SELECT system FROM enterprise_system_choice WHERE company = $1 ORDER BY id DESC LIMIT 1`,
		company).Scan(&sys)
	if errors.Is(err, pgx.ErrNoRows) {
		return SystemBase, nil
	}
	if err != nil {
		return "", fmt.Errorf("enterprise: system of %s: %w", company, err)
	}
	return sys, nil
}

// systemLock is the advisory lock of a company's system choice, $1 the
// company: Choose holds it exclusively, a transaction that stages holds it
// shared until it commits.
const systemLock = `hashtextextended('enterprise_system/' || $1, 0)`

// staging is current for a transaction about to stage: it holds the system
// choice's lock shared until tx ends, so a switch to the company's own system
// waits for the change being staged and a change staged after the switch
// sees it. Read without the lock, a change that read 基础系统 before the switch
// committed was staged, and published, after it, over what the company's own
// system had sent since.
func (s *Systems) staging(ctx context.Context, tx pgx.Tx, company string) (System, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(`+systemLock+`)`, company); err != nil {
		return "", fmt.Errorf("enterprise: system of %s: %w", company, err)
	}
	return s.current(ctx, tx, company)
}

// Current returns the company's system.
func (s *Systems) Current(ctx context.Context, company string) (System, error) {
	return s.current(ctx, s.pool, company)
}

// History returns the company's switches, newest first.
func (s *Systems) History(ctx context.Context, company string) ([]Choice, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.system, c.reason, coalesce(u.username, ''), c.chosen_at
		FROM enterprise_system_choice c LEFT JOIN users u ON u.id = c.chosen_by
		WHERE c.company = $1 ORDER BY c.id DESC`, company)
	if err != nil {
		return nil, fmt.Errorf("enterprise: system history: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Choice, error) {
		var c Choice
		return c, r.Scan(&c.System, &c.Reason, &c.ChosenBy, &c.ChosenAt)
	})
}

// Choose switches the company to sys, recording who and why. Choosing the
// system already in use is a conflict, so a double submit records nothing.
func (s *Systems) Choose(ctx context.Context, company string, sys System, reason string, by int64, now time.Time) error {
	if sys != SystemBase && sys != SystemOwn {
		return chemguard.Errorf(chemguard.EInvalid, "数据上报方式「%s」无效（应为基础系统或自有系统）",
			"system %q is neither base nor own", string(sys))
	}
	if len([]rune(reason)) > 200 {
		return chemguard.Errorf(chemguard.EInvalid, "切换原因不能超过 200 字", "the reason is longer than 200 characters")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("enterprise: choose system: %w", err)
	}
	defer tx.Rollback(ctx)
	// One switch at a time per company: the lock serialises two administrators,
	// and waits for the changes being staged (staging holds it shared).
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+systemLock+`)`, company); err != nil {
		return fmt.Errorf("enterprise: choose system: %w", err)
	}
	cur, err := s.current(ctx, tx, company)
	if err != nil {
		return err
	}
	if cur == sys {
		return &chemguard.Error{Code: chemguard.EConflict, MessageZH: "本企业已在使用" + sys.Label() + "上报数据",
			MessageEN: "the company already publishes from the " + string(sys) + " system"}
	}
	if sys == SystemOwn {
		if err := s.noneWaiting(ctx, tx, company); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO enterprise_system_choice (company, system, reason, chosen_by, chosen_at)
		VALUES ($1, $2, $3, $4, $5)`, company, sys, reason, by, now); err != nil {
		return fmt.Errorf("enterprise: choose system: %w", err)
	}
	return tx.Commit(ctx)
}

// noneWaiting refuses the switch to the company's own system while records the
// base system staged are still waiting in the outbox: sent after the switch,
// they would reach the platform after the own system's versions of the same
// records and, received last, replace them. Records set aside as refused do
// not wait (they are never sent). Under the switch's lock every staging
// transaction has ended, so what is counted here is all there is.
func (s *Systems) noneWaiting(ctx context.Context, q querier, company string) error {
	var waiting int
	var slugs []string
	if err := q.QueryRow(ctx, `SELECT count(*), coalesce(array_agg(DISTINCT slug ORDER BY slug), '{}')
		FROM enterprise_outbox WHERE company = $1 AND sent_at IS NULL AND refused_at IS NULL`, company).Scan(&waiting, &slugs); err != nil {
		return fmt.Errorf("enterprise: choose system: outbox: %w", err)
	}
	if waiting == 0 {
		return nil
	}
	names := make([]string, len(slugs))
	for i, slug := range slugs {
		names[i] = slug
		if t, err := schemas.Lookup(slug); err == nil {
			names[i] = t.NameZH
		}
	}
	return &chemguard.Error{Code: chemguard.EConflict,
		MessageZH: fmt.Sprintf("基础系统还有 %d 条数据（%s）尚未上报平台，此时切换会使其晚于自有系统的数据到达并覆盖较新的记录；请待上报完毕（本页“待上报”均为 0）后再切换",
			waiting, strings.Join(names, "、")),
		MessageEN: fmt.Sprintf("%d record(s) of the base system (%s) are not yet published; sent after the switch they would arrive after the own system's and replace newer versions: switch once they are sent",
			waiting, strings.Join(slugs, ", "))}
}
