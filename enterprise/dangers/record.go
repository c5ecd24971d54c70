package dangers

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Record is the danger as the seed's 表6 隐患信息. 判定依据, 地点 and the other
// ledger fields 表6 has no column for stay in the ledger.
func Record(d *Danger) schemas.HiddenDanger {
	r := schemas.HiddenDanger{
		ID:                   d.ID.String(),
		HazardCode:           d.HazardCode,
		RiskMeasureID:        d.RiskMeasureID,
		DangerName:           d.Name,
		DangerLevel:          schemas.Number(strconv.Itoa(d.Level)),
		RegistTime:           schemas.DateTime{Time: d.RegisteredAt},
		Registrant:           d.RegistrantName,
		DangerSrc:            d.Source,
		DangerManageType:     schemas.Number(strconv.Itoa(d.ManageType)),
		HazardDangerType:     schemas.Number(strconv.Itoa(d.Type)),
		DangerDesc:           d.Description,
		DangerReason:         d.Reason,
		LiablePerson:         d.LiableName,
		DangerManageDeadline: schemas.DateTime{Time: d.Deadline},
		DangerState:          schemas.Number(d.State.SeedState()),
		Deleted:              schemas.DeletedNo,
	}
	if d.State == Accepted {
		r.CheckAcceptPerson = d.AcceptorName
		r.CheckAcceptTime = schemas.DateTime{Time: d.AcceptedAt}
		r.CheckAcceptComment = d.AcceptComment
	}
	if d.Deleted() {
		r.Deleted = schemas.DeletedYes
	}
	return r
}

// publish stages the danger's 表6 record in tx. A danger still 待分派 has no
// 整改责任人 and no 治理期限, both required by 表6: it is published when
// assigned (and, deleted before that, never was).
func (s *Service) publish(ctx context.Context, tx pgx.Tx, d *Danger) error {
	if d.State == Registered {
		return nil
	}
	return s.Publisher.Stage(ctx, tx, schemas.HiddenDangers.Slug, d.Company, Record(d))
}
