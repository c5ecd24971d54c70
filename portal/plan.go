package portal

import (
	"sort"
	"strings"

	"github.com/shandong-emergency/chemguard/readmodel"
)

// PlanPoint is a monitored point on the company's plan: its name, latest state and
// trend link.
type PlanPoint struct {
	Code, Name, Area string
	State            string // readmodel.Reading.Level: 正常, 高报 …, 无数据
	Value, Unit      string
}

// Alarming reports whether the point is past a threshold now.
func (p PlanPoint) Alarming() bool { return p.State != "正常" && p.State != "无数据" }

// PlanUnit is one hazard source (重大危险源/储存单元) on the plan with its points.
type PlanUnit struct {
	Code, Name, Kind, Grade string
	Points                  []PlanPoint
	Alarms                  int
}

// PlanPlace is a place of the plant with its cameras (视频监控信息 PLACE).
type PlanPlace struct {
	Place   string
	Cameras []string
}

// Plan is 企业一张图's schematic of the plant, drawn from what the company
// registered: its hazard sources as blocks holding their monitored points (by
// area), points that name no registered hazard source, and the cameras by place.
// It is a schematic, not a survey drawing: the exchange tables carry no plant
// coordinates except the company's own position.
type Plan struct {
	Units    []PlanUnit
	Loose    []PlanPoint
	Places   []PlanPlace
	Lon, Lat string // 企业信息 LONGITUDE/LATITUDE, "" when not sent
}

// planOf lays the plant out from the company's detail.
func planOf(d *readmodel.Detail) Plan {
	var p Plan
	index := map[string]int{}
	for _, h := range d.HazardSources {
		code := str(h["HAZARD_CODE"])
		if _, dup := index[code]; dup || code == "" {
			continue
		}
		index[code] = len(p.Units)
		p.Units = append(p.Units, PlanUnit{Code: code, Name: str(h["HAZARD_NAME"]), Kind: str(h["HAZARD_KIND"]), Grade: str(h["HAZARD_GRADE"])})
	}
	for _, r := range d.Readings {
		pt := PlanPoint{Code: str(r.Indicator["INDICATOR_CODE"]), Name: str(r.Indicator["INDICATOR_NAME"]),
			Area: str(r.Indicator["AREA"]), State: r.Level(), Unit: str(r.Indicator["UNIT"])}
		if r.Latest != nil {
			pt.Value = str(r.Latest["VALUE"])
		}
		i, ok := index[str(r.Indicator["HAZARD_CODE"])]
		if !ok && pt.Area != "" {
			// A point of a hazard source not (yet) registered: drawn in a block of its
			// AREA, so the plant still reads by area.
			key := "area:" + pt.Area
			if i, ok = index[key]; !ok {
				i, ok = len(p.Units), true
				index[key] = i
				p.Units = append(p.Units, PlanUnit{Name: pt.Area, Kind: ""})
			}
		}
		if !ok {
			p.Loose = append(p.Loose, pt)
			continue
		}
		p.Units[i].Points = append(p.Units[i].Points, pt)
		if pt.Alarming() {
			p.Units[i].Alarms++
		}
	}
	// Units with points first (the monitored ones), then by code.
	sort.SliceStable(p.Units, func(i, j int) bool {
		return len(p.Units[i].Points) > 0 && len(p.Units[j].Points) == 0
	})
	places := map[string]int{}
	for _, c := range d.Cameras {
		place := strings.TrimSpace(str(c["PLACE"]))
		if place == "" {
			place = "未注明位置"
		}
		i, ok := places[place]
		if !ok {
			i = len(p.Places)
			places[place] = i
			p.Places = append(p.Places, PlanPlace{Place: place})
		}
		p.Places[i].Cameras = append(p.Places[i].Cameras, str(c["CAMERA_NAME"]))
	}
	if d.Info != nil {
		p.Lon, p.Lat = str(d.Info["LONGITUDE"]), str(d.Info["LATITUDE"])
	}
	return p
}
