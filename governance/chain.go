package governance

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

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

// decodeChain reads one record of a 双重预防 table. The tables carry no COMPANY_CODE:
// they belong to the sender.
func decodeChain(table, company string, record []byte) (ChainRecord, error) {
	var r struct {
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
	if err := json.Unmarshal(record, &r); err != nil {
		return ChainRecord{}, fmt.Errorf("governance: decode %s: %w", table, err)
	}
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

// chainRecord applies one 双重预防 record.
func (t *Tracker) chainRecord(c *company, r ChainRecord, now time.Time, ch *[]Change) {
	if c.chain == nil {
		c.chain = newChain()
	}
	s := c.chain
	c.baseDirty = true
	switch r.Table {
	case TableRiskUnits:
		s.Units[r.ID] = r
	case TableRiskEvents:
		s.Events[r.ID] = r
	case TableControlMeasures:
		s.Measures[r.ID] = r
	case TableCheckTasks:
		k, ok := s.Tasks[r.ID]
		if !ok {
			k = &chainTask{}
			s.Tasks[r.ID] = k
		}
		k.Record = r
		t.checkTask(c, r.ID, now, ch)
	case TableCheckRecords:
		if r.Deleted {
			delete(s.Orphans, r.ID)
			return
		}
		if k, ok := s.Tasks[r.Parent]; ok {
			if r.At.After(k.LastCheck) {
				k.LastCheck = r.At
			}
			t.checkTask(c, r.Parent, now, ch)
			return
		}
		s.Orphans[r.ID] = r
		if len(s.Orphans) > maxOrphans {
			oldest := ""
			for id, o := range s.Orphans {
				if oldest == "" || o.At.Before(s.Orphans[oldest].At) {
					oldest = id
				}
			}
			delete(s.Orphans, oldest)
		}
	case TableHiddenDangers:
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
	for _, id := range sortedKeys(s.Dangers) {
		d := s.Dangers[id]
		if d.At.IsZero() || !clock.After(d.At) {
			continue
		}
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
		}
	}
	alive := func(m map[string]ChainRecord, id string) bool { r, ok := m[id]; return ok && !r.Deleted }
	missing := func(found bool, id string) string {
		if found {
			return "已删除"
		}
		return "不存在"
	}
	for _, id := range sortedKeys(s.Events) {
		e := s.Events[id]
		if e.Deleted || alive(s.Units, e.Parent) {
			continue
		}
		_, found := s.Units[e.Parent]
		add(finding{kind: ChainEventUnit, subject: id, ev: Evidence{Table: TableRiskEvents, Key: id,
			Note: "RISK_UNIT_ID " + e.Parent + " " + missing(found, e.Parent)},
			detail: fmt.Sprintf("风险事件 %s（%s）所属风险分析单元 %s %s", id, clip(e.Name, 40), e.Parent, missing(found, e.Parent))})
	}
	for _, id := range sortedKeys(s.Measures) {
		m := s.Measures[id]
		if m.Deleted || alive(s.Events, m.Parent) {
			continue
		}
		_, found := s.Events[m.Parent]
		add(finding{kind: ChainMeasureEvent, subject: id, ev: Evidence{Table: TableControlMeasures, Key: id,
			Note: "RISK_EVENT_ID " + m.Parent + " " + missing(found, m.Parent)},
			detail: fmt.Sprintf("管控措施 %s 所属风险事件 %s %s", id, m.Parent, missing(found, m.Parent))})
	}
	for _, id := range sortedKeys(s.Tasks) {
		k := s.Tasks[id].Record
		if k.Deleted || alive(s.Measures, k.Parent) {
			continue
		}
		_, found := s.Measures[k.Parent]
		add(finding{kind: ChainTaskMeasure, subject: id, ev: Evidence{Table: TableCheckTasks, Key: id,
			Note: "RISK_MEASURE_ID " + k.Parent + " " + missing(found, k.Parent)},
			detail: fmt.Sprintf("排查任务 %s 所属管控措施 %s %s", id, k.Parent, missing(found, k.Parent))})
	}
	byTask := map[string][]ChainRecord{}
	for _, id := range sortedKeys(s.Orphans) {
		o := s.Orphans[id]
		byTask[o.Parent] = append(byTask[o.Parent], o)
	}
	for _, task := range sortedKeys(byTask) {
		recs := byTask[task]
		f := finding{kind: ChainRecordTask, subject: task, ev: Evidence{Table: TableCheckRecords, Key: recs[0].ID,
			At: recs[0].At, Note: "CHECK_TASK_ID " + task + " 不存在"},
			detail: fmt.Sprintf("%d 条排查记录所属排查任务 %s 不存在", len(recs), task)}
		for _, r := range recs[1:] {
			f.more = append(f.more, Evidence{Table: TableCheckRecords, Key: r.ID, At: r.At, Note: "CHECK_TASK_ID " + task + " 不存在"})
		}
		add(f)
	}
	for _, id := range sortedKeys(s.Dangers) {
		d := s.Dangers[id]
		if h, ok := c.hazards[d.Hazard]; !ok || h.Deleted {
			add(finding{kind: DangerHazardUnknown, subject: id, ev: Evidence{Table: TableHiddenDangers, Key: id,
				Note: "HAZARD_CODE " + d.Hazard + " 未在重大危险源与储存单元中登记"},
				detail: fmt.Sprintf("隐患 %s（%s）绑定的风险分析对象 %s 不是本企业已登记的危险源", id, clip(d.Name, 40), d.Hazard)})
		}
		if d.Parent != "" && !alive(s.Measures, d.Parent) {
			_, found := s.Measures[d.Parent]
			add(finding{kind: DangerMeasureUnknown, subject: id, ev: Evidence{Table: TableHiddenDangers, Key: id,
				Note: "RISK_MEASURE_ID " + d.Parent + " " + missing(found, d.Parent)},
				detail: fmt.Sprintf("隐患 %s（%s）绑定的管控措施 %s %s", id, clip(d.Name, 40), d.Parent, missing(found, d.Parent))})
		}
	}
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
