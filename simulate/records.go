// Package simulate makes realistic exchange data for Shandong companies: records of
// every table as the seed defines them, at the seed's frequencies, with a chosen share
// of the mistakes real integrations make. The simulator command, the demo that
// `make run` starts, the benchmark and the integration tests all use it.
package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Company is one simulated company.
type Company struct {
	Code       string // 9 characters: county code + 3-digit serial, so VIDEO_CODE can embed it
	Name       string
	County     string
	GasStation bool
}

// Record is one exchange record as a company's system would send it.
type Record map[string]any

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马", "朱", "胡", "郭"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "建国", "志强", "海燕"}
	units    = []string{"常减压装置", "催化裂化装置", "加氢精制装置", "液氨储罐区", "甲醇储罐区", "硝酸铵仓库", "氯酸钠仓库", "装卸栈台", "液化烃罐区", "污水处理站"}
	depts    = []string{"生产运行部", "设备管理部", "安全环保部", "储运部", "仪表车间", "电气车间"}
	events   = []string{"储罐超压泄漏", "可燃气体泄漏着火", "静电引发火灾", "液位超限溢出", "有毒气体中毒", "高处坠落", "仓库温度异常升高"}
	measures = []string{"设置压力高高联锁并定期校验", "可燃气体检测报警器每季度标定", "装卸车前确认静电接地完好", "液位计与高液位报警联锁", "仓库温湿度在线监测并超限报警"}
	dangers  = []string{"可燃气体报警器未按期标定", "储罐呼吸阀堵塞", "消防通道被占用", "静电接地夹损坏", "安全阀校验过期", "防爆电气接线盒缺螺栓", "应急药箱药品过期"}
	places   = []string{"1号罐区", "2号罐区", "装卸区", "控制室", "甲类仓库", "循环水场", "空分装置"}
)

// Name makes a Chinese personal name.
func Name(r *rand.Rand) string {
	return surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func pickCode(r *rand.Rand, t *schemas.CodeTable) string { return t.Codes[r.IntN(len(t.Codes))].Value }

func stamp(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout) }

// NewID returns a UUID string.
func NewID() string { return uuid.NewString() }

var (
	imageOnce sync.Once
	imageB64  string
	pdfB64    string
)

// AlarmImage is a small real PNG (a 160×120 snapshot-like frame) as base64.
func AlarmImage() string {
	imageOnce.Do(func() {
		img := image.NewRGBA(image.Rect(0, 0, 160, 120))
		for y := 0; y < 120; y++ {
			for x := 0; x < 160; x++ {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y * 2), 90, 255})
			}
		}
		for y := 40; y < 80; y++ { // a bright "flame" patch
			for x := 70; x < 100; x++ {
				img.Set(x, y, color.RGBA{255, 140, 0, 255})
			}
		}
		var buf bytes.Buffer
		_ = png.Encode(&buf, img)
		imageB64 = schemas.DataURI("image/png", buf.Bytes())[len("data:image/png;base64,"):]
		pdfB64 = schemas.DataURI("application/pdf", []byte(permitPDF))[len("data:application/pdf;base64,"):]
	})
	return imageB64
}

// PermitPDF is a minimal one-page PDF work permit as base64.
func PermitPDF() string {
	AlarmImage()
	return pdfB64
}

const permitPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// VideoCode is the GB28181 channel code of a company's camera n.
func VideoCode(c Company, n int) string { return fmt.Sprintf("%s0132%07d", c.Code, n) }

// DeviceCode is the code of a company's video analytics box n.
func DeviceCode(c Company, n int) string { return fmt.Sprintf("%s-AI-%02d", c.Code, n) }

// NewRecord makes one valid record of table t for company c at time now.
func NewRecord(r *rand.Rand, t *schemas.Table, c Company, now time.Time) Record {
	past := now.Add(-time.Duration(r.IntN(3600)) * time.Second)
	// Alarms are real-time tables: a company's system sends them within seconds, and
	// the warning engine treats alarms older than its stale_after as history.
	recent := now.Add(-now.Sub(past) % time.Minute) // (draws nothing more from r: the sequence stays)
	switch t {
	case schemas.RiskUnits:
		return Record{"ID": NewID(), "HAZARD_CODE": fmt.Sprintf("%s%03d", c.Code, r.IntN(20)+1),
			"HAZARD_DEP": pick(r, depts), "HAZARD_LIABLE_PERSON": Name(r), "RISK_UNIT_NAME": pick(r, units), "DELETED": "0"}
	case schemas.RiskEvents:
		return Record{"ID": NewID(), "RISK_UNIT_ID": NewID(), "RISK_EVENT_NAME": pick(r, events), "DELETED": "0"}
	case schemas.ControlMeasures:
		c2 := schemas.CodesMeasureClass2.Codes[r.IntN(len(schemas.CodesMeasureClass2.Codes))]
		return Record{"ID": NewID(), "RISK_EVENT_ID": NewID(), "DATA_SRC": pickCode(r, schemas.CodesControlMode),
			"RISK_MEASURE_DESC": pick(r, measures), "CLASSIFY1": c2.Parent, "CLASSIFY2": c2.Value,
			"CLASSIFY3": "", "TROUBLESHOOT_CONTENT": "检查" + pick(r, measures), "DELETED": "0"}
	case schemas.CheckTasks:
		return Record{"ID": NewID(), "RISK_MEASURE_ID": NewID(), "TROUBLESHOOT_CONTENT": "检查" + pick(r, measures),
			"CHECK_CYCLE": r.IntN(24) + 1, "CHECK_CYCLE_UNIT": pickCode(r, schemas.CodesCycleUnit),
			"INVESTIGATION_DATE": stamp(past), "CHECK_STATUS": pickCode(r, schemas.CodesCheckStatus), "DELETED": "0"}
	case schemas.CheckRecords:
		return Record{"ID": NewID(), "CHECK_TASK_ID": NewID(), "CHECK_TIME": stamp(past),
			"CHECK_STATUS": pickCode(r, schemas.CodesCheckStatus), "DELETED": "0"}
	case schemas.HiddenDangers:
		rec := Record{"ID": NewID(), "HAZARD_CODE": fmt.Sprintf("%s%03d", c.Code, r.IntN(20)+1), "RISK_MEASURE_ID": NewID(),
			"DANGER_NAME": pick(r, dangers), "DANGER_LEVEL": r.IntN(10) / 9, "REGIST_TIME": stamp(past),
			"REGISTRANT": Name(r), "DANGER_SRC": pickCode(r, schemas.CodesDangerSrc), "DANGER_MANAGE_TYPE": r.IntN(2),
			"HAZARD_DANGER_TYPE": r.IntN(8) + 1, "DANGER_DESC": pick(r, places) + pick(r, dangers) + "，需限期整改",
			"DANGER_REASON": "日常维护不到位", "LIABLE_PERSON": Name(r), "DANGER_MANAGE_DEADLINE": stamp(now.AddDate(0, 0, 7)),
			"DANGER_STATE": []int{0, 1, 9}[r.IntN(3)], "DELETED": "0"}
		if rec["DANGER_STATE"] == 9 {
			rec["CHECK_ACCEPT_PERSON"], rec["CHECK_ACCEPT_TIME"], rec["CHECK_ACCEPT_COMMENT"] = Name(r), stamp(now.Add(-time.Minute)), "整改到位，验收通过"
			rec["REGIST_TIME"] = stamp(now.Add(-2 * time.Hour))
		}
		return rec
	case schemas.SpecialOperations:
		begin := now.Truncate(time.Hour).Add(time.Duration(r.IntN(8)) * time.Hour)
		return Record{"ID": NewID(), "COMPANY_CODE": c.Code, "TASK_DATE": now.In(schemas.Shanghai).Format(schemas.DateLayout),
			"TASK_TYPE": pickCode(r, schemas.CodesTaskType), "TASK_POSITION": pick(r, places),
			"TASK_BEGIN_TIME": stamp(begin), "TASK_END_TIME": stamp(begin.Add(4 * time.Hour)),
			"IS_CONTRACTOR_TASK": fmt.Sprint(r.IntN(2)), "TASK_UNIT": "山东鲁安检修工程有限公司", "MAJOR_PERSON": Name(r),
			"MAJOR_PERSON_MOBILE": fmt.Sprintf("13%d%08d", r.IntN(10), r.IntN(1e8)), "TASK_CONTENT": "管线法兰更换",
			"IS_CHANGED": "0", "IS_CANCELLED": "0", "FILE": PermitPDF()}
	case schemas.PositioningAlarms:
		lon, lat := Position(c)
		rec := Record{"id": NewID(), "CARD_NO": fmt.Sprintf("K%06d", r.IntN(1e6)), "realName": Name(r), "type": schemas.PositioningRaised,
			"time": stamp(recent), "alarmInfo": "人员在" + pick(r, places) + "触发报警", "alarmType": pickCode(r, schemas.CodesPositioningAlarmType),
			"alarmLocation": pick(r, places), "LONGITUDE": coord(lon + 0.002*(r.Float64()-0.5)), "LATITUDE": coord(lat + 0.002*(r.Float64()-0.5)), "floorNo": "1"}
		return rec
	case schemas.VideoDevices, schemas.GasStationVideoDevices:
		n := r.IntN(4) + 1
		return Record{"DEVICE_ID": NewID(), "DEVICE_CODE": DeviceCode(c, n), "COMPANY_CODE": c.Code,
			"DEVICE_NAME": fmt.Sprintf("%d号视频智能分析盒", n), "DEVICE_DESC": "覆盖" + pick(r, places)}
	case schemas.VideoDeviceStatuses, schemas.GasStationVideoDeviceStatuses:
		status := "1"
		if r.IntN(50) == 0 {
			status = "0"
		}
		return Record{"DEVICE_CODE": DeviceCode(c, r.IntN(4)+1), "DATE_TIME": stamp(now), "RUN_STATUS": status}
	case schemas.VideoAlarms, schemas.GasStationVideoAlarms:
		codes := schemas.CodesVideoAlarmType
		if t == schemas.GasStationVideoAlarms {
			codes = schemas.CodesGasStationAlarmType
		}
		return Record{"ALARM_ID": NewID(), "ALARM_TYPE": pickCode(r, codes), "ALARM_STATUS": schemas.VideoAlarmRaised,
			"ALARM_TIME": stamp(recent), "DEVICE_CODE": DeviceCode(c, r.IntN(4)+1), "VIDEO_CODE": VideoCode(c, r.IntN(32)+1),
			"ALARM_IMAGE": AlarmImage()}
	case schemas.EnterpriseInfos:
		lon, lat := Position(c)
		kind := "1"
		if c.GasStation {
			kind = "4"
		}
		return Record{"COMPANY_CODE": c.Code, "COMPANY_NAME": c.Name, "CREDIT_CODE": CreditCode(c),
			"ADDRESS": "山东省" + c.Name + "厂区", "LONGITUDE": coord(lon),
			"LATITUDE": coord(lat), "ENTERPRISE_TYPE": kind,
			"PRINCIPAL": Name(r), "PRINCIPAL_MOBILE": mobile(r), "SAFETY_PRINCIPAL": Name(r), "SAFETY_PRINCIPAL_MOBILE": mobile(r), "DELETED": "0"}
	case schemas.HazardSources:
		n := r.IntN(len(hazardPlans))
		h := hazardPlans[n]
		return Record{"HAZARD_CODE": HazardCode(c, n), "COMPANY_CODE": c.Code, "HAZARD_NAME": h.name, "HAZARD_KIND": h.kind,
			"HAZARD_GRADE": fmt.Sprint(1 + r.IntN(4)), "SUBSTANCES": h.substances, "KEY_SUBSTANCE": h.key, "DELETED": "0"}
	case schemas.Indicators:
		n := r.IntN(len(hazardPlans))
		ind := indicatorPlans[r.IntN(len(indicatorPlans))]
		rec := Record{"INDICATOR_CODE": fmt.Sprintf("%s-%s%02d", HazardCode(c, n), ind.suffix, r.IntN(8)+1), "COMPANY_CODE": c.Code,
			"HAZARD_CODE": HazardCode(c, n), "INDICATOR_NAME": hazardPlans[n].name + ind.name, "INDICATOR_KIND": ind.kind, "UNIT": ind.unit,
			"RANGE_LOW": ind.rangeLow, "RANGE_HIGH": ind.rangeHigh, "HIGH": ind.high, "HIGH_HIGH": ind.highHigh,
			"AREA": hazardPlans[n].name, "DELETED": "0"}
		return rec
	case schemas.SensorReadings:
		ind := indicatorPlans[r.IntN(len(indicatorPlans))]
		return Record{"INDICATOR_CODE": fmt.Sprintf("%s-%s%02d", HazardCode(c, r.IntN(len(hazardPlans))), ind.suffix, r.IntN(8)+1),
			"VALUE": json.Number(fmt.Sprintf("%.2f", ind.normal*(0.8+0.4*r.Float64()))), "COLLECT_TIME": stamp(now)}
	case schemas.Cameras:
		n := r.IntN(32) + 1
		return Record{"VIDEO_CODE": VideoCode(c, n), "COMPANY_CODE": c.Code, "CAMERA_NAME": fmt.Sprintf("%d号摄像机", n),
			"PLACE": pick(r, places), "KEY_AREA_KIND": pickCode(r, schemas.CodesKeyAreaKind), "DELETED": "0"}
	case schemas.Commitments:
		day := now.In(schemas.Shanghai)
		commitAt := time.Date(day.Year(), day.Month(), day.Day(), 8, r.IntN(60), 0, 0, schemas.Shanghai)
		if commitAt.After(now) {
			commitAt = now
		}
		return Record{"ID": NewID(), "COMPANY_CODE": c.Code, "COMMIT_DATE": day.Format(schemas.DateLayout), "COMMIT_PERSON": Name(r),
			"COMMIT_TIME": stamp(commitAt), "UNITS_RUNNING": 3 + r.IntN(5), "UNITS_STOPPED": r.IntN(2), "UNITS_MAINTENANCE": r.IntN(2),
			"HOT_WORK_SPECIAL": 0, "HOT_WORK_1": r.IntN(2), "HOT_WORK_2": r.IntN(3), "CONFINED_SPACE": r.IntN(2), "OTHER_SPECIAL_OPS": r.IntN(4),
			"TRIAL_PRODUCTION": "0", "STARTUP_SHUTDOWN": "0", "MAJOR_HAZARD_NORMAL": "1",
			"CONTENT": "今日我公司各生产装置运行正常，重大危险源均处于安全状态，特殊作业均已落实安全措施。", "DELETED": "0"}
	}
	panic("simulate: no generator for " + t.Slug)
}

// Corrupt breaks a copy of rec the way real integrations do: a missing required
// field, a code outside its table, a bad date, a too-long text, a wrong JSON type.
// It returns the broken record and the field it broke.
func Corrupt(r *rand.Rand, t *schemas.Table, rec Record) (Record, string) {
	out := Record{}
	for k, v := range rec {
		out[k] = v
	}
	var required, coded, timed []string
	for _, f := range t.Fields {
		if f.Required {
			required = append(required, f.ID)
		}
		if f.Code != nil && f.Required {
			coded = append(coded, f.ID)
		}
		if (f.Kind == schemas.KindDateTime || f.Kind == schemas.KindDate) && f.Required {
			timed = append(timed, f.ID)
		}
	}
	switch r.IntN(3) {
	case 0:
		if len(coded) > 0 {
			f := pick(r, coded)
			out[f] = "#?" // in no code table
			return out, f
		}
	case 1:
		if len(timed) > 0 {
			f := pick(r, timed)
			out[f] = "2021/13/45 25:61"
			return out, f
		}
	}
	f := pick(r, required)
	delete(out, f)
	return out, f
}

// hazardPlans are the kinds of hazard source a simulated company has; its n-th
// hazard source is hazardPlans[n].
var hazardPlans = []struct{ name, kind, substances, key string }{
	{"液氨储罐区", "1", "液氨", ""},
	{"甲醇储罐区", "1", "甲醇、乙醇", ""},
	{"硝酸铵仓库", "2", "硝酸铵", "01"},
	{"氯酸钠仓库", "2", "氯酸钠", "03"},
	{"液化烃装卸栈台", "3", "液化石油气、丙烯", ""},
	{"合成氨装置", "4", "氢气、氮气、氨", ""},
}

// indicatorPlans are the monitored points of a hazard source, with a normal value
// and thresholds in their unit.
var indicatorPlans = []struct {
	suffix, name, kind, unit            string
	normal                              float64
	rangeLow, rangeHigh, high, highHigh json.Number
}{
	{"T", "温度", "1", "℃", 25, "-40", "150", "40", "50"},
	{"P", "压力", "2", "MPa", 1.2, "0", "4", "1.6", "1.8"},
	{"L", "液位", "3", "m", 6, "0", "15", "12", "13.5"},
	{"H", "湿度", "4", "%RH", 55, "0", "100", "75", "85"},
	{"G", "可燃气体浓度", "5", "%LEL", 2, "0", "100", "20", "40"},
	{"X", "有毒气体浓度", "6", "ppm", 3, "0", "100", "20", "40"},
}

// HazardCode is the registry code of a company's n-th hazard source.
func HazardCode(c Company, n int) string { return fmt.Sprintf("%s%03d", c.Code, n+1) }

// CreditCode is a plausible 18-character unified social credit code for c.
func CreditCode(c Company) string { return "91" + c.County + c.Code[6:] + "MA3C00X" }

func mobile(r *rand.Rand) string { return fmt.Sprintf("13%d%08d", r.IntN(10), r.IntN(1e8)) }

// coord is a longitude or latitude as the exchange tables carry it (decimal 9.6).
func coord(v float64) json.Number { return json.Number(fmt.Sprintf("%.6f", v)) }
