package validate_test

import (
	"testing"

	"github.com/shandong-emergency/chemguard/schemas"
)

// TestPlatformTableExamples covers the rules of the platform-defined tables beyond
// the per-field cases: threshold order and range, substance and hazard codes, GB28181
// camera codes, commitment counts.
func TestPlatformTableExamples(t *testing.T) {
	cases := map[string][]ruleCase{
		"enterprise-info": {
			{"gas station type 4", fields{"ENTERPRISE_TYPE": "4"}, "", ""},
			{"type 5", fields{"ENTERPRISE_TYPE": "5"}, code, "ENTERPRISE_TYPE"},
			{"principal mobile 12 digits", fields{"PRINCIPAL_MOBILE": "139053100011"}, phone, "PRINCIPAL_MOBILE"},
			{"credit code 19 characters", fields{"CREDIT_CODE": "91370102MA3C4A5B6XY"}, length, "CREDIT_CODE"},
		},
		"hazard-sources": {
			{"grade 一级", fields{"HAZARD_GRADE": "1"}, "", ""},
			{"grade 5", fields{"HAZARD_GRADE": "5"}, code, "HAZARD_GRADE"},
			{"氯酸钾 02", fields{"KEY_SUBSTANCE": "02"}, "", ""},
			{"substance 05", fields{"KEY_SUBSTANCE": "05"}, code, "KEY_SUBSTANCE"},
			{"no key substance", fields{"KEY_SUBSTANCE": absent}, "", ""},
			{"kind 装卸栈台", fields{"HAZARD_KIND": "3"}, "", ""},
		},
		"indicators": {
			{"only HIGH and HIGH_HIGH", fields{"LOW_LOW": absent, "LOW": absent}, "", ""},
			{"HIGH above HIGH_HIGH", fields{"HIGH": 40}, thresholds, "HIGH_HIGH"},
			{"HIGH equal to HIGH_HIGH", fields{"HIGH": 35}, thresholds, "HIGH_HIGH"},
			{"LOW above HIGH", fields{"LOW": 31}, thresholds, "HIGH"},
			{"LOW_LOW above LOW", fields{"LOW_LOW": 5}, thresholds, "LOW"},
			{"HIGH_HIGH above range", fields{"HIGH_HIGH": 200}, thresholds, "HIGH_HIGH"},
			{"LOW_LOW below range", fields{"LOW_LOW": -50}, thresholds, "LOW_LOW"},
			{"range upside down", fields{"RANGE_LOW": 150, "RANGE_HIGH": -40}, thresholds, "RANGE_HIGH"},
			{"no range: thresholds alone", fields{"RANGE_LOW": absent, "RANGE_HIGH": absent}, "", ""},
			{"kind %LEL 可燃气体", fields{"INDICATOR_KIND": "5", "UNIT": "%LEL"}, "", ""},
			{"kind 10", fields{"INDICATOR_KIND": "10"}, code, "INDICATOR_KIND"},
			{"threshold as numeric string", fields{"HIGH": "30.5"}, "", ""},
			{"threshold 5 decimals", fields{"HIGH": "30.12345"}, precision, "HIGH"},
		},
		"sensor-readings": {
			{"negative value", fields{"VALUE": -12.5}, "", ""},
			{"value as string", fields{"VALUE": "27.35"}, "", ""},
			{"value not a number", fields{"VALUE": "27,35"}, number, "VALUE"},
			{"value 9 integer digits", fields{"VALUE": 123456789}, precision, "VALUE"},
		},
		"cameras": {
			{"camera code without 0132", fields{"VIDEO_CODE": "37010200101310000001"}, gb28181, "VIDEO_CODE"},
			{"area 99 其他", fields{"KEY_AREA_KIND": "99"}, "", ""},
			{"area 7", fields{"KEY_AREA_KIND": "7"}, code, "KEY_AREA_KIND"},
		},
		"commitments": {
			{"count as decimal", fields{"HOT_WORK_1": 1.5}, number, "HOT_WORK_1"},
			{"count 5 digits", fields{"UNITS_RUNNING": 12345}, length, "UNITS_RUNNING"},
			{"trial production yes", fields{"TRIAL_PRODUCTION": "1"}, "", ""},
			{"major hazard 2", fields{"MAJOR_HAZARD_NORMAL": "2"}, code, "MAJOR_HAZARD_NORMAL"},
		},
	}
	var platformDefined []*schemas.Table
	for _, table := range schemas.Tables() {
		if table.PlatformDefined {
			platformDefined = append(platformDefined, table)
		}
	}
	runTables(t, platformDefined, cases)
}
