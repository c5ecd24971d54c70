package schemas_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
)

var update = flag.Bool("update", false, "rewrite docs/exchange-tables.md from schemas.Reference()")

// TestReference keeps docs/exchange-tables.md equal to what the registry renders.
func TestReference(t *testing.T) {
	path := filepath.Join("..", schemas.ReferencePath)
	want := schemas.Reference()
	if *update {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run: go test ./schemas -run TestReference -update")
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from schemas.Reference(); run: go test ./schemas -run TestReference -update", path)
	}
}

func TestReferenceContents(t *testing.T) {
	ref := string(schemas.Reference())
	for _, table := range schemas.Tables() {
		assert.Contains(t, ref, "`"+table.Slug+"`")
		assert.Contains(t, ref, table.Topic())
		for _, f := range table.Fields {
			assert.Contains(t, ref, "| `"+f.ID+"` | "+f.NameZH+" |")
		}
	}
	for _, ct := range schemas.CodeTables() {
		for _, c := range ct.Codes {
			assert.Contains(t, ref, "| `"+c.Value+"` | "+c.NameZH)
		}
	}
	assert.Contains(t, ref, "`3` = 翻越围栏（`gas-station-alarm-type` 中为 人员离岗）")
	assert.Contains(t, ref, "`3` = 人员离岗（`video-alarm-type` 中为 翻越围栏）")
	assert.Contains(t, ref, "`CHECK_ACCEPT_TIME` 不得早于 `REGIST_TIME`")
	assert.Contains(t, ref, "`handleTime` 在 `type` = `alarm:handle`（报警已处理） 时必填")
}

// TestTables: the 14 tables of the seed, with the slugs, in seed order.
func TestTables(t *testing.T) {
	want := []struct{ slug, seed string }{
		{"risk-units", "附件2 双重预防机制信息化建设与应用指南 6.2 表1"},
		{"risk-events", "附件2 双重预防机制信息化建设与应用指南 6.2 表2"},
		{"control-measures", "附件2 双重预防机制信息化建设与应用指南 6.2 表3"},
		{"check-tasks", "附件2 双重预防机制信息化建设与应用指南 6.2 表4"},
		{"check-records", "附件2 双重预防机制信息化建设与应用指南 6.2 表5"},
		{"hidden-dangers", "附件2 双重预防机制信息化建设与应用指南 6.2 表6"},
		{"special-operations", "附件3 特殊作业全过程信息化管理和视频监控系统建设与应用指南 6.2 表1"},
		{"positioning-alarms", "附件4 人员自动定位系统建设与应用指南 6.2 表1"},
		{"video-devices", "附件5 智能视频监控系统建设与应用指南 6.2 表2"},
		{"video-device-status", "附件5 智能视频监控系统建设与应用指南 6.2 表3"},
		{"video-alarms", "附件5 智能视频监控系统建设与应用指南 6.2 表4"},
		{"gas-station-video-devices", "附件7 加油站智能视频监控系统建设与应用指南 5.2 表2"},
		{"gas-station-video-device-status", "附件7 加油站智能视频监控系统建设与应用指南 5.2 表3"},
		{"gas-station-video-alarms", "附件7 加油站智能视频监控系统建设与应用指南 5.2 表4"},
	}
	tables := schemas.SeedTables()
	require.Len(t, tables, len(want))
	for i, w := range want {
		table := tables[i]
		t.Run(w.slug, func(t *testing.T) {
			assert.Equal(t, w.slug, table.Slug)
			assert.Equal(t, w.seed, table.Seed)
			assert.Equal(t, "chemguard.exchange."+w.slug, table.Topic())
			got, ok := schemas.TableBySlug(w.slug)
			require.True(t, ok)
			assert.Same(t, table, got)
			assert.NotEmpty(t, table.NameZH)
			assert.NotEmpty(t, table.Group)
			assert.NotEmpty(t, table.Frequency.ID)

			key, ok := table.Field(table.Key)
			require.True(t, ok, "key %s", table.Key)
			assert.True(t, key.Required, "the key is required")
			for _, id := range table.VersionTime {
				f, ok := table.Field(id)
				require.True(t, ok, id)
				assert.Contains(t, []schemas.Kind{schemas.KindDateTime, schemas.KindDate}, f.Kind)
			}
			for _, r := range table.RequiredWhen {
				f, ok := table.Field(r.Field)
				require.True(t, ok, r.Field)
				assert.False(t, f.Required, "%s is conditional, so not required outright", r.Field)
				when, ok := table.Field(r.When)
				require.True(t, ok, r.When)
				require.NotNil(t, when.Code)
				_, ok = when.Code.Lookup(r.Equals)
				assert.True(t, ok, "%s=%s is a code of %s", r.When, r.Equals, when.Code.ID)
			}
			for _, o := range table.Orders {
				for _, id := range []string{o.Earlier, o.Later} {
					f, ok := table.Field(id)
					require.True(t, ok, id)
					assert.Equal(t, schemas.KindDateTime, f.Kind)
				}
			}
		})
	}
	_, ok := schemas.TableBySlug("no-such-table")
	assert.False(t, ok)
}

// TestFieldTags: every field's tag parsed into metadata consistent with its Go type
// and JSON key.
func TestFieldTags(t *testing.T) {
	for _, table := range schemas.Tables() {
		t.Run(table.Slug, func(t *testing.T) {
			typ := table.Type()
			require.Equal(t, typ.NumField(), len(table.Fields))
			assert.IsType(t, reflect.New(typ).Interface(), table.New())
			for i, f := range table.Fields {
				sf := typ.Field(i)
				assert.Contains(t, sf.Tag.Get("json"), f.ID)
				assert.NotEmpty(t, f.NameZH, f.ID)
				assert.NotEmpty(t, f.Kind.NameZH(), f.ID)
				got, ok := table.Field(f.ID)
				require.True(t, ok)
				assert.Equal(t, f.ID, got.ID)
				switch f.Kind {
				case schemas.KindFile:
					assert.Positive(t, f.MaxBytes, f.ID)
					assert.Contains(t, []schemas.Format{schemas.FormatImage, schemas.FormatPermit}, f.Format)
				case schemas.KindDecimal:
					if f.Scale > 0 {
						assert.Greater(t, f.Length, f.Scale, f.ID)
					}
				}
				if f.Parent != "" {
					p, ok := table.Field(f.Parent)
					require.True(t, ok)
					require.NotNil(t, p.Code)
					require.NotNil(t, f.Code)
					for _, c := range f.Code.Codes {
						_, ok := p.Code.Lookup(c.Parent)
						assert.True(t, ok, "%s parent %s is a code of %s", c.Value, c.Parent, p.Code.ID)
					}
				}
			}
		})
	}
	lon, _ := schemas.PositioningAlarms.Field("LONGITUDE")
	assert.Equal(t, 9, lon.Length)
	assert.Equal(t, 6, lon.Scale)
	img, _ := schemas.VideoAlarms.Field("ALARM_IMAGE")
	assert.Equal(t, int64(4<<20), img.MaxBytes)
	vc, _ := schemas.VideoAlarms.Field("VIDEO_CODE")
	assert.Equal(t, schemas.FormatGB28181, vc.Format)
	mobile, _ := schemas.SpecialOperations.Field("MAJOR_PERSON_MOBILE")
	assert.Equal(t, schemas.FormatMobile, mobile.Format, "the seed says 负责人手机号: a landline is not enough")
}

// TestCodeTables: every code table codes.yaml holds is the one its variable names,
// with the seed's count of codes, and nothing else is in the file.
func TestCodeTables(t *testing.T) {
	tables := []struct {
		table *schemas.CodeTable
		id    string
		count int
	}{
		{schemas.CodesDeleted, "deleted", 2},
		{schemas.CodesYesNo, "yes-no", 2},
		{schemas.CodesControlMode, "control-mode", 2},
		{schemas.CodesMeasureClass1, "measure-class1", 4},
		{schemas.CodesMeasureClass2, "measure-class2", 14}, // 管控措施分类2
		{schemas.CodesCycleUnit, "cycle-unit", 4},
		{schemas.CodesCheckStatus, "check-status", 4},
		{schemas.CodesDangerLevel, "danger-level", 2},
		{schemas.CodesDangerSrc, "danger-src", 11}, // 隐患来源
		{schemas.CodesManageType, "danger-manage-type", 2},
		{schemas.CodesDangerType, "danger-type", 8},
		{schemas.CodesDangerState, "danger-state", 3},
		{schemas.CodesTaskCategory, "task-category", 11},
		{schemas.CodesTaskType, "task-type", 18},                         // 作业细类
		{schemas.CodesPositioningAlarmType, "positioning-alarm-type", 9}, // 人员报警类型
		{schemas.CodesPositioningStatus, "positioning-status", 2},
		{schemas.CodesVideoAlarmType, "video-alarm-type", 10},           // 企业
		{schemas.CodesGasStationAlarmType, "gas-station-alarm-type", 7}, // 加油站
		{schemas.CodesVideoAlarmStatus, "video-alarm-status", 2},
		{schemas.CodesRunStatus, "run-status", 2},
		// platform-defined
		{schemas.CodesEnterpriseType, "enterprise-type", 4},
		{schemas.CodesHazardKind, "hazard-kind", 4},
		{schemas.CodesHazardGrade, "hazard-grade", 5},
		{schemas.CodesKeySubstance, "key-substance", 5},
		{schemas.CodesIndicatorKind, "indicator-kind", 10},
		{schemas.CodesKeyAreaKind, "key-area-kind", 7},
	}
	require.Len(t, schemas.CodeTables(), len(tables), "codes.yaml holds a table no variable names")
	for i, want := range tables {
		ct := want.table
		t.Run(want.id, func(t *testing.T) {
			require.NotNil(t, ct)
			assert.Equal(t, want.id, ct.ID)
			assert.Same(t, schemas.CodeTables()[i], ct, "in the seed's order")
			assert.NotEmpty(t, ct.NameZH)
			assert.NotEmpty(t, ct.Source)
			assert.Len(t, ct.Codes, want.count)
			assert.Len(t, ct.Values(), len(ct.Codes))
			got, ok := schemas.CodeTableByID(ct.ID)
			require.True(t, ok)
			assert.Same(t, ct, got)
			for _, c := range ct.Codes {
				found, ok := ct.Lookup(c.Value)
				require.True(t, ok)
				assert.Equal(t, c, found)
			}
			_, ok = ct.Lookup("no such code")
			assert.False(t, ok)
		})
	}
	// 分析类型: printed for the video alarm types only, one of the seed's three.
	for _, ct := range schemas.CodeTables() {
		video := ct == schemas.CodesVideoAlarmType || ct == schemas.CodesGasStationAlarmType
		for _, c := range ct.Codes {
			if video {
				assert.Contains(t, []string{"违规行为", "异常状态", "作业状态"}, c.ClassZH, "%s %s", ct.ID, c.Value)
			} else {
				assert.Empty(t, c.ClassZH, "%s %s", ct.ID, c.Value)
			}
		}
	}
	fire, _ := schemas.CodesGasStationAlarmType.Lookup("10")
	assert.Equal(t, schemas.Code{Value: "10", NameZH: "明火", ClassZH: "异常状态"}, fire)
	// The two video alarm code spaces share numbers with different meanings.
	enterprise, _ := schemas.CodesVideoAlarmType.Lookup("3")
	station, _ := schemas.CodesGasStationAlarmType.Lookup("3")
	assert.Equal(t, "翻越围栏", enterprise.NameZH)
	assert.Equal(t, "人员离岗", station.NameZH)
	_, ok := schemas.CodesGasStationAlarmType.Lookup("1")
	assert.False(t, ok, "1 明火 is an enterprise code; gas stations use 10")
	// Every 作业细类 belongs to a 作业大类 and starts with its code.
	for _, c := range schemas.CodesTaskType.Codes {
		_, ok := schemas.CodesTaskCategory.Lookup(c.Parent)
		assert.True(t, ok, c.Value)
		assert.Equal(t, c.Parent, c.Value[:1])
	}
}

// TestCodeConstants: the constants the engines compare with are codes of their
// tables, meaning what the seed says they mean.
func TestCodeConstants(t *testing.T) {
	for _, c := range []struct {
		table       *schemas.CodeTable
		value, name string
	}{
		{schemas.CodesDeleted, schemas.DeletedNo, "正常"},
		{schemas.CodesDeleted, schemas.DeletedYes, "已删除"},
		{schemas.CodesYesNo, schemas.No, "否"},
		{schemas.CodesYesNo, schemas.Yes, "是"},
		{schemas.CodesControlMode, schemas.ControlModeAutomatic, "自动化监控"},
		{schemas.CodesControlMode, schemas.ControlModeCheck, "隐患排查"},
		{schemas.CodesDangerLevel, schemas.DangerLevelGeneral, "一般隐患"},
		{schemas.CodesDangerLevel, schemas.DangerLevelMajor, "重大隐患"},
		{schemas.CodesDangerState, schemas.DangerStateRectifying, "整改中"},
		{schemas.CodesDangerState, schemas.DangerStatePendingAcceptance, "待验收"},
		{schemas.CodesDangerState, schemas.DangerStateAccepted, "已验收"},
		{schemas.CodesDangerSrc, schemas.DangerSrcSupervision, "监管部门监督检查"},
		{schemas.CodesPositioningStatus, schemas.PositioningRaised, "报警"},
		{schemas.CodesPositioningStatus, schemas.PositioningHandled, "报警已处理"},
		{schemas.CodesVideoAlarmStatus, schemas.VideoAlarmRaised, "报警"},
		{schemas.CodesVideoAlarmStatus, schemas.VideoAlarmCleared, "销警"},
		{schemas.CodesRunStatus, schemas.RunStatusNormal, "正常"},
		{schemas.CodesRunStatus, schemas.RunStatusAbnormal, "异常"},
	} {
		got, ok := c.table.Lookup(c.value)
		if assert.True(t, ok, "%s has no code %q", c.table.ID, c.value) {
			assert.Equal(t, c.name, got.NameZH, "%s %q", c.table.ID, c.value)
		}
	}
}

func TestNumberJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want schemas.Number
		out  string
	}{
		{`117.123456`, "117.123456", `117.123456`},
		{`"9"`, "9", `9`},
		{`null`, "", `null`},
		{`-0.5`, "-0.5", `-0.5`},
	} {
		t.Run(c.in, func(t *testing.T) {
			var n schemas.Number
			require.NoError(t, json.Unmarshal([]byte(c.in), &n))
			assert.Equal(t, c.want, n)
			b, err := json.Marshal(n)
			require.NoError(t, err)
			assert.Equal(t, c.out, string(b))
			assert.Equal(t, c.want == "", n.IsZero())
		})
	}
	var n schemas.Number
	assert.Error(t, json.Unmarshal([]byte(`"abc"`), &n))
	for _, bad := range []string{`{}`, `[1]`, `true`, `"\"1\""`, `"01"`, `"+1"`, `"1."`, `"-"`, `""`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &n), bad)
	}
	require.NoError(t, json.Unmarshal([]byte(`"-1.5e3"`), &n))
	assert.Equal(t, schemas.Number("-1.5e3"), n)
}

func TestDateTimeJSON(t *testing.T) {
	var d schemas.DateTime
	require.NoError(t, json.Unmarshal([]byte(`"2021-09-10 08:30:00"`), &d))
	assert.True(t, d.Equal(time.Date(2021, 9, 10, 0, 30, 0, 0, time.UTC)), "read as Asia/Shanghai")
	b, err := json.Marshal(schemas.DateTime{Time: d.UTC()})
	require.NoError(t, err)
	assert.Equal(t, `"2021-09-10 08:30:00"`, string(b), "written in Asia/Shanghai whatever the zone")
	b, err = json.Marshal(schemas.DateTime{})
	require.NoError(t, err)
	assert.Equal(t, `null`, string(b))
	assert.Error(t, json.Unmarshal([]byte(`"2021/09/10 08:30"`), &d))
	assert.Error(t, json.Unmarshal([]byte(`"2021-02-30 00:00:00"`), &d))

	var day schemas.Date
	require.NoError(t, json.Unmarshal([]byte(`"2021-09-10"`), &day))
	b, err = json.Marshal(day)
	require.NoError(t, err)
	assert.Equal(t, `"2021-09-10"`, string(b))
	require.NoError(t, json.Unmarshal([]byte(`null`), &day))
	assert.True(t, day.IsZero())
}

func TestFileJSON(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	var f schemas.File
	require.NoError(t, json.Unmarshal([]byte(`"iVBORw0KGgoAAAANSUhEUg=="`), &f))
	assert.Equal(t, png, f.Data)
	assert.Equal(t, "image/png", f.ContentType)
	assert.Equal(t, int64(len(png)), f.Size)

	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Equal(t, `"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="`, string(b))
	var back schemas.File
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, f, back)

	stored := schemas.File{Ref: "sha256:ab", ContentType: "image/png", Size: 16}
	b, err = json.Marshal(stored)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ref":"sha256:ab","content_type":"image/png","size":16}`, string(b))
	back = schemas.File{}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, stored, back)

	b, err = json.Marshal(schemas.File{})
	require.NoError(t, err)
	assert.Equal(t, `null`, string(b))
	assert.ErrorIs(t, json.Unmarshal([]byte(`"不是base64"`), &f), schemas.ErrNotBase64)
}

func TestSniffContentType(t *testing.T) {
	for in, want := range map[string]string{
		"\x89PNG\r\n\x1a\nrest":                              "image/png",
		"\xff\xd8\xff\xe0JFIF":                               "image/jpeg",
		"BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00": "image/bmp",
		"%PDF-1.4\n":                                         "application/pdf",
		"GIF89a\x02\x00":                                     "",
		"BM":                                                 "",
		"":                                                   "",
	} {
		assert.Equal(t, want, schemas.SniffContentType([]byte(in)), "%q", in)
	}
}

func TestTableAccessors(t *testing.T) {
	table := schemas.PositioningAlarms
	rec := table.New().(*schemas.PositioningAlarm)
	rec.ID = "BJ-1"
	rec.Time = schemas.DateTime{Time: time.Date(2021, 9, 10, 9, 0, 0, 0, schemas.Shanghai)}
	assert.Equal(t, "BJ-1", table.KeyOf(rec))
	assert.True(t, table.VersionTimeOf(rec).Equal(rec.Time.Time), "time until handled")
	rec.HandleTime = schemas.DateTime{Time: rec.Time.Add(12 * time.Minute)}
	assert.True(t, table.VersionTimeOf(rec).Equal(rec.HandleTime.Time), "handleTime once handled")
	assert.False(t, table.HasCompanyCode())
	assert.False(t, table.HasDeleted())
	assert.Empty(t, table.Files(rec))

	assert.True(t, schemas.SpecialOperations.HasCompanyCode())
	assert.True(t, schemas.HiddenDangers.HasDeleted())
	hd := &schemas.HiddenDanger{Deleted: schemas.DeletedYes}
	assert.True(t, schemas.HiddenDangers.DeletedOf(hd))
	assert.True(t, schemas.HiddenDangers.VersionTimeOf(hd).IsZero(), "ordered by receipt")
	va := &schemas.VideoAlarm{}
	require.Len(t, schemas.VideoAlarms.Files(va), 1)
	assert.Same(t, &va.AlarmImage, schemas.VideoAlarms.Files(va)[0])
}
