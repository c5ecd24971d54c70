package schemas

// The platform-defined exchange tables. The seed names this data (监测预警系统 2021
// 建设内容 一、三、五: warehouse and loading-dock sensor data, thresholds, video, the
// daily 安全承诺) but prints no structure for it; these tables define it in the seed's
// style — UPPER_SNAKE identifiers, the same kinds, lengths and code tables — and run
// through the same validation and pipeline. The reference marks them platform-defined.

// EnterpriseInfo is 企业信息 (platform-defined).
type EnterpriseInfo struct {
	CompanyCode           string `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	CompanyName           string `json:"COMPANY_NAME" seed:"企业名称,char,len=200,req"`
	CreditCode            string `json:"CREDIT_CODE" seed:"统一社会信用代码,char,len=18,req"`
	Address               string `json:"ADDRESS" seed:"地址,char,len=200"`
	Longitude             Number `json:"LONGITUDE,omitzero" seed:"经度,decimal,len=9.6,lon"`
	Latitude              Number `json:"LATITUDE,omitzero" seed:"纬度,decimal,len=9.6,lat"`
	EnterpriseType        string `json:"ENTERPRISE_TYPE" seed:"企业类型,char,len=1,req,code=enterprise-type"`
	Principal             string `json:"PRINCIPAL" seed:"主要负责人,char,len=50,req"`
	PrincipalMobile       string `json:"PRINCIPAL_MOBILE" seed:"主要负责人手机,char,len=20,req,phone"`
	SafetyPrincipal       string `json:"SAFETY_PRINCIPAL" seed:"安全负责人,char,len=50"`
	SafetyPrincipalMobile string `json:"SAFETY_PRINCIPAL_MOBILE" seed:"安全负责人手机,char,len=20,phone"`
	Deleted               string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// HazardSource is 重大危险源与储存单元 (platform-defined): the object readings and
// alarms belong to, with its national registry code.
type HazardSource struct {
	HazardCode   string `json:"HAZARD_CODE" seed:"危险源编码,char,len=36,req" note:"危险化学品登记信息管理系统中的危险源编码"`
	CompanyCode  string `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	HazardName   string `json:"HAZARD_NAME" seed:"危险源名称,char,len=100,req"`
	HazardKind   string `json:"HAZARD_KIND" seed:"危险源类型,char,len=1,req,code=hazard-kind"`
	HazardGrade  string `json:"HAZARD_GRADE" seed:"重大危险源等级,char,len=1,req,code=hazard-grade"`
	Substances   string `json:"SUBSTANCES" seed:"储存物质,char,len=500,req" note:"物质名称，多个以顿号分隔"`
	KeySubstance string `json:"KEY_SUBSTANCE" seed:"重点储存物质,char,len=2,code=key-substance" note:"硝酸铵、氯酸钾、氯酸钠、硝化棉仓库必填"`
	Longitude    Number `json:"LONGITUDE,omitzero" seed:"经度,decimal,len=9.6,lon"`
	Latitude     Number `json:"LATITUDE,omitzero" seed:"纬度,decimal,len=9.6,lat"`
	Deleted      string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// Indicator is 指标信息 (platform-defined): one monitored point and its thresholds.
type Indicator struct {
	IndicatorCode string `json:"INDICATOR_CODE" seed:"指标编码,char,len=36,req"`
	CompanyCode   string `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	HazardCode    string `json:"HAZARD_CODE" seed:"危险源编码,char,len=36,req"`
	IndicatorName string `json:"INDICATOR_NAME" seed:"指标名称,char,len=100,req"`
	IndicatorKind string `json:"INDICATOR_KIND" seed:"指标类型,char,len=2,req,code=indicator-kind"`
	Unit          string `json:"UNIT" seed:"计量单位,char,len=20,req" note:"如 ℃、MPa、m、%RH、%LEL、ppm"`
	RangeLow      Number `json:"RANGE_LOW,omitzero" seed:"量程下限,decimal,len=12.4"`
	RangeHigh     Number `json:"RANGE_HIGH,omitzero" seed:"量程上限,decimal,len=12.4"`
	LowLow        Number `json:"LOW_LOW,omitzero" seed:"低低报阈值,decimal,len=12.4"`
	Low           Number `json:"LOW,omitzero" seed:"低报阈值,decimal,len=12.4"`
	High          Number `json:"HIGH,omitzero" seed:"高报阈值,decimal,len=12.4"`
	HighHigh      Number `json:"HIGH_HIGH,omitzero" seed:"高高报阈值,decimal,len=12.4"`
	Area          string `json:"AREA" seed:"所在区域,char,len=50" note:"泄漏模型按区域和气体种类分组"`
	Deleted       string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// SensorReading is 感知数据 (platform-defined): one value of an indicator.
type SensorReading struct {
	IndicatorCode string   `json:"INDICATOR_CODE" seed:"指标编码,char,len=36,req"`
	Value         Number   `json:"VALUE" seed:"采集值,decimal,len=12.4,req"`
	CollectTime   DateTime `json:"COLLECT_TIME" seed:"采集时间,datetime,req,event"`
}

// Camera is 视频监控信息 (platform-defined): a camera channel and the key area it covers.
type Camera struct {
	VideoCode   string `json:"VIDEO_CODE" seed:"视频通道编码,char,len=36,req,gb28181" note:"GB28181：9位企业编码+0132+7位流水号"`
	CompanyCode string `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	CameraName  string `json:"CAMERA_NAME" seed:"摄像头名称,char,len=100,req"`
	Place       string `json:"PLACE" seed:"安装位置,char,len=100,req"`
	KeyAreaKind string `json:"KEY_AREA_KIND" seed:"重点区域类型,char,len=2,req,code=key-area-kind"`
	HazardCode  string `json:"HAZARD_CODE" seed:"危险源编码,char,len=36"`
	Deleted     string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// Commitment is 安全承诺 (platform-defined): the principal's daily commitment, due
// before 10:00 (特殊作业指南 6.2: the day's special operations feed it).
type Commitment struct {
	ID                string   `json:"ID" seed:"主键,char,len=36,req,uuid"`
	CompanyCode       string   `json:"COMPANY_CODE" seed:"企业编码,char,len=36,req"`
	CommitDate        Date     `json:"COMMIT_DATE" seed:"承诺日期,date,req"`
	CommitPerson      string   `json:"COMMIT_PERSON" seed:"承诺人,char,len=50,req" note:"主要负责人"`
	CommitTime        DateTime `json:"COMMIT_TIME" seed:"承诺时间,datetime,req,event" note:"应早于当日 10:00"`
	UnitsRunning      Number   `json:"UNITS_RUNNING" seed:"运行装置数,number,len=4,req"`
	UnitsStopped      Number   `json:"UNITS_STOPPED" seed:"停产装置数,number,len=4,req"`
	UnitsMaintenance  Number   `json:"UNITS_MAINTENANCE" seed:"检修装置数,number,len=4,req"`
	HotWorkSpecial    Number   `json:"HOT_WORK_SPECIAL" seed:"特殊动火作业数,number,len=4,req"`
	HotWork1          Number   `json:"HOT_WORK_1" seed:"一级动火作业数,number,len=4,req"`
	HotWork2          Number   `json:"HOT_WORK_2" seed:"二级动火作业数,number,len=4,req"`
	ConfinedSpace     Number   `json:"CONFINED_SPACE" seed:"受限空间作业数,number,len=4,req"`
	OtherSpecialOps   Number   `json:"OTHER_SPECIAL_OPS" seed:"其他特殊作业数,number,len=4,req" note:"盲板抽堵、高处、吊装、临时用电、动土、断路等"`
	TrialProduction   string   `json:"TRIAL_PRODUCTION" seed:"是否处于试生产,char,len=1,req,code=yes-no"`
	StartupShutdown   string   `json:"STARTUP_SHUTDOWN" seed:"是否开停车,char,len=1,req,code=yes-no"`
	MajorHazardNormal string   `json:"MAJOR_HAZARD_NORMAL" seed:"重大危险源是否处于安全状态,char,len=1,req,code=yes-no"`
	Content           string   `json:"CONTENT" seed:"承诺内容,text"`
	Deleted           string   `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}
