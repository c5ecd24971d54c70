package governance

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shandong-emergency/chemguard/engineconfig"
)

// Errors returned by Config.Validate, besides engineconfig's ErrNoVersion,
// ErrNegative and ErrMissing.
var (
	ErrDimensionSum     = errors.New("governance: dimension weights must add up to 100")
	ErrUnknownDimension = errors.New("governance: a fact kind names an unknown dimension")
)

// KindRule is what a fact of one kind deducts from its dimension on a day it
// overlaps: PerFact once, plus PerHour for every hour of the day it is open, at
// most Cap (0: no cap) for one fact.
type KindRule struct {
	NameZH    string    `json:"name_zh"`
	Dimension Dimension `json:"dimension"`
	Severity  Severity  `json:"severity"`
	PerFact   float64   `json:"per_fact"`
	PerHour   float64   `json:"per_hour"`
	Cap       float64   `json:"cap"`
}

// Deduction returns what one fact overlapping a day for hours hours deducts.
func (r KindRule) Deduction(hours float64) float64 {
	d := r.PerFact + r.PerHour*hours
	if r.Cap > 0 && d > r.Cap {
		d = r.Cap
	}
	return d
}

// Bounds is a longitude/latitude box.
type Bounds struct {
	LonMin, LonMax, LatMin, LatMax float64
}

// Contains reports whether the point lies in the box.
func (b Bounds) Contains(lon, lat float64) bool {
	return lon >= b.LonMin && lon <= b.LonMax && lat >= b.LatMin && lat <= b.LatMax
}

// Limits are the times and amounts the facts' rules compare against.
type Limits struct {
	CommitmentDue         time.Duration            // after local midnight: 10:00
	ReadingsOfflineAfter  time.Duration            // company: no reading from any point
	IndicatorOfflineAfter time.Duration            // one point: no reading
	DeviceOfflineAfter    time.Duration            // video device: no status report (seed: every 10 min)
	SystemOfflineAfter    time.Duration            // company system: no upload of any table
	UploadGrace           time.Duration            // added to a table's Frequency.Interval; also the grace after the platform's intake resumes
	IntakeGap             time.Duration            // no envelope from anyone for longer: the platform's own intake stopped
	AlarmClearAfter       map[string]time.Duration // by alarm source (video, positioning, …, "indicator")
	StuckReadings         int                      // identical consecutive readings …
	StuckAfter            time.Duration            // … lasting at least this long
	FutureSkew            time.Duration            // COLLECT_TIME later than receipt by more
	BehindAfter           time.Duration            // COLLECT_TIME earlier than receipt by more
	MovingKinds           []string                 // INDICATOR_KIND whose movement means a unit runs (flow)
	MovingSpan            float64                  // movement: day's max−min above this share of the range
	RejectedShare         float64                  // a table's rejected records above this share of a day's …
	RejectedMinRecords    int                      // … at least this many records
	NeverSentAfter        time.Duration            // a table the company owes, never sent since the platform first checked it
	Shandong              Bounds
}

// OpenLag is how long after its start a fact may open: facts from an absence (no
// data, no upload, an alarm not cleared, a value stuck) open once their limit has
// passed but start where the absence began. A day's facts are all known OpenLag
// after the day ends (plus the time between two ticks); a stuck value is covered for
// points that send at least StuckReadings readings within StuckAfter.
func (l Limits) OpenLag() time.Duration {
	lag := max(l.ReadingsOfflineAfter, l.IndicatorOfflineAfter, l.DeviceOfflineAfter, l.SystemOfflineAfter,
		l.UploadGrace, l.StuckAfter)
	for _, d := range l.AlarmClearAfter {
		lag = max(lag, d)
	}
	return lag
}

// Config is the versioned configuration of the facts' limits and the score.
type Config struct {
	Version    string
	Dimensions map[Dimension]float64 // weight of each dimension; they add up to 100
	Kinds      map[Kind]KindRule
	Limits     Limits
}

// DefaultConfig returns the configuration documented in docs/governance.md.
func DefaultConfig() Config {
	return Config{
		Version: "2026-12-05.1", // 双重预防 chain, overdue checks and 隐患, table_never_sent
		Dimensions: map[Dimension]float64{DimCommitment: 20, DimAlarm: 15, DimDisposal: 15,
			DimOnline: 25, DimData: 25},
		Kinds: map[Kind]KindRule{
			CommitmentMissing:       {"未承诺", DimCommitment, SevHigh, 5, 1, 20},
			CommitmentLate:          {"未按时承诺", DimCommitment, SevMedium, 5, 1, 20},
			CommitmentContradiction: {"承诺内容与数据矛盾", DimCommitment, SevHigh, 10, 0, 10},
			PermitsShort:            {"承诺作业而作业票缺失或不足", DimCommitment, SevHigh, 10, 0, 10},
			AlarmUncleared:          {"报警长时间未销警", DimAlarm, SevMedium, 2, 0.5, 8},
			DisposalOverdue:         {"预警处置超时", DimDisposal, SevHigh, 3, 0.5, 10},
			OfflineSystem:           {"企业系统离线", DimOnline, SevHigh, 5, 1, 25},
			OfflineReadings:         {"数据采集离线", DimOnline, SevHigh, 5, 1, 25},
			OfflineIndicator:        {"监测点离线", DimOnline, SevLow, 0.5, 0.1, 2},
			OfflineVideoDevice:      {"视频设备离线", DimOnline, SevMedium, 1, 0.2, 5},
			UploadOverdue:           {"上传频次不足", DimOnline, SevMedium, 2, 0.1, 5},
			HazardNoIndicator:       {"危险源无监测指标", DimData, SevHigh, 3, 0, 0},
			IndicatorNoThreshold:    {"指标未设报警阈值", DimData, SevMedium, 1, 0, 0},
			ThresholdOrder:          {"阈值顺序错误或超出量程", DimData, SevMedium, 2, 0, 0},
			IndicatorHazardUnknown:  {"指标所属危险源未登记", DimData, SevLow, 1, 0, 0},
			CameraCode:              {"视频通道编码不符合GB28181", DimData, SevLow, 1, 0, 0},
			CameraUnregistered:      {"报警视频通道未登记", DimData, SevLow, 1, 0, 0},
			CameraForeign:           {"报警视频通道属于其他企业", DimData, SevMedium, 2, 0, 0},
			DeviceUnregistered:      {"报警分析设备未登记", DimData, SevLow, 1, 0, 0},
			CoordinatesOutside:      {"坐标缺失或不在山东省范围", DimData, SevMedium, 2, 0, 0},
			SensorStuck:             {"数据长时间不变", DimData, SevMedium, 1, 0.1, 3},
			SensorOutOfRange:        {"数据超出量程", DimData, SevMedium, 1, 0.1, 3},
			SensorFuture:            {"采集时间超前", DimData, SevLow, 1, 0, 0},
			SensorBehind:            {"采集时间严重滞后", DimData, SevLow, 1, 0, 0},
			SensorDuplicate:         {"重复数据", DimData, SevLow, 0.5, 0, 0},
			RejectedShare:           {"校验拒收比例过高", DimData, SevMedium, 3, 0, 0},
			// A broken link is a record the regulator cannot follow; a check or 隐患
			// past its time is risk left uncontrolled, the disposal of the company's own
			// findings — a major one weighs like a warning step overdue.
			ChainEventUnit:       {"风险事件所属单元缺失", DimData, SevMedium, 1, 0, 0},
			ChainMeasureEvent:    {"管控措施所属事件缺失", DimData, SevMedium, 1, 0, 0},
			ChainTaskMeasure:     {"排查任务所属措施缺失", DimData, SevMedium, 1, 0, 0},
			ChainRecordTask:      {"排查记录所属任务缺失", DimData, SevMedium, 1, 0, 0},
			DangerHazardUnknown:  {"隐患风险分析对象未登记", DimData, SevMedium, 1, 0, 0},
			DangerMeasureUnknown: {"隐患管控措施缺失", DimData, SevLow, 1, 0, 0},
			CheckOverdue:         {"排查任务超期未排查", DimDisposal, SevMedium, 1, 0.05, 3},
			DangerOverdue:        {"一般隐患超期未治理", DimDisposal, SevMedium, 2, 0.05, 5},
			MajorDangerOverdue:   {"重大隐患超期未治理", DimDisposal, SevHigh, 5, 0.2, 15},
			TableNeverSent:       {"应上传表从未上传", DimOnline, SevHigh, 3, 0.1, 5},
		},
		Limits: Limits{
			CommitmentDue:         10 * time.Hour,
			ReadingsOfflineAfter:  10 * time.Minute,
			IndicatorOfflineAfter: 30 * time.Minute,
			DeviceOfflineAfter:    20 * time.Minute,
			SystemOfflineAfter:    time.Hour,
			UploadGrace:           10 * time.Minute,
			IntakeGap:             2 * time.Minute,
			AlarmClearAfter: map[string]time.Duration{"video": 30 * time.Minute,
				"gas-station-video": 30 * time.Minute, "positioning": 30 * time.Minute, "indicator": 2 * time.Hour},
			StuckReadings:      30,
			StuckAfter:         2 * time.Hour,
			FutureSkew:         5 * time.Minute,
			BehindAfter:        time.Hour,
			MovingKinds:        []string{"9"},
			MovingSpan:         0.05,
			RejectedShare:      0.05,
			RejectedMinRecords: 20,
			NeverSentAfter:     7 * 24 * time.Hour,
			Shandong:           Bounds{LonMin: 114.8, LonMax: 122.7, LatMin: 34.4, LatMax: 38.4},
		},
	}
}

// engine names governance in the errors of the checks it shares with warning.
const engine engineconfig.Engine = "governance"

// Validate checks the configuration and returns one of the sentinel errors, wrapped
// with the offending key.
func (c *Config) Validate() error {
	if err := engine.Version(c.Version); err != nil {
		return err
	}
	sum := 0.0
	for _, d := range Dimensions {
		w := c.Dimensions[d]
		if err := engineconfig.NonNegative(engine, "dimension "+string(d), w); err != nil {
			return err
		}
		sum += w
	}
	if math.Abs(sum-100) > 1e-9 {
		return fmt.Errorf("%w (they add up to %g)", ErrDimensionSum, sum)
	}
	if err := engineconfig.Complete(engine, "kinds", c.Kinds, Kinds); err != nil {
		return err
	}
	for _, k := range Kinds {
		r := c.Kinds[k]
		if _, ok := c.Dimensions[r.Dimension]; !ok {
			return fmt.Errorf("%w: %s (%q)", ErrUnknownDimension, k, r.Dimension)
		}
		if err := engineconfig.NonNegative(engine, string(k), r.PerFact, r.PerHour, r.Cap); err != nil {
			return err
		}
	}
	l := c.Limits
	if err := engineconfig.NonNegative(engine, "limits", l.CommitmentDue, l.ReadingsOfflineAfter, l.IndicatorOfflineAfter,
		l.DeviceOfflineAfter, l.SystemOfflineAfter, l.UploadGrace, l.IntakeGap, l.StuckAfter, l.FutureSkew, l.BehindAfter, l.NeverSentAfter); err != nil {
		return err
	}
	for src, d := range l.AlarmClearAfter {
		if err := engineconfig.Positive(engine, "limits.alarm_clear_after."+src, d); err != nil {
			return err
		}
	}
	if err := engineconfig.NonNegative(engine, "limits", l.StuckReadings, l.RejectedMinRecords); err != nil {
		return err
	}
	return engineconfig.NonNegative(engine, "limits", l.MovingSpan, l.RejectedShare)
}
