package warning

// Factor is one contribution to a model's score, so that every warning can say why.
type Factor struct {
	Code   string  `json:"code"`
	NameZH string  `json:"name_zh"`
	Count  float64 `json:"count"`  // items counted (alarms, hours, operations), grade-weighted where the model says so
	Weight float64 `json:"weight"` // points per item
	Points float64 `json:"points"` // what the factor added, after its cap
	Detail string  `json:"detail,omitempty"`
}

// Factor codes, a fixed set; factorNames gives their Chinese names.
const (
	FactorAlarmHighHigh       = "alarm_high_high"
	FactorAlarmHigh           = "alarm_high"
	FactorAlarmDuration       = "alarm_duration"
	FactorVideoFireSmoke      = "video_fire_smoke"
	FactorHotWorkSpecial      = "hot_work_special"
	FactorHotWork1            = "hot_work_1"
	FactorConfinedSpace       = "confined_space"
	FactorCommitmentMissing   = "commitment_missing"
	FactorCommitmentLate      = "commitment_late"
	FactorTrialProduction     = "trial_production"
	FactorStartupShutdown     = "startup_shutdown"
	FactorMajorHazardAbnormal = "major_hazard_abnormal"
	FactorMajorDangerOverdue  = "major_danger_overdue"
	FactorDeviceOffline       = "device_offline"
	FactorTemperatureOver     = "temperature_over"
	FactorTemperatureDanger   = "temperature_danger"
	FactorHumidityOver        = "humidity_over"
	FactorGasAlarm            = "gas_alarm"
	FactorHotWorkCompany      = "hot_work_company"
	FactorHotWorkNearby       = "hot_work_nearby"
	FactorHeatingWithHotWork  = "heating_with_hot_work"
	FactorDetectorHighHigh    = "detector_high_high"
	FactorDetectorHigh        = "detector_high"
	FactorDetectorRecent      = "detector_recent"
	FactorSpread              = "spread"
)

var factorNames = map[string]string{
	FactorAlarmHighHigh:       "高高报/低低报",
	FactorAlarmHigh:           "高报/低报",
	FactorAlarmDuration:       "报警持续时长（小时）",
	FactorVideoFireSmoke:      "明火/烟雾视频报警",
	FactorHotWorkSpecial:      "特殊动火作业进行中",
	FactorHotWork1:            "一级动火作业进行中",
	FactorConfinedSpace:       "受限空间作业进行中",
	FactorCommitmentMissing:   "10:00 前未安全承诺",
	FactorCommitmentLate:      "未按时安全承诺",
	FactorTrialProduction:     "试生产",
	FactorStartupShutdown:     "开停车",
	FactorMajorHazardAbnormal: "重大危险源非正常状态",
	FactorMajorDangerOverdue:  "重大隐患逾期未整改",
	FactorDeviceOffline:       "设备离线/数据中断",
	FactorTemperatureOver:     "库温超上限",
	FactorTemperatureDanger:   "库温达危险值",
	FactorHumidityOver:        "库内湿度超上限",
	FactorGasAlarm:            "库内气体报警",
	FactorHotWorkCompany:      "企业内动火作业进行中",
	FactorHotWorkNearby:       "仓库附近动火作业进行中",
	FactorHeatingWithHotWork:  "库温超限叠加动火作业",
	FactorDetectorHighHigh:    "探测器二级（高高）报警",
	FactorDetectorHigh:        "探测器一级（高）报警",
	FactorDetectorRecent:      "探测器窗口内刚销警",
	FactorSpread:              "同区域多点报警（扩散）",
}

// factors accumulates a model's contributions.
type factors struct {
	weights map[string]Weight
	list    []Factor
	score   float64
}

// add records n items of the factor code (n > 0), weighted and capped by the config.
func (f *factors) add(code string, n float64, detail string) {
	if n <= 0 {
		return
	}
	w := f.weights[code]
	p := w.Apply(n)
	if p <= 0 {
		return
	}
	f.list = append(f.list, Factor{Code: code, NameZH: factorNames[code], Count: n, Weight: w.Points, Points: p, Detail: detail})
	f.score += p
}
