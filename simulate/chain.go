package simulate

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/schemas"
)

// A simulated company's 双重预防 list is a fixed plant, as a real company's is:
// chainUnits risk units, each with chainEvents events, each with chainMeasures
// control measures, one check task per measure. Every ID a child names is one
// its parent table sends (the platform's chain checks see a whole chain), and
// the IDs are derived from the company code, so a restart continues the same
// records instead of adding new ones.
const (
	chainUnits    = 4
	chainEvents   = 2
	chainMeasures = 2
)

// chainNamespace derives the chain's UUIDs (version 5) from the company code.
var chainNamespace = uuid.MustParse("6f1d3c2a-9b7e-4c55-8a31-2d4e5f607182")

func chainID(c Company, kind string, path ...int) string {
	return uuid.NewSHA1(chainNamespace, fmt.Appendf(nil, "%s/%s%v", c.Code, kind, path)).String()
}

// chainRecords returns the records of one upload of a 双重预防 table t for c at
// now: the whole list for 表1–4 (the seed's daily increment, re-sent whole: an
// update by ID), a few checks (表5) or hidden dangers (表6) bound to it.
func chainRecords(r *rand.Rand, t *schemas.Table, c Company, now time.Time) []Record {
	var out []Record
	for u := range chainUnits {
		switch t {
		case schemas.RiskUnits:
			rec := NewRecord(r, t, c, now)
			rec["ID"], rec["HAZARD_CODE"], rec["RISK_UNIT_NAME"] = chainID(c, "unit", u), HazardCode(c, u%len(hazardPlans)), units[u%len(units)]
			out = append(out, rec)
			continue
		}
		for e := range chainEvents {
			if t == schemas.RiskEvents {
				rec := NewRecord(r, t, c, now)
				rec["ID"], rec["RISK_UNIT_ID"] = chainID(c, "event", u, e), chainID(c, "unit", u)
				out = append(out, rec)
				continue
			}
			for m := range chainMeasures {
				switch t {
				case schemas.ControlMeasures:
					rec := NewRecord(r, t, c, now)
					rec["ID"], rec["RISK_EVENT_ID"] = chainID(c, "measure", u, e, m), chainID(c, "event", u, e)
					out = append(out, rec)
				case schemas.CheckTasks:
					// Checked daily, last within the past hours: a company that keeps
					// up with its list, which is what most do.
					rec := NewRecord(r, t, c, now)
					rec["ID"], rec["RISK_MEASURE_ID"] = chainID(c, "task", u, e, m), chainID(c, "measure", u, e, m)
					rec["CHECK_CYCLE"], rec["CHECK_CYCLE_UNIT"] = 1, "天"
					rec["INVESTIGATION_DATE"] = stamp(now.Add(-time.Duration(r.IntN(6*3600)) * time.Second))
					out = append(out, rec)
				}
			}
		}
	}
	switch t {
	case schemas.CheckRecords:
		for range 1 + r.IntN(4) {
			rec := NewRecord(r, t, c, now)
			rec["CHECK_TASK_ID"] = chainID(c, "task", r.IntN(chainUnits), r.IntN(chainEvents), r.IntN(chainMeasures))
			out = append(out, rec)
		}
	case schemas.HiddenDangers:
		for range 1 + r.IntN(4) {
			rec := NewRecord(r, t, c, now)
			rec["HAZARD_CODE"] = HazardCode(c, r.IntN(len(hazardPlans)))
			rec["RISK_MEASURE_ID"] = chainID(c, "measure", r.IntN(chainUnits), r.IntN(chainEvents), r.IntN(chainMeasures))
			out = append(out, rec)
		}
	}
	return out
}

// chainOrder is how many spreads after a company's first upload each 双重预防
// table starts: parents before children, so the list arrives whole.
var chainOrder = map[*schemas.Table]int{schemas.RiskUnits: 0, schemas.RiskEvents: 1, schemas.ControlMeasures: 2,
	schemas.CheckTasks: 3, schemas.CheckRecords: 4, schemas.HiddenDangers: 4}
