package warning

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
)

// AssessEnterprise is the enterprise model (企业风险预警模型): active indicator alarms
// by level, count and duration weighted by the grade of their hazard source, 明火/烟雾
// video alarms, special operations under way, the day's safety commitment, overdue
// major hidden dangers and offline devices, summed into a score.
func AssessEnterprise(company string, c *CompanyState, now time.Time, cfg *Config) Assessment {
	return assessEnterprise(company, c, now, events.Intake{}, cfg)
}

// assessEnterprise is AssessEnterprise judging the silence of video devices on the
// platform's intake clock in (zero: the wall clock).
func assessEnterprise(company string, c *CompanyState, now time.Time, in events.Intake, cfg *Config) Assessment {
	ec := &cfg.Enterprise
	f := &factors{weights: ec.Factors}

	var hh, h, hours float64
	var hhIDs, hIDs []string
	for _, s := range c.points().alarmed {
		a := s.Alarm
		m := ec.GradeMultiplier[c.Hazards[a.Hazard].Grade]
		if m == 0 {
			m = 1
		}
		if a.Severity.rank() == 2 {
			hh += m
			hhIDs = append(hhIDs, a.Indicator)
		} else {
			h += m
			hIDs = append(hIDs, a.Indicator)
		}
		hours += m * now.Sub(a.Start).Hours()
	}
	f.add(FactorAlarmHighHigh, hh, list(hhIDs))
	f.add(FactorAlarmHigh, h, list(hIDs))
	f.add(FactorAlarmDuration, round2(hours), "")

	fire, fireIDs := fireSmoke(c, cfg)
	f.add(FactorVideoFireSmoke, float64(fire), fireIDs)

	var special, first, confined []string
	for _, o := range c.Operations {
		if !o.UnderWay(now, ec.OperationDefaultDuration) {
			continue
		}
		switch o.Type {
		case events.OpHotWorkSpecial:
			special = append(special, o.ID)
		case events.OpHotWork1:
			first = append(first, o.ID)
		case events.OpConfinedSpace:
			confined = append(confined, o.ID)
		}
	}
	f.add(FactorHotWorkSpecial, float64(len(special)), list(special))
	f.add(FactorHotWork1, float64(len(first)), list(first))
	f.add(FactorConfinedSpace, float64(len(confined)), list(confined))

	if c.Type != events.EnterpriseGasStation {
		commitmentFactors(f, c, now, in, ec.CommitmentDue, cfg.Alarms.Default.NoDataAfter)
	}

	overdue := c.overdueMajors(now)
	f.add(FactorMajorDangerOverdue, float64(len(overdue)), list(overdue))

	offline := c.offline(now, in, ec.DeviceSilentAfter)
	for _, s := range c.points().noData {
		offline = append(offline, s.Def.Code)
	}
	f.add(FactorDeviceOffline, float64(len(offline)), list(offline))
	return assessment(ModelEnterprise, company, "", "", f, ec.Levels)
}

// commitmentFactors adds the day's 安全承诺: missing or late after the due time, and
// the risky states the latest commitment declares. Missing is judged on the
// platform's intake clock in: not while the platform itself took nothing past the
// due time and, when its intake resumed after the due time, only once it has run
// for grace (alarms.default.no_data_after) — time for the companies to resend.
func commitmentFactors(f *factors, c *CompanyState, now time.Time, in events.Intake, due, grace time.Duration) {
	local := now.In(schemas.Shanghai)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, schemas.Shanghai)
	deadline := midnight.Add(due)
	today, ok := c.Commitments[midnight.Format(schemas.DateLayout)]
	ref := now
	if !in.At.IsZero() && in.At.Before(now) {
		ref = in.At
	}
	switch {
	case !ok && !ref.Before(deadline) && (!in.Since.After(deadline) || ref.Sub(in.Since) >= grace):
		f.add(FactorCommitmentMissing, 1, "截止 "+deadline.Format(schemas.DateTimeLayout))
	case ok && today.At.After(deadline):
		f.add(FactorCommitmentLate, 1, "承诺时间 "+today.At.In(schemas.Shanghai).Format(schemas.DateTimeLayout))
	}
	if !ok {
		today, ok = c.Commitments[midnight.AddDate(0, 0, -1).Format(schemas.DateLayout)]
	}
	if !ok {
		return
	}
	day := today.Date.In(schemas.Shanghai).Format(schemas.DateLayout)
	if today.TrialProduction {
		f.add(FactorTrialProduction, 1, day)
	}
	if today.StartupShutdown {
		f.add(FactorStartupShutdown, 1, day)
	}
	if !today.MajorHazardOK {
		f.add(FactorMajorHazardAbnormal, 1, day)
	}
}

// fireSmoke counts the company's active 明火/烟雾 video alarms (not those received
// as history, nor 明火 inside a valid hot-work permit's place and time: that fire is
// the permitted work, noted by the violation model).
func fireSmoke(c *CompanyState, cfg *Config) (int, string) {
	var ids []string
	for _, a := range c.Alarms {
		if a.Active() && (a.Fire || a.Smoke) && !a.History && !permitCoversFire(a, c, cfg) {
			ids = append(ids, a.ID)
		}
	}
	return len(ids), list(ids)
}

// list joins item codes in a stable order for a factor's detail.
func list(ids []string) string {
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// num formats a value with the digits it needs.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// commitmentKey is the key of a commitment in CompanyState.Commitments.
func commitmentKey(c events.Commitment) string {
	return c.Date.In(schemas.Shanghai).Format(schemas.DateLayout)
}
