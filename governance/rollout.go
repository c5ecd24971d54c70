package governance

import (
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
)

// System is one of the six information systems the seed's 正文 二 asks companies to
// build (推广应用), with the exchange tables that show it connected.
type System struct {
	Key    string // fixed name, usable in URLs and Excel
	NameZH string
	// Group is the schemas group of its exchange tables ("" for 全要素, which the seed
	// gives no exchange table: its connection is what the county declares at 验收).
	Group string
	// Owed are the tables a connected system sends whatever happens (base data,
	// the checks done every cycle, device status every 10 minutes): a company that
	// owes the system and never sent one of them is flagged (table_never_sent).
	// Tables sent only when something happens (an alarm, a special operation, a
	// hidden danger) are not owed: their absence proves nothing.
	Owed []string
	// ForStations: the system is owed by gas stations (加油站, annex 7) instead of
	// by the hazardous-chemical companies (生产, 经营 with storage, 使用 — annexes 2–6).
	ForStations bool
}

// Systems are the six systems in the seed's order (正文 二（二）–（七）).
var Systems = []System{
	{Key: "dual-prevention", NameZH: "双重预防机制信息化", Group: "双重预防",
		Owed: []string{TableRiskUnits, TableRiskEvents, TableControlMeasures, TableCheckTasks, TableCheckRecords}},
	{Key: "special-operations", NameZH: "特殊作业全过程信息化管理", Group: "特殊作业"},
	{Key: "positioning", NameZH: "人员自动定位", Group: "人员定位"},
	{Key: "video", NameZH: "智能视频监控", Group: "智能视频",
		Owed: []string{TableVideoDevices, "video-device-status"}},
	{Key: "all-elements", NameZH: "安全生产全要素管理信息化"},
	{Key: "gas-station-video", NameZH: "加油站智能视频监控", Group: "加油站", ForStations: true,
		Owed: []string{TableGasStationVideoDevices, TableGasStationDeviceStatus}},
}

// KindGasStation is the registry's kind of a gas station (enterprises.kind).
const KindGasStation = "加油站"

// Owes reports whether a company registered as kind must build system s. The
// annexes 2–6 apply to 生产, 经营（带储存设施） and 使用 companies, annex 7 to gas
// stations; a company whose kind is not registered owes nothing the platform could
// hold against it (the registry must say what it is first).
func (s System) Owes(kind string) bool {
	switch kind {
	case "生产", "经营", "使用":
		return !s.ForStations
	case KindGasStation:
		return s.ForStations
	}
	return false
}

// Tables are the exchange slugs of the system's group, in the registry's order.
func (s System) Tables() []string {
	if s.Group == "" {
		return nil
	}
	var out []string
	for _, t := range schemas.Tables() {
		if t.Group == s.Group {
			out = append(out, t.Slug)
		}
	}
	return out
}

// SystemByKey returns the system with the key.
func SystemByKey(key string) (System, bool) {
	for _, s := range Systems {
		if s.Key == key {
			return s, true
		}
	}
	return System{}, false
}

// OwedTables are the tables a company of kind must send at least once, in Systems'
// order.
func OwedTables(kind string) []string {
	var out []string
	for _, s := range Systems {
		if s.Owes(kind) {
			out = append(out, s.Owed...)
		}
	}
	return out
}

// SetKind tells the tracker what the registry says company code is (enterprises.kind):
// it decides the tables the company owes (OwedTables).
func (t *Tracker) SetKind(code, kind string) {
	if c := t.company(code); c.kind != kind {
		c.kind = kind
		c.headChanged = true
	}
}

// neverSent opens table_never_sent for each table the company owes and has never
// sent, once never_sent_after has passed since the platform first checked it (the
// time a new company gets to connect). The fact starts when that time ran out; the
// first record of the table closes it (upload).
func (t *Tracker) neverSent(c *company, now time.Time, ch *[]Change) {
	owed := OwedTables(c.kind)
	if len(owed) == 0 || c.checked.IsZero() {
		return
	}
	l := t.cfg.Limits
	due := c.checked.Add(l.NeverSentAfter)
	if t.intake.Silence(c.checked, now) <= l.NeverSentAfter {
		return
	}
	for _, table := range owed {
		if _, sent := c.tables[table]; sent {
			continue
		}
		tb, _ := schemas.TableBySlug(table)
		t.open(c, TableNeverSent, table, due, Evidence{Table: table, At: c.checked, Absent: true,
			Note: fmt.Sprintf("企业类型 %s 应上传；平台自 %s 起从未收到", c.kind, fmtTime(c.checked))},
			fmt.Sprintf("%s（%s）应上传%s（%s），自 %s 接入平台起从未上传（限值 %s）", c.code, c.kind, tb.NameZH,
				table, fmtTime(c.checked), l.NeverSentAfter), ch)
	}
}
