package governancesvc

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Today is the local midnight starting the service's current day.
func (h *Handler) Today() time.Time {
	start, _ := governance.DayBounds(h.svc.cfg.Now())
	return start
}

// Rules are the governance rules in use (fact names, dimensions).
func (h *Handler) Rules() *governance.Config { return &h.svc.cfg.Rules }

// CompanyScore is a company's stored score of a day with the change since the day
// before (nil: not scored then).
type CompanyScore struct {
	ScoreView
	Previous  *float64 `json:"previous"`
	OpenFacts int      `json:"open_facts"`
}

// CompanyScores returns a page of the stored scores of the companies of scope on
// day, worst first (then by code), and how many there are; paginated in SQL. It does
// not authorize: scope is the caller's.
func (h *Handler) CompanyScores(ctx context.Context, scope tiers.Scope, day time.Time, offset, limit int) ([]CompanyScore, int, error) {
	w := &where{}
	w.scope(scope)
	w.add("s.day = $?::date", dayString(day))
	var total int
	if err := h.svc.pool.QueryRow(ctx, `SELECT count(*) FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE `+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("quality: count scores: %w", err)
	}
	w.args = append(w.args, dayString(day.AddDate(0, 0, -1))) // the previous day, for the trend
	prevArg := len(w.args)
	rows, err := h.svc.pool.Query(ctx, `SELECT `+scoreColumns+`,
			(SELECT p.score FROM governance_scores p WHERE p.company_code = s.company_code AND p.day = $`+strconv.Itoa(prevArg)+`::date),
			(SELECT count(*) FROM governance_facts f WHERE f.company_code = s.company_code AND f.ended_at IS NULL)
		FROM governance_scores s JOIN enterprises e ON e.code = s.company_code
		WHERE `+w.sql()+` ORDER BY s.score, s.company_code
		LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("quality: list scores: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CompanyScore, error) {
		var v CompanyScore
		err := r.Scan(&v.Company, &v.CompanyName, &v.County, &v.Park, &v.Day, &v.Score, &v.Dimensions, &v.Deductions,
			&v.AsOf, &v.Final, &v.Config, &v.Previous, &v.OpenFacts)
		return v, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("quality: list scores: %w", err)
	}
	return nonNil(list), total, nil
}

// RegionScore is the stored rollup of region r on day and its change since the day
// before (nil when nothing was scored). It does not authorize.
func (h *Handler) RegionScore(ctx context.Context, r Region, day time.Time) (*governance.RegionScore, *governance.Trend, error) {
	v, err := h.Regions(ctx, r, day)
	if err != nil {
		return nil, nil, err
	}
	return v.Score, v.Trend, nil
}
