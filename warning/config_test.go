package warning_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/engineconfig"
	"github.com/shandong-emergency/chemguard/warning"
)

func TestDefaultConfig(t *testing.T) {
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	require.NotEmpty(t, cfg.Version)
	require.Equal(t, warning.LevelRed, cfg.Enterprise.Levels.Of(80))
	require.Equal(t, warning.LevelNone, cfg.Enterprise.Levels.Of(9.9))
	require.Len(t, cfg.Warehouse.Substances, 4)
}

func TestConfigValidate(t *testing.T) {
	base := string(warning.DefaultConfigYAML())
	tests := []struct {
		name, old, new string
		err            error
	}{
		{"no version", `version: "2021.2-default"`, `version: ""`, engineconfig.ErrNoVersion},
		{"levels out of order", `levels: {red: 80, orange: 50, yellow: 25, blue: 10}`, `levels: {red: 40, orange: 50, yellow: 25, blue: 10}`, warning.ErrLevelOrder},
		{"missing factor", "    spread:             {points: 15}", "", engineconfig.ErrMissing},
		{"negative weight", "{points: 15}", "{points: -15}", engineconfig.ErrNegative},
		{"substance without status", "      status: placeholder\n      source: \"平台默认值：同氯酸钾", "      source: \"平台默认值：同氯酸钾", warning.ErrSubstance},
		{"substance limits reversed", "temperature_max: 25\n      temperature_danger: 30", "temperature_max: 35\n      temperature_danger: 30", warning.ErrSubstance},
		{"missing deadline", "red:    {acknowledge: 15m, feedback: 1h, verify: 2h,  close: 2h}", "red:    {acknowledge: 15m, feedback: 1h, verify: 2h}", warning.ErrMissingDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, base, tt.old)
			_, err := warning.LoadConfig([]byte(strings.Replace(base, tt.old, tt.new, 1)))
			require.ErrorIs(t, err, tt.err)
		})
	}
	_, err := warning.LoadConfig([]byte(base + "\nunknown_key: 1\n"))
	require.Error(t, err, "unknown keys are refused")
}

// docs/warning-models.md lists every warehouse substance of the default models file
// with its limits and whether they are placeholders, so what the regulator reads is
// what the engine uses.
func TestWarehouseLimitsAreDocumented(t *testing.T) {
	cfg, err := warning.DefaultConfig()
	require.NoError(t, err)
	doc, err := os.ReadFile("../docs/warning-models.md")
	require.NoError(t, err)
	for code, l := range cfg.Warehouse.Substances {
		status := "**待核定 placeholder**"
		if l.Status == warning.LimitsConfirmed {
			status = "已核定 confirmed"
		}
		row := fmt.Sprintf("| %s %s | %s ℃ | %s ℃ | %s %%RH | %s |", code, l.Name, num(l.TemperatureMax),
			num(l.TemperatureDanger), num(l.HumidityMax), status)
		require.True(t, strings.Contains(string(doc), row), "docs/warning-models.md §4 lacks the row %s", row)
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
