package governancesvc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/engineconfig"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/governancesvc"
)

func TestLoadRulesOverlaysTheDefaults(t *testing.T) {
	c, err := governancesvc.LoadRules([]byte(`
version: "2026-12-01.1"
dimensions: {online: 30, data: 20}
kinds:
  offline_readings: {per_fact: 6, per_hour: 1.5}
  camera_code: {severity: medium}
limits:
  readings_offline_after: 15m
  alarm_clear_after: {video: 1h}
  rejected_min_records: 50
`))
	require.NoError(t, err)
	def := governance.DefaultConfig()
	assert.Equal(t, "2026-12-01.1", c.Version)
	assert.Equal(t, 30.0, c.Dimensions[governance.DimOnline])
	assert.Equal(t, def.Dimensions[governance.DimAlarm], c.Dimensions[governance.DimAlarm])
	r := c.Kinds[governance.OfflineReadings]
	assert.Equal(t, 6.0, r.PerFact)
	assert.Equal(t, 1.5, r.PerHour)
	assert.Equal(t, def.Kinds[governance.OfflineReadings].Cap, r.Cap, "a key not given keeps its default")
	assert.Equal(t, governance.SevMedium, c.Kinds[governance.CameraCode].Severity)
	assert.Equal(t, 15*time.Minute, c.Limits.ReadingsOfflineAfter)
	assert.Equal(t, time.Hour, c.Limits.AlarmClearAfter["video"])
	assert.Equal(t, def.Limits.AlarmClearAfter["positioning"], c.Limits.AlarmClearAfter["positioning"])
	assert.Equal(t, 50, c.Limits.RejectedMinRecords)
	assert.Equal(t, def.Limits.CommitmentDue, c.Limits.CommitmentDue)
}

func TestLoadRulesRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       error
	}{
		{"no version", `kinds: {offline_readings: {per_fact: 6}}`, governancesvc.ErrRulesVersion},
		{"the default's version", `version: "` + governance.DefaultConfig().Version + `"`, governancesvc.ErrRulesVersion},
		{"weights not 100", "version: x\ndimensions: {online: 40}", governance.ErrDimensionSum},
		{"negative", "version: x\nkinds: {offline_readings: {cap: -1}}", engineconfig.ErrNegative},
		{"unknown kind", "version: x\nkinds: {offline_everything: {cap: 1}}", governancesvc.ErrUnknownKind},
		{"unknown dimension", "version: x\ndimensions: {beauty: 0}", governance.ErrUnknownDimension},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := governancesvc.LoadRules([]byte(tc.yaml))
			assert.ErrorIs(t, err, tc.want)
		})
	}
	_, err := governancesvc.LoadRules([]byte("version: x\nlimits: {offline_after: 1m}"))
	assert.ErrorContains(t, err, "offline_after", "an unknown key is refused")
}
