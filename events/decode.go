package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Tables the engine consumes, by exchange slug.
const (
	TableIndicators        = "indicators"
	TableSensorReadings    = "sensor-readings"
	TableHazardSources     = "hazard-sources"
	TableCommitments       = "commitments"
	TableSpecialOperations = "special-operations"
	TableVideoAlarms       = "video-alarms"
	TableGasStationAlarms  = "gas-station-video-alarms"
	TablePositioningAlarms = "positioning-alarms"
	TableHiddenDangers     = "hidden-dangers"
	TableVideoDeviceStatus = "video-device-status"
	TableEnterpriseInfo    = "enterprise-info"
	TableCameras           = "cameras"
)

// ErrIgnoredTable is returned by Decode for a table the engine does not consume; a
// consumer skips such records.
var ErrIgnoredTable = errors.New("warning: table not used by the warning engine")

// Decode turns one accepted exchange record (the `record` of an ingest envelope) into
// the engine's event. company is the envelope's company: tables without COMPANY_CODE
// (readings, alarms, hidden dangers, device status) belong to the sender. It returns
// ErrIgnoredTable for tables the engine does not consume, and a wrapped error for a
// record it cannot read (which validation should have refused).
func Decode(table, company string, record []byte) (Event, error) {
	dec, ok := decoders[table]
	if !ok {
		return nil, ErrIgnoredTable
	}
	ev, err := dec(company, record)
	if err != nil {
		return nil, fmt.Errorf("warning: decode %s: %w", table, err)
	}
	return ev, nil
}

// Tables returns the exchange slugs Decode consumes, sorted: a consumer subscribes to
// their topics and nothing else.
func Tables() []string {
	out := make([]string, 0, len(decoders))
	for t := range decoders {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// decoders read each table's record into the engine's event. The master-data
// tables (indicators, hazard sources, cameras, commitments) are read into
// schemas' own record types, so their field names are declared once. The
// event tables are read into a struct of the few fields the engine uses, by
// readRecord: they come by the thousand a second (both engines decode each one),
// and some carry a file (作业票证, 报警图片) of megabytes of base64 the engine has
// no use for.
var decoders = map[string]func(company string, rec []byte) (Event, error){
	TableIndicators:        decodeIndicator,
	TableSensorReadings:    decodeReading,
	TableHazardSources:     decodeHazard,
	TableCommitments:       decodeCommitment,
	TableSpecialOperations: decodeOperation,
	TableVideoAlarms:       decodeVideoAlarm(SourceVideo, "1", "2"),
	TableGasStationAlarms:  decodeVideoAlarm(SourceGasStation, "10", "11"),
	TablePositioningAlarms: decodePositioningAlarm,
	TableHiddenDangers:     decodeHiddenDanger,
	TableVideoDeviceStatus: decodeDeviceStatus,
	TableEnterpriseInfo:    decodeEnterprise,
	TableCameras:           decodeCamera,
}

func decodeCamera(company string, rec []byte) (Event, error) {
	var r schemas.Camera
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, err
	}
	return Camera{Company: orCompany(r.CompanyCode, company), VideoCode: r.VideoCode, Name: r.CameraName, Place: r.Place,
		Hazard: r.HazardCode, Deleted: r.Deleted == schemas.DeletedYes}, nil
}

func decodeEnterprise(company string, rec []byte) (Event, error) {
	var r struct {
		Company string `json:"COMPANY_CODE"`
		Type    string `json:"ENTERPRISE_TYPE"`
	}
	if err := readRecord(rec, &r, recordField{key: "COMPANY_CODE", str: &r.Company},
		recordField{key: "ENTERPRISE_TYPE", str: &r.Type}); err != nil {
		return nil, err
	}
	return Enterprise{Company: orCompany(r.Company, company), Type: r.Type}, nil
}

// orCompany prefers the record's own COMPANY_CODE over the sender's.
func orCompany(own, sender string) string {
	if own != "" {
		return own
	}
	return sender
}

// float reads an optional decimal; nil when absent.
func float(n schemas.Number) (*float64, error) {
	if n == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// count reads an optional whole number; 0 when absent.
func count(n schemas.Number) (int, error) {
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(string(n), 64)
	return int(v), err
}

// into is a number of a record and the field it is read into.
type into[T any] struct {
	n   schemas.Number
	dst *T
}

// parseInto reads every number into its field with parse, stopping at the first
// error.
func parseInto[T any](parse func(schemas.Number) (T, error), fields []into[T]) error {
	for _, f := range fields {
		v, err := parse(f.n)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}

func decodeIndicator(company string, rec []byte) (Event, error) {
	var r schemas.Indicator
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, err
	}
	d := IndicatorDef{Code: r.IndicatorCode, Company: orCompany(r.CompanyCode, company), Hazard: r.HazardCode,
		Name: r.IndicatorName, Kind: IndicatorKind(r.IndicatorKind), Unit: r.Unit, Area: r.Area,
		Deleted: r.Deleted == schemas.DeletedYes}
	if err := parseInto(float, []into[*float64]{{r.RangeLow, &d.RangeLow}, {r.RangeHigh, &d.RangeHigh},
		{r.LowLow, &d.Thresholds.LowLow}, {r.Low, &d.Thresholds.Low}, {r.High, &d.Thresholds.High},
		{r.HighHigh, &d.Thresholds.HighHigh}}); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeReading(company string, rec []byte) (Event, error) {
	var r struct {
		Indicator string           `json:"INDICATOR_CODE"`
		Company   string           `json:"COMPANY_CODE"`
		Value     schemas.Number   `json:"VALUE"`
		At        schemas.DateTime `json:"COLLECT_TIME"`
	}
	if err := readRecord(rec, &r, recordField{key: "INDICATOR_CODE", str: &r.Indicator},
		recordField{key: "COMPANY_CODE", str: &r.Company}, recordField{key: "VALUE", num: &r.Value},
		recordField{key: "COLLECT_TIME", at: &r.At}); err != nil {
		return nil, err
	}
	v, err := float(r.Value)
	if err != nil || v == nil {
		return nil, fmt.Errorf("VALUE %q: not a number", r.Value)
	}
	return Reading{Company: orCompany(r.Company, company), Indicator: r.Indicator, Value: *v, At: r.At.Time}, nil
}

func decodeHazard(company string, rec []byte) (Event, error) {
	var r schemas.HazardSource
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, err
	}
	grade, err := strconv.Atoi(r.HazardGrade)
	if err != nil && r.HazardGrade != "" {
		return nil, fmt.Errorf("HAZARD_GRADE %q: %w", r.HazardGrade, err)
	}
	return HazardSource{Code: r.HazardCode, Company: orCompany(r.CompanyCode, company), Name: r.HazardName,
		Kind: HazardKind(r.HazardKind), Grade: grade, Substances: r.Substances, KeySubstance: r.KeySubstance,
		Deleted: r.Deleted == schemas.DeletedYes}, nil
}

func decodeCommitment(company string, rec []byte) (Event, error) {
	var r schemas.Commitment
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, err
	}
	c := Commitment{ID: r.ID, Company: orCompany(r.CompanyCode, company), Date: r.CommitDate.Time, Person: r.CommitPerson,
		At: r.CommitTime.Time, TrialProduction: r.TrialProduction == schemas.Yes,
		StartupShutdown: r.StartupShutdown == schemas.Yes, MajorHazardOK: r.MajorHazardNormal != schemas.No}
	if err := parseInto(count, []into[int]{{r.UnitsRunning, &c.UnitsRunning}, {r.UnitsStopped, &c.UnitsStopped},
		{r.UnitsMaintenance, &c.UnitsMaintenance}, {r.HotWorkSpecial, &c.HotWorkSpecial},
		{r.HotWork1, &c.HotWork1}, {r.HotWork2, &c.HotWork2}, {r.ConfinedSpace, &c.ConfinedSpace},
		{r.OtherSpecialOps, &c.OtherSpecialOps}}); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeOperation(company string, rec []byte) (Event, error) {
	var r struct {
		ID        string           `json:"ID"`
		Company   string           `json:"COMPANY_CODE"`
		Type      string           `json:"TASK_TYPE"`
		Position  string           `json:"TASK_POSITION"`
		Begin     schemas.DateTime `json:"TASK_BEGIN_TIME"`
		End       schemas.DateTime `json:"TASK_END_TIME"`
		Cancelled string           `json:"IS_CANCELLED"`
	}
	if err := readRecord(rec, &r, recordField{key: "ID", str: &r.ID}, recordField{key: "COMPANY_CODE", str: &r.Company},
		recordField{key: "TASK_TYPE", str: &r.Type}, recordField{key: "TASK_POSITION", str: &r.Position},
		recordField{key: "TASK_BEGIN_TIME", at: &r.Begin}, recordField{key: "TASK_END_TIME", at: &r.End},
		recordField{key: "IS_CANCELLED", str: &r.Cancelled}); err != nil {
		return nil, err
	}
	return Operation{ID: r.ID, Company: orCompany(r.Company, company), Type: r.Type, Position: r.Position,
		Begin: r.Begin.Time, End: r.End.Time, Cancelled: r.Cancelled == schemas.Yes}, nil
}

// decodeVideoAlarm reads 智能视频 or 加油站 表4; fire and smoke are the source's codes
// for 明火 and 烟雾 (the two code spaces differ).
func decodeVideoAlarm(src AlarmSource, fire, smoke string) func(string, []byte) (Event, error) {
	return func(company string, rec []byte) (Event, error) {
		var r struct {
			ID     string           `json:"ALARM_ID"`
			Type   string           `json:"ALARM_TYPE"`
			Status string           `json:"ALARM_STATUS"`
			At     schemas.DateTime `json:"ALARM_TIME"`
			Video  string           `json:"VIDEO_CODE"`
			Device string           `json:"DEVICE_CODE"`
		}
		if err := readRecord(rec, &r, recordField{key: "ALARM_ID", str: &r.ID}, recordField{key: "ALARM_TYPE", str: &r.Type},
			recordField{key: "ALARM_STATUS", str: &r.Status}, recordField{key: "ALARM_TIME", at: &r.At},
			recordField{key: "VIDEO_CODE", str: &r.Video}, recordField{key: "DEVICE_CODE", str: &r.Device}); err != nil {
			return nil, err
		}
		return CompanyAlarm{Company: company, Source: src, ID: r.ID, Type: r.Type, Where: r.Video,
			Raised: r.Status == schemas.VideoAlarmRaised, At: r.At.Time,
			Fire: r.Type == fire, Smoke: r.Type == smoke, Device: r.Device}, nil
	}
}

func decodePositioningAlarm(company string, rec []byte) (Event, error) {
	var r struct {
		ID         string           `json:"id"`
		Type       string           `json:"type"`
		AlarmType  string           `json:"alarmType"`
		Time       schemas.DateTime `json:"time"`
		HandleTime schemas.DateTime `json:"handleTime"`
		Location   string           `json:"alarmLocation"`
	}
	if err := readRecord(rec, &r, recordField{key: "id", str: &r.ID}, recordField{key: "type", str: &r.Type},
		recordField{key: "alarmType", str: &r.AlarmType}, recordField{key: "time", at: &r.Time},
		recordField{key: "handleTime", at: &r.HandleTime}, recordField{key: "alarmLocation", str: &r.Location}); err != nil {
		return nil, err
	}
	a := CompanyAlarm{Company: company, Source: SourcePositioning, ID: r.ID, Type: r.AlarmType,
		Where: r.Location, Raised: r.Type == schemas.PositioningRaised, At: r.Time.Time}
	if !a.Raised && !r.HandleTime.IsZero() {
		a.At = r.HandleTime.Time
	}
	return a, nil
}

func decodeHiddenDanger(company string, rec []byte) (Event, error) {
	var r struct {
		ID       string           `json:"ID"`
		Hazard   string           `json:"HAZARD_CODE"`
		Name     string           `json:"DANGER_NAME"`
		Level    schemas.Number   `json:"DANGER_LEVEL"`
		State    schemas.Number   `json:"DANGER_STATE"`
		Deadline schemas.DateTime `json:"DANGER_MANAGE_DEADLINE"`
		Deleted  string           `json:"DELETED"`
	}
	if err := readRecord(rec, &r, recordField{key: "ID", str: &r.ID}, recordField{key: "HAZARD_CODE", str: &r.Hazard},
		recordField{key: "DANGER_NAME", str: &r.Name}, recordField{key: "DANGER_LEVEL", num: &r.Level},
		recordField{key: "DANGER_STATE", num: &r.State}, recordField{key: "DANGER_MANAGE_DEADLINE", at: &r.Deadline},
		recordField{key: "DELETED", str: &r.Deleted}); err != nil {
		return nil, err
	}
	return HiddenDanger{ID: r.ID, Company: company, Hazard: r.Hazard, Name: r.Name,
		Major: string(r.Level) == schemas.DangerLevelMajor, Accepted: string(r.State) == schemas.DangerStateAccepted,
		Deadline: r.Deadline.Time, Deleted: r.Deleted == schemas.DeletedYes}, nil
}

func decodeDeviceStatus(company string, rec []byte) (Event, error) {
	var r struct {
		Device string           `json:"DEVICE_CODE"`
		At     schemas.DateTime `json:"DATE_TIME"`
		Status string           `json:"RUN_STATUS"`
	}
	if err := readRecord(rec, &r, recordField{key: "DEVICE_CODE", str: &r.Device}, recordField{key: "DATE_TIME", at: &r.At},
		recordField{key: "RUN_STATUS", str: &r.Status}); err != nil {
		return nil, err
	}
	return DeviceStatus{Company: company, Device: r.Device, At: r.At.Time, Normal: r.Status == schemas.RunStatusNormal}, nil
}
