package governance

import (
	"math"
	"sort"
	"time"

	"github.com/shandong-emergency/chemguard/tiers"
)

// DimensionScore is one dimension of a company's day: its weight, what its facts
// deducted (at most the weight) and what is left.
type DimensionScore struct {
	Dimension Dimension `json:"dimension"`
	NameZH    string    `json:"name_zh"`
	Weight    float64   `json:"weight"`
	Deducted  float64   `json:"deducted"`
	Score     float64   `json:"score"`
	Facts     int       `json:"facts"`
}

// Deduction is what one fact took from a day's score.
type Deduction struct {
	FactID    string    `json:"fact_id"`
	Kind      Kind      `json:"kind"`
	Dimension Dimension `json:"dimension"`
	Hours     float64   `json:"hours"` // the fact's time within the day, up to AsOf
	Points    float64   `json:"points"`
}

// CompanyScore is a company's 0–100 score for one local day, with its breakdown.
type CompanyScore struct {
	Company       string           `json:"company"`
	Day           string           `json:"day"`   // yyyy-mm-dd, Asia/Shanghai
	AsOf          time.Time        `json:"as_of"` // facts counted up to here (the day's end once it is over)
	Score         float64          `json:"score"` // 0–100, one decimal
	Dimensions    []DimensionScore `json:"dimensions"`
	Deductions    []Deduction      `json:"deductions"` // by fact ID
	ConfigVersion string           `json:"config_version"`
}

// round1 rounds to one decimal, the precision scores are shown and compared at.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// round3 keeps deductions stable against float noise.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// ScoreDay scores one company's local day (the day containing day) from its facts,
// counting facts up to asOf (pass the day's end, or later, for a finished day; a time
// within the day for today so far). Facts of other companies are ignored. A fact
// counts on a day when it overlaps it: it started before the day's end (and asOf)
// and had not ended before the day began; an instant fact counts on its day. It
// deducts its kind's PerFact plus PerHour for each hour of the overlap, at most Cap;
// a dimension loses at most its weight. The result depends only on the facts, not on
// their order.
func ScoreDay(cfg *Config, code string, day, asOf time.Time, facts []Fact) CompanyScore {
	start, end := DayBounds(day)
	switch {
	case asOf.After(end) || asOf.IsZero():
		asOf = end
	case asOf.Before(start):
		asOf = start
	}
	mine := make([]*Fact, 0, len(facts))
	for i := range facts {
		if facts[i].Company == code {
			mine = append(mine, &facts[i])
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID < mine[j].ID })

	s := CompanyScore{Company: code, Day: localDay(start), AsOf: asOf, Deductions: []Deduction{},
		ConfigVersion: cfg.Version}
	deducted := map[Dimension]float64{}
	count := map[Dimension]int{}
	for _, f := range mine {
		rule, ok := cfg.Kinds[f.Kind]
		if !ok || !f.Started.Before(asOf) {
			continue
		}
		if !f.Ended.IsZero() && !f.Ended.After(start) && f.Started.Before(start) {
			continue
		}
		from := later(f.Started, start)
		to := asOf
		if !f.Ended.IsZero() && f.Ended.Before(to) {
			to = f.Ended
		}
		hours := 0.0
		if to.After(from) {
			hours = to.Sub(from).Hours()
		}
		hours = round3(hours)
		p := round3(rule.Deduction(hours))
		s.Deductions = append(s.Deductions, Deduction{FactID: f.ID, Kind: f.Kind, Dimension: rule.Dimension, Hours: hours, Points: p})
		deducted[rule.Dimension] += p
		count[rule.Dimension]++
	}
	total := 0.0
	for _, d := range Dimensions {
		w := cfg.Dimensions[d]
		ded := math.Min(w, round3(deducted[d]))
		ds := DimensionScore{Dimension: d, NameZH: d.NameZH(), Weight: w, Deducted: ded, Score: round3(w - ded), Facts: count[d]}
		s.Dimensions = append(s.Dimensions, ds)
		total += ds.Score
	}
	s.Score = round1(total)
	return s
}

// ScoreAll scores every company of codes for the day from facts (any order).
func ScoreAll(cfg *Config, codes []string, day, asOf time.Time, facts []Fact) []CompanyScore {
	by := map[string][]Fact{}
	for _, f := range facts {
		by[f.Company] = append(by[f.Company], f)
	}
	sorted := append([]string(nil), codes...)
	sort.Strings(sorted)
	out := make([]CompanyScore, 0, len(sorted))
	for _, c := range sorted {
		out = append(out, ScoreDay(cfg, c, day, asOf, by[c]))
	}
	return out
}

// Member places a company in the tiers: its county (GB/T 2260) and, if any, its
// chemical park.
type Member struct {
	Company string `json:"company"`
	County  string `json:"county"`
	Park    string `json:"park,omitempty"`
}

// Region levels of a rollup.
const (
	LevelProvince = "province"
	LevelCity     = "city"
	LevelCounty   = "county"
	LevelPark     = "park"
)

// RegionScore is a region's score for a day: the arithmetic mean of the scores of
// the companies in it, each company counted once.
type RegionScore struct {
	Region    string  `json:"region"` // GB/T 2260 code, or the park code
	Level     string  `json:"level"`
	Parent    string  `json:"parent,omitempty"` // enclosing division (a park's county)
	Day       string  `json:"day"`
	Score     float64 `json:"score"`
	Companies int     `json:"companies"`
	Min       float64 `json:"min"`
	Max       float64 `json:"max"`
	Rank      int     `json:"rank,omitempty"` // set by RankRegions
}

// Rollup computes the scores of every park, county, city and the province that holds
// at least one scored company. A county's score is the mean of exactly the companies
// whose Member.County it is; a city's and the province's are the means over all their
// companies (not the mean of their counties' means), so a large county weighs in
// proportion to its companies. Companies without a member entry or whose county is
// not a Shandong county are left out. Regions come sorted by code.
func Rollup(scores []CompanyScore, members []Member) []RegionScore {
	where := map[string]Member{}
	for _, m := range members {
		where[m.Company] = m
	}
	type acc struct {
		RegionScore
		sum float64
	}
	regions := map[string]*acc{}
	add := func(code, level, parent, day string, v float64) {
		a, ok := regions[level+"|"+code]
		if !ok {
			a = &acc{RegionScore: RegionScore{Region: code, Level: level, Parent: parent, Day: day, Min: v, Max: v}}
			regions[level+"|"+code] = a
		}
		a.Companies++
		a.sum += v
		a.Min, a.Max = math.Min(a.Min, v), math.Max(a.Max, v)
	}
	sorted := append([]CompanyScore(nil), scores...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Company < sorted[j].Company })
	for _, s := range sorted {
		m, ok := where[s.Company]
		if !ok || !tiers.IsCounty(m.County) {
			continue
		}
		add(m.County, LevelCounty, m.County[:4]+"00", s.Day, s.Score)
		for _, a := range tiers.Ancestors(m.County) {
			lvl, parent := LevelCity, tiers.ProvinceCode
			if a.Level == tiers.Province {
				lvl, parent = LevelProvince, ""
			}
			add(a.Code, lvl, parent, s.Day, s.Score)
		}
		if m.Park != "" {
			add(m.Park, LevelPark, m.County, s.Day, s.Score)
		}
	}
	out := make([]RegionScore, 0, len(regions))
	for _, a := range regions {
		r := a.RegionScore
		r.Score = round1(a.sum / float64(a.Companies))
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Level < out[j].Level
	})
	return out
}

// RankRegions returns the regions of level directly under parent (the cities of the
// province, the counties of a city, the parks of a county), best score first with
// ties by code, ranked 1, 2, … (equal scores share a rank). A city's ranking holds
// only its own counties.
func RankRegions(rollup []RegionScore, parent, level string) []RegionScore {
	var out []RegionScore
	for _, r := range rollup {
		if r.Level == level && r.Parent == parent {
			out = append(out, r)
		}
	}
	rank(out, func(r *RegionScore) (float64, string, *int) { return r.Score, r.Region, &r.Rank })
	return out
}

// RankedCompany is a company's place in a region's ranking.
type RankedCompany struct {
	CompanyScore
	Rank int `json:"rank"`
}

// RankCompanies ranks the companies inside region — a division code (the province,
// a city, a county) or a park code — best first, ties by code.
func RankCompanies(scores []CompanyScore, members []Member, region string) []RankedCompany {
	where := map[string]Member{}
	for _, m := range members {
		where[m.Company] = m
	}
	var out []RankedCompany
	for _, s := range scores {
		m, ok := where[s.Company]
		if !ok || !(m.Park == region || tiers.IsCounty(m.County) && tiers.Contains(region, m.County)) {
			continue
		}
		out = append(out, RankedCompany{CompanyScore: s})
	}
	rank(out, func(c *RankedCompany) (float64, string, *int) { return c.Score, c.Company, &c.Rank })
	return out
}

// rank sorts out best score first, ties by key, and numbers it 1, 2, … (equal
// scores share a rank); of gives an entry's score, key and rank field.
func rank[T any](out []T, of func(*T) (score float64, key string, rank *int)) {
	sort.Slice(out, func(i, j int) bool {
		si, ki, _ := of(&out[i])
		sj, kj, _ := of(&out[j])
		if si != sj {
			return si > sj
		}
		return ki < kj
	})
	for i := range out {
		s, _, r := of(&out[i])
		*r = i + 1
		if i > 0 {
			prev, _, pr := of(&out[i-1])
			if s == prev {
				*r = *pr
			}
		}
	}
}

// Trend is the day-over-day change of one company's or region's score.
type Trend struct {
	Key      string  `json:"key"` // company code, or level|region for regions
	Score    float64 `json:"score"`
	Previous float64 `json:"previous"`
	Change   float64 `json:"change"`        // Score − Previous
	New      bool    `json:"new,omitempty"` // no score the previous day: Change is 0
}

// CompanyTrends compares today's company scores with the previous day's, sorted by
// company code.
func CompanyTrends(today, previous []CompanyScore) []Trend {
	prev := map[string]float64{}
	for _, s := range previous {
		prev[s.Company] = s.Score
	}
	out := make([]Trend, 0, len(today))
	for _, s := range today {
		p, ok := prev[s.Company]
		out = append(out, trend(s.Company, s.Score, p, ok))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// RegionTrends compares today's rollup with the previous day's; Key is level|region.
func RegionTrends(today, previous []RegionScore) []Trend {
	prev := map[string]float64{}
	for _, r := range previous {
		prev[r.Level+"|"+r.Region] = r.Score
	}
	out := make([]Trend, 0, len(today))
	for _, r := range today {
		k := r.Level + "|" + r.Region
		p, ok := prev[k]
		out = append(out, trend(k, r.Score, p, ok))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func trend(k string, score, prev float64, ok bool) Trend {
	if !ok {
		return Trend{Key: k, Score: score, Previous: score, New: true}
	}
	return Trend{Key: k, Score: score, Previous: prev, Change: round1(score - prev)}
}

// Fallers returns at most n trends whose score fell, the biggest fall first (ties by
// key).
func Fallers(trends []Trend, n int) []Trend {
	var out []Trend
	for _, t := range trends {
		if t.Change < 0 {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Change != out[j].Change {
			return out[i].Change < out[j].Change
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
