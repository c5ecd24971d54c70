package events

import "time"

// Event is one decoded exchange record an engine reacts to. The concrete types are
// the structs of this file; Decode builds them from exchange records.
type Event interface {
	// CompanyCode is the company the event belongs to.
	CompanyCode() string
}

// Companies lists the companies of evs, each once, in the order they first appear.
func Companies(evs []Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, ev := range evs {
		if c := ev.CompanyCode(); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// IndicatorKind is 指标类型 (INDICATOR_KIND) of the platform-defined 指标信息 table.
type IndicatorKind string

// The indicator kinds.
const (
	KindTemperature IndicatorKind = "1"  // 温度
	KindPressure    IndicatorKind = "2"  // 压力
	KindLevel       IndicatorKind = "3"  // 液位
	KindHumidity    IndicatorKind = "4"  // 湿度
	KindCombustible IndicatorKind = "5"  // 可燃气体, %LEL
	KindToxic       IndicatorKind = "6"  // 有毒气体, ppm
	KindGrounding   IndicatorKind = "7"  // 静电接地
	KindOverflow    IndicatorKind = "8"  // 溢油
	KindFlow        IndicatorKind = "9"  // 流量
	KindOther       IndicatorKind = "99" // 其他
)

// IsGas reports whether the kind is a gas detector (可燃气体 or 有毒气体).
func (k IndicatorKind) IsGas() bool { return k == KindCombustible || k == KindToxic }

// Thresholds are an indicator's alarm limits; nil means not set. When set they satisfy
// LowLow < Low < High < HighHigh.
type Thresholds struct {
	LowLow   *float64 `json:"low_low,omitempty"`
	Low      *float64 `json:"low,omitempty"`
	High     *float64 `json:"high,omitempty"`
	HighHigh *float64 `json:"high_high,omitempty"`
}

// IndicatorDef is one 指标信息 record: a monitored point and its limits.
type IndicatorDef struct {
	Code       string        `json:"code"`
	Company    string        `json:"company"`
	Hazard     string        `json:"hazard,omitempty"` // HAZARD_CODE of its storage unit
	Name       string        `json:"name"`
	Kind       IndicatorKind `json:"kind"`
	Unit       string        `json:"unit,omitempty"`
	RangeLow   *float64      `json:"range_low,omitempty"`
	RangeHigh  *float64      `json:"range_high,omitempty"`
	Thresholds Thresholds    `json:"thresholds"`
	Area       string        `json:"area,omitempty"` // area name, groups gas detectors for the leak model
	Deleted    bool          `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (d IndicatorDef) CompanyCode() string { return d.Company }

// HazardKind is 危险源类型 (HAZARD_KIND).
type HazardKind string

// The storage-unit kinds.
const (
	HazardTankFarm   HazardKind = "1" // 储罐区
	HazardWarehouse  HazardKind = "2" // 仓库
	HazardLoadingBay HazardKind = "3" // 装卸栈台
	HazardPlant      HazardKind = "4" // 生产装置
)

// HazardSource is one 重大危险源与储存单元 record.
type HazardSource struct {
	Code    string     `json:"code"`
	Company string     `json:"company"`
	Name    string     `json:"name"`
	Kind    HazardKind `json:"kind"`
	// Grade is the major-hazard grade 1 (一级, the most dangerous) to 4 (四级); 0 is a
	// storage unit that is not a major hazard source.
	Grade        int    `json:"grade"`
	Substances   string `json:"substances,omitempty"`
	KeySubstance string `json:"key_substance,omitempty"` // 01 硝酸铵 02 氯酸钾 03 氯酸钠 04 硝化棉 99 其他
	Deleted      bool   `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (h HazardSource) CompanyCode() string { return h.Company }

// Reading is one 感知数据 value of an indicator.
type Reading struct {
	Company   string    `json:"company"`
	Indicator string    `json:"indicator"`
	Value     float64   `json:"value"`
	At        time.Time `json:"at"` // COLLECT_TIME
}

// CompanyCode implements Event.
func (r Reading) CompanyCode() string { return r.Company }

// AlarmSource says which exchange table a company-sent alarm came from.
type AlarmSource string

// The sources of company-sent alarms.
const (
	SourceVideo       AlarmSource = "video"             // 智能视频 表4
	SourceGasStation  AlarmSource = "gas-station-video" // 加油站 表4
	SourcePositioning AlarmSource = "positioning"       // 人员定位 表1
)

// CompanyAlarm is an alarm or its clear (报警/销警) sent by a company's own system.
// An alarm and its clear carry the same ID.
type CompanyAlarm struct {
	Company string      `json:"company"`
	Source  AlarmSource `json:"source"`
	ID      string      `json:"id"`
	Type    string      `json:"type"`            // the source's 报警类型 code
	Where   string      `json:"where,omitempty"` // VIDEO_CODE or 报警位置
	Raised  bool        `json:"raised"`          // true 报警, false 销警/已处理
	At      time.Time   `json:"at"`              // 报警时间, or 销警时间 for a clear
	Fire    bool        `json:"fire,omitempty"`  // a 明火 video alarm
	Smoke   bool        `json:"smoke,omitempty"` // a 烟雾 video alarm
	// Device is the 视频智能分析设备编码 (DEVICE_CODE) of a video alarm, when sent.
	Device string `json:"device,omitempty"`
}

// Camera is one 视频监控信息 record: a camera channel and where it is installed, so
// a video alarm (which names only its VIDEO_CODE) can be placed against a work
// permit's 作业位置.
type Camera struct {
	Company   string `json:"company"`
	VideoCode string `json:"video_code"`
	Name      string `json:"name,omitempty"`  // CAMERA_NAME
	Place     string `json:"place,omitempty"` // PLACE 安装位置
	Hazard    string `json:"hazard,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (c Camera) CompanyCode() string { return c.Company }

// CompanyCode implements Event.
func (a CompanyAlarm) CompanyCode() string { return a.Company }

// Commitment is one day's 安全承诺.
type Commitment struct {
	ID               string    `json:"id"`
	Company          string    `json:"company"`
	Date             time.Time `json:"date"` // local midnight of COMMIT_DATE
	Person           string    `json:"person"`
	At               time.Time `json:"at"` // COMMIT_TIME
	UnitsRunning     int       `json:"units_running"`
	UnitsStopped     int       `json:"units_stopped"`
	UnitsMaintenance int       `json:"units_maintenance"`
	HotWorkSpecial   int       `json:"hot_work_special"` // 特殊动火 (作业类型 13)
	HotWork1         int       `json:"hot_work_1"`       // 一级动火
	HotWork2         int       `json:"hot_work_2"`       // 二级动火
	ConfinedSpace    int       `json:"confined_space"`   // 受限空间
	OtherSpecialOps  int       `json:"other_special_ops"`
	TrialProduction  bool      `json:"trial_production"`    // 试生产
	StartupShutdown  bool      `json:"startup_shutdown"`    // 开停车
	MajorHazardOK    bool      `json:"major_hazard_normal"` // 重大危险源是否处于正常状态
}

// CompanyCode implements Event.
func (c Commitment) CompanyCode() string { return c.Company }

// Operation is one 特殊作业 (work permit).
type Operation struct {
	ID        string    `json:"id"`
	Company   string    `json:"company"`
	Type      string    `json:"type"` // TASK_TYPE 细类: 11 二级动火 12 一级动火 13 特殊动火 21 受限空间 …
	Position  string    `json:"position,omitempty"`
	Begin     time.Time `json:"begin,omitzero"`
	End       time.Time `json:"end,omitzero"`
	Cancelled bool      `json:"cancelled,omitempty"`
}

// CompanyCode implements Event.
func (o Operation) CompanyCode() string { return o.Company }

// UnderWay reports whether the operation is in progress at now; an operation without
// an end time runs for dflt from its start.
func (o Operation) UnderWay(now time.Time, dflt time.Duration) bool {
	if o.Cancelled || o.Begin.IsZero() || now.Before(o.Begin) {
		return false
	}
	end := o.End
	if end.IsZero() {
		end = o.Begin.Add(dflt)
	}
	return now.Before(end)
}

// Operation types (作业细类) the models weigh.
const (
	OpHotWork2       = "11" // 二级动火作业
	OpHotWork1       = "12" // 一级动火作业
	OpHotWorkSpecial = "13" // 特殊（特级）动火作业
	OpConfinedSpace  = "21" // 受限空间作业
)

// IsHotWork reports whether the operation is 动火作业 of any grade.
func (o Operation) IsHotWork() bool { return len(o.Type) == 2 && o.Type[0] == '1' }

// HiddenDanger is one 隐患 as far as the models care.
type HiddenDanger struct {
	ID       string    `json:"id"`
	Company  string    `json:"company"`
	Hazard   string    `json:"hazard,omitempty"`
	Name     string    `json:"name,omitempty"`
	Major    bool      `json:"major"`    // 重大隐患
	Accepted bool      `json:"accepted"` // 已验收
	Deadline time.Time `json:"deadline"` // 隐患治理期限
	Deleted  bool      `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (d HiddenDanger) CompanyCode() string { return d.Company }

// Enterprise is one 企业信息 record as far as the models care: the kind of company.
type Enterprise struct {
	Company string `json:"company"`
	Type    string `json:"type"` // ENTERPRISE_TYPE: 1 生产 2 经营 3 使用 4 加油站
}

// CompanyCode implements Event.
func (e Enterprise) CompanyCode() string { return e.Company }

// EnterpriseGasStation is ENTERPRISE_TYPE 加油站. A gas station makes no daily 安全承诺:
// the seed's commitment is a duty of the 危险化学品 companies, and its 加油站 guide
// defines only the video tables.
const EnterpriseGasStation = "4"

// DeviceStatus is one 视频智能分析设备运行状态 report.
type DeviceStatus struct {
	Company string    `json:"company"`
	Device  string    `json:"device"`
	At      time.Time `json:"at"`
	Normal  bool      `json:"normal"` // RUN_STATUS 1
}

// CompanyCode implements Event.
func (s DeviceStatus) CompanyCode() string { return s.Company }
