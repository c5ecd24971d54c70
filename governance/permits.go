package governance

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// permitClass is one kind of special operation the 安全承诺 counts: the commitment's
// field and the TASK_TYPE codes (特殊作业 表2) of the permits that fulfil it.
type permitClass struct {
	name     string
	declared func(events.Commitment) int
	match    func(taskType string) bool
}

// permitClasses are the commitment's special-operation counts, in its order. The
// platform's 安全承诺 table declares 特殊动火/一级动火/二级动火/受限空间 separately
// and every other kind (盲板抽堵, 高处, 吊装, 临时用电, 动土, 断路, 倒罐, 清罐, 切水)
// as one count.
var permitClasses = []permitClass{
	{"特殊动火", func(c events.Commitment) int { return c.HotWorkSpecial }, func(t string) bool { return t == events.OpHotWorkSpecial }},
	{"一级动火", func(c events.Commitment) int { return c.HotWork1 }, func(t string) bool { return t == events.OpHotWork1 }},
	{"二级动火", func(c events.Commitment) int { return c.HotWork2 }, func(t string) bool { return t == events.OpHotWork2 }},
	{"受限空间", func(c events.Commitment) int { return c.ConfinedSpace }, func(t string) bool { return t == events.OpConfinedSpace }},
	{"其他特殊作业", func(c events.Commitment) int { return c.OtherSpecialOps }, func(t string) bool {
		return t != events.OpHotWorkSpecial && t != events.OpHotWork1 && t != events.OpHotWork2 && t != events.OpConfinedSpace
	}},
}

// permitDay is the day a permit belongs to: its TASK_BEGIN_TIME's, or the day it
// arrived when it has none (as for the hot-work check).
func permitDay(o events.Operation, now time.Time) string {
	if !o.Begin.IsZero() {
		return localDay(o.Begin)
	}
	return localDay(now)
}

// recordPermit keeps the permit's type under its day (a cancelled permit is taken
// out) and returns the days whose count changed.
func (t *Tracker) recordPermit(c *company, o events.Operation, now time.Time) []string {
	var touched []string
	for day, ids := range c.permits {
		if _, ok := ids[o.ID]; ok {
			delete(ids, o.ID)
			touched = append(touched, day)
		}
	}
	if !o.Cancelled {
		day := permitDay(o, now)
		if c.permits[day] == nil {
			c.permits[day] = map[string]string{}
		}
		c.permits[day][o.ID] = o.Type
		touched = append(touched, day)
	}
	sort.Strings(touched)
	return touched
}

// checkPermits is the 10:00 rule in full (特殊作业指南 6.2: 每天10点之前将本日计划的
// 特殊作业数据进行上报): once the day's 10:00 has passed (due, from the tick on the
// intake clock) a commitment that declares special operations of a kind needs at
// least as many permits of that kind for the day, not cancelled. Fewer — none at
// all included — is a fact whose evidence is the commitment and every permit of the
// day; it is updated as permits arrive and closes when they suffice. Before 10:00,
// or when the tick has not yet judged the day, a permit or commitment only updates
// or closes a fact already open.
func (t *Tracker) checkPermits(c *company, day string, now time.Time, due bool, ch *[]Change) {
	subject := "permits/" + day
	f, open := c.open[key(PermitsShort, subject)]
	cm, ok := c.commitments[day]
	if !ok || (!due && !open) {
		return
	}
	counts := make([]int, len(permitClasses))
	ids := sortedKeys(c.permits[day])
	for _, id := range ids {
		for i, pc := range permitClasses {
			if pc.match(c.permits[day][id]) {
				counts[i]++
				break
			}
		}
	}
	var short, declared []string
	for i, pc := range permitClasses {
		n := pc.declared(cm)
		if n > 0 {
			declared = append(declared, fmt.Sprintf("%s %d 项", pc.name, n))
		}
		if counts[i] < n {
			short = append(short, fmt.Sprintf("%s 承诺 %d 项、作业票 %d 张", pc.name, n, counts[i]))
		}
	}
	if len(short) == 0 {
		t.close(c, PermitsShort, subject, now, ch)
		return
	}
	detail := fmt.Sprintf("%s 安全承诺申报%s，作业票缺失或不足：%s", day, strings.Join(declared, "、"), strings.Join(short, "；"))
	evidence := func() []Evidence {
		out := []Evidence{{Table: events.TableCommitments, Key: cm.ID, At: cm.At,
			Note: fmt.Sprintf("承诺特殊/一级/二级动火 %d/%d/%d，受限空间 %d，其他 %d", cm.HotWorkSpecial, cm.HotWork1,
				cm.HotWork2, cm.ConfinedSpace, cm.OtherSpecialOps)}}
		if len(ids) == 0 {
			return append(out, Evidence{Table: events.TableSpecialOperations, At: dayStart(day), Absent: true,
				Note: "当日未收到任何作业票"})
		}
		for _, id := range ids {
			out = append(out, Evidence{Table: events.TableSpecialOperations, Key: id, At: now,
				Note: "作业票，作业类型 " + c.permits[day][id]})
		}
		return out
	}
	if open {
		if f.Detail == detail {
			return
		}
		f.Detail, f.Evidence, f.Count = detail, f.Evidence[:0], 0
		for _, ev := range evidence() {
			f.addEvidence(ev)
		}
		*ch = append(*ch, Change{Kind: FactUpdated, Fact: snap(f)})
		return
	}
	evs := evidence()
	start := dayStart(day).Add(t.cfg.Limits.CommitmentDue)
	f, _ = t.open(c, PermitsShort, subject, start, evs[0], detail, ch)
	f.Day = day
	for _, ev := range evs[1:] {
		f.addEvidence(ev)
	}
	(*ch)[len(*ch)-1].Fact = snap(f)
}

// alarmDevices checks what a video alarm names against what the company registered:
// its VIDEO_CODE in 视频监控信息 (not registered at all, or registered by another
// company — the channel is not this company's) and its DEVICE_CODE in 视频智能分析设备
// 基础信息 (表2). Each is a fact with the alarm as evidence; it closes when the
// company registers the channel or device.
func (t *Tracker) alarmDevices(c *company, a events.CompanyAlarm, table string, now time.Time, ch *[]Change) {
	if a.Where != "" {
		if cam, ok := c.cameras[a.Where]; !ok || cam.Deleted {
			if owner := t.cameraOwner(a.Where, c.code); owner != "" {
				t.occur(c, CameraForeign, a.Where, "", now, Evidence{Table: table, Key: a.ID, At: a.At,
					Note: fmt.Sprintf("报警视频通道 %s；视频监控信息中登记于企业 %s", a.Where, owner)},
					fmt.Sprintf("报警使用的视频通道 %s 是企业 %s 登记的通道，不是本企业的", a.Where, owner), ch)
			} else {
				t.occur(c, CameraUnregistered, a.Where, "", now, Evidence{Table: table, Key: a.ID, At: a.At,
					Note: "报警视频通道 " + a.Where},
					fmt.Sprintf("报警使用的视频通道 %s 未在视频监控信息中登记", a.Where), ch)
			}
		}
	}
	if a.Device != "" && !c.registered[a.Device] {
		t.occur(c, DeviceUnregistered, a.Device, "", now, Evidence{Table: table, Key: a.ID, At: a.At,
			Note: "报警视频智能分析设备 " + a.Device},
			fmt.Sprintf("报警使用的视频智能分析设备 %s 未在视频智能分析设备基础信息（表2）中登记", a.Device), ch)
	}
}

// cameraOwner returns the other company that registered the camera code (not
// deleted), or "". Only alarms on a channel the company itself did not register
// come here, so the scan over companies is rare.
func (t *Tracker) cameraOwner(code, self string) string {
	var owners []string
	for other, oc := range t.cos {
		if other == self {
			continue
		}
		if cam, ok := oc.cameras[code]; ok && !cam.Deleted {
			owners = append(owners, other)
		}
	}
	sort.Strings(owners)
	return strings.Join(owners, "、")
}
