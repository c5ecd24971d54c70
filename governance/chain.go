package governance

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The 双重预防 tables (annex 2 §6 表1–6) as the chain rules read them.
const (
	TableRiskUnits       = "risk-units"       // 表1 风险分析单元
	TableRiskEvents      = "risk-events"      // 表2 风险事件, RISK_UNIT_ID → 表1
	TableControlMeasures = "control-measures" // 表3 管控措施, RISK_EVENT_ID → 表2
	TableCheckTasks      = "check-tasks"      // 表4 排查任务, RISK_MEASURE_ID → 表3
	TableCheckRecords    = "check-records"    // 表5 排查记录, CHECK_TASK_ID → 表4
	TableHiddenDangers   = "hidden-dangers"   // 表6 隐患, HAZARD_CODE → 危险源, RISK_MEASURE_ID → 表3
)

// chainTables are the tables Decode turns into ChainRecord.
var chainTables = []string{TableRiskUnits, TableRiskEvents, TableControlMeasures, TableCheckTasks,
	TableCheckRecords, TableHiddenDangers}

// ChainRecord is one record of the 双重预防 chain 风险单元→风险事件→管控措施→排查任务→
// 排查记录, or a 隐患 bound to its 风险分析对象 and 管控措施. Parent is the key the record
// points at (RISK_UNIT_ID, RISK_EVENT_ID, RISK_MEASURE_ID, CHECK_TASK_ID; for a 隐患
// its RISK_MEASURE_ID, empty when it came from no check task). The other fields are
// those of the record's own table.
type ChainRecord struct {
	Company string    `json:"company"`
	Table   string    `json:"table"`
	ID      string    `json:"id"`
	Parent  string    `json:"parent,omitempty"`
	Hazard  string    `json:"hazard,omitempty"` // 风险单元, 隐患: HAZARD_CODE
	Deleted bool      `json:"deleted,omitempty"`
	Name    string    `json:"name,omitempty"` // 单元, 事件 or 隐患 name; 任务: its 排查内容
	At      time.Time `json:"at,omitzero"`    // 任务: INVESTIGATION_DATE; 记录: CHECK_TIME; 隐患: DANGER_MANAGE_DEADLINE

	Cycle     float64 `json:"cycle,omitempty"`      // 任务: CHECK_CYCLE
	CycleUnit string  `json:"cycle_unit,omitempty"` // 任务: CHECK_CYCLE_UNIT (小时/天/月/年)

	Major  bool   `json:"major,omitempty"` // 隐患: DANGER_LEVEL 重大
	State  string `json:"state,omitempty"` // 隐患: DANGER_STATE
	Status string `json:"status,omitempty"`
}

// CompanyCode implements Event.
func (r ChainRecord) CompanyCode() string { return r.Company }

// chainFields are the fields of the 双重预防 tables the rules read, as json.Unmarshal
// would store them (the fallback of events.ReadRecord, and the fuzz's reference).
type chainFields struct {
	ID            string           `json:"ID"`
	HazardCode    string           `json:"HAZARD_CODE"`
	RiskUnitID    string           `json:"RISK_UNIT_ID"`
	RiskEventID   string           `json:"RISK_EVENT_ID"`
	RiskMeasureID string           `json:"RISK_MEASURE_ID"`
	CheckTaskID   string           `json:"CHECK_TASK_ID"`
	UnitName      string           `json:"RISK_UNIT_NAME"`
	EventName     string           `json:"RISK_EVENT_NAME"`
	DangerName    string           `json:"DANGER_NAME"`
	Content       string           `json:"TROUBLESHOOT_CONTENT"`
	Cycle         schemas.Number   `json:"CHECK_CYCLE"`
	CycleUnit     string           `json:"CHECK_CYCLE_UNIT"`
	Investigated  schemas.DateTime `json:"INVESTIGATION_DATE"`
	CheckTime     schemas.DateTime `json:"CHECK_TIME"`
	CheckStatus   string           `json:"CHECK_STATUS"`
	Deadline      schemas.DateTime `json:"DANGER_MANAGE_DEADLINE"`
	Level         schemas.Number   `json:"DANGER_LEVEL"`
	State         schemas.Number   `json:"DANGER_STATE"`
	Deleted       string           `json:"DELETED"`
}

// decodeChain reads one record of a 双重预防 table. The tables carry no COMPANY_CODE:
// they belong to the sender. Records in ingest's layout are read field by field
// (events.ReadRecord): a company's 隐患 and check records come by the thousand.
func decodeChain(table, company string, record []byte) (ChainRecord, error) {
	var r chainFields
	err := events.ReadRecord(record, &r, events.StringField("ID", &r.ID),
		events.StringField("HAZARD_CODE", &r.HazardCode), events.StringField("RISK_UNIT_ID", &r.RiskUnitID),
		events.StringField("RISK_EVENT_ID", &r.RiskEventID), events.StringField("RISK_MEASURE_ID", &r.RiskMeasureID),
		events.StringField("CHECK_TASK_ID", &r.CheckTaskID), events.StringField("RISK_UNIT_NAME", &r.UnitName),
		events.StringField("RISK_EVENT_NAME", &r.EventName), events.StringField("DANGER_NAME", &r.DangerName),
		events.StringField("TROUBLESHOOT_CONTENT", &r.Content), events.NumberField("CHECK_CYCLE", &r.Cycle),
		events.StringField("CHECK_CYCLE_UNIT", &r.CycleUnit), events.TimeField("INVESTIGATION_DATE", &r.Investigated),
		events.TimeField("CHECK_TIME", &r.CheckTime), events.StringField("CHECK_STATUS", &r.CheckStatus),
		events.TimeField("DANGER_MANAGE_DEADLINE", &r.Deadline), events.NumberField("DANGER_LEVEL", &r.Level),
		events.NumberField("DANGER_STATE", &r.State), events.StringField("DELETED", &r.Deleted))
	if err != nil {
		return ChainRecord{}, fmt.Errorf("governance: decode %s: %w", table, err)
	}
	return r.record(table, company)
}

// record is the chain record the fields make in table.
func (r *chainFields) record(table, company string) (ChainRecord, error) {
	c := ChainRecord{Company: company, Table: table, ID: r.ID, Deleted: r.Deleted == schemas.DeletedYes}
	switch table {
	case TableRiskUnits:
		c.Hazard, c.Name = r.HazardCode, r.UnitName
	case TableRiskEvents:
		c.Parent, c.Name = r.RiskUnitID, r.EventName
	case TableControlMeasures:
		c.Parent, c.Name = r.RiskEventID, r.Content
	case TableCheckTasks:
		c.Parent, c.Name, c.At, c.CycleUnit, c.Status = r.RiskMeasureID, r.Content, r.Investigated.Time, r.CycleUnit, r.CheckStatus
		if r.Cycle != "" {
			v, err := strconv.ParseFloat(string(r.Cycle), 64)
			if err != nil {
				return ChainRecord{}, fmt.Errorf("governance: decode %s: CHECK_CYCLE %q: %w", table, r.Cycle, err)
			}
			c.Cycle = v
		}
	case TableCheckRecords:
		c.Parent, c.At, c.Status = r.CheckTaskID, r.CheckTime.Time, r.CheckStatus
	case TableHiddenDangers:
		c.Parent, c.Hazard, c.Name, c.At = r.RiskMeasureID, r.HazardCode, r.DangerName, r.Deadline.Time
		c.Major, c.State = string(r.Level) == schemas.DangerLevelMajor, string(r.State)
	}
	return c, nil
}

// NextCheck returns when a check done at last is due again: last plus cycle units of
// unit (小时, 天, 月, 年 — the seed's code table cycle-unit). Months and years follow
// the calendar (a monthly check done on 31 January is due on 3 March, as time.AddDate
// normalises); a fractional cycle adds its fraction as hours of the unit's nominal
// length (30 days a month, 365 a year). ok is false for a unit or cycle the seed does
// not allow (the validator refuses them, so only a record stored before a rule change
// could carry one).
func NextCheck(last time.Time, cycle float64, unit string) (due time.Time, ok bool) {
	if cycle <= 0 || math.IsNaN(cycle) || math.IsInf(cycle, 0) {
		return time.Time{}, false
	}
	whole, frac := math.Modf(cycle)
	hours := func(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
	local := last.In(schemas.Shanghai) // a day and a month end at Shanghai midnight
	switch unit {
	case "小时":
		return last.Add(hours(cycle)), true
	case "天":
		return local.AddDate(0, 0, int(whole)).Add(hours(frac * 24)), true
	case "月":
		return local.AddDate(0, int(whole), 0).Add(hours(frac * 24 * 30)), true
	case "年":
		return local.AddDate(int(whole), 0, 0).Add(hours(frac * 24 * 365)), true
	}
	return time.Time{}, false
}

// chainState is a company's 双重预防 chain as far as the rules need it. Check
// records are not kept one by one (a company checks thousands a week): a record
// whose task is known only moves the task's last check; one whose task is unknown
// is kept as an orphan until the task arrives or the record is deleted.
type chainState struct {
	Units    map[string]ChainRecord `json:"units"`
	Events   map[string]ChainRecord `json:"events"`
	Measures map[string]ChainRecord `json:"measures"`
	Tasks    map[string]*chainTask  `json:"tasks"`
	Orphans  map[string]ChainRecord `json:"orphans"`
	Dangers  map[string]ChainRecord `json:"dangers"` // open ones: not 已验收, not deleted
}

type chainTask struct {
	Record    ChainRecord `json:"record"`
	LastCheck time.Time   `json:"last_check,omitzero"` // the latest CHECK_TIME of its records
}

// maxOrphans bounds the check records a company keeps while their task is unknown;
// beyond it the oldest are forgotten (their fact still names the task).
const maxOrphans = 2000

func newChain() *chainState {
	return &chainState{Units: map[string]ChainRecord{}, Events: map[string]ChainRecord{},
		Measures: map[string]ChainRecord{}, Tasks: map[string]*chainTask{}, Orphans: map[string]ChainRecord{},
		Dangers: map[string]ChainRecord{}}
}

// fill makes the maps a stored state left out.
func (s *chainState) fill() {
	n := newChain()
	for _, m := range []struct{ dst, src *map[string]ChainRecord }{{&s.Units, &n.Units}, {&s.Events, &n.Events},
		{&s.Measures, &n.Measures}, {&s.Orphans, &n.Orphans}, {&s.Dangers, &n.Dangers}} {
		if *m.dst == nil {
			*m.dst = *m.src
		}
	}
	if s.Tasks == nil {
		s.Tasks = n.Tasks
	}
}

// lastChecked is when the task was last checked: the later of its own
// INVESTIGATION_DATE and its newest record's CHECK_TIME (a record shows the check
// before the task's next daily upload does).
func (k *chainTask) lastChecked() time.Time { return later(k.Record.At, k.LastCheck) }

// chainRecord applies one 双重预防 record. 隐患 and check records, the chain's
// tables that grow without bound, leave the findings of the other records as they
// were: they name the findings they may change (touch) for an incremental base check;
// any other record asks for a whole one.
func (t *Tracker) chainRecord(c *company, r ChainRecord, now time.Time, ch *[]Change) {
	s := chain(c)
	// The head says the chain was started and that base data changed.
	c.baseDirty = true
	c.headChanged = true
	switch r.Table {
	case TableRiskUnits:
		s.Units[r.ID] = r
		c.baseCurrent = false
		c.recordChanged(itemUnit, r.ID)
	case TableRiskEvents:
		s.Events[r.ID] = r
		c.baseCurrent = false
		c.recordChanged(itemEvent, r.ID)
	case TableControlMeasures:
		s.Measures[r.ID] = r
		c.baseCurrent = false
		c.recordChanged(itemMeasure, r.ID)
	case TableCheckTasks:
		k, ok := s.Tasks[r.ID]
		if !ok {
			k = &chainTask{}
			s.Tasks[r.ID] = k
		}
		k.Record = r
		c.baseCurrent = false
		c.recordChanged(itemTask, r.ID)
		t.checkTask(c, r.ID, now, ch)
	case TableCheckRecords:
		if was, ok := s.Orphans[r.ID]; ok && (r.Deleted || was.Parent != r.Parent) {
			c.touch(ChainRecordTask, was.Parent)
		}
		if r.Deleted {
			delete(s.Orphans, r.ID)
			c.recordChanged(itemOrphan, r.ID)
			return
		}
		if k, ok := s.Tasks[r.Parent]; ok {
			if r.At.After(k.LastCheck) {
				k.LastCheck = r.At
				c.recordChanged(itemTask, r.Parent)
			}
			t.checkTask(c, r.Parent, now, ch)
			return
		}
		s.Orphans[r.ID] = r
		c.recordChanged(itemOrphan, r.ID)
		c.touch(ChainRecordTask, r.Parent)
		if len(s.Orphans) > maxOrphans {
			oldest := ""
			for id, o := range s.Orphans {
				if oldest == "" || o.At.Before(s.Orphans[oldest].At) {
					oldest = id
				}
			}
			c.touch(ChainRecordTask, s.Orphans[oldest].Parent)
			delete(s.Orphans, oldest)
			c.recordChanged(itemOrphan, oldest)
		}
	case TableHiddenDangers:
		c.touch(DangerHazardUnknown, r.ID)
		c.touch(DangerMeasureUnknown, r.ID)
		c.recordChanged(itemDanger, r.ID)
		if r.Deleted || r.State == schemas.DangerStateAccepted {
			delete(s.Dangers, r.ID)
			// 已验收 or withdrawn: not overdue any more, from when the platform learnt it.
			t.close(c, DangerOverdue, r.ID, now, ch)
			t.close(c, MajorDangerOverdue, r.ID, now, ch)
			return
		}
		s.Dangers[r.ID] = r
		t.checkDanger(c, r.ID, now, ch)
	}
}

// checkTask closes the task's 超期未排查 when it is checked again in time or deleted
// (at the check, or now for a deletion); opening is left to the tick.
func (t *Tracker) checkTask(c *company, id string, now time.Time, ch *[]Change) {
	k := c.chain.Tasks[id]
	if k.Record.Deleted {
		t.close(c, CheckOverdue, id, now, ch)
		return
	}
	due, ok := NextCheck(k.lastChecked(), k.Record.Cycle, k.Record.CycleUnit)
	if ok && due.After(t.intake.Clock(now)) {
		t.close(c, CheckOverdue, id, later(k.lastChecked(), now), ch)
	}
}

// checkDanger closes the 隐患's overdue fact when its deadline moved past now, and
// reopens under the other kind when its level changed; opening is left to the tick.
func (t *Tracker) checkDanger(c *company, id string, now time.Time, ch *[]Change) {
	d := c.chain.Dangers[id]
	if d.At.After(t.intake.Clock(now)) {
		t.close(c, DangerOverdue, id, now, ch)
		t.close(c, MajorDangerOverdue, id, now, ch)
		return
	}
	if d.Major {
		t.close(c, DangerOverdue, id, now, ch)
	} else {
		t.close(c, MajorDangerOverdue, id, now, ch)
	}
}

// chainOverdue opens, at a tick, the facts of time: a check task past its cycle and
// a hidden danger past its 治理期限 while not 已验收. Both are judged on the intake
// clock, so a platform-side outage that held back the company's records opens none.
func (t *Tracker) chainOverdue(c *company, now time.Time, ch *[]Change) {
	s := c.chain
	if s == nil {
		return
	}
	l := t.cfg.Limits
	clock := t.intake.Clock(now)
	for _, id := range sortedKeys(s.Tasks) {
		k := s.Tasks[id]
		r := k.Record
		if r.Deleted {
			continue
		}
		last := k.lastChecked()
		due, ok := NextCheck(last, r.Cycle, r.CycleUnit)
		if !ok || last.IsZero() || !clock.After(due.Add(l.UploadGrace)) || !t.intake.Running(due, now, l.UploadGrace) {
			continue
		}
		t.open(c, CheckOverdue, id, due, Evidence{Table: TableCheckTasks, Key: id, At: last,
			Note: fmt.Sprintf("最近排查 %s，周期 %s%s", fmtTime(last), fmtCycle(r.Cycle), r.CycleUnit)},
			fmt.Sprintf("排查任务 %s（%s）最近排查于 %s，周期 %s%s，应于 %s 前再次排查", id, clip(r.Name, 40),
				fmtTime(last), fmtCycle(r.Cycle), r.CycleUnit, fmtTime(due)), ch)
	}
	// Only the 隐患 past their deadline are sorted: the open ones are thousands.
	var due []string
	for id, d := range s.Dangers {
		if !d.At.IsZero() && clock.After(d.At) {
			due = append(due, id)
		}
	}
	sort.Strings(due)
	for _, id := range due {
		d := s.Dangers[id]
		kind, level := DangerOverdue, "一般隐患"
		if d.Major {
			kind, level = MajorDangerOverdue, "重大隐患"
		}
		t.open(c, kind, id, d.At, Evidence{Table: TableHiddenDangers, Key: id, At: d.At,
			Note: fmt.Sprintf("隐患状态 %s，治理期限 %s", dangerStateZH(d.State), fmtTime(d.At))},
			fmt.Sprintf("%s %s（%s）治理期限 %s 已过，仍未验收（%s）", level, id, clip(d.Name, 40), fmtTime(d.At),
				dangerStateZH(d.State)), ch)
	}
}

// chainFindings are the chain's broken links, for base(): each link a record points
// at must exist and not be deleted. A check record's finding is by its missing task
// (many records of one task make one fact, the records its evidence).
func (t *Tracker) chainFindings(c *company, add func(finding)) {
	s := c.chain
	if s == nil {
		return
	}
	// Orphans whose task has arrived since: they move the task's last check.
	for _, id := range sortedKeys(s.Orphans) {
		o := s.Orphans[id]
		if k, ok := s.Tasks[o.Parent]; ok {
			if o.At.After(k.LastCheck) {
				k.LastCheck = o.At
			}
			delete(s.Orphans, id)
			c.recordChanged(itemTask, o.Parent)
			c.recordChanged(itemOrphan, id)
		}
	}
	found := func(f finding, ok bool) {
		if ok {
			add(f)
		}
	}
	for _, id := range sortedKeys(s.Events) {
		found(s.eventFinding(id))
	}
	for _, id := range sortedKeys(s.Measures) {
		found(s.measureFinding(id))
	}
	for _, id := range sortedKeys(s.Tasks) {
		found(s.taskFinding(id))
	}
	byTask := s.orphansByTask()
	for _, task := range sortedKeys(byTask) {
		add(orphanFinding(task, byTask[task]))
	}
	for _, id := range sortedKeys(s.Dangers) {
		found(c.dangerFinding(DangerHazardUnknown, id))
		found(c.dangerFinding(DangerMeasureUnknown, id))
	}
}

// chainFinding is the finding of one key of the chain's kinds as the records stand,
// for an incremental base check; byTask is orphansByTask, built by the caller once.
func (c *company) chainFinding(k factKey, byTask map[string][]ChainRecord) (finding, bool) {
	s := c.chain
	if s == nil {
		return finding{}, false
	}
	switch k.family {
	case ChainEventUnit:
		return s.eventFinding(k.subject)
	case ChainMeasureEvent:
		return s.measureFinding(k.subject)
	case ChainTaskMeasure:
		return s.taskFinding(k.subject)
	case ChainRecordTask:
		if recs := byTask[k.subject]; len(recs) > 0 {
			return orphanFinding(k.subject, recs), true
		}
	case DangerHazardUnknown, DangerMeasureUnknown:
		return c.dangerFinding(k.family, k.subject)
	}
	return finding{}, false
}

func alive(m map[string]ChainRecord, id string) bool { r, ok := m[id]; return ok && !r.Deleted }

// missing says why a link's target does not count: there is none, or it is deleted.
func missing(m map[string]ChainRecord, id string) string {
	if _, found := m[id]; found {
		return "已删除"
	}
	return "不存在"
}

// eventFinding is 风险事件 id's link to its 风险分析单元, when broken.
func (s *chainState) eventFinding(id string) (finding, bool) {
	e, ok := s.Events[id]
	return linkFinding(ChainEventUnit, e, ok, s.Units, "RISK_UNIT_ID", func(why string) string {
		return fmt.Sprintf("风险事件 %s（%s）所属风险分析单元 %s %s", id, clip(e.Name, 40), e.Parent, why)
	})
}

// measureFinding is 管控措施 id's link to its 风险事件, when broken.
func (s *chainState) measureFinding(id string) (finding, bool) {
	m, ok := s.Measures[id]
	return linkFinding(ChainMeasureEvent, m, ok, s.Events, "RISK_EVENT_ID", func(why string) string {
		return fmt.Sprintf("管控措施 %s 所属风险事件 %s %s", id, m.Parent, why)
	})
}

// taskFinding is 排查任务 id's link to its 管控措施, when broken.
func (s *chainState) taskFinding(id string) (finding, bool) {
	task, ok := s.Tasks[id]
	if !ok {
		return finding{}, false
	}
	return linkFinding(ChainTaskMeasure, task.Record, true, s.Measures, "RISK_MEASURE_ID", func(why string) string {
		return fmt.Sprintf("排查任务 %s 所属管控措施 %s %s", id, task.Record.Parent, why)
	})
}

// linkFinding is the finding of kind about record r's link to its parent (the
// record's column, a record of parents), when r is there (ok) and not deleted and
// its parent is missing or deleted; detail says so in full.
func linkFinding(kind Kind, r ChainRecord, ok bool, parents map[string]ChainRecord, column string,
	detail func(why string) string) (finding, bool) {
	if !ok || r.Deleted || alive(parents, r.Parent) {
		return finding{}, false
	}
	why := missing(parents, r.Parent)
	return finding{kind: kind, subject: r.ID, ev: Evidence{Table: r.Table, Key: r.ID, Note: column + " " + r.Parent + " " + why},
		detail: detail(why)}, true
}

// orphansByTask groups the orphaned check records by their missing task, each
// group sorted by record ID.
func (s *chainState) orphansByTask() map[string][]ChainRecord {
	byTask := map[string][]ChainRecord{}
	for _, id := range sortedKeys(s.Orphans) {
		o := s.Orphans[id]
		byTask[o.Parent] = append(byTask[o.Parent], o)
	}
	return byTask
}

// orphanFinding is the one finding of the check records recs (at least one, sorted
// by ID) whose task is missing.
func orphanFinding(task string, recs []ChainRecord) finding {
	f := finding{kind: ChainRecordTask, subject: task, ev: Evidence{Table: TableCheckRecords, Key: recs[0].ID,
		At: recs[0].At, Note: "CHECK_TASK_ID " + task + " 不存在"},
		detail: fmt.Sprintf("%d 条排查记录所属排查任务 %s 不存在", len(recs), task)}
	for _, r := range recs[1:] {
		f.more = append(f.more, Evidence{Table: TableCheckRecords, Key: r.ID, At: r.At, Note: "CHECK_TASK_ID " + task + " 不存在"})
	}
	return f
}

// dangerFinding is open 隐患 id's finding of kind (DangerHazardUnknown: its 风险分析对象
// is no registered hazard; DangerMeasureUnknown: its 管控措施 is missing), if any.
func (c *company) dangerFinding(kind Kind, id string) (finding, bool) {
	s := c.chain
	d, ok := s.Dangers[id]
	if !ok {
		return finding{}, false
	}
	switch kind {
	case DangerHazardUnknown:
		if h, ok := c.hazards[d.Hazard]; !ok || h.Deleted {
			return finding{kind: DangerHazardUnknown, subject: id, ev: Evidence{Table: TableHiddenDangers, Key: id,
				Note: "HAZARD_CODE " + d.Hazard + " 未在重大危险源与储存单元中登记"},
				detail: fmt.Sprintf("隐患 %s（%s）绑定的风险分析对象 %s 不是本企业已登记的危险源", id, clip(d.Name, 40), d.Hazard)}, true
		}
	case DangerMeasureUnknown: // a 隐患 found outside any check task has no 管控措施 to miss
		return linkFinding(DangerMeasureUnknown, d, d.Parent != "", s.Measures, "RISK_MEASURE_ID", func(why string) string {
			return fmt.Sprintf("隐患 %s（%s）绑定的管控措施 %s %s", id, clip(d.Name, 40), d.Parent, why)
		})
	}
	return finding{}, false
}

func fmtCycle(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func dangerStateZH(s string) string {
	if c, ok := schemas.CodesDangerState.Lookup(s); ok {
		return c.NameZH
	}
	return s
}

// clip shortens s to n characters for a fact's detail.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ChainCounts are the sizes of a company's chain as the tracker holds it, for tests
// and diagnostics.
type ChainCounts struct {
	Units, Events, Measures, Tasks, Orphans, OpenDangers int
}

// Chain returns the sizes of company code's chain.
func (t *Tracker) Chain(code string) ChainCounts {
	c, ok := t.cos[code]
	if !ok || c.chain == nil {
		return ChainCounts{}
	}
	s := c.chain
	return ChainCounts{len(s.Units), len(s.Events), len(s.Measures), len(s.Tasks), len(s.Orphans), len(s.Dangers)}
}
