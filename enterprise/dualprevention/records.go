package dualprevention

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// The exchange records this module publishes (表1–表5), built from its rows.
// They are the seed's own types, so the JSON the Publisher validates carries
// exactly the seed's field identifiers.

func deletedFlag(deleted bool) string {
	if deleted {
		return schemas.DeletedYes
	}
	return schemas.DeletedNo
}

func unitRecord(u Unit, depName, liableName string) schemas.RiskUnit {
	return schemas.RiskUnit{ID: u.ID, HazardCode: u.HazardCode, HazardDep: depName,
		HazardLiablePerson: liableName, RiskUnitName: u.Name, Deleted: deletedFlag(u.Deleted)}
}

func eventRecord(e Event) schemas.RiskEvent {
	return schemas.RiskEvent{ID: e.ID, RiskUnitID: e.UnitID, RiskEventName: e.Name, Deleted: deletedFlag(e.Deleted)}
}

func measureRecord(m Measure) schemas.ControlMeasure {
	return schemas.ControlMeasure{ID: m.ID, RiskEventID: m.EventID, DataSrc: m.ControlMode,
		RiskMeasureDesc: m.Description, Classify1: m.Class1, Classify2: m.Class2, Classify3: m.Class3,
		TroubleshootContent: m.Content, Deleted: deletedFlag(m.Deleted)}
}

// taskRecord is 表4: INVESTIGATION_DATE and CHECK_STATUS are the last check's.
// A task never checked reports 未排查 (2) as of its creation, the seed's field
// being required.
func taskRecord(t Task) schemas.CheckTask {
	n, unit := t.Cycle.Seed()
	when, status := t.CreatedAt, "2"
	if t.LastCheck != nil {
		when, status = *t.LastCheck, t.LastStatus
	}
	return schemas.CheckTask{ID: t.ID, RiskMeasureID: t.MeasureID, TroubleshootContent: t.Content,
		CheckCycle: schemas.Number(n), CheckCycleUnit: unit, InvestigationDate: schemas.DateTime{Time: when.Truncate(time.Second)},
		CheckStatus: status, Deleted: deletedFlag(t.Deleted)}
}

func checkRecord(c Check) schemas.CheckRecord {
	return schemas.CheckRecord{ID: c.ID, CheckTaskID: c.TaskID, CheckTime: schemas.DateTime{Time: c.CheckedAt.Truncate(time.Second)},
		CheckStatus: c.Status, Deleted: deletedFlag(c.Deleted)}
}

// seedErrors checks one record with the exchange validator, as the Publisher
// will, so an import can name the spreadsheet row of a record the seed refuses
// before anything is written.
func seedErrors(t *schemas.Table, rec any, now time.Time) ([]validate.FieldError, error) {
	body, err := json.Marshal([]any{rec})
	if err != nil {
		return nil, fmt.Errorf("dualprevention: encode %s: %w", t.Slug, err)
	}
	verdicts, err := validate.Batch(t, body, validate.Options{Now: now})
	if err != nil {
		return nil, fmt.Errorf("dualprevention: validate %s: %w", t.Slug, err)
	}
	return verdicts[0].Errors, nil
}
