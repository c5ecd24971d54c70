package quality

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/schemas"
)

// maxCatchUp bounds how many past days one finalisation pass goes back.
const maxCatchUp = 31

// ScoreIfDue recomputes today's scores when ScoreEvery has passed since the last
// time, and finalises the days that ended (after FinalizeAfter past midnight).
func (s *Service) ScoreIfDue(ctx context.Context) error {
	now := s.cfg.Now()
	s.scoreMu.Lock()
	defer s.scoreMu.Unlock()
	if !s.lastScore.IsZero() && now.After(s.lastScore) && now.Sub(s.lastScore) < s.cfg.ScoreEvery {
		return nil
	}
	if err := s.finalize(ctx, now); err != nil {
		return err
	}
	if _, err := s.Recompute(ctx, now, now); err != nil {
		return err
	}
	s.lastScore = now
	return nil
}

// dayNumber is a local day as yyyymmdd.
func dayNumber(t time.Time) int64 {
	n, _ := strconv.ParseInt(t.In(schemas.Shanghai).Format("20060102"), 10, 64)
	return n
}

// finalize scores the ended days not yet final — yesterday, and the days before it
// back to the last finalised one (at most maxCatchUp) — once FinalizeAfter has
// passed since today's midnight.
func (s *Service) finalize(ctx context.Context, now time.Time) error {
	today, _ := governance.DayBounds(now)
	if now.Before(today.Add(s.cfg.FinalizeAfter)) {
		return nil
	}
	var last int64
	err := s.pool.QueryRow(ctx, `SELECT position FROM governance_cursors WHERE name = 'scores_final'`).Scan(&last)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("quality: read finalised day: %w", err)
	}
	first := today.AddDate(0, 0, -1)
	for i := 2; i <= maxCatchUp && last != 0; i++ {
		d := today.AddDate(0, 0, -i)
		if dayNumber(d) <= last {
			break
		}
		first = d
	}
	for d := first; d.Before(today); d = d.AddDate(0, 0, 1) {
		if dayNumber(d) <= last {
			continue
		}
		_, end := governance.DayBounds(d)
		if _, err := s.store(ctx, d, end, dayNumber(d)); err != nil {
			return err
		}
	}
	return nil
}

// DayScores are the scores of one day as stored.
type DayScores struct {
	Companies []governance.CompanyScore
	Regions   []governance.RegionScore
	Final     bool
}

// Recompute scores the local day containing day from the stored facts, counting them
// up to asOf (the day's end or later: final), for every registered enterprise, rolls
// them up by park, county, city and province, and stores both. The result depends
// only on the stored facts and the registry, so recomputing gives the same numbers.
func (s *Service) Recompute(ctx context.Context, day, asOf time.Time) (DayScores, error) {
	return s.store(ctx, day, asOf, 0)
}

// store is Recompute; a non-zero finalised also records the day as finalised.
func (s *Service) store(ctx context.Context, day, asOf time.Time, finalised int64) (DayScores, error) {
	start, end := governance.DayBounds(day)
	out := DayScores{Final: !asOf.Before(end)}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return out, fmt.Errorf("quality: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	members, err := Members(ctx, tx)
	if err != nil {
		return out, err
	}
	facts, err := DayFacts(ctx, tx, start, end)
	if err != nil {
		return out, err
	}
	codes := make([]string, len(members))
	for i, m := range members {
		codes[i] = m.Company
	}
	out.Companies = governance.ScoreAll(&s.cfg.Rules, codes, day, asOf, facts)
	out.Regions = governance.Rollup(out.Companies, members)
	now := s.cfg.Now()
	var b pgx.Batch
	d := start.In(schemas.Shanghai).Format(schemas.DateLayout)
	for _, c := range out.Companies {
		b.Queue(`INSERT INTO governance_scores (company_code, day, score, dimensions, deductions, as_of, final,
			config_version, computed_at) VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (day, company_code) DO UPDATE SET score = EXCLUDED.score, dimensions = EXCLUDED.dimensions,
				deductions = EXCLUDED.deductions, as_of = EXCLUDED.as_of, final = EXCLUDED.final,
				config_version = EXCLUDED.config_version, computed_at = EXCLUDED.computed_at
			WHERE NOT governance_scores.final`,
			c.Company, d, c.Score, mustJSON(c.Dimensions), mustJSON(c.Deductions), c.AsOf, out.Final, c.ConfigVersion, now)
	}
	for _, r := range out.Regions {
		b.Queue(`INSERT INTO governance_region_scores (region, level, parent, day, score, companies, min_score,
			max_score, as_of, final, computed_at) VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (day, level, region) DO UPDATE SET parent = EXCLUDED.parent, score = EXCLUDED.score,
				companies = EXCLUDED.companies, min_score = EXCLUDED.min_score, max_score = EXCLUDED.max_score,
				as_of = EXCLUDED.as_of, final = EXCLUDED.final, computed_at = EXCLUDED.computed_at
			WHERE NOT governance_region_scores.final`,
			r.Region, r.Level, r.Parent, d, r.Score, r.Companies, r.Min, r.Max, asOfOf(out.Companies, asOf), out.Final, now)
	}
	if finalised != 0 {
		b.Queue(`INSERT INTO governance_cursors (name, position, updated_at) VALUES ('scores_final', $1, now())
			ON CONFLICT (name) DO UPDATE SET position = GREATEST(governance_cursors.position, EXCLUDED.position),
				updated_at = EXCLUDED.updated_at`, finalised)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return out, fmt.Errorf("quality: store scores of %s: %w", d, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return out, fmt.Errorf("quality: store scores of %s: %w", d, err)
	}
	return out, nil
}

// asOfOf is the time the scores count facts up to (ScoreDay clamps it to the day).
func asOfOf(scores []governance.CompanyScore, asOf time.Time) time.Time {
	if len(scores) > 0 {
		return scores[0].AsOf
	}
	return asOf
}

// Members places every registered enterprise (not disabled) in its county and park.
func Members(ctx context.Context, q querier) ([]governance.Member, error) {
	rows, err := q.Query(ctx, `SELECT code, division_code, COALESCE(park_code, '') FROM enterprises
		WHERE disabled_at IS NULL ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("quality: read members: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (governance.Member, error) {
		var m governance.Member
		return m, r.Scan(&m.Company, &m.County, &m.Park)
	})
	if err != nil {
		return nil, fmt.Errorf("quality: read members: %w", err)
	}
	return out, nil
}

// DayFacts reads the stored facts that overlap [start, end).
func DayFacts(ctx context.Context, q querier, start, end time.Time) ([]governance.Fact, error) {
	rows, err := q.Query(ctx, `SELECT doc FROM governance_facts
		WHERE started_at < $2 AND (ended_at IS NULL OR ended_at >= $1) ORDER BY fact_id`, start, end)
	if err != nil {
		return nil, fmt.Errorf("quality: read facts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[governance.Fact])
	if err != nil {
		return nil, fmt.Errorf("quality: read facts: %w", err)
	}
	return out, nil
}
