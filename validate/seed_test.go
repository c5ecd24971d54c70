package validate_test

import (
	"testing"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// TestSeedExamples feeds each table the seed's own values, good and bad, beyond the
// per-field cases TestFieldRules derives: code spaces, two-level codes, conditional
// requirements, time orders, precision, GB28181 and phone numbers.
func TestSeedExamples(t *testing.T) {
	const (
		code       = validate.RuleCode
		required   = validate.RuleRequired
		when       = validate.RuleRequiredWhen
		order      = validate.RuleOrder
		length     = validate.RuleLength
		typ        = validate.RuleType
		number     = validate.RuleNumber
		precision  = validate.RulePrecision
		rng        = validate.RuleRange
		gb28181    = validate.RuleGB28181
		phone      = validate.RulePhone
		mobile     = validate.RuleMobile
		uuid       = validate.RuleUUID
		future     = validate.RuleFuture
		dateTime   = validate.RuleDateTime
		date       = validate.RuleDate
		codeParent = validate.RuleCodeParent
	)
	videoCodeCases := []ruleCase{
		{"GB28181 company+0132+serial", fields{"VIDEO_CODE": "370100001" + "0132" + "0000001"}, "", ""},
		{"GB28181 letters in company part", fields{"VIDEO_CODE": "37010000A01320000001"}, "", ""},
		{"GB28181 19 characters", fields{"VIDEO_CODE": "3701000010132000001"}, gb28181, "VIDEO_CODE"},
		{"GB28181 21 characters", fields{"VIDEO_CODE": "370100001013200000011"}, gb28181, "VIDEO_CODE"},
		{"GB28181 without 0132", fields{"VIDEO_CODE": "37010000100010000001"}, gb28181, "VIDEO_CODE"},
		{"GB28181 camera type 0131", fields{"VIDEO_CODE": "37010000101310000001"}, gb28181, "VIDEO_CODE"},
		{"GB28181 letters in serial", fields{"VIDEO_CODE": "370100001013200000A1"}, gb28181, "VIDEO_CODE"},
		{"GB28181 37 characters", fields{"VIDEO_CODE": "3701000010132000000137010000101320000"}, length, "VIDEO_CODE"},
		{"alarm cleared 销警", fields{"ALARM_STATUS": "0"}, "", ""},
		{"ALARM_STATUS 2", fields{"ALARM_STATUS": "2"}, code, "ALARM_STATUS"},
		{"ALARM_STATUS as number", fields{"ALARM_STATUS": 1}, typ, "ALARM_STATUS"},
		{"no DEVICE_CODE", fields{"DEVICE_CODE": absent}, "", ""},
		{"ALARM_TIME in the future", fields{"ALARM_TIME": "2021-09-11 08:00:00"}, future, "ALARM_TIME"},
	}
	statusCases := []ruleCase{
		{"RUN_STATUS 1 正常", fields{"RUN_STATUS": "1"}, "", ""},
		{"RUN_STATUS 0 异常", fields{"RUN_STATUS": "0"}, "", ""},
		{"RUN_STATUS 2", fields{"RUN_STATUS": "2"}, code, "RUN_STATUS"},
		{"RUN_STATUS as number", fields{"RUN_STATUS": 1}, typ, "RUN_STATUS"},
		{"DATE_TIME without seconds", fields{"DATE_TIME": "2021-09-10 11:50"}, dateTime, "DATE_TIME"},
	}
	deviceCases := []ruleCase{
		{"DEVICE_ID not a uuid", fields{"DEVICE_ID": "AIBOX-01"}, uuid, "DEVICE_ID"},
		{"DEVICE_DESC 500 characters", fields{"DEVICE_DESC": chars(500)}, "", ""},
		{"DEVICE_DESC 501 characters", fields{"DEVICE_DESC": chars(501)}, length, "DEVICE_DESC"},
		{"no COMPANY_CODE", fields{"COMPANY_CODE": absent}, required, "COMPANY_CODE"},
		{"no DEVICE_DESC", fields{"DEVICE_DESC": absent}, "", ""},
	}
	cases := map[string][]ruleCase{
		"risk-units": {
			{"HAZARD_DEP 200 Chinese characters", fields{"HAZARD_DEP": chars(200)}, "", ""},
			{"HAZARD_DEP 201 Chinese characters", fields{"HAZARD_DEP": chars(201)}, length, "HAZARD_DEP"},
			{"HAZARD_LIABLE_PERSON 201 characters", fields{"HAZARD_LIABLE_PERSON": chars(201)}, length, "HAZARD_LIABLE_PERSON"},
			{"RISK_UNIT_NAME 200 mixed characters", fields{"RISK_UNIT_NAME": chars(100) + "ABCDEFGHIJ" + chars(90)}, "", ""},
			{"ID not a uuid", fields{"ID": "FXDY-0001"}, uuid, "ID"},
			{"DELETED 1 已删除", fields{"DELETED": "1"}, "", ""},
			{"DELETED 2", fields{"DELETED": "2"}, code, "DELETED"},
			{"DELETED as number", fields{"DELETED": 0}, typ, "DELETED"},
			{"HAZARD_CODE blank", fields{"HAZARD_CODE": " "}, required, "HAZARD_CODE"},
		},
		"risk-events": {
			{"RISK_UNIT_ID not a uuid", fields{"RISK_UNIT_ID": "液氨储罐区"}, uuid, "RISK_UNIT_ID"},
			{"RISK_EVENT_NAME 100 characters", fields{"RISK_EVENT_NAME": chars(100)}, "", ""},
			{"RISK_EVENT_NAME 101 characters", fields{"RISK_EVENT_NAME": chars(101)}, length, "RISK_EVENT_NAME"},
		},
		"control-measures": {
			{"CLASSIFY2 2-1 under CLASSIFY1 1", fields{"CLASSIFY1": "1", "CLASSIFY2": "2-1"}, codeParent, "CLASSIFY2"},
			{"CLASSIFY2 2-1 under CLASSIFY1 2", fields{"CLASSIFY1": "2", "CLASSIFY2": "2-1"}, "", ""},
			{"CLASSIFY2 4-4 under CLASSIFY1 4", fields{"CLASSIFY1": "4", "CLASSIFY2": "4-4"}, "", ""},
			{"CLASSIFY2 3-3 under CLASSIFY1 4", fields{"CLASSIFY1": "4", "CLASSIFY2": "3-3"}, codeParent, "CLASSIFY2"},
			{"CLASSIFY2 1-6", fields{"CLASSIFY2": "1-6"}, code, "CLASSIFY2"},
			{"CLASSIFY2 2-3", fields{"CLASSIFY2": "2-3"}, code, "CLASSIFY2"},
			{"CLASSIFY1 5, CLASSIFY2 not judged against it", fields{"CLASSIFY1": "5"}, code, "CLASSIFY1"},
			{"CLASSIFY1 missing", fields{"CLASSIFY1": absent}, required, "CLASSIFY1"},
			{"DATA_SRC 1 自动化监控", fields{"DATA_SRC": "1"}, "", ""},
			{"DATA_SRC 3", fields{"DATA_SRC": "3"}, code, "DATA_SRC"},
			{"DATA_SRC absent (optional)", fields{"DATA_SRC": absent}, "", ""},
			{"CLASSIFY3 100 characters", fields{"CLASSIFY3": chars(100)}, "", ""},
			{"CLASSIFY3 101 characters", fields{"CLASSIFY3": chars(101)}, length, "CLASSIFY3"},
			{"RISK_MEASURE_DESC 1000 characters", fields{"RISK_MEASURE_DESC": chars(1000)}, "", ""},
			{"RISK_MEASURE_DESC 1001 characters", fields{"RISK_MEASURE_DESC": chars(1001)}, length, "RISK_MEASURE_DESC"},
		},
		"check-tasks": {
			{"CHECK_CYCLE numeric string", fields{"CHECK_CYCLE": "8"}, "", ""},
			{"CHECK_CYCLE with a fraction (数值)", fields{"CHECK_CYCLE": 1.5}, "", ""},
			{"CHECK_CYCLE with a plus sign", fields{"CHECK_CYCLE": "+8"}, "", ""},
			{"CHECK_CYCLE 0", fields{"CHECK_CYCLE": 0}, rng, "CHECK_CYCLE"},
			{"CHECK_CYCLE -1", fields{"CHECK_CYCLE": -1}, rng, "CHECK_CYCLE"},
			{"CHECK_CYCLE 12345", fields{"CHECK_CYCLE": 12345}, length, "CHECK_CYCLE"},
			{"CHECK_CYCLE 八", fields{"CHECK_CYCLE": "八"}, number, "CHECK_CYCLE"},
			{"CHECK_CYCLE_UNIT 天", fields{"CHECK_CYCLE_UNIT": "天"}, "", ""},
			{"CHECK_CYCLE_UNIT 周", fields{"CHECK_CYCLE_UNIT": "周"}, code, "CHECK_CYCLE_UNIT"},
			{"CHECK_STATUS 4", fields{"CHECK_STATUS": "4"}, code, "CHECK_STATUS"},
			{"INVESTIGATION_DATE tomorrow", fields{"INVESTIGATION_DATE": "2021-09-11 08:30:00"}, future, "INVESTIGATION_DATE"},
		},
		"check-records": {
			{"CHECK_TIME 2021/09/10 08:30", fields{"CHECK_TIME": "2021/09/10 08:30"}, dateTime, "CHECK_TIME"},
			{"CHECK_STATUS 3 其他", fields{"CHECK_STATUS": "3"}, "", ""},
			{"CHECK_TASK_ID not a uuid", fields{"CHECK_TASK_ID": "PCRW-01"}, uuid, "CHECK_TASK_ID"},
		},
		"hidden-dangers": {
			{"DANGER_SRC 12", fields{"DANGER_SRC": "12"}, code, "DANGER_SRC"},
			{"DANGER_SRC 11 监管部门监督检查", fields{"DANGER_SRC": schemas.DangerSrcSupervision}, "", ""},
			{"DANGER_SRC as number", fields{"DANGER_SRC": 1}, typ, "DANGER_SRC"},
			{"DANGER_LEVEL \"1\"", fields{"DANGER_LEVEL": "1"}, "", ""},
			{"DANGER_LEVEL \"01\"", fields{"DANGER_LEVEL": "01"}, "", ""},
			{"DANGER_LEVEL 2", fields{"DANGER_LEVEL": 2}, code, "DANGER_LEVEL"},
			{"DANGER_LEVEL 12", fields{"DANGER_LEVEL": 12}, length, "DANGER_LEVEL"},
			{"DANGER_LEVEL 1.0", fields{"DANGER_LEVEL": "1.0"}, number, "DANGER_LEVEL"},
			{"DANGER_LEVEL 重大", fields{"DANGER_LEVEL": "重大"}, number, "DANGER_LEVEL"},
			{"DANGER_LEVEL object", fields{"DANGER_LEVEL": map[string]any{"code": 1}}, typ, "DANGER_LEVEL"},
			{"DANGER_NAME number", fields{"DANGER_NAME": 100}, typ, "DANGER_NAME"},
			{"DANGER_NAME 100 characters", fields{"DANGER_NAME": chars(100)}, "", ""},
			{"DANGER_NAME 101 characters", fields{"DANGER_NAME": chars(101)}, length, "DANGER_NAME"},
			{"DANGER_MANAGE_TYPE 0 即查即改", fields{"DANGER_MANAGE_TYPE": 0}, "", ""},
			{"DANGER_MANAGE_TYPE 2", fields{"DANGER_MANAGE_TYPE": 2}, code, "DANGER_MANAGE_TYPE"},
			{"HAZARD_DANGER_TYPE 9", fields{"HAZARD_DANGER_TYPE": "9"}, code, "HAZARD_DANGER_TYPE"},
			{"DANGER_STATE 9 without CHECK_ACCEPT_PERSON", fields{"CHECK_ACCEPT_PERSON": absent}, when, "CHECK_ACCEPT_PERSON"},
			{"DANGER_STATE 9 with blank CHECK_ACCEPT_PERSON", fields{"CHECK_ACCEPT_PERSON": ""}, when, "CHECK_ACCEPT_PERSON"},
			{"DANGER_STATE 9 without CHECK_ACCEPT_TIME", fields{"CHECK_ACCEPT_TIME": absent}, when, "CHECK_ACCEPT_TIME"},
			{"DANGER_STATE \"9\" without CHECK_ACCEPT_TIME", fields{"DANGER_STATE": "9", "CHECK_ACCEPT_TIME": nil}, when, "CHECK_ACCEPT_TIME"},
			{"DANGER_STATE 0 整改中 without acceptance", fields{"DANGER_STATE": 0, "CHECK_ACCEPT_PERSON": absent, "CHECK_ACCEPT_TIME": absent, "CHECK_ACCEPT_COMMENT": absent}, "", ""},
			{"DANGER_STATE 1 待验收 without acceptance", fields{"DANGER_STATE": 1, "CHECK_ACCEPT_PERSON": absent, "CHECK_ACCEPT_TIME": absent}, "", ""},
			{"DANGER_STATE 2", fields{"DANGER_STATE": 2}, code, "DANGER_STATE"},
			{"CHECK_ACCEPT_TIME before REGIST_TIME", fields{"CHECK_ACCEPT_TIME": "2021-09-08 09:00:00"}, order, "CHECK_ACCEPT_TIME"},
			{"CHECK_ACCEPT_TIME equal to REGIST_TIME", fields{"CHECK_ACCEPT_TIME": "2021-09-08 09:15:00"}, "", ""},
			{"REGIST_TIME 2021/09/10 08:30", fields{"REGIST_TIME": "2021/09/10 08:30"}, dateTime, "REGIST_TIME"},
			{"REGIST_TIME 2021-02-30 00:00:00", fields{"REGIST_TIME": "2021-02-30 00:00:00"}, dateTime, "REGIST_TIME"},
			{"REGIST_TIME 24:00:00", fields{"REGIST_TIME": "2021-09-08 24:00:00"}, dateTime, "REGIST_TIME"},
			{"REGIST_TIME in the future", fields{"REGIST_TIME": "2021-09-10 13:00:00"}, future, "REGIST_TIME"},
			{"DANGER_MANAGE_DEADLINE in the future", fields{"DANGER_MANAGE_DEADLINE": "2022-01-31 18:00:00"}, "", ""},
			{"RISK_MEASURE_ID absent (隐患 not from a task)", fields{"RISK_MEASURE_ID": absent}, "", ""},
			{"RISK_MEASURE_ID not a uuid", fields{"RISK_MEASURE_ID": "GKCS-01"}, uuid, "RISK_MEASURE_ID"},
			{"CHECK_ACCEPT_PERSON 51 characters", fields{"CHECK_ACCEPT_PERSON": chars(51)}, length, "CHECK_ACCEPT_PERSON"},
		},
		"special-operations": {
			{"TASK_TYPE 14", fields{"TASK_TYPE": "14"}, code, "TASK_TYPE"},
			{"TASK_TYPE 1 (大类, not 细类)", fields{"TASK_TYPE": "1"}, code, "TASK_TYPE"},
			{"TASK_TYPE A1 倒罐作业", fields{"TASK_TYPE": "A1"}, "", ""},
			{"TASK_TYPE 44 特级高处作业", fields{"TASK_TYPE": "44"}, "", ""},
			{"TASK_TYPE 123", fields{"TASK_TYPE": "123"}, length, "TASK_TYPE"},
			{"TASK_DATE 2021/09/10", fields{"TASK_DATE": "2021/09/10"}, date, "TASK_DATE"},
			{"TASK_DATE with a time", fields{"TASK_DATE": "2021-09-10 08:00:00"}, date, "TASK_DATE"},
			{"TASK_DATE 2021-02-30", fields{"TASK_DATE": "2021-02-30"}, date, "TASK_DATE"},
			{"TASK_DATE tomorrow (a plan)", fields{"TASK_DATE": "2021-09-11"}, "", ""},
			{"TASK_END_TIME before TASK_BEGIN_TIME", fields{"TASK_END_TIME": "2021-09-10 07:00:00"}, order, "TASK_END_TIME"},
			{"TASK_BEGIN_TIME and TASK_END_TIME absent", fields{"TASK_BEGIN_TIME": absent, "TASK_END_TIME": absent}, "", ""},
			{"TASK_END_TIME alone", fields{"TASK_BEGIN_TIME": absent}, "", ""},
			{"IS_CHANGED 1 without CHANGED_REASON", fields{"CHANGED_REASON": absent}, when, "CHANGED_REASON"},
			{"IS_CHANGED 1 with blank CHANGED_REASON", fields{"CHANGED_REASON": "  "}, when, "CHANGED_REASON"},
			{"IS_CHANGED 0 without CHANGED_REASON", fields{"IS_CHANGED": "0", "CHANGED_REASON": absent}, "", ""},
			{"IS_CANCELLED 1 without CANCELLED_REASON", fields{"IS_CANCELLED": "1", "CANCELLED_REASON": absent}, when, "CANCELLED_REASON"},
			{"IS_CANCELLED 1 with CANCELLED_REASON", fields{"IS_CANCELLED": "1", "CANCELLED_REASON": "装置停车，作业取消"}, "", ""},
			{"IS_CANCELLED 2", fields{"IS_CANCELLED": "2"}, code, "IS_CANCELLED"},
			{"IS_CONTRACTOR_TASK 是", fields{"IS_CONTRACTOR_TASK": "是"}, code, "IS_CONTRACTOR_TASK"},
			{"MAJOR_PERSON_MOBILE 10 digits", fields{"MAJOR_PERSON_MOBILE": "1380531000"}, mobile, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON_MOBILE 12 digits", fields{"MAJOR_PERSON_MOBILE": "138053100011"}, mobile, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON_MOBILE starting 12", fields{"MAJOR_PERSON_MOBILE": "12805310001"}, mobile, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON_MOBILE with words", fields{"MAJOR_PERSON_MOBILE": "手机13805310001"}, mobile, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON_MOBILE +86", fields{"MAJOR_PERSON_MOBILE": "+86 13805310001"}, "", ""},
			{"MAJOR_PERSON_MOBILE 13805310001", fields{"MAJOR_PERSON_MOBILE": "13805310001"}, "", ""},
			{"MAJOR_PERSON_MOBILE landline (负责人手机号)", fields{"MAJOR_PERSON_MOBILE": "0531-88881234"}, mobile, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON_MOBILE as number", fields{"MAJOR_PERSON_MOBILE": 13805310001}, typ, "MAJOR_PERSON_MOBILE"},
			{"MAJOR_PERSON 20 characters", fields{"MAJOR_PERSON": chars(20)}, "", ""},
			{"MAJOR_PERSON 21 characters", fields{"MAJOR_PERSON": chars(21)}, length, "MAJOR_PERSON"},
			{"TASK_UNIT 51 characters", fields{"TASK_UNIT": chars(51)}, length, "TASK_UNIT"},
			{"TASK_CONTENT long text (no length)", fields{"TASK_CONTENT": chars(5000)}, "", ""},
			{"COMPANY_CODE missing", fields{"COMPANY_CODE": absent}, required, "COMPANY_CODE"},
		},
		"positioning-alarms": {
			{"alarm:handle without handleTime", fields{"handleTime": absent}, when, "handleTime"},
			{"alarm:handle without handleInfo", fields{"handleInfo": absent}, when, "handleInfo"},
			{"alarm:handle with blank handleInfo", fields{"handleInfo": ""}, when, "handleInfo"},
			{"alarm without handleTime and handleInfo", fields{"type": "alarm", "handleTime": absent, "handleInfo": absent}, "", ""},
			{"type handled", fields{"type": "handled"}, code, "type"},
			{"handleTime before time", fields{"handleTime": "2021-09-10 08:59:00"}, order, "handleTime"},
			{"handleTime in the future", fields{"handleTime": "2021-09-10 13:00:00"}, future, "handleTime"},
			{"LONGITUDE 117.1234567", fields{"LONGITUDE": "117.1234567"}, precision, "LONGITUDE"},
			{"LONGITUDE 1117.123", fields{"LONGITUDE": 1117.123}, precision, "LONGITUDE"},
			{"LONGITUDE 190", fields{"LONGITUDE": 190}, rng, "LONGITUDE"},
			{"LONGITUDE -180", fields{"LONGITUDE": -180}, "", ""},
			{"LONGITUDE 180.000001", fields{"LONGITUDE": "180.000001"}, rng, "LONGITUDE"},
			{"LONGITUDE 东经117", fields{"LONGITUDE": "东经117"}, number, "LONGITUDE"},
			{"LONGITUDE absent", fields{"LONGITUDE": absent, "LATITUDE": absent}, "", ""},
			{"LATITUDE 95", fields{"LATITUDE": 95}, rng, "LATITUDE"},
			{"LATITUDE -90", fields{"LATITUDE": -90}, "", ""},
			{"LATITUDE \"36.65\"", fields{"LATITUDE": "36.65"}, "", ""},
			{"LATITUDE 36.6543219", fields{"LATITUDE": 36.6543219}, precision, "LATITUDE"},
			{"LATITUDE object", fields{"LATITUDE": map[string]any{"lat": 36}}, typ, "LATITUDE"},
			{"alarmType 09", fields{"alarmType": "09"}, "", ""},
			{"alarmType 1 (not 01)", fields{"alarmType": "1"}, code, "alarmType"},
			{"alarmType 10", fields{"alarmType": "10"}, code, "alarmType"},
			{"alarmType as number", fields{"alarmType": 1}, typ, "alarmType"},
			{"floorNo 6 characters", fields{"floorNo": "地下一层B1"}, length, "floorNo"},
			{"id not a uuid is fine", fields{"id": "BJ20210910000001"}, "", ""},
		},
		"video-devices":                   deviceCases,
		"video-device-status":             statusCases,
		"video-alarms":                    append([]ruleCase{{"ALARM_TYPE 12", fields{"ALARM_TYPE": "12"}, code, "ALARM_TYPE"}, {"ALARM_TYPE 3 翻越围栏", fields{"ALARM_TYPE": "3"}, "", ""}, {"ALARM_TYPE 13 (gas stations only)", fields{"ALARM_TYPE": "13"}, code, "ALARM_TYPE"}, {"ALARM_TYPE 1 明火", fields{"ALARM_TYPE": "1"}, "", ""}}, videoCodeCases...),
		"gas-station-video-devices":       deviceCases,
		"gas-station-video-device-status": statusCases,
		"gas-station-video-alarms":        append([]ruleCase{{"ALARM_TYPE 1 (enterprises only)", fields{"ALARM_TYPE": "1"}, code, "ALARM_TYPE"}, {"ALARM_TYPE 3 人员离岗", fields{"ALARM_TYPE": "3"}, "", ""}, {"ALARM_TYPE 14 静电释放", fields{"ALARM_TYPE": "14"}, "", ""}, {"ALARM_TYPE 12", fields{"ALARM_TYPE": "12"}, code, "ALARM_TYPE"}, {"ALARM_TYPE 9 未佩戴安全帽 (enterprises only)", fields{"ALARM_TYPE": "9"}, code, "ALARM_TYPE"}}, videoCodeCases...),
	}
	for _, table := range schemas.SeedTables() {
		t.Run(table.Slug, func(t *testing.T) {
			cs, ok := cases[table.Slug]
			if !ok {
				t.Fatalf("no seed examples for %s", table.Slug)
			}
			runCases(t, table, cs)
		})
	}
}
