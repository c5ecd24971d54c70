package governance

import (
	"fmt"
	"sort"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/statebin"
)

// Tracker derives quality facts from events. It is pure: time comes from the caller
// (the processing time of the event, or of the tick), so a test drives it with a fake
// clock, and replaying the same events at the same times gives the same facts. It is
// not safe for concurrent use.
type Tracker struct {
	cfg Config
	cos map[string]*company

	// intake is the platform's intake of exchange records (SetIntake, TickIntake):
	// facts from absence are judged on its clock. Zero: the wall clock.
	intake events.Intake

	// The local day of the last time asked, cached: formatting it per reading costs.
	dayFrom, dayTo time.Time
	dayName        string
}

// day is localDay(now), cached for the current day.
func (t *Tracker) day(now time.Time) string {
	if now.Before(t.dayFrom) || !now.Before(t.dayTo) {
		t.dayFrom, t.dayTo = DayBounds(now)
		t.dayName = localDay(now)
	}
	return t.dayName
}

// New returns a tracker with no state. cfg is validated.
func New(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg, cos: map[string]*company{}}, nil
}

// Config returns the tracker's configuration.
func (t *Tracker) Config() *Config { return &t.cfg }

// company is one company's memory.
type company struct {
	code        string
	checked     time.Time            // the first tick that saw it: a system never heard from is offline since
	lastUpload  time.Time            // any table
	tables      map[string]time.Time // last upload, by exchange slug
	lastReading time.Time
	indicators  map[string]*indicator
	hazards     map[string]events.HazardSource
	cameras     map[string]Camera
	locations   map[string]Location // by table|subject
	devices     map[string]*device
	commitments map[string]events.Commitment // first version of each date's commitment
	hotWork     map[string]map[string]bool   // date → IDs of its hot-work permits
	permits     map[string]map[string]string // date → ID → TASK_TYPE of its permits (not cancelled)
	registered  map[string]bool              // DEVICE_CODEs registered in 视频智能分析设备基础信息 (表2)
	alarms      map[string]raisedAlarm       // open alarms, by source:ID
	batches     map[string]*batchCount       // by date|table
	pending     map[factKey]time.Time        // base-data conditions not yet settled, since
	open        map[factKey]*Fact            // open facts
	baseDirty   bool                         // base data changed since the last check
	baseCurrent bool                         // a whole base check ran and only touched findings changed since (not stored: a restored company starts with a whole one)
	touched     map[factKey]bool             // findings whose 隐患 or check records changed since the last base check
	chain       *chainState                  // 双重预防 records; nil until the first
	kind        string                       // the registry's kind (SetKind): what it owes

	// headChanged marks the company's head (MarshalHead) changed since it was last
	// stored or restored (HeadChanged): whatever changes a field the head holds sets
	// it, so a consumer need not encode an unmarked head to learn it is the same.
	headChanged bool

	// The items as stored (items.go): nil until restored from items or first
	// encoded; the open facts changed since; the items the last ChangedItems encoded.
	stored       *storedItems
	dirty        map[factKey]bool
	dirtyPending map[factKey]bool // pending conditions set or settled since
	dirtyRecords map[string]bool  // 双重预防 items (prefix|ID) changed since
	unsaved      []itemOp
	unsavedWhole bool // the last ChangedItems compared every item (nothing stored yet)
	// freshKeys keep the order MarshalFresh last wrote indicators and devices in.
	freshKeys struct{ indicators, devices statebin.Keys }
}

// baseChanged notes a change of base data that any finding may depend on: the next
// tick checks the whole base data.
func (c *company) baseChanged() {
	c.baseDirty = true
	c.headChanged = true
	c.baseCurrent = false
}

// touch notes that the finding of kind and subject may have changed: an incremental
// base check looks at it.
func (c *company) touch(k Kind, subject string) {
	if c.touched == nil {
		c.touched = map[factKey]bool{}
	}
	c.touched[key(k, subject)] = true
}

// recordChanged notes that the 双重预防 item of prefix and id changed: ChangedItems
// compares it with the stored copy.
func (c *company) recordChanged(prefix, id string) {
	if c.dirtyRecords == nil {
		c.dirtyRecords = map[string]bool{}
	}
	c.dirtyRecords[prefix+"|"+id] = true
}

type indicator struct {
	def       events.IndicatorDef
	defined   time.Time // when the definition arrived
	lastSeen  time.Time // receipt of the last reading
	lastAt    time.Time // its COLLECT_TIME
	last      float64
	same      int
	sameSince time.Time
	day       string // the local day min/max are of
	min, max  float64
}

type device struct {
	last   time.Time
	normal bool
}

type raisedAlarm struct {
	source, id, table string
	at                time.Time
}

type batchCount struct {
	total    int
	rejected map[string]int
}

func (t *Tracker) company(code string) *company {
	c, ok := t.cos[code]
	if !ok {
		c = &company{code: code, tables: map[string]time.Time{}, indicators: map[string]*indicator{},
			hazards: map[string]events.HazardSource{}, cameras: map[string]Camera{},
			locations: map[string]Location{}, devices: map[string]*device{},
			commitments: map[string]events.Commitment{}, hotWork: map[string]map[string]bool{},
			permits: map[string]map[string]string{}, registered: map[string]bool{},
			alarms: map[string]raisedAlarm{}, batches: map[string]*batchCount{},
			pending: map[factKey]time.Time{}, open: map[factKey]*Fact{}, headChanged: true}
		t.cos[code] = c
	}
	return c
}

// Register makes a company known before it sends anything, so that the absence of
// its commitment is noticed. Companies that send anything are known anyway.
func (t *Tracker) Register(code string) { t.company(code) }

// Companies returns the known company codes, sorted.
func (t *Tracker) Companies() []string {
	out := make([]string, 0, len(t.cos))
	for k := range t.cos {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OpenFacts returns copies of a company's open facts, sorted by ID.
func (t *Tracker) OpenFacts(code string) []Fact {
	c, ok := t.cos[code]
	if !ok {
		return nil
	}
	out := make([]Fact, 0, len(c.open))
	for _, f := range c.open {
		out = append(out, snap(f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Status is a company's online status (在线/离线) as the tracker sees it now.
type Status struct {
	Online            bool     `json:"online"`   // neither its system nor its data collection is offline
	System            bool     `json:"system"`   // its system uploads
	Readings          bool     `json:"readings"` // its data collection sends readings
	OfflineIndicators []string `json:"offline_indicators,omitempty"`
	OfflineDevices    []string `json:"offline_devices,omitempty"`
}

// Status returns the company's online status, from its open offline facts (so it
// moves at Tick and when data arrives).
func (t *Tracker) Status(code string) Status {
	s := Status{System: true, Readings: true}
	c, ok := t.cos[code]
	if ok {
		for _, f := range c.open {
			switch f.Kind {
			case OfflineSystem:
				s.System = false
			case OfflineReadings:
				s.Readings = false
			case OfflineIndicator:
				s.OfflineIndicators = append(s.OfflineIndicators, f.Subject)
			case OfflineVideoDevice:
				s.OfflineDevices = append(s.OfflineDevices, f.Subject)
			}
		}
	}
	sort.Strings(s.OfflineIndicators)
	sort.Strings(s.OfflineDevices)
	s.Online = s.System && s.Readings
	return s
}

// Apply applies one event processed at now and returns the facts it opened, added
// to or closed. It panics on an event type it does not know (a programming error).
func (t *Tracker) Apply(ev Event, now time.Time) []Change {
	var ch []Change
	c := t.company(ev.CompanyCode())
	switch ev := ev.(type) {
	case Upload:
		t.upload(c, ev, now, &ch)
	case events.Reading:
		t.reading(c, ev, now, &ch)
	case events.IndicatorDef:
		s := c.indicator(ev.Code)
		if s.defined.IsZero() {
			s.defined = now
		}
		s.def = ev
		c.baseChanged()
		if ev.Deleted {
			// A point taken out of service sends nothing more: what was wrong with
			// its readings ends with it (base-data facts close at the next check).
			for _, k := range indicatorKinds {
				t.close(c, k, ev.Code, now, &ch)
			}
		}
	case events.HazardSource:
		c.hazards[ev.Code] = ev
		c.baseChanged()
	case Camera:
		c.cameras[ev.VideoCode] = ev
		c.baseChanged()
		if !ev.Deleted {
			t.close(c, CameraUnregistered, ev.VideoCode, now, &ch)
			t.close(c, CameraForeign, ev.VideoCode, now, &ch)
		}
	case VideoDevice:
		if _, ok := c.devices[ev.Code]; !ok {
			c.devices[ev.Code] = &device{last: now, normal: true}
		}
		if !c.registered[ev.Code] {
			c.registered[ev.Code] = true
			c.headChanged = true
		}
		t.close(c, DeviceUnregistered, ev.Code, now, &ch)
	case Location:
		c.locations[ev.Table+"|"+ev.Subject] = ev
		c.baseChanged()
	case events.Commitment:
		t.commitment(c, ev, now, &ch)
	case events.Operation:
		t.operation(c, ev, now, &ch)
	case events.CompanyAlarm:
		t.companyAlarm(c, ev, now, &ch)
	case events.DeviceStatus:
		t.deviceStatus(c, ev, now, &ch)
	case ChainRecord:
		t.chainRecord(c, ev, now, &ch)
	case events.HiddenDanger:
		// Decode reads hidden dangers as ChainRecord; this form is the warning engine's.
	default:
		panic(fmt.Sprintf("governance: unknown event type %T", ev))
	}
	return t.note(ch)
}

// indicatorKinds are the facts about one point's readings, subject its code.
var indicatorKinds = []Kind{OfflineIndicator, SensorStuck, SensorOutOfRange, SensorFuture, SensorBehind}

// IndicatorAlarm is one of the warning engine's indicator alarms as it was stored,
// raised or cleared: what governance follows of them.
type IndicatorAlarm struct {
	Company   string
	ID        string
	Indicator string
	NoData    bool // 数据中断, followed through the offline facts instead
	Cleared   bool
	Start     time.Time
	Clear     time.Time // 销警时间; zero while raised
}

// DisposalStep is one event of a warning's disposal as the warning engine stored it:
// a step overdue (Overdue set), or a step taken or the warning settled (Taken).
type DisposalStep struct {
	Company string
	Warning string // the warning's key
	LevelZH string // its level, as users read it (红色预警 …)
	Overdue *Overdue
	Taken   bool
	At      time.Time // when the step was taken (zero: unknown)
}

// Overdue is a disposal step that missed its deadline.
type Overdue struct {
	Step     string
	Deadline time.Time
	At       time.Time // when the engine saw it overdue
	From, To string    // the tiers watching before and after the escalation
}

// ApplyAlarm applies one of the warning engine's indicator alarms (数据中断 and
// company-sent alarms are followed from their own events).
func (t *Tracker) ApplyAlarm(a IndicatorAlarm) []Change {
	var ch []Change
	t.indicatorAlarm(a, &ch)
	return t.note(ch)
}

// ApplyWarning applies one of the warning engine's disposal events: disposal steps
// escalated or overdue open facts, steps taken and settlement close them.
func (t *Tracker) ApplyWarning(w DisposalStep, now time.Time) []Change {
	var ch []Change
	t.disposal(w, now, &ch)
	return t.note(ch)
}

// Tick advances time to now: it opens the facts that come from absence (no
// commitment by 10:00, no data, no upload, an alarm not cleared), settles base-data
// checks, closes day-bound facts whose day has ended and forgets what no rule needs.
// Call it every few seconds to a minute; a fact from absence is opened at the first
// tick after its limit, but its start is where the absence began. Absence is judged
// on the intake last set (SetIntake; none: the wall clock).
func (t *Tracker) Tick(now time.Time) []Change { return t.TickIntake(now, t.intake) }

// SetIntake sets the platform's intake of exchange records — from every company,
// as the governance consumer measured it from ingest's receive times — that absence
// is judged by until the next SetIntake or TickIntake (docs/governance.md §1,
// 平台接入中断). The zero Intake means unknown: the wall clock alone.
func (t *Tracker) SetIntake(in events.Intake) { t.intake = in }

// TickIntake is Tick on the platform's intake clock: while the pipeline delivers
// nothing from anyone (ingest down, the broker or the governance consumer lagging
// or stopped) no company's silence grows, so no 数据采集离线, 企业系统离线, 监测点离线,
// 视频设备离线 or 上传频次不足 opens for the platform's fault; after the intake resumes
// from a pause longer than limits.intake_gap, silence counts from the resumption,
// and what fell due meanwhile (the 10:00 commitment, a table's interval) gets
// limits.upload_grace to arrive.
func (t *Tracker) TickIntake(now time.Time, in events.Intake) []Change {
	t.intake = in
	var ch []Change
	for _, code := range t.Companies() {
		c := t.cos[code]
		t.closeEndedDays(c, now, &ch)
		t.commitmentDue(c, now, &ch)
		t.silences(c, now, &ch)
		t.chainOverdue(c, now, &ch)
		t.neverSent(c, now, &ch)
		if c.baseDirty || len(c.pending) > 0 {
			c.headChanged = c.headChanged || c.baseDirty
			c.baseDirty = false
			t.base(c, now, &ch)
		}
		t.prune(c, now)
	}
	return t.note(ch)
}

// Retire closes every open fact of company code at at (or at a fact's start, if
// later), appending reason (in Chinese) to each one's detail: a company disabled in
// the registry (enterprises.disabled_at) accrues no facts, and its caller stops
// ticking it. The tracker keeps its memory, so ticks resume if it is enabled again.
// Nothing open, nothing changes.
func (t *Tracker) Retire(code string, at time.Time, reason string) []Change {
	c, ok := t.cos[code]
	if !ok {
		return nil
	}
	keys := make([]factKey, 0, len(c.open))
	for k := range c.open {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.open[keys[i]].ID < c.open[keys[j]].ID })
	var ch []Change
	c.baseCurrent = false // its base facts are closed without their findings going
	for _, k := range keys {
		f := c.open[k]
		f.Detail += "；" + reason
		f.Ended = at
		if at.Before(f.Started) {
			f.Ended = f.Started
		}
		delete(c.open, k)
		ch = append(ch, Change{Kind: FactClosed, Fact: snap(f)})
	}
	return t.note(ch)
}

func (c *company) indicator(code string) *indicator {
	s, ok := c.indicators[code]
	if !ok {
		s = &indicator{}
		c.indicators[code] = s
		c.headChanged = true // the head holds every point's definition
	}
	return s
}

// factKey is where an open fact lives in company.open.
type factKey struct {
	family  Kind
	subject string
}

// key is the open fact's place: missing and late commitments of one date share it.
func key(k Kind, subject string) factKey {
	if k == CommitmentLate {
		k = CommitmentMissing
	}
	return factKey{k, subject}
}

func snap(f *Fact) Fact {
	out := *f
	out.Evidence = append([]Evidence(nil), f.Evidence...)
	return out
}

// open opens a fact unless one of the kind and subject is open; it returns the open
// fact either way and whether it is new.
func (t *Tracker) open(c *company, k Kind, subject string, started time.Time, ev Evidence, detail string, ch *[]Change) (*Fact, bool) {
	if f, ok := c.open[key(k, subject)]; ok {
		return f, false
	}
	f := &Fact{ID: factID(c.code, k, subject, started), Company: c.code, Kind: k, Subject: subject,
		Started: started, Severity: t.cfg.Kinds[k].Severity, Detail: detail, Evidence: []Evidence{}}
	f.addEvidence(ev)
	c.open[key(k, subject)] = f
	*ch = append(*ch, Change{Kind: FactOpened, Fact: snap(f)})
	return f, true
}

// occur records one more occurrence of a condition: it opens the fact, or adds the
// evidence to the open one.
func (t *Tracker) occur(c *company, k Kind, subject, day string, started time.Time, ev Evidence, detail string, ch *[]Change) {
	f, isNew := t.open(c, k, subject, started, ev, detail, ch)
	if isNew {
		f.Day = day
		(*ch)[len(*ch)-1].Fact.Day = day
		return
	}
	f.addEvidence(ev)
	f.Detail = detail
	*ch = append(*ch, Change{Kind: FactUpdated, Fact: snap(f)})
}

// close ends the open fact of the kind and subject, if any, at ended (never before
// its start).
func (t *Tracker) close(c *company, k Kind, subject string, ended time.Time, ch *[]Change) {
	f, ok := c.open[key(k, subject)]
	if !ok || f.Kind != k {
		return
	}
	if ended.Before(f.Started) {
		ended = f.Started
	}
	f.Ended = ended
	delete(c.open, key(k, subject))
	*ch = append(*ch, Change{Kind: FactClosed, Fact: snap(f)})
}

// localDay is the Asia/Shanghai date of t, yyyy-mm-dd.
func localDay(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateLayout) }

// dayStart is local midnight of a yyyy-mm-dd date.
func dayStart(day string) time.Time {
	t, err := time.ParseInLocation(schemas.DateLayout, day, schemas.Shanghai)
	if err != nil {
		panic("governance: bad day " + day)
	}
	return t
}

// DayBounds returns the start and end of a local day (Asia/Shanghai) containing t.
func DayBounds(t time.Time) (start, end time.Time) {
	start = dayStart(localDay(t))
	return start, start.AddDate(0, 0, 1)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (t *Tracker) upload(c *company, u Upload, now time.Time, ch *[]Change) {
	c.lastUpload = now
	c.tables[u.Table] = now
	t.close(c, OfflineSystem, "", now, ch)
	t.close(c, UploadOverdue, u.Table, now, ch)
	t.close(c, TableNeverSent, u.Table, now, ch)

	day := localDay(now)
	b, ok := c.batches[day+"|"+u.Table]
	if !ok {
		b = &batchCount{rejected: map[string]int{}}
		c.batches[day+"|"+u.Table] = b
	}
	b.total += u.Accepted
	rejected := 0
	for rule, n := range u.Rejected {
		b.rejected[rule] += n
		b.total += n
	}
	for _, n := range b.rejected {
		rejected += n
	}
	l := t.cfg.Limits
	subject := u.Table + "/" + day
	if b.total >= l.RejectedMinRecords && b.total > 0 && float64(rejected)/float64(b.total) > l.RejectedShare {
		rules := make([]string, 0, len(b.rejected))
		for r := range b.rejected {
			rules = append(rules, r)
		}
		sort.Strings(rules)
		detail := fmt.Sprintf("%s 当日拒收 %d / %d 条（%.1f%%）：", u.Table, rejected, b.total, 100*float64(rejected)/float64(b.total))
		for _, r := range rules {
			detail += fmt.Sprintf(" %s %d", r, b.rejected[r])
		}
		t.occur(c, RejectedShare, subject, day, now, Evidence{Table: u.Table, At: now,
			Note: fmt.Sprintf("本批接收 %d 条，拒收 %d 条", u.Accepted, sum(u.Rejected))}, detail, ch)
	} else {
		t.close(c, RejectedShare, subject, now, ch)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// switchKinds are indicator kinds whose value is a switch (静电接地, 溢油): a constant
// value is normal and they need no analogue thresholds.
func switchKind(k events.IndicatorKind) bool {
	return k == events.KindGrounding || k == events.KindOverflow
}

func (t *Tracker) reading(c *company, r events.Reading, now time.Time, ch *[]Change) {
	l := t.cfg.Limits
	c.lastReading = now
	t.close(c, OfflineReadings, "", now, ch)
	s := c.indicator(r.Indicator)
	s.lastSeen = now
	t.close(c, OfflineIndicator, r.Indicator, now, ch)
	// Built only where a fact needs it: formatting per reading would cost more than
	// the checks.
	evidence := func() Evidence {
		return Evidence{Table: events.TableSensorReadings, Key: r.Indicator, At: r.At, Note: fmt.Sprintf("采集值 %g", r.Value)}
	}
	day := t.day(now)

	// Timestamps.
	switch {
	case r.At.Sub(now) > l.FutureSkew:
		t.occur(c, SensorFuture, r.Indicator, "", now, evidence(),
			fmt.Sprintf("指标 %s 采集时间 %s 晚于平台接收时间 %s", r.Indicator, fmtTime(r.At), fmtTime(now)), ch)
	case now.Sub(r.At) > l.BehindAfter:
		t.occur(c, SensorBehind, r.Indicator, "", now, evidence(),
			fmt.Sprintf("指标 %s 采集时间 %s 比平台接收时间早 %s", r.Indicator, fmtTime(r.At), now.Sub(r.At).Round(time.Second)), ch)
	default:
		t.close(c, SensorFuture, r.Indicator, now, ch)
		t.close(c, SensorBehind, r.Indicator, now, ch)
	}
	if !s.lastAt.IsZero() && r.At.Equal(s.lastAt) {
		t.occur(c, SensorDuplicate, r.Indicator+"/"+day, day, now, evidence(),
			fmt.Sprintf("指标 %s 重复上报采集时间 %s 的数据", r.Indicator, fmtTime(r.At)), ch)
		return
	}
	s.lastAt = r.At

	// Range.
	d := s.def
	if (d.RangeLow != nil && r.Value < *d.RangeLow) || (d.RangeHigh != nil && r.Value > *d.RangeHigh) {
		t.occur(c, SensorOutOfRange, r.Indicator, "", now, evidence(),
			fmt.Sprintf("指标 %s 采集值 %g 超出量程 [%s, %s]", r.Indicator, r.Value, fmtPtr(d.RangeLow), fmtPtr(d.RangeHigh)), ch)
	} else {
		t.close(c, SensorOutOfRange, r.Indicator, now, ch)
	}

	// Stuck values.
	if s.same > 0 && r.Value == s.last {
		s.same++
	} else {
		s.same, s.sameSince, s.last = 1, now, r.Value
		t.close(c, SensorStuck, r.Indicator, now, ch)
	}
	if !switchKind(d.Kind) && l.StuckReadings > 0 && s.same >= l.StuckReadings && now.Sub(s.sameSince) >= l.StuckAfter {
		t.open(c, SensorStuck, r.Indicator, s.sameSince, Evidence{Table: events.TableSensorReadings, Key: r.Indicator,
			At: s.sameSince, Note: fmt.Sprintf("连续 %d 条采集值均为 %g", s.same, r.Value)},
			fmt.Sprintf("指标 %s 自 %s 起采集值恒为 %g", r.Indicator, fmtTime(s.sameSince), r.Value), ch)
	}

	// Movement for the stopped-units check.
	if s.day != day {
		s.day, s.min, s.max = day, r.Value, r.Value
	} else {
		s.min, s.max = min(s.min, r.Value), max(s.max, r.Value)
	}
	if t.moving(s) {
		t.checkStopped(c, day, now, ch)
	}
}

// moving reports whether the indicator is of a moving kind and moved today by more
// than the configured share of its range (of its largest magnitude without a range).
func (t *Tracker) moving(s *indicator) bool {
	ok := false
	for _, k := range t.cfg.Limits.MovingKinds {
		ok = ok || string(s.def.Kind) == k
	}
	if !ok || s.day == "" {
		return false
	}
	width := max(abs(s.min), abs(s.max))
	if s.def.RangeLow != nil && s.def.RangeHigh != nil && *s.def.RangeHigh > *s.def.RangeLow {
		width = *s.def.RangeHigh - *s.def.RangeLow
	}
	return s.max-s.min > 0 && s.max-s.min > t.cfg.Limits.MovingSpan*width
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func fmtTime(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout) }

func fmtPtr(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%g", *p)
}
