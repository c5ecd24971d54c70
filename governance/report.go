package governance

import (
	"sort"
	"time"

	"github.com/shandong-emergency/chemguard/tiers"
)

// Offender is one of a report's worst companies, with the facts that cost it most.
type Offender struct {
	Company string      `json:"company"`
	Score   float64     `json:"score"`
	Facts   []Fact      `json:"facts"`      // the day's deducting facts, biggest deduction first
	Points  []Deduction `json:"deductions"` // in the order of Facts
}

// Report is a region's daily governance report (数据质量治理日报): its score, the
// ranking of the regions directly under it, its companies' ranking, the biggest
// fallers since the previous day, the worst companies with their evidence, and the
// day's facts by kind. It holds only the region's own companies.
type Report struct {
	Region        string                `json:"region"` // division code, or a park code
	Level         string                `json:"level"`
	Day           string                `json:"day"`
	AsOf          time.Time             `json:"as_of"`
	ConfigVersion string                `json:"config_version"`
	Score         RegionScore           `json:"score"`
	Children      []RegionScore         `json:"children,omitempty"` // cities, counties or parks, ranked
	Companies     []RankedCompany       `json:"companies"`
	Fallers       []Trend               `json:"fallers"`
	Offenders     []Offender            `json:"offenders"`
	FactsByKind   map[Kind]int          `json:"facts_by_kind"`
	Dimensions    map[Dimension]float64 `json:"dimensions"` // mean dimension score over the companies
}

// DailyReport builds the report of region (a division code or a park code) for the
// local day of day, counting facts up to asOf. members places every company (a
// company in the region without facts scores 100); previous are the previous day's
// company scores (for trends, may be empty); top bounds the fallers and offenders.
func DailyReport(cfg *Config, region string, day, asOf time.Time, facts []Fact, members []Member,
	previous []CompanyScore, top int) Report {
	var inside []Member
	var codes []string
	for _, m := range members {
		if m.Park == region || tiers.IsCounty(m.County) && tiers.Contains(region, m.County) {
			inside = append(inside, m)
			codes = append(codes, m.Company)
		}
	}
	in := map[string]bool{}
	for _, c := range codes {
		in[c] = true
	}
	var mine []Fact
	for _, f := range facts {
		if in[f.Company] {
			mine = append(mine, f)
		}
	}
	scores := ScoreAll(cfg, codes, day, asOf, mine)
	r := Report{Region: region, Level: LevelPark, Day: localDay(day), ConfigVersion: cfg.Version,
		FactsByKind: map[Kind]int{}, Dimensions: map[Dimension]float64{}, Fallers: []Trend{}, Offenders: []Offender{}}
	if len(scores) > 0 {
		r.AsOf = scores[0].AsOf
	}
	childLevel := ""
	if d, ok := tiers.DivisionByCode(region); ok {
		r.Level = map[tiers.Level]string{tiers.Province: LevelProvince, tiers.City: LevelCity, tiers.County: LevelCounty}[d.Level]
		childLevel = map[tiers.Level]string{tiers.Province: LevelCity, tiers.City: LevelCounty, tiers.County: LevelPark}[d.Level]
	}
	rollup := Rollup(scores, inside)
	for _, x := range rollup {
		if x.Region == region && x.Level == r.Level {
			r.Score = x
		}
	}
	if childLevel != "" {
		r.Children = RankRegions(rollup, region, childLevel)
	}
	r.Companies = RankCompanies(scores, inside, region)

	var prev []CompanyScore
	for _, p := range previous {
		if in[p.Company] {
			prev = append(prev, p)
		}
	}
	r.Fallers = append(r.Fallers, Fallers(CompanyTrends(scores, prev), top)...)

	byID := map[string]Fact{}
	for _, f := range mine {
		byID[f.ID] = f
	}
	for _, s := range scores {
		for _, d := range s.Deductions {
			r.FactsByKind[d.Kind]++
		}
		for _, d := range s.Dimensions {
			r.Dimensions[d.Dimension] += d.Score / float64(len(scores))
		}
	}
	for d, v := range r.Dimensions {
		r.Dimensions[d] = round1(v)
	}
	for i := len(r.Companies) - 1; i >= 0 && len(r.Offenders) < top; i-- {
		s := r.Companies[i]
		if len(s.Deductions) == 0 {
			break
		}
		ds := append([]Deduction(nil), s.Deductions...)
		sort.SliceStable(ds, func(a, b int) bool { return ds[a].Points > ds[b].Points })
		o := Offender{Company: s.Company, Score: s.Score, Points: ds}
		for _, d := range ds {
			o.Facts = append(o.Facts, byID[d.FactID])
		}
		r.Offenders = append(r.Offenders, o)
	}
	return r
}
