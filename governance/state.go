package governance

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shandong-emergency/chemguard/events"
)

// stateVersion is the layout version of a marshalled tracker state.
const stateVersion = 1

// The JSON form of a tracker's memory. Open facts are stored as facts; everything
// else as it is held.
type stateJSON struct {
	Version   int                     `json:"version"`
	Companies map[string]*companyJSON `json:"companies"`
}

type companyJSON struct {
	Checked     time.Time                      `json:"checked,omitzero"`
	LastUpload  time.Time                      `json:"last_upload,omitzero"`
	Tables      map[string]time.Time           `json:"tables"`
	LastReading time.Time                      `json:"last_reading,omitzero"`
	Indicators  map[string]indicatorJSON       `json:"indicators"`
	Hazards     map[string]events.HazardSource `json:"hazards"`
	Cameras     map[string]Camera              `json:"cameras"`
	Locations   map[string]Location            `json:"locations"`
	Devices     map[string]deviceJSON          `json:"devices"`
	Commitments map[string]events.Commitment   `json:"commitments"`
	HotWork     map[string][]string            `json:"hot_work"`
	Permits     map[string]map[string]string   `json:"permits,omitempty"`
	Registered  []string                       `json:"registered_devices,omitempty"`
	Alarms      map[string]alarmJSON           `json:"alarms"`
	Batches     map[string]batchJSON           `json:"batches"`
	Pending     []pendingJSON                  `json:"pending"`
	Open        []Fact                         `json:"open"`
	BaseDirty   bool                           `json:"base_dirty,omitempty"`
	Chain       *chainState                    `json:"chain,omitempty"`
	Kind        string                         `json:"kind,omitempty"`
}

type indicatorJSON struct {
	Def       events.IndicatorDef `json:"def"`
	Defined   time.Time           `json:"defined,omitzero"`
	LastSeen  time.Time           `json:"last_seen,omitzero"`
	LastAt    time.Time           `json:"last_at,omitzero"`
	Last      float64             `json:"last"`
	Same      int                 `json:"same"`
	SameSince time.Time           `json:"same_since,omitzero"`
	Day       string              `json:"day,omitempty"`
	Min       float64             `json:"min"`
	Max       float64             `json:"max"`
}

type deviceJSON struct {
	Last   time.Time `json:"last"`
	Normal bool      `json:"normal"`
}

type alarmJSON struct {
	Source string    `json:"source"`
	ID     string    `json:"id"`
	Table  string    `json:"table"`
	At     time.Time `json:"at"`
}

type batchJSON struct {
	Total    int            `json:"total"`
	Rejected map[string]int `json:"rejected"`
}

type pendingJSON struct {
	Kind    Kind      `json:"kind"`
	Subject string    `json:"subject"`
	Since   time.Time `json:"since"`
}

// MarshalState writes the tracker's memory as JSON, so that a consumer can snapshot
// it with its offsets and resume after a restart (Restore).
func (t *Tracker) MarshalState() ([]byte, error) {
	s := stateJSON{Version: stateVersion, Companies: map[string]*companyJSON{}}
	for code, c := range t.cos {
		s.Companies[code] = t.marshalCompany(c, true)
	}
	return json.Marshal(s)
}

// marshalCompany is the JSON form of a company's memory; without its items (open
// facts, pending conditions, the 双重预防 records) and its fresh part (MarshalFresh)
// when items is false: the head.
func (t *Tracker) marshalCompany(c *company, items bool) *companyJSON {
	j := &companyJSON{Checked: c.checked, Indicators: make(map[string]indicatorJSON, len(c.indicators)),
		Hazards: c.hazards, Cameras: c.cameras, Locations: c.locations, Devices: map[string]deviceJSON{},
		Commitments: c.commitments, HotWork: map[string][]string{}, Alarms: map[string]alarmJSON{},
		Batches: map[string]batchJSON{}, Pending: []pendingJSON{}, Open: []Fact{}, BaseDirty: c.baseDirty,
		Chain: c.chain, Kind: c.kind, Permits: c.permits, Registered: sortedKeys(c.registered)}
	for day, ids := range c.hotWork {
		j.HotWork[day] = sortedKeys(ids)
	}
	for k, a := range c.alarms {
		j.Alarms[k] = alarmJSON{Source: a.source, ID: a.id, Table: a.table, At: a.at}
	}
	if !items {
		// What changes with nearly every record is in the fresh part (MarshalFresh).
		for k, i := range c.indicators {
			j.Indicators[k] = indicatorJSON{Def: i.def, Defined: i.defined}
		}
		if c.chain != nil {
			j.Chain = &chainState{} // the chain was started; its records are items
		}
		return j
	}
	j.LastUpload, j.Tables, j.LastReading = c.lastUpload, c.tables, c.lastReading
	for k, i := range c.indicators {
		j.Indicators[k] = indicatorJSON{Def: i.def, Defined: i.defined, LastSeen: i.lastSeen, LastAt: i.lastAt,
			Last: i.last, Same: i.same, SameSince: i.sameSince, Day: i.day, Min: i.min, Max: i.max}
	}
	for k, d := range c.devices {
		j.Devices[k] = deviceJSON{Last: d.last, Normal: d.normal}
	}
	for k, b := range c.batches {
		j.Batches[k] = batchJSON{Total: b.total, Rejected: b.rejected}
	}
	for k, since := range c.pending {
		j.Pending = append(j.Pending, pendingJSON{Kind: k.family, Subject: k.subject, Since: since})
	}
	sort.Slice(j.Pending, func(a, b int) bool {
		return string(j.Pending[a].Kind)+"|"+j.Pending[a].Subject < string(j.Pending[b].Kind)+"|"+j.Pending[b].Subject
	})
	j.Open = t.OpenFacts(c.code)
	return j
}

// Restore returns a tracker with cfg and the memory written by MarshalState.
func Restore(cfg Config, b []byte) (*Tracker, error) {
	t, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var s stateJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("governance: read state: %w", err)
	}
	if s.Version != stateVersion && s.Version != headVersion {
		return nil, fmt.Errorf("governance: read state: layout version %d, want %d or %d", s.Version, stateVersion, headVersion)
	}
	for code, j := range s.Companies {
		c := t.company(code)
		if j == nil {
			continue
		}
		c.checked, c.lastUpload, c.lastReading, c.baseDirty = j.Checked, j.LastUpload, j.LastReading, j.BaseDirty
		c.chain, c.kind = j.Chain, j.Kind
		if c.chain != nil {
			c.chain.fill()
		}
		copyMap(c.tables, j.Tables)
		copyMap(c.hazards, j.Hazards)
		copyMap(c.cameras, j.Cameras)
		copyMap(c.locations, j.Locations)
		copyMap(c.commitments, j.Commitments)
		for k, i := range j.Indicators {
			c.indicators[k] = &indicator{def: i.Def, defined: i.Defined, lastSeen: i.LastSeen, lastAt: i.LastAt,
				last: i.Last, same: i.Same, sameSince: i.SameSince, day: i.Day, min: i.Min, max: i.Max}
		}
		for k, d := range j.Devices {
			c.devices[k] = &device{last: d.Last, normal: d.Normal}
		}
		for day, ids := range j.Permits {
			c.permits[day] = map[string]string{}
			copyMap(c.permits[day], ids)
		}
		for _, code := range j.Registered {
			c.registered[code] = true
		}
		for day, ids := range j.HotWork {
			c.hotWork[day] = map[string]bool{}
			for _, id := range ids {
				c.hotWork[day][id] = true
			}
		}
		for k, a := range j.Alarms {
			c.alarms[k] = raisedAlarm{source: a.Source, id: a.ID, table: a.Table, at: a.At}
		}
		for k, b := range j.Batches {
			bc := &batchCount{total: b.Total, rejected: map[string]int{}}
			copyMap(bc.rejected, b.Rejected)
			c.batches[k] = bc
		}
		for _, p := range j.Pending {
			c.pending[factKey{p.Kind, p.Subject}] = p.Since
		}
		for _, f := range j.Open {
			f := f
			c.open[key(f.Kind, f.Subject)] = &f
		}
	}
	t.HeadStored() // what was just read is what is stored
	return t, nil
}

func copyMap[V any](dst, src map[string]V) {
	for k, v := range src {
		dst[k] = v
	}
}
