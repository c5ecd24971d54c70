package events_test

import (
	"testing"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		table, record string
		want          func(t *testing.T, ev events.Event)
	}{
		{"indicators", `{"INDICATOR_CODE":"PT-1","COMPANY_CODE":"C9","HAZARD_CODE":"H1","INDICATOR_NAME":"压力","INDICATOR_KIND":"2","UNIT":"MPa","RANGE_LOW":0,"RANGE_HIGH":"2.5","HIGH":1.2,"HIGH_HIGH":1.5,"AREA":"罐区A","DELETED":"0"}`,
			func(t *testing.T, ev events.Event) {
				d := ev.(events.IndicatorDef)
				require.Equal(t, "C9", d.CompanyCode(), "COMPANY_CODE wins over the sender")
				require.Equal(t, events.KindPressure, d.Kind)
				require.Equal(t, 2.5, *d.RangeHigh)
				require.Equal(t, 1.5, *d.Thresholds.HighHigh)
				require.Nil(t, d.Thresholds.Low)
			}},
		{"sensor-readings", `{"INDICATOR_CODE":"PT-1","VALUE":"1.25","COLLECT_TIME":"2021-06-01 08:00:00"}`,
			func(t *testing.T, ev events.Event) {
				r := ev.(events.Reading)
				require.Equal(t, "C1", r.Company)
				require.Equal(t, 1.25, r.Value)
				require.Equal(t, at(t, "08:00:00"), r.At)
			}},
		{"hazard-sources", `{"HAZARD_CODE":"H1","COMPANY_CODE":"C1","HAZARD_NAME":"硝酸铵库","HAZARD_KIND":"2","HAZARD_GRADE":"1","KEY_SUBSTANCE":"01","DELETED":"0"}`,
			func(t *testing.T, ev events.Event) {
				h := ev.(events.HazardSource)
				require.Equal(t, 1, h.Grade)
				require.Equal(t, events.HazardWarehouse, h.Kind)
			}},
		{"commitments", `{"ID":"x","COMPANY_CODE":"C1","COMMIT_DATE":"2021-06-01","COMMIT_PERSON":"赵六","COMMIT_TIME":"2021-06-01 09:30:00","HOT_WORK_SPECIAL":1,"HOT_WORK_1":"2","TRIAL_PRODUCTION":"1","MAJOR_HAZARD_NORMAL":"1"}`,
			func(t *testing.T, ev events.Event) {
				c := ev.(events.Commitment)
				require.Equal(t, at(t, "00:00:00"), c.Date)
				require.Equal(t, 2, c.HotWork1)
				require.True(t, c.TrialProduction)
				require.True(t, c.MajorHazardOK)
			}},
		{"special-operations", `{"ID":"o","COMPANY_CODE":"C1","TASK_TYPE":"13","TASK_BEGIN_TIME":"2021-06-01 08:00:00","IS_CANCELLED":"0"}`,
			func(t *testing.T, ev events.Event) {
				o := ev.(events.Operation)
				require.True(t, o.IsHotWork())
				require.True(t, o.End.IsZero())
			}},
		{"video-alarms", `{"ALARM_ID":"a","ALARM_TYPE":"2","ALARM_STATUS":"0","ALARM_TIME":"2021-06-01 08:00:00","VIDEO_CODE":"v"}`,
			func(t *testing.T, ev events.Event) {
				a := ev.(events.CompanyAlarm)
				require.True(t, a.Smoke)
				require.False(t, a.Raised)
			}},
		{"gas-station-video-alarms", `{"ALARM_ID":"a","ALARM_TYPE":"10","ALARM_STATUS":"1","ALARM_TIME":"2021-06-01 08:00:00"}`,
			func(t *testing.T, ev events.Event) {
				a := ev.(events.CompanyAlarm)
				require.True(t, a.Fire, "10 is 明火 for a gas station")
				require.Equal(t, events.SourceGasStation, a.Source)
			}},
		{"positioning-alarms", `{"id":"p","type":"alarm:handle","time":"2021-06-01 08:00:00","handleTime":"2021-06-01 08:05:00","alarmType":"01"}`,
			func(t *testing.T, ev events.Event) {
				a := ev.(events.CompanyAlarm)
				require.False(t, a.Raised)
				require.Equal(t, at(t, "08:05:00"), a.At, "a handled alarm clears at its handleTime")
			}},
		{"hidden-dangers", `{"ID":"d","HAZARD_CODE":"H1","DANGER_LEVEL":1,"DANGER_STATE":0,"DANGER_MANAGE_DEADLINE":"2021-05-01 00:00:00","DELETED":"0"}`,
			func(t *testing.T, ev events.Event) {
				d := ev.(events.HiddenDanger)
				require.True(t, d.Major)
				require.False(t, d.Accepted)
			}},
		{"video-device-status", `{"DEVICE_CODE":"dev","DATE_TIME":"2021-06-01 08:00:00","RUN_STATUS":"0"}`,
			func(t *testing.T, ev events.Event) { require.False(t, ev.(events.DeviceStatus).Normal) }},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			ev, err := events.Decode(tt.table, "C1", []byte(tt.record))
			require.NoError(t, err)
			tt.want(t, ev)
		})
	}
	_, err := events.Decode("risk-units", "C1", []byte(`{}`))
	require.ErrorIs(t, err, events.ErrIgnoredTable)
	_, err = events.Decode("sensor-readings", "C1", []byte(`{"VALUE":"abc"}`))
	require.Error(t, err)
}
