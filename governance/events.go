package governance

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Event is one input of the Tracker. Besides the types of this file it takes the
// records both engines decode (events.Reading, events.IndicatorDef,
// events.HazardSource, events.Commitment, events.Operation, events.CompanyAlarm,
// events.DeviceStatus); the engine's changes go through ApplyAlarm and ApplyWarning.
type Event = events.Event

// Upload is one exchange batch a company's system sent, with the count of records
// accepted and rejected by rule (validate.Rule names). The ingest node knows it per
// HTTP batch; it drives online status, upload frequency and the rejected share.
type Upload struct {
	Company  string         `json:"company"`
	Table    string         `json:"table"` // exchange slug
	Accepted int            `json:"accepted"`
	Rejected map[string]int `json:"rejected,omitempty"` // by rule
}

// CompanyCode implements Event.
func (u Upload) CompanyCode() string { return u.Company }

// Camera is one 视频监控信息 record.
type Camera struct {
	Company   string `json:"company"`
	VideoCode string `json:"video_code"`
	Hazard    string `json:"hazard,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (c Camera) CompanyCode() string { return c.Company }

// Location is the coordinates a base record gives for the company (企业信息) or one
// of its hazard sources; nil when the record leaves them out.
type Location struct {
	Company string   `json:"company"`
	Table   string   `json:"table"`             // enterprise-info or hazard-sources
	Subject string   `json:"subject,omitempty"` // HAZARD_CODE; empty for the company itself
	Lon     *float64 `json:"lon,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Deleted bool     `json:"deleted,omitempty"`
}

// CompanyCode implements Event.
func (l Location) CompanyCode() string { return l.Company }

// VideoDevice is one 视频智能分析设备基础信息 record (智能视频 or 加油站 表2): a
// device registered is expected to report its status every 10 minutes from then on.
type VideoDevice struct {
	Company string `json:"company"`
	Code    string `json:"code"` // DEVICE_CODE, as its status reports name it
}

// CompanyCode implements Event.
func (d VideoDevice) CompanyCode() string { return d.Company }

// Tables the tracker reads beyond the warning engine's.
const (
	TableCameras                = "cameras"
	TableEnterpriseInfo         = "enterprise-info"
	TableVideoDevices           = "video-devices"
	TableGasStationVideoDevices = "gas-station-video-devices"
	TableGasStationDeviceStatus = "gas-station-video-device-status"
)

// ErrIgnoredTable is returned by Decode for a table governance does not read
// record by record (its uploads still count, through Upload).
var ErrIgnoredTable = errors.New("governance: table not read record by record")

// Decode turns one accepted exchange record into the tracker's events: the warning
// engine's decoding, plus cameras and the coordinates of companies and hazard
// sources. company is the envelope's company.
func Decode(table, company string, record []byte) ([]Event, error) {
	switch table {
	case TableCameras:
		var r struct {
			Video   string `json:"VIDEO_CODE"`
			Company string `json:"COMPANY_CODE"`
			Hazard  string `json:"HAZARD_CODE"`
			Deleted string `json:"DELETED"`
		}
		if err := json.Unmarshal(record, &r); err != nil {
			return nil, fmt.Errorf("governance: decode %s: %w", table, err)
		}
		return []Event{Camera{Company: or(r.Company, company), VideoCode: r.Video, Hazard: r.Hazard,
			Deleted: r.Deleted == schemas.DeletedYes}}, nil
	case TableEnterpriseInfo:
		l, err := decodeLocation(table, company, "", record)
		if err != nil {
			return nil, err
		}
		return []Event{l}, nil
	case TableVideoDevices, TableGasStationVideoDevices:
		var r struct {
			Code    string `json:"DEVICE_CODE"`
			Company string `json:"COMPANY_CODE"`
		}
		if err := json.Unmarshal(record, &r); err != nil {
			return nil, fmt.Errorf("governance: decode %s: %w", table, err)
		}
		return []Event{VideoDevice{Company: or(r.Company, company), Code: r.Code}}, nil
	case TableGasStationDeviceStatus:
		table = events.TableVideoDeviceStatus // the same record as 智能视频 表3
	}
	ev, err := events.Decode(table, company, record)
	if errors.Is(err, events.ErrIgnoredTable) {
		return nil, ErrIgnoredTable
	}
	if err != nil {
		return nil, fmt.Errorf("governance: %w", err)
	}
	out := []Event{ev}
	if h, ok := ev.(events.HazardSource); ok {
		l, err := decodeLocation(table, h.Company, h.Code, record)
		if err != nil {
			return nil, err
		}
		l.Deleted = h.Deleted
		out = append(out, l)
	}
	return out, nil
}

// Tables returns the exchange slugs Decode reads, sorted.
func Tables() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append(events.Tables(), TableCameras, TableEnterpriseInfo, TableVideoDevices,
		TableGasStationVideoDevices, TableGasStationDeviceStatus) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func decodeLocation(table, company, subject string, record []byte) (Location, error) {
	var r struct {
		Company string         `json:"COMPANY_CODE"`
		Lon     schemas.Number `json:"LONGITUDE"`
		Lat     schemas.Number `json:"LATITUDE"`
		Deleted string         `json:"DELETED"`
	}
	if err := json.Unmarshal(record, &r); err != nil {
		return Location{}, fmt.Errorf("governance: decode %s: %w", table, err)
	}
	l := Location{Company: or(r.Company, company), Table: table, Subject: subject,
		Deleted: r.Deleted == schemas.DeletedYes}
	for _, f := range []struct {
		n   schemas.Number
		dst **float64
	}{{r.Lon, &l.Lon}, {r.Lat, &l.Lat}} {
		if f.n == "" {
			continue
		}
		v, err := strconv.ParseFloat(string(f.n), 64)
		if err != nil {
			return Location{}, fmt.Errorf("governance: decode %s: coordinate %q: %w", table, f.n, err)
		}
		*f.dst = &v
	}
	return l, nil
}

func or(own, sender string) string {
	if own != "" {
		return own
	}
	return sender
}
