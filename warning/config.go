package warning

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/engineconfig"
	"github.com/shandong-emergency/chemguard/events"
	"go.yaml.in/yaml/v3"
)

//go:embed models.yaml
var defaultConfig []byte

// DefaultConfigYAML returns the embedded default configuration file (models.yaml).
func DefaultConfigYAML() []byte { return bytes.Clone(defaultConfig) }

// Errors returned by Config.Validate, besides engineconfig's ErrNoVersion,
// ErrNegative and ErrMissing.
var (
	ErrPairingMode     = errors.New("warning: video pairing mode must be alarm_id or channel_type")
	ErrLevelOrder      = errors.New("warning: level thresholds must rise blue < yellow < orange < red")
	ErrMissingDeadline = errors.New("warning: disposal deadline missing")
	ErrSubstance       = errors.New("warning: warehouse substance limits need 0 < temperature_max < temperature_danger, a status (placeholder or confirmed) and a source")
)

// Config is the versioned configuration of the alarm lifecycle, the models and the
// disposal deadlines. Its file form is models.yaml; DefaultConfig returns the
// embedded one.
type Config struct {
	Version    string           `yaml:"version"`
	Alarms     AlarmConfig      `yaml:"alarms"`
	Hysteresis HysteresisConfig `yaml:"hysteresis"`
	Enterprise EnterpriseConfig `yaml:"enterprise"`
	Warehouse  WarehouseConfig  `yaml:"warehouse"`
	Leak       LeakConfig       `yaml:"leak"`
	Violation  ViolationConfig  `yaml:"violation"`
	Disposal   DisposalConfig   `yaml:"disposal"`
}

// KindConfig is the alarm behaviour of one indicator kind.
type KindConfig struct {
	Name            string        `yaml:"name"`
	DeadbandPercent float64       `yaml:"deadband_percent"` // % of the indicator's range
	MinDuration     time.Duration `yaml:"min_duration"`
	NoDataAfter     time.Duration `yaml:"no_data_after"`
}

// AlarmConfig configures the alarm lifecycle.
type AlarmConfig struct {
	Default               KindConfig                          `yaml:"default"`
	Kinds                 map[events.IndicatorKind]KindConfig `yaml:"kinds"`
	CompanyAlarmRetention time.Duration                       `yaml:"company_alarm_retention"`
	// StaleAfter: a reading collected longer than this before it is processed is
	// history — kept as the indicator's last value, raising nothing (0: never stale).
	StaleAfter time.Duration `yaml:"stale_after"`
	// IntakeGap: when the platform as a whole delivers no sensor reading for longer
	// than this, its own intake is deemed to have stopped; 数据中断 then counts from
	// the resumption (0: no resumption is detected).
	IntakeGap time.Duration `yaml:"intake_gap"`
	// VideoPairing says how a video 销警 finds its 报警 (see VideoPairingConfig).
	VideoPairing VideoPairingConfig `yaml:"video_pairing"`
}

// PairingMode is how a 智能视频/加油站 表4 销警 (ALARM_STATUS 0) is paired with its
// 报警 (ALARM_STATUS 1). The seed does not say: 人员定位 says 报警、销警应使用相同 ID,
// the video tables say nothing, and vendors differ.
type PairingMode string

// The pairing modes.
const (
	// PairByAlarmID: the 销警 repeats the 报警's ALARM_ID (the default, as 人员定位).
	PairByAlarmID PairingMode = "alarm_id"
	// PairByChannelType: the 销警 has an ALARM_ID of its own and clears the active
	// 报警 of the same VIDEO_CODE and ALARM_TYPE; a 报警 while one is active on that
	// channel and type is a repeat of it.
	PairByChannelType PairingMode = "channel_type"
)

// VideoPairingConfig chooses the pairing mode per company — in practice per video
// vendor, whose companies are listed together.
type VideoPairingConfig struct {
	Default   PairingMode            `yaml:"default"`   // empty: alarm_id
	Companies map[string]PairingMode `yaml:"companies"` // company code → mode
}

// ModeFor is the pairing mode of company's video alarms.
func (v VideoPairingConfig) ModeFor(company string) PairingMode {
	if m, ok := v.Companies[company]; ok && m != "" {
		return m
	}
	if v.Default != "" {
		return v.Default
	}
	return PairByAlarmID
}

func (v VideoPairingConfig) validate() error {
	for who, m := range v.Companies {
		if m != PairByAlarmID && m != PairByChannelType {
			return fmt.Errorf("%w: alarms.video_pairing.companies.%s = %q", ErrPairingMode, who, m)
		}
	}
	if v.Default != "" && v.Default != PairByAlarmID && v.Default != PairByChannelType {
		return fmt.Errorf("%w: alarms.video_pairing.default = %q", ErrPairingMode, v.Default)
	}
	return nil
}

// For returns the configuration of an indicator kind, or the default.
func (c *AlarmConfig) For(k events.IndicatorKind) KindConfig {
	if kc, ok := c.Kinds[k]; ok {
		return kc
	}
	return c.Default
}

// HysteresisConfig says when a warning may be lowered.
type HysteresisConfig struct {
	Margin     float64       `yaml:"margin"`      // points below the current level's threshold
	LowerAfter time.Duration `yaml:"lower_after"` // how long the lower score must last
}

// Levels are a model's score thresholds.
type Levels struct {
	Red    float64 `yaml:"red"`
	Orange float64 `yaml:"orange"`
	Yellow float64 `yaml:"yellow"`
	Blue   float64 `yaml:"blue"`
}

// Of returns the highest level whose threshold score reaches.
func (l Levels) Of(score float64) Level {
	switch {
	case score >= l.Red:
		return LevelRed
	case score >= l.Orange:
		return LevelOrange
	case score >= l.Yellow:
		return LevelYellow
	case score >= l.Blue:
		return LevelBlue
	}
	return LevelNone
}

// Threshold returns the score at which level begins (0 for LevelNone).
func (l Levels) Threshold(level Level) float64 {
	return [...]float64{0, l.Blue, l.Yellow, l.Orange, l.Red}[level]
}

func (l Levels) validate() error {
	if !(0 < l.Blue && l.Blue < l.Yellow && l.Yellow < l.Orange && l.Orange < l.Red) {
		return ErrLevelOrder
	}
	return nil
}

// Weight is what one item of a factor adds to a score, and the most the factor may add.
type Weight struct {
	Points float64 `yaml:"points"`
	Cap    float64 `yaml:"cap"` // 0: no cap
}

// Apply returns the points of n items, capped.
func (w Weight) Apply(n float64) float64 {
	p := w.Points * n
	if w.Cap > 0 && p > w.Cap {
		return w.Cap
	}
	return p
}

// EnterpriseConfig configures the enterprise model (企业风险预警模型).
type EnterpriseConfig struct {
	Levels                   Levels            `yaml:"levels"`
	GradeMultiplier          map[int]float64   `yaml:"grade_multiplier"`
	Factors                  map[string]Weight `yaml:"factors"`
	CommitmentDue            time.Duration     `yaml:"commitment_due"`
	OperationDefaultDuration time.Duration     `yaml:"operation_default_duration"`
	DeviceSilentAfter        time.Duration     `yaml:"device_silent_after"`
}

// SubstanceLimits are a warehouse substance's storage limits, with where they come
// from and whether the province has confirmed them.
type SubstanceLimits struct {
	Name              string  `yaml:"name"`
	TemperatureMax    float64 `yaml:"temperature_max"`    // ℃
	TemperatureDanger float64 `yaml:"temperature_danger"` // ℃
	HumidityMax       float64 `yaml:"humidity_max"`       // %RH
	// Status is LimitsPlaceholder (a platform default awaiting the province's
	// 核定) or LimitsConfirmed.
	Status string `yaml:"status"`
	// Source says where the numbers come from (a document, or the reasoning of a
	// default), in words a regulator can check.
	Source string `yaml:"source"`
}

// The values of SubstanceLimits.Status.
const (
	LimitsPlaceholder = "placeholder" // 待省应急管理厅核定
	LimitsConfirmed   = "confirmed"   // 已核定
)

// WarehouseConfig configures the warehouse model (企业仓库风险预警模型). Substances
// are keyed by KEY_SUBSTANCE.
type WarehouseConfig struct {
	Levels     Levels                     `yaml:"levels"`
	Substances map[string]SubstanceLimits `yaml:"substances"`
	Factors    map[string]Weight          `yaml:"factors"`
}

// GasConfig is one gas kind of the leak model. High/HighHigh are the default limits
// for detectors that send none, in Unit.
type GasConfig struct {
	Name     string   `yaml:"name"`
	Unit     string   `yaml:"unit"`
	High     *float64 `yaml:"high"`
	HighHigh *float64 `yaml:"high_high"`
}

// LeakConfig configures the leak model (泄漏风险预警模型), keyed by INDICATOR_KIND.
type LeakConfig struct {
	Levels  Levels                             `yaml:"levels"`
	Window  time.Duration                      `yaml:"window"`
	Gases   map[events.IndicatorKind]GasConfig `yaml:"gases"`
	Factors map[string]Weight                  `yaml:"factors"`
}

// StepDeadlines are the times allowed for each disposal step at one level.
type StepDeadlines struct {
	Acknowledge time.Duration `yaml:"acknowledge"` // 企业签收, from 发布
	Feedback    time.Duration `yaml:"feedback"`    // 处置反馈, from 签收
	Verify      time.Duration `yaml:"verify"`      // 监管核查, from 反馈
	Close       time.Duration `yaml:"close"`       // 解除 or 降级, from 核查
}

// DisposalConfig holds the step deadlines per level.
type DisposalConfig struct {
	Red    StepDeadlines `yaml:"red"`
	Orange StepDeadlines `yaml:"orange"`
	Yellow StepDeadlines `yaml:"yellow"`
	Blue   StepDeadlines `yaml:"blue"`
}

// For returns the deadlines of a level (Blue's for LevelNone).
func (d DisposalConfig) For(l Level) StepDeadlines {
	switch l {
	case LevelRed:
		return d.Red
	case LevelOrange:
		return d.Orange
	case LevelYellow:
		return d.Yellow
	}
	return d.Blue
}

// The factor codes each model needs a weight for.
var (
	enterpriseFactors = []string{FactorAlarmHighHigh, FactorAlarmHigh, FactorAlarmDuration,
		FactorVideoFireSmoke, FactorHotWorkSpecial, FactorHotWork1, FactorConfinedSpace,
		FactorCommitmentMissing, FactorCommitmentLate, FactorTrialProduction, FactorStartupShutdown,
		FactorMajorHazardAbnormal, FactorMajorDangerOverdue, FactorDeviceOffline}
	warehouseFactors = []string{FactorTemperatureOver, FactorTemperatureDanger, FactorHumidityOver,
		FactorGasAlarm, FactorVideoFireSmoke, FactorHotWorkCompany, FactorHotWorkNearby,
		FactorHeatingWithHotWork}
	leakFactors = []string{FactorDetectorHighHigh, FactorDetectorHigh, FactorDetectorRecent, FactorSpread}
)

// DefaultConfig returns the embedded default configuration.
func DefaultConfig() (Config, error) { return LoadConfig(defaultConfig) }

// LoadConfig parses a configuration file and validates it. Unknown keys are errors,
// so a misspelt weight cannot silently fall back to zero.
func LoadConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("warning: parse config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// engine names warning in the errors of the checks it shares with governance.
const engine engineconfig.Engine = "warning"

// Validate checks the configuration and returns one of the sentinel errors, wrapped
// with the offending key.
func (c *Config) Validate() error {
	if err := engine.Version(c.Version); err != nil {
		return err
	}
	if err := c.Alarms.VideoPairing.validate(); err != nil {
		return err
	}
	for name, l := range map[string]Levels{"enterprise": c.Enterprise.Levels,
		"warehouse": c.Warehouse.Levels, "leak": c.Leak.Levels} {
		if err := l.validate(); err != nil {
			return fmt.Errorf("%w (%s)", err, name)
		}
	}
	for _, m := range []struct {
		name    string
		weights map[string]Weight
		codes   []string
	}{{"enterprise", c.Enterprise.Factors, enterpriseFactors},
		{"warehouse", c.Warehouse.Factors, warehouseFactors},
		{"leak", c.Leak.Factors, leakFactors}} {
		if err := engineconfig.Complete(engine, m.name+".factors", m.weights, m.codes); err != nil {
			return err
		}
		for _, code := range m.codes {
			w := m.weights[code]
			if err := engineconfig.NonNegative(engine, m.name+".factors."+code, w.Points, w.Cap); err != nil {
				return err
			}
		}
	}
	if err := c.Violation.validate(); err != nil {
		return err
	}
	kinds := []KindConfig{c.Alarms.Default}
	for _, k := range c.Alarms.Kinds {
		kinds = append(kinds, k)
	}
	for _, k := range kinds {
		where := "alarms (" + k.Name + ")"
		if err := engineconfig.NonNegative(engine, where, k.DeadbandPercent); err != nil {
			return err
		}
		if err := engineconfig.NonNegative(engine, where, k.MinDuration, k.NoDataAfter); err != nil {
			return err
		}
	}
	if err := engineconfig.NonNegative(engine, "hysteresis.margin", c.Hysteresis.Margin); err != nil {
		return err
	}
	if err := engineconfig.NonNegative(engine, "hysteresis.lower_after, leak.window, alarms.stale_after or alarms.intake_gap",
		c.Hysteresis.LowerAfter, c.Leak.Window, c.Alarms.StaleAfter, c.Alarms.IntakeGap); err != nil {
		return err
	}
	for code, l := range c.Warehouse.Substances {
		if !(0 < l.TemperatureMax && l.TemperatureMax < l.TemperatureDanger) || l.HumidityMax < 0 || l.Source == "" ||
			(l.Status != LimitsPlaceholder && l.Status != LimitsConfirmed) {
			return fmt.Errorf("%w: warehouse.substances.%s", ErrSubstance, code)
		}
	}
	for _, l := range []Level{LevelBlue, LevelYellow, LevelOrange, LevelRed} {
		d := c.Disposal.For(l)
		if d.Acknowledge <= 0 || d.Feedback <= 0 || d.Verify <= 0 || d.Close <= 0 {
			return fmt.Errorf("%w: disposal.%s", ErrMissingDeadline, l)
		}
	}
	return nil
}
