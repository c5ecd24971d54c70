package schemas

// Code is one entry of a seed code table.
type Code struct {
	Value  string // as sent on the wire
	NameZH string // the seed's name for it
	Parent string // for a two-level table (管控措施分类2, 作业细类): the parent code
}

// CodeTable is one of the seed's code tables. Tables that share numbers are still
// separate code spaces: video alarm code 3 is 翻越围栏 for an enterprise and 人员离岗
// for a gas station.
type CodeTable struct {
	ID     string // stable name used in `seed:"…;code=ID"` tags and the reference
	NameZH string
	Source string // where in the seed it is printed
	Codes  []Code
	index  map[string]int
}

// Lookup returns the code and whether it is in the table.
func (t *CodeTable) Lookup(v string) (Code, bool) {
	i, ok := t.index[v]
	if !ok {
		return Code{}, false
	}
	return t.Codes[i], true
}

// Values lists the table's codes in seed order.
func (t *CodeTable) Values() []string {
	out := make([]string, len(t.Codes))
	for i, c := range t.Codes {
		out[i] = c.Value
	}
	return out
}

var (
	codeTables    = map[string]*CodeTable{}
	codeTableList []*CodeTable
)

// CodeTables returns every code table in the order the seed prints them.
func CodeTables() []*CodeTable { return codeTableList }

func codeTable(id, nameZH, source string, codes ...Code) *CodeTable {
	t := &CodeTable{ID: id, NameZH: nameZH, Source: source, Codes: codes, index: make(map[string]int, len(codes))}
	for i, c := range codes {
		if _, dup := t.index[c.Value]; dup {
			panic("schemas: duplicate code " + c.Value + " in " + id)
		}
		t.index[c.Value] = i
	}
	if _, dup := codeTables[id]; dup {
		panic("schemas: duplicate code table " + id)
	}
	codeTables[id] = t
	codeTableList = append(codeTableList, t)
	return t
}

// CodeTableByID returns a registered code table.
func CodeTableByID(id string) (*CodeTable, bool) {
	t, ok := codeTables[id]
	return t, ok
}

// DeletedFlag is 删除标志.
type DeletedFlag = string

// 删除标志 values.
const (
	DeletedNo  DeletedFlag = "0" // 正常
	DeletedYes DeletedFlag = "1" // 已删除
)

// YesNo values (是否承包商作业, 作业是否变更过, 作业是否取消).
const (
	No  = "0"
	Yes = "1"
)

// ControlMode is 管控方式 (DATA_SRC).
type ControlMode = string

// 管控方式.
const (
	ControlModeAutomatic ControlMode = "1" // 自动化监控
	ControlModeCheck     ControlMode = "2" // 隐患排查
)

// DangerLevel is 隐患等级.
const (
	DangerLevelGeneral = "0" // 一般隐患
	DangerLevelMajor   = "1" // 重大隐患
)

// DangerState is 隐患状态.
const (
	DangerStateRectifying        = "0" // 整改中
	DangerStatePendingAcceptance = "1" // 待验收
	DangerStateAccepted          = "9" // 已验收
)

// DangerSrcSupervision is 隐患来源 11 监管部门监督检查: a hidden danger a regulator found.
const DangerSrcSupervision = "11"

// Positioning alarm status (`type`).
const (
	PositioningRaised  = "alarm"        // 报警
	PositioningHandled = "alarm:handle" // 报警已处理
)

// Video alarm status (ALARM_STATUS).
const (
	VideoAlarmRaised  = "1" // 报警
	VideoAlarmCleared = "0" // 销警
)

// Video analytics device run status (RUN_STATUS).
const (
	RunStatusNormal   = "1" // 正常
	RunStatusAbnormal = "0" // 异常
)

// The seed's code tables.
var (
	CodesDeleted = codeTable("deleted", "删除标志", "各表 删除标志",
		Code{Value: "0", NameZH: "正常"}, Code{Value: "1", NameZH: "已删除"})
	CodesYesNo = codeTable("yes-no", "是否", "特殊作业 表1",
		Code{Value: "0", NameZH: "否"}, Code{Value: "1", NameZH: "是"})
	CodesControlMode = codeTable("control-mode", "管控方式", "双重预防 表3 DATA_SRC",
		Code{Value: "1", NameZH: "自动化监控"}, Code{Value: "2", NameZH: "隐患排查"})
	CodesMeasureClass1 = codeTable("measure-class1", "管控措施分类1", "双重预防 表3 CLASSIFY1",
		Code{Value: "1", NameZH: "工程技术"}, Code{Value: "2", NameZH: "维护保养"},
		Code{Value: "3", NameZH: "操作行为"}, Code{Value: "4", NameZH: "应急措施"})
	CodesMeasureClass2 = codeTable("measure-class2", "管控措施分类2", "双重预防 表3 CLASSIFY2",
		Code{Value: "1-1", NameZH: "工艺控制", Parent: "1"},
		Code{Value: "1-2", NameZH: "关键设备/部件", Parent: "1"},
		Code{Value: "1-3", NameZH: "安全附件", Parent: "1"},
		Code{Value: "1-4", NameZH: "安全仪表", Parent: "1"},
		Code{Value: "1-5", NameZH: "其它", Parent: "1"},
		Code{Value: "2-1", NameZH: "动设备", Parent: "2"},
		Code{Value: "2-2", NameZH: "静设备", Parent: "2"},
		Code{Value: "3-1", NameZH: "人员资质", Parent: "3"},
		Code{Value: "3-2", NameZH: "操作记录", Parent: "3"},
		Code{Value: "3-3", NameZH: "交接班", Parent: "3"},
		Code{Value: "4-1", NameZH: "应急设施", Parent: "4"},
		Code{Value: "4-2", NameZH: "个体防护", Parent: "4"},
		Code{Value: "4-3", NameZH: "消防设施", Parent: "4"},
		Code{Value: "4-4", NameZH: "应急预案", Parent: "4"})
	CodesCycleUnit = codeTable("cycle-unit", "巡检周期单位", "双重预防 表4 CHECK_CYCLE_UNIT",
		Code{Value: "小时", NameZH: "小时"}, Code{Value: "天", NameZH: "天"},
		Code{Value: "月", NameZH: "月"}, Code{Value: "年", NameZH: "年"})
	CodesCheckStatus = codeTable("check-status", "排查结果", "双重预防 表4/表5 CHECK_STATUS",
		Code{Value: "0", NameZH: "正常"}, Code{Value: "1", NameZH: "存在隐患"},
		Code{Value: "2", NameZH: "未排查"}, Code{Value: "3", NameZH: "其他"})
	CodesDangerLevel = codeTable("danger-level", "隐患等级", "双重预防 表6 DANGER_LEVEL",
		Code{Value: DangerLevelGeneral, NameZH: "一般隐患"}, Code{Value: DangerLevelMajor, NameZH: "重大隐患"})
	CodesDangerSrc = codeTable("danger-src", "隐患来源", "双重预防 表6 DANGER_SRC",
		Code{Value: "1", NameZH: "日常排查"}, Code{Value: "2", NameZH: "综合性排查"},
		Code{Value: "3", NameZH: "专业性排查"}, Code{Value: "4", NameZH: "季节性排查"},
		Code{Value: "5", NameZH: "重点时段及节假日前排查"}, Code{Value: "6", NameZH: "事故类比排查"},
		Code{Value: "7", NameZH: "复产复工前排查"}, Code{Value: "8", NameZH: "外聘专家诊断式排查"},
		Code{Value: "9", NameZH: "管控措施失效"}, Code{Value: "10", NameZH: "其他"},
		Code{Value: DangerSrcSupervision, NameZH: "监管部门监督检查"})
	CodesManageType = codeTable("danger-manage-type", "治理类型", "双重预防 表6 DANGER_MANAGE_TYPE",
		Code{Value: "0", NameZH: "即查即改"}, Code{Value: "1", NameZH: "限期整改"})
	CodesDangerType = codeTable("danger-type", "隐患类型", "双重预防 表6 HAZARD_DANGER_TYPE",
		Code{Value: "1", NameZH: "安全"}, Code{Value: "2", NameZH: "工艺"},
		Code{Value: "3", NameZH: "电气"}, Code{Value: "4", NameZH: "仪表"},
		Code{Value: "5", NameZH: "消防"}, Code{Value: "6", NameZH: "总图"},
		Code{Value: "7", NameZH: "设备"}, Code{Value: "8", NameZH: "其他"})
	CodesDangerState = codeTable("danger-state", "隐患状态", "双重预防 表6 DANGER_STATE",
		Code{Value: DangerStateRectifying, NameZH: "整改中"},
		Code{Value: DangerStatePendingAcceptance, NameZH: "待验收"},
		Code{Value: DangerStateAccepted, NameZH: "已验收"})
	CodesTaskCategory = codeTable("task-category", "作业大类", "特殊作业 表2 大类编码",
		Code{Value: "1", NameZH: "动火作业"}, Code{Value: "2", NameZH: "受限空间作业"},
		Code{Value: "3", NameZH: "盲板抽堵作业"}, Code{Value: "4", NameZH: "高处作业"},
		Code{Value: "5", NameZH: "吊装作业"}, Code{Value: "6", NameZH: "临时用电作业"},
		Code{Value: "7", NameZH: "动土作业"}, Code{Value: "8", NameZH: "断路作业"},
		Code{Value: "A", NameZH: "倒罐作业"}, Code{Value: "B", NameZH: "清罐作业"},
		Code{Value: "C", NameZH: "切水作业"})
	// CodesTaskType is 作业细类: TASK_TYPE is 2 characters, so it carries the 细类编码,
	// whose first character is the 大类编码.
	CodesTaskType = codeTable("task-type", "作业类型（细类）", "特殊作业 表2 细类编码",
		Code{Value: "11", NameZH: "二级动火作业", Parent: "1"},
		Code{Value: "12", NameZH: "一级动火作业", Parent: "1"},
		Code{Value: "13", NameZH: "特殊动火作业", Parent: "1"},
		Code{Value: "21", NameZH: "受限空间作业", Parent: "2"},
		Code{Value: "31", NameZH: "盲板抽堵作业", Parent: "3"},
		Code{Value: "41", NameZH: "三级高处作业", Parent: "4"},
		Code{Value: "42", NameZH: "二级高处作业", Parent: "4"},
		Code{Value: "43", NameZH: "一级高处作业", Parent: "4"},
		Code{Value: "44", NameZH: "特级高处作业", Parent: "4"},
		Code{Value: "51", NameZH: "一级吊装作业", Parent: "5"},
		Code{Value: "52", NameZH: "二级吊装作业", Parent: "5"},
		Code{Value: "53", NameZH: "三级吊装作业", Parent: "5"},
		Code{Value: "61", NameZH: "临时用电作业", Parent: "6"},
		Code{Value: "71", NameZH: "动土作业", Parent: "7"},
		Code{Value: "81", NameZH: "断路作业", Parent: "8"},
		Code{Value: "A1", NameZH: "倒罐作业", Parent: "A"},
		Code{Value: "B1", NameZH: "清罐作业", Parent: "B"},
		Code{Value: "C1", NameZH: "切水作业", Parent: "C"})
	CodesPositioningAlarmType = codeTable("positioning-alarm-type", "人员报警类型", "人员定位 表2",
		Code{Value: "01", NameZH: "一键求救报警"}, Code{Value: "02", NameZH: "滞留预警"},
		Code{Value: "03", NameZH: "越界报警"}, Code{Value: "04", NameZH: "超员预警"},
		Code{Value: "05", NameZH: "缺员预警"}, Code{Value: "06", NameZH: "静止预警"},
		Code{Value: "07", NameZH: "车辆超速报警"}, Code{Value: "08", NameZH: "作业人员离开报警"},
		Code{Value: "09", NameZH: "非作业人员闯入报警"})
	CodesPositioningStatus = codeTable("positioning-status", "报警状态", "人员定位 表1 type",
		Code{Value: PositioningRaised, NameZH: "报警"}, Code{Value: PositioningHandled, NameZH: "报警已处理"})
	CodesVideoAlarmType = codeTable("video-alarm-type", "视频报警类型（企业）", "智能视频 表1",
		Code{Value: "1", NameZH: "明火"}, Code{Value: "2", NameZH: "烟雾"},
		Code{Value: "3", NameZH: "翻越围栏"}, Code{Value: "4", NameZH: "区域入侵"},
		Code{Value: "5", NameZH: "人员离岗"}, Code{Value: "6", NameZH: "人员聚集"},
		Code{Value: "7", NameZH: "打电话"}, Code{Value: "8", NameZH: "抽烟"},
		Code{Value: "9", NameZH: "未佩戴安全帽"}, Code{Value: "10", NameZH: "未穿着工作服"})
	CodesGasStationAlarmType = codeTable("gas-station-alarm-type", "视频报警类型（加油站）", "加油站 表1",
		Code{Value: "3", NameZH: "人员离岗"}, Code{Value: "6", NameZH: "打电话"},
		Code{Value: "7", NameZH: "抽烟"}, Code{Value: "10", NameZH: "明火"},
		Code{Value: "11", NameZH: "烟雾"}, Code{Value: "13", NameZH: "灭火器未摆放在作业区域"},
		Code{Value: "14", NameZH: "静电释放时间未达到规定时长开始进行卸油作业"})
	CodesVideoAlarmStatus = codeTable("video-alarm-status", "报警状态", "智能视频/加油站 表4 ALARM_STATUS",
		Code{Value: VideoAlarmRaised, NameZH: "报警"}, Code{Value: VideoAlarmCleared, NameZH: "销警"})
	CodesRunStatus = codeTable("run-status", "运行状态", "智能视频/加油站 表3 RUN_STATUS",
		Code{Value: RunStatusNormal, NameZH: "正常"}, Code{Value: RunStatusAbnormal, NameZH: "异常"})
)
