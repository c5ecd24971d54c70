package warningsvc

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/warning"
)

// errNoCompanyWarning answers a company asking about a warning that is not its
// own exactly as one that does not exist: another company's ids tell nothing.
var errNoCompanyWarning = chemguard.Errorf(chemguard.ENotFound, "本企业没有该预警", "your company has no such warning")

// ActForCompany applies a company's own disposal action (签收, 处置反馈) to its
// warning id, for the hosted base system, where a company's people handle
// their warnings without reaching the regulators' pages. Only the company's
// actions pass (a.Actor.Role must be warning.RoleCompany; the engine refuses
// the regulators' actions to it); a warning of another company is not_found,
// a settled one a conflict; the engine's refusals come back as the API's
// bilingual errors (ActError). The caller audits the attempt.
func (s *Service) ActForCompany(ctx context.Context, company string, id int64, a warning.Action) error {
	if a.Actor.Role != warning.RoleCompany || !a.Kind.ByCompany() {
		return ActError(warning.ErrNotPermitted)
	}
	var key, status string
	err := s.pool.QueryRow(ctx, `SELECT warning_key, status FROM warnings WHERE id = $1 AND company_code = $2`,
		id, company).Scan(&key, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoCompanyWarning
	}
	if err != nil {
		return fmt.Errorf("alerting: company warning %d: %w", id, err)
	}
	if status != "open" {
		return ActError(warning.ErrNotFound)
	}
	_, err = s.Act(ctx, company, key, a)
	return ActError(err)
}
