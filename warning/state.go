package warning

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/statebin"
)

// stateVersion is the layout version of a marshalled State.
const stateVersion = 1

// State is all the engine remembers, by company. It marshals to JSON (MarshalState)
// so that a consumer can snapshot it with its Kafka offsets and resume after a restart.
type State struct {
	Version   int                      `json:"version"`
	Companies map[string]*CompanyState `json:"companies"`
}

// CompanyState is one company's share of the State. Its maps are never nil (they
// marshal as {} so that they come back as maps).
type CompanyState struct {
	Indicators  map[string]*IndicatorState     `json:"indicators"`
	Hazards     map[string]events.HazardSource `json:"hazards"`
	Alarms      map[string]*Alarm              `json:"alarms"` // company-sent, by source:ID
	Operations  map[string]events.Operation    `json:"operations"`
	Commitments map[string]events.Commitment   `json:"commitments"` // by COMMIT_DATE yyyy-mm-dd
	Dangers     map[string]events.HiddenDanger `json:"dangers"`
	Devices     map[string]events.DeviceStatus `json:"devices"`
	// Cameras are the company's 视频监控信息 by VIDEO_CODE: where a video alarm is.
	Cameras  map[string]events.Camera `json:"cameras"`
	Warnings map[string]*Warning      `json:"warnings"` // open warnings, by model key
	// Settled holds, by model key, the level at which the last warning was settled: a
	// new warning is raised only above it, or after the model has once seen no risk.
	Settled map[string]Level `json:"settled"`
	// Type is the company's ENTERPRISE_TYPE from its latest 企业信息, "" until one
	// arrives.
	Type string `json:"type,omitempty"`

	// majors are the deadlines of the open 重大隐患 among Dangers, by ID, made
	// from Dangers when first needed (so not stored) and kept with it by setDanger
	// and dropDanger: the enterprise model is assessed at every event and counts only
	// those, where a company's 隐患 are thousands.
	majors map[string]time.Time
	// majorsDue is the earliest deadline in majors while majorsDueKnown: until now
	// passes it no 重大隐患 is overdue, and overdueMajors answers without walking
	// majors. A company's open 重大隐患 may be hundreds, and an unpaced 隐患 load
	// spent 8 % of the served process's CPU walking them at every event.
	majorsDue      time.Time
	majorsDueKnown bool
	// freshKeys keep the order MarshalFresh last wrote Indicators and Devices in.
	freshKeys struct{ indicators, devices statebin.Keys }
	// headChanged marks the company's head (MarshalHead: everything but the open
	// 隐患, the indicators and the devices) changed since it was last stored or
	// loaded; the engine sets it where it changes the head (HeadChanged).
	headChanged bool
	// index is the enterprise model's index of the points it counts (points.go), made
	// from Indicators and Devices when first needed (so not stored).
	index *pointIndex
}

// openMajor reports whether 隐患 d counts for 重大隐患逾期 once past its deadline.
func openMajor(d events.HiddenDanger) bool {
	return d.Major && !d.Accepted && !d.Deleted && !d.Deadline.IsZero()
}

// setDanger keeps 隐患 d, in place of any earlier version.
func (c *CompanyState) setDanger(d events.HiddenDanger) {
	c.Dangers[d.ID] = d
	if c.majors == nil {
		return
	}
	c.forgetMajor(d.ID)
	if openMajor(d) {
		c.majors[d.ID] = d.Deadline
		if c.majorsDueKnown && (len(c.majors) == 1 || d.Deadline.Before(c.majorsDue)) {
			c.majorsDue = d.Deadline
		}
	}
}

// dropDanger forgets 隐患 id.
func (c *CompanyState) dropDanger(id string) {
	delete(c.Dangers, id)
	c.forgetMajor(id)
}

// forgetMajor takes 隐患 id out of majors; majorsDue is found again when it was
// id's deadline.
func (c *CompanyState) forgetMajor(id string) {
	if deadline, ok := c.majors[id]; ok {
		delete(c.majors, id)
		if deadline.Equal(c.majorsDue) {
			c.majorsDueKnown = false
		}
	}
}

// overdueMajors returns the IDs of the open 重大隐患 past their deadline at now.
func (c *CompanyState) overdueMajors(now time.Time) []string {
	if c.majors == nil {
		c.majors = map[string]time.Time{}
		for id, d := range c.Dangers {
			if openMajor(d) {
				c.majors[id] = d.Deadline
			}
		}
		c.majorsDueKnown = false
	}
	if !c.majorsDueKnown {
		c.majorsDue = time.Time{}
		for _, deadline := range c.majors {
			if c.majorsDue.IsZero() || deadline.Before(c.majorsDue) {
				c.majorsDue = deadline
			}
		}
		c.majorsDueKnown = true
	}
	if len(c.majors) == 0 || !now.After(c.majorsDue) {
		return nil
	}
	var out []string
	for id, deadline := range c.majors {
		if now.After(deadline) {
			out = append(out, id)
		}
	}
	return out
}

// NewState returns an empty state.
func NewState() *State { return &State{Version: stateVersion, Companies: map[string]*CompanyState{}} }

func newCompanyState() *CompanyState {
	return &CompanyState{Indicators: map[string]*IndicatorState{}, Hazards: map[string]events.HazardSource{},
		Alarms: map[string]*Alarm{}, Operations: map[string]events.Operation{}, Commitments: map[string]events.Commitment{},
		Dangers: map[string]events.HiddenDanger{}, Devices: map[string]events.DeviceStatus{}, Cameras: map[string]events.Camera{}, Warnings: map[string]*Warning{},
		Settled: map[string]Level{}}
}

// watched reports whether the models have anything of the company to judge: a
// company known only by its 企业信息 (its kind) is not assessed — no 10:00
// commitment warning for a company that has sent nothing the models watch.
func (c *CompanyState) watched() bool {
	return len(c.Indicators)+len(c.Hazards)+len(c.Alarms)+len(c.Operations)+len(c.Commitments)+
		len(c.Dangers)+len(c.Devices)+len(c.Warnings)+len(c.Settled) > 0
}

// company returns the company's state, creating it.
func (s *State) company(code string) *CompanyState {
	c, ok := s.Companies[code]
	if !ok {
		c = newCompanyState()
		c.headChanged = true
		s.Companies[code] = c
	}
	return c
}

// MarshalState writes the state as JSON.
func MarshalState(s *State) ([]byte, error) { return json.Marshal(s) }

// UnmarshalState reads a state written by MarshalState, or the head of one written
// by MarshalHead (its open 隐患 and indicators are then empty: RestoreItems adds
// them).
func UnmarshalState(b []byte) (*State, error) {
	s := NewState()
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("warning: read state: %w", err)
	}
	switch s.Version {
	case stateVersion, headVersionIndicators, headVersion:
	default:
		return nil, fmt.Errorf("warning: read state: layout version %d, want %d, %d or %d", s.Version,
			stateVersion, headVersionIndicators, headVersion)
	}
	for code, c := range s.Companies {
		if c == nil {
			s.Companies[code] = newCompanyState()
			continue
		}
		if c.Cameras == nil { // a snapshot from before cameras were kept
			c.Cameras = map[string]events.Camera{}
		}
		if c.Dangers == nil { // a head (MarshalHead): the open 隐患 are items
			c.Dangers = map[string]events.HiddenDanger{}
		}
		if c.Devices == nil { // a head (MarshalHead): the devices are in the fresh part
			c.Devices = map[string]events.DeviceStatus{}
		}
		if c.Indicators == nil { // a head of version 3: the indicators are items
			c.Indicators = map[string]*IndicatorState{}
		}
	}
	return s, nil
}
