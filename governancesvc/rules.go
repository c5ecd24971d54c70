package governancesvc

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shandong-emergency/chemguard/governance"
)

// Errors returned by LoadRules.
var (
	// ErrRulesVersion: a file without a version of its own.
	ErrRulesVersion = errors.New("quality: a governance rules file needs a version of its own")
	// ErrUnknownKind: a file naming a fact kind governance does not have (a typo
	// would otherwise leave the intended kind at its default unnoticed).
	ErrUnknownKind = errors.New("quality: a governance rules file names an unknown fact kind")
)

// rulesFile is the YAML form of a governance.Config: an overlay on
// governance.DefaultConfig, every key optional except version.
type rulesFile struct {
	Version    string                           `yaml:"version"`
	Dimensions map[governance.Dimension]float64 `yaml:"dimensions"`
	Kinds      map[governance.Kind]kindFile     `yaml:"kinds"`
	Limits     limitsFile                       `yaml:"limits"`
}

type kindFile struct {
	Severity *governance.Severity `yaml:"severity"`
	PerFact  *float64             `yaml:"per_fact"`
	PerHour  *float64             `yaml:"per_hour"`
	Cap      *float64             `yaml:"cap"`
}

type limitsFile struct {
	CommitmentDue         *time.Duration           `yaml:"commitment_due"`
	ReadingsOfflineAfter  *time.Duration           `yaml:"readings_offline_after"`
	IndicatorOfflineAfter *time.Duration           `yaml:"indicator_offline_after"`
	DeviceOfflineAfter    *time.Duration           `yaml:"device_offline_after"`
	SystemOfflineAfter    *time.Duration           `yaml:"system_offline_after"`
	UploadGrace           *time.Duration           `yaml:"upload_grace"`
	IntakeGap             *time.Duration           `yaml:"intake_gap"`
	AlarmClearAfter       map[string]time.Duration `yaml:"alarm_clear_after"`
	StuckReadings         *int                     `yaml:"stuck_readings"`
	StuckAfter            *time.Duration           `yaml:"stuck_after"`
	FutureSkew            *time.Duration           `yaml:"future_skew"`
	BehindAfter           *time.Duration           `yaml:"behind_after"`
	RejectedShare         *float64                 `yaml:"rejected_share"`
	RejectedMinRecords    *int                     `yaml:"rejected_min_records"`
	NeverSentAfter        *time.Duration           `yaml:"never_sent_after"`
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// LoadRules reads a governance rules file (CHEMGUARD_GOVERNANCE_CONFIG): YAML whose
// keys are those of docs/governance.md's tables — version (required, so stored
// scores name the rules they were computed by), dimensions (weights adding up to
// 100), kinds (per kind: severity, per_fact, per_hour, cap) and limits
// (commitment_due, readings_offline_after, … as durations like 10m) — each
// replacing the default it names. Unknown keys are refused.
//
//	version: "2026-12-01.1"
//	kinds:
//	  offline_readings: {per_fact: 6, per_hour: 1.5}
//	limits:
//	  readings_offline_after: 15m
//	  alarm_clear_after: {video: 1h}
func LoadRules(b []byte) (governance.Config, error) {
	var f rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return governance.Config{}, fmt.Errorf("quality: parse governance rules: %w", err)
	}
	c := governance.DefaultConfig()
	if f.Version == "" || f.Version == c.Version {
		return governance.Config{}, ErrRulesVersion
	}
	c.Version = f.Version
	for d, w := range f.Dimensions {
		if _, ok := c.Dimensions[d]; !ok {
			return governance.Config{}, fmt.Errorf("%w: %q", governance.ErrUnknownDimension, d)
		}
		c.Dimensions[d] = w
	}
	for k, kf := range f.Kinds {
		r, ok := c.Kinds[k]
		if !ok {
			return governance.Config{}, fmt.Errorf("%w: unknown kind %q", ErrUnknownKind, k)
		}
		set(&r.Severity, kf.Severity)
		set(&r.PerFact, kf.PerFact)
		set(&r.PerHour, kf.PerHour)
		set(&r.Cap, kf.Cap)
		c.Kinds[k] = r
	}
	l, fl := &c.Limits, f.Limits
	set(&l.CommitmentDue, fl.CommitmentDue)
	set(&l.ReadingsOfflineAfter, fl.ReadingsOfflineAfter)
	set(&l.IndicatorOfflineAfter, fl.IndicatorOfflineAfter)
	set(&l.DeviceOfflineAfter, fl.DeviceOfflineAfter)
	set(&l.SystemOfflineAfter, fl.SystemOfflineAfter)
	set(&l.UploadGrace, fl.UploadGrace)
	set(&l.IntakeGap, fl.IntakeGap)
	set(&l.StuckReadings, fl.StuckReadings)
	set(&l.StuckAfter, fl.StuckAfter)
	set(&l.FutureSkew, fl.FutureSkew)
	set(&l.BehindAfter, fl.BehindAfter)
	set(&l.RejectedShare, fl.RejectedShare)
	set(&l.RejectedMinRecords, fl.RejectedMinRecords)
	set(&l.NeverSentAfter, fl.NeverSentAfter)
	for src, d := range fl.AlarmClearAfter {
		l.AlarmClearAfter[src] = d
	}
	if err := c.Validate(); err != nil {
		return governance.Config{}, err
	}
	return c, nil
}
