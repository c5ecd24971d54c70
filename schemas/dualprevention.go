package schemas

// RiskUnit is 双重预防 表1 风险分析单元信息.
type RiskUnit struct {
	ID                 string `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	HazardCode         string `json:"HAZARD_CODE" seed:"风险分析对象编码,char,len=36,req" note:"危险化学品登记信息管理系统中的危险源编码"`
	HazardDep          string `json:"HAZARD_DEP" seed:"责任部门,char,len=200,req" note:"风险分析对象所属部门名称"`
	HazardLiablePerson string `json:"HAZARD_LIABLE_PERSON" seed:"责任人,char,len=200,req" note:"风险分析对象所属部门负责人姓名"`
	RiskUnitName       string `json:"RISK_UNIT_NAME" seed:"风险分析单元名称,char,len=200,req"`
	Deleted            string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// RiskEvent is 双重预防 表2 风险事件信息.
type RiskEvent struct {
	ID            string `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	RiskUnitID    string `json:"RISK_UNIT_ID" seed:"风险分析单元ID,char,len=36,req,uuid" note:"所属风险单元 UUID"`
	RiskEventName string `json:"RISK_EVENT_NAME" seed:"风险事件名称,char,len=100,req"`
	Deleted       string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// ControlMeasure is 双重预防 表3 管控措施信息.
type ControlMeasure struct {
	ID                  string `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	RiskEventID         string `json:"RISK_EVENT_ID" seed:"风险事件ID,char,len=36,req,uuid" note:"所属风险事件 UUID"`
	DataSrc             string `json:"DATA_SRC" seed:"管控方式,char,len=2,code=control-mode"`
	RiskMeasureDesc     string `json:"RISK_MEASURE_DESC" seed:"管控措施描述,char,len=1000,req"`
	Classify1           string `json:"CLASSIFY1" seed:"管控措施分类1,char,len=2,req,code=measure-class1"`
	Classify2           string `json:"CLASSIFY2" seed:"管控措施分类2,char,len=4,req,code=measure-class2,parent=CLASSIFY1" note:"须属于管控措施分类1"`
	Classify3           string `json:"CLASSIFY3" seed:"管控措施分类3,char,len=100" note:"由企业自行定义"`
	TroubleshootContent string `json:"TROUBLESHOOT_CONTENT" seed:"隐患排查内容,char,len=1000,req"`
	Deleted             string `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// CheckTask is 双重预防 表4 排查任务信息.
type CheckTask struct {
	ID                  string   `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	RiskMeasureID       string   `json:"RISK_MEASURE_ID" seed:"管控措施id,char,len=36,req,uuid" note:"管控措施主键 UUID"`
	TroubleshootContent string   `json:"TROUBLESHOOT_CONTENT" seed:"排查内容,char,len=1000,req"`
	CheckCycle          Number   `json:"CHECK_CYCLE" seed:"巡检周期,decimal,len=4,req,positive"`
	CheckCycleUnit      string   `json:"CHECK_CYCLE_UNIT" seed:"巡检周期单位,char,len=20,req,code=cycle-unit"`
	InvestigationDate   DateTime `json:"INVESTIGATION_DATE" seed:"最近排查时间,datetime,req,event" note:"记录最近一次排查时间"`
	CheckStatus         string   `json:"CHECK_STATUS" seed:"排查结果,char,len=1,req,code=check-status" note:"记录最近一次排查结果"`
	Deleted             string   `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// CheckRecord is 双重预防 表5 排查记录.
type CheckRecord struct {
	ID          string   `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	CheckTaskID string   `json:"CHECK_TASK_ID" seed:"排查任务ID,char,len=36,req,uuid" note:"排查任务 UUID"`
	CheckTime   DateTime `json:"CHECK_TIME" seed:"排查时间,datetime,req,event"`
	CheckStatus string   `json:"CHECK_STATUS" seed:"排查结果,char,len=1,req,code=check-status"`
	Deleted     string   `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}

// HiddenDanger is 双重预防 表6 隐患信息.
type HiddenDanger struct {
	ID                   string   `json:"ID" seed:"主键,char,len=36,req,uuid" note:"主键 UUID"`
	HazardCode           string   `json:"HAZARD_CODE" seed:"风险分析对象编码,char,len=36,req" note:"所有隐患必须绑定风险分析对象"`
	RiskMeasureID        string   `json:"RISK_MEASURE_ID" seed:"管控措施主键,char,len=36,uuid" note:"隐患排查任务产生的隐患必须绑定管控措施"`
	DangerName           string   `json:"DANGER_NAME" seed:"隐患名称,char,len=100,req"`
	DangerLevel          Number   `json:"DANGER_LEVEL" seed:"隐患等级,number,len=1,req,code=danger-level"`
	RegistTime           DateTime `json:"REGIST_TIME" seed:"登记时间,datetime,req,event"`
	Registrant           string   `json:"REGISTRANT" seed:"登记人姓名,char,len=100,req"`
	DangerSrc            string   `json:"DANGER_SRC" seed:"隐患来源,char,len=4,req,code=danger-src"`
	DangerManageType     Number   `json:"DANGER_MANAGE_TYPE" seed:"治理类型,number,len=1,req,code=danger-manage-type"`
	HazardDangerType     Number   `json:"HAZARD_DANGER_TYPE" seed:"隐患类型,number,len=1,req,code=danger-type"`
	DangerDesc           string   `json:"DANGER_DESC" seed:"隐患描述,char,len=1000,req"`
	DangerReason         string   `json:"DANGER_REASON" seed:"原因分析,char,len=1000"`
	LiablePerson         string   `json:"LIABLE_PERSON" seed:"整改责任人,char,len=100,req"`
	DangerManageDeadline DateTime `json:"DANGER_MANAGE_DEADLINE" seed:"隐患治理期限,datetime,req"`
	CheckAcceptPerson    string   `json:"CHECK_ACCEPT_PERSON" seed:"验收人姓名,char,len=50" note:"隐患状态为已验收(9)时必填"`
	CheckAcceptTime      DateTime `json:"CHECK_ACCEPT_TIME,omitzero" seed:"验收时间,datetime,event" note:"隐患状态为已验收(9)时必填"`
	CheckAcceptComment   string   `json:"CHECK_ACCEPT_COMMENT" seed:"验收情况,char,len=1000"`
	DangerState          Number   `json:"DANGER_STATE" seed:"隐患状态,number,len=1,req,code=danger-state"`
	Deleted              string   `json:"DELETED" seed:"删除标志,char,len=1,req,code=deleted" note:"正常：0；已删除：1，不可物理删除"`
}
