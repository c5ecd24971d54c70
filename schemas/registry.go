package schemas

// The exchange tables, in the seed's order. They are set in init, after every code
// table variable exists, because their tags name code tables.
var (
	RiskUnits                     *Table
	RiskEvents                    *Table
	ControlMeasures               *Table
	CheckTasks                    *Table
	CheckRecords                  *Table
	HiddenDangers                 *Table
	SpecialOperations             *Table
	PositioningAlarms             *Table
	VideoDevices                  *Table
	VideoDeviceStatuses           *Table
	VideoAlarms                   *Table
	GasStationVideoDevices        *Table
	GasStationVideoDeviceStatuses *Table
	GasStationVideoAlarms         *Table

	// Platform-defined (the seed names the data, not its structure).
	EnterpriseInfos *Table
	HazardSources   *Table
	Indicators      *Table
	SensorReadings  *Table
	Cameras         *Table
	Commitments     *Table
)

const (
	seedDual    = "附件2 双重预防机制信息化建设与应用指南 6.2"
	seedOps     = "附件3 特殊作业全过程信息化管理和视频监控系统建设与应用指南 6.2"
	seedPos     = "附件4 人员自动定位系统建设与应用指南 6.2"
	seedVideo   = "附件5 智能视频监控系统建设与应用指南 6.2"
	seedStation = "附件7 加油站智能视频监控系统建设与应用指南 5.2"
	seedMonitor = "附件1 风险监测预警系统2021年度建设内容"
)

func init() {
	RiskUnits = register(Table{Slug: "risk-units", NameZH: "风险分析单元信息", Group: "双重预防",
		Seed: seedDual + " 表1", Frequency: FrequencyDaily, Key: "ID"}, RiskUnit{})
	RiskEvents = register(Table{Slug: "risk-events", NameZH: "风险事件信息", Group: "双重预防",
		Seed: seedDual + " 表2", Frequency: FrequencyDaily, Key: "ID"}, RiskEvent{})
	ControlMeasures = register(Table{Slug: "control-measures", NameZH: "管控措施信息", Group: "双重预防",
		Seed: seedDual + " 表3", Frequency: FrequencyDaily, Key: "ID"}, ControlMeasure{})
	CheckTasks = register(Table{Slug: "check-tasks", NameZH: "隐患排查任务信息", Group: "双重预防",
		Seed: seedDual + " 表4", Frequency: FrequencyDaily, Key: "ID"}, CheckTask{})
	CheckRecords = register(Table{Slug: "check-records", NameZH: "隐患排查记录", Group: "双重预防",
		Seed: seedDual + " 表5", Frequency: FrequencyHourly, Key: "ID"}, CheckRecord{})
	HiddenDangers = register(Table{Slug: "hidden-dangers", NameZH: "隐患信息", Group: "双重预防",
		Seed: seedDual + " 表6", Frequency: FrequencyHourly, Key: "ID",
		RequiredWhen: []RequiredWhen{
			{Field: "CHECK_ACCEPT_PERSON", When: "DANGER_STATE", Equals: DangerStateAccepted},
			{Field: "CHECK_ACCEPT_TIME", When: "DANGER_STATE", Equals: DangerStateAccepted},
		},
		Orders: []Order{{Earlier: "REGIST_TIME", Later: "CHECK_ACCEPT_TIME"}},
	}, HiddenDanger{})
	SpecialOperations = register(Table{Slug: "special-operations", NameZH: "企业特殊作业数据", Group: "特殊作业",
		Seed: seedOps + " 表1", Frequency: FrequencyDailyBy10am, Key: "ID",
		RequiredWhen: []RequiredWhen{
			{Field: "CHANGED_REASON", When: "IS_CHANGED", Equals: Yes},
			{Field: "CANCELLED_REASON", When: "IS_CANCELLED", Equals: Yes},
		},
		Orders: []Order{{Earlier: "TASK_BEGIN_TIME", Later: "TASK_END_TIME"}},
	}, SpecialOperation{})
	PositioningAlarms = register(Table{Slug: "positioning-alarms", NameZH: "人员定位报警数据", Group: "人员定位",
		Seed: seedPos + " 表1", Frequency: FrequencyRealtime, Key: "id",
		VersionTime: []string{"handleTime", "time"}, TimeSeries: true,
		RequiredWhen: []RequiredWhen{
			{Field: "handleTime", When: "type", Equals: PositioningHandled},
			{Field: "handleInfo", When: "type", Equals: PositioningHandled},
		},
		Orders: []Order{{Earlier: "time", Later: "handleTime"}},
	}, PositioningAlarm{})
	VideoDevices = register(Table{Slug: "video-devices", NameZH: "视频智能分析设备基础信息", Group: "智能视频",
		Seed: seedVideo + " 表2", Frequency: FrequencyDaily, Key: "DEVICE_ID"}, VideoDevice{})
	VideoDeviceStatuses = register(Table{Slug: "video-device-status", NameZH: "视频智能分析设备运行状态数据", Group: "智能视频",
		Seed: seedVideo + " 表3", Frequency: FrequencyTenMinutes, Key: "DEVICE_CODE",
		VersionTime: []string{"DATE_TIME"}, TimeSeries: true}, VideoDeviceStatus{})
	VideoAlarms = register(Table{Slug: "video-alarms", NameZH: "违规行为、异常状态视频报警/销警数据", Group: "智能视频",
		Seed: seedVideo + " 表4", Frequency: FrequencyRealtime, Key: "ALARM_ID",
		VersionTime: []string{"ALARM_TIME"}, TimeSeries: true}, VideoAlarm{})
	GasStationVideoDevices = register(Table{Slug: "gas-station-video-devices", NameZH: "加油站视频智能分析设备基础信息", Group: "加油站",
		Seed: seedStation + " 表2", Frequency: FrequencyDaily, Key: "DEVICE_ID"}, GasStationVideoDevice{})
	GasStationVideoDeviceStatuses = register(Table{Slug: "gas-station-video-device-status", NameZH: "加油站视频智能分析设备状态监控数据", Group: "加油站",
		Seed: seedStation + " 表3", Frequency: FrequencyTenMinutes, Key: "DEVICE_CODE",
		VersionTime: []string{"DATE_TIME"}, TimeSeries: true}, GasStationVideoDeviceStatus{})
	GasStationVideoAlarms = register(Table{Slug: "gas-station-video-alarms", NameZH: "加油站违规行为、异常状态视频报警/销警数据", Group: "加油站",
		Seed: seedStation + " 表4", Frequency: FrequencyRealtime, Key: "ALARM_ID",
		VersionTime: []string{"ALARM_TIME"}, TimeSeries: true}, GasStationVideoAlarm{})

	EnterpriseInfos = register(Table{Slug: "enterprise-info", NameZH: "企业信息", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 一（企业覆盖面）", Frequency: FrequencyDaily, Key: "COMPANY_CODE"}, EnterpriseInfo{})
	HazardSources = register(Table{Slug: "hazard-sources", NameZH: "重大危险源与储存单元", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 一（一）（三）", Frequency: FrequencyDaily, Key: "HAZARD_CODE"}, HazardSource{})
	Indicators = register(Table{Slug: "indicators", NameZH: "指标信息", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 一（三）核实确定阈值设置", Frequency: FrequencyDaily, Key: "INDICATOR_CODE",
		Ascending: []string{"LOW_LOW", "LOW", "HIGH", "HIGH_HIGH"}, Within: [2]string{"RANGE_LOW", "RANGE_HIGH"}}, Indicator{})
	SensorReadings = register(Table{Slug: "sensor-readings", NameZH: "感知数据", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 一（感知数据）", Frequency: FrequencyRealtime, Key: "INDICATOR_CODE",
		VersionTime: []string{"COLLECT_TIME"}, TimeSeries: true}, SensorReading{})
	Cameras = register(Table{Slug: "cameras", NameZH: "视频监控信息", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 二", Frequency: FrequencyDaily, Key: "VIDEO_CODE"}, Camera{})
	Commitments = register(Table{Slug: "commitments", NameZH: "安全承诺", Group: "平台定义", PlatformDefined: true,
		Seed: seedMonitor + " 五（二）；附件3 6.1", Frequency: FrequencyDailyBy10am, Key: "ID"}, Commitment{})
}
