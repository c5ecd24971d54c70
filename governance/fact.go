package governance

import (
	"fmt"
	"time"
)

// Kind names a quality fact, from a fixed set (usable as a metric label).
type Kind string

// The kinds of quality fact. docs/governance.md states each one's rule.
const (
	// 安全承诺 (commitment)
	CommitmentMissing       Kind = "commitment_missing"       // 未承诺: none by 10:00 (open until one arrives)
	CommitmentLate          Kind = "commitment_late"          // 未按时承诺: arrived after 10:00
	CommitmentContradiction Kind = "commitment_contradiction" // 承诺内容与数据矛盾
	PermitsShort            Kind = "permits_short"            // 承诺作业而作业票缺失或不足

	// 报警销警 (alarms)
	AlarmUncleared Kind = "alarm_uncleared" // 报警长时间未销警

	// 预警处置 (disposal)
	DisposalOverdue Kind = "disposal_overdue" // 预警处置步骤超时

	// 系统在线 (online)
	OfflineSystem      Kind = "offline_system"       // 企业系统离线: no upload of any table
	OfflineReadings    Kind = "offline_readings"     // 数据采集离线: no sensor reading from any point
	OfflineIndicator   Kind = "offline_indicator"    // 监测点离线
	OfflineVideoDevice Kind = "offline_video_device" // 视频智能分析设备离线或异常
	UploadOverdue      Kind = "upload_overdue"       // 上传频次不足

	// 数据治理 (base data and sensor data)
	HazardNoIndicator      Kind = "hazard_no_indicator"      // 危险源无监测指标
	IndicatorNoThreshold   Kind = "indicator_no_threshold"   // 指标未设报警阈值
	ThresholdOrder         Kind = "threshold_order"          // 阈值顺序错误或超出量程
	IndicatorHazardUnknown Kind = "indicator_hazard_unknown" // 指标所属危险源未登记
	CameraCode             Kind = "camera_code"              // 视频通道编码不符合 GB28181
	CameraUnregistered     Kind = "camera_unregistered"      // 报警视频通道未登记
	CameraForeign          Kind = "camera_foreign"           // 报警视频通道属于其他企业
	DeviceUnregistered     Kind = "device_unregistered"      // 报警分析设备未登记
	CoordinatesOutside     Kind = "coordinates_outside"      // 坐标缺失或不在山东省范围
	SensorStuck            Kind = "sensor_stuck"             // 数据长时间不变
	SensorOutOfRange       Kind = "sensor_out_of_range"      // 数据超出量程
	SensorFuture           Kind = "sensor_future"            // 采集时间超前
	SensorBehind           Kind = "sensor_behind"            // 采集时间严重滞后
	SensorDuplicate        Kind = "sensor_duplicate"         // 重复数据
	RejectedShare          Kind = "rejected_share"           // 校验拒收比例过高

	// 双重预防 (annex 2 §6): the chain 风险单元→风险事件→管控措施→排查任务→排查记录 and
	// each 隐患's 风险分析对象 and 管控措施 (data), checks and 隐患 past their time (disposal).
	ChainEventUnit       Kind = "chain_event_unit"       // 风险事件所属风险单元不存在或已删除
	ChainMeasureEvent    Kind = "chain_measure_event"    // 管控措施所属风险事件不存在或已删除
	ChainTaskMeasure     Kind = "chain_task_measure"     // 排查任务所属管控措施不存在或已删除
	ChainRecordTask      Kind = "chain_record_task"      // 排查记录所属排查任务不存在
	DangerHazardUnknown  Kind = "danger_hazard_unknown"  // 隐患风险分析对象不是已登记危险源
	DangerMeasureUnknown Kind = "danger_measure_unknown" // 隐患绑定的管控措施不存在或已删除
	CheckOverdue         Kind = "check_overdue"          // 排查任务超期未排查
	DangerOverdue        Kind = "danger_overdue"         // 一般隐患超期未治理
	MajorDangerOverdue   Kind = "major_danger_overdue"   // 重大隐患超期未治理

	// 推广应用 (rollout)
	TableNeverSent Kind = "table_never_sent" // 应建系统的表从未上传
)

// Kinds lists every fact kind in the document's order.
var Kinds = []Kind{CommitmentMissing, CommitmentLate, CommitmentContradiction, PermitsShort, AlarmUncleared,
	DisposalOverdue, OfflineSystem, OfflineReadings, OfflineIndicator, OfflineVideoDevice,
	UploadOverdue, HazardNoIndicator, IndicatorNoThreshold, ThresholdOrder, IndicatorHazardUnknown,
	CameraCode, CameraUnregistered, CameraForeign, DeviceUnregistered, CoordinatesOutside, SensorStuck, SensorOutOfRange, SensorFuture,
	SensorBehind, SensorDuplicate, RejectedShare, ChainEventUnit, ChainMeasureEvent, ChainTaskMeasure,
	ChainRecordTask, DangerHazardUnknown, DangerMeasureUnknown, CheckOverdue, DangerOverdue, MajorDangerOverdue,
	TableNeverSent}

// Dimension is one of the five areas of the seed's 数据质量攻坚 (五(二)).
type Dimension string

// The dimensions of a score.
const (
	DimCommitment Dimension = "commitment" // 安全承诺
	DimAlarm      Dimension = "alarm"      // 报警销警
	DimDisposal   Dimension = "disposal"   // 预警处置
	DimOnline     Dimension = "online"     // 系统在线
	DimData       Dimension = "data"       // 数据治理
)

// Dimensions lists the dimensions in the seed's order.
var Dimensions = []Dimension{DimCommitment, DimAlarm, DimDisposal, DimOnline, DimData}

// NameZH is the seed's word for the dimension.
func (d Dimension) NameZH() string {
	return map[Dimension]string{DimCommitment: "安全承诺", DimAlarm: "报警销警", DimDisposal: "预警处置",
		DimOnline: "系统在线", DimData: "数据治理"}[d]
}

// Severity grades a fact for display and sorting; the score uses the weights of
// the fact's kind, not its severity.
type Severity string

// The severities.
const (
	SevLow    Severity = "low"    // 一般
	SevMedium Severity = "medium" // 较重
	SevHigh   Severity = "high"   // 严重
)

// Evidence is one record or absence that caused a fact.
type Evidence struct {
	Table  string    `json:"table"`            // exchange slug, or "warning" for the warning engine
	Key    string    `json:"key,omitempty"`    // the record's key (ID, INDICATOR_CODE, …); empty for an absence
	At     time.Time `json:"at"`               // the record's time, or since when it is absent
	Absent bool      `json:"absent,omitempty"` // the fact is the absence of such records
	Note   string    `json:"note,omitempty"`   // what about it, in Chinese
}

// maxEvidence bounds the evidence a fact keeps; Count goes on counting.
const maxEvidence = 10

// Fact is one data-quality finding about a company. A fact opens when its condition
// starts and closes (Ended set) when it ends; a fact that is a single event (a late
// commitment) is closed when it is made. ID is a deterministic function of the
// kind's family, company, subject and start, so the same inputs make the same IDs.
type Fact struct {
	ID       string     `json:"id"`
	Company  string     `json:"company"`
	Kind     Kind       `json:"kind"`
	Subject  string     `json:"subject,omitempty"` // device, indicator, table, hazard, date …
	Started  time.Time  `json:"started"`
	Ended    time.Time  `json:"ended,omitzero"` // zero while open
	Severity Severity   `json:"severity"`
	Count    int        `json:"count"` // occurrences (readings, records) seen while open
	Evidence []Evidence `json:"evidence"`
	Detail   string     `json:"detail"` // what was found, in Chinese, for the report
	// Day is set for facts that belong to one local day (a commitment, a day's
	// rejected share, duplicates); they close at the end of that day at the latest.
	Day string `json:"day,omitempty"`
}

// Open reports whether the fact has not ended.
func (f *Fact) Open() bool { return f.Ended.IsZero() }

// Duration is how long the fact lasted, or has lasted by now when still open.
func (f *Fact) Duration(now time.Time) time.Duration {
	end := f.Ended
	if end.IsZero() {
		end = now
	}
	if end.Before(f.Started) {
		return 0
	}
	return end.Sub(f.Started)
}

func (f *Fact) addEvidence(e Evidence) {
	f.Count++
	if len(f.Evidence) < maxEvidence {
		f.Evidence = append(f.Evidence, e)
	}
}

// factID is the fact's identity. A commitment fact keeps its ID when it turns from
// missing into late, so both kinds share the family "commitment".
func factID(company string, k Kind, subject string, started time.Time) string {
	family := string(k)
	if k == CommitmentMissing || k == CommitmentLate {
		family = "commitment"
	}
	return fmt.Sprintf("%s/%s/%s/%d", family, company, subject, started.Unix())
}

// ChangeKind says what happened to a fact.
type ChangeKind string

// The changes of a fact.
const (
	FactOpened  ChangeKind = "opened"  // a new fact (possibly already closed: an instant one)
	FactUpdated ChangeKind = "updated" // more evidence, or a kind that changed (missing → late)
	FactClosed  ChangeKind = "closed"  // the condition ended
)

// Change is one fact as it is after a change; a consumer upserts it by Fact.ID.
type Change struct {
	Kind ChangeKind `json:"kind"`
	Fact Fact       `json:"fact"`
}
