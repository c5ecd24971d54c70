package schemas

import (
	"bytes"
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Code is one entry of a seed code table.
type Code struct {
	Value  string // as sent on the wire
	NameZH string // the seed's name for it
	Parent string // for a two-level table (管控措施分类2, 作业细类): the parent code
	// ClassZH is the 分析类型 the seed prints for a video alarm type: 违规行为,
	// 异常状态 or 作业状态 (加油站 only); empty in other tables.
	ClassZH string
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

// LookupBytes is Lookup of a code held as bytes, without copying them into a string.
func (t *CodeTable) LookupBytes(v []byte) (Code, bool) {
	i, ok := t.index[string(v)]
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

//go:embed codes.yaml
var codesYAML []byte

var codeTables, codeTableList = loadCodeTables(codesYAML)

// CodeTables returns every code table in the order the seed prints them.
func CodeTables() []*CodeTable { return codeTableList }

// codeFile is the form of one table in codes.yaml.
type codeFile struct {
	ID     string `yaml:"id"`
	NameZH string `yaml:"name_zh"`
	Source string `yaml:"source"`
	Codes  []struct {
		Value   string `yaml:"value"`
		NameZH  string `yaml:"name_zh"`
		Parent  string `yaml:"parent"`
		ClassZH string `yaml:"class_zh"`
	} `yaml:"codes"`
}

// loadCodeTables reads codes.yaml. The file is embedded, so a bad entry is a build
// defect: it panics at start-up, naming the table and the code, where any test of
// any package importing schemas sees it.
func loadCodeTables(b []byte) (map[string]*CodeTable, []*CodeTable) {
	var files []codeFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key is an error, not a silently empty name
	if err := dec.Decode(&files); err != nil {
		panic("schemas: codes.yaml: " + err.Error())
	}
	byID := make(map[string]*CodeTable, len(files))
	list := make([]*CodeTable, 0, len(files))
	for _, f := range files {
		fail := func(msg string) { panic(fmt.Sprintf("schemas: codes.yaml: table %q: %s", f.ID, msg)) }
		if f.ID == "" || f.NameZH == "" || f.Source == "" || len(f.Codes) == 0 {
			fail("needs id, name_zh, source and codes")
		}
		if _, dup := byID[f.ID]; dup {
			fail("listed twice")
		}
		t := &CodeTable{ID: f.ID, NameZH: f.NameZH, Source: f.Source, index: make(map[string]int, len(f.Codes))}
		for i, c := range f.Codes {
			if c.Value == "" || c.NameZH == "" {
				fail(fmt.Sprintf("code %d needs value and name_zh", i+1))
			}
			if _, dup := t.index[c.Value]; dup {
				fail("duplicate code " + c.Value)
			}
			t.index[c.Value] = i
			t.Codes = append(t.Codes, Code{Value: c.Value, NameZH: c.NameZH, Parent: c.Parent, ClassZH: c.ClassZH})
		}
		byID[f.ID] = t
		list = append(list, t)
	}
	return byID, list
}

// mustCodeTable returns the loaded table id, for the Codes… variables below: a table
// they name that codes.yaml lacks stops the process at start-up.
func mustCodeTable(id string) *CodeTable {
	t, ok := codeTables[id]
	if !ok {
		panic("schemas: codes.yaml has no code table " + id)
	}
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

// The seed's code tables, as codes.yaml defines them.
var (
	CodesDeleted       = mustCodeTable("deleted")
	CodesYesNo         = mustCodeTable("yes-no")
	CodesControlMode   = mustCodeTable("control-mode")
	CodesMeasureClass1 = mustCodeTable("measure-class1")
	CodesMeasureClass2 = mustCodeTable("measure-class2")
	CodesCycleUnit     = mustCodeTable("cycle-unit")
	CodesCheckStatus   = mustCodeTable("check-status")
	CodesDangerLevel   = mustCodeTable("danger-level")
	CodesDangerSrc     = mustCodeTable("danger-src")
	CodesManageType    = mustCodeTable("danger-manage-type")
	CodesDangerType    = mustCodeTable("danger-type")
	CodesDangerState   = mustCodeTable("danger-state")
	CodesTaskCategory  = mustCodeTable("task-category")
	// CodesTaskType is 作业细类: TASK_TYPE is 2 characters, so it carries the 细类编码,
	// whose first character is the 大类编码.
	CodesTaskType             = mustCodeTable("task-type")
	CodesPositioningAlarmType = mustCodeTable("positioning-alarm-type")
	CodesPositioningStatus    = mustCodeTable("positioning-status")
	CodesVideoAlarmType       = mustCodeTable("video-alarm-type")
	CodesGasStationAlarmType  = mustCodeTable("gas-station-alarm-type")
	CodesVideoAlarmStatus     = mustCodeTable("video-alarm-status")
	CodesRunStatus            = mustCodeTable("run-status")

	// Platform-defined (the seed names the data, not its codes).
	CodesEnterpriseType = mustCodeTable("enterprise-type")
	CodesHazardKind     = mustCodeTable("hazard-kind")
	CodesHazardGrade    = mustCodeTable("hazard-grade")
	CodesKeySubstance   = mustCodeTable("key-substance")
	CodesIndicatorKind  = mustCodeTable("indicator-kind")
	CodesKeyAreaKind    = mustCodeTable("key-area-kind")
)
