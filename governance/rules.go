package governance

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// commitment records a day's 安全承诺: its first version decides whether it was on
// time; every version is checked against the data.
func (t *Tracker) commitment(c *company, cm events.Commitment, now time.Time, ch *[]Change) {
	day := localDay(cm.Date)
	_, seen := c.commitments[day]
	c.commitments[day] = cm
	c.headChanged = true
	if !seen {
		due := dayStart(day).Add(t.cfg.Limits.CommitmentDue)
		// Received: on the intake clock; within the grace after the platform's own
		// intake resumed past the due time, the commitment's own COMMIT_TIME decides.
		arrived := later(cm.At, t.intake.Clock(now))
		if !t.intake.Running(due, now, t.cfg.Limits.UploadGrace) {
			arrived = cm.At
		}
		if arrived.After(due) {
			ev := Evidence{Table: events.TableCommitments, Key: cm.ID, At: cm.At,
				Note: fmt.Sprintf("承诺时间 %s，平台接收 %s", fmtTime(cm.At), fmtTime(now))}
			detail := fmt.Sprintf("%s 安全承诺于 %s 提交，晚于 %s", day, fmtTime(arrived), fmtTime(due))
			f, isNew := t.open(c, CommitmentLate, day, due, ev, detail, ch)
			if !isNew {
				f.addEvidence(ev)
			}
			f.Kind, f.Severity, f.Detail, f.Day, f.Ended = CommitmentLate, t.cfg.Kinds[CommitmentLate].Severity, detail, day, arrived
			delete(c.open, key(CommitmentLate, day))
			if isNew {
				(*ch)[len(*ch)-1].Fact = snap(f)
			} else {
				*ch = append(*ch, Change{Kind: FactClosed, Fact: snap(f)})
			}
		}
	}
	t.checkHotWork(c, day, now, ch)
	t.checkStopped(c, day, now, ch)
	t.checkPermits(c, day, now, false, ch)
}

// operation records a 特殊作业 permit; hot-work permits are held by their day to
// check the commitment.
func (t *Tracker) operation(c *company, o events.Operation, now time.Time, ch *[]Change) {
	var touched []string
	for day, ids := range c.hotWork {
		if ids[o.ID] {
			delete(ids, o.ID)
			touched = append(touched, day)
		}
	}
	if o.IsHotWork() && !o.Cancelled {
		day := localDay(now)
		if !o.Begin.IsZero() {
			day = localDay(o.Begin)
		}
		if c.hotWork[day] == nil {
			c.hotWork[day] = map[string]bool{}
		}
		c.hotWork[day][o.ID] = true
		touched = append(touched, day)
	}
	sort.Strings(touched)
	for _, day := range touched {
		t.checkHotWork(c, day, now, ch)
	}
	permitDays := t.recordPermit(c, o, now)
	if len(touched) > 0 || len(permitDays) > 0 {
		c.headChanged = true // the head holds the days' hot work and permits
	}
	for _, day := range permitDays {
		t.checkPermits(c, day, now, false, ch)
	}
}

// checkHotWork compares the hot work a day's commitment declares with the hot-work
// permits reported for the day.
func (t *Tracker) checkHotWork(c *company, day string, now time.Time, ch *[]Change) {
	cm, ok := c.commitments[day]
	if !ok {
		return
	}
	subject := "hot_work/" + day
	declared := cm.HotWorkSpecial + cm.HotWork1 + cm.HotWork2
	ids := make([]string, 0, len(c.hotWork[day]))
	for id := range c.hotWork[day] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) <= declared {
		t.close(c, CommitmentContradiction, subject, now, ch)
		return
	}
	detail := fmt.Sprintf("%s 安全承诺动火作业 %d 项，实际报送动火作业票 %d 张", day, declared, len(ids))
	if f, ok := c.open[key(CommitmentContradiction, subject)]; ok {
		if f.Detail == detail {
			return
		}
		f.Detail = detail
		f.Evidence = f.Evidence[:1]
		f.Count = 1
		for _, id := range ids {
			f.addEvidence(Evidence{Table: events.TableSpecialOperations, Key: id, At: now, Note: "动火作业票"})
		}
		*ch = append(*ch, Change{Kind: FactUpdated, Fact: snap(f)})
		return
	}
	f, _ := t.open(c, CommitmentContradiction, subject, now, Evidence{Table: events.TableCommitments, Key: cm.ID,
		At: cm.At, Note: fmt.Sprintf("承诺特级/一级/二级动火 %d/%d/%d", cm.HotWorkSpecial, cm.HotWork1, cm.HotWork2)}, detail, ch)
	f.Day = day
	for _, id := range ids {
		f.addEvidence(Evidence{Table: events.TableSpecialOperations, Key: id, At: now, Note: "动火作业票"})
	}
	(*ch)[len(*ch)-1].Fact = snap(f)
}

// checkStopped looks for moving readings on a day whose commitment declares every
// unit stopped or under maintenance.
func (t *Tracker) checkStopped(c *company, day string, now time.Time, ch *[]Change) {
	cm, ok := c.commitments[day]
	if !ok || cm.UnitsRunning > 0 || cm.UnitsStopped+cm.UnitsMaintenance == 0 {
		return
	}
	subject := "units_stopped/" + day
	if _, open := c.open[key(CommitmentContradiction, subject)]; open {
		return
	}
	var moving []string
	for code, s := range c.indicators {
		if s.day == day && !s.def.Deleted && t.moving(s) {
			moving = append(moving, code)
		}
	}
	if len(moving) == 0 {
		return
	}
	sort.Strings(moving)
	f, _ := t.open(c, CommitmentContradiction, subject, now, Evidence{Table: events.TableCommitments, Key: cm.ID,
		At: cm.At, Note: fmt.Sprintf("承诺运行装置 0，停产 %d，检修 %d", cm.UnitsStopped, cm.UnitsMaintenance)},
		fmt.Sprintf("%s 安全承诺装置全部停产/检修，但 %d 个流量等监测点数据明显变化", day, len(moving)), ch)
	f.Day = day
	for _, code := range moving {
		s := c.indicators[code]
		f.addEvidence(Evidence{Table: events.TableSensorReadings, Key: code, At: s.lastAt,
			Note: fmt.Sprintf("当日最小 %g，最大 %g", s.min, s.max)})
	}
	(*ch)[len(*ch)-1].Fact = snap(f)
}

// companyAlarm follows the alarms companies send (video, gas-station video,
// positioning): raised ones wait for their clear.
func (t *Tracker) companyAlarm(c *company, a events.CompanyAlarm, now time.Time, ch *[]Change) {
	id := string(a.Source) + ":" + a.ID
	table := map[events.AlarmSource]string{events.SourceVideo: events.TableVideoAlarms,
		events.SourceGasStation: events.TableGasStationAlarms, events.SourcePositioning: events.TablePositioningAlarms}[a.Source]
	if a.Raised {
		if _, ok := c.alarms[id]; !ok {
			c.alarms[id] = raisedAlarm{source: string(a.Source), id: a.ID, table: table, at: a.At}
			c.headChanged = true
		}
		if a.Source != events.SourcePositioning {
			t.alarmDevices(c, a, table, now, ch)
		}
		return
	}
	c.dropAlarm(id)
	t.close(c, AlarmUncleared, id, a.At, ch)
}

// indicatorAlarm follows the warning engine's indicator alarms (高报/高高报/低报/
// 低低报); 数据中断 is left to the offline facts.
func (t *Tracker) indicatorAlarm(al IndicatorAlarm, ch *[]Change) {
	if al.Indicator == "" || al.NoData {
		return
	}
	c := t.company(al.Company)
	id := "indicator:" + al.ID
	if !al.Cleared {
		if _, ok := c.alarms[id]; !ok {
			c.alarms[id] = raisedAlarm{source: "indicator", id: al.ID, table: "warning", at: al.Start}
			c.headChanged = true
		}
		return
	}
	c.dropAlarm(id)
	t.close(c, AlarmUncleared, id, later(al.Clear, al.Start), ch)
}

// dropAlarm forgets the open alarm id, if there is one.
func (c *company) dropAlarm(id string) {
	if _, ok := c.alarms[id]; ok {
		delete(c.alarms, id)
		c.headChanged = true
	}
}

// disposal follows the warning engine's disposal escalations: an overdue step is a
// fact until the step is taken or the warning is settled.
func (t *Tracker) disposal(w DisposalStep, now time.Time, ch *[]Change) {
	c := t.company(w.Company)
	prefix := w.Warning + "/"
	if e := w.Overdue; e != nil {
		subject := prefix + e.Step
		note := fmt.Sprintf("%s 逾期，%s → %s", e.Step, e.From, e.To)
		f, isNew := t.open(c, DisposalOverdue, subject, e.Deadline, Evidence{Table: "warning", Key: w.Warning,
			At: e.At, Note: note},
			fmt.Sprintf("预警 %s（%s）处置步骤 %s 超过期限 %s", w.Warning, w.LevelZH, e.Step, fmtTime(e.Deadline)), ch)
		if !isNew {
			f.addEvidence(Evidence{Table: "warning", Key: w.Warning, At: e.At, Note: note})
			*ch = append(*ch, Change{Kind: FactUpdated, Fact: snap(f)})
		}
		return
	}
	if !w.Taken {
		return
	}
	end := now
	if !w.At.IsZero() {
		end = w.At
	}
	var subjects []string
	for _, f := range c.open {
		if f.Kind == DisposalOverdue && strings.HasPrefix(f.Subject, prefix) {
			subjects = append(subjects, f.Subject)
		}
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		t.close(c, DisposalOverdue, s, end, ch)
	}
}

// deviceStatus follows a video device's 10-minute status reports.
func (t *Tracker) deviceStatus(c *company, s events.DeviceStatus, now time.Time, ch *[]Change) {
	d, ok := c.devices[s.Device]
	if !ok {
		d = &device{}
		c.devices[s.Device] = d
	}
	d.last, d.normal = now, s.Normal
	if s.Normal {
		t.close(c, OfflineVideoDevice, s.Device, now, ch)
		return
	}
	t.open(c, OfflineVideoDevice, s.Device, now, Evidence{Table: events.TableVideoDeviceStatus, Key: s.Device,
		At: s.At, Note: "运行状态 0 异常"}, fmt.Sprintf("视频智能分析设备 %s 上报运行状态异常", s.Device), ch)
}

// commitmentDue opens 未承诺 once today's 10:00 has passed without a commitment.
func (t *Tracker) commitmentDue(c *company, now time.Time, ch *[]Change) {
	day := localDay(now)
	due := dayStart(day).Add(t.cfg.Limits.CommitmentDue)
	// On the intake clock: not while the platform itself took nothing past the due
	// time, nor within upload_grace of its resumption after it.
	if t.intake.Clock(now).Before(due) || !t.intake.Running(due, now, t.cfg.Limits.UploadGrace) {
		return
	}
	if cm, ok := c.commitments[day]; ok {
		t.plansDue(c, cm, day, due, ch)
		t.checkPermits(c, day, now, true, ch)
		return
	}
	f, isNew := t.open(c, CommitmentMissing, day, due, Evidence{Table: events.TableCommitments, At: due, Absent: true,
		Note: "截至 10:00 未收到当日安全承诺"}, fmt.Sprintf("%s 截至 %s 未提交安全承诺", day, fmtTime(due)), ch)
	if isNew {
		f.Day = day
		(*ch)[len(*ch)-1].Fact.Day = day
	}
}

// plansDue checks the tables the seed wants as a day's plan before 10:00 (特殊作业:
// 每天10点之前上报当日计划): when the day's commitment declares special operations and
// no such table arrived since midnight, the upload is overdue from 10:00.
func (t *Tracker) plansDue(c *company, cm events.Commitment, day string, due time.Time, ch *[]Change) {
	declared := cm.HotWorkSpecial + cm.HotWork1 + cm.HotWork2 + cm.ConfinedSpace + cm.OtherSpecialOps
	if declared == 0 {
		return
	}
	for _, tb := range schemas.Tables() {
		if tb.Frequency.DueBy == 0 || tb.Slug == events.TableCommitments {
			continue
		}
		if last := c.tables[tb.Slug]; !last.Before(dayStart(day)) {
			continue
		}
		f, isNew := t.open(c, UploadOverdue, tb.Slug, due, Evidence{Table: tb.Slug, At: dayStart(day), Absent: true,
			Note: fmt.Sprintf("安全承诺申报特殊作业 %d 项；要求%s", declared, tb.Frequency.NameZH)},
			fmt.Sprintf("%s 安全承诺申报特殊作业 %d 项，但截至 %s 未上报%s", day, declared, fmtTime(due), tb.NameZH), ch)
		if isNew {
			f.Day = day
			(*ch)[len(*ch)-1].Fact.Day = day
		}
	}
}

// silences opens the facts of absence: no reading, no upload, no device status, a
// table not uploaded as often as the seed requires, an alarm not cleared.
func (t *Tracker) silences(c *company, now time.Time, ch *[]Change) {
	l := t.cfg.Limits
	in := t.intake
	if c.checked.IsZero() {
		c.checked = now
		c.headChanged = true
	}
	if !c.lastReading.IsZero() && in.Silence(c.lastReading, now) > l.ReadingsOfflineAfter {
		t.open(c, OfflineReadings, "", c.lastReading, Evidence{Table: events.TableSensorReadings, At: c.lastReading,
			Absent: true, Note: "此后未收到任何感知数据"},
			fmt.Sprintf("自 %s 起未收到任何感知数据（限值 %s）", fmtTime(c.lastReading), l.ReadingsOfflineAfter), ch)
	}
	_, companyOffline := c.open[key(OfflineReadings, "")]
	if !companyOffline {
		for _, code := range sortedKeys(c.indicators) {
			s := c.indicators[code]
			since := s.lastSeen
			if since.IsZero() {
				since = s.defined
			}
			if s.def.Deleted || since.IsZero() || in.Silence(since, now) <= l.IndicatorOfflineAfter {
				continue
			}
			t.open(c, OfflineIndicator, code, since, Evidence{Table: events.TableSensorReadings, Key: code, At: since,
				Absent: true, Note: "此后未收到该监测点数据"},
				fmt.Sprintf("监测点 %s 自 %s 起无数据（限值 %s）", code, fmtTime(since), l.IndicatorOfflineAfter), ch)
		}
	}
	if c.lastUpload.IsZero() {
		// Registered but never heard from: offline since the platform first checked it.
		if in.Silence(c.checked, now) > l.SystemOfflineAfter {
			t.open(c, OfflineSystem, "", c.checked, Evidence{At: c.checked, Absent: true, Note: "平台从未收到该企业的任何数据交换"},
				fmt.Sprintf("企业系统自 %s 起从未上传任何数据（限值 %s）", fmtTime(c.checked), l.SystemOfflineAfter), ch)
		}
	} else if in.Silence(c.lastUpload, now) > l.SystemOfflineAfter {
		t.open(c, OfflineSystem, "", c.lastUpload, Evidence{At: c.lastUpload, Absent: true, Note: "此后未收到任何数据交换"},
			fmt.Sprintf("企业系统自 %s 起未上传任何数据（限值 %s）", fmtTime(c.lastUpload), l.SystemOfflineAfter), ch)
	}
	for _, code := range sortedKeys(c.devices) {
		d := c.devices[code]
		if in.Silence(d.last, now) > l.DeviceOfflineAfter {
			t.open(c, OfflineVideoDevice, code, d.last, Evidence{Table: events.TableVideoDeviceStatus, Key: code,
				At: d.last, Absent: true, Note: "此后未收到运行状态（应每10分钟上报）"},
				fmt.Sprintf("视频智能分析设备 %s 自 %s 起未上报运行状态（限值 %s）", code, fmtTime(d.last), l.DeviceOfflineAfter), ch)
		}
	}
	for _, table := range sortedKeys(c.tables) {
		last := c.tables[table]
		tb, ok := schemas.TableBySlug(table)
		// Real-time tables have no interval; the 10:00 plan tables (特殊作业) are sent
		// only on days with a plan, which plansDue checks.
		if !ok || tb.Frequency.Interval == 0 || tb.Frequency.DueBy > 0 {
			continue
		}
		if in.Clock(now).Sub(last) > tb.Frequency.Interval+l.UploadGrace &&
			in.Running(last.Add(tb.Frequency.Interval), now, l.UploadGrace) {
			t.open(c, UploadOverdue, table, last.Add(tb.Frequency.Interval), Evidence{Table: table, At: last, Absent: true,
				Note: "要求频次：" + tb.Frequency.NameZH},
				fmt.Sprintf("%s（%s）自 %s 起未上传，要求%s", tb.NameZH, table, fmtTime(last), tb.Frequency.NameZH), ch)
		}
	}
	for _, id := range sortedKeys(c.alarms) {
		a := c.alarms[id]
		limit, ok := l.AlarmClearAfter[a.source]
		if !ok || in.Silence(a.at, now) <= limit {
			continue
		}
		t.open(c, AlarmUncleared, id, a.at, Evidence{Table: a.table, Key: a.id, At: a.at, Note: "报警后未销警"},
			fmt.Sprintf("%s 报警 %s 自 %s 起未销警（限值 %s）", a.source, a.id, fmtTime(a.at), limit), ch)
	}
}

// closeEndedDays closes the day-bound facts of days that have ended, at the day's end.
func (t *Tracker) closeEndedDays(c *company, now time.Time, ch *[]Change) {
	var ended []*Fact
	for _, f := range c.open {
		if f.Day != "" && !now.Before(dayStart(f.Day).AddDate(0, 0, 1)) {
			ended = append(ended, f)
		}
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].ID < ended[j].ID })
	for _, f := range ended {
		t.close(c, f.Kind, f.Subject, dayStart(f.Day).AddDate(0, 0, 1), ch)
	}
}

// baseKinds are the facts base() owns: it opens and closes them from the base data.
var baseKinds = map[Kind]bool{HazardNoIndicator: true, IndicatorNoThreshold: true, ThresholdOrder: true,
	IndicatorHazardUnknown: true, CameraCode: true, CoordinatesOutside: true,
	ChainEventUnit: true, ChainMeasureEvent: true, ChainTaskMeasure: true, ChainRecordTask: true,
	DangerHazardUnknown: true, DangerMeasureUnknown: true}

type finding struct {
	kind    Kind
	subject string
	ev      Evidence
	detail  string
	more    []Evidence // further records of the same finding
}

// base checks the company's base data at each tick. A finding opens a fact only at
// a later tick that still sees it, so base records sent together in any order (an
// indicator before its hazard source) make no passing facts; the fact starts at the
// first tick that saw it and closes at the first tick that no longer does.
//
// After a whole check, while only 隐患 and check records arrive, a check looks at
// the findings they touched and the pending ones alone: every other finding is
// what the last check saw, and that check left each one open or pending and
// nothing else. A company's 隐患 accumulate by thousands; checking all of them at
// every tick made each tick's cost grow with its history.
func (t *Tracker) base(c *company, now time.Time, ch *[]Change) {
	if !c.baseCurrent {
		found := t.baseFindings(c)
		t.settle(c, found, mapKeys(c.pending), mapKeys(c.open), now, ch)
		c.baseCurrent = true
		clear(c.touched)
		return
	}
	keys := mapKeys(c.pending)
	for k := range c.touched {
		if _, ok := c.pending[k]; !ok {
			keys = append(keys, k)
		}
	}
	found := map[factKey]finding{}
	var others map[factKey]finding // the findings outside the chain, made once if a pending one needs them
	var byTask map[string][]ChainRecord
	var open []factKey
	for _, k := range keys {
		if _, ok := c.open[k]; ok {
			open = append(open, k)
		}
		var f finding
		var ok bool
		switch k.family {
		case ChainEventUnit, ChainMeasureEvent, ChainTaskMeasure, ChainRecordTask, DangerHazardUnknown, DangerMeasureUnknown:
			if k.family == ChainRecordTask && byTask == nil && c.chain != nil {
				byTask = c.chain.orphansByTask()
			}
			f, ok = c.chainFinding(k, byTask)
		default:
			if others == nil {
				others = map[factKey]finding{}
				t.otherFindings(c, func(f finding) { others[key(f.kind, f.subject)] = f })
			}
			f, ok = others[k]
		}
		if ok {
			found[k] = f
		}
	}
	t.settle(c, found, keys, open, now, ch)
	clear(c.touched)
}

// baseFindings are all of the company's base-data findings, by key.
func (t *Tracker) baseFindings(c *company) map[factKey]finding {
	found := map[factKey]finding{}
	add := func(f finding) { found[key(f.kind, f.subject)] = f }
	t.otherFindings(c, add)
	t.chainFindings(c, add)
	return found
}

// otherFindings are the findings of the base data outside the 双重预防 chain:
// indicators, hazard sources, cameras and locations.
func (t *Tracker) otherFindings(c *company, add func(finding)) {
	bounds := t.cfg.Limits.Shandong

	covered := map[string]bool{}
	for _, code := range sortedKeys(c.indicators) {
		s := c.indicators[code]
		d := s.def
		if s.defined.IsZero() || d.Deleted {
			continue
		}
		covered[d.Hazard] = true
		ev := Evidence{Table: events.TableIndicators, Key: code, At: s.defined}
		th := d.Thresholds
		if !switchKind(d.Kind) && th.LowLow == nil && th.Low == nil && th.High == nil && th.HighHigh == nil {
			add(finding{IndicatorNoThreshold, code, ev, fmt.Sprintf("指标 %s 未设置任何报警阈值", named(code, d.Name)), nil})
		}
		if msg := thresholdProblem(d); msg != "" {
			add(finding{ThresholdOrder, code, ev, fmt.Sprintf("指标 %s %s", named(code, d.Name), msg), nil})
		}
		if h, ok := c.hazards[d.Hazard]; d.Hazard != "" && (!ok || h.Deleted) {
			add(finding{IndicatorHazardUnknown, code, ev, fmt.Sprintf("指标 %s 所属危险源 %s 未登记", code, d.Hazard), nil})
		}
	}
	for _, code := range sortedKeys(c.hazards) {
		h := c.hazards[code]
		if !h.Deleted && !covered[code] {
			add(finding{HazardNoIndicator, code, Evidence{Table: events.TableHazardSources, Key: code, Absent: true,
				Note: "没有对应的指标信息"}, fmt.Sprintf("危险源 %s 没有任何监测指标", named(code, h.Name)), nil})
		}
	}
	for _, code := range sortedKeys(c.cameras) {
		cam := c.cameras[code]
		if !cam.Deleted && !validate.IsGB28181Channel(code) {
			add(finding{CameraCode, code, Evidence{Table: TableCameras, Key: code},
				fmt.Sprintf("视频通道编码 %q 不符合 GB28181（9位企业编码+0132+7位流水号）", code), nil})
		}
	}
	for _, k := range sortedKeys(c.locations) {
		loc := c.locations[k]
		if loc.Deleted {
			continue
		}
		subject := loc.Subject
		if subject == "" {
			subject = "enterprise"
		}
		ev := Evidence{Table: loc.Table, Key: loc.Subject}
		switch {
		case loc.Lon == nil || loc.Lat == nil:
			if loc.Table == TableEnterpriseInfo {
				add(finding{CoordinatesOutside, subject, ev, "企业信息未填写经纬度", nil})
			}
		case !bounds.Contains(*loc.Lon, *loc.Lat):
			add(finding{CoordinatesOutside, subject, ev, fmt.Sprintf("%s 坐标 (%g, %g) 不在山东省范围（经度 %g–%g，纬度 %g–%g）",
				subject, *loc.Lon, *loc.Lat, bounds.LonMin, bounds.LonMax, bounds.LatMin, bounds.LatMax), nil})
		}
	}
}

// settle brings the open facts and pending conditions in line with found: a new
// finding becomes pending, one pending since an earlier tick opens, an open fact of
// missing check records follows their number; of the pending keys and open facts
// given, those no longer found are dropped and closed.
func (t *Tracker) settle(c *company, found map[factKey]finding, pending, open []factKey, now time.Time, ch *[]Change) {
	keys := make([]factKey, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].family != keys[j].family {
			return keys[i].family < keys[j].family
		}
		return keys[i].subject < keys[j].subject
	})
	for _, k := range keys {
		f := found[k]
		if of, open := c.open[k]; open {
			if f.kind == ChainRecordTask && of.Count != 1+len(f.more) {
				// More (or fewer) records of the missing task: the fact follows them.
				of.Count, of.Evidence, of.Detail = 0, of.Evidence[:0], f.detail
				for _, e := range append([]Evidence{f.ev}, f.more...) {
					of.addEvidence(e)
				}
				*ch = append(*ch, Change{Kind: FactUpdated, Fact: snap(of)})
			}
			continue
		}
		since, seen := c.pending[k]
		if !seen {
			c.setPending(k, now)
			continue
		}
		if now.After(since) {
			f.ev.At = later(f.ev.At, since)
			of, _ := t.open(c, f.kind, f.subject, since, f.ev, f.detail, ch)
			for _, e := range f.more {
				of.addEvidence(e)
			}
			if len(f.more) > 0 {
				(*ch)[len(*ch)-1].Fact = snap(of)
			}
			c.dropPending(k)
		}
	}
	for _, k := range pending {
		if _, still := found[k]; !still {
			c.dropPending(k)
		}
	}
	var gone []*Fact
	for _, k := range open {
		if f, ok := c.open[k]; ok && baseKinds[f.Kind] {
			if _, still := found[k]; !still {
				gone = append(gone, f)
			}
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].ID < gone[j].ID })
	for _, f := range gone {
		t.close(c, f.Kind, f.Subject, now, ch)
	}
}

// named is a code with its name in brackets, when it has one.
func named(code, name string) string {
	if name == "" {
		return code
	}
	return code + "（" + name + "）"
}

// thresholdProblem says what is wrong with an indicator's thresholds and range, or "".
func thresholdProblem(d events.IndicatorDef) string {
	th := d.Thresholds
	names := []string{"低低报", "低报", "高报", "高高报"}
	var prev *float64
	prevName := ""
	for i, v := range []*float64{th.LowLow, th.Low, th.High, th.HighHigh} {
		if v == nil {
			continue
		}
		if prev != nil && !(*prev < *v) {
			return fmt.Sprintf("阈值顺序错误：%s %g 不小于 %s %g", prevName, *prev, names[i], *v)
		}
		prev, prevName = v, names[i]
	}
	if d.RangeLow != nil && d.RangeHigh != nil {
		if !(*d.RangeLow < *d.RangeHigh) {
			return fmt.Sprintf("量程下限 %g 不小于上限 %g", *d.RangeLow, *d.RangeHigh)
		}
		for i, v := range []*float64{th.LowLow, th.Low, th.High, th.HighHigh} {
			if v != nil && (*v < *d.RangeLow || *v > *d.RangeHigh) {
				return fmt.Sprintf("%s阈值 %g 超出量程 [%g, %g]", names[i], *v, *d.RangeLow, *d.RangeHigh)
			}
		}
	}
	return ""
}

// prune forgets day-bound memory older than three days.
func (t *Tracker) prune(c *company, now time.Time) {
	cutoff := localDay(now.AddDate(0, 0, -3))
	// Not `||`: each map is pruned whatever the others dropped.
	dropped := dropDaysBefore(c.commitments, cutoff)
	dropped = dropDaysBefore(c.hotWork, cutoff) || dropped
	dropped = dropDaysBefore(c.permits, cutoff) || dropped
	c.headChanged = c.headChanged || dropped
	for k := range c.batches {
		if k[:10] < cutoff {
			delete(c.batches, k)
		}
	}
}

// dropDaysBefore deletes the entries of m, keyed by local day, before cutoff and
// reports whether there were any.
func dropDaysBefore[V any](m map[string]V, cutoff string) bool {
	n := len(m)
	for day := range m {
		if day < cutoff {
			delete(m, day)
		}
	}
	return len(m) != n
}

func mapKeys[V any](m map[factKey]V) []factKey {
	out := make([]factKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
