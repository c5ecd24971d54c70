package warning

import (
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// IsModelledWarehouse reports whether the warehouse model watches h: a warehouse
// (仓库) whose KEY_SUBSTANCE has limits in the config.
func IsModelledWarehouse(h events.HazardSource, cfg *Config) bool {
	_, ok := cfg.Warehouse.Substances[h.KeySubstance]
	return ok && h.Kind == events.HazardWarehouse && !h.Deleted
}

// AssessWarehouse is the warehouse model (企业仓库风险预警模型) for the warehouse h
// (IsModelledWarehouse): its temperature and humidity against the substance's limits,
// gas alarms inside it, 明火/烟雾 video alarms and hot work under way in the company —
// more when the permit's position names the warehouse or one of its areas.
func AssessWarehouse(h events.HazardSource, c *CompanyState, now time.Time, cfg *Config) Assessment {
	lim := cfg.Warehouse.Substances[h.KeySubstance]
	f := &factors{weights: cfg.Warehouse.Factors}

	var temp, hum *IndicatorState
	var gas []string
	areas := map[string]bool{}
	for _, s := range c.Indicators {
		if s.Def.Hazard != h.Code || s.Def.Deleted {
			continue
		}
		if s.Def.Area != "" {
			areas[s.Def.Area] = true
		}
		live := !s.LastAt.IsZero() && s.NoData == nil && !stale(s.LastAt, now, cfg)
		switch {
		case s.Def.Kind == events.KindTemperature && live && (temp == nil || s.Last > temp.Last):
			temp = s
		case s.Def.Kind == events.KindHumidity && live && (hum == nil || s.Last > hum.Last):
			hum = s
		case s.Def.Kind.IsGas() && s.Alarm != nil && s.Alarm.Severity.high():
			gas = append(gas, s.Def.Code)
		}
	}
	hot := temp != nil && temp.Last >= lim.TemperatureMax
	note := "" // a limit not yet confirmed by the province says so in the warning
	if lim.Status != LimitsConfirmed {
		note = "（限值待核定）"
	}
	switch {
	case temp != nil && temp.Last >= lim.TemperatureDanger:
		f.add(FactorTemperatureDanger, 1, reading(temp, lim.TemperatureDanger)+note)
	case hot:
		f.add(FactorTemperatureOver, 1, reading(temp, lim.TemperatureMax)+note)
	}
	if hum != nil && lim.HumidityMax > 0 && hum.Last >= lim.HumidityMax {
		f.add(FactorHumidityOver, 1, reading(hum, lim.HumidityMax)+note)
	}
	f.add(FactorGasAlarm, float64(len(gas)), list(gas))
	fire, fireIDs := fireSmoke(c, cfg)
	f.add(FactorVideoFireSmoke, float64(fire), fireIDs)

	var near, far []string
	for _, o := range c.Operations {
		if !o.IsHotWork() || !o.UnderWay(now, cfg.Enterprise.OperationDefaultDuration) {
			continue
		}
		if mentions(o.Position, h.Name, areas) {
			near = append(near, o.ID)
		} else {
			far = append(far, o.ID)
		}
	}
	f.add(FactorHotWorkNearby, float64(len(near)), list(near))
	f.add(FactorHotWorkCompany, float64(len(far)), list(far))
	if hot && len(near)+len(far) > 0 {
		f.add(FactorHeatingWithHotWork, 1, "")
	}
	return assessment(ModelWarehouse, h.Company, h.Code, h.Name+"（"+lim.Name+"）", f, cfg.Warehouse.Levels)
}

// mentions reports whether a permit's 作业位置 names the warehouse or one of its areas.
func mentions(position, name string, areas map[string]bool) bool {
	if position == "" {
		return false
	}
	if name != "" && strings.Contains(position, name) {
		return true
	}
	for a := range areas {
		if strings.Contains(position, a) {
			return true
		}
	}
	return false
}

// reading describes an indicator's last value against a limit, e.g. "T-101 31.5≥30".
func reading(s *IndicatorState, limit float64) string {
	return s.Def.Code + " " + num(s.Last) + "≥" + num(limit) + s.Def.Unit
}
