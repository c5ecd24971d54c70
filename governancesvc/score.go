package governancesvc

import (
	"context"
	"fmt"
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

// FinalizeDelay is how long after midnight the previous day is finalised:
// FinalizeAfter, but never before every fact of the day can have opened (the rules'
// OpenLag and one tick), so a final score holds every fact that starts on its day.
func (s *Service) FinalizeDelay() time.Duration {
	return max(s.cfg.FinalizeAfter, s.cfg.Rules.Limits.OpenLag()+s.cfg.Tick)
}

// finalize scores again, as of their end, the ended days whose stored scores are
// still provisional (at most maxCatchUp days back), once FinalizeDelay has passed
// since today's midnight, and marks them final. A day the platform never scored
// (before it ran) is left alone.
func (s *Service) finalize(ctx context.Context, now time.Time) error {
	today, _ := governance.DayBounds(now)
	if now.Before(today.Add(s.FinalizeDelay())) {
		return nil
	}
	days, err := column(ctx, s.pool, `SELECT DISTINCT day::text FROM governance_scores
		WHERE NOT final AND day < $1::date AND day >= $2::date ORDER BY 1`,
		dayString(today), dayString(today.AddDate(0, 0, -maxCatchUp)))
	if err != nil {
		return fmt.Errorf("quality: days to finalise: %w", err)
	}
	for _, d := range days {
		day, err := time.ParseInLocation(schemas.DateLayout, d, schemas.Shanghai)
		if err != nil {
			return fmt.Errorf("quality: day %s: %w", d, err)
		}
		_, end := governance.DayBounds(day)
		if _, err := s.Recompute(ctx, day, end); err != nil {
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
	d := dayString(start)
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
