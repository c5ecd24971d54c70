package simulate

import (
	"math/rand/v2"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Sent is one exchange record a company sent.
type Sent struct {
	Table   *schemas.Table
	Company Company
	Record  Record
}

// Snapshot returns what the companies have sent that matters to the warning engine
// at now: each company's hazard sources (four draws), every indicator of its plant
// (Plant: three storage units, gas detectors three to an area), today's commitment,
// two work permits and one round of readings. For benchmarks of the warning engine
// and service with many companies; the same companies and now give the same records
// (IDs aside).
func Snapshot(companies []Company, now time.Time) []Sent {
	r := rand.New(rand.NewPCG(5, 5))
	var out []Sent
	for _, c := range companies {
		add := func(t *schemas.Table, recs ...Record) {
			for _, rec := range recs {
				out = append(out, Sent{Table: t, Company: c, Record: rec})
			}
		}
		for i := 0; i < 4; i++ {
			add(schemas.HazardSources, NewRecord(r, schemas.HazardSources, c, now))
		}
		add(schemas.Indicators, IndicatorRecords(c)...)
		add(schemas.Commitments, NewRecord(r, schemas.Commitments, c, now))
		for i := 0; i < 2; i++ {
			add(schemas.SpecialOperations, NewRecord(r, schemas.SpecialOperations, c, now))
		}
		add(schemas.SensorReadings, Readings(c, now, now)...)
	}
	return out
}
